"""Scores that student code cannot forge (docs/grading.md).

Unit tests of the judge's parts, then a tampering cohort for 01_tensor and 05_autograd through the
real CLI, nbgrader and the sandbox: each class of generic tampering added to an untouched release
(score 0, flagged), to a partly correct submission (its untampered score, flagged) and to a correct
one (full marks, flagged), with untampered controls (not flagged).
"""
from __future__ import annotations

import csv
import io
import json

import nbformat
import numpy as np
import pytest
from nbgrader.api import Gradebook

from tinytorch_runtime import judging
from tinytorch_runtime.checks import CheckFailed, expect, expect_close, expect_meets, expect_raises
from tito import simulated_cohort
from tito.course_dir import CourseDir
from tito.grading import judge

from conftest import tito

# ------------------------------------------------------------------ the parts


def test_rewriting_removes_expected_values_from_what_the_student_process_runs():
    cell = judge.rewrite_cell("t", "y = f(3)\nexpect(y, 424242, 'f(3)')\n"
                                   "expect_close(y * 2, 848484.0, 'twice', rtol=1e-3, atol=0.5)\n"
                                   "with expect_raises(ValueError, 'bad input'):\n    f(-1)\n"
                                   "### BEGIN HIDDEN TESTS\nexpect(f(5), 777, 'f(5)')\n### END HIDDEN TESTS\n")
    assert "424242" not in cell.code and "848484" not in cell.code and "777" not in cell.code
    assert [c.kind for c in cell.checks.values()] == ["equal", "close", "raises", "equal"]
    assert cell.checks[1].rtol == 1e-3 and cell.checks[1].atol == 0.5
    assert cell.checks[2].exception == "ValueError"
    assert [c.hidden for c in cell.checks.values()] == [False, False, False, True]
    visible = judge.rewrite_cell("t", "expect(1, 1, 'a')\n### BEGIN HIDDEN TESTS\nexpect(2, 2, 'b')\n### END HIDDEN TESTS\n",
                                 visible_only=True)
    assert len(visible.checks) == 1


def test_statements_that_only_compute_expected_values_never_reach_the_student_process():
    cell = judge.rewrite_cell("t", "_x = np.ones(3)\n_before = _x.copy()\ndef _adam_reference(a):\n    return a * 2\n"
                                   "_want = _adam_reference(_x)\ny = step(_x)\nexpect(y, _want, 'one step')\n"
                                   "expect(_x, _before, 'input unchanged')\n")
    assert "_adam_reference" not in cell.code and "_before" not in cell.code and "_want" not in cell.code
    assert "_x = np.ones(3)" in cell.code and "y = step(_x)" in cell.code
    runs_only = judge.rewrite_cell("t", "_unused = step(-1)\nexpect(step(1), 2, 'one step')\n")
    assert "_unused = step(-1)" in runs_only.code  # a statement that only runs student code stays


def test_tolerances_must_be_literals():
    with pytest.raises(judge.AuthoringError, match="rtol must be a literal"):
        judge.rewrite_cell("t", "expect_close(a, b, 'x', rtol=tol)")


def test_only_plain_data_crosses_and_liars_compare_unequal():
    class Liar:
        def __eq__(self, other):
            return True

        shape = (2, 2)

    wire = json.loads(json.dumps(judging.encode([Liar(), np.float32(1.5), np.arange(3), (2, 3), np.dtype("float32")])))
    liar, scalar, arr, shape, dtype = judging.decode(wire)
    assert isinstance(liar, judging.Opaque) and not (liar == liar)
    assert scalar == np.float32(1.5) and arr.tolist() == [0, 1, 2] and shape == (2, 3) and dtype == np.float32
    with pytest.raises(judging.WireError):
        judging.decode({"a": "AAAA", "dtype": "object", "shape": [1]})
    with pytest.raises(judging.WireError):
        judging.decode({"a": "AAAAAAAAAAA=", "dtype": "int64", "shape": [5]})


