"""The checks graded test cells are written with (see docs/grading.md).

    expect(actual, expected, what)                       equal (arrays: same shape and values)
    expect_close(actual, expected, what, rtol=, atol=)   numerically close, same shape
    with expect_raises(ValueError, what): ...            the block must raise that exception
    expect_meets(observed, "criterion", what, **params)  the module's _criterion_<criterion> accepts it

In the student's notebook these compare right away and fail with a message that shows what
the student's code returned next to what was expected (for hidden checks: only a summary of
what the code returned, never the expected value). When grading, the judge rewrites every
check so the student's process only *reports* `actual` as plain data; the expected side is
computed by running the same cell against the reference in another process, and compared
there with `same` / `close` below.

`expect_meets` is for properties with many right answers (a model within a byte budget and an
accuracy threshold): `observed` crosses as plain data, and a criterion function of the module
(`_criterion_<name>(data, **params)`, in a locked export cell) decides. When grading, the judge
evaluates the *reference's* criterion on the decoded data in a process without student code.
"""
from __future__ import annotations

import linecache
import sys

import numpy as np

# Built at import: nbgrader's markers never appear whole in a student environment (the
# test that proves nothing instructor-only is installed there looks for them).
BEGIN_HIDDEN, END_HIDDEN = (" ".join(("###", word, "HIDDEN", "TESTS")) for word in ("BEGIN", "END"))
DEFAULT_RTOL, DEFAULT_ATOL = 1e-5, 1e-6
_NUMERIC_KINDS = "biufc"


# ------------------------------------------------------------------ comparisons (also the judge's)

def _is_array_like(value) -> bool:
    return isinstance(value, (np.ndarray, np.generic))


def _as_numeric_array(value):
    """value as a numeric ndarray, or None when it is not numbers (objects, strings, ragged)."""
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 (a student's object may raise anything)
        return None
    return arr if arr.dtype.kind in _NUMERIC_KINDS else None


def same(actual, expected) -> bool:
    """Equality as the checks mean it: arrays by shape and values (NaN equals NaN, dtype aside),
    sequences element by element, everything else by ==."""
    if _is_array_like(actual) or _is_array_like(expected):
        a, e = _as_numeric_array(actual), _as_numeric_array(expected)
        if a is None or e is None:
            try:
                return bool(np.array_equal(np.asarray(actual), np.asarray(expected)))
            except Exception:  # noqa: BLE001
                return False
        if a.shape != e.shape:
            return False
        try:
            return bool(np.array_equal(a, e, equal_nan=a.dtype.kind in "fc" or e.dtype.kind in "fc"))
        except TypeError:
            return bool(np.array_equal(a, e))
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            return False
        return all(same(a, e) for a, e in zip(actual, expected))
    if isinstance(expected, dict):
        return (isinstance(actual, dict) and set(actual) == set(expected)
                and all(same(actual[k], expected[k]) for k in expected))
    if isinstance(expected, float) and isinstance(actual, float) and expected != expected:
        return actual != actual  # NaN
    if isinstance(actual, bool) != isinstance(expected, bool) and not (
            isinstance(actual, np.bool_) or isinstance(expected, np.bool_)):
        return False  # True is not 1 here: a check of a flag wants a flag
    try:
        result = actual == expected
    except Exception:  # noqa: BLE001
        return False
    return result is True or (isinstance(result, np.bool_) and bool(result))


def close(actual, expected, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL) -> bool:
    """Numerically close with the same shape (no broadcasting); NaN matches NaN."""
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)) and (
            len(actual) != len(expected)):
        return False
    a, e = _as_numeric_array(actual), _as_numeric_array(expected)
    if a is None or e is None or a.shape != e.shape:
        return False
    try:
        return bool(np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True))
    except TypeError:
        return False


# ------------------------------------------------------------------ what the student sees

