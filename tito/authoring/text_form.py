"""The authored text form (jupytext percent, NN_name.py) and the notebook nbgrader reads.

The .py is the source of truth; the .ipynb is generated from it deterministically
(stable cell ids, fixed kernelspec, no outputs), so `check_drift` can compare bytes.
"""
from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}
JUPYTEXT_FORMAT = "py:percent"
CELL_METADATA_FILTER = "nbgrader,-all"


def _cell_id(cell, index: int, used: set[str]) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    base = re.sub(r"[^A-Za-z0-9_-]", "-", grade_id)[:64] if grade_id else f"cell-{index:03d}"
    cid, n = base, 1
    while cid in used:
        n += 1
        cid = f"{base[:60]}-{n}"
    used.add(cid)
    return cid


def notebook_from_text(text: str):
    """The notebook for an authored percent script, identical for identical text."""
    nb = jupytext.reads(text, fmt=JUPYTEXT_FORMAT)
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    used: set[str] = set()
    for index, cell in enumerate(nb.cells):
        cell["id"] = _cell_id(cell, index, used)
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def notebook_json(nb) -> str:
    return nbformat.writes(nb) + "\n"


def expected_notebook_text(py_path: Path) -> str:
    return notebook_json(notebook_from_text(py_path.read_text()))


def text_from_notebook(nb) -> str:
    """The percent script for a notebook edited in Jupyter (e.g. with nbgrader's create_assignment)."""
    nb = nbformat.from_dict(nb)
    nb.metadata.setdefault("jupytext", {})["cell_metadata_filter"] = CELL_METADATA_FILTER
    nb.metadata["jupytext"]["notebook_metadata_filter"] = "-all"
    return jupytext.writes(nb, fmt=JUPYTEXT_FORMAT)


def sync_to_notebook(py_path: Path, nb_path: Path) -> bool:
    """Regenerate nb_path from py_path; True if it changed."""
    text = expected_notebook_text(py_path)
    if nb_path.is_file() and nb_path.read_text() == text:
        return False
    nb_path.write_text(text)
    return True


def drift(py_path: Path, nb_path: Path) -> str | None:
    """None when the notebook is exactly what the text form generates, else why not."""
    if not nb_path.is_file():
        return f"{nb_path.name} is missing: run `tito build`"
    if nb_path.read_text() != expected_notebook_text(py_path):
        return (f"{nb_path.name} differs from {py_path.name}: edit the .py and run `tito build` "
                f"(or, after editing the notebook in Jupyter, `tito sync --from-notebook`)")
    return None
