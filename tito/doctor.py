"""`tito doctor`: can this machine run the course? One line per check, a fix under each failure,
and a non-zero exit when anything failed."""
from __future__ import annotations

import importlib.metadata as md
import os
import shutil
import sys
from dataclasses import dataclass

from .course_dir import CourseDir


@dataclass
class Check:
    name: str
    passed: bool
    detail: str
    fix: str = ""


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def _packages():
    yield Check("python >= 3.10", sys.version_info >= (3, 10), sys.version.split()[0],
                "install Python 3.10 or newer and re-run scripts/setup.sh")
    for dist, needed in (("nbgrader", "0.9"), ("jupytext", "1."), ("nbclient", "0."), ("ipykernel", "")):
        v = _version(dist)
        yield Check(f"{dist} installed", bool(v and v.startswith(needed)), v or "missing",
                    f"pip install '{dist}' (or re-run scripts/setup.sh)")
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        specs = KernelSpecManager().find_kernel_specs()
        yield Check("python3 kernel", "python3" in specs, ", ".join(sorted(specs)) or "none",
                    "python -m ipykernel install --sys-prefix")
    except Exception as e:  # noqa: BLE001
        yield Check("python3 kernel", False, str(e), "python -m ipykernel install --sys-prefix")


def _course(cd: CourseDir):
    try:
        course = cd.course
    except Exception as e:  # noqa: BLE001
        yield Check("course.yml valid", False, str(e), f"fix {cd.root / 'course.yml'} as the message says")
        return
    yield Check("course.yml valid", True, f"{len(course.modules)} modules, {len(course.released)} released")
    authored = cd.authored_modules()
    yield Check("module sources", bool(authored), ", ".join(authored) or "none in source/",
                "add source/<id>/<id>.py (docs/authoring.md)")
    missing = [m for m in authored if not (cd.reference_dir / "tinytorch" / f"{course.module(m).name}.py").is_file()]
    detail = f"missing for {', '.join(missing)}" if missing else str(cd.reference_dir)
    yield Check("references built", not missing, detail, _build_fix(cd))
    if cd.gradebook.is_file():
        yield _gradebook(cd)


def _build_fix(cd: CourseDir) -> str:
    from .hub.embedded import hub_root_of

    if hub_root_of(cd):
        return "`tito build` in the checkout, then `tito hub setup` (it copies the build to the hub's course)"
    return "tito build"


def _gradebook(cd: CourseDir) -> Check:
    from .course_state import read_only_gradebook

    try:
        with read_only_gradebook(cd) as gb:
            detail = f"{cd.gradebook}: {len(gb.assignments)} assignments, {len(gb.students)} students"
        return Check("gradebook readable", True, detail)
    except Exception as e:  # noqa: BLE001
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
        return Check("gradebook readable", False, f"{cd.gradebook}: {first}",
                     "run as the gradebook's owner (on the hub: root or the grader account)")


def _exchange(cd: CourseDir) -> Check:
    from .course_state import exchange_root

    try:
        exchange = exchange_root(cd)
    except Exception as e:  # noqa: BLE001 - nbgrader_config.py itself is broken
        return Check("exchange writable", False, f"nbgrader_config.py: {e}", "fix nbgrader_config.py")
    fix = ("`tito hub setup` creates the hub's exchange; elsewhere set TINYTORCH_EXCHANGE to a folder "
           "made with `mkdir -m 1777`")
    if not exchange.is_dir():
        return Check("exchange writable", False, f"{exchange}: missing", fix)
    if not os.access(exchange, os.W_OK | os.X_OK):
        return Check("exchange writable", False, f"{exchange}: not writable by you", fix)
    return Check("exchange writable", True, str(exchange))


def checks(cd: CourseDir):
    yield from _packages()
    yield from _course(cd)
    yield _exchange(cd)
    bwrap = shutil.which("bwrap")
    yield Check("bubblewrap (grading sandbox)", bwrap is not None, bwrap or "missing", "apt-get install bubblewrap")


def doctor(cd: CourseDir, out=print) -> bool:
    ok = True
    for c in checks(cd):
        out(f"{'ok ' if c.passed else 'NO '} {c.name:32} {c.detail}")
        if not c.passed:
            out(f"    fix: {c.fix}")
        ok &= c.passed
    if not ok:
        out("doctor: some checks failed (fixes above)")
    return ok
