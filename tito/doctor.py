"""`tito doctor`: can this machine run the course? One line per check."""
from __future__ import annotations

import importlib.metadata as md
import os
import shutil
import sys

from .course_dir import CourseDir


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def checks(cd: CourseDir):
    yield "python >= 3.10", sys.version_info >= (3, 10), sys.version.split()[0]
    for dist, needed in (("nbgrader", "0.9"), ("jupytext", "1."), ("nbclient", "0."), ("ipykernel", "")):
        v = _version(dist)
        yield f"{dist} installed", bool(v and v.startswith(needed)), v or f"missing: pip install {dist}"
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        specs = KernelSpecManager().find_kernel_specs()
        yield "python3 kernel", "python3" in specs, ", ".join(sorted(specs)) or "none"
    except Exception as e:  # noqa: BLE001
        yield "python3 kernel", False, str(e)
    try:
        course = cd.course
        yield "course.yml valid", True, f"{len(course.modules)} modules, {len(course.released)} released"
    except Exception as e:  # noqa: BLE001
        yield "course.yml valid", False, str(e)
    authored = cd.authored_modules()
    yield "module sources", bool(authored), ", ".join(authored) or "none in source/"
    missing_refs = [m for m in authored if not (cd.reference_dir / "tinytorch" / f"{cd.course.module(m).name}.py").is_file()]
    yield "references built", not missing_refs, "run `tito build`" if missing_refs else str(cd.reference_dir)
    exchange = os.environ.get("TINYTORCH_EXCHANGE", "/srv/nbgrader/exchange")
    yield "exchange writable", os.access(exchange, os.W_OK), exchange
    yield "bubblewrap (grading sandbox)", shutil.which("bwrap") is not None, shutil.which("bwrap") or "apt-get install bubblewrap"


def doctor(cd: CourseDir, out=print) -> bool:
    ok = True
    for name, passed, detail in checks(cd):
        out(f"{'ok ' if passed else 'NO '} {name:32} {detail}")
        ok &= passed or name.startswith(("exchange", "bubblewrap"))
    return ok
