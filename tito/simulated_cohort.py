"""Simulated students: submissions built from the release and the reference solutions.

Used by `tito demo` (the README's main job) and by the end-to-end tests. A profile
names what the student did; `make_submission` writes it where `nbgrader collect` would.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .authoring.validate import BEGIN_SOLUTION, END_SOLUTION

ANSWER = "Views share memory with their base, so writing through one changes the other."


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _solution_source(cell) -> str:
    return "\n".join(line for line in cell.source.splitlines()
                     if BEGIN_SOLUTION not in line and END_SOLUTION not in line)


def _by_grade_id(nb) -> dict:
    return {_meta(c)["grade_id"]: c for c in nb.cells if _meta(c).get("grade_id")}


@dataclass
class Profile:
    """What a simulated student hands in."""
    name: str
    solve: bool = True                      # fill solution cells from the reference
    leave_stubs: tuple[str, ...] = ()       # solution grade_ids left as released
    syntax_error_in: tuple[str, ...] = ()   # solution grade_ids whose code gets a syntax error
    tamper: dict = field(default_factory=dict)  # test grade_id -> replacement source
    delete: tuple[str, ...] = ()            # grade_ids of cells removed from the notebook
    answer_reflections: bool = True


def make_notebook(source_nb, release_nb, profile: Profile):
    nb = copy.deepcopy(release_nb)
    solutions = _by_grade_id(source_nb)
    for cell in nb.cells:
        meta = _meta(cell)
        gid = meta.get("grade_id")
        if not meta.get("solution") or gid in profile.leave_stubs or not profile.solve:
            continue
        if cell.cell_type == "markdown":
            if profile.answer_reflections:
                cell.source = ANSWER
            continue
        cell.source = _solution_source(solutions[gid])
        if gid in profile.syntax_error_in:
            cell.source += "\n    this is not python ("
    for gid, new_source in profile.tamper.items():
        _by_grade_id(nb)[gid].source = new_source
    nb.cells = [c for c in nb.cells if _meta(c).get("grade_id") not in profile.delete]
    return nb


def write_submission(course_root: Path, student: str, module_id: str, nb,
                     timestamp: str = "2027-01-20 12:00:00.000000 UTC") -> Path:
    folder = course_root / "submitted" / student / module_id
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{module_id}.ipynb")
    (folder / "timestamp.txt").write_text(timestamp)
    return folder


def test_cells_of(source_nb) -> dict[str, float]:
    """grade_id -> points for autograded test cells."""
    return {_meta(c)["grade_id"]: float(_meta(c)["points"]) for c in source_nb.cells
            if _meta(c).get("grade") and c.cell_type == "code"}


def solution_cells_of(source_nb) -> list[str]:
    return [_meta(c)["grade_id"] for c in source_nb.cells
            if _meta(c).get("solution") and c.cell_type == "code"]
