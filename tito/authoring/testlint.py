"""The mechanical rules of judged tests, graded answers and module openings (docs/grading.md, docs/authoring.md)."""
from __future__ import annotations

import ast
import re

from ..grading.judge import AuthoringError, graded_test_cells, hidden_lines, rewrite_cell
from .validate import BEGIN_SOLUTION, END_SOLUTION

POINT_SPLIT = re.compile(r"\b\d+(\.\d+)?\s*(points?|pts?)\b|\(\s*\d+(\.\d+)?\s*\)|\b\d+\s*/\s*\d+\b", re.I)
EXPECTED_TIME = re.compile(r"\*\*Expected time:\*\*\s+\d+–\d+ hours")
DIFFICULTY = re.compile(r"\*\*Difficulty:\*\*\s+([★☆]+)")


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _hidden_module_names(source: str) -> list[str]:
    """Top-level names bound inside hidden regions that do not start with `_`."""
    hidden = hidden_lines(source)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for stmt in tree.body:
        if stmt.lineno not in hidden:
            continue
        targets = []
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        elif isinstance(stmt, (ast.For, ast.With)):
            targets = [stmt.target] if isinstance(stmt, ast.For) else [i.optional_vars for i in stmt.items if i.optional_vars]
        elif isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            names.append(stmt.name)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in stmt.names]
        for target in targets:
            names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    return sorted({n for n in names if not n.startswith("_")})


def uses_judged_tests(nb) -> bool:
    return any(_meta(c).get("grade_id") == "test-tools" for c in nb.cells)


def test_cell_problems(nb) -> list[str]:
    problems = []
    for cell in graded_test_cells(nb):
        gid = _meta(cell).get("grade_id")
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as exc:
            problems.append(f"{gid}: not valid Python: {exc}")
            continue
        if any(isinstance(n, ast.Assert) for n in ast.walk(tree)):
            problems.append(f"{gid}: bare assert in a graded test cell (use expect/expect_close/expect_raises)")
        try:
            judged = rewrite_cell(gid, cell.source)
        except AuthoringError as exc:
            problems.append(f"{gid}: {exc}")
            continue
        if not judged.checks:
            problems.append(f"{gid}: no checks (expect/expect_close/expect_raises)")
        if not judged.has_hidden:
            problems.append(f"{gid}: no hidden part (### BEGIN HIDDEN TESTS)")
        bad = _hidden_module_names(cell.source)
        if bad:
            problems.append(f"{gid}: hidden tests define names without a leading _: {', '.join(bad)}")
    return problems


def answer_problems(nb) -> list[str]:
    """Manually graded answers must carry a model answer and a point split for graders."""
    problems = []
    for cell in nb.cells:
        meta = _meta(cell)
        if cell.cell_type != "markdown" or not meta.get("grade") or not meta.get("solution"):
            continue
        body = cell.source.split(BEGIN_SOLUTION, 1)[-1].split(END_SOLUTION, 1)[0]
        if len(body.split()) < 15:
            problems.append(f"{meta.get('grade_id')}: no model answer for graders")
        elif not POINT_SPLIT.search(body):
            problems.append(f"{meta.get('grade_id')}: no point split for graders (e.g. '2 pts: ...')")
    return problems


def opening_problems(nb) -> list[str]:
    """The markdown cells before the first code cell state the expected time and a 5-star difficulty."""
    opening = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            break
        opening.append(cell.source)
    text = "\n".join(opening)
    problems = []
    if not EXPECTED_TIME.search(text):
        problems.append("the opening does not state '**Expected time:** A–B hours.' (docs/authoring.md)")
    stars = DIFFICULTY.search(text)
    if not stars:
        problems.append("the opening does not state '**Difficulty:** ★★★☆☆' (docs/authoring.md)")
    elif not re.fullmatch(r"★+☆*", stars[1]) or len(stars[1]) != 5:
        problems.append(f"difficulty {stars[1]} is not on the course's scale: five stars, the filled ones first")
    return problems


def problems(nb, module_id: str) -> list[str]:
    found = opening_problems(nb) + answer_problems(nb) + test_cell_problems(nb)
    if not uses_judged_tests(nb):
        found.append("no locked `test-tools` cell importing the checks (docs/authoring.md)")
    return [f"{module_id}: {p}" for p in found]
