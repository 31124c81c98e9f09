"""A simulated cohort through the real CLI and nbgrader: build, autograde, feedback, grades.

The expected scores are derived from the notebooks' own points and, for the partly
correct students, from which tests exercise the step they left out (read off the
notebooks by a person and written down here), never from a grading run.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re

import nbformat
import pytest
from nbgrader.api import Gradebook

from tito import simulated_cohort
from tito.authoring import validate
from tito.course_dir import CourseDir
from tito.grading import judge

from conftest import tito

# For each module: the solution step the partial students leave out, and every test that
# exercises that step (directly or through later steps that call it).
PARTIAL = {
    "01_tensor": ("tensor-matmul", {"test-matmul", "test-matmul-batched", "test-integration"}),
    "02_activations": ("softmax", {"test-softmax", "test-softmax-stable", "test-softmax-dims", "test-integration"}),
    "03_layers": ("dropout", {"test-dropout", "test-integration"}),
    "04_losses": ("mse", {"test-mse", "test-mse-shapes", "test-integration"}),
    "05_autograd": ("matmul", {"test-matmul", "test-integration"}),
    "06_optimizers": ("state-dict", {"test-state-dict", "test-state-dict-errors", "test-integration"}),
    "07_training": ("evaluate", {"test-evaluate", "test-evaluate-mode", "test-integration"}),
    "08_dataloader": ("dataloader-iter", {"test-dataloader-iter", "test-dataloader-shuffle", "test-dataloader-general",
                                          "test-integration"}),
    "09_spatial": ("batchnorm", {"test-batchnorm", "test-integration"}),
    "10_tokenization": ("bpe-encode", {"test-bpe-encode", "test-special-tokens", "test-integration"}),
    "11_embeddings": ("embedding", {"test-embedding", "test-integration"}),
    "12_attention": ("sdpa", {"test-sdpa", "test-mha", "test-integration"}),
    "13_transformers": ("tinygpt", {"test-tinygpt", "test-generate", "test-integration"}),
    "15_quantization": ("quantized-forward", {"test-quantized-forward", "test-quantize-model", "test-integration"}),
    "14_profiling": ("profile-model", {"test-profile-model", "test-integration"}),
    "19_benchmarking": ("leaderboard", {"test-leaderboard", "test-integration"}),
    "18_acceleration": ("softmax-fused", {"test-softmax-fused", "test-integration"}),
    "16_compression": ("masked-optimizer", {"test-masked-optimizer", "test-integration"}),
    "17_memoization": ("forward-cached", {"test-forward-cached", "test-generate-cached", "test-integration"}),
    "20_capstone": ("check-budget", {"test-check-budget", "test-capstone-report", "test-integration"}),
}


def profiles(module_id: str, source_nb):
    step, _ = PARTIAL[module_id]
    tests = list(simulated_cohort.test_cells_of(source_nb))
    return {
        "correct": simulated_cohort.Profile("correct"),
        "untouched": simulated_cohort.Profile("untouched", solve=False),
        "partial": simulated_cohort.Profile("partial", leave_stubs=(step,)),
        "syntax": simulated_cohort.Profile("syntax", syntax_error_in=(step,)),
        # leaves the step out and replaces every locked test with `pass`: checksums restore them
        "tampered": simulated_cohort.Profile("tampered", leave_stubs=(step,), tamper={t: "pass" for t in tests}),
        "deleted": simulated_cohort.Profile("deleted", delete=(tests[-1],)),
    }


def expected_scores(module_id: str, source_nb) -> dict[str, float]:
    points = simulated_cohort.test_cells_of(source_nb)
    full = sum(points.values())
    _, failing = PARTIAL[module_id]
    assert failing <= set(points), f"unknown tests in PARTIAL: {failing - set(points)}"
    partial = full - sum(points[t] for t in failing)
    return {"correct": full, "untouched": 0.0, "partial": partial, "syntax": partial,
            "tampered": partial, "deleted": full - points[list(points)[-1]]}


@pytest.fixture(scope="module")
def graded(built_course, module_ids):
    """Write the cohort for every module, autograde all modules in one batch with 2 workers (as a TA
    grading a term would), generate feedback."""
    cd = CourseDir(built_course)
    sources = {}
    for m in module_ids:
        source = nbformat.read(cd.source_notebook(m), as_version=4)
        release = nbformat.read(cd.release_notebook(m), as_version=4)
        sources[m] = source
        for student, profile in profiles(m, source).items():
            nb = simulated_cohort.make_notebook(source, release, profile)
            simulated_cohort.write_submission(built_course, f"{m[:2]}-{student}", m, nb)
    run = tito("autograde", *module_ids, "--jobs", "2", "--no-progress", cwd=built_course)
    for m in module_ids:
        tito("feedback", m, cwd=built_course)
    return cd, sources, run


def test_autograde_scores_every_student_as_expected(graded, module_ids):
    cd, sources, run = graded
    with Gradebook(f"sqlite:///{cd.gradebook}", "tinytorch") as gb:
        for m in module_ids:
            want = expected_scores(m, sources[m])
            got = {s: gb.find_submission(m, f"{m[:2]}-{s}").score for s in want}
            assert got == pytest.approx(want), (m, got, want, run.stdout)
            assert f"{m}: 6 submissions: 6 graded;" in run.stdout, run.stdout


def test_reflections_wait_for_a_person_and_count_once_graded(graded, module_ids):
    cd, sources, _ = graded
    with Gradebook(f"sqlite:///{cd.gradebook}", "tinytorch") as gb:
        for m in module_ids:
            sub = gb.find_submission(m, f"{m[:2]}-correct")
            assert sub.needs_manual_grade and sub.max_score == 100
            manual = [g for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "markdown"]
            assert manual and all(g.auto_score is None for g in manual)


def test_resume_skips_what_is_graded_and_force_regrades(graded):
    cd, _, _ = graded
    again = tito("autograde", "01_tensor", "--no-progress", cwd=cd.root)
    assert "6 submissions: 6 skipped" in again.stdout, again.stdout
    forced = tito("autograde", "01_tensor", "--student", "01-partial", "--force", "--no-progress", cwd=cd.root)
    assert "1 submissions: 1 graded" in forced.stdout


def test_grade_exports_match_the_expected_table(graded, module_ids, tmp_path):
    cd, sources, _ = graded
    # a TA grades the correct students' reflections in full (what formgrader does)
    with Gradebook(f"sqlite:///{cd.gradebook}", "tinytorch") as gb:
        for m in module_ids:
            sub = gb.find_submission(m, f"{m[:2]}-correct")
            for nb in sub.notebooks:
                for g in nb.grades:
                    if g.cell.cell_type == "markdown":
                        g.manual_score = g.max_score
            gb.db.commit()
    tito("grades", "--out", str(tmp_path), cwd=cd.root)

    expected = {}
    for m in module_ids:
        scores = expected_scores(m, sources[m])
        scores["correct"] = 100.0
        for student, score in scores.items():
            expected[(m, f"{m[:2]}-{student}")] = score
    students = sorted({s for _, s in expected})

    rows = list(csv.DictReader(io.StringIO((tmp_path / "grades.csv").read_text())))
    got = {(r["assignment"], r["student_id"]): (float(r["score"]), float(r["max_score"])) for r in rows}
    assert got == {(m, s): (expected.get((m, s), 0.0), 100.0) for m in module_ids for s in students}

    lms = list(csv.reader(io.StringIO((tmp_path / "grades_lms.csv").read_text())))
    assert lms[0] == ["student_id", "last_name", "first_name", "email", "lms_user_id"] + [
        f"{m} (100)" for m in module_ids] + ["total", "max_total", "percent", "notes", "integrity"]
    want_rows = []
    for s in students:
        per_module = [expected.get((m, s), 0.0) for m in module_ids]
        total = sum(per_module)
        want_rows.append([s, "", "", "", ""] + [f"{x:g}" for x in per_module]
                         + [f"{total:g}", f"{100 * len(module_ids)}", f"{100 * total / (100 * len(module_ids)):.1f}"])
    assert [row[:-2] for row in lms[1:]] == want_rows
    flagged = {row[0] for row in lms[1:] if row[-1]}
    assert flagged == {s for s in students if s.endswith("-tampered")}, "honest work flagged or tampering missed"


def test_feedback_for_everyone_without_hidden_tests(graded, module_ids):
    cd, sources, _ = graded
    for m in module_ids:
        hidden = validate.hidden_test_bodies(sources[m])
        solution = validate.solution_bodies(sources[m])
        visible = _visible_test_lines(sources[m])
        for student in profiles(m, sources[m]):
            text = _html_text(cd.root / "feedback" / f"{m[:2]}-{student}" / m / f"{m}.html")
            assert "HIDDEN TESTS" not in text
            # the check can see code: the visible tests are there
            assert sum(line in text for line in visible) > len(visible) // 2, f"{m}/{student}"
            leaked = [line for line in hidden if line in text]
            assert not leaked, f"{m}/{student}: hidden test lines in feedback: {leaked[:3]}"
            if student == "untouched":
                assert not [line for line in solution if line in text]


def test_checksum_warnings_only_for_tampered_cells(graded, module_ids):
    """nbgrader's "checksum ... has changed!" (and the integrity flag) for the tampered students' test
    cells only: everyone else's test cells get their hidden tests back without a false alarm."""
    cd, sources, _ = graded
    for m in module_ids:
        tests = set(simulated_cohort.test_cells_of(sources[m]))
        for student in profiles(m, sources[m]):
            name = f"{m[:2]}-{student}"
            log = (cd.work_dir / "logs" / m / f"{name}.log").read_text()
            warned = set(re.findall(r"Attribute 'checksum' for cell (\S+) has changed", log))
            flags = json.loads(judge.judge_record_path(cd, m, name).read_text())["flags"]
            restored = [f for f in flags if "restored before grading" in f]
            if student == "tampered":
                assert warned == tests, (m, tests - warned)
                assert len(restored) == 1 and all(f"{t} (checksum)" in restored[0] for t in tests), (m, flags)
            else:
                assert not warned and not restored, (m, student, warned, restored)


