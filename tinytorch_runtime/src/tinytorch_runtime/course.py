"""The course file (course.yml): module list and course policy, validated."""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MODULE_ID = re.compile(r"^(\d\d)_([a-z][a-z0-9_]*)$")
TIERS = ("foundation", "architecture", "optimization")
PREREQUISITE_POLICIES = ("reference", "own")


class CourseFileError(ValueError):
    """The course file is missing, unreadable or invalid; the message names the key."""


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    tier: str
    index: int
    requires: tuple[str, ...] = ()
    extends: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """`01_tensor` -> `tensor`: the module exports `tinytorch.<name>`."""
        return MODULE_ID.match(self.id).group(2)

    @property
    def import_path(self) -> str:
        return f"tinytorch.{self.name}"


@dataclass(frozen=True)
class Course:
    path: Path
    course_id: str
    title: str
    modules: tuple[Module, ...]
    released: tuple[str, ...] = ()
    provided_references: tuple[str, ...] = ()
    prerequisites_policy: str = "reference"
    deadlines: dict = field(default_factory=dict)

    def module(self, module_id: str) -> Module:
        for m in self.modules:
            if m.id == module_id:
                return m
        raise KeyError(f"unknown module {module_id!r}; the course has: {', '.join(self.module_ids)}")

    def module_by_name(self, name: str) -> Module | None:
        return next((m for m in self.modules if m.name == name), None)

    @property
    def module_ids(self) -> list[str]:
        return [m.id for m in self.modules]

    def extenders_of(self, module_id: str) -> list[Module]:
        """Modules that declare `extends: [module_id]`, in course order."""
        return [m for m in self.modules if module_id in m.extends]


def _fail(path, key, problem):
    raise CourseFileError(f"{path}: key '{key}': {problem}")


def _str_list(raw, path, key, known=None, label=None):
    label = label or key
    value = raw.get(key, []) if isinstance(raw, dict) else []
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _fail(path, label, f"must be a list of module ids, got {value!r}")
    if known is not None:
        for v in value:
            if v not in known:
                _fail(path, label, f"unknown module id {v!r}")
    return tuple(value)


def _parse_modules(raw_modules, path):
    if not isinstance(raw_modules, list) or not raw_modules:
        _fail(path, "modules", "must be a non-empty list of {id, title, tier}")
    seen: list[str] = []
    modules = []
    for i, raw in enumerate(raw_modules):
        key = f"modules[{i}]"
        if not isinstance(raw, dict):
            _fail(path, key, "must be a mapping with id, title, tier")
        mid = raw.get("id")
        if not isinstance(mid, str) or not MODULE_ID.match(mid):
            _fail(path, f"{key}.id", f"must look like '01_tensor' (two digits, underscore, lower-case name), got {mid!r}")
        if mid in seen:
            _fail(path, f"{key}.id", f"duplicate module id {mid!r}")
        if not isinstance(raw.get("title"), str):
            _fail(path, f"{key}.title", "is required (a string)")
        if raw.get("tier") not in TIERS:
            _fail(path, f"{key}.tier", f"must be one of {', '.join(TIERS)}, got {raw.get('tier')!r}")
        deps = {listed: _str_list(raw, path, listed, label=f"{key}.{listed}") for listed in ("requires", "extends")}
        for listed, values in deps.items():
            for dep in values:
                if dep not in seen:
                    _fail(path, f"{key}.{listed}", f"{dep!r} must be an earlier module")
        modules.append(Module(id=mid, title=raw["title"], tier=raw["tier"], index=i, **deps))
        seen.append(mid)
    return tuple(modules)


def _parse_deadlines(raw, path, known):
    deadlines = raw.get("deadlines") or {}
    if not isinstance(deadlines, dict):
        _fail(path, "deadlines", "must map module ids to ISO 8601 date-times")
    parsed = {}
    for mid, when in deadlines.items():
        if mid not in known:
            _fail(path, f"deadlines.{mid}", "unknown module id")
        if isinstance(when, str):
            try:
                when = _dt.datetime.fromisoformat(when)
            except ValueError:
                _fail(path, f"deadlines.{mid}", f"not an ISO 8601 date-time: {when!r}")
        if not isinstance(when, _dt.datetime):
            _fail(path, f"deadlines.{mid}", f"not an ISO 8601 date-time: {when!r}")
        parsed[mid] = when
    return parsed


def load_course(path: str | Path) -> Course:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise CourseFileError(f"course file not found: {path}") from None
    except yaml.YAMLError as e:
        raise CourseFileError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(raw, dict):
        raise CourseFileError(f"{path}: must be a YAML mapping with course_id, modules, ...")
    if not isinstance(raw.get("course_id"), str) or not re.match(r"^[A-Za-z0-9_-]+$", raw["course_id"]):
        _fail(path, "course_id", "is required: letters, digits, '-' or '_'")
    modules = _parse_modules(raw.get("modules"), path)
    known = [m.id for m in modules]
    policy = (raw.get("grading") or {}).get("prerequisites", "reference")
    if policy not in PREREQUISITE_POLICIES:
        _fail(path, "grading.prerequisites", f"must be one of {', '.join(PREREQUISITE_POLICIES)}, got {policy!r}")
    return Course(
        path=path,
        course_id=raw["course_id"],
        title=str(raw.get("title", raw["course_id"])),
        modules=modules,
        released=_str_list(raw, path, "released", known),
        provided_references=_str_list(raw, path, "provided_references", known),
        prerequisites_policy=policy,
        deadlines=_parse_deadlines(raw, path, known),
    )
