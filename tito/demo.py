"""`tito demo`: build the course, grade a simulated cohort, print the grade table.

The cohort: a correct student, an untouched release, a partly correct one, a syntax
error, a student who replaced a locked test with `pass`, one who deleted a test cell.
"""
from __future__ import annotations

import csv
import time

import nbformat

from . import simulated_cohort
from .authoring.build import build
from .course_dir import CourseDir
from .grading.batch import autograde_modules, summary
from .grading.feedback import generate
from .grading.grades import export


def profiles(source_nb) -> list[simulated_cohort.Profile]:
    solutions = simulated_cohort.solution_cells_of(source_nb)
    tests = list(simulated_cohort.test_cells_of(source_nb))
    middle = solutions[len(solutions) // 2]
    return [
        simulated_cohort.Profile("demo-correct"),
        simulated_cohort.Profile("demo-untouched", solve=False),
        simulated_cohort.Profile("demo-partial", leave_stubs=(middle,)),
        simulated_cohort.Profile("demo-syntax-error", syntax_error_in=(middle,)),
        simulated_cohort.Profile("demo-tampered", solve=False, tamper={t: "pass" for t in tests}),
        simulated_cohort.Profile("demo-deleted-test", delete=(tests[-1],)),
    ]


def demo(cd: CourseDir, jobs: int = 2, out=print) -> None:
    out("== build")
    build(cd, log=out)
    modules = cd.authored_modules()
    for m in modules:
        source = nbformat.read(cd.source_notebook(m), as_version=4)
        release = nbformat.read(cd.release_notebook(m), as_version=4)
        for p in profiles(source):
            simulated_cohort.write_submission(cd.root, p.name, m, simulated_cohort.make_notebook(source, release, p))
    out(f"== autograde ({len(modules)} modules in one batch)")
    started = time.monotonic()
    outcomes = autograde_modules(cd, modules, jobs=jobs, force=True, progress=False, log=out)
    out(f"autograde: done in {time.monotonic() - started:.1f} s")
    for m in modules:
        out(f"{m:16} {summary(outcomes[m])}")
        generate(cd, m)
    nbgrader_csv, lms_csv = export(cd, cd.root / "grades")
    out(f"== grades ({lms_csv.relative_to(cd.root)}; nbgrader's own: {nbgrader_csv.relative_to(cd.root)})")
    with open(lms_csv) as fh:
        rows = list(csv.reader(fh))
    keep = [0] + list(range(5, len(rows[0])))
    widths = [max(len(r[i]) for r in rows) for i in keep]
    for r in rows:
        out("  ".join(r[i].ljust(w) for i, w in zip(keep, widths)))
