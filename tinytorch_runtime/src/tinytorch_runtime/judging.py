"""The student side of judged grading (docs/grading.md): run rewritten test cells, report data.

    python -m tinytorch_runtime.judging  < job.json  > one JSON line per cell

job.json: {"module": "<name>", "source": "<module source>", "cells": [[grade_id, code], ...]}.
The module source is loaded as `tinytorch.<name>`; each cell runs in a copy of its namespace
(shared between cells, as in the notebook) with `__tt_observe__` and `__tt_raises__`, which the
judge put where the checks were. Nothing here decides pass or fail, and no expected value is
ever in this process: it only reports what the code computed, as plain data.

The second job kind evaluates criteria (`expect_meets`) in a process that runs the *reference*
and no student code: {"kind": "criteria", "module", "source": "<reference source>",
"calls": [[key, criterion, params, encoded value], ...]} -> one line per call with what
`_criterion_<criterion>(decoded value, **params)` returned, as plain data.

`encode`/`decode` are the wire format; the judge decodes with `decode`, which accepts only
plain data and numeric arrays.
"""
from __future__ import annotations

import base64
import json
import os
import re
import signal
import sys
import types

import numpy as np

ARRAY_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                          "uint64", "float16", "float32", "float64", "complex64", "complex128"})
MAX_DEPTH = 20
MAX_ITEMS = 10_000
MAX_CRITERION_INPUT = 1024**2  # characters of the encoded value a criterion is given
CRITERION_NAME = re.compile(r"[a-z][a-z0-9_]{0,60}")


class TypeName(str):
    """A class, reported by its name (a student's Tensor and the reference's are different objects)."""


