"""The environment of a benchmark that runs the instructor references: the malloc thresholds of
DESIGN.md §8 and the course's references in grading mode. Call before importing tinytorch."""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def use_references() -> Path:
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", "33554432")
    os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", "1073741824")
    os.environ.update(TINYTORCH_COURSE=str(REPO / "course.yml"), TINYTORCH_MODE="grading",
                      TINYTORCH_REFERENCE=str(REPO / "build" / "reference"))
    os.environ.pop("TINYTORCH_MODULE", None)
    return REPO
