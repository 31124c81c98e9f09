"""The judge (docs/grading.md): graded test cells decided outside the process that runs student code.

  rewrite_cell      a test cell's checks -> reports of the actual values only (expected removed)
  run_cells         python -m tinytorch_runtime.judging in a fresh process (sandboxed for students)
  judge_criteria    expect_meets observations handed to the reference's criteria (a process
                    without student code), so properties with many right answers can be judged
  compare           a student's reports against the reference's, with tinytorch_runtime.checks
  Judge             the nbgrader preprocessor: judges a notebook after Execute and rewrites the
                    test cells' outputs so nbgrader's own SaveAutoGrades scores the judged verdict
  RecordIntegrity   after SaveAutoGrades: flags the submission in the gradebook when the in-kernel
                    and judged verdicts disagree, the student's cells touch the harness, or
                    autograde had to restore graded cells the student changed (OverwriteCells)
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from tinytorch_runtime.checks import (BEGIN_HIDDEN, DEFAULT_ATOL, DEFAULT_RTOL, END_HIDDEN, close, criterion_message,
                                      same, show, summary)
from tinytorch_runtime.export import is_export_cell, render_module
from tinytorch_runtime.judging import (CRITERION_NAME, MAX_CRITERION_INPUT, Opaque, Raised, TypeName, WireError,
                                       decode)
from traitlets import Bool, Integer

from .preprocessors import restored_cells_flags

CHECKS = {"expect": "equal", "expect_close": "close"}
RAISES = "expect_raises"
MEETS = "expect_meets"
MAX_REPORT_BYTES = 64 * 1024**2
MAX_CRITERION_CALLS = 20  # per notebook: a forged stream of many expect_meets reports gets no more


class AuthoringError(Exception):
    """A graded test cell that the judge cannot use as written (see docs/grading.md)."""


# ------------------------------------------------------------------ rewriting test cells

@dataclass
class Check:
    index: int
    kind: str            # equal | close | raises | meets
    what: str
    hidden: bool
    line: int
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    exception: str = ""  # for raises: the expected exception's class name
    criterion: str = ""  # for meets: the name of the module's _criterion_<name>
    params: dict = field(default_factory=dict)  # for meets: its literal keyword arguments


@dataclass
class JudgedCell:
    grade_id: str
    code: str
    checks: dict[int, Check] = field(default_factory=dict)
    has_hidden: bool = False


def hidden_lines(source: str) -> set[int]:
    inside, lines = False, set()
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip() == BEGIN_HIDDEN:
            inside = True
        elif line.strip() == END_HIDDEN:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def strip_hidden(source: str) -> str:
    """The cell as a student sees it in the release (hidden regions removed, lines kept blank)."""
    hidden = hidden_lines(source)
    return "\n".join("" if n in hidden or line.strip() in (BEGIN_HIDDEN, END_HIDDEN) else line
                     for n, line in enumerate(source.splitlines(), start=1))


def _literal(node: ast.AST | None, default: float, what: str) -> float:
    if node is None:
        return default
    try:
        return float(ast.literal_eval(node))
    except ValueError:
        raise AuthoringError(f"{what} must be a literal number (the judge reads it from the cell)") from None


def _argument(call: ast.Call, position: int, name: str) -> ast.AST | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _what(node: ast.AST | None) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return ast.unparse(node) if node is not None else "a check"


class _Rewriter(ast.NodeTransformer):
    def __init__(self, hidden: set[int]):
        self.hidden = hidden
        self.checks: dict[int, Check] = {}

    def _add(self, **kw) -> int:
        index = len(self.checks)
        self.checks[index] = Check(index=index, **kw)
        return index

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == MEETS:
            return self._meets(node)
        if not (isinstance(node.func, ast.Name) and node.func.id in CHECKS):
            return node
        kind = CHECKS[node.func.id]
        actual = _argument(node, 0, "actual")
        if actual is None or _argument(node, 1, "expected") is None:
            raise AuthoringError(f"line {node.lineno}: {node.func.id} needs actual and expected")
        rtol = _literal(_argument(node, 3, "rtol"), DEFAULT_RTOL, "rtol") if kind == "close" else 0.0
        atol = _literal(_argument(node, 4, "atol"), DEFAULT_ATOL, "atol") if kind == "close" else 0.0
        index = self._add(kind=kind, what=_what(_argument(node, 2, "what")), hidden=node.lineno in self.hidden,
                          line=node.lineno, rtol=rtol, atol=atol)
        return ast.copy_location(ast.Call(func=ast.Name("__tt_observe__", ast.Load()),
                                          args=[ast.Constant(index), actual], keywords=[]), node)

    def _meets(self, node: ast.Call):
        """expect_meets(observed, "criterion", what, **literal params) -> a report of observed."""
        observed, name = _argument(node, 0, "observed"), _argument(node, 1, "criterion")
        if observed is None or not (isinstance(name, ast.Constant) and isinstance(name.value, str)
                                    and CRITERION_NAME.fullmatch(name.value)):
            raise AuthoringError(f"line {node.lineno}: expect_meets needs the observed value and the criterion's "
                                 f"name as a literal string (lower-case letters, digits, _)")
        params = {}
        for keyword in node.keywords:
            if keyword.arg in ("observed", "criterion", "what"):
                continue
            try:
                params[keyword.arg] = ast.literal_eval(keyword.value)
                json.dumps(params[keyword.arg])
            except (ValueError, TypeError):
                raise AuthoringError(f"line {node.lineno}: expect_meets parameter {keyword.arg} must be a literal "
                                     f"(numbers, strings, lists: the judge reads it from the cell)") from None
        index = self._add(kind="meets", what=_what(_argument(node, 2, "what")), hidden=node.lineno in self.hidden,
                          line=node.lineno, criterion=name.value, params=params)
        return ast.copy_location(ast.Call(func=ast.Name("__tt_observe__", ast.Load()),
                                          args=[ast.Constant(index), observed], keywords=[]), node)

    def visit_With(self, node: ast.With):
        self.generic_visit(node)
        for item in node.items:
            call = item.context_expr
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == RAISES:
                exc = _argument(call, 0, "exception")
                if exc is None:
                    raise AuthoringError(f"line {node.lineno}: expect_raises needs the exception class")
                index = self._add(kind="raises", what=_what(_argument(call, 1, "what")),
                                  hidden=node.lineno in self.hidden, line=node.lineno,
                                  exception=ast.unparse(exc).split(".")[-1])
                item.context_expr = ast.copy_location(
                    ast.Call(func=ast.Name("__tt_raises__", ast.Load()), args=[ast.Constant(index)], keywords=[]),
                    call)
        return node


def _expected_arguments(tree: ast.AST) -> set[int]:
    """ids of every node inside the `expected` argument of a check."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CHECKS:
            expected = _argument(node, 1, "expected")
            if expected is not None:
                inside.update(id(n) for n in ast.walk(expected))
    return inside


