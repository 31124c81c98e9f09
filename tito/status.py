"""`tito status`: one table of what is built, submitted and graded per module."""
from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry

from . import authoring
from .course_dir import CourseDir
from .nbgrader_apps import db_url


def _graded(cd: CourseDir, module_id: str) -> tuple[int, float | None]:
    if not cd.gradebook.is_file():
        return 0, None
    with Gradebook(db_url(cd.gradebook), cd.course.course_id) as gb:
        try:
            subs = gb.assignment_submissions(module_id)
        except MissingEntry:
            return 0, None
        scores = [s.score for s in subs]
    return len(scores), (sum(scores) / len(scores) if scores else None)


def status(cd: CourseDir) -> str:
    course = cd.course
    rows = [f"{course.title} ({course.course_id}); prerequisites graded from: {course.prerequisites_policy}",
            f"{'module':18} {'source':8} {'release':8} {'released':8} {'submitted':>9} {'graded':>6} {'mean':>6}"]
    for m in course.modules:
        has_source = cd.source_text(m.id).is_file()
        if has_source:
            drift = authoring.drift(cd.source_text(m.id), cd.source_notebook(m.id))
            source = "drift" if drift else "ok"
        else:
            source = "-"
        release = "ok" if cd.release_notebook(m.id).is_file() else "-"
        n_graded, mean = _graded(cd, m.id)
        rows.append(f"{m.id:18} {source:8} {release:8} {'yes' if m.id in course.released else 'no':8} "
                    f"{len(cd.students_submitted(m.id)):>9} {n_graded:>6} "
                    f"{'' if mean is None else f'{mean:.1f}':>6}")
    flagged = _flagged(cd)
    if flagged:
        rows.append("")
        rows.append("flagged by the judge (look at these; the score is what the code computed):")
        rows += flagged
    notes = _notes(cd)
    if notes:
        rows.append("")
        rows.append("graded with a note (score and reason; also in `tito grades`):")
        rows += notes
    return "\n".join(rows)


def _notes(cd: CourseDir) -> list[str]:
    from nbgrader.api import Gradebook

    from .grades import grading_notes

    notes = grading_notes(cd)
    if not notes or not cd.gradebook.is_file():
        return []
    lines = []
    with Gradebook(db_url(cd.gradebook), cd.course.course_id) as gb:
        for (module_id, student), why in sorted(notes.items()):
            try:
                sub = gb.find_submission(module_id, student)
                score = f"{sub.score:g}/{sub.max_score:g}"
            except MissingEntry:
                score = "-"
            lines.append(f"  {module_id:18} {student:24} {score:>10}  {why}")
    return lines


def _flagged(cd: CourseDir) -> list[str]:
    from .grades import integrity_notes

    return [f"  {module_id:18} {student:24}  integrity: {why}"
            for (module_id, student), why in sorted(integrity_notes(cd).items())]
