"""Grade export: nbgrader's own CSV, and an LMS-ready CSV as an nbgrader export plugin
(`nbgrader export --exporter tito.grades.LmsCsvExport`)."""
from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin

from .course_dir import CourseDir
from .nbgrader_apps import run_app


class LmsCsvExport(ExportPlugin):
    """One row per student, one column per module: what an LMS grade-book import expects."""

    def export(self, gradebook) -> None:
        assignments = [a for a in gradebook.assignments if not self.assignment or a.name in self.assignment]
        assignments.sort(key=lambda a: a.name)
        header = ["student_id", "last_name", "first_name", "email", "lms_user_id"]
        header += [f"{a.name} ({a.max_score:g})" for a in assignments] + ["total", "max_total", "percent"]
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
                out.writerow([student.id, student.last_name or "", student.first_name or "",
                              student.email or "", student.lms_user_id or ""]
                             + [f"{s:g}" for s in scores] + [f"{total:g}", f"{max_total:g}", f"{percent:.1f}"])


def export(cd: CourseDir, out_dir: Path, modules: list[str] | None = None) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    nbgrader_csv, lms_csv = out_dir / "grades.csv", out_dir / "grades_lms.csv"
    only = [f"--assignment={m}" for m in modules or []]
    run_app(cd, "export", f"--to={nbgrader_csv}", *only)
    run_app(cd, "export", "--exporter=tito.grades.LmsCsvExport", f"--to={lms_csv}", *only)
    return nbgrader_csv, lms_csv
