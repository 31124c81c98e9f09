"""Seconds per notebook through `tito autograde`, per module (issue: course spine).

    python benchmarks/autograde_speed.py [--students 8]

Prints, for each module, seconds per correct notebook with one sandboxed worker (with the judge of
docs/grading.md, and without it: TINYTORCH_JUDGE=0), and plain serial `nbgrader autograde` without
the judge on the same submissions in the same run for comparison.
"""
from __future__ import annotations

import argparse
import shutil
import sys

from common import plain_nbgrader_env, scratch_course, timed, timed_tito, write_correct


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--students", type=int, default=8)
    p.add_argument("modules", nargs="*", help="default: every authored module")
    args = p.parse_args()
    root, cd = scratch_course()
    try:
        n = args.students
        print(f"{'module':16} {'tito -j1':>9} {'no judge':>9} {'judge x':>8} {'nbgrader':>9}   "
              f"seconds per notebook ({n} correct submissions)")
        for m in args.modules or cd.authored_modules():
            write_correct(cd, m, n)
            tito = timed_tito("autograde", m, "-j", "1", "--force", "--no-progress", cwd=root)
            unjudged = timed_tito("autograde", m, "-j", "1", "--force", "--no-progress", cwd=root,
                                  env={"TINYTORCH_JUDGE": "0"})
            plain = timed(sys.executable, "-m", "nbgrader", "autograde", m, "--force", cwd=root,
                          env={**plain_nbgrader_env(cd, m, root.parent / "plain-store"), "TINYTORCH_JUDGE": "0"})
            print(f"{m:16} {tito / n:9.2f} {unjudged / n:9.2f} {tito / unjudged:8.2f} {plain / n:9.2f}")
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
