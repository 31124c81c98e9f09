"""Export: the cells a notebook marks with `#| export` become `tinytorch/<name>.py`.

Students run `export_module("01_tensor")` from the notebook's last cell. It reads
the saved notebook, writes the file into their store, checks in a fresh Python
process that it imports cleanly, and says what happened in one line.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import context
from .course import Module

EXPORT_MARK = "#| export"
SOLUTION_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
IMPORT_CHECK_TIMEOUT = 60


def is_export_cell(cell) -> bool:
    if cell.get("cell_type") != "code":
        return False
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    return first.strip() == EXPORT_MARK


@dataclass
class Exported:
    text: str
    cell_starts: list[tuple[int, int]]  # (line in file where a cell begins, cell number in notebook)

    def cell_of_line(self, line: int) -> int | None:
        cell = None
        for start, number in self.cell_starts:
            if start <= line:
                cell = number
        return cell


def render_module(nb, module: Module, notebook_name: str) -> Exported:
    """The Python file for a notebook's export cells, in notebook order."""
    lines = [
        f'"""tinytorch.{module.name}: generated from {notebook_name} ({module.id}).',
        "",
        "Do not edit: edit the notebook and re-run its export cell.",
        '"""',
    ]
    starts = []
    for number, cell in enumerate(nb.cells, start=1):
        if not is_export_cell(cell):
            continue
        body = [line for line in cell.source.splitlines() if line.strip() != EXPORT_MARK]
        body = [line for line in body if not SOLUTION_MARKERS.match(line)]
        lines += ["", f"# --- cell {number} ---"]
        starts.append((len(lines) + 1, number))
        lines += body
    return Exported("\n".join(lines) + "\n", starts)


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def check_import(module: Module, path: Path) -> str | None:
    """Import the exported file in a fresh interpreter; None if clean, else one line.

    The file itself is imported directly; its own imports of earlier modules resolve as
    they would for this kernel (student store, or the grading policy)."""
    env = dict(os.environ)
    env.pop("TINYTORCH_MODULE", None)
    code = f"from tinytorch_runtime.export import import_or_explain; import_or_explain({module.name!r}, {str(path)!r})"
    try:
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                              timeout=IMPORT_CHECK_TIMEOUT, cwd=str(path.parent))
    except subprocess.TimeoutExpired:
        return f"importing it took over {IMPORT_CHECK_TIMEOUT} s (an infinite loop outside a function?)"
    if proc.returncode == 0:
        return None
    lines = proc.stderr.strip().splitlines()
    return lines[-1] if lines else f"the import check exited with code {proc.returncode}"


def import_or_explain(name: str, path: str) -> None:
    """Run in the check's subprocess: import `path` as tinytorch.<name>, or exit 1 with one line."""
    import importlib.util

    import tinytorch  # noqa: F401  (the import hook, for the file's own imports)
    from .finder import _short_error

    fullname = f"tinytorch.{name}"
    try:
        spec = importlib.util.spec_from_file_location(fullname, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[fullname] = module
        spec.loader.exec_module(module)
    except BaseException as exc:  # noqa: BLE001 (anything the student's code raises)
        print(_short_error(exc, Path(path)).splitlines()[0], file=sys.stderr)
        sys.exit(1)


def _unsaved_cells(nb) -> int:
    """How many export cells in the saved file differ from what this kernel ran."""
    try:
        history = get_ipython().user_ns.get("In", [])  # noqa: F821 (defined inside IPython)
    except NameError:
        return 0
    ran = {src.strip() for src in history}
    return sum(1 for c in nb.cells if is_export_cell(c) and c.source.strip() not in ran)


def _home_relative(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def export_module(module_id: str, notebook: str | os.PathLike | None = None) -> bool:
    """Export `module_id`'s marked cells; print one line; True when it imports cleanly."""
    module = context.course().module(module_id)
    nb_path = Path(notebook) if notebook else Path.cwd() / f"{module_id}.ipynb"
    if not nb_path.is_file():
        print(f"❌ {module_id}: cannot find {nb_path.name} in {nb_path.parent}; "
              f"run this cell from the notebook {module_id}.ipynb itself.")
        return False
    import nbformat  # here, not at the top: every kernel imports this package, few export

    nb = nbformat.read(nb_path, as_version=4)
    exported = render_module(nb, module, nb_path.name)
    store = context.store_dir()
    target = context.module_file(store, module)
    candidate = target.with_name(f".{target.stem}.candidate.py")
    write_atomically(candidate, exported.text)

    n_cells = len(exported.cell_starts)
    where = _home_relative(target)
    problem = check_import(module, candidate)
    if problem:
        candidate.unlink(missing_ok=True)
        line = re.search(r"line (\d+)", problem)
        cell = exported.cell_of_line(int(line.group(1))) if line else None
        in_cell = f" (notebook cell {cell})" if cell else ""
        kept = (f"the previous export in {where} is unchanged" if target.is_file()
                else f"nothing was written to {where}")
        print(f"❌ {module_id}: the export does not import{in_cell}: {problem}. Fix it and run this cell "
              f"again; {kept}.")
        return False
    os.replace(candidate, target)
    stubs = unfinished_cells(nb)
    if stubs:
        print(f"⚠ {module_id}: exported {n_cells} cells to {where}, but cell(s) {', '.join(map(str, stubs))} "
              f"still raise NotImplementedError (the release stub): finish them, or later modules that "
              f"import {module.import_path} will fail there.")
        return False
    stale = _unsaved_cells(nb)
    saved = _dt.datetime.fromtimestamp(nb_path.stat().st_mtime).strftime("%H:%M:%S")
    warn = (f" ⚠ {stale} exported cell(s) differ from what you ran: save the notebook (Ctrl+S) "
            f"and run this cell again." if stale else "")
    print(f"✅ {module_id}: exported {n_cells} cells (notebook saved {saved}) to {where}; "
          f"imports cleanly as {module.import_path}.{warn}")
    return True


def unfinished_cells(nb) -> list[int]:
    """Numbers of export cells that still hold the release stub."""
    return [number for number, cell in enumerate(nb.cells, start=1)
            if is_export_cell(cell) and re.search(r"^\s*raise NotImplementedError\(\)\s*$", cell.source, re.M)]
