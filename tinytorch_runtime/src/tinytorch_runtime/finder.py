"""The import hook behind `from tinytorch.<name> import ...`.

`tinytorch.<name>` is built in module `NN_<name>`. It resolves, in order, to

  student mode:  (1) the student's own export   <store>/tinytorch/<name>.py
                 (2) the instructor reference    <reference>/tinytorch/<name>.py,
                     only if course.yml lists NN_<name> under provided_references
  grading mode:  the grading policy decides: `reference` -> (2) without the listing
                 requirement, `own` -> the student's graded export (1)

and otherwise fails with an ImportError that names the module to finish and how.
After a module loads, the modules that declare `extends: [NN_<name>]` and come
before the current module are loaded too (see extend.py).
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

from . import context
from .course import Module

PACKAGE = "tinytorch"


@dataclass(frozen=True)
class Resolution:
    module: Module
    path: Path | None
    origin: str  # "your export", "instructor reference", or "" when unresolved
    why_not: str = ""


def _candidates(module: Module) -> list[tuple[str, Path | None]]:
    course = context.course()
    store = context.module_file(context.store_dir(), module)
    ref_root = context.reference_dir()
    reference = context.module_file(ref_root, module) if ref_root else None
    if context.mode() == "grading":
        if course.prerequisites_policy == "own":
            return [("the student's graded export", store)]
        return [("instructor reference", reference)]
    candidates = [("your export", store)]
    if module.id in course.provided_references:
        candidates.append(("instructor reference", reference))
    return candidates


def _missing_message(module: Module) -> str:
    if context.mode() == "grading":
        policy = context.course().prerequisites_policy
        source = ("the student's graded export (grading policy 'own'): grade "
                  f"{module.id} for this student first" if policy == "own" else
                  "the instructor reference (grading policy 'reference'): run `tito build` "
                  "so the references exist, and check TINYTORCH_REFERENCE")
        return f"{module.import_path} is not available for grading: it comes from {source}."
    return (f"{module.import_path} comes from module {module.id}, which you have not exported yet. "
            f"Open {module.id}/{module.id}.ipynb, complete it, run its last cell (export), "
            f"then restart this kernel.")


def resolve(module: Module) -> Resolution:
    for origin, path in _candidates(module):
        if path is not None and path.is_file():
            return Resolution(module, path, origin)
    return Resolution(module, None, "", _missing_message(module))


def _short_error(exc: BaseException, path: Path) -> str:
    """One line: the error and where in the exported file it happened."""
    where = ""
    if isinstance(exc, SyntaxError) and exc.lineno:
        where = f" (line {exc.lineno}: {(exc.text or '').strip()})"
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
        if frames:
            where = f" (line {frames[-1].lineno}: {frames[-1].line})"
    return f"{type(exc).__name__}: {exc}{where}"


class _ExportLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, resolution: Resolution):
        super().__init__(fullname, str(resolution.path))
        self.resolution = resolution

    def exec_module(self, module):
        res = self.resolution
        module.__tinytorch_origin__ = res.origin
        try:
            super().exec_module(module)
        except Exception as exc:
            hint = (f"Fix the cell in {res.module.id}/{res.module.id}.ipynb, re-run its export cell, "
                    f"then restart this kernel." if res.origin == "your export" else
                    "Tell the course staff: this file is not yours to fix.")
            raise ImportError(
                f"{res.module.import_path} ({res.origin}, {res.path}) does not import: "
                f"{_short_error(exc, res.path)}. {hint}", name=self.name) from None
        _load_extensions(res.module)


def _still_loading(module: Module) -> bool:
    loaded = sys.modules.get(module.import_path)
    return loaded is not None and bool(getattr(getattr(loaded, "__spec__", None), "_initializing", False))


def _load_extensions(base: Module) -> None:
    course = context.course()
    current = context.current_module()
    for ext in course.extenders_of(base.id):
        if current is not None and ext.index >= current.index:
            continue  # the current module (or a later one) is where that extension is being built
        if resolve(ext).path is None:
            continue  # not exported yet: the base works without it
        others = [course.module(dep) for dep in (*ext.requires, *ext.extends) if dep != base.id]
        if any(_still_loading(m) for m in others):
            continue  # loaded when that module finishes (it is extended too, or imports this base)
        try:
            importlib.import_module(ext.import_path)
        except ImportError as exc:
            warnings.warn(f"{base.import_path} loaded without the extension from {ext.id}: {exc}",
                          stacklevel=2)


class TinyTorchFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(PACKAGE + "."):
            return None
        name = fullname[len(PACKAGE) + 1:]
        if "." in name:
            return None
        course = context.course()
        module = course.module_by_name(name)
        if module is None:
            known = ", ".join(m.name for m in course.modules)
            raise ImportError(f"there is no {fullname} in this course; modules are: {known}", name=fullname)
        res = resolve(module)
        if res.path is None:
            raise ImportError(res.why_not, name=fullname)
        return importlib.util.spec_from_file_location(fullname, res.path, loader=_ExportLoader(fullname, res))


_FINDER = TinyTorchFinder()


def install() -> None:
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def where(name: str) -> str:
    """Where `tinytorch.<name>` would come from right now, as one line (for students' debugging)."""
    module = context.course().module_by_name(name)
    if module is None:
        return f"tinytorch.{name}: not a module of this course"
    res = resolve(module)
    return f"{module.import_path}: {res.origin} ({res.path})" if res.path else res.why_not