def test_in_kernel_checks_show_what_the_code_returned():
    with pytest.raises(CheckFailed, match=r"your code returned: array of shape \(2,\)"):
        expect(np.array([1.0, 2.0]), [1.0, 3.0], "values")
    with pytest.raises(CheckFailed, match="largest difference"):
        expect_close(np.array([1.0, 2.0]), [1.0, 2.1], "values")
    with pytest.raises(CheckFailed, match="raised nothing"):
        with expect_raises(ValueError, "must raise"):
            pass
    expect(np.float32(2.0), 2.0, "scalars")
    expect((2, 3), (2, 3), "shapes")


def test_in_kernel_hidden_checks_never_show_the_expected_value(tmp_path):
    import linecache

    source = "### BEGIN HIDDEN TESTS\nexpect(41, 98765, 'hidden one')\n### END HIDDEN TESTS\n"
    name = str(tmp_path / "cell.py")
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    with pytest.raises(CheckFailed) as info:
        exec(compile(source, name, "exec"), {"expect": expect})
    assert "98765" not in str(info.value) and "41" not in str(info.value) and "hidden check" in str(info.value)


@pytest.fixture(scope="module")
def relu_course(built_course):
    cd = CourseDir(built_course)
    module = cd.course.module("02_activations")
    reference = (cd.reference_dir / "tinytorch" / "activations.py").read_text()
    cell = judge.rewrite_cell("test-x", "_y = ReLU()(Tensor([[-2.0, 3.0]]))\n"
                                        "expect(_y.data, [[0.0, 3.0]], 'relu')\n"
                                        "### BEGIN HIDDEN TESTS\nexpect(ReLU()(Tensor([-1.0])).data, [0.0], 'h')\n"
                                        "### END HIDDEN TESTS\n")
    env = cd.grading_env(module.id)
    expected = judge.reference_reports(module.name, reference, [cell], env)["test-x"]
    return module, reference, cell, env, expected


@pytest.mark.parametrize("attack", [
    # forge the report stream with the values the visible test shows
    "import os, json\nos.write(1, (json.dumps({'cell': 'test-x', 'observations': [[0, {'p': [[0.0, 3.0]]}]], "
    "'error': None}) + '\\n').encode())",
    # patch the comparison functions and builtins in the student's process
    "import numpy\nnumpy.array_equal = lambda *a, **k: True\nnumpy.allclose = lambda *a, **k: True\n"
    "import builtins\nbuiltins.isinstance = lambda *a: True",
    # return an object equal to everything
    "class _Any:\n    def __eq__(self, o): return True\n    data = property(lambda self: self)\n"
    "ReLU.forward = lambda self, x: _Any()",
    # end the process before the cells report
    "import os\nos._exit(0)",
])
def test_generic_tampering_in_the_module_does_not_pass(relu_course, attack):
    module, reference, cell, env, expected = relu_course
    wrong = reference.replace("np.maximum(x.data, 0)", "x.data * 0 + 1")
    assert wrong != reference
    reports = judge.run_cells(module.name, wrong + "\n" + attack + "\n", [cell], env)
    assert not judge.compare(cell, reports, expected).passed


def test_a_check_of_an_object_is_an_authoring_error(relu_course):
    module, reference, _, env, _ = relu_course
    cell = judge.rewrite_cell("test-obj", "expect(ReLU(), None, 'an object')\n")
    with pytest.raises(judge.AuthoringError, match="not plain data"):
        judge.reference_reports(module.name, reference, [cell], env)


