// TinyTorch course: where a person's work starts in JupyterLab.
//
// - Launcher: "Assignment List" (nbgrader's assignment list) for everyone; "Formgrader" for instructors
//   (the hub passes its address in the page config option tinytorchFormgraderUrl, empty for students).
// - A student whose main area holds nothing but the Launcher lands on the assignment list.
// - nbgrader's "(view feedback)" link only moves the file browser into the feedback folder
//   (filebrowser:go-to-path .../feedback/<timestamp>): its HTML pages are opened as well.
import { ILabShell } from '@jupyterlab/application';
import { PageConfig, PathExt } from '@jupyterlab/coreutils';
import { ILauncher } from '@jupyterlab/launcher';

const ASSIGNMENT_LIST = 'nbgrader:open-assignment-list';
const OPEN_FORMGRADER = 'tinytorch:open-formgrader';
const CATEGORY = 'TinyTorch';

function isFeedbackFolder(path) {
  return PathExt.basename(PathExt.dirname(path)) === 'feedback';
}

async function openFeedbackPages(app, folder) {
  const listing = await app.serviceManager.contents.get(folder, { content: true });
  for (const item of listing.content) {
    if (item.type === 'file' && item.name.endsWith('.html')) {
      await app.commands.execute('docmanager:open', { path: item.path });
    }
  }
}

const plugin = {
  id: 'tinytorch-lab:plugin',
  description: 'Launcher entries and landing page for the TinyTorch course.',
  autoStart: true,
  requires: [ILauncher],
  optional: [ILabShell],
  activate: (app, launcher, shell) => {
    const formgraderUrl = PageConfig.getOption('tinytorchFormgraderUrl');
    if (app.commands.hasCommand(ASSIGNMENT_LIST)) {
      launcher.add({ command: ASSIGNMENT_LIST, category: CATEGORY, rank: 0 });
    }
    if (formgraderUrl) {
      app.commands.addCommand(OPEN_FORMGRADER, {
        label: 'Formgrader',
        caption: 'Grade the course (opens in a new browser tab)',
        execute: () => window.open(formgraderUrl, '_blank')
      });
      launcher.add({ command: OPEN_FORMGRADER, category: CATEGORY, rank: 1 });
    }
    app.commands.commandExecuted.connect((_, executed) => {
      const path = executed.args && executed.args.path;
      if (executed.id === 'filebrowser:go-to-path' && typeof path === 'string' && isFeedbackFolder(path)) {
        executed.result.then(() => openFeedbackPages(app, path)).catch(error => console.warn(error));
      }
    });
    if (shell && !formgraderUrl) {
      app.restored.then(() => {
        const open = Array.from(shell.widgets('main'));
        const onlyLauncher = open.every(w => w.id.startsWith('launcher'));
        if (onlyLauncher && app.commands.hasCommand(ASSIGNMENT_LIST)) {
          return app.commands.execute(ASSIGNMENT_LIST);
        }
      });
    }
  }
};

export default plugin;
