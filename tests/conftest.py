"""Shared fixtures: a scratch copy of the course, built once per session."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Tests import copy_course and tito from here: tito(...) runs the real CLI as a user would.
from tito.scratch import copy_course
from tito.scratch import run_tito as tito

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def built_course(tmp_path_factory) -> Path:
    """A scratch course after `tito build` (release/, build/reference, gradebook.db)."""
    root = copy_course(tmp_path_factory.mktemp("course") / "course")
    tito("build", cwd=root)
    return root


@pytest.fixture(scope="session")
def module_ids() -> list[str]:
    from tito.course_dir import CourseDir

    return CourseDir(REPO).authored_modules()


@pytest.fixture(scope="session")
def hub(built_course, tmp_path_factory):
    """A running embedded hub (tests/hub_harness.py): students tt-alice, tt-bob and one per workshop
    module (tests/test_workshop.py), instructor tt-prof, 01_tensor released. Skipped where it cannot
    run (not root, no proxy); in CI that is a failure."""
    from hub_harness import (INSTRUCTOR, OTHER, STUDENT, Hub, missing_requirements, workshop_modules,
                             workshop_student)

    why = missing_requirements()
    if why:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    # Not under pytest's tmp folder: that is private to root, and students must reach student-env/.
    keep = os.environ.get("TINYTORCH_TEST_HUB_ROOT")
    root = Path(keep or tempfile.mkdtemp(prefix="tinytorch-hub-"))
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    course = tmp_path_factory.mktemp("hubcourse") / "course"
    shutil.copytree(built_course, course)
    h = Hub(root=root, course=course)
    try:
        workshop_students = [workshop_student(m) for m in workshop_modules()]
        h.prepare(students=[STUDENT, OTHER, *workshop_students], instructors=[INSTRUCTOR])
        h.start()
        yield h
    finally:
        h.cleanup()
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
