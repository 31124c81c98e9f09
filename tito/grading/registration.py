"""Due dates and student names in the gradebook, so formgrader shows them (not "None").

Deadlines come from course.yml (`deadlines:`). Student names come from the students' accounts:
on the embedded hub every student is a system user (PAM login), and the account's full name (the
GECOS field; `tito hub adduser NAME --name "Ada Lovelace"`, or `useradd -c`/`chfn` by an admin) is
split into first and last name. A name an instructor typed in formgrader is kept: accounts only
fill names the gradebook does not have. Registered through nbgrader's Gradebook API where tito
registers assignments and students: `tito release`, `tito collect` and `tito hub start`
(`python -m tito.grading.registration`, run as the grader account in its course folder).
"""
from __future__ import annotations

import pwd
import sys
import warnings

from ..course_dir import CourseDir
from ..nbgrader_apps import db_url


def account_name(student: str) -> tuple[str, str] | None:
    """(first, last) from the system account's full name; None when it has none."""
    try:
        full = pwd.getpwnam(student).pw_gecos.split(",")[0].strip()
    except KeyError:
        return None
    if not full:
        return None
    first, _, last = full.rpartition(" ")
    return first, last


def register(cd: CourseDir, modules: list[str] = (), students: list[str] = (),
             only_existing_assignments: bool = False) -> None:
    """Write the modules' deadlines and the students' names into the gradebook (nbgrader's API)."""
    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc
    from sqlalchemy.exc import SAWarning

    deadlines = cd.course.deadlines
    with warnings.catch_warnings(), Gradebook(db_url(cd.gradebook), cd.course.course_id) as gb:
        warnings.simplefilter("ignore", SAWarning)
        existing = {a.name for a in gb.assignments}
        for module_id in modules:
            if module_id in deadlines and (module_id in existing or not only_existing_assignments):
                gb.update_or_create_assignment(module_id, duedate=parse_utc(deadlines[module_id]))
        for student in students:
            gb.update_or_create_student(student, **_names_to_fill(gb, student))


def _names_to_fill(gb, student: str) -> dict[str, str]:
    """The account's names, unless the gradebook already has a name (typed in formgrader) or the
    account has none."""
    from nbgrader.api import MissingEntry

    name = account_name(student)
    try:
        known = gb.find_student(student)
        if known.first_name or known.last_name:
            return {}
    except MissingEntry:
        pass
    return {"first_name": name[0], "last_name": name[1]} if name else {}


def register_module(cd: CourseDir, module_id: str, students: list[str] = ()) -> None:
    """`tito release`/`tito collect`: the module's deadline, the hub's students and these."""
    from ..hub.embedded import hub_students

    register(cd, [module_id], sorted(set(hub_students(cd)) | set(students)))


def register_everything(cd: CourseDir) -> None:
    """Every deadline of a module the gradebook lists, every student the hub's roster or the
    submissions know (what `tito hub start` runs in the grader's course)."""
    from ..hub.embedded import hub_students

    submitted = cd.root / "submitted"
    students = set(hub_students(cd))
    if submitted.is_dir():
        students |= {p.name for p in submitted.iterdir() if p.is_dir() and not p.is_symlink()}
    students = sorted(students)
    register(cd, cd.course.module_ids, students, only_existing_assignments=True)


def main() -> int:
    cd = CourseDir.find()
    register_everything(cd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