def show(value, limit: int = 300) -> str:
    """A short, readable description of a value."""
    if isinstance(value, np.ndarray):
        body = np.array2string(value, threshold=24, edgeitems=3, precision=5, separator=", ")
        text = f"array of shape {value.shape}, dtype {value.dtype}: {body}"
    elif isinstance(value, np.generic):
        text = f"{value!r}"
    else:
        try:
            text = repr(value)
        except Exception:  # noqa: BLE001
            text = f"<{type(value).__name__} object>"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def summary(value) -> str:
    """What a hidden check may say about the student's value: its kind, never its contents."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}, dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, (bool, np.bool_)):
        return "a bool"
    return f"a value of type {type(value).__name__}"


def _caller_is_hidden(depth: int = 2) -> bool:
    """Is the check being called from inside a BEGIN/END HIDDEN TESTS region of a cell?"""
    frame = sys._getframe(depth)
    lines = linecache.getlines(frame.f_code.co_filename)
    inside = False
    for number, line in enumerate(lines, start=1):
        if number == frame.f_lineno:
            return inside
        if line.strip() == BEGIN_HIDDEN:
            inside = True
        elif line.strip() == END_HIDDEN:
            inside = False
    return False


class CheckFailed(AssertionError):
    """A check in a test cell did not hold."""


def _fail(what: str, actual, expected, hidden: bool, extra: str = "") -> None:
    if hidden:
        raise CheckFailed(f"{what}\n    (hidden check) your code returned {summary(actual)}{extra}")
    raise CheckFailed(f"{what}\n    your code returned: {show(actual)}\n    expected:           "
                      f"{show(expected)}{extra}")


def expect(actual, expected, what: str) -> None:
    """Fail unless `actual` equals `expected` (arrays: same shape and values)."""
    if not same(actual, expected):
        _fail(what, actual, expected, _caller_is_hidden())


def expect_close(actual, expected, what: str, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL) -> None:
    """Fail unless `actual` is within rtol/atol of `expected`, element by element, same shape."""
    if not close(actual, expected, rtol, atol):
        hidden = _caller_is_hidden()
        a, e = _as_numeric_array(actual), _as_numeric_array(expected)
        extra = ""
        if a is not None and e is not None and a.shape != e.shape:
            extra = f"\n    shapes differ: {a.shape} returned, {e.shape} expected" if not hidden else ""
        elif a is not None and e is not None and not hidden:
            worst = float(np.nanmax(np.abs(a.astype(np.float64) - e.astype(np.float64)))) if a.size else 0.0
            extra = f"\n    largest difference: {worst:.3g} (tolerance rtol={rtol:g}, atol={atol:g})"
        _fail(what, actual, expected, hidden, extra)


def criterion_message(what: str, hidden: bool, result: dict | None = None, error: str = "") -> str:
    """Why an expect_meets check failed: the criterion's figures (never for a hidden check), or why
    the data could not be evaluated."""
    if error:
        if hidden:
            return f"{what}\n    (hidden check) what your code returned could not be evaluated ({error.split(':')[0]})"
        return f"{what}\n    what your code returned could not be evaluated: {' '.join(error.split())[:400]}"
    if hidden:
        return f"{what}\n    (hidden check) not met"
    result = result or {}
    measured = result.get("summary")
    if not isinstance(measured, str):
        measured = show({k: v for k, v in result.items() if k != "passed"}, 600)
    return f"{what}\n    measured: {measured[:600]}"


def expect_meets(observed, criterion: str, what: str, **params) -> None:
    """Fail unless the module's `_criterion_<criterion>(data, **params)` says `observed` meets it.

    `observed` is first reduced to plain data, as when judged (objects become opaque); `params`
    are literals (numbers, strings, lists). On success a visible check prints the figures."""
    from .judging import criterion_function, criterion_input, evaluate_criterion

    hidden = _caller_is_hidden()
    function = criterion_function(sys._getframe(1).f_globals, criterion)
    try:
        result = evaluate_criterion(function, criterion_input(observed), params)
    except Exception as exc:  # noqa: BLE001 (too large, or the criterion refuses malformed data by raising)
        raise CheckFailed(criterion_message(what, hidden, error=f"{type(exc).__name__}: {exc}")) from None
    if not result["passed"]:
        raise CheckFailed(criterion_message(what, hidden, result))
    if not hidden and isinstance(result.get("summary"), str):
        print(f"  {what}: {result['summary']}")


class expect_raises:
    """`with expect_raises(ValueError, "what"):` fails unless the block raises that exception."""

    def __init__(self, exception: type[BaseException], what: str):
        self.exception, self.what = exception, what
        self.hidden = _caller_is_hidden()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        name = self.exception.__name__
        if kind is None:
            raise CheckFailed(f"{self.what}\n    your code raised nothing; expected {name}")
        if not issubclass(kind, self.exception):
            raise CheckFailed(f"{self.what}\n    your code raised {kind.__name__}: {show(str(value), 200)}; "
                              f"expected {name}") from value
        return True


__all__ = ["expect", "expect_close", "expect_raises", "expect_meets", "same", "close", "show", "CheckFailed"]
