"""Author's check of one module in a scratch course (never touches the repository's outputs).

    .venv/bin/python scripts/try_module.py 03_layers [--steps]

Builds the module and its prerequisites in /tmp/try-<module>/, runs the source notebook with
solutions, then autogrades (sandboxed) a correct submission and the untouched release and, with
--steps, one submission per solution step left as its stub, printing which tests fail for each:
every step should fail at least its own test, and the table is what tests/test_e2e_grading.py's
PARTIAL entry needs.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nbgrader.api import Gradebook  # noqa: E402

from tito import simulated_cohort  # noqa: E402
from tito.course_dir import CourseDir  # noqa: E402
from tito.scratch import TitoFailed, copy_course, run_tito  # noqa: E402


def tito(*args, cwd) -> str:
    try:
        return run_tito(*args, cwd=cwd).stdout
    except TitoFailed as e:
        sys.exit(str(e))


def failing_tests(root: Path, module: str, student: str) -> list[str]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "tinytorch") as gb:
        sub = gb.find_submission(module, student)
        return sorted(g.name for nb in sub.notebooks for g in nb.grades
                      if g.cell.cell_type == "code" and (g.auto_score or 0) < g.max_score)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("module")
    p.add_argument("--steps", action="store_true", help="also grade each solution step left as a stub")
    args = p.parse_args()
    m = args.module
    root = Path(f"/tmp/try-{m}")
    shutil.rmtree(root, ignore_errors=True)
    cd = CourseDir(copy_course(root))
    course = cd.course
    before = [x.id for x in course.modules[: course.module(m).index] if cd.source_text(x.id).is_file()]
    print(tito("build", *before, m, cwd=root).strip())
    print(tito("run-source", m, cwd=root).strip())

    source = nbformat.read(cd.source_notebook(m), as_version=4)
    release = nbformat.read(cd.release_notebook(m), as_version=4)
    profiles = [simulated_cohort.Profile("correct"), simulated_cohort.Profile("untouched", solve=False)]
    if args.steps:
        profiles += [simulated_cohort.Profile(f"stub-{step}", leave_stubs=(step,))
                     for step in simulated_cohort.solution_cells_of(source)]
    for prof in profiles:
        simulated_cohort.write_submission(root, prof.name, m, simulated_cohort.make_notebook(source, release, prof))
    started = time.monotonic()
    print(tito("autograde", m, "-j", "2", "--no-progress", cwd=root).strip())
    print(f"{(time.monotonic() - started) / len(profiles):.1f} s per notebook with 2 workers")
    points = simulated_cohort.test_cells_of(source)
    print(f"autograded points: {sum(points.values()):g}; tests: {points}")
    for prof in profiles[2:]:
        print(f"{prof.name:40} fails: {failing_tests(root, m, prof.name)}")


if __name__ == "__main__":
    main()
