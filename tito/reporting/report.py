"""`tito report`: the cohort at a glance, from the gradebook (nbgrader's API) and course.yml.

What it computes (rendered by tito/reporting/report_page.py as one self-contained HTML page, and as a
terminal summary):

- completion per module: students, submitted, graded, passing, late, awaiting manual grading,
  flagged by the judge;
- the distribution of automatic scores per module;
- the hardest test cells: lowest pass rate, by grade id, with a one-line description taken from
  the *release* notebook (never from source/, so never hidden tests);
- students at risk: missing or failing one of the last two released modules;
- late submissions: the gradebook's submission timestamp after course.yml's deadline (plus any
  extension granted in formgrader);
- integrity flags: submissions the judge flagged (docs/grading.md), with its reasons.

**Passing** (defined here only): a graded submission passes when it earns at least
PASSING_FRACTION of the module's automatic points (the test cells, as judged); written answers
awaiting a person do not count against it. A test cell *passes* when its automatic score is its
full points.
"""
from __future__ import annotations

import ast
import datetime as dt
import json
import statistics
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from ..course_dir import CourseDir, CourseError

PASSING_FRACTION = 0.5
PASSING_RULE = f"at least {PASSING_FRACTION:.0%} of the module's automatic (test-cell) points"
RISK_WINDOW = 2  # the last this many released modules decide who is at risk
HARDEST_SHOWN = 15
DESCRIPTION_CHARS = 120
UTC = dt.timezone.utc


# ----------------------------------------------------------------------------- the data

@dataclass
class Submission:
    module: str
    student: str
    timestamp: dt.datetime | None
    extension: dt.timedelta | None
    score: float = 0.0
    max_score: float = 0.0
    auto_score: float = 0.0
    max_auto_score: float = 0.0
    needs_manual_grade: bool = False
    flagged: bool = False

    @property
    def auto_percent(self) -> float:
        return 100.0 * self.auto_score / self.max_auto_score if self.max_auto_score else 0.0

    @property
    def passing(self) -> bool:
        return self.max_auto_score > 0 and self.auto_score >= PASSING_FRACTION * self.max_auto_score - 1e-9


@dataclass
class TestCell:
    module: str
    grade_id: str
    points: float
    passed: int = 0
    graded: int = 0
    description: str = ""

    @property
    def pass_rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass
class ModuleRow:
    module: str
    title: str
    released: bool
    deadline: dt.datetime | None
    due: bool  # the deadline has passed (or there is none): a missing submission now counts
    students: int
    submitted: int = 0
    graded: int = 0
    passing: int = 0
    late: int = 0
    awaiting_manual: int = 0
    flagged: int = 0
    auto_percents: list[float] = field(default_factory=list)

    def distribution(self) -> dict[str, float] | None:
        p = sorted(self.auto_percents)
        if not p:
            return None
        quartiles = statistics.quantiles(p, n=4, method="inclusive") if len(p) > 1 else [p[0]] * 3
        return {"n": len(p), "mean": statistics.fmean(p), "min": p[0], "q1": quartiles[0],
                "median": quartiles[1], "q3": quartiles[2], "max": p[-1]}


@dataclass
class Late:
    module: str
    student: str
    timestamp: dt.datetime
    deadline: dt.datetime

    @property
    def hours_late(self) -> float:
        return (self.timestamp - self.deadline).total_seconds() / 3600


@dataclass
class AtRisk:
    student: str
    problems: list[str]


@dataclass
class Flag:
    module: str
    student: str
    score: str
    reason: str


@dataclass
class CohortReport:
    title: str
    course_id: str
    as_of: dt.datetime
    students: dict[str, str]  # id -> display name ("" when the gradebook has none)
    modules: list[ModuleRow]
    tests: list[TestCell]
    risk_modules: list[str]
    at_risk: list[AtRisk]
    late: list[Late]
    flags: list[Flag]

    @property
    def hardest(self) -> list[TestCell]:
        graded = [t for t in self.tests if t.graded]
        return sorted(graded, key=lambda t: (t.pass_rate, t.module, t.grade_id))[:HARDEST_SHOWN]

    def name(self, student: str) -> str:
        return self.students.get(student, "")


# ----------------------------------------------------------------------------- reading

