"""`tito report` at scale: a synthetic gradebook of 500 students x 20 modules, written through
nbgrader's API in a temporary folder, then `tito report` timed on it (target: <= 10 s).

    .venv/bin/python benchmarks/report_scale.py [--students 500] [--modules 20] [--keep DIR]

The cohort: every module's test cells are the real ones of its release notebook (grade ids,
points; synthetic cells for a module without one), plus one written answer per module; each
student has an ability and each cell a difficulty, so pass rates and scores spread; about 6 %
of submissions are missing, 5 % late (some with an extension), 0.5 % flagged by the judge.
The machine is shared: the load average is printed next to the time, and the CPU seconds (user +
system of the `tito report` process) are the figure that does not depend on it, with the CPU
seconds of importing what it imports, measured alone in the same run (nbgrader's import pulls in
jupyter_server and nbformat's schema tools: most of the total).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

REPO = Path(__file__).resolve().parents[1]
UTC = dt.timezone.utc
FIRST_DEADLINE = dt.datetime(2027, 2, 1, 23, 59)
NAMES = ["Ada", "Grace", "Alan", "Édouard", "Zoë", "Mary-Jane", "<b>Bob</b>", "O'Neil & Sons", "李", "Ngozi"]


def test_cells(module_id: str) -> list[tuple[str, float]]:
    """(grade id, points) of the module's released test cells; synthetic ones when there is no release."""
    path = REPO / "release" / module_id / f"{module_id}.ipynb"
    if not path.is_file():
        return [(f"test-step-{i}", float(3 + i % 4)) for i in range(12)]
    nb = nbformat.read(path, as_version=4)
    return [(c.metadata["nbgrader"]["grade_id"], float(c.metadata["nbgrader"]["points"])) for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


def write_course(root: Path, modules: list[str], released: list[str]) -> dict[str, dt.datetime]:
    """course.yml (the repository's, with these releases and a deadline a week apart), the
    nbgrader config and the release notebooks the report describes test cells from."""
    course = yaml.safe_load((REPO / "course.yml").read_text())
    deadlines = {m: FIRST_DEADLINE + dt.timedelta(weeks=i) for i, m in enumerate(modules)}
    course["released"] = released
    course["deadlines"] = {m: when.isoformat() + "+00:00" for m, when in deadlines.items()}
    root.mkdir(parents=True, exist_ok=True)
    (root / "course.yml").write_text(yaml.safe_dump(course, sort_keys=False))
    shutil.copy(REPO / "nbgrader_config.py", root)
    for m in modules:
        if (REPO / "release" / m).is_dir():
            shutil.copytree(REPO / "release" / m, root / "release" / m, dirs_exist_ok=True)
    return deadlines


def write_cohort(root: Path, n_students: int, modules: list[str], released: list[str] | None = None,
                 seed: int = 0, missing: float = 0.06, late: float = 0.05, flagged: float = 0.005) -> None:
    """A course folder with a gradebook.db holding the cohort (nbgrader's models and session);
    missing, late and flagged are the fractions of submissions that are."""
    from nbgrader.api import Grade, Gradebook, SubmittedAssignment, SubmittedNotebook

    rng = random.Random(seed)
    deadlines = write_course(root, modules, released if released is not None else modules)
    students = [f"s{i:04d}" for i in range(n_students)]
    ability = {s: rng.betavariate(5, 2) for s in students}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "tinytorch") as gb:
        for i, s in enumerate(students):
            gb.update_or_create_student(s, first_name=NAMES[i % len(NAMES)], last_name=f"Student{i}")
        for m in modules:
            assignment = gb.update_or_create_assignment(m, duedate=deadlines[m])
            notebook = gb.update_or_create_notebook(m, m)
            cells = [gb.update_or_create_grade_cell(gid, m, m, max_score=points, cell_type="code")
                     for gid, points in test_cells(m)]
            written = gb.update_or_create_grade_cell("reflection", m, m, max_score=5.0, cell_type="markdown")
            difficulty = {c.name: rng.uniform(-0.3, 0.25) for c in cells}
            by_id = {s.id: s for s in gb.students}
            for s in students:
                if rng.random() < missing:
                    continue  # missing
                stamp = deadlines[m] - dt.timedelta(hours=rng.uniform(0, 96))
                extension = None
                if rng.random() < late:
                    stamp = deadlines[m] + dt.timedelta(hours=rng.uniform(0.1, 48))
                    extension = dt.timedelta(hours=24) if rng.random() < 0.3 else None
                sub = SubmittedAssignment(assignment=assignment, student=by_id[s], timestamp=stamp,
                                          extension=extension)
                nb = SubmittedNotebook(assignment=sub, notebook=notebook, flagged=rng.random() < flagged)
                gb.db.add_all([sub, nb])
                for cell in cells:
                    passed = rng.random() < ability[s] - difficulty[cell.name]
                    gb.db.add(Grade(cell=cell, notebook=nb, auto_score=cell.max_score if passed else 0.0,
                                    needs_manual_grade=False))
                graded_by_hand = rng.random() < 0.7
                gb.db.add(Grade(cell=written, notebook=nb, auto_score=None, needs_manual_grade=not graded_by_hand,
                                manual_score=rng.choice([0.0, 2.5, 5.0]) if graded_by_hand else None))
            gb.db.commit()


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


IMPORTS = "import tito.cli, tito.reporting.report, tito.reporting.report_page, nbgrader.api, sqlalchemy, " \
          "matplotlib.figure, matplotlib.backends.backend_agg"


def cpu_of(*cmd: str, cwd: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, "TITO_COURSE_DIR": str(cwd)})
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc


def time_report(root: Path) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds of the `tito report` process, its terminal summary."""
    wall, cpu, proc = cpu_of(sys.executable, "-m", "tito", "report", "--out", str(root / "report.html"), cwd=root)
    if proc.returncode:
        sys.exit(f"tito report failed:\n{proc.stdout}\n{proc.stderr}")
    return wall, cpu, proc.stdout


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=500)
    p.add_argument("--modules", type=int, default=20)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keep", help="write the cohort here and keep it, or time the one already there "
                                  "(default: a temporary folder, removed)")
    args = p.parse_args()
    modules = yaml.safe_load((REPO / "course.yml").read_text())["modules"][:args.modules]
    modules = [m["id"] for m in modules]
    scratch = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tito-report-bench-")) / "course"
    try:
        if (scratch / "gradebook.db").exists():
            print(f"cohort: the one in {scratch}")
        else:
            started = time.monotonic()
            write_cohort(scratch, args.students, modules)
            print(f"cohort: {args.students} students x {len(modules)} modules written through nbgrader's API in "
                  f"{time.monotonic() - started:.1f} s ({(scratch / 'gradebook.db').stat().st_size / 1e6:.1f} MB)")
        for run in range(1, args.runs + 1):
            wall, cpu, out = time_report(scratch)
            _, imports, _ = cpu_of(sys.executable, "-c", IMPORTS, cwd=scratch)
            print(f"run {run}: tito report {wall:.2f} s wall, {cpu:.2f} s CPU, of which {imports:.2f} s importing "
                  f"(nbgrader, matplotlib; measured alone); load average {load_average()}")
        print(f"report page: {(scratch / 'report.html').stat().st_size / 1e3:.0f} kB; target <= 10 s wall")
        print("terminal summary (last run):")
        print(out)
    finally:
        if not args.keep:
            shutil.rmtree(scratch.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
