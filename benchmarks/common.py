"""Shared helpers for benchmark scripts: a scratch copy of the course and timed commands."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tito import scratch, simulated_cohort  # noqa: E402
from tito.course_dir import CourseDir  # noqa: E402

os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", "33554432")
os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", "1073741824")
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]


def scratch_course() -> tuple[Path, CourseDir]:
    """A built copy of the course in a temporary folder (the caller removes root.parent)."""
    root = scratch.scratch_course(prefix="tito-bench-")
    scratch.run_tito("build", cwd=root)
    return root, CourseDir(root)


def write_correct(cd: CourseDir, module_id: str, n: int, prefix: str = "s") -> list[str]:
    source = nbformat.read(cd.source_notebook(module_id), as_version=4)
    release = nbformat.read(cd.release_notebook(module_id), as_version=4)
    nb = simulated_cohort.make_notebook(source, release, simulated_cohort.Profile("correct"))
    students = [f"{prefix}{i:03d}" for i in range(n)]
    for s in students:
        simulated_cohort.write_submission(cd.root, s, module_id, nb)
    return students


def timed(*cmd: str, cwd: Path, env: dict | None = None) -> float:
    """Wall seconds of a command (nbgrader's own apps, for the baseline)."""
    started = time.monotonic()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **(env or {})})
    return time.monotonic() - started


def timed_tito(*args: str, cwd: Path, env: dict | None = None) -> float:
    """Wall seconds of `tito ARGS` (run as the tests and scripts run it: tito.scratch.run_tito)."""
    started = time.monotonic()
    scratch.run_tito(*args, cwd=cwd, env=env)
    return time.monotonic() - started


def plain_nbgrader_env(cd: CourseDir, module_id: str, store: Path) -> dict[str, str]:
    """What a plain `nbgrader autograde` run needs to grade course notebooks (unsandboxed)."""
    return {**cd.grading_env(module_id), "TINYTORCH_STORE": str(store)}