def _bound_names(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def drop_expected_only(tree: ast.Module) -> set[str]:
    """Remove top-level statements that only bind names read nowhere but in `expected` arguments
    (reference helpers, copies of inputs, expected arrays): in the judged run they would put an
    oracle into the student's process. Returns the names removed."""
    expected = _expected_arguments(tree)
    removed: list[ast.stmt] = []
    while True:
        live = [s for s in tree.body if s not in removed]
        loads = [(n, s) for s in tree.body for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
        used = {n.id for n, s in loads if s not in removed and id(n) not in expected}
        feeds_expected = {n.id for n, s in loads if s in removed or id(n) in expected}
        # only what feeds an expected value goes: a statement whose result is never read may be
        # a check that student code runs without raising
        more = [s for s in live if _bound_names(s) and not (_bound_names(s) & used)
                and _bound_names(s) & feeds_expected and not isinstance(s, (ast.Import, ast.ImportFrom))]
        if not more:
            break
        removed += more
    tree.body = [s for s in tree.body if s not in removed] or [ast.Pass()]
    return {n for s in removed for n in _bound_names(s)}


def rewrite_cell(grade_id: str, source: str, visible_only: bool = False) -> JudgedCell:
    """The cell with every check reduced to a report of its actual value, and every statement that
    only computes expected values removed."""
    text = strip_hidden(source) if visible_only else source
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise AuthoringError(f"{grade_id}: test cell is not valid Python: {exc}") from None
    drop_expected_only(tree)
    rewriter = _Rewriter(hidden_lines(text))
    tree = ast.fix_missing_locations(rewriter.visit(tree))
    return JudgedCell(grade_id, ast.unparse(tree), rewriter.checks, bool(hidden_lines(source)))


def graded_test_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata.get("nbgrader", {}).get("solution")]


# ------------------------------------------------------------------ running cells in a process

@dataclass
class Reports:
    cells: dict[str, dict] = field(default_factory=dict)  # grade_id -> {"observations", "error"}
    import_error: dict | None = None
    module_errors: list = field(default_factory=list)  # export cells that failed (the rest still ran)
    problem: str = ""  # the process itself failed (timeout, unreadable stream)
    criteria: dict[tuple[str, int], Verdict] = field(default_factory=dict)  # (grade_id, position) -> judge_criteria's


def _read_capped(stream, cap: int, into: list) -> None:
    total = 0
    while True:
        chunk = stream.read(65536)
        if not chunk:
            return
        total += len(chunk)
        if total > cap:
            into.append(None)  # over the cap
            return
        into.append(chunk)


def run_cells(module_name: str, module_source: str, cells: list[JudgedCell], env: dict[str, str],
              policy=None, timeout: float = 300, cell_seconds: int = 60) -> Reports:
    """Run the rewritten cells against a module in a fresh process; sandboxed when `policy` is given
    (a tito.grading.sandbox.Policy whose workdir is a fresh, empty folder)."""
    job = {"module": module_name, "source": module_source, "cell_seconds": cell_seconds,
           "cells": [[c.grade_id, c.code] for c in cells]}
    lines, problem = _run_job(job, env, policy, timeout)
    reports = Reports(problem=problem)
    for line in lines:
        if "module_errors" in line and not reports.module_errors and isinstance(line["module_errors"], list):
            reports.module_errors = [e for e in line["module_errors"] if isinstance(e, dict)][:20]
        elif "import_error" in line and reports.import_error is None:
            reports.import_error = line["import_error"] if isinstance(line["import_error"], dict) else {}
        elif isinstance(line.get("cell"), str) and line["cell"] not in reports.cells:
            reports.cells[line["cell"]] = line
    return reports


def _run_job(job: dict, env: dict[str, str], policy, timeout: float) -> tuple[list[dict], str]:
    """python -m tinytorch_runtime.judging on one job: the JSON objects it reported (size-capped),
    and what went wrong with the process itself ("" when nothing)."""
    from . import sandbox

    job = json.dumps(job)
    argv = [f"{sys.prefix}/bin/python", "-m", "tinytorch_runtime.judging"]
    if policy is not None:
        argv = sandbox.sandboxed_command(policy, argv)
        preexec = lambda: sandbox.apply_limits(policy.limits)  # noqa: E731
        run_env = None
    else:
        preexec, run_env = None, {**os.environ, **env}
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=run_env, start_new_session=True, preexec_fn=preexec)
    chunks: list = []
    reader = threading.Thread(target=_read_capped, args=(proc.stdout, MAX_REPORT_BYTES, chunks), daemon=True)
    reader.start()
    problem = ""
    try:
        proc.stdin.write(job.encode())
        proc.stdin.close()
    except BrokenPipeError:
        pass
    reader.join(timeout)
    if reader.is_alive() or (chunks and chunks[-1] is None):
        problem = "ran past the judge's time limit" if reader.is_alive() else "reported too much data"
    _kill_group(proc)
    lines = []
    for raw in b"".join(c for c in chunks if c is not None).splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict):
            lines.append(line)
    return lines, problem


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        pass


