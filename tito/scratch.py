"""A scratch copy of the course, and tito run in it as a user would: for the tests, the benchmarks
and scripts/try_module.py, which must never touch the checkout's own outputs (release/, build/,
gradebook.db, submissions)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]  # the checkout tito runs from (an editable install)
COURSE_FILES = ("course.yml", "nbgrader_config.py")


class TitoFailed(subprocess.CalledProcessError):
    """run_tito's command exited non-zero; its message carries what the command printed."""

    def __str__(self) -> str:
        return f"tito {' '.join(self.cmd[3:])} exited {self.returncode}:\n{self.stdout}\n{self.stderr}"


def copy_course(dest: Path) -> Path:
    """The course's instructor files (course.yml, nbgrader_config.py, source/; no outputs, no
    release) copied into dest, which may exist."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(REPO / "source", dest / "source",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dest


def scratch_course(prefix: str = "tito-scratch-") -> Path:
    """copy_course into a new temporary folder: <tmp>/<prefix>XXXXXX/course (the caller removes
    the returned folder's parent)."""
    return copy_course(Path(tempfile.mkdtemp(prefix=prefix)) / "course")


def tito_env(env: dict | None = None) -> dict[str, str]:
    """os.environ with this interpreter's bin/ first on PATH (as an activated environment: nbgrader
    and jupyter are found), then env's entries (a PATH given there wins)."""
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    return {**os.environ, "PATH": path, **(env or {})}


def run_tito(*args: str, cwd: Path, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """`tito ARGS` in cwd with this interpreter, output captured; TitoFailed on a non-zero exit
    when check."""
    cmd = [sys.executable, "-m", "tito", *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=tito_env(env))
    if check and proc.returncode != 0:
        raise TitoFailed(proc.returncode, cmd, proc.stdout, proc.stderr)
    return proc
