"""Copy one graded submission from a worker's private gradebook into the course gradebook.

nbgrader's SQLite gradebook is not safe for concurrent writers, so autograde workers
each grade into a private copy and the coordinator, the only writer of gradebook.db,
merges each finished submission through nbgrader's own Gradebook API.
"""
from __future__ import annotations

import warnings

from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning


def merge_submission(src_url: str, dst_url: str, course_id: str, assignment: str, student: str) -> None:
    with warnings.catch_warnings():
        # nbgrader's add_submission trips SQLAlchemy's autoflush warnings; they are harmless
        warnings.simplefilter("ignore", SAWarning)
        _merge(src_url, dst_url, course_id, assignment, student)


def _merge(src_url: str, dst_url: str, course_id: str, assignment: str, student: str) -> None:
    with Gradebook(src_url, course_id) as src, Gradebook(dst_url, course_id) as dst:
        who = src.find_student(student)
        known = {k: v for k, v in (("first_name", who.first_name), ("last_name", who.last_name),
                                   ("email", who.email), ("lms_user_id", who.lms_user_id)) if v is not None}
        dst.update_or_create_student(student, **known)  # never blank a name registered meanwhile
        graded = src.find_submission(assignment, student)
        dst.update_or_create_submission(assignment, student, timestamp=graded.timestamp)
        for nb in graded.notebooks:
            target = dst.find_submission_notebook(nb.name, assignment, student)
            target.late_submission_penalty = nb.late_submission_penalty
            target.flagged = nb.flagged  # the judge's integrity flag (tito.grading.judge.RecordIntegrity)
            for grade in nb.grades:
                into = dst.find_grade(grade.name, nb.name, assignment, student)
                into.auto_score = grade.auto_score
                into.needs_manual_grade = grade.needs_manual_grade
            for comment in nb.comments:
                into = dst.find_comment(comment.name, nb.name, assignment, student)
                into.auto_comment = comment.auto_comment
        dst.db.commit()


def record_zero(db_url_: str, course_id: str, assignment: str, student: str, timestamp: str | None) -> None:
    """A submission whose grading could not finish: every autograded test scores 0; answers
    for manual grading stay open for the TA."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(db_url_, course_id) as gb:
            gb.update_or_create_student(student)
            kwargs = {"timestamp": timestamp} if timestamp else {}
            sub = gb.update_or_create_submission(assignment, student, **kwargs)
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.cell.cell_type == "code":
                        grade.auto_score = 0
                        grade.needs_manual_grade = False
            gb.db.commit()


def submission_score(db_url: str, course_id: str, assignment: str, student: str) -> tuple[float, float, bool]:
    """(score, max_score, needs_manual_grade) of a submission in the gradebook."""
    with Gradebook(db_url, course_id) as gb:
        sub = gb.find_submission(assignment, student)
        return float(sub.score), float(sub.max_score), bool(sub.needs_manual_grade)


def auto_max_score(db_url: str, course_id: str, assignment: str) -> float:
    """Points that autograding can award (test cells), as opposed to manually graded answers."""
    with Gradebook(db_url, course_id) as gb:
        a = gb.find_assignment(assignment)
        return float(sum(c.max_score for nb in a.notebooks for c in nb.grade_cells if c.cell_type == "code"))
