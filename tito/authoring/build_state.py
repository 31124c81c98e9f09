"""What each module's last `tito build` was made from, so a build with nothing changed takes seconds.

build/manifest.json records per module a hash of its inputs (every file in source/<id>/, its
course.yml entry, nbgrader_config.py, the code that builds: tito and tinytorch_runtime, and the
versions of nbgrader, jupytext, nbformat and nbconvert) and a hash of each file the build wrote
(the source notebook, release/<id>/, the instructor reference). A module is rebuilt when any input
changed, any output is missing or different, or the gradebook does not list it; no module's build
reads another module, so nothing else is rebuilt with it. Anything in doubt counts as changed.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib.metadata as md
import json
import os
from pathlib import Path

import tinytorch_runtime

from ..course_dir import CourseDir

TITO = Path(__file__).resolve().parents[1]  # the tito package
FORMAT = 1
TOOLS = ("nbgrader", "jupytext", "nbformat", "nbconvert")
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}


def _files(folder: Path, pattern: str = "*") -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob(pattern) if p.is_file() and not SKIPPED_PARTS & set(p.parts))


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree_hash(h, folder: Path, pattern: str = "*") -> None:
    for f in _files(folder, pattern):
        h.update(str(f.relative_to(folder)).encode() + b"\0" + file_hash(f).encode() + b"\0")


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "missing"


def _imported(path: Path, package: str) -> set[str]:
    """Modules of tito or tinytorch_runtime a source file imports at module level (imports inside
    functions serve other commands: `tito check --mistakes`, the gradebook check)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `from . import x` in package p is p.x; each extra dot goes up one
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] in ("tito", "tinytorch_runtime")}


def _source_of(module: str) -> Path | None:
    top = TITO if module.split(".")[0] == "tito" else Path(tinytorch_runtime.__file__).parent
    rest = module.split(".")[1:]
    for candidate in (top.joinpath(*rest).with_suffix(".py") if rest else None, top.joinpath(*rest, "__init__.py")):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _parents(module: str) -> list[str]:
    """The packages Python imports before a module: tito.authoring.build runs tito/__init__.py and
    tito/authoring/__init__.py first."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def build_code() -> list[Path]:
    """The source files `tito build` runs: tito.authoring.build and everything it imports, transitively."""
    seen: dict[str, Path] = {}
    todo = ["tito.authoring.build", "tinytorch_runtime"]
    while todo:
        module = todo.pop()
        path = _source_of(module)
        if module in seen or path is None:
            continue
        seen[module] = path
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        todo += sorted(_imported(path, package)) + _parents(module)
    return sorted(set(seen.values()))


def code_version() -> str:
    """The build's own code (build_code()) and the versions of the tools it runs."""
    h = hashlib.sha256()
    for path in build_code():
        h.update(path.name.encode() + b"\0" + file_hash(path).encode() + b"\0")
    h.update(json.dumps({t: _version(t) for t in TOOLS}, sort_keys=True).encode())
    return h.hexdigest()


def inputs_hash(cd: CourseDir, module_id: str, code: str) -> str:
    h = hashlib.sha256(code.encode())
    entry = dataclasses.asdict(cd.course.module(module_id))
    h.update(json.dumps({"course_id": cd.course.course_id, "module": entry}, sort_keys=True, default=list).encode())
    h.update(file_hash(cd.root / "nbgrader_config.py").encode())
    _tree_hash(h, cd.source_text(module_id).parent)
    return h.hexdigest()


def output_files(cd: CourseDir, module_id: str) -> list[Path]:
    reference = cd.reference_dir / "tinytorch" / f"{cd.course.module(module_id).name}.py"
    return [cd.source_notebook(module_id), *_files(cd.release_notebook(module_id).parent), reference]


class BuildManifest:
    def __init__(self, cd: CourseDir):
        self.cd = cd
        self.path = cd.root / "build" / "manifest.json"
        data = self._load()
        self.modules: dict[str, dict] = data.get("modules", {})
        self.code: str | None = data.get("code")  # the build code of the last recorded module

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("format") == FORMAT else {}

    def up_to_date(self, module_id: str, code: str) -> bool:
        """Built from exactly these inputs, and every file it wrote is still what it wrote."""
        entry = self.modules.get(module_id)
        if not entry or entry.get("inputs") != inputs_hash(self.cd, module_id, code):
            return False
        outputs = entry.get("outputs", {})
        current = [str(p.relative_to(self.cd.root)) for p in output_files(self.cd, module_id)]
        if sorted(current) != sorted(outputs):
            return False
        return all((self.cd.root / rel).is_file() and file_hash(self.cd.root / rel) == digest
                   for rel, digest in outputs.items())

    def record(self, module_id: str, code: str) -> None:
        self.code = code
        self.modules[module_id] = {
            "inputs": inputs_hash(self.cd, module_id, code),
            "outputs": {str(p.relative_to(self.cd.root)): file_hash(p)
                        for p in output_files(self.cd, module_id) if p.is_file()},
            "source": self.source_pair(module_id),
        }
        self._save()

    def forget(self, module_id: str) -> None:
        if self.modules.pop(module_id, None) is not None:
            self._save()

    def source_pair(self, module_id: str) -> list[str]:
        """Hashes of the text form and the notebook: equal to the recorded pair means no drift."""
        return [file_hash(p) if p.is_file() else "" for p in (self.cd.source_text(module_id),
                                                             self.cd.source_notebook(module_id))]

    def in_sync_at_last_build(self, module_id: str) -> bool:
        recorded = self.modules.get(module_id, {}).get("source")
        return bool(recorded) and recorded == self.source_pair(module_id)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"format": FORMAT, "code": self.code, "modules": self.modules}, indent=1,
                                  sort_keys=True))
        os.replace(tmp, self.path)


def registered_in_gradebook(cd: CourseDir) -> set[str] | None:
    """Assignments the gradebook lists with their notebooks (nbgrader generate_assignment registers
    each built module); None when it cannot be read."""
    if not cd.gradebook.is_file():
        return None
    from ..course_state import read_only_gradebook

    try:
        with read_only_gradebook(cd) as gb:
            return {a.name for a in gb.assignments if a.notebooks}
    except Exception:  # noqa: BLE001 - an unreadable gradebook only means: rebuild
        return None
