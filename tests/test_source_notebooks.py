"""Every source notebook runs top to bottom with its solutions, and its own tests pass."""
from __future__ import annotations

import nbformat
import pytest

from tito.course_dir import CourseDir
from tito.execution import run_source

from conftest import REPO


def pytest_generate_tests(metafunc):
    if "module_id" in metafunc.fixturenames:
        metafunc.parametrize("module_id", CourseDir(REPO).authored_modules())


def test_source_notebook_runs_with_solutions(built_course, module_id, tmp_path):
    executed = tmp_path / "executed.ipynb"
    seconds = run_source(CourseDir(built_course), module_id, keep=executed)
    nb = nbformat.read(executed, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    export_lines = [o.text for o in nb.cells[-1].outputs if o.output_type == "stream"]
    assert export_lines and export_lines[0].startswith(f"✅ {module_id}: exported"), export_lines
    plots = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert plots, f"{module_id} has no plot in its systems analysis"
    assert seconds < 60, f"{module_id} took {seconds:.0f} s; autograding must take seconds"


def test_a_broken_solution_is_reported_with_the_cell(built_course, tmp_path):
    from tito.course_dir import CourseError

    cd = CourseDir(built_course)
    broken = tmp_path / "course"
    import shutil

    shutil.copytree(built_course, broken, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback"))
    nb_path = broken / "source" / "01_tensor" / "01_tensor.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    target = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "tensor-matmul")
    target.source = target.source.replace("### BEGIN SOLUTION", "### BEGIN SOLUTION\n        raise ValueError('oops')")
    nbformat.write(nb, nb_path)
    with pytest.raises(CourseError, match="01_tensor does not run with its solutions"):
        run_source(CourseDir(broken), "01_tensor")
    assert cd.source_notebook("01_tensor").is_file()
