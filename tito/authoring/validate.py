"""Checks on source notebooks (before release) and release notebooks (after)."""
from __future__ import annotations


import nbformat

from tinytorch_runtime.export import EXPORT_MARK, is_export_cell

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MODULE_POINTS = 100
STUB = "raise NotImplementedError()"


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _label(index: int, cell) -> str:
    grade_id = _meta(cell).get("grade_id")
    return f"cell {index + 1}" + (f" ({grade_id})" if grade_id else "")


def _balanced(source: str, begin: str, end: str) -> bool:
    depth = 0
    for line in source.splitlines():
        if begin in line:
            depth += 1
            if depth > 1:
                return False
        elif end in line:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _cell_problems(cell) -> list[str]:
    meta, src = _meta(cell), cell.source
    is_test = bool(meta.get("grade")) and not meta.get("solution")
    problems = []
    if meta and not meta.get("grade_id"):
        problems.append("nbgrader cell without a grade_id")
    if meta.get("grade") and not (isinstance(meta.get("points"), (int, float)) and meta["points"] > 0):
        problems.append("graded cell without positive points")
    if is_test and not meta.get("locked"):
        problems.append("test cell is not locked")
    if is_test and BEGIN_SOLUTION in src:
        problems.append("solution markers inside a test cell")
    if is_test and is_export_cell(cell):
        problems.append("test cells must not be exported")
    if BEGIN_SOLUTION in src and not meta.get("solution"):
        problems.append("solution region in a cell not marked as a solution cell")
    if BEGIN_HIDDEN in src and not meta.get("grade"):
        problems.append("hidden tests in a cell that is not graded")
    if not _balanced(src, BEGIN_SOLUTION, END_SOLUTION):
        problems.append("unbalanced or nested BEGIN/END SOLUTION")
    if not _balanced(src, BEGIN_HIDDEN, END_HIDDEN):
        problems.append("unbalanced or nested BEGIN/END HIDDEN TESTS")
    if cell.cell_type == "code" and meta.get("solution") and BEGIN_SOLUTION not in src:
        problems.append("solution cell without a ### BEGIN SOLUTION region (students would see the answer)")
    if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
        problems.append("outputs are not cleared")
    misplaced = any(line.strip() == EXPORT_MARK for line in src.splitlines())
    if cell.cell_type == "code" and misplaced and not is_export_cell(cell):
        problems.append(f"'{EXPORT_MARK}' must be the first line of the cell")
    return problems


def validate_source(nb, module_id: str) -> list[str]:
    """Every problem in a source notebook, one line each (empty when it is fine)."""
    problems = []
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"kernelspec must be python3, got {kernel!r}")
    seen: dict[str, int] = {}
    points = 0.0
    for index, cell in enumerate(nb.cells):
        problems += [f"{_label(index, cell)}: {p}" for p in _cell_problems(cell)]
        meta = _meta(cell)
        if meta.get("grade_id"):
            if meta["grade_id"] in seen:
                problems.append(f"{_label(index, cell)}: grade_id also used by cell {seen[meta['grade_id']] + 1}")
            seen[meta["grade_id"]] = index
        if meta.get("grade"):
            points += float(meta.get("points") or 0)
    if points != MODULE_POINTS:
        problems.append(f"points add up to {points:g}, a module is worth {MODULE_POINTS}")
    last = nb.cells[-1] if nb.cells else None
    call = f'export_module("{module_id}")'
    if last is None or call not in last.source or not _meta(last).get("locked"):
        problems.append(f"the last cell must be a locked cell calling {call}")
    if not any(is_export_cell(c) for c in nb.cells):
        problems.append(f"no '{EXPORT_MARK}' cells: nothing would be exported")
    return [f"{module_id}: {p}" for p in problems]


def validate_release(source_nb, release_nb, module_id: str) -> list[str]:
    """The release has a stub for every solution region and nothing instructor-only."""
    problems = []
    text = nbformat.writes(release_nb)
    for marker in (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN):
        if marker in text:
            problems.append(f"release contains '{marker}'")
    source_ids = {_meta(c).get("grade_id"): c for c in source_nb.cells if _meta(c).get("grade_id")}
    for cell in release_nb.cells:
        src_cell = source_ids.get(_meta(cell).get("grade_id"))
        if src_cell is None or BEGIN_SOLUTION not in src_cell.source:
            continue
        regions = src_cell.source.count(BEGIN_SOLUTION)
        stubs = cell.source.count(STUB) if cell.cell_type == "code" else cell.source.count("YOUR ANSWER HERE")
        if stubs < regions:
            problems.append(f"{_meta(cell)['grade_id']}: {regions} solution region(s) but {stubs} stub(s) in the release")
    return [f"{module_id} release: {p}" for p in problems]


def _split_lines(nb, begin: str, end: str) -> tuple[list[str], str]:
    """(stripped lines inside begin/end regions, all the notebook's text outside them)."""
    inside_lines, outside_lines = [], []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if begin in line:
                inside = True
            elif end in line:
                inside = False
            elif inside:
                inside_lines.append(line.strip())
            else:
                outside_lines.append(line.strip())
    return inside_lines, " ".join(outside_lines)  # prose may wrap quoted code across lines


def distinctive_lines(nb, begin: str, end: str, min_length: int = 12) -> list[str]:
    """Lines found only inside begin/end regions: what a leak check looks for elsewhere.

    Short or comment lines, and lines whose text also appears outside the regions (`try:`,
    `pass`, given scaffolding, code quoted in the prose), cannot tell a leak from legitimate
    content."""
    inside, outside = _split_lines(nb, begin, end)
    return [line for line in inside
            if len(line) > min_length and not line.startswith("#") and line not in outside]


def hidden_test_bodies(nb) -> list[str]:
    return distinctive_lines(nb, BEGIN_HIDDEN, END_HIDDEN)


def solution_bodies(nb) -> list[str]:
    return distinctive_lines(nb, BEGIN_SOLUTION, END_SOLUTION)
