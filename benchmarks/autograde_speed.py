"""Seconds per notebook through `tito autograde`, per module, against plain serial
`nbgrader autograde` on the same submissions in the same run.

    python benchmarks/autograde_speed.py [--students 8] [--jobs 2]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tito import cohort  # noqa: E402
from tito.course_dir import CourseDir  # noqa: E402


def run(*cmd, cwd):
    started = time.monotonic()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True)
    return time.monotonic() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--students", type=int, default=8)
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", "33554432")
    os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", "1073741824")
    scratch = Path(tempfile.mkdtemp(prefix="tito-bench-"))
    try:
        root = scratch / "course"
        root.mkdir()
        for name in ("course.yml", "nbgrader_config.py"):
            shutil.copy(REPO / name, root)
        shutil.copytree(REPO / "source", root / "source")
        tito = [sys.executable, "-m", "tito"]
        run(*tito, "build", cwd=root)
        cd = CourseDir(root)
        print(f"{'module':16} {'tito -j1':>10} {f'tito -j{args.jobs}':>10} {'nbgrader':>10}   (s per notebook, "
              f"{args.students} correct submissions)")
        for m in cd.authored_modules():
            source = nbformat.read(cd.source_notebook(m), as_version=4)
            release = nbformat.read(cd.release_notebook(m), as_version=4)
            nb = cohort.make_notebook(source, release, cohort.Profile("correct"))
            for i in range(args.students):
                cohort.write_submission(root, f"s{i:03d}", m, nb)
            env = {**cd.grading_env(m), "TINYTORCH_STORE": str(scratch / "plain-store")}
            env_cmd = [f"{k}={v}" for k, v in env.items()]
            t1 = run(*tito, "autograde", m, "--jobs", "1", "--force", "--no-progress", cwd=root)
            tj = run(*tito, "autograde", m, "--jobs", str(args.jobs), "--force", "--no-progress", cwd=root)
            tn = run("env", *env_cmd, sys.executable, "-m", "nbgrader", "autograde", m, "--force", cwd=root)
            n = args.students
            print(f"{m:16} {t1 / n:10.2f} {tj / n:10.2f} {tn / n:10.2f}   "
                  f"speed-up of -j{args.jobs} over plain nbgrader: {tn / tj:.2f}x")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
