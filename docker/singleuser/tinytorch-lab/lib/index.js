// TinyTorch course: where a person's work starts in JupyterLab.
//
// - Launcher: "Assignment List" (nbgrader's assignment list) for everyone; "Formgrader" and "Cohort report"
//   for instructors, each in a new browser tab (the hub passes their addresses in the page config options
//   tinytorchFormgraderUrl and tinytorchReportUrl, empty for students).
// - A student whose main area holds nothing but the Launcher lands on the assignment list.
// - nbgrader's "(view feedback)" link only moves the file browser into the feedback folder
//   (filebrowser:go-to-path .../feedback/<timestamp>): its HTML pages are opened as well.
import { ILabShell } from '@jupyterlab/application';
import { PageConfig, PathExt } from '@jupyterlab/coreutils';
import { ILauncher } from '@jupyterlab/launcher';

const ASSIGNMENT_LIST = 'nbgrader:open-assignment-list';
const OPEN_FORMGRADER = 'tinytorch:open-formgrader';
const OPEN_REPORT = 'tinytorch:open-report';
const CATEGORY = 'TinyTorch';

function isFeedbackFolder(path) {
  return PathExt.basename(PathExt.dirname(path)) === 'feedback';
}

function addPageInNewTab(app, launcher, { command, url, label, caption, rank }) {
  app.commands.addCommand(command, { label, caption, execute: () => window.open(url, '_blank') });
  launcher.add({ command, category: CATEGORY, rank });
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
    const reportUrl = PageConfig.getOption('tinytorchReportUrl');
    if (app.commands.hasCommand(ASSIGNMENT_LIST)) {
      launcher.add({ command: ASSIGNMENT_LIST, category: CATEGORY, rank: 0 });
    }
    if (formgraderUrl) {
      addPageInNewTab(app, launcher, {
        command: OPEN_FORMGRADER, url: formgraderUrl, label: 'Formgrader', rank: 1,
        caption: 'Grade the course (opens in a new browser tab)'
      });
    }
    if (reportUrl) {
      addPageInNewTab(app, launcher, {
        command: OPEN_REPORT, url: reportUrl, label: 'Cohort report', rank: 2,
        caption: "The cohort's progress, scores and hardest tests (opens in a new browser tab)"
      });
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
