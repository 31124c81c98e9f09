"""Where things are for this kernel: course file, mode, the student's store, references.

Everything is read from the environment so the hub, the grader and tests can set it:

  TINYTORCH_COURSE     path to course.yml (else: course.yml in the working directory or a parent)
  TINYTORCH_MODE       `student` (default) or `grading`
  TINYTORCH_STORE      folder holding the student's exports as tinytorch/<name>.py (default ~/.tinytorch)
  TINYTORCH_REFERENCE  folder holding instructor references as tinytorch/<name>.py
  TINYTORCH_MODULE     the module being worked on or graded (else: the working directory's name)
"""
from __future__ import annotations

import os
from pathlib import Path

from .course import Course, CourseFileError, Module, load_course

MODES = ("student", "grading")
COURSE_FILE = "course.yml"


def course_path() -> Path:
    env = os.environ.get("TINYTORCH_COURSE")
    if env:
        return Path(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / COURSE_FILE).is_file():
            return folder / COURSE_FILE
    raise CourseFileError(
        "no course file: set TINYTORCH_COURSE to the course's course.yml "
        "(the hub and the grader set it for you)")


_course_cache: dict[tuple, Course] = {}


def course() -> Course:
    path = course_path()
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise CourseFileError(f"course file not found: {path}") from None
    if key not in _course_cache:
        _course_cache[key] = load_course(path)
    return _course_cache[key]


def mode() -> str:
    value = os.environ.get("TINYTORCH_MODE", "student")
    if value not in MODES:
        raise ValueError(f"TINYTORCH_MODE must be one of {', '.join(MODES)}, got {value!r}")
    return value


def store_dir() -> Path:
    return Path(os.environ.get("TINYTORCH_STORE") or Path.home() / ".tinytorch")


def reference_dir() -> Path | None:
    env = os.environ.get("TINYTORCH_REFERENCE")
    return Path(env) if env else None


def current_module() -> Module | None:
    """The module being worked on: TINYTORCH_MODULE, else the working directory's name."""
    c = course()
    name = os.environ.get("TINYTORCH_MODULE") or Path.cwd().name
    return next((m for m in c.modules if m.id == name), None)


def module_file(root: Path, module: Module) -> Path:
    return root / "tinytorch" / f"{module.name}.py"
