"""Grade export: nbgrader's own CSV, and an LMS-ready CSV as an nbgrader export plugin
(`nbgrader export --exporter tito.grading.grades.LmsCsvExport`). Both carry the reason `tito autograde`
recorded next to a score (rejected, crashed, timed out, a cap hit, files dropped): a zero never
comes without its why; and what the judge flagged for the instructor (docs/grading.md)."""
from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin

from ..course_dir import CourseDir, CourseError
from ..nbgrader_apps import run_app


def grading_notes(cd: CourseDir) -> dict[tuple[str, str], str]:
    """(module, student) -> the one-line reason recorded by `tito autograde` (only where there is one)."""
    from .batch import DoneRecords, reason

    notes = {}
    for module_id in cd.course.module_ids:
        for outcome in DoneRecords(cd, module_id).outcomes():
            if reason(outcome):
                notes[(module_id, outcome.student)] = reason(outcome)
    return notes


def integrity_notes(cd: CourseDir) -> dict[tuple[str, str], str]:
    """(module, student) -> what the judge flagged for the instructor to look at (docs/grading.md)."""
    from .batch import DoneRecords

    return {(module_id, o.student): o.integrity for module_id in cd.course.module_ids
            for o in DoneRecords(cd, module_id).outcomes() if o.integrity}


def _notes_here() -> tuple[dict, dict]:
    try:
        cd = CourseDir.find()
        return grading_notes(cd), integrity_notes(cd)
    except CourseError:
        return {}, {}


class LmsCsvExport(ExportPlugin):
    """One row per student, one column per module: what an LMS grade-book import expects."""

    def export(self, gradebook) -> None:
        assignments = [a for a in gradebook.assignments if not self.assignment or a.name in self.assignment]
        assignments.sort(key=lambda a: a.name)
        header = ["student_id", "last_name", "first_name", "email", "lms_user_id"]
        header += [f"{a.name} ({a.max_score:g})" for a in assignments] + ["total", "max_total", "percent", "notes", "integrity"]
        notes, flags = _notes_here()
        with open(self.to or "grades_lms.csv", "w", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(header)
            for student in sorted(gradebook.students, key=lambda s: s.id):
                if self.student and student.id not in self.student:
                    continue
                scores = []
                for a in assignments:
                    try:
                        scores.append(gradebook.find_submission(a.name, student.id).score)
                    except MissingEntry:
                        scores.append(0.0)
                total, max_total = sum(scores), sum(a.max_score for a in assignments)
                percent = 100.0 * total / max_total if max_total else 0.0
                said = "; ".join(f"{a.name}: {notes[(a.name, student.id)]}" for a in assignments
                                 if (a.name, student.id) in notes)
                flagged = "; ".join(f"{a.name}: {flags[(a.name, student.id)]}" for a in assignments
                                    if (a.name, student.id) in flags)
                out.writerow([student.id, student.last_name or "", student.first_name or "",
                              student.email or "", student.lms_user_id or ""]
                             + [f"{s:g}" for s in scores]
                             + [f"{total:g}", f"{max_total:g}", f"{percent:.1f}", said, flagged])


def export(cd: CourseDir, out_dir: Path, modules: list[str] | None = None) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    nbgrader_csv, lms_csv = out_dir / "grades.csv", out_dir / "grades_lms.csv"
    only = [f"--assignment={m}" for m in modules or []]
    run_app(cd, "export", f"--to={nbgrader_csv}", *only)
    _add_notes(nbgrader_csv, grading_notes(cd), integrity_notes(cd))
    run_app(cd, "export", "--exporter=tito.grading.grades.LmsCsvExport", f"--to={lms_csv}", *only)
    return nbgrader_csv, lms_csv


def _add_notes(path: Path, notes: dict[tuple[str, str], str], flags: dict[tuple[str, str], str]) -> None:
    """nbgrader's grades.csv with two more columns: the reason recorded next to each score, and
    what the judge flagged for the instructor to look at."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        return
    fields = [*rows[0].keys(), "note", "integrity"]
    with open(path, "w", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=fields)
        out.writeheader()
        for row in rows:
            key = (row.get("assignment"), row.get("student_id"))
            out.writerow({**row, "note": notes.get(key, ""), "integrity": flags.get(key, "")})
