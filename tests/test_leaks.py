"""Nothing instructor-only reaches release/: no solutions, hidden tests, authoring files or references."""
from __future__ import annotations

import nbformat

from tito.authoring import validate
from tito.course_dir import CourseDir

from conftest import REPO

INSTRUCTOR_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def release_files(root):
    return sorted(p for p in (root / "release").rglob("*") if p.is_file())


def test_release_holds_only_the_student_notebooks(built_course, module_ids):
    names = [p.relative_to(built_course / "release").as_posix() for p in release_files(built_course)]
    assert names == [f"{m}/{m}.ipynb" for m in module_ids]


def test_no_marker_solution_line_or_hidden_test_line_in_any_release(built_course, module_ids):
    cd = CourseDir(built_course)
    for root in (built_course, REPO):  # the fresh build and the committed release/
        for m in module_ids:
            source = nbformat.read(cd.source_notebook(m), as_version=4)
            text = (root / "release" / m / f"{m}.ipynb").read_text()
            for marker in INSTRUCTOR_MARKERS:
                assert marker not in text, f"{m}: '{marker}' in release"
            released = nbformat.reads(text, as_version=4)
            released_lines = {line.strip() for c in released.cells for line in c.source.splitlines()}
            hidden = set(validate.hidden_test_bodies(source))
            assert hidden, f"{m} has no hidden tests"
            assert not hidden & released_lines, f"{m}: hidden test lines in release: {hidden & released_lines}"
            solution = validate.solution_bodies(source)
            assert solution, f"{m} has no solution lines"
            leaked = [line for line in solution if line in released_lines]
            assert not leaked, f"{m}: solution lines in release: {leaked[:5]}"


def test_reference_implementations_are_not_in_release(built_course, module_ids):
    course = CourseDir(built_course).course
    refs = [built_course / "build" / "reference" / "tinytorch" / f"{course.module(m).name}.py" for m in module_ids]
    assert all(r.is_file() for r in refs)
    release_text = "\n".join(p.read_text() for p in release_files(built_course))
    for ref in refs:
        assert "instructor reference" in ref.read_text()
        assert "instructor reference" not in release_text


def test_nbgrader_ignores_the_authoring_files():
    """The jupytext .py and the mistake catalogue next to each source notebook match
    CourseDirectory.ignore, so neither
    generate_assignment nor autograde copies it (autograde copies non-notebook source files)."""
    from nbgrader.utils import is_ignored
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    ignore = cfg.CourseDirectory.ignore
    authoring = sorted((REPO / "source").glob("*/*.py")) + sorted((REPO / "source").glob("*/mistakes.yml"))
    assert any(p.name == "mistakes.yml" for p in authoring)
    for path in authoring:
        assert is_ignored(str(path), ignore), path


def test_feedback_preprocessor_removes_hidden_tests_and_their_tracebacks():
    from tito.grading.feedback import HideHiddenTests

    cell = nbformat.v4.new_code_cell(
        "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(10**6) == 2 * 10**6, 'big inputs'\n### END HIDDEN TESTS")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1, "locked": True, "solution": False}
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="big inputs", traceback=[
        "----> 3 assert f(10**6) == 2 * 10**6, 'big inputs'", "AssertionError: big inputs"])]
    visible = nbformat.v4.new_code_cell("print(1)")
    visible.outputs = [nbformat.v4.new_output("error", ename="NameError", evalue="x", traceback=["----> 1 print(x)"])]
    nb = nbformat.v4.new_notebook(cells=[cell, visible])
    nb, _ = HideHiddenTests().preprocess(nb, {})
    assert nb.cells[0].source == "assert f(1) == 2"
    assert nb.cells[0].outputs[0].traceback == ["AssertionError: big inputs"]
    assert nb.cells[1].outputs[0].traceback == ["----> 1 print(x)"]  # no hidden tests: full traceback kept
