"""Running nbgrader's own apps: as a subprocess (build, release, collect, feedback, export)
or in-process through NbGraderAPI (autograde workers, which grade many notebooks per start)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .course_dir import CourseDir, CourseError


def nbgrader_command() -> list[str]:
    return [sys.executable, "-m", "nbgrader"]


def environment_with_tools(extra: dict | None = None) -> dict[str, str]:
    """os.environ with this Python's bin folder first on PATH (nbgrader runs `alembic` from it)."""
    bin_dir = os.path.dirname(sys.executable)
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), **(extra or {})}


def run_app(cd: CourseDir, *args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run `nbgrader <args>` in the course folder; on failure raise with nbgrader's own log."""
    proc = subprocess.run([*nbgrader_command(), *args], cwd=cd.root, capture_output=True, text=True,
                          env=environment_with_tools(env))
    if check and proc.returncode != 0:
        log = (proc.stdout + proc.stderr).strip().splitlines()
        raise CourseError(f"nbgrader {' '.join(args)} failed:\n  " + "\n  ".join(log[-25:]))
    return proc


def load_config(cd: CourseDir, **overrides):
    """The course's nbgrader config (nbgrader_config.py) as a traitlets Config, with overrides
    given as {'Section.key': value}."""
    from traitlets.config.loader import Config, PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(cd.root)).load_config()
    cfg.CourseDirectory.root = str(cd.root)
    for dotted, value in overrides.items():
        section, key = dotted.split(".", 1)
        cfg.merge(Config({section: {key: value}}))
    return cfg


def db_url(path: Path) -> str:
    return f"sqlite:///{path}"