class Opaque:
    """An object that is not plain data: equal to nothing, not even another Opaque."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __eq__(self, other):
        return False

    __hash__ = None

    def __repr__(self):
        return f"<{self.type_name} object>"


class Raised:
    """What an `expect_raises` block raised (or None)."""

    def __init__(self, names: list[str] | None, message: str = ""):
        self.names, self.message = names, message


# ------------------------------------------------------------------ encode (student process)

def encode(value, depth: int = 0):
    if depth > MAX_DEPTH:
        return {"o": "nested too deep"}
    if value is None or isinstance(value, (bool, str)):
        return {"p": value}
    if isinstance(value, int) and type(value) is int:
        return {"p": value} if abs(value) < 2**63 else {"p": float(value)}
    if type(value) is float:
        return {"f": repr(value)}
    if isinstance(value, (np.ndarray, np.generic)) and not isinstance(value, np.void):
        arr = np.asarray(value)
        if arr.dtype.name in ARRAY_DTYPES:
            arr = np.array(arr, order="C")  # ascontiguousarray would make a 0-d value 1-d
            return {"a": base64.b64encode(arr.tobytes()).decode(), "dtype": arr.dtype.name,
                    "shape": list(arr.shape), "scalar": isinstance(value, np.generic)}
        return {"o": f"ndarray[{arr.dtype}]"}
    if isinstance(value, np.dtype):
        return {"dt": value.name}
    if isinstance(value, type):
        if issubclass(value, np.generic):
            return {"dt": np.dtype(value).name}
        return {"t": value.__qualname__}
    if type(value) in (list, tuple):
        items = list(value)[:MAX_ITEMS]
        return {"l" if type(value) is list else "u": [encode(v, depth + 1) for v in items]}
    if type(value) is dict:
        return {"d": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in list(value.items())[:MAX_ITEMS]]}
    return {"o": type(value).__qualname__}


# ------------------------------------------------------------------ decode (judge process)

class WireError(ValueError):
    """The stream is not what the runner writes."""


def decode(obj, depth: int = 0):
    if depth > MAX_DEPTH + 1 or not isinstance(obj, dict) or len(obj) == 0:
        raise WireError("bad value")
    if "p" in obj:
        v = obj["p"]
        if v is None or isinstance(v, (bool, str, int)):
            return v
        raise WireError("bad plain value")
    if "f" in obj:
        if not isinstance(obj["f"], str) or len(obj["f"]) > 40:
            raise WireError("bad float")
        return float(obj["f"])
    if "a" in obj:
        dtype, shape = obj.get("dtype"), obj.get("shape")
        if dtype not in ARRAY_DTYPES or not isinstance(shape, list) or not all(
                isinstance(n, int) and n >= 0 for n in shape) or not isinstance(obj["a"], str):
            raise WireError("bad array")
        raw = base64.b64decode(obj["a"], validate=True)
        arr = np.frombuffer(raw, dtype=np.dtype(dtype))
        if arr.size != int(np.prod(shape, dtype=np.int64)):
            raise WireError("array size does not match its shape")
        arr = arr.reshape(shape)
        return arr[()] if obj.get("scalar") is True and arr.ndim == 0 else arr.copy()
    if "dt" in obj:
        if obj["dt"] not in ARRAY_DTYPES:
            raise WireError("bad dtype")
        return np.dtype(obj["dt"])
    if "t" in obj:
        if not isinstance(obj["t"], str):
            raise WireError("bad type name")
        return TypeName(obj["t"][:200])
    if "l" in obj or "u" in obj:
        items = obj.get("l", obj.get("u"))
        if not isinstance(items, list):
            raise WireError("bad sequence")
        out = [decode(v, depth + 1) for v in items]
        return out if "l" in obj else tuple(out)
    if "d" in obj:
        if not isinstance(obj["d"], list):
            raise WireError("bad dict")
        out = {}
        for pair in obj["d"]:
            if not isinstance(pair, list) or len(pair) != 2:
                raise WireError("bad dict item")
            key = decode(pair[0], depth + 1)
            if not isinstance(key, (str, int, bool, float, type(None), TypeName)):
                raise WireError("bad dict key")
            out[key] = decode(pair[1], depth + 1)
        return out
    if "o" in obj:
        return Opaque(str(obj["o"])[:200])
    if "raised" in obj:
        names = obj["raised"]
        if names is None:
            return Raised(None)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise WireError("bad exception")
        return Raised([n[:200] for n in names[:50]], str(obj.get("message", ""))[:500])
    raise WireError("unknown value kind")


# ------------------------------------------------------------------ criteria (expect_meets)

class CriterionInputError(ValueError):
    """The observed value cannot be handed to a criterion (too large)."""


def criterion_input(value):
    """`value` as a criterion receives it: encoded and decoded as when judged, size-capped."""
    encoded = encode(value)
    size = len(json.dumps(encoded))
    if size > MAX_CRITERION_INPUT:
        raise CriterionInputError(f"the data is too large to evaluate: {size:,} characters encoded, "
                                  f"at most {MAX_CRITERION_INPUT:,}")
    return decode(encoded)


def criterion_function(namespace: dict, name: str):
    function = namespace.get(f"_criterion_{name}") if CRITERION_NAME.fullmatch(str(name)) else None
    if not callable(function):
        raise LookupError(f"no criterion {name!r}: the module defines no function _criterion_{name}")
    return function


def evaluate_criterion(function, data, params: dict) -> dict:
    """What the criterion says of `data`: a dict with a bool "passed" (and "summary", figures)."""
    result = function(data, **params)
    if not isinstance(result, dict) or not isinstance(result.get("passed"), bool):
        raise TypeError(f"a criterion must return a dict with a bool 'passed', got {type(result).__name__}")
    return result


def run_criteria(job: dict, out) -> None:
    cell_seconds = int(job.get("cell_seconds", 60))
    module, errors = _load_module(job["module"], job["source"])
    if errors:
        out.write(json.dumps({"module_errors": errors[:20]}) + "\n")
    signal.signal(signal.SIGALRM, _on_alarm)
    for key, name, params, encoded in job["calls"]:
        result, error = None, None
        signal.alarm(cell_seconds)
        try:
            function = criterion_function(vars(module), name)
            result = encode(evaluate_criterion(function, decode(encoded), dict(params)))
        except BaseException as exc:  # noqa: BLE001 (malformed data must fail the check, not the judge)
            error = _error(exc)
        finally:
            signal.alarm(0)
        out.write(json.dumps({"call": key, "result": result, "error": error}) + "\n")
        out.flush()


# ------------------------------------------------------------------ the runner

class _Recorder:
    def __init__(self):
        self.observations: list = []

    def observe(self, index: int, value) -> None:
        try:
            self.observations.append([index, encode(value)])
        except Exception:  # noqa: BLE001 (a student's object may raise anything while encoded)
            self.observations.append([index, {"o": "unencodable"}])

    def raises(self, index: int):
        recorder = self

        class _Block:
            def __enter__(self):
                return self

            def __exit__(self, kind, value, tb):
                if kind is None:
                    recorder.observations.append([index, {"raised": None}])
                    return False
                names = [k.__name__ for k in kind.__mro__]
                recorder.observations.append([index, {"raised": names, "message": str(value)[:500]}])
                return not issubclass(kind, (KeyboardInterrupt, SystemExit, _CellTimeout))

        return _Block()


class _CellTimeout(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _CellTimeout()


CELL_MARK = re.compile(r"^# --- cell (\d+) ---$", re.M)


def _module_cells(source: str) -> list[tuple[str, str]]:
    """The exported file split back into its notebook cells (render_module marks each one)."""
    marks = list(CELL_MARK.finditer(source))
    if not marks:
        return [("module", source)]
    cells = [("header", source[: marks[0].start()])]
    for mark, after in zip(marks, marks[1:] + [None]):
        # keep line numbers: pad each cell with the newlines that precede it in the file
        body = source[mark.start(): after.start() if after else len(source)]
        cells.append((f"cell {mark.group(1)}", "\n" * source[: mark.start()].count("\n") + body))
    return cells


def _load_module(name: str, source: str) -> tuple[types.ModuleType, list[dict]]:
    """Run the module cell by cell, as the notebook does: a cell that fails (a syntax error in one
    step) does not stop the cells after it. Returns the module and the cells' errors."""
    import tinytorch  # noqa: F401  (the import hook, for the module's own imports)

    fullname = f"tinytorch.{name}"
    module = types.ModuleType(fullname)
    module.__file__ = f"<tinytorch/{name}.py>"
    sys.modules[fullname] = module
    errors = []
    for label, code in _module_cells(source):
        try:
            exec(compile(code, module.__file__, "exec"), module.__dict__)  # noqa: S102 (student code, sandboxed)
        except BaseException as exc:  # noqa: BLE001
            errors.append({"cell": label, **_error(exc)})
    return module, errors


