"""Run a benchmark's measurement once per BLAS thread count, each in a fresh process.

Thread pools are fixed when NumPy and torch load, so every count needs its own interpreter; each
child gets the malloc thresholds of DESIGN.md §8 and the course's references in grading mode.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def per_thread_count(script: str, measure, doc: str | None) -> None:
    """`main()` of a benchmark: `measure(threads)` in a child process for each --threads value."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        sys.path.insert(0, str(Path(script).parent))
        measure(args.child)
        return
    for n in args.threads:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": str(n), "OMP_NUM_THREADS": str(n), "MKL_NUM_THREADS": str(n),
               "MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "1073741824",
               "TINYTORCH_COURSE": str(REPO / "course.yml"), "TINYTORCH_MODE": "grading",
               "TINYTORCH_REFERENCE": str(REPO / "build" / "reference")}
        env.pop("TINYTORCH_MODULE", None)
        subprocess.run([sys.executable, script, "--child", str(n)], env=env, check=True)