@pytest.mark.parametrize("own", [False, True])
def test_the_reference_never_runs_student_code_outside_the_sandbox(monkeypatch, own):
    """Under the 'own' prerequisites policy the reference imports the student's earlier exports (student
    code): it runs in the student's sandbox. Under 'reference' it gets no student store at all."""
    runs = []
    monkeypatch.setattr(judge, "run_cells", lambda name, source, cells, env, policy=None, **k:
                        runs.append((source, env, policy)) or judge.Reports())
    monkeypatch.setattr(judge, "render_module", lambda *a, **k: type("M", (), {"text": "student"})())
    monkeypatch.setattr(judge, "judge_criteria", lambda *a, **k: None)
    judge._REFERENCE_CACHE.clear()
    env = {"TINYTORCH_MODE": "grading", "TINYTORCH_STORE": "/graded/ada/.tinytorch"}
    sandbox = object()
    judge.judge_notebook(nbformat.v4.new_notebook(), type("Module", (), {"id": "02_x", "name": "x"})(),
                         "reference", env, policy=sandbox, own_prerequisites=own)
    (_, ref_env, ref_policy), (_, student_env, student_policy) = runs
    assert student_policy is sandbox and student_env == env
    assert (ref_policy is sandbox) == own and ("TINYTORCH_STORE" in ref_env) == own


def test_the_reference_passes_its_own_judged_cell(relu_course):
    module, reference, cell, env, expected = relu_course
    assert judge.compare(cell, judge.run_cells(module.name, reference, [cell], env), expected).passed


def test_tamper_signs_name_the_hooks():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("ip = get_ipython()\nip.set_custom_exc((Exception,), h)"),
                                         nbformat.v4.new_code_cell("x = np.ones(3)\nnp.allclose = lambda *a: True")])
    signs = judge.tamper_signs(nb)
    assert any("exception handling in cell 1" in s for s in signs) and any("numpy in cell 2" in s for s in signs)
    assert judge.tamper_signs(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("y = np.maximum(x, 0)")])) == []
    given = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("from tinytorch_runtime.timing import measure")])
    handed_out = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("from tinytorch_runtime.timing import measure")])
    assert judge.tamper_signs(handed_out, given) == [] and judge.tamper_signs(handed_out) != []


# ------------------------------------------------------------------ the tampering cohort

TAMPERING = {
    # every later cell is replaced by `pass` before it runs
    "input": "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])",
    # every statement of every later cell wrapped in try/except
    "ast": ("import ast\nclass _Wrap(ast.NodeTransformer):\n    def visit_Module(self, node):\n"
            "        node.body = [ast.Try(body=[s], handlers=[ast.ExceptHandler(type=None, name=None, body=[ast.Pass()])],"
            " orelse=[], finalbody=[]) for s in node.body]\n        return node\n"
            "get_ipython().ast_transformers.append(_Wrap())"),
    # errors swallowed: no error output reaches nbgrader
    "exc": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
    # the comparison functions tests call are patched
    "numpy": ("import numpy, numpy.testing\nnumpy.allclose = lambda *a, **k: True\nnumpy.array_equal = lambda *a, **k: True\n"
              "numpy.testing.assert_allclose = lambda *a, **k: None\nimport tinytorch_runtime.checks as _c\n"
              "_c.same = _c.close = lambda *a, **k: True"),
}
MODULES = {"01_tensor": "tensor-matmul", "05_autograd": "matmul"}


def _insert_after_setup(nb, code: str):
    nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    setup = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(code))
    return nb


@pytest.fixture(scope="module")
def tampered(built_course):
    cd = CourseDir(built_course)
    students = {}
    for module_id, step in MODULES.items():
        source = nbformat.read(cd.source_notebook(module_id), as_version=4)
        release = nbformat.read(cd.release_notebook(module_id), as_version=4)
        bases = {"untouched": simulated_cohort.Profile("untouched", solve=False),
                 "partial": simulated_cohort.Profile("partial", leave_stubs=(step,)),
                 "correct": simulated_cohort.Profile("correct")}
        made = {b: simulated_cohort.make_notebook(source, release, p) for b, p in bases.items()}
        for base, nb in made.items():
            name = f"tj{module_id[:2]}-{base}"
            simulated_cohort.write_submission(built_course, name, module_id, nb)
            students[name] = (module_id, base, None)
            attacks = TAMPERING if base != "correct" else {"numpy": TAMPERING["numpy"]}
            for attack, code in attacks.items():
                name = f"tj{module_id[:2]}-{base}-{attack}"
                simulated_cohort.write_submission(built_course, name, module_id, _insert_after_setup(nb, code))
                students[name] = (module_id, base, attack)
    runs = {m: tito("autograde", m, "--jobs", "2", "--no-progress", "--force",
                    *[a for s, (mm, _, _) in students.items() if mm == m for a in ("--student", s)], cwd=built_course)
            for m in MODULES}
    return cd, students, runs


