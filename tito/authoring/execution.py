"""Executing notebooks outside nbgrader: source notebooks top to bottom with solutions."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ..course_dir import CourseDir, CourseError


@contextlib.contextmanager
def environment(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute(nb_path: Path, workdir: Path, env: dict[str, str], timeout: int = 300):
    """Run a notebook in workdir with env; return the executed notebook (raises on the first error)."""
    nb = nbformat.read(nb_path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    with environment(env):
        client.execute()
    return nb


def run_source(cd: CourseDir, module_id: str, keep: Path | None = None) -> float:
    """Execute source/M/M.ipynb with solutions in a scratch folder; seconds taken."""
    scratch = Path(tempfile.mkdtemp(prefix=f"tito-run-{module_id}-"))
    try:
        workdir = scratch / module_id
        workdir.mkdir()
        shutil.copy(cd.source_notebook(module_id), workdir)
        env = {**cd.grading_env(module_id), "TINYTORCH_STORE": str(scratch / "store")}
        started = time.monotonic()
        try:
            nb = execute(workdir / f"{module_id}.ipynb", workdir, env)
        except CellExecutionError as e:
            raise CourseError(f"{module_id} does not run with its solutions:\n{str(e)[-2000:]}") from None
        if keep:
            nbformat.write(nb, keep)
        return time.monotonic() - started
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