# ------------------------------------------------------------------ comparing

@dataclass
class Verdict:
    passed: bool
    reason: str = ""


def _describe(check: Check, value) -> str:
    if isinstance(value, Raised):
        got = "nothing" if value.names is None else value.names[0]
        return f"{check.what}\n    your code raised {got}; expected {check.exception}"
    if check.hidden:
        shown = "an object" if isinstance(value, Opaque) else summary(value)
        return f"{check.what}\n    (hidden check) your code returned {shown}"
    return f"{check.what}\n    your code returned: {show(value)}"


def _error_text(error: dict, cell: JudgedCell) -> str:
    kind = str(error.get("type", "Error"))[:100]
    if cell.has_hidden:
        return f"the cell raised {kind}"
    return f"the cell raised {kind}: {str(error.get('message', ''))[:300]}"


def _module_hint(student: Reports) -> str:
    if not student.module_errors:
        return ""
    first = student.module_errors[0]
    return (f" (your notebook's {str(first.get('cell', 'cell'))[:20]} failed when your module was built: "
            f"{str(first.get('type', 'Error'))[:60]})")


def pristine_env(env: dict[str, str]) -> dict[str, str]:
    """The environment of a process that must run no student code: no student store."""
    return {k: v for k, v in env.items() if k != "TINYTORCH_STORE"}