def _score(cd, module_id, student) -> float:
    with Gradebook(f"sqlite:///{cd.gradebook}", "tinytorch") as gb:
        return gb.find_submission(module_id, student).score


def _flags(cd, module_id, student) -> list[str]:
    return json.loads(judge.judge_record_path(cd, module_id, student).read_text())["flags"]


def test_tampering_never_raises_a_score(tampered):
    cd, students, runs = tampered
    table = {s: _score(cd, m, s) for s, (m, _, _) in students.items()}
    for student, (module_id, base, attack) in students.items():
        untampered = table[f"tj{module_id[:2]}-{base}"]
        assert table[student] == pytest.approx(untampered), (student, table, runs[module_id].stdout)
    for module_id in MODULES:
        assert table[f"tj{module_id[:2]}-untouched"] == 0
        assert 0 < table[f"tj{module_id[:2]}-partial"] < table[f"tj{module_id[:2]}-correct"]


def test_tampering_is_flagged_and_honest_work_is_not(tampered):
    cd, students, _ = tampered
    for student, (module_id, _, attack) in students.items():
        flags = _flags(cd, module_id, student)
        assert bool(flags) == (attack is not None), (student, flags)
    # the attacks are real: plain nbgrader's in-kernel verdict would have given these points
    for module_id in MODULES:
        for attack in ("input", "ast"):
            flags = _flags(cd, module_id, f"tj{module_id[:2]}-untouched-{attack}")
            assert any("passed in the notebook but failed when judged" in f for f in flags), (attack, flags)
    with Gradebook(f"sqlite:///{cd.gradebook}", "tinytorch") as gb:
        flagged = {s for s, (m, _, _) in students.items() if gb.find_submission_notebook(m, m, s).flagged}
    assert flagged == {s for s, (_, _, a) in students.items() if a is not None}


def test_flags_reach_the_outcome_line_and_the_exports(tampered, tmp_path):
    cd, students, runs = tampered
    for student, (module_id, _, attack) in students.items():
        line = next(line for line in runs[module_id].stdout.splitlines() if f" {student} " in line)
        assert ("integrity:" in line) == (attack is not None), line
    tito("grades", "--out", str(tmp_path), cwd=cd.root)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "grades_lms.csv").read_text())))
    by_student = {r["student_id"]: r for r in rows}
    for student, (_, _, attack) in students.items():
        assert bool(by_student[student]["integrity"]) == (attack is not None), by_student[student]


# ------------------------------------------------------------------ criteria: expect_meets (20_capstone)

def _meets_namespace():
    def _criterion_small(data, limit):
        total = float(np.sum(data))
        return {"passed": total <= limit, "summary": f"sum {total:g} (limit {limit})"}

    return {"np": np, "expect_meets": expect_meets, "_criterion_small": _criterion_small}


