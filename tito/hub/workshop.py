"""`tito workshop MODULE`: a course folder for a one-module workshop (e.g. a day on 12_attention).

The folder is a course of its own that holds only what the workshop needs:

  course.yml               the course's, with `released: [MODULE]`, `provided_references:` every module
                           MODULE requires or extends (transitively) and `grading.prerequisites: reference`
  nbgrader_config.py       the course's
  source/MODULE/           instructor-only: solutions, hidden tests, mistake catalogue
  release/MODULE/          the student notebook (from `tito build`)
  build/reference/tinytorch/  the prerequisites' references (the hub publishes them to students) and
                           MODULE's own (the judge grades against it; never published)

`tito --course-dir DIR hub setup` then serves it on the embedded hub like any course, and closes the
course it was written from (every module's solutions) to other users: `.tito/workshop.json` names it.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from tinytorch_runtime.course import CourseFileError, load_course

from ..course_dir import CourseDir, CourseError

HEADER = """\
# Workshop course written by `tito workshop {module}` from {origin}/course.yml.
# Only {module} is released; students import the references of the modules it builds on
# (provided_references) and are graded on {module}'s work only. Re-run `tito workshop` after
# `tito build` to refresh it; edit the course's own course.yml, not this copy.
"""


@dataclass(frozen=True)
class Workshop:
    module: str
    dest: Path
    provided: list[str]


def default_dest(cd: CourseDir, module_id: str) -> Path:
    return cd.root / "workshops" / module_id


def _record(dest: Path) -> Path:
    return dest / ".tito" / "workshop.json"


def origin(cd: CourseDir) -> list[Path]:
    """The course a workshop folder was written from ([] for a course that is not a workshop)."""
    try:
        written_from = Path(json.loads(_record(cd.root).read_text())["origin"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return []
    return [written_from] if written_from.is_dir() else []


def _reference(cd: CourseDir, module_id: str) -> Path:
    return cd.reference_dir / "tinytorch" / f"{cd.course.module(module_id).name}.py"


def _check_built(cd: CourseDir, module_id: str, provided: list[str]) -> None:
    missing = [str(p.relative_to(cd.root)) for p in (cd.source_notebook(module_id), cd.release_notebook(module_id),
                                                     *(_reference(cd, m) for m in (*provided, module_id)))
               if not p.is_file()]
    if missing:
        raise CourseError(f"{module_id}'s workshop needs {', '.join(missing)}: run `tito build` first")


def _check_dest(cd: CourseDir, module_id: str, dest: Path) -> None:
    """dest is new, empty, or this module's workshop written before (refreshed in place)."""
    if dest == cd.root or cd.root in dest.parents and dest.parts[len(cd.root.parts)] != "workshops":
        raise CourseError(f"{dest} is inside the course itself: choose a folder of its own (default "
                          f"{default_dest(cd, module_id)})")
    if not dest.exists() or not any(dest.iterdir()):
        return
    try:
        released = load_course(dest / "course.yml").released
    except CourseFileError:
        released = None
    if released != (module_id,):
        raise CourseError(f"{dest} is not empty and is not {module_id}'s workshop: choose another --dest")


class _OneLine(dict):
    """A mapping written on one line, as course.yml lists its modules."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_OneLine, lambda dumper, data: dumper.represent_mapping(
    "tag:yaml.org,2002:map", data, flow_style=True))


def course_text(cd: CourseDir, module_id: str, provided: list[str]) -> str:
    raw = yaml.safe_load((cd.root / "course.yml").read_text())
    raw["modules"] = [_OneLine(m) for m in raw["modules"]]
    raw["released"] = [module_id]
    raw["provided_references"] = provided
    raw["grading"] = {**(raw.get("grading") or {}), "prerequisites": "reference"}
    raw.pop("deadlines", None)  # the term's deadlines are not the workshop's
    body = yaml.dump(raw, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=160,
                     allow_unicode=True)
    return HEADER.format(module=module_id, origin=cd.root) + body


def _copy_file(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


def _replace_tree(src: Path, dst: Path) -> None:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))


def write(cd: CourseDir, module_id: str, dest: Path | None = None) -> Workshop:
    """Write (or refresh) the workshop course of module_id in dest."""
    dest = (dest or default_dest(cd, module_id)).resolve()
    provided = cd.prerequisites(module_id)  # KeyError for an unknown module: the CLI names the known ones
    _check_built(cd, module_id, provided)
    _check_dest(cd, module_id, dest)
    dest.mkdir(parents=True, exist_ok=True)
    _copy_file(cd.root / "nbgrader_config.py", dest / "nbgrader_config.py")
    _replace_tree(cd.source_notebook(module_id).parent, dest / "source" / module_id)
    _replace_tree(cd.release_notebook(module_id).parent, dest / "release" / module_id)
    references = dest / "build" / "reference" / "tinytorch"
    shutil.rmtree(references, ignore_errors=True)
    for m in (*provided, module_id):
        _copy_file(_reference(cd, m), references / _reference(cd, m).name)
    (dest / "course.yml").write_text(course_text(cd, module_id, provided))
    load_course(dest / "course.yml")  # what was written must read back
    _record(dest).parent.mkdir(exist_ok=True)
    _record(dest).write_text(json.dumps({"module": module_id, "origin": str(cd.root)}))
    return Workshop(module_id, dest, provided)