def _criterion_calls(cells: list[JudgedCell], reports: Reports) -> tuple[dict, dict]:
    """The expect_meets observations of `reports`: {(grade_id, position): (check, call of a criteria
    job)}, and the verdicts of those that cannot be handed over (too large)."""
    pending, verdicts = {}, {}
    for cell in cells:
        record = reports.cells.get(cell.grade_id)
        observations = record.get("observations") if isinstance(record, dict) else None
        for position, item in enumerate(observations if isinstance(observations, list) else []):
            try:
                index, encoded = item[0], item[1]
                check = cell.checks.get(index) if type(index) is int else None
                if check is None or check.kind != "meets":
                    continue
                decode(encoded)
                size = len(json.dumps(encoded))
            except (WireError, TypeError, IndexError, KeyError, ValueError, RecursionError):
                continue  # compare() reports the unreadable observation
            if size > MAX_CRITERION_INPUT or len(pending) >= MAX_CRITERION_CALLS:
                why = (f"TooLarge: {size:,} characters encoded, at most {MAX_CRITERION_INPUT:,}" if size > MAX_CRITERION_INPUT
                       else f"NotEvaluated: more than {MAX_CRITERION_CALLS} expect_meets reports")
                verdicts[(cell.grade_id, position)] = Verdict(False, criterion_message(check.what, check.hidden, error=why))
            else:
                key = f"{cell.grade_id} {position}"
                pending[(cell.grade_id, position)] = (check, [key, check.criterion, check.params, encoded])
    return pending, verdicts


def judge_criteria(module_name: str, reference_source: str, cells: list[JudgedCell], reports: Reports,
                   env: dict[str, str], timeout: float = 300, cell_seconds: int = 60) -> None:
    """Decide every expect_meets observation of `reports` with the reference's criterion, in a fresh
    process that runs the reference and no student code; the verdicts go to `reports.criteria`."""
    pending, verdicts = _criterion_calls(cells, reports)
    results, problem = {}, ""
    if pending:
        job = {"kind": "criteria", "module": module_name, "source": reference_source, "cell_seconds": cell_seconds,
               "calls": [call for _, call in pending.values()]}
        lines, problem = _run_job(job, pristine_env(env), None, timeout)
        results = {line["call"]: line for line in lines if isinstance(line.get("call"), str)}
    for place, (check, call) in pending.items():
        line = results.get(call[0])
        if line is None:
            error = f"NotEvaluated: {problem or 'the criterion reported nothing'}"
        elif isinstance(line.get("error"), dict):
            error = f"{line['error'].get('type', 'Error')}: {line['error'].get('message', '')}"
        else:
            try:
                result = decode(line["result"])
            except (WireError, TypeError, KeyError, ValueError, RecursionError):
                result = None
            if isinstance(result, dict):
                verdicts[place] = Verdict(True) if result.get("passed") is True else Verdict(
                    False, criterion_message(check.what, check.hidden, result))
                continue
            error = "Unreadable: the criterion's result"
        verdicts[place] = Verdict(False, criterion_message(check.what, check.hidden, error=error))
    reports.criteria.update(verdicts)


def _matches(check: Check, mine, theirs) -> bool:
    if check.kind == "raises":
        return isinstance(mine, Raised) and mine.names is not None and check.exception in mine.names
    if isinstance(mine, Raised) or isinstance(theirs, Raised):
        return False
    if check.kind == "close":
        return close(mine, theirs, check.rtol, check.atol)
    if isinstance(theirs, TypeName) or isinstance(mine, TypeName):
        return isinstance(mine, TypeName) and isinstance(theirs, TypeName) and str(mine) == str(theirs)
    return same(mine, theirs)


