"""nbgrader preprocessors the course adds (configured in nbgrader_config.py)."""
from __future__ import annotations

import os
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from nbgrader.preprocessors import Execute as NbGraderExecute
from nbgrader.preprocessors import OverwriteCells as NbGraderOverwriteCells
from traitlets import Bool, Integer, Unicode


class CapOutput(NbGraderPreprocessor):
    """Cut every text output to `max_chars` (nbgrader's LimitOutput counts lines, so one
    50 MB line would pass), keeping graded notebooks and feedback small."""

    max_chars = Integer(20_000, help="characters kept per output").tag(config=True)

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        return text[: self.max_chars] + f"\n... [output cut: {len(text):,} characters, {self.max_chars:,} kept]\n"

    def preprocess_cell(self, cell, resources, cell_index):
        for output in cell.get("outputs", []):
            if "text" in output:
                text = output.text if isinstance(output.text, str) else "".join(output.text)
                output.text = self._cut(text)
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/"):
                    output.data[mime] = self._cut(value if isinstance(value, str) else "".join(value))
            if output.get("output_type") == "error":
                output.evalue = self._cut(output.get("evalue", ""))
                output.traceback = [self._cut(line) for line in output.get("traceback", [])[-50:]]
        return cell, resources


class SandboxPolicy(NbGraderPreprocessor):
    """Autograde started outside `tito autograde` (formgrader's button in the grader's server):
    before nbgrader's Execute starts the `tinytorch-sandbox` kernel, describe the sandbox for this
    student's notebook, exactly as tito's grading workers do. Off unless configured
    (nbgrader_config.py switches it on when TINYTORCH_FORMGRADER_SANDBOX names an IPC folder)."""

    enabled = Bool(False).tag(config=True)
    ipc_dir = Unicode("", help="folder for the kernel's IPC sockets and the policy file").tag(config=True)

    def preprocess(self, nb, resources):
        from ..course_dir import CourseDir
        from . import batch, sandbox, submission

        cd = CourseDir(Path(self.config.CourseDirectory.root or os.getcwd()))
        ipc = Path(self.ipc_dir)
        ipc.mkdir(parents=True, exist_ok=True)
        # The IPC folder is mounted into every sandbox: empty it (without following anything an
        # earlier student's kernel left there); the policy and the log live next to it, unmounted.
        for entry in list(ipc.iterdir()):
            submission.remove_entry(entry)
        info = resources["nbgrader"]
        policy = batch.sandbox_policy(cd, info["assignment"], info["student"], ipc, None,
                                      batch.kernel_environment(1))
        policy.log_file = str(ipc) + ".log"
        path = Path(str(ipc) + "-policy.json")
        tmp = path.with_suffix(".tmp")
        policy.save(tmp)
        os.replace(tmp, path)
        os.environ[sandbox.POLICY_ENV] = str(path)
        return nb, resources


# Notes the preprocessors below leave for `tito autograde`'s outcome line (the grading worker runs
# them in its own process: it clears this before each notebook and reads it after).
NOTES: list[str] = []


class Execute(NbGraderExecute):
    """nbgrader's Execute, with a cell timeout that escalates: nbgrader interrupts the kernel (SIGINT
    through an interrupt message) and moves on; a cell that ignores SIGINT keeps the kernel busy, so
    nbgrader then fails the whole notebook on an IOPub timeout (no grade at all). Here, after the
    interrupt, the kernel gets `kill_grace` seconds to answer; if it does not, it is killed (SIGKILL
    to its process group) and the notebook ends as a dead kernel, reported as such."""

    kill_grace = Integer(10, help="seconds an interrupted cell has to stop before its kernel is killed").tag(
        config=True)

    async def _async_handle_timeout(self, timeout, cell=None):
        from queue import Empty
        from time import monotonic

        from jupyter_client.utils import ensure_async
        from nbclient.exceptions import DeadKernelError

        reply = await super()._async_handle_timeout(timeout, cell)
        deadline = monotonic() + self.kill_grace
        while (left := deadline - monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=left))
            except Empty:
                break
            if msg.get("msg_type") == "execute_reply":
                return reply  # the interrupt stopped the cell: nbgrader records the timeout as usual
        NOTES.append("kernel did not stop after the cell timeout: killed")
        self.log.error("The kernel did not stop %ss after being interrupted: killing it", self.kill_grace)
        await ensure_async(self.km.shutdown_kernel(now=True))
        raise DeadKernelError("kernel did not stop after the cell timeout: killed")


