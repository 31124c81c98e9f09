"""`tito check --mistakes`: every catalogued mistake is caught where its catalogue says.

A module's `source/NN_name/mistakes.yml` lists realistic wrong implementations of its steps
(docs/authoring.md). Each is applied to the source notebook's solution region, the module is
rendered from the export cells, and its graded test cells are judged against the reference
(docs/grading.md) once as students see them (hidden regions removed) and once in full.
"""
from __future__ import annotations

import copy
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import nbformat
import yaml

from tinytorch_runtime.export import render_module

from ..course_dir import CourseDir
from ..grading.judge import compare, graded_test_cells, judge_criteria, reference_reports, rewrite_cell, run_cells
from .validate import BEGIN_SOLUTION, END_SOLUTION

KINDS = ("visible", "hidden")
MIN_ENTRIES = 5


@dataclass
class Result:
    module: str
    step: str
    mistake: str
    caught_by: str
    found: str          # "visible", "hidden" or "not caught"
    message: str = ""   # the first failing cell's message (what the student sees when visible)

    @property
    def ok(self) -> bool:
        return self.found == self.caught_by

    def line(self) -> str:
        mark = "ok " if self.ok else "BAD"
        return f"{mark} {self.module} {self.step}: {self.mistake} -> caught {self.found} (catalogue: {self.caught_by})"


def catalogue_path(cd: CourseDir, module_id: str):
    return cd.root / "source" / module_id / "mistakes.yml"


def load(cd: CourseDir, module_id: str) -> list[dict]:
    path = catalogue_path(cd, module_id)
    if not path.is_file():
        return []
    entries = yaml.safe_load(path.read_text()) or []
    if not isinstance(entries, list):
        raise ValueError(f"{path}: a list of entries expected")
    return entries


def apply_mistake(nb, entry: dict):
    """A copy of the notebook with the entry's solution region replaced."""
    nb = copy.deepcopy(nb)
    cell = next((c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == entry["step"]), None)
    if cell is None or not cell.metadata["nbgrader"].get("solution"):
        raise ValueError(f"no solution cell with grade_id {entry['step']!r}")
    lines = cell.source.splitlines()
    begins = [i for i, line in enumerate(lines) if line.strip() == BEGIN_SOLUTION]
    region = int(entry.get("region", 1))
    if not 1 <= region <= len(begins):
        raise ValueError(f"{entry['step']}: no solution region {region}")
    start = begins[region - 1]
    end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == END_SOLUTION)
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    body = textwrap.indent(textwrap.dedent(entry["replace"]).rstrip("\n"), indent).splitlines()
    if [line.rstrip() for line in body] == [line.rstrip() for line in lines[start + 1:end]]:
        raise ValueError(f"{entry['step']}: the mistake does not change the solution")
    cell.source = "\n".join(lines[: start + 1] + body + lines[end:])
    return nb


def _validate(entry, index: int) -> str | None:
    if not isinstance(entry, dict):
        return f"entry {index + 1} is not a mapping"
    missing = [k for k in ("step", "mistake", "caught_by", "replace") if k not in entry]
    if missing:
        return f"entry {index + 1} lacks {', '.join(missing)}"
    if entry["caught_by"] not in KINDS:
        return f"entry {index + 1}: caught_by must be one of {KINDS}"
    return None


def _first_failure(cells, reports, expected) -> str | None:
    for cell in cells:
        verdict = compare(cell, reports, expected[cell.grade_id])
        if not verdict.passed:
            return f"{cell.grade_id}: {verdict.reason}"
    return None


def check_module(cd: CourseDir, module_id: str, jobs: int = 2) -> tuple[list[Result], list[str]]:
    module = cd.course.module(module_id)
    entries = load(cd, module_id)
    problems = []
    if len(entries) < MIN_ENTRIES:
        problems.append(f"{module_id}: {len(entries)} catalogued mistakes, at least {MIN_ENTRIES} needed "
                        f"({catalogue_path(cd, module_id).relative_to(cd.root)})")
    nb = nbformat.read(cd.source_notebook(module_id), as_version=4)
    tests = graded_test_cells(nb)
    visible = [rewrite_cell(c.metadata["nbgrader"]["grade_id"], c.source, visible_only=True) for c in tests]
    full = [rewrite_cell(c.metadata["nbgrader"]["grade_id"], c.source) for c in tests]
    env = cd.grading_env(module_id)
    reference = render_module(nb, module, f"{module_id}.ipynb").text
    expected_visible = reference_reports(module.name, reference, visible, env)
    expected_full = reference_reports(module.name, reference, full, env)

    def judged_run(source, cells):
        reports = run_cells(module.name, source, cells, env, timeout=120)
        judge_criteria(module.name, reference, cells, reports, env, timeout=120)
        return reports

    def judge(entry) -> Result:
        source = render_module(apply_mistake(nb, entry), module, f"{module_id}.ipynb").text
        result = Result(module_id, entry["step"], entry["mistake"], entry["caught_by"], "not caught")
        message = _first_failure(visible, judged_run(source, visible), expected_visible)
        if message:
            result.found, result.message = "visible", message
            return result
        message = _first_failure(full, judged_run(source, full), expected_full)
        if message:
            result.found, result.message = "hidden", message
        return result

    valid = []
    for i, entry in enumerate(entries):
        problem = _validate(entry, i)
        if problem is None:
            try:
                apply_mistake(nb, entry)
            except (ValueError, StopIteration) as exc:
                problem = f"entry {i + 1}: {exc}"
        if problem:
            problems.append(f"{module_id}: mistakes.yml {problem}")
        else:
            valid.append(entry)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(judge, valid))
    problems += [r.line() for r in results if not r.ok]
    return results, problems