def compare(cell: JudgedCell, student: Reports, reference: dict) -> Verdict:
    """Judge one cell: the student's reports against the reference's (both already received)."""
    if student.import_error is not None:
        error = student.import_error
        return Verdict(False, f"your module does not import: {str(error.get('type', 'Error'))[:100]}: "
                              f"{str(error.get('message', ''))[:300]}")
    record = student.cells.get(cell.grade_id)
    if record is None:
        why = student.problem or "the process ended before this cell reported"
        return Verdict(False, f"this cell did not finish when judged ({why})")
    observations = record.get("observations")
    if not isinstance(observations, list):
        return Verdict(False, "unreadable report")
    expected = reference["observations"]
    for position, ref in enumerate(expected):
        check = cell.checks[ref[0]]
        if position >= len(observations):
            error = record.get("error")
            text = _error_text(error, cell) + _module_hint(student) if isinstance(error, dict) else "the cell stopped early"
            return Verdict(False, f"{check.what}\n    {text}")
        item = observations[position]
        try:
            index, mine = item[0], decode(item[1])
        except (WireError, TypeError, IndexError, KeyError, ValueError):
            return Verdict(False, f"{check.what}\n    unreadable report")
        if index != ref[0]:
            return Verdict(False, f"{check.what}\n    the checks ran in a different order")
        if check.kind == "meets":
            verdict = student.criteria.get((cell.grade_id, position))
            if verdict is None or not verdict.passed:
                return verdict or Verdict(False, f"{check.what}\n    not evaluated by its criterion")
            continue
        if not _matches(check, mine, decode(ref[1])):
            return Verdict(False, _describe(check, mine))
    if isinstance(record.get("error"), dict):
        return Verdict(False, _error_text(record["error"], cell) + _module_hint(student))
    if len(observations) != len(expected):
        return Verdict(False, "the cell reported more checks than it has")
    return Verdict(True)


# ------------------------------------------------------------------ tamper signs

TAMPER_SIGNS = [
    (r"\b(input_transformers_(post|cleanup)|ast_transformers|input_transformer_manager)\b", "IPython input/AST transformers"),
    (r"\bset_custom_exc\b|\bshowtraceback\b|\b_showtraceback\b", "IPython exception handling"),
    (r"\bevents\s*\.\s*(register|unregister)\b", "IPython event hooks"),
    (r"\bsys\s*\.\s*(settrace|setprofile|meta_path|path_hooks|excepthook|_getframe|modules\s*\[)",
     "interpreter hooks"),
    (r"\b(inspect\s*\.\s*(currentframe|stack)|f_back|f_globals|f_locals)\b", "frame walking"),
    (r"\bgc\s*\.\s*(get_objects|get_referrers|get_referents)\b", "garbage-collector walking"),
    (r"\b(builtins|__builtins__)\b", "builtins"),
    (r"\b(np|numpy)(\s*\.\s*\w+)+\s*=(?!=)", "assignment into numpy"),
    (r"\btinytorch_runtime\b", "the course runtime"),
    (r"\brun_cell\b|\bexecution_count\b", "IPython execution"),
]


def tamper_signs(nb, given=None) -> list[str]:
    """Harness hooks in code the student wrote: cells that are not locked and not exactly as the
    release handed them out (`given`: the release notebook)."""
    handed_out = {c.source.strip() for c in given.cells} if given is not None else set()
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("locked") or cell.source.strip() in handed_out:
            continue
        for pattern, name in TAMPER_SIGNS:
            if re.search(pattern, cell.source):
                found.append(f"{name} in cell {number}")
    return found


# ------------------------------------------------------------------ the judge of a notebook

@dataclass
class Report:
    verdicts: dict[str, Verdict]
    in_kernel: dict[str, bool]
    flags: list[str]

    def as_dict(self) -> dict:
        return {"cells": {g: {"judged": v.passed, "notebook": self.in_kernel.get(g), "reason": v.reason}
                          for g, v in self.verdicts.items()}, "flags": self.flags}


_REFERENCE_CACHE: dict[str, dict] = {}


def _holds_opaque(value) -> bool:
    if isinstance(value, Opaque):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_opaque(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_opaque(v) for v in value.values())
    return False


