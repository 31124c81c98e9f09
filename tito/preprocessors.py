"""nbgrader preprocessors the course adds (configured in nbgrader_config.py)."""
from __future__ import annotations

import os
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
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
        from . import grading, sandbox
        from .course_dir import CourseDir

        cd = CourseDir(Path(self.config.CourseDirectory.root or os.getcwd()))
        ipc = Path(self.ipc_dir)
        ipc.mkdir(parents=True, exist_ok=True)
        info = resources["nbgrader"]
        policy = grading.sandbox_policy(cd, info["assignment"], info["student"], ipc, None,
                                        grading.kernel_environment(1))
        path = ipc / "policy.json"
        policy.save(path)
        os.environ[sandbox.POLICY_ENV] = str(path)
        return nb, resources