def test_feedback_says_awaiting_grading_until_a_person_grades(graded, module_ids):
    cd, sources, _ = graded
    for m in module_ids:
        correct = _html_text(cd.root / "feedback" / f"{m[:2]}-correct" / m / f"{m}.html")
        awaiting = re.findall(r"Written response \(awaiting grading, [\d.]+ points\)", correct)
        assert awaiting and "Written response (Score" not in correct, m
        assert re.search(r"\(Score: [\d.]+ / 100\.0; [\d.]+ points awaiting grading\)", correct), m
        # answers left as released are scored 0 by nbgrader itself: nothing waits for a person
        untouched = _html_text(cd.root / "feedback" / f"{m[:2]}-untouched" / m / f"{m}.html")
        assert "awaiting grading" not in untouched and "Written response (Score: 0.0" in untouched, m


def test_generate_feedback_prints_no_config_warning(graded):
    """What formgrader's Generate Feedback shows: nbgrader's own command, on one graded notebook."""
    import subprocess
    import sys

    cd, _, _ = graded
    run = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", "01_tensor", "--student",
                          "01-untouched", "--force"], cwd=cd.root, capture_output=True, text=True)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "not recognized" not in output and "Config option" not in output, output


def _html_text(path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def _visible_test_lines(nb) -> list[str]:
    lines = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            head = cell.source.split(validate.BEGIN_HIDDEN)[0]
            lines += [ln.strip() for ln in head.splitlines() if len(ln.strip()) > 12 and not ln.strip().startswith("#")]
    return lines


def test_cohort_report_matches_the_gradebook(graded, module_ids, tmp_path):
    """`tito report` on this cohort (the checks live in tests/test_report.py): every figure as the
    gradebook holds it, test cells described from the release, no hidden test or solution on the page."""
    import datetime as dt

    from test_report import check_report_matches_gradebook, check_summary

    cd, sources, _ = graded
    as_of = dt.datetime(2027, 3, 1, tzinfo=dt.timezone.utc)  # after course.yml's deadlines: missing counts
    out = tmp_path / "report.html"
    run = tito("report", "--out", str(out), "--as-of", as_of.isoformat(), cwd=cd.root)
    want = check_report_matches_gradebook(cd, out.read_text(), as_of)
    check_summary(run.stdout, want)
    assert set(module_ids) <= set(want["modules"]) and want["at_risk"]
    text = _html_text(out)
    for m in module_ids:
        assert not [line for line in validate.hidden_test_bodies(sources[m]) if line in text], m
        assert not [line for line in validate.solution_bodies(sources[m]) if line in text], m