def parse_when(text: str) -> dt.datetime:
    """An ISO 8601 date or date-time; without a zone it is UTC (as nbgrader stores timestamps)."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CourseError(f"not an ISO 8601 date or date-time: {text!r} (e.g. 2027-02-01T23:59)") from None
    return as_utc(when)


def as_utc(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _submissions(gb) -> tuple[list[Submission], dict[tuple[str, str], TestCell]]:
    """Every graded submission's totals and every test cell's pass count, summed by SQLite over
    nbgrader's own columns (Grade.score is nbgrader's expression: manual over automatic, plus
    extra credit)."""
    from nbgrader.api import (Assignment, Grade, GradeCell, SubmittedAssignment, SubmittedNotebook)
    from sqlalchemy import case, func, select

    is_code = GradeCell.cell_type == "code"
    grades = (select().select_from(Grade)
              .join(GradeCell, Grade.cell_id == GradeCell.id)
              .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
              .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
              .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id))
    per_submission = grades.add_columns(
        Assignment.name, SubmittedAssignment.student_id, SubmittedAssignment.timestamp,
        SubmittedAssignment.extension, func.max(SubmittedNotebook.flagged), func.sum(Grade.score),
        func.sum(GradeCell.max_score), func.sum(case((is_code, Grade.score), else_=0.0)),
        func.sum(case((is_code, GradeCell.max_score), else_=0.0)), func.max(Grade.needs_manual_grade),
    ).group_by(SubmittedAssignment.id)
    full_points = case((Grade.auto_score >= GradeCell.max_score - 1e-9, 1), else_=0)
    per_cell = grades.add_columns(Assignment.name, GradeCell.name, GradeCell.max_score, func.count(),
                                  func.sum(full_points)).where(is_code).group_by(Assignment.name, GradeCell.name)
    with gb.engine.connect() as db:  # plain rows: ORM objects for 10,000 submissions cost seconds
        subs = [Submission(m, student, as_utc(stamp) if stamp else None, extension, score or 0.0, points or 0.0,
                           auto or 0.0, auto_points or 0.0, bool(manual), bool(flagged))
                for m, student, stamp, extension, flagged, score, points, auto, auto_points, manual
                in db.execute(per_submission)]
        tests = {(m, cell): TestCell(m, cell, points, passed=int(passed or 0), graded=n)
                 for m, cell, points, n, passed in db.execute(per_cell)}
    return subs, tests


def describe_test(source: str) -> str:
    """One line saying what a (released) test cell checks: its first comment, else the message of
    its first expect(...), else its first observed expression."""
    for line in source.splitlines():
        if line.strip().startswith("#") and line.strip("# \t"):
            return _one_line(line.strip().lstrip("#").strip())
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "").startswith("expect")]
    calls.sort(key=lambda n: (n.lineno, n.col_offset))
    for call in calls:
        messages = [a.value for a in call.args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if messages:
            return _one_line(messages[-1])
    if calls and calls[0].args:
        return _one_line(ast.unparse(calls[0].args[0]))
    return ""


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_CHARS else text[:DESCRIPTION_CHARS - 1] + "…"


def _descriptions(cd: CourseDir, module_id: str) -> dict[str, str]:
    """grade id -> description, from the release notebook only (it holds no hidden tests)."""
    path = cd.release_notebook(module_id)
    if not path.is_file():
        return {}
    try:  # plain JSON: nbformat's schema validation would cost more than the whole report
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (ValueError, KeyError, TypeError):
        return {}
    found = {}
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade") and meta.get("grade_id"):
            source = cell.get("source", "")
            found[meta["grade_id"]] = describe_test("".join(source) if isinstance(source, list) else source)
    return found


def _judge_reasons(cd: CourseDir, module_id: str, student: str) -> str:
    """What the judge recorded for a flagged submission (tito autograde's outcome, or the judge's own
    record, which formgrader's autograde button also writes)."""
    from ..grading.batch import DoneRecords
    from ..grading.judge import judge_record_path

    outcome = DoneRecords(cd, module_id).outcome(student)
    if outcome and outcome.integrity:
        return outcome.integrity
    try:
        flags = json.loads(judge_record_path(cd, module_id, student).read_text()).get("flags") or []
    except (FileNotFoundError, ValueError, AttributeError):
        flags = []
    return "; ".join(flags) or "flagged in the gradebook (by the judge or a grader in formgrader)"


# ----------------------------------------------------------------------------- computing

def _read_only(gradebook: Path) -> str:
    """The report never writes: run as root on the hub's course, it leaves no root-owned journal."""
    return f"sqlite:///file:{urllib.parse.quote(str(gradebook))}?mode=ro&uri=true"


def _read_gradebook(cd: CourseDir):
    """(student id -> name, graded submissions, test cells) from the gradebook, read-only."""
    if not cd.gradebook.is_file():
        raise CourseError(f"no gradebook at {cd.gradebook}: release a module (tito release) and grade it first")
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import DatabaseError

    try:
        with Gradebook(_read_only(cd.gradebook), cd.course.course_id) as gb:
            names = {s.id: " ".join(p for p in (s.first_name, s.last_name) if p) for s in gb.students}
            submissions, tests = _submissions(gb)
    except DatabaseError as e:
        raise CourseError(f"cannot read the gradebook {cd.gradebook}: {str(e.orig).splitlines()[0]}") from None
    return names, submissions, tests


def _late(graded: list[Submission], deadline: dt.datetime | None) -> list[Late]:
    if deadline is None:
        return []
    return [Late(s.module, s.student, s.timestamp, deadline) for s in graded
            if s.timestamp and s.timestamp > deadline + (s.extension or dt.timedelta())]


def build_report(cd: CourseDir, as_of: dt.datetime | None = None) -> CohortReport:
    course = cd.course
    as_of = as_of or dt.datetime.now(UTC)
    names, submissions, tests = _read_gradebook(cd)
    graded_by_module: dict[str, list[Submission]] = {}
    for s in submissions:
        graded_by_module.setdefault(s.module, []).append(s)
    submitted = {m: set(cd.students_submitted(m)) for m in course.module_ids}
    students = dict(names)
    for s in {s.student for s in submissions} | set().union(*submitted.values()):
        students.setdefault(s, "")
    shown = [m for m in course.module_ids if m in course.released or submitted[m] or m in graded_by_module]
    deadlines = {m: as_utc(when) for m, when in course.deadlines.items()}
    rows, late = [], []
    for m in shown:
        graded, deadline = graded_by_module.get(m, []), deadlines.get(m)
        late_here = _late(graded, deadline)
        late += late_here
        rows.append(ModuleRow(m, course.module(m).title, m in course.released, deadline,
                              due=deadline is None or deadline <= as_of, students=len(students),
                              submitted=len(submitted[m] | {s.student for s in graded}), graded=len(graded),
                              passing=sum(s.passing for s in graded), late=len(late_here),
                              awaiting_manual=sum(s.needs_manual_grade for s in graded),
                              flagged=sum(s.flagged for s in graded),
                              auto_percents=[s.auto_percent for s in graded]))
        for gid, text in _descriptions(cd, m).items():
            if (m, gid) in tests:
                tests[(m, gid)].description = text
    risk_modules = [m for m in course.module_ids if m in course.released][-RISK_WINDOW:]
    by_key = {(s.module, s.student): s for s in submissions}
    at_risk = _at_risk(sorted(students), risk_modules, by_key, submitted, {row.module: row.due for row in rows})
    flags = [Flag(s.module, s.student, f"{s.score:g}/{s.max_score:g}", _judge_reasons(cd, s.module, s.student))
             for s in sorted(submissions, key=lambda s: (s.module, s.student)) if s.flagged]
    late.sort(key=lambda e: (e.module, -e.hours_late, e.student))
    return CohortReport(course.title, course.course_id, as_of, students, rows,
                        sorted(tests.values(), key=lambda t: (t.module, t.grade_id)), risk_modules, at_risk,
                        late, flags)


def _at_risk(students, risk_modules, by_key, submitted, due) -> list[AtRisk]:
    """Missing (once the deadline has passed) or failing one of the last released modules."""
    found = []
    for student in students:
        problems = []
        for m in risk_modules:
            sub = by_key.get((m, student))
            if sub is not None and not sub.passing:
                problems.append(f"{m}: failing ({sub.auto_percent:.0f} % of the automatic points)")
            elif sub is None and student not in submitted[m] and due[m]:
                problems.append(f"{m}: missing")
        if problems:
            found.append(AtRisk(student, problems))
    return sorted(found, key=lambda r: (-len(r.problems), r.student))


# ----------------------------------------------------------------------------- the terminal

def summary(report: CohortReport, html_path: Path | None = None) -> str:
    lines = [f"{report.title}: {len(report.students)} students, as of {report.as_of:%Y-%m-%d %H:%M} UTC; "
             f"passing = {PASSING_RULE}",
             f"{'module':18} {'deadline':16} {'submitted':>9} {'graded':>6} {'passing':>7} {'late':>4} "
             f"{'median %':>8} {'flagged':>7}"]
    for row in report.modules:
        dist = row.distribution()
        deadline = f"{row.deadline:%Y-%m-%d %H:%M}" if row.deadline else "-"
        median = f"{dist['median']:.0f}" if dist else "-"
        lines.append(f"{row.module:18} {deadline:16} {row.submitted:>9} {row.graded:>6} {row.passing:>7} "
                     f"{row.late:>4} {median:>8} {row.flagged:>7}")
    lines.append("")
    lines.append("hardest test cells (pass rate, graded submissions):")
    for t in report.hardest[:5]:
        lines.append(f"  {t.pass_rate:6.1%}  {t.module}/{t.grade_id}  {t.description}")
    window = ", ".join(report.risk_modules) or "no released module"
    lines.append(f"at risk (missing or failing {window}): {len(report.at_risk)} student(s)")
    lines.append(f"late submissions: {len(report.late)}")
    lines.append(f"flagged by the judge: {len(report.flags)}")
    for f in report.flags[:10]:
        lines.append(f"  {f.module:18} {f.student:24} {f.score:>9}  {f.reason}")
    if html_path:
        lines.append(f"report: {html_path}")
    return "\n".join(lines)


def write_report(cd: CourseDir, out: Path, as_of: dt.datetime | None = None) -> tuple[CohortReport, Path]:
    from .report_page import render

    report = build_report(cd, as_of)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(render(report), encoding="utf-8")
    tmp.chmod(0o600)  # student names and grades
    tmp.replace(out)
    return report, out