class GuardPartialCredit(NbGraderPreprocessor):
    """A test cell whose output is a number is partial credit in nbgrader; a number above the cell's
    points (student code can make a test cell print one) makes SaveAutoGrades raise and the whole
    notebook fail. Such an output scores the cell 0 instead, with a note."""

    def preprocess(self, nb, resources):
        self._invalid: list[str] = []
        nb, resources = super().preprocess(nb, resources)
        if self._invalid:
            NOTES.append(f"invalid partial credit in {', '.join(self._invalid)}: scored 0")
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        from nbformat import NotebookNode
        from nbgrader.utils import get_partial_grade, is_grade, is_solution

        if cell.cell_type != "code" or not is_grade(cell) or is_solution(cell):
            return cell, resources
        points = float(cell.metadata.nbgrader.get("points", 0))
        for i, output in enumerate(cell.outputs):
            if output.get("output_type") != "execute_result":
                continue
            try:
                get_partial_grade(output, points)
            except (ValueError, KeyError, TypeError):
                self._invalid.append(cell.metadata.nbgrader.get("grade_id", f"cell {cell_index}"))
                cell.outputs[i] = NotebookNode(output_type="error", ename="InvalidPartialCredit",
                                               evalue=f"output is not a score between 0 and {points:g}",
                                               traceback=["InvalidPartialCredit: output is not a score "
                                                          f"between 0 and {points:g}"])
            break
        return cell, resources


class ReclaimWorkdir(NbGraderPreprocessor):
    """Right after Execute, before nbgrader (as root on a grading host) writes the graded notebook into
    the folder the student's kernel could write to and chmods what is in it: make sure no process of
    the sandbox is left, take the folder back (no link followed), drop links and special files and cap
    what the kernel left there. Without it, a link planted at the graded notebook's path would have
    the grader write (and chmod) any host file."""

    def preprocess(self, nb, resources):
        from . import batch, sandbox, submission

        policy_file = os.environ.get(sandbox.POLICY_ENV)
        if not policy_file:
            return nb, resources
        policy = sandbox.Policy.load(policy_file)
        if policy.uid is not None and os.geteuid() == 0:
            batch.kill_processes_of(policy.uid)
        notebook = f"{resources['nbgrader']['notebook']}.ipynb"
        NOTES.extend(submission.reclaim_tree(
            Path(policy.workdir), keep=lambda rel: rel in (notebook, "timestamp.txt"), cap=submission.WORKDIR_CAP_BYTES,
            label="graded folder", owner=0 if policy.uid is not None else None))
        return nb, resources


# Notebook metadata where OverwriteCells lists what it restored (the judge turns it into a flag).
RESTORED_KEY = "tinytorch_restored_cells"


class OverwriteCells(NbGraderOverwriteCells):
    """nbgrader's OverwriteCells (autograde's sanitize step), comparing a locked cell with what the
    student received. nbgrader saves a cell's checksum before ClearHiddenTests strips the hidden tests
    from the release (nbgrader issue #1961), so every test cell with hidden tests was reported as
    "Attribute 'checksum' for cell ... has changed!" for an untouched submission, and real tampering
    was lost among those warnings. Here a locked cell exactly as released gets its hidden tests back
    quietly; any other change is reported by nbgrader as before and listed in the notebook's metadata
    under RESTORED_KEY (always rewritten here, so a student cannot plant or clear it)."""

    def preprocess(self, nb, resources):
        self._changed: list[str] = []
        nb, resources = super().preprocess(nb, resources)
        nb.metadata[RESTORED_KEY] = list(dict.fromkeys(self._changed))
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None:
            try:
                source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source_cell = None  # nbgrader warns about it
            if source_cell is not None and source_cell.locked and cell.source == self._released(source_cell):
                cell.source = source_cell.source
        return super().preprocess_cell(cell, resources, cell_index)

    def _released(self, source_cell) -> str:
        """The cell's source as generate_assignment released it (after ClearHiddenTests)."""
        released = NotebookNode(source=source_cell.source)
        ClearHiddenTests(parent=self)._remove_hidden_test_region(released)
        return released.source

    def report_change(self, name, attr, old, new):
        self._changed.append(f"{name} ({attr})")
        super().report_change(name, attr, old, new)


def restored_cells_flags(nb) -> list[str]:
    """The integrity flag for cells OverwriteCells had to restore (set by autograde's sanitize step)."""
    restored = nb.metadata.get(RESTORED_KEY) or []
    return [f"graded cells changed against the release, restored before grading: {', '.join(restored)}"] \
        if restored else []
