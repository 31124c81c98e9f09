"""Parallel sandboxed autograde against plain serial nbgrader (issue: grading at scale, safely).

    python benchmarks/grading_at_scale.py [--students 40] [--jobs 2]

Same generated submissions of 01_tensor, same run: `tito autograde --jobs N` (sandbox on)
versus `nbgrader autograde` (serial, no sandbox). Also the sandbox's own cost per notebook:
`tito -j1` sandboxed minus `tito -j1 --unsafe` on a smaller batch.
"""
from __future__ import annotations

import argparse
import shutil
import sys

from common import plain_nbgrader_env, scratch_course, timed, timed_tito, write_correct

MODULE = "01_tensor"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--students", type=int, default=40)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--overhead-students", type=int, default=10)
    args = p.parse_args()
    root, cd = scratch_course()
    try:
        n = args.students
        write_correct(cd, MODULE, n)
        plain = timed(sys.executable, "-m", "nbgrader", "autograde", MODULE, "--force", cwd=root,
                      env=plain_nbgrader_env(cd, MODULE, root.parent / "plain-store"))
        tito = timed_tito("autograde", MODULE, "-j", str(args.jobs), "--force", "--no-progress", cwd=root)
        print(f"{n} submissions of {MODULE}")
        print(f"  plain nbgrader autograde (serial, unsandboxed): {plain:7.1f} s  ({plain / n:.2f} s/notebook)")
        print(f"  tito autograde --jobs {args.jobs} (sandboxed):        {tito:7.1f} s  ({tito / n:.2f} s/notebook)")
        print(f"  speed-up: {plain / tito:.2f}x")

        k = args.overhead_students
        students = write_correct(cd, MODULE, k, prefix="o")
        only = [f"--student={s}" for s in students]
        unsafe = timed_tito("autograde", MODULE, "-j", "1", "--force", "--unsafe", "--no-progress", *only, cwd=root)
        boxed = timed_tito("autograde", MODULE, "-j", "1", "--force", "--no-progress", *only, cwd=root)
        print(f"sandbox overhead: {(boxed - unsafe) / k:+.2f} s/notebook "
              f"({boxed / k:.2f} sandboxed vs {unsafe / k:.2f} unsandboxed, {k} notebooks, 1 worker)")
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