def test_in_kernel_expect_meets_shows_the_criterions_figures_but_never_for_hidden_checks(tmp_path):
    import linecache

    namespace = _meets_namespace()
    exec("expect_meets(np.ones(3), 'small', 'a small sum', limit=5)", namespace)
    with pytest.raises(CheckFailed, match=r"measured: sum 3 \(limit 2\)"):
        exec("expect_meets(np.ones(3), 'small', 'a small sum', limit=2)", namespace)
    with pytest.raises(CheckFailed, match="could not be evaluated: TypeError"):
        exec("class Liar:\n    def __eq__(self, o): return True\nexpect_meets(Liar(), 'small', 'x', limit=2)", namespace)
    with pytest.raises(CheckFailed, match="too large"):
        exec("expect_meets(np.zeros(300_000), 'small', 'x', limit=2)", namespace)
    source = "### BEGIN HIDDEN TESTS\nexpect_meets(np.full(3, 41.0), 'small', 'hidden one', limit=2)\n### END HIDDEN TESTS\n"
    name = str(tmp_path / "cell.py")
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    with pytest.raises(CheckFailed) as info:
        exec(compile(source, name, "exec"), namespace)
    assert "hidden check" in str(info.value) and "123" not in str(info.value) and "limit" not in str(info.value)


def test_expect_meets_is_rewritten_to_a_report_with_literal_parameters():
    cell = judge.rewrite_cell("t", "expect_meets(model_data(m), 'capstone_budget', 'w', seed=3, sizes=[4, 2])\n")
    check = cell.checks[0]
    assert (check.kind, check.criterion, check.params) == ("meets", "capstone_budget", {"seed": 3, "sizes": [4, 2]})
    assert "__tt_observe__(0, model_data(m))" in cell.code and "capstone_budget" not in cell.code
    with pytest.raises(judge.AuthoringError, match="literal"):
        judge.rewrite_cell("t", "expect_meets(x, name, 'w')\n")
    with pytest.raises(judge.AuthoringError, match="literal"):
        judge.rewrite_cell("t", "expect_meets(x, 'c', 'w', seed=s)\n")


CAPSTONE = "20_capstone"
REFERENCE_RECIPE = None  # the source notebook's own solution
HONEST_OTHER_RECIPE = '''return [("remove half", lambda model: remove_neurons(model, 0.5)),
        ("fine-tune 3 epochs", lambda model: fit(model, train_x, train_y, epochs=3, lr=2e-3, seed=2)),
        ("int8", lambda model: quantize_model(model, [train_x[:256]]))]
'''
# the judge must run the reference's criterion, never the one in the student's module
REBINDS_THE_CRITERION = '''globals()["_criterion_capstone_budget"] = lambda *a, **k: {"passed": True, "summary": "forged"}
return [("int8 weights", lambda model: quantize_model(model, [train_x[:500]]))]
'''


def _capstone_forgeries() -> dict[str, str]:
    import yaml
    from conftest import REPO

    entries = yaml.safe_load((REPO / "source" / CAPSTONE / "mistakes.yml").read_text())
    forgeries = {e["mistake"]: e["replace"] for e in entries if e["mistake"].startswith("forgery:")}
    assert len(forgeries) >= 4, forgeries
    return forgeries


@pytest.fixture(scope="module")
def capstone_verdicts(built_course):
    """test-integration of 20_capstone judged for honest recipes and forgeries (recipe name -> Verdict)."""
    from concurrent.futures import ThreadPoolExecutor

    from tinytorch_runtime.export import render_module
    from tito.authoring import mistakes

    cd = CourseDir(built_course)
    module = cd.course.module(CAPSTONE)
    nb = nbformat.read(cd.source_notebook(CAPSTONE), as_version=4)
    source = next(c.source for c in judge.graded_test_cells(nb) if c.metadata["nbgrader"]["grade_id"] == "test-integration")
    cell = judge.rewrite_cell("test-integration", source)
    env = cd.grading_env(CAPSTONE)
    reference = (cd.reference_dir / "tinytorch" / "capstone.py").read_text()
    expected = judge.reference_reports(module.name, reference, [cell], env)["test-integration"]
    recipes = {"reference": REFERENCE_RECIPE, "honest, unlike the reference": HONEST_OTHER_RECIPE,
               "rebinds the criterion": REBINDS_THE_CRITERION, **_capstone_forgeries()}

    def verdict(replace):
        student = nb if replace is None else mistakes.apply_mistake(nb, {"step": "capstone-steps", "replace": replace})
        reports = judge.run_cells(module.name, render_module(student, module, f"{CAPSTONE}.ipynb").text, [cell], env,
                                  timeout=120)
        judge.judge_criteria(module.name, reference, [cell], reports, env, timeout=120)
        return judge.compare(cell, reports, expected)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(recipes, pool.map(verdict, recipes.values())))


