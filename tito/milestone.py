"""`tito milestone NAME`: run a milestone script with this course's Python, on the student's own
exports (or the instructor reference with --reference), saying in one line what is missing."""
from __future__ import annotations

import os
import subprocess
import sys

from .course_dir import CourseDir, CourseError

MILESTONES = {
    "mnist": ("mnist_mlp.py", ["01_tensor", "02_activations", "03_layers", "04_losses", "05_autograd",
                               "06_optimizers", "08_dataloader"]),
    "cnn": ("cnn.py", ["01_tensor", "02_activations", "03_layers", "04_losses", "05_autograd",
                       "06_optimizers", "07_training", "08_dataloader", "09_spatial"]),
    "tinygpt": ("tinygpt.py", ["01_tensor", "02_activations", "03_layers", "04_losses", "05_autograd",
                               "06_optimizers", "10_tokenization", "11_embeddings", "12_attention",
                               "13_transformers"]),
}


def missing_exports(cd: CourseDir, modules: list[str], reference: bool) -> list[str]:
    """Modules whose tinytorch.<name> would not import for this run."""
    from tinytorch_runtime.finder import resolve

    saved = dict(os.environ)
    try:
        os.environ["TINYTORCH_COURSE"] = str(cd.root / "course.yml")
        os.environ["TINYTORCH_MODE"] = "grading" if reference else os.environ.get("TINYTORCH_MODE", "student")
        if reference:
            os.environ["TINYTORCH_REFERENCE"] = str(cd.reference_dir)
        os.environ.pop("TINYTORCH_MODULE", None)
        course = cd.course
        return [m for m in modules if resolve(course.module(m)).path is None]
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(cd: CourseDir, name: str, args: list[str]) -> int:
    if name not in MILESTONES:
        raise CourseError(f"no milestone {name!r}; milestones: {', '.join(MILESTONES)}")
    script, needs = MILESTONES[name]
    reference = "--reference" in args
    missing = missing_exports(cd, needs, reference)
    if missing:
        if reference:
            raise CourseError(f"milestone {name}: the instructor references of {', '.join(missing)} are "
                              f"missing: run `tito build` first")
        raise CourseError(f"milestone {name} runs on your own exports, and {', '.join(missing)} "
                          f"{'is' if len(missing) == 1 else 'are'} not exported yet: finish "
                          f"{'it' if len(missing) == 1 else 'them'} and run the last cell (export), "
                          f"or pass --reference to run the instructor's reference")
    path = cd.root / "milestones" / script
    if not path.is_file():
        raise CourseError(f"{path} is missing from this course folder")
    return subprocess.run([sys.executable, str(path), *args]).returncode
