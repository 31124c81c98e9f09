"""The authored text form and the notebook never drift; sources and releases validate."""
from __future__ import annotations

import hashlib

import nbformat
import pytest

from tito.authoring import text_form, testlint, validate
from tito.course_dir import CourseDir

from conftest import REPO, copy_course, tito

GOOD = '''# %% [markdown]
# # A module

# %% nbgrader={"grade": false, "grade_id": "impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def f():
    ### BEGIN SOLUTION
    return 1
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test-f", "locked": true, "points": 100, "schema_version": 3, "solution": false, "task": false}
assert f() == 1
### BEGIN HIDDEN TESTS
assert f() + 1 == 2
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("01_tensor");
'''


def problems_of(text: str) -> list[str]:
    return validate.validate_source(text_form.notebook_from_text(text), "01_tensor")


def test_a_good_notebook_has_no_problems():
    assert problems_of(GOOD) == []


@pytest.mark.parametrize("change, expected", [
    (('"grade_id": "test-f"', '"grade_id": "impl"'), "grade_id also used by cell 2"),
    (('"points": 100, ', ''), "graded cell without positive points"),
    (('"points": 100', '"points": 90'), "points add up to 90"),
    (("assert f() == 1\n", "assert f() == 1\n### BEGIN SOLUTION\n### END SOLUTION\n"), "solution markers inside a test cell"),
    (('"grade_id": "test-f", "locked": true', '"grade_id": "test-f", "locked": false'), "test cell is not locked"),
    (("    ### END SOLUTION\n", ""), "unbalanced or nested BEGIN/END SOLUTION"),
    (("### END HIDDEN TESTS\n", ""), "unbalanced or nested BEGIN/END HIDDEN TESTS"),
    (("    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n", "    return 1\n"),
     "solution cell without a ### BEGIN SOLUTION region"),
    (('export_module("01_tensor");', 'print("bye")'), 'the last cell must be a locked cell calling export_module("01_tensor")'),
    (("#| export\ndef f", "def f"), "no '#| export' cells"),
    (("assert f() == 1\n", "#| export\nassert f() == 1\n"), "test cells must not be exported"),
])
def test_each_rule_catches_its_problem(change, expected):
    problems = problems_of(GOOD.replace(*change))
    assert any(expected in p for p in problems), problems


OPENING = "# # A module\n#\n# **Expected time:** 2–3 hours. **Difficulty:** ★★★☆☆ (short code;\n# the care goes into edge cases).\n"


@pytest.mark.parametrize("opening, expected", [
    ("# # A module\n", ["does not state '**Expected time:** A–B hours.'", "does not state '**Difficulty:** ★★★☆☆'"]),
    (OPENING.replace("★★★☆☆", "★★★☆"), ["difficulty ★★★☆ is not on the course's scale"]),
    (OPENING.replace("★★★☆☆", "★★★☆☆☆"), ["difficulty ★★★☆☆☆ is not on the course's scale"]),
    (OPENING.replace("★★★☆☆", "☆★★★☆"), ["difficulty ☆★★★☆ is not on the course's scale"]),
    (OPENING.replace("2–3 hours", "about 3 hours"), ["does not state '**Expected time:** A–B hours.'"]),
    (OPENING.replace("**Expected time:** 2–3 hours. **Difficulty:** ★★★☆☆", "*Expected time: 2–3 hours. Difficulty: ★★★☆☆*"),
     ["does not state '**Expected time:**", "does not state '**Difficulty:**"]),
])
def test_the_opening_states_expected_time_and_five_star_difficulty(opening, expected):
    assert testlint.opening_problems(text_form.notebook_from_text(GOOD.replace("# # A module\n", OPENING))) == []
    problems = testlint.opening_problems(text_form.notebook_from_text(GOOD.replace("# # A module\n", opening)))
    assert len(problems) == len(expected) and all(e in p for e, p in zip(expected, problems)), problems


def test_check_fails_on_a_module_without_the_opening_line(tmp_path):
    root = copy_course(tmp_path / "course")
    py = root / "source" / "11_embeddings" / "11_embeddings.py"
    text = py.read_text()
    line = next(line for line in text.splitlines(keepends=True) if "**Expected time:**" in line)
    py.write_text(text.replace(line, "# ", 1))
    text_form.sync_to_notebook(py, py.with_suffix(".ipynb"))    # no drift: the opening is the only problem
    proc = tito("check", "11_embeddings", cwd=root, check=False)
    assert proc.returncode == 1, proc.stdout
    assert "11_embeddings: the opening does not state '**Expected time:** A–B hours.'" in proc.stdout
    assert "11_embeddings: the opening does not state '**Difficulty:** ★★★☆☆'" in proc.stdout
    assert "check: 2 problem(s)" in proc.stdout


def test_outputs_and_kernelspec_are_checked():
    nb = text_form.notebook_from_text(GOOD)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="hi")]
    nb.metadata.kernelspec.name = "julia"
    problems = validate.validate_source(nb, "01_tensor")
    assert any("outputs are not cleared" in p for p in problems)
    assert any("kernelspec must be python3" in p for p in problems)


def test_generated_notebook_is_deterministic_and_round_trips():
    first = text_form.notebook_json(text_form.notebook_from_text(GOOD))
    assert first == text_form.notebook_json(text_form.notebook_from_text(GOOD))
    nb = nbformat.reads(first, as_version=4)
    assert [c.id for c in nb.cells] == ["cell-000", "impl", "test-f", "export"]
    again = text_form.notebook_from_text(text_form.text_from_notebook(nb))
    assert text_form.notebook_json(again) == first


def test_real_modules_do_not_drift_and_validate(module_ids):
    assert module_ids[:2] == ["01_tensor", "02_activations"]
    cd = CourseDir(REPO)
    for m in module_ids:
        assert text_form.drift(cd.source_text(m), cd.source_notebook(m)) is None, m
    proc = tito("check", cwd=REPO)
    assert proc.stdout.strip().endswith("check: 0 problem(s)")


def test_drift_is_detected_and_build_repairs_it(tmp_path):
    root = copy_course(tmp_path / "course")
    py = root / "source" / "01_tensor" / "01_tensor.py"
    py.write_text(py.read_text().replace("# # ", "# # Edited: ", 1))
    proc = tito("check", "01_tensor", cwd=root, check=False)
    assert proc.returncode == 1 and "01_tensor.ipynb differs from 01_tensor.py" in proc.stdout
    tito("build", "01_tensor", cwd=root)
    assert tito("check", "01_tensor", cwd=root).returncode == 0


def digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_release_generation_is_deterministic(built_course, tmp_path):
    again = copy_course(tmp_path / "again")
    tito("build", cwd=again)
    assert digest(built_course / "release") == digest(again / "release")
    assert digest(built_course / "build" / "reference") == digest(again / "build" / "reference")
    committed = REPO / "release"
    assert digest(committed) == digest(again / "release"), "release/ is stale: run `tito build` and commit it"


def test_every_solution_region_has_a_stub_in_the_release(built_course, module_ids):
    cd = CourseDir(built_course)
    for m in module_ids:
        source = nbformat.read(cd.source_notebook(m), as_version=4)
        release = nbformat.read(cd.release_notebook(m), as_version=4)
        assert validate.validate_release(source, release, m) == []
        n_regions = sum(c.source.count(validate.BEGIN_SOLUTION) for c in source.cells if c.cell_type == "code")
        n_stubs = sum(c.source.count(validate.STUB) for c in release.cells if c.cell_type == "code")
        assert n_stubs >= n_regions > 0