def test_honest_capstone_recipes_earn_the_integration_points(capstone_verdicts):
    for recipe in ("reference", "honest, unlike the reference"):
        assert capstone_verdicts[recipe].passed, (recipe, capstone_verdicts[recipe].reason)


def test_capstone_forgeries_earn_nothing_when_judged(capstone_verdicts):
    """A layer that lies about its bytes, rebinding model_bytes / accuracy / the criterion in the module,
    a model that reads the test labels: the reference's criterion re-measures the arrays elsewhere."""
    forged = {r: v for r, v in capstone_verdicts.items() if r.startswith("forgery:") or r == "rebinds the criterion"}
    assert len(forged) >= 5
    for recipe, verdict in forged.items():
        assert not verdict.passed, recipe
        assert "measured:" in verdict.reason or "could not be evaluated" in verdict.reason, (recipe, verdict.reason)
    assert "forged" not in capstone_verdicts["rebinds the criterion"].reason


MALFORMED = {
    "wrong shapes": "[{'type': 'Linear', 'weight': np.zeros((63, 10), np.float32), 'bias': None}]",
    "wrong dtypes": "[{'type': 'Linear', 'weight': np.zeros((64, 10), np.float64), 'bias': np.zeros(10, np.float32)}]",
    "unknown layer": "[{'type': 'Oracle'}]",
    "an object": "[object()]",
    "not a list": "'a model'",
    "extra fields": "[{'type': 'ReLU', 'hidden_state': np.ones(3)}]",
    "huge arrays": "[{'type': 'Linear', 'weight': np.ones((2048, 1024), np.float32), 'bias': None}]",
}


def test_malformed_model_data_fails_its_check_without_crashing_the_judge(built_course):
    cd = CourseDir(built_course)
    module = cd.course.module(CAPSTONE)
    reference = (cd.reference_dir / "tinytorch" / "capstone.py").read_text()
    cells = [judge.rewrite_cell(f"bad-{i}", f"expect_meets({data}, 'capstone_budget', 'the model', seed=3, "
                                            f"sizes=[64, 128, 64, 10])\n")
             for i, data in enumerate(MALFORMED.values())]
    cells.append(judge.rewrite_cell("bad-hidden", "### BEGIN HIDDEN TESTS\nexpect_meets([{'type': 'Linear', 'weight': "
                                                  "np.full((64, 10), 7.0, np.float32), 'bias': None}], 'capstone_budget', "
                                                  "'h', seed=3, sizes=[64, 128, 64, 10])\n### END HIDDEN TESTS\n"))
    env = cd.grading_env(CAPSTONE)
    reports = judge.run_cells(module.name, reference, cells, env, timeout=120)
    judge.judge_criteria(module.name, reference, cells, reports, env, timeout=120)
    verdicts = {c.grade_id: judge.compare(c, reports, {"observations": [[0, {"p": None}]], "error": None}) for c in cells}
    for (case, _), cell in zip(MALFORMED.items(), cells):
        verdict = verdicts[cell.grade_id]
        assert not verdict.passed and "could not be evaluated" in verdict.reason, (case, verdict.reason)
    assert "TooLarge" in verdicts["bad-6"].reason, verdicts["bad-6"].reason
    hidden = verdicts["bad-hidden"].reason
    assert not verdicts["bad-hidden"].passed and "(hidden check) not met" in hidden and "bytes" not in hidden, hidden