def reference_reports(module_name: str, reference_source: str, cells: list[JudgedCell],
                      env: dict[str, str], timeout: float = 300, policy=None) -> dict[str, dict]:
    """The reference's reports for these cells, computed once per process and environment. No student
    code runs here unless `env` imports the student's earlier exports (the 'own' prerequisites policy):
    then `policy` is the student's sandbox."""
    key = hashlib.sha256(json.dumps([module_name, reference_source, [[c.grade_id, c.code] for c in cells],
                                     sorted(env.items())]).encode()).hexdigest()
    if key not in _REFERENCE_CACHE:
        reports = run_cells(module_name, reference_source, cells, env, policy=policy, timeout=timeout)
        if reports.import_error or reports.problem or reports.module_errors:
            raise AuthoringError(f"the reference of tinytorch.{module_name} cannot be judged: "
                                 f"{reports.import_error or reports.problem or reports.module_errors}")
        opaque = [f"{g} check {o[0]}" for g, r in reports.cells.items() for o in r.get("observations", [])
                  if _holds_opaque(decode(o[1]))]
        if opaque:
            raise AuthoringError(f"checks observe values that are not plain data (numbers, strings, arrays, "
                                 f"tuples, dtypes), so nothing can match them: {', '.join(opaque)}")
        broken = {g: r["error"] for g, r in reports.cells.items() if r.get("error")}
        missing = [c.grade_id for c in cells if c.grade_id not in reports.cells]
        if broken or missing:
            raise AuthoringError(f"test cells fail against the reference when judged (they may use names "
                                 f"from non-export cells): {broken or missing}")
        judge_criteria(module_name, reference_source, cells, reports, env, timeout)
        unmet = [f"{g} check {p}: {v.reason}" for (g, p), v in reports.criteria.items() if not v.passed]
        if unmet:
            raise AuthoringError(f"the reference does not meet its own criteria: {'; '.join(unmet)}")
        _REFERENCE_CACHE[key] = reports.cells
    return _REFERENCE_CACHE[key]


def judge_notebook(nb, module, reference_source: str, env: dict[str, str], policy=None,
                   timeout: float = 300, cell_seconds: int = 60, release=None,
                   own_prerequisites: bool = False) -> Report:
    """Judge every graded test cell of an (autograded) notebook."""
    tests = graded_test_cells(nb)
    cells = [rewrite_cell(c.metadata["nbgrader"]["grade_id"], c.source) for c in tests]
    # Under the 'own' prerequisites policy the reference builds on the student's earlier exports, which
    # are student code: it runs in the student's sandbox. Otherwise nothing of the student's is on its
    # path (and one reference run serves every student a worker grades).
    reference_env, reference_policy = (env, policy) if own_prerequisites else (pristine_env(env), None)
    expected = reference_reports(module.name, reference_source, cells, reference_env, timeout, reference_policy)
    source = render_module(nb, module, f"{module.id}.ipynb").text
    student = run_cells(module.name, source, cells, env, policy=policy, timeout=timeout, cell_seconds=cell_seconds)
    judge_criteria(module.name, reference_source, cells, student, env, timeout, cell_seconds)
    verdicts = {c.grade_id: compare(c, student, expected[c.grade_id]) for c in cells}
    in_kernel = {c.metadata["nbgrader"]["grade_id"]: not any(o.get("output_type") == "error" for o in c.get("outputs", []))
                 for c in tests}
    flags = []
    lost = [g for g, v in verdicts.items() if in_kernel[g] and not v.passed]
    gained = [g for g, v in verdicts.items() if not in_kernel[g] and v.passed]
    if lost:
        flags.append(f"{len(lost)} test cell(s) passed in the notebook but failed when judged: {', '.join(lost)}")
    if gained:
        flags.append(f"{len(gained)} test cell(s) failed in the notebook but passed when judged: {', '.join(gained)}")
    flags += [f"suspicious code: {s}" for s in tamper_signs(nb, release)]
    flags += restored_cells_flags(nb)
    return Report(verdicts, in_kernel, flags)


