"""Every source notebook runs top to bottom with its solutions, and its own tests pass."""
from __future__ import annotations

import nbformat
import pytest

from tito.authoring.execution import run_source
from tito.course_dir import CourseDir

from conftest import REPO


def pytest_generate_tests(metafunc):
    if "module_id" in metafunc.fixturenames and metafunc.function.__name__ == "test_source_notebook_runs_with_solutions":
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


@pytest.mark.parametrize("earlier", ["01_tensor", "02_activations", "03_layers", "04_losses"])
def test_earlier_modules_tests_pass_with_autograd_active(built_course, earlier, tmp_path):
    """Every test cell of 01-04 (hidden ones included) against the reference exports as a later
    module sees them: with 05_autograd's extensions loaded by the runtime."""
    from tinytorch_runtime.export import is_export_cell
    from tito.authoring.execution import execute

    cd = CourseDir(built_course)
    if "05_autograd" not in cd.authored_modules():
        pytest.skip("05_autograd not authored yet")
    module_id = earlier
    name = cd.course.module(module_id).name
    nb = nbformat.read(cd.source_notebook(module_id), as_version=4)
    first = nbformat.v4.new_code_cell(
        f"import tinytorch.{name} as _exported\n"
        "globals().update({k: v for k, v in vars(_exported).items() if not k.startswith('__')})\n"
        "from tinytorch.tensor import Tensor\n"
        "assert hasattr(Tensor, 'backward'), 'autograd is not active'")
    nb.cells = [first] + [c for c in nb.cells if not is_export_cell(c) and "export_module(" not in c.source]
    path = tmp_path / module_id / f"{module_id}.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    env = {**cd.grading_env("06_optimizers"), "TINYTORCH_STORE": str(tmp_path / "store")}
    executed = execute(path, path.parent, env)
    graded = [c for c in executed.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert graded and all(not any(o.output_type == "error" for o in c.outputs) for c in graded)