def _error(exc: BaseException) -> dict:
    if isinstance(exc, _CellTimeout):
        return {"type": "CellTimeout", "message": "the cell ran past its time limit"}
    return {"type": type(exc).__name__, "message": str(exc)[:500]}


def run(job: dict, out) -> None:
    if job.get("kind") == "criteria":
        run_criteria(job, out)
        return
    cell_seconds = int(job.get("cell_seconds", 60))
    try:
        module, errors = _load_module(job["module"], job["source"])
    except BaseException as exc:  # noqa: BLE001
        out.write(json.dumps({"import_error": _error(exc)}) + "\n")
        out.flush()
        return
    if errors:
        out.write(json.dumps({"module_errors": errors[:20]}) + "\n")
    namespace = dict(vars(module))
    namespace["__name__"] = "__main__"
    signal.signal(signal.SIGALRM, _on_alarm)
    for grade_id, code in job["cells"]:
        recorder = _Recorder()
        namespace["__tt_observe__"] = recorder.observe
        namespace["__tt_raises__"] = recorder.raises
        error = None
        signal.alarm(cell_seconds)
        try:
            exec(compile(code, f"<test {grade_id}>", "exec"), namespace)  # noqa: S102
        except BaseException as exc:  # noqa: BLE001
            error = _error(exc)
        finally:
            signal.alarm(0)
        try:
            line = json.dumps({"cell": grade_id, "observations": recorder.observations, "error": error})
        except Exception:  # noqa: BLE001
            line = json.dumps({"cell": grade_id, "observations": [], "error": {"type": "Unreportable"}})
        out.write(line + "\n")
        out.flush()


def main() -> None:
    # Our report goes to the real stdout; whatever the code prints goes to stderr.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    job = json.loads(sys.stdin.read())
    run(job, out)
    out.flush()
    os._exit(0)  # no atexit handlers or finalizers of student objects after the report


if __name__ == "__main__":
    main()