def apply_verdicts(nb, report: Report) -> None:
    """Make each test cell's outputs say what the judge decided, so nbgrader scores exactly that."""
    for cell in graded_test_cells(nb):
        verdict = report.verdicts.get(cell.metadata["nbgrader"]["grade_id"])
        if verdict is None:
            continue
        streams = [o for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stdout"]
        if verdict.passed:
            cell.outputs = streams
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            from nbformat.v4 import new_output

            errors = [new_output("error", ename="JudgedFailure", evalue=verdict.reason,
                                 traceback=[f"JudgedFailure: {verdict.reason}"])]
        cell.outputs = streams + errors


# ------------------------------------------------------------------ nbgrader preprocessors

def _course_dir(config):
    from ..course_dir import CourseDir

    return CourseDir(Path(config.CourseDirectory.root or os.getcwd()))


def judge_record_path(cd, module_id: str, student: str) -> Path:
    return cd.work_dir / "judge" / module_id / f"{student}.json"


class Judge(NbGraderPreprocessor):
    """After Execute: judge the graded test cells outside the kernel; rewrite their outputs."""

    enabled = Bool(True).tag(config=True)
    timeout = Integer(300, help="seconds for the judged run of one notebook").tag(config=True)
    cell_timeout = Integer(60, help="seconds per test cell in the judged run").tag(config=True)

    def preprocess(self, nb, resources):
        if not self.enabled:
            return nb, resources
        from . import sandbox

        cd = _course_dir(self.config)
        info = resources["nbgrader"]
        module = cd.course.module(info["assignment"])
        env = cd.grading_env(module.id, info["student"])
        reference = (cd.reference_dir / "tinytorch" / f"{module.name}.py").read_text()
        policy_file = os.environ.get(sandbox.POLICY_ENV)
        workdir = None
        try:
            policy = None
            if policy_file:
                workdir, policy = self._judge_policy(cd, sandbox.Policy.load(policy_file))
            release = (nbformat.read(cd.release_notebook(module.id), as_version=4)
                       if cd.release_notebook(module.id).is_file() else None)
            report = judge_notebook(nb, module, reference, env, policy, self.timeout, self.cell_timeout, release,
                                    own_prerequisites=cd.course.prerequisites_policy == "own")
        finally:
            if workdir:
                shutil.rmtree(workdir, ignore_errors=True)
        apply_verdicts(nb, report)
        nb.metadata["tinytorch_judge"] = report.as_dict()
        resources["tinytorch_judge"] = report.as_dict()
        record = judge_record_path(cd, module.id, info["student"])
        record.parent.mkdir(parents=True, exist_ok=True)
        tmp = record.with_suffix(".tmp")
        tmp.write_text(json.dumps(report.as_dict()))
        os.replace(tmp, record)
        if report.flags:
            self.log.warning("integrity: %s", "; ".join(report.flags))
        return nb, resources

    @staticmethod
    def _judge_policy(cd, base):
        """The kernel's sandbox, with a fresh empty working folder, nothing writable, and its own uid."""
        from . import sandbox

        (cd.work_dir / "judge").mkdir(parents=True, exist_ok=True)
        workdir = tempfile.mkdtemp(prefix="run-", dir=cd.work_dir / "judge")
        # a uid of its own only where the grader can switch to it (root); otherwise bwrap's user namespace
        uid = None if base.uid is None or os.geteuid() != 0 else base.uid + sandbox.UID_COUNT
        if uid is not None:
            os.chown(workdir, uid, uid, follow_symlinks=False)
        readable = [p for p in [*base.readable, *base.writable] if p]
        return workdir, sandbox.Policy(workdir=workdir, writable=[], readable=readable, ipc_dir="", uid=uid,
                                       parent_pid=None, env=dict(base.env), limits=base.limits)


class RecordIntegrity(NbGraderPreprocessor):
    """After SaveAutoGrades: a flagged submission is flagged in the gradebook, with the reasons as
    the auto comment of its first answer cell (formgrader shows both)."""

    def preprocess(self, nb, resources):
        flags = resources.get("tinytorch_judge", {}).get("flags")
        if not flags:
            return nb, resources
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            notebook = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
            notebook.flagged = True
            if notebook.comments:
                first = sorted(notebook.comments, key=lambda c: c.name)[0]
                note = "⚠ integrity: " + "; ".join(flags)
                first.auto_comment = f"{first.auto_comment}\n{note}" if first.auto_comment else note
            gb.db.commit()
        return nb, resources


__all__ = ["Judge", "RecordIntegrity", "rewrite_cell", "run_cells", "judge_criteria", "compare", "judge_notebook",
           "tamper_signs", "AuthoringError", "is_export_cell"]
