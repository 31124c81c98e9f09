"""`tito report` against what the gradebook holds, computed here independently through nbgrader's
own API (SubmittedAssignment.code_score, Grade.auto_score, SubmittedNotebook.flagged, ...).

Two cohorts: a small synthetic one written through nbgrader's API (benchmarks/report_scale.py's
writer: late submissions, an extension, missing and failing students, flags, names with markup),
checked here in seconds; and the graded e2e cohort (tests/test_e2e_grading.py calls
`check_report_matches_gradebook` on its `graded` fixture, so no cohort is graded twice).
The page in a real browser through the hub: tests/test_hub_browser.py.
"""
from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import json
import re
import statistics
from html.parser import HTMLParser
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from tito.course_dir import CourseDir
from tito.reporting.report import HARDEST_SHOWN, describe_test

from conftest import REPO, tito

UTC = dt.timezone.utc
MODULES = ["01_tensor", "02_activations", "03_layers"]


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("report_scale", REPO / "benchmarks" / "report_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- reading the page

class Page(HTMLParser):
    """The page's tables (by id, rows of cell texts) and images (by id, src)."""

    def __init__(self, text: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: dict[str, str] = {}
        self._table = self._row = self._cell = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.images[attrs.get("id")] = attrs["src"]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def rows(self, table_id: str) -> list[dict[str, str]]:
        if table_id not in self.tables:
            return []
        header, *body = self.tables[table_id]
        return [dict(zip(header, row)) for row in body]


# ----------------------------------------------------------------------------- the expected figures

def expected_from_gradebook(cd: CourseDir, as_of: dt.datetime) -> dict:
    """Everything the report shows, from nbgrader's ORM objects (no SQL of our own)."""
    course = cd.course
    deadlines = {m: (w if w.tzinfo else w.replace(tzinfo=UTC)) for m, w in course.deadlines.items()}
    per_module, cells, by_student, late, flags = {}, {}, {}, [], []
    with Gradebook(f"sqlite:///{cd.gradebook}", course.course_id) as gb:
        students = {s.id for s in gb.students}
        for assignment in gb.assignments:  # every built module; the report shows those with submissions
            m = assignment.name
            subs = gb.assignment_submissions(m)
            if not subs:
                continue
            percents = [100 * s.code_score / s.max_code_score for s in subs]
            passing = [s.max_code_score > 0 and s.code_score >= 0.5 * s.max_code_score for s in subs]
            per_module[m] = {"graded": len(subs), "passing": sum(passing), "percents": percents,
                             "manual": sum(s.needs_manual_grade for s in subs),
                             "flagged": sum(any(nb.flagged for nb in s.notebooks) for s in subs)}
            for s, ok, pct in zip(subs, passing, percents):
                by_student[(m, s.student.id)] = (ok, pct)
                stamp = s.timestamp.replace(tzinfo=UTC)
                if m in deadlines and stamp > deadlines[m] + (s.extension or dt.timedelta()):
                    late.append((m, s.student.id))
                if any(nb.flagged for nb in s.notebooks):
                    flags.append((m, s.student.id, f"{s.score:g}/{s.max_score:g}"))
                for nb in s.notebooks:
                    for g in nb.grades:
                        if g.cell.cell_type == "code":
                            n = cells.setdefault((m, g.cell.name), [0, 0])
                            n[0] += g.auto_score is not None and g.auto_score == g.max_score
                            n[1] += 1
    submitted = {m: set(cd.students_submitted(m)) for m in course.module_ids}
    students |= {s for (_, s) in by_student} | set().union(*submitted.values())
    released = [m for m in course.module_ids if m in course.released][-2:]
    at_risk = {}
    for s in students:
        for m in released:
            ok = by_student.get((m, s))
            due = m not in deadlines or deadlines[m] <= as_of
            if (ok is not None and not ok[0]) or (ok is None and s not in submitted[m] and due):
                at_risk.setdefault(s, []).append(m)
    for m in course.module_ids:
        if m in course.released or submitted[m]:
            per_module.setdefault(m, {"graded": 0, "passing": 0, "percents": [], "manual": 0, "flagged": 0})
    for m, row in per_module.items():
        row["submitted"] = len(submitted[m] | {s for (mm, s) in by_student if mm == m})
        row["late"] = sum(mm == m for mm, _ in late)
    rates = {key: passed / n for key, (passed, n) in cells.items()}
    return {"students": students, "modules": per_module, "rates": rates, "at_risk": at_risk, "late": late,
            "flags": flags, "risk_modules": released}


def check_report_matches_gradebook(cd: CourseDir, page_text: str, as_of: dt.datetime) -> dict:
    want = expected_from_gradebook(cd, as_of)
    page = Page(page_text)

    completion = {r["module"]: r for r in page.rows("completion")}
    assert set(completion) == set(want["modules"])
    for m, row in want["modules"].items():
        got = completion[m]
        assert {k: int(got[k]) for k in ("students", "submitted", "graded", "passing", "late",
                                           "awaiting manual grading", "flagged")} == {
            "students": len(want["students"]), "submitted": row["submitted"], "graded": row["graded"],
            "passing": row["passing"], "late": row["late"], "awaiting manual grading": row["manual"],
            "flagged": row["flagged"]}, m

    scores = {r["module"]: r for r in page.rows("scores")}
    assert set(scores) == {m for m, row in want["modules"].items() if row["graded"]}
    for m, got in scores.items():
        p = want["modules"][m]["percents"]
        assert int(got["graded"]) == len(p)
        assert float(got["mean %"]) == pytest.approx(statistics.fmean(p), abs=0.051)
        assert float(got["median %"]) == pytest.approx(statistics.median(p), abs=0.051)
        assert (float(got["min %"]), float(got["max %"])) == pytest.approx((min(p), max(p)), abs=0.051)

    hardest = page.rows("hardest")
    lowest = sorted(want["rates"].items(), key=lambda kv: (kv[1], kv[0]))[:HARDEST_SHOWN]
    assert [(r["module"], r["grade id"]) for r in hardest] == [key for key, _ in lowest]
    for r, (_, rate) in zip(hardest, lowest):
        assert float(r["pass rate %"]) == pytest.approx(100 * rate, abs=0.051)
        assert "\n" not in r["what it checks"] and len(r["what it checks"]) <= 120

    risk = {re.sub(r" \(.*", "", r["student"]): r["why"] for r in page.rows("at-risk")}
    assert set(risk) == set(want["at_risk"])
    for student, modules in want["at_risk"].items():
        assert [part.split(":")[0] for part in risk[student].split("; ")] == modules

    assert sorted((r["module"], re.sub(r" \(.*", "", r["student"])) for r in page.rows("late")) == sorted(want["late"])
    assert sorted((r["module"], re.sub(r" \(.*", "", r["student"]), r["score"]) for r in page.rows("flags")) \
        == sorted(want["flags"])

    assert set(page.images) == {"fig-completion", "fig-scores", "fig-hardest"}
    for src in page.images.values():
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page_text), "an external asset"
    return want


def check_summary(summary: str, want: dict) -> None:
    assert f"at risk (missing or failing {', '.join(want['risk_modules'])}): {len(want['at_risk'])} student(s)" \
        in summary
    assert f"late submissions: {len(want['late'])}" in summary
    assert f"flagged by the judge: {len(want['flags'])}" in summary
    for m, row in want["modules"].items():
        line = next(ln for ln in summary.splitlines() if ln.startswith(m + " "))
        assert line.split()[-6:-2] == [str(row["submitted"]), str(row["graded"]), str(row["passing"]),
                                       str(row["late"])], line


# ----------------------------------------------------------------------------- the synthetic cohort

@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("report") / "course"
    _load_benchmark().write_cohort(root, n_students=14, modules=MODULES, seed=3, missing=0.15, late=0.25,
                                      flagged=0.1)
    cd = CourseDir(root)
    # a submission collected but not graded yet, and the judge's own record of why one was flagged
    (root / "submitted" / "s0999" / "03_layers").mkdir(parents=True)
    with Gradebook(f"sqlite:///{cd.gradebook}", "tinytorch") as gb:
        flagged = [(nb.assignment.assignment.name, nb.assignment.student.id) for s in gb.students
                   for sub in gb.student_submissions(s.id) for nb in sub.notebooks if nb.flagged]
    assert flagged, "the seed gives no flagged submission: the test would check nothing"
    module, student = flagged[0]
    record = root / ".tito" / "judge" / module / f"{student}.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"cells": {}, "flags": ["in-kernel verdict passed 3 cells the judge failed"]}))
    return cd, (module, student)


AS_OF = dt.datetime(2027, 2, 12, tzinfo=UTC)  # 01 and 02 are due, 03 is not yet


@pytest.fixture(scope="module")
def synthetic_report(synthetic) -> tuple[str, str]:
    """`tito report` on the synthetic cohort: (the page, the terminal summary)."""
    cd, _ = synthetic
    out = cd.root / "report.html"
    run = tito("report", "--out", str(out), "--as-of", AS_OF.isoformat(), cwd=cd.root)
    return out.read_text(), run.stdout


def test_report_of_a_synthetic_cohort_matches_its_gradebook(synthetic, synthetic_report):
    cd, (flag_module, flag_student) = synthetic
    text, summary = synthetic_report
    want = check_report_matches_gradebook(cd, text, AS_OF)
    check_summary(summary, want)
    # the cohort exercises what the checks are about
    assert want["late"] and want["at_risk"] and want["flags"]
    assert any(m == "03_layers" for ms in want["at_risk"].values() for m in ms)
    assert want["at_risk"]["s0999"] == ["02_activations"]  # 03's submission is collected: not missing
    flags = {(r["module"], re.sub(r" \(.*", "", r["student"])): r["why"] for r in Page(text).rows("flags")}
    assert flags[(flag_module, flag_student)] == "in-kernel verdict passed 3 cells the judge failed"
    # names come from the gradebook and are escaped
    assert "&lt;b&gt;Bob&lt;/b&gt;" in text and "<b>Bob" not in text and "O&#x27;Neil &amp; Sons" in text
    assert (cd.root / "report.html").stat().st_mode & 0o077 == 0, "the page holds grades: private to its owner"


def test_late_counts_the_extension_granted_in_formgrader(synthetic, synthetic_report):
    """A submission after the deadline but within its extension is not late; past it, it is."""
    cd, _ = synthetic
    with Gradebook(f"sqlite:///{cd.gradebook}", "tinytorch") as gb:
        subs = [s for m in MODULES for s in gb.assignment_submissions(m) if s.extension]
        deadline = {m: cd.course.deadlines[m].replace(tzinfo=None) for m in MODULES}
        within = [(s.assignment.name, s.student.id) for s in subs
                  if deadline[s.assignment.name] < s.timestamp <= deadline[s.assignment.name] + s.extension]
        past = [(s.assignment.name, s.student.id) for s in subs
                if s.timestamp > deadline[s.assignment.name] + s.extension]
    assert within, "the seed grants no extension that covers a late submission: nothing to check"
    late = {(r["module"], re.sub(r" \(.*", "", r["student"])) for r in Page(synthetic_report[0]).rows("late")}
    assert not late & set(within) and set(past) <= late


def test_bad_input_gets_one_line_and_a_non_zero_exit(synthetic, tmp_path):
    cd, _ = synthetic
    bad = tito("report", "--as-of", "next tuesday", cwd=cd.root, check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0 and "ISO 8601" in bad.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    for name in ("course.yml", "nbgrader_config.py"):
        (empty / name).write_text((cd.root / name).read_text())
    none = tito("report", cwd=empty, check=False)
    assert none.returncode == 2 and "Traceback" not in none.stderr and "no gradebook" in none.stderr
    (empty / "gradebook.db").write_text("not a database")
    broken = tito("report", cwd=empty, check=False)
    assert broken.returncode == 2 and "Traceback" not in broken.stderr and "cannot read the gradebook" in broken.stderr


def test_what_a_test_checks_is_one_line_of_the_released_cell():
    assert describe_test("# the bias broadcasts over rows\nexpect(f(x), 1, 'msg')") == "the bias broadcasts over rows"
    assert describe_test("y = f(x)\nexpect(y.shape, (2, 3), 'shape should be\\n (2, 3)')") == "shape should be (2, 3)"
    assert describe_test("expect_close(softmax(x).sum(), 1.0)") == "softmax(x).sum()"
    assert len(describe_test(f"expect(1, 1, '{'x' * 500}')")) == 120
    assert describe_test("this is not python (") == ""


def test_every_formgrader_page_links_to_the_report():
    """Formgrader's pages as nbgrader renders them (its own jinja environment), after tito.reporting.report_server
    patched it: each page's navigation has one "Cohort report" link, to the service's report."""
    import logging

    from jinja2 import Environment, FileSystemLoader
    from nbgrader.server_extensions.formgrader import handlers

    from tito.reporting.report_server import link_report_from_formgrader

    settings = {"nbgrader_jinja2_env": Environment(loader=FileSystemLoader([handlers.template_path]))}
    link_report_from_formgrader(settings, logging.getLogger("test"))
    pages = ["manage_assignments.tpl", "manage_submissions.tpl", "gradebook_assignments.tpl",
             "gradebook_notebooks.tpl", "manage_students.tpl", "manage_students_assignments.tpl"]
    for name in pages:
        html = settings["nbgrader_jinja2_env"].get_template(name).render(base_url="/services/tinytorch")
        navigation = re.search(r'<ul class="nav nav-pills nav-stacked">(.*?)</ul>', html, re.DOTALL).group(1)
        assert "Manage Students" in navigation, name
        links = re.findall(r'<a id="tinytorch-report-link" href="([^"]*)">Cohort report</a>', navigation)
        assert links == ["/services/tinytorch/report"], (name, links)


def test_the_served_report_leads_back_to_formgrader(synthetic_report):
    from tito.reporting.report_server import with_formgrader_link

    page, _ = synthetic_report
    served = with_formgrader_link(page, "/services/tinytorch/formgrader")
    assert re.findall(r'<a id="tinytorch-formgrader-link" href="([^"]*)">', served) == ["/services/tinytorch/formgrader"]
    assert served.replace(re.search(r"<p><a id=\"tinytorch-formgrader-link\".*?</p>", served).group(0), "") == page
