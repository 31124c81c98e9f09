# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 19 · Benchmarking: fair comparisons and the course leaderboard
#
# **Expected time:** 3–4 hours. **Difficulty:** ★★☆☆☆ (little arithmetic; the care goes into the
# rules: when a measurement may be compared, what exactly a metric means, and what a valid
# submission is).
#
# Module 14 gave you instruments: a timer, a memory profiler, a FLOP counter. A **benchmark** is
# a measurement protocol built on such instruments, so that two people on two machines, or one
# person before and after an optimisation, get numbers they can compare. You build:
#
# | step | you build | what it guarantees |
# |---|---|---|
# | 1 | `benchmark(fn, ...) -> Result` | warm-up, repeats, median/IQR, and a **stability** verdict |
# | 2 | `compare(baseline, candidate)` | a speed-up only claimed when the measurements allow it |
# | 3 | `Report`: `add`, `to_dict` | one record per model: latency, throughput, peak memory, accuracy, size |
# | 4 | `benchmark_model(...)` | the whole report of a model measured in one call |
# | 5 | `make_submission(report, category, ...)` | a leaderboard entry in the course's JSON format |
# | 6 | `validate_submission(sub) -> list[str]` | the schema and the category's quality bar, checked |
# | 7 | `leaderboard(submissions, category)` | the ranking |
#
# The leaderboard has three categories, documented with the JSON schema in `docs/leaderboard.md`:
# **mnist-fastest** (lowest latency for one image at ≥ 97 % test accuracy), **mnist-smallest**
# (fewest parameter bytes at ≥ 97 %) and **tinygpt-fastest-generation** (lowest time per generated
# token at a validation loss ≤ 2.0 nats/char).

# %% [markdown]
# ## Why it matters: how the field benchmarks
#
# MLPerf Inference (and its small sibling MLPerf Tiny) fixes for every task a model quality
# target ("99 % of the reference accuracy"), a scenario (one query at a time: latency; many at
# once: throughput) and measurement rules (warm-up, a minimum run length, percentiles instead of
# means), and then accepts submissions in a fixed format that a checker validates before anyone
# looks at the number. PyTorch's own tools follow the same habits:
#
# ```python
# from torch.utils.benchmark import Timer, Compare
# t0 = Timer("model(x)", globals=..., label="MLP", description="float32").blocked_autorange(min_run_time=1)
# t1 = Timer("qmodel(x)", globals=..., label="MLP", description="int8").blocked_autorange(min_run_time=1)
# Compare([t0, t1]).print()          # a table; measurements with a large IQR are flagged as noisy
# ```
#
# The rule behind all of it: **a number without its protocol is not a result**. "2× faster" needs
# "median of 10 runs after 3 warm-ups, IQR 3 %, same machine, same inputs, same accuracy".

# %% [markdown]
# ## Setup
#
# The exported setup imports your profiling module (14) and defines what the steps build on:
#
# - `Result` (Step 1 fills it) and `Comparison` (Step 2);
# - `METRICS`: the metrics a report may hold, with their units and whether lower or higher is
#   better;
# - `CATEGORIES`: the leaderboard's categories, their required metrics, quality bar and ranking
#   metric;
# - `SUBMISSION_SCHEMA`: the submission format as a JSON Schema (the standard way to describe a
#   JSON document; `docs/leaderboard.md` explains every field), and `schema_problems(value, schema)`,
#   a small checker for the parts of JSON Schema the course uses;
# - `environment_info()`: the Python/NumPy versions, machine and thread count of a measurement.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import datetime
import json
import math
import os
import platform
import time
from dataclasses import dataclass

import numpy as np
from tinytorch.tensor import Tensor
from tinytorch.autograd import no_grad
from tinytorch.profiling import FakeClock, MemoryProfiler, Timer, parameter_bytes

__all__ = ["Result", "benchmark", "Comparison", "compare", "METRICS", "Report", "benchmark_model", "CATEGORIES",
           "SUBMISSION_SCHEMA", "schema_problems", "environment_info", "make_submission", "validate_submission",
           "leaderboard", "FakeClock"]


@dataclass(frozen=True)
class Result:
    """Given: a benchmark's summary. rel_iqr = iqr / median; stable = rel_iqr <= the allowed maximum."""
    median: float
    q1: float
    q3: float
    iqr: float
    rel_iqr: float
    stable: bool
    times: tuple

    def __str__(self):
        flag = "stable" if self.stable else "UNSTABLE"
        return (f"{self.median * 1e3:.3f} ms (IQR {self.q1 * 1e3:.3f}-{self.q3 * 1e3:.3f} ms, "
                f"±{self.rel_iqr:.0%}, {len(self.times)} runs, {flag})")


@dataclass(frozen=True)
class Comparison:
    """Given: speedup = baseline median / candidate median; conclusive only when the data allow it."""
    speedup: float
    conclusive: bool
    reason: str


# name -> (unit, which direction is better, meaning)
METRICS = {
    "latency_ms": ("ms", "lower", "median wall time of one call (one batch, or one generated token)"),
    "throughput": ("items/s", "higher", "items (images, tokens) processed per second at the measured batch size"),
    "peak_bytes": ("B", "lower", "peak memory allocated during one call (tracemalloc)"),
    "accuracy": ("", "higher", "fraction of correct predictions on the category's test set, in [0, 1]"),
    "size_bytes": ("B", "lower", "bytes of the model's parameters as stored for inference"),
    "val_loss": ("nats", "lower", "mean cross-entropy per token on the validation split"),
}

CATEGORIES = {
    "mnist-fastest": {
        "task": "classify the 10,000 MNIST test images; latency_ms = median ms for ONE image (batch 1), 1 thread",
        "required": ["latency_ms", "accuracy"], "rank_by": "latency_ms", "min_accuracy": 0.97},
    "mnist-smallest": {
        "task": "classify the 10,000 MNIST test images; size_bytes = bytes of all parameters as stored",
        "required": ["size_bytes", "accuracy"], "rank_by": "size_bytes", "min_accuracy": 0.97},
    "tinygpt-fastest-generation": {
        "task": "Tiny Shakespeare, characters, 90/10 split; latency_ms = median ms per generated token "
                "(256 new tokens after a 1-token prompt, batch 1, 1 thread)",
        "required": ["latency_ms", "val_loss"], "rank_by": "latency_ms", "max_val_loss": 2.0},
}

SUBMISSION_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "TinyTorch leaderboard submission, version 1",
    "type": "object",
    "required": ["schema_version", "category", "team", "model", "metrics", "environment", "created"],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"type": "integer", "enum": [1]},
        "category": {"type": "string", "enum": sorted(CATEGORIES)},
        "team": {"type": "string", "minLength": 1, "maxLength": 64},
        "model": {"type": "string", "minLength": 1, "maxLength": 200},
        "metrics": {
            "type": "object", "minProperties": 1, "additionalProperties": False,
            "properties": {name: ({"type": "number", "minimum": 0, "maximum": 1} if name == "accuracy"
                                  else {"type": "number", "minimum": 0}) for name in METRICS},
        },
        "environment": {
            "type": "object", "required": ["python", "numpy", "machine", "threads"],
            "properties": {"python": {"type": "string"}, "numpy": {"type": "string"},
                           "machine": {"type": "string"}, "threads": {"type": "integer", "minimum": 1}},
        },
        "created": {"type": "string", "minLength": 1},
    },
}

_JSON_TYPES = {"object": dict, "array": list, "string": str}


def _has_type(value, kind):
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return kind == "number" or isinstance(value, int) or (math.isfinite(value) and float(value).is_integer())
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, _JSON_TYPES[kind])


def schema_problems(value, schema, path="submission"):
    """Given: what is wrong with `value` under a JSON Schema (the subset used here), as messages."""
    if "type" in schema and not _has_type(value, schema["type"]):
        return [f"{path}: should be of type {schema['type']}, got {type(value).__name__}"]
    problems = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: should be one of {schema['enum']}, got {value!r}")
    if "minimum" in schema and value < schema["minimum"]:
        problems.append(f"{path}: should be >= {schema['minimum']}, got {value!r}")
    if "maximum" in schema and value > schema["maximum"]:
        problems.append(f"{path}: should be <= {schema['maximum']}, got {value!r}")
    if "minLength" in schema and len(value) < schema["minLength"]:
        problems.append(f"{path}: should have at least {schema['minLength']} character(s)")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        problems.append(f"{path}: should have at most {schema['maxLength']} characters")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{path}.{key}: required")
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            problems.append(f"{path}: should have at least {schema['minProperties']} entr(y/ies)")
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                problems += schema_problems(item, properties[key], f"{path}.{key}")
            elif schema.get("additionalProperties", True) is False:
                problems.append(f"{path}.{key}: unknown field (allowed: {', '.join(properties)})")
    return problems


def environment_info(threads=None):
    """Given: where a measurement was made (versions, machine, BLAS threads)."""
    return {"python": platform.python_version(), "numpy": np.__version__,
            "machine": f"{platform.machine()} {platform.processor() or platform.system()}".strip(),
            "threads": int(threads or os.environ.get("TINYTORCH_THREADS", "1"))}


# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · A benchmark with a stability verdict
#
# `benchmark(fn, *args, warmup=3, repeats=10, max_rel_iqr=0.25, clock=time.perf_counter)`
# measures `fn(*args)` with your `Timer` from module 14 and adds one thing: a verdict on whether
# the measurement is **stable enough to compare**. The spread relative to the typical value is
#
# ```
# rel_iqr = iqr / median            (0.05 means: the middle half of the runs lie within ±5 %-ish)
# stable  = rel_iqr <= max_rel_iqr
# ```
#
# With `max_rel_iqr=0.25`, a measurement whose middle half spreads over more than a quarter of
# its median is flagged: the machine was too busy, or the function does different work each call
# (garbage collection, a cache that sometimes misses). A median of 0 (a clock too coarse to see
# the call) gives `rel_iqr = inf`, never stable.
#
# Build the `Timer` with `repeats`, `warmup` and `clock`, call its `measure`, and return a
# `Result` with every field filled (`times` from the Timing).

# %% nbgrader={"grade": false, "grade_id": "benchmark", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def benchmark(fn, *args, warmup=3, repeats=10, max_rel_iqr=0.25, clock=time.perf_counter):
    """Result(median, q1, q3, iqr, rel_iqr, stable, times) of fn(*args) after `warmup` calls."""
    ### BEGIN SOLUTION
    timing = Timer(repeats=repeats, warmup=warmup, clock=clock).measure(fn, *args)
    rel_iqr = timing.iqr / timing.median if timing.median > 0 else math.inf
    return Result(median=timing.median, q1=timing.q1, q3=timing.q3, iqr=timing.iqr, rel_iqr=rel_iqr,
                  stable=bool(rel_iqr <= max_rel_iqr), times=timing.times)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-benchmark", "locked": true, "points": 11, "schema_version": 3, "solution": false, "task": false}
calls = []
steady = FakeClock(np.cumsum([0.0] + [1.0, 0.0, 1.1, 0.0, 0.9, 0.0, 1.0, 0.0, 1.05]))   # 5 samples near 1 s
r = benchmark(lambda v: calls.append(v), 7, warmup=1, repeats=5, clock=steady)
expect(type(r).__name__, "Result", "benchmark should return a Result")
expect(len(calls), 6, "1 warm-up call + 5 timed calls, each with the argument")
expect_close([r.median, r.q1, r.q3, r.iqr], [1.0, 1.0, 1.05, 0.05], "median and quartiles of the 5 samples",
             rtol=0, atol=1e-9)
expect_close(r.rel_iqr, 0.05, "rel_iqr = iqr / median", rtol=0, atol=1e-9)
expect(r.stable, True, "a 5 % spread is below the default 25 %: stable")
noisy = FakeClock(np.cumsum([0.0] + [1.0, 0.0, 3.0, 0.0, 1.0, 0.0, 2.0, 0.0, 1.0, 0.0, 4.0]))
r = benchmark(lambda: None, warmup=0, repeats=6, clock=noisy)
expect_close([r.median, r.rel_iqr], [1.5, 1.75 / 1.5], "samples 1, 3, 1, 2, 1, 4: median 1.5, iqr 1.75",
             rtol=0, atol=1e-9)
expect(r.stable, False, "a spread larger than the median is not stable")
### BEGIN HIDDEN TESTS
_r = benchmark(lambda: None, warmup=0, repeats=4, max_rel_iqr=0.5,
               clock=FakeClock(np.cumsum([0.0, 2.0, 0.0, 2.5, 0.0, 2.0, 0.0, 3.0])))
expect_close([_r.median, _r.iqr, _r.rel_iqr], [2.25, 0.625, 0.625 / 2.25], "four samples 2, 2.5, 2, 3",
             rtol=0, atol=1e-9)
expect(_r.stable, True, "0.28 is stable when up to 0.5 is allowed")
_r = benchmark(lambda: None, warmup=0, repeats=3, clock=FakeClock([5.0] * 6))
expect_close(_r.median, 0.0, "a clock that never moves measures 0", rtol=0, atol=0)
expect([_r.rel_iqr, _r.stable], [math.inf, False], "a median of 0: rel_iqr is inf and the result is not stable")
expect(_r.times, (0.0, 0.0, 0.0), "the samples are kept")
_r = benchmark(lambda: None, warmup=1, repeats=3, max_rel_iqr=0.125,
               clock=FakeClock(np.cumsum([0.0, 1.0, 0.0, 1.25, 0.0, 1.0])))
expect_close(_r.rel_iqr, 0.125, "iqr 0.125 of a median 1.0", rtol=0, atol=1e-12)
expect(_r.stable, True, "exactly at the limit counts as stable (<=)")
_seen = []
benchmark(lambda a, b: _seen.append(a + b), 2, 3, warmup=1, repeats=2)
expect(_seen, [5, 5, 5], "several positional arguments, with the real clock")
### END HIDDEN TESTS
print("✅ Step 1: benchmark measures and judges its own stability")

# %% [markdown]
# ## Step 2 · When may you claim a speed-up?
#
# You optimised a function: the baseline took a median of 10 ms, the new version 9 ms. Is it 1.11×
# faster? Only if the difference is larger than the noise. A simple, conservative rule:
#
# 1. both results must be **stable** (Step 1), otherwise measure again;
# 2. their interquartile ranges must **not overlap**: the candidate's `q3` below the baseline's
#    `q1` (faster) or its `q1` above the baseline's `q3` (slower). If the middle halves of the two
#    sets of runs overlap, the difference could be noise.
#
# `compare(baseline, candidate) -> Comparison(speedup, conclusive, reason)` with
# `speedup = baseline.median / candidate.median` (above 1: the candidate is faster) and `reason`
# one of exactly these strings:
#
# | situation (checked in this order) | conclusive | reason |
# |---|---|---|
# | either result is not stable | False | `"unstable"` |
# | the IQRs overlap | False | `"overlap"` |
# | candidate's q3 < baseline's q1 | True | `"faster"` |
# | candidate's q1 > baseline's q3 | True | `"slower"` |

# %% nbgrader={"grade": false, "grade_id": "compare", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def compare(baseline, candidate):
    """Comparison(speedup = baseline.median / candidate.median, conclusive, reason)."""
    speedup = baseline.median / candidate.median if candidate.median > 0 else math.inf
    ### BEGIN SOLUTION
    if not (baseline.stable and candidate.stable):
        return Comparison(speedup, False, "unstable")
    if candidate.q3 < baseline.q1:
        return Comparison(speedup, True, "faster")
    if candidate.q1 > baseline.q3:
        return Comparison(speedup, True, "slower")
    return Comparison(speedup, False, "overlap")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-compare", "locked": true, "points": 9, "schema_version": 3, "solution": false, "task": false}
def result(median, q1, q3, stable=True):
    return Result(median, q1, q3, q3 - q1, (q3 - q1) / median, stable, (median,))


c = compare(result(10.0, 9.8, 10.3), result(8.0, 7.9, 8.2))
expect_close(c.speedup, 1.25, "speedup = baseline median / candidate median", rtol=0, atol=1e-12)
expect((c.conclusive, c.reason), (True, "faster"), "the candidate's q3 (8.2) is below the baseline's q1 (9.8)")
c = compare(result(10.0, 9.0, 11.0), result(9.5, 8.5, 10.5))
expect((c.conclusive, c.reason), (False, "overlap"), "IQRs 9-11 and 8.5-10.5 overlap: no conclusion")
expect_close(c.speedup, 10.0 / 9.5, "the speed-up is still reported", rtol=0, atol=1e-12)
c = compare(result(10.0, 9.9, 10.1), result(5.0, 4.9, 5.1, stable=False))
expect((c.conclusive, c.reason), (False, "unstable"), "an unstable candidate gives no conclusion, however fast")
### BEGIN HIDDEN TESTS
_c = compare(result(2.0, 1.9, 2.1), result(3.0, 2.9, 3.2))
expect_close(_c.speedup, 2.0 / 3.0, "a slower candidate has a speed-up below 1", rtol=0, atol=1e-12)
expect((_c.conclusive, _c.reason), (True, "slower"), "the candidate's q1 (2.9) is above the baseline's q3 (2.1)")
_c = compare(result(2.0, 1.9, 2.1, stable=False), result(1.0, 0.9, 1.1))
expect((_c.conclusive, _c.reason), (False, "unstable"), "an unstable baseline gives no conclusion")
_c = compare(result(2.0, 1.9, 2.1), result(1.9, 1.8, 1.9))
expect((_c.conclusive, _c.reason), (False, "overlap"), "touching IQRs (1.9 and 1.9) count as overlapping")
_c = compare(result(2.0, 1.9, 2.1, stable=False), result(2.0, 1.9, 2.1))
expect((_c.conclusive, _c.reason, _c.speedup), (False, "unstable", 1.0), "stability is checked first")
### END HIDDEN TESTS
print("✅ Step 2: compare only concludes when the data allow it")

# %% [markdown]
# ## Step 3 · A multi-metric report
#
# Speed alone ranks nothing: a model that answers instantly and wrongly, or fast but in 10 GB,
# has not won. A `Report` collects every metric of one model in one place. It holds `name` and a
# dict `metrics`. Write:
#
# - `add(metric, value) -> self` (so that calls chain: `report.add("latency_ms", 1.2).add(...)`):
#   - the metric must be one of `METRICS`, else raise `ValueError` naming the known ones
#     (a typo like `"latency"` must not silently create a new metric);
#   - the value must be a real, finite number ≥ 0 (not a bool, not NaN), and an accuracy at most 1
#     (a percentage like 97.5 is a classic mistake), else `ValueError`;
#   - store it as a **Python** `float`, or an `int` for the two byte counts (`peak_bytes`,
#     `size_bytes`): NumPy numbers (`np.float32(0.98)`) cannot be written by `json.dumps`, and a
#     report is written to JSON in Step 5.
# - `to_dict()`: `{"name": name, "metrics": {...}}` with the metrics in the order of `METRICS` (a
#   stable order makes reports easy to diff), as a new dict (changing it must not change the
#   report).
#
# `table()` (given) prints the report.

# %% nbgrader={"grade": false, "grade_id": "report", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Report:
    """The metrics of one model: Report("mlp").add("latency_ms", 1.2).add("accuracy", 0.98)."""

    def __init__(self, name):
        self.name = name
        self.metrics = {}

    def add(self, metric, value):
        """Record one metric (validated, stored as a Python float, or int for byte counts); return self."""
        ### BEGIN SOLUTION
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{metric} must be a number, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{metric} must be finite and >= 0, got {value!r}")
        if metric == "accuracy" and value > 1:
            raise ValueError(f"accuracy is a fraction in [0, 1], got {value!r} (a percentage?)")
        self.metrics[metric] = int(value) if metric.endswith("_bytes") else float(value)
        return self
        ### END SOLUTION

    def to_dict(self):
        """{"name": ..., "metrics": {...}} in METRICS order, plain Python values, a new dict."""
        ### BEGIN SOLUTION
        return {"name": self.name, "metrics": {m: self.metrics[m] for m in METRICS if m in self.metrics}}
        ### END SOLUTION

    def table(self):
        """Given: the report as aligned text lines."""
        lines = [f"{self.name}"]
        for m in METRICS:
            if m in self.metrics:
                unit, better, _ = METRICS[m]
                lines.append(f"  {m:<11} {self.metrics[m]:>14,.4g} {unit:<8} ({better} is better)")
        return "\n".join(lines)


# %% nbgrader={"grade": true, "grade_id": "test-report", "locked": true, "points": 11, "schema_version": 3, "solution": false, "task": false}
rep = Report("mlp-784-64-10")
same_report = rep.add("size_bytes", np.int64(203560)).add("accuracy", np.float32(0.975)).add("latency_ms", 0.25)
expect(same_report is rep, True, "add returns the report itself (calls chain)")
d = rep.to_dict()
expect(list(d["metrics"]), ["latency_ms", "accuracy", "size_bytes"], "metrics in the order of METRICS")
expect_close(d["metrics"]["accuracy"], 0.975, "the accuracy as recorded", rtol=1e-6, atol=0)
expect([type(d["metrics"][m]).__name__ for m in d["metrics"]], ["float", "float", "int"],
       "Python float, and int for byte counts (json.dumps cannot write NumPy numbers)")
expect(json.loads(json.dumps(d))["metrics"]["size_bytes"], 203560, "the report survives a JSON round trip")
with expect_raises(ValueError, "'latency' is not a known metric (a typo must not create a new one)"):
    rep.add("latency", 1.0)
with expect_raises(ValueError, "an accuracy of 97.5 is a percentage, not a fraction"):
    rep.add("accuracy", 97.5)
### BEGIN HIDDEN TESTS
expect(d["name"], "mlp-784-64-10", "to_dict keeps the name")
_d = rep.to_dict()
_d["metrics"]["latency_ms"] = 99.0
expect_close(rep.metrics["latency_ms"], 0.25, "to_dict returns a copy: changing it leaves the report alone",
             rtol=0, atol=0)
for _bad in [-1.0, float("nan"), float("inf"), True, "fast", None]:
    with expect_raises(ValueError, "negative, NaN, infinite, bool, text or None values are refused"):
        Report("x").add("latency_ms", _bad)
_r = Report("y").add("peak_bytes", 1234.0).add("val_loss", np.float64(1.75)).add("throughput", 10)
expect(_r.to_dict(), {"name": "y", "metrics": {"throughput": 10.0, "peak_bytes": 1234, "val_loss": 1.75}},
       "throughput and losses become floats, byte counts ints, in METRICS order")
expect(type(_r.to_dict()["metrics"]["throughput"]).__name__, "float", "an int throughput is stored as a float")
_r.add("val_loss", 1.5)
expect(_r.metrics["val_loss"], 1.5, "adding a metric again replaces its value")
expect(Report("z").add("accuracy", 1).to_dict()["metrics"], {"accuracy": 1.0}, "an accuracy of exactly 1 is fine")
### END HIDDEN TESTS
print("✅ Step 3: Report")

# %% [markdown]
# ## Step 4 · Measuring a model: one call, five metrics
#
# `benchmark_model(name, model, x, y=None, warmup=3, repeats=10, clock=time.perf_counter)` measures
# an inference pass `model(x)` and returns a `Report` with:
#
# | metric | how |
# |---|---|
# | `latency_ms` | `benchmark(forward, ...)`'s median × 1000: one call of `model(x)` on the whole batch `x` |
# | `throughput` | `len(x) / median` (items per second at this batch size) |
# | `peak_bytes` | `MemoryProfiler` around **one** more call of `model(x)` |
# | `size_bytes` | `parameter_bytes(model)` |
# | `accuracy` | only when labels `y` are given: mean of `argmax(model(x), axis=1) == y` |
#
# Inference is measured as it is used: put the model in evaluation mode (`model.eval()`: dropout
# off) and run everything under `no_grad()` (no graph is recorded: faster and less memory). Wrap
# `x` in a Tensor if it is an ndarray. Put the model back in training mode at the end if it was
# in training mode before (`model.training`), so that measuring never changes the model.

# %% nbgrader={"grade": false, "grade_id": "benchmark-model", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def benchmark_model(name, model, x, y=None, warmup=3, repeats=10, clock=time.perf_counter):
    """Report(name) with latency_ms, throughput, peak_bytes, size_bytes and (if y is given) accuracy."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    was_training = model.training
    ### BEGIN SOLUTION
    model.eval()
    try:
        with no_grad():
            result = benchmark(model, x, warmup=warmup, repeats=repeats, clock=clock)
            with MemoryProfiler() as memory:
                out = model(x)
        report = Report(name)
        report.add("latency_ms", result.median * 1e3)
        report.add("throughput", len(x) / result.median if result.median > 0 else 0.0)
        report.add("peak_bytes", memory.peak_bytes)
        report.add("size_bytes", parameter_bytes(model))
        if y is not None:
            labels = np.asarray(y.data if isinstance(y, Tensor) else y)
            report.add("accuracy", float(np.mean(out.data.argmax(axis=1) == labels)))
    finally:
        model.train(was_training)
    return report
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-benchmark-model", "locked": true, "points": 11, "schema_version": 3, "solution": false, "task": false}
from tinytorch.activations import ReLU
from tinytorch.autograd import is_grad_enabled
from tinytorch.layers import Dropout, Linear, Module, Sequential

net = Sequential(Linear(6, 16, rng=np.random.default_rng(0)), ReLU(), Dropout(0.5, rng=np.random.default_rng(1)),
                 Linear(16, 3, rng=np.random.default_rng(2)))
x_net = np.random.default_rng(3).standard_normal((40, 6)).astype(np.float32)
with no_grad():
    y_net = net.eval()(Tensor(x_net)).data.argmax(axis=1)           # labels the model gets right ...
y_net[:10] = (y_net[:10] + 1) % 3                                     # ... except the first 10
net.train()
rep = benchmark_model("tiny", net, x_net, y_net, warmup=1, repeats=3,
                      clock=FakeClock([0.0, 0.002, 0.002, 0.006, 0.006, 0.009]))   # 2, 4 and 3 ms
m = rep.to_dict()["metrics"]
expect(list(m), ["latency_ms", "throughput", "peak_bytes", "accuracy", "size_bytes"], "all five metrics")
expect_close(m["latency_ms"], 3.0, "median of 2, 4 and 3 ms", rtol=0, atol=1e-9)
expect_close(m["throughput"], 40 / 0.003, "40 images per 3 ms", rtol=1e-9, atol=0)
expect_close(m["accuracy"], 0.75, "30 of 40 right: dropout must be off while measuring (eval mode)", rtol=0, atol=1e-12)
expect(m["size_bytes"], 4 * (6 * 16 + 16 + 16 * 3 + 3), "parameter bytes")
expect(net.training, True, "the model is back in training mode afterwards")
### BEGIN HIDDEN TESTS
expect_close(m["peak_bytes"], 9600, "one forward of a 40-image batch under no_grad: about 10 KB",
             rtol=0, atol=4000)
_lin = Linear(50, 20, rng=np.random.default_rng(4)).eval()
_x = Tensor(np.random.default_rng(5).standard_normal((1000, 50)).astype(np.float32))
_rep = benchmark_model("lin", _lin, _x, warmup=0, repeats=1, clock=FakeClock([1.0, 1.5]))
expect(sorted(_rep.metrics), ["latency_ms", "peak_bytes", "size_bytes", "throughput"], "no labels: no accuracy")
expect_close([_rep.metrics["latency_ms"], _rep.metrics["throughput"]], [500.0, 2000.0],
             "a Tensor input of 1000 rows in 0.5 s", rtol=1e-12, atol=0)
expect_close(_rep.metrics["peak_bytes"], 194_000, "x @ W and x @ W + b (80 KB each) and little else: no graph",
             rtol=0.2, atol=0)
expect(_lin.training, False, "a model in eval mode stays in eval mode")

class _Spy(Module):
    """Records, at every forward, whether autograd was on and whether it was in training mode."""

    def __init__(self):
        self.seen = []

    def forward(self, x):
        self.seen.append((is_grad_enabled(), self.training))
        return x


_spy = _Spy()
benchmark_model("spy", Sequential(Linear(3, 2, rng=np.random.default_rng(6)), _spy), np.ones((4, 3), np.float32),
                warmup=2, repeats=3)
expect(sorted(set(_spy.seen)), [(False, False)], "every measured forward runs under no_grad and in eval mode")
expect(len(_spy.seen), 6, "2 warm-up calls, 3 timed calls and one call for the memory and the accuracy")
expect(_rep.name, "lin", "the report has the given name")
### END HIDDEN TESTS
print("✅ Step 4: benchmark_model")
print(rep.table())

# %% [markdown]
# ## Step 5 · A leaderboard submission
#
# A submission is a JSON document in the format of `SUBMISSION_SCHEMA` (read `docs/leaderboard.md`
# for every field). Version 1 looks like this:
#
# ```json
# {
#   "schema_version": 1,
#   "category": "mnist-smallest",
#   "team": "ada",
#   "model": "mlp 784-64-10, int8 weights",
#   "metrics": {"accuracy": 0.9712, "size_bytes": 51240},
#   "environment": {"python": "3.11.9", "numpy": "2.1.3", "machine": "x86_64 ...", "threads": 1},
#   "created": "2027-03-01T12:00:00+00:00"
# }
# ```
#
# `make_submission(report, category, team, model=None, environment=None, created=None)`:
#
# - `category` must be a key of `CATEGORIES`, else `ValueError`;
# - `metrics` holds **only the category's required metrics**, taken from `report.to_dict()` (a
#   category ranks one thing; extra numbers invite confusion); a required metric missing from the
#   report is a `ValueError` that names it;
# - `model` defaults to the report's name, `environment` to `environment_info()`, `created` to
#   the current UTC time in ISO 8601 (`datetime.datetime.now(datetime.timezone.utc).isoformat()`).
#
# It does **not** check the quality bar: that is the validator's job (Step 6), so that a
# submission below the bar can still be written, inspected and refused with a clear message.

# %% nbgrader={"grade": false, "grade_id": "make-submission", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def make_submission(report, category, team, model=None, environment=None, created=None):
    """The leaderboard submission (a plain dict in the SUBMISSION_SCHEMA format) of a report."""
    ### BEGIN SOLUTION
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; known: {', '.join(CATEGORIES)}")
    metrics = report.to_dict()["metrics"]
    missing = [m for m in CATEGORIES[category]["required"] if m not in metrics]
    if missing:
        raise ValueError(f"{category} needs the metric(s) {', '.join(missing)}; the report has {', '.join(metrics)}")
    return {
        "schema_version": 1,
        "category": category,
        "team": team,
        "model": model if model is not None else report.name,
        "metrics": {m: metrics[m] for m in CATEGORIES[category]["required"]},
        "environment": environment if environment is not None else environment_info(),
        "created": created if created is not None else datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-make-submission", "locked": true, "points": 9, "schema_version": 3, "solution": false, "task": false}
env = {"python": "3.11.9", "numpy": "2.1.3", "machine": "x86_64", "threads": 1}
rep = Report("mlp-64").add("latency_ms", 0.21).add("accuracy", 0.9712).add("size_bytes", 203560)
sub = make_submission(rep, "mnist-smallest", "ada", environment=env, created="2027-03-01T12:00:00+00:00")
expect(sub, {"schema_version": 1, "category": "mnist-smallest", "team": "ada", "model": "mlp-64",
             "metrics": {"size_bytes": 203560, "accuracy": 0.9712}, "environment": env,
             "created": "2027-03-01T12:00:00+00:00"},
       "the submission: only the category's required metrics, the report's name as the model")
expect(sorted(make_submission(rep, "mnist-fastest", "ada", model="m", environment=env, created="t")["metrics"]),
       ["accuracy", "latency_ms"], "mnist-fastest takes latency and accuracy")
with expect_raises(ValueError, "tinygpt-fastest-generation needs val_loss, which the report does not have"):
    make_submission(rep, "tinygpt-fastest-generation", "ada", environment=env, created="t")
### BEGIN HIDDEN TESTS
with expect_raises(ValueError, "an unknown category"):
    make_submission(rep, "mnist-best", "ada")
_sub = make_submission(rep, "mnist-fastest", "bo")
expect(sorted(_sub), ["category", "created", "environment", "metrics", "model", "schema_version", "team"],
       "every field of the schema, and no other")
expect(sorted(_sub["environment"]), ["machine", "numpy", "python", "threads"], "the default environment")
expect(datetime.datetime.fromisoformat(_sub["created"]).utcoffset().total_seconds(), 0.0,
       "the default creation time is ISO 8601 in UTC (offset +00:00)")
expect(json.loads(json.dumps(_sub))["metrics"], {"latency_ms": 0.21, "accuracy": 0.9712}, "the submission is JSON")
_low = Report("weak").add("latency_ms", 0.1).add("accuracy", 0.5)
expect(make_submission(_low, "mnist-fastest", "cy", environment=env, created="t")["metrics"]["accuracy"], 0.5,
       "a submission below the quality bar is still made (the validator refuses it)")
### END HIDDEN TESTS
print("✅ Step 5: make_submission")
print(json.dumps(sub, indent=2))

# %% [markdown]
# ## Step 6 · Validating a submission
#
# The leaderboard accepts a submission only if `validate_submission(sub)` returns an **empty list**;
# otherwise the list says everything that is wrong, one message per problem (a person fixing a
# submission wants all problems at once, not one per attempt).
#
# 1. The format: `schema_problems(sub, SUBMISSION_SCHEMA)` (given) checks types, required and
#    unknown fields, allowed values and ranges. If it finds problems, return them right away: the
#    next checks read fields that may be missing or of the wrong type.
# 2. The category's rules, from `CATEGORIES[sub["category"]]`:
#    - every metric of `"required"` is present: else `"metrics.<name>: required for <category>"`;
#    - every metric value is finite (JSON can carry `NaN` and `Infinity`, the schema's `minimum`
#      does not catch NaN): else a message naming the metric;
#    - the quality bar: `accuracy >= min_accuracy` when the category has a `min_accuracy`, and
#      `val_loss <= max_val_loss` when it has a `max_val_loss` (only when that metric is present;
#      a missing one is already reported).
#
# Any wording of the messages is fine: the tests count them and look for the field's name.

# %% nbgrader={"grade": false, "grade_id": "validate-submission", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def validate_submission(sub):
    """[] when sub is a valid leaderboard submission, else one message per problem."""
    problems = schema_problems(sub, SUBMISSION_SCHEMA)
    if problems:
        return problems
    category, metrics = sub["category"], sub["metrics"]
    rules = CATEGORIES[category]
    ### BEGIN SOLUTION
    for name in rules["required"]:
        if name not in metrics:
            problems.append(f"metrics.{name}: required for {category}")
    for name, value in metrics.items():
        if not math.isfinite(value):
            problems.append(f"metrics.{name}: must be a finite number, got {value!r}")
    accuracy, val_loss = metrics.get("accuracy"), metrics.get("val_loss")
    if "min_accuracy" in rules and accuracy is not None and not accuracy >= rules["min_accuracy"]:
        problems.append(f"metrics.accuracy: {category} needs accuracy >= {rules['min_accuracy']}, got {accuracy}")
    if "max_val_loss" in rules and val_loss is not None and not val_loss <= rules["max_val_loss"]:
        problems.append(f"metrics.val_loss: {category} needs val_loss <= {rules['max_val_loss']}, got {val_loss}")
    return problems
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-validate-submission", "locked": true, "points": 13, "schema_version": 3, "solution": false, "task": false}
def entry(category="mnist-fastest", **metrics):
    return {"schema_version": 1, "category": category, "team": "ada", "model": "mlp", "metrics": metrics,
            "environment": {"python": "3.11.9", "numpy": "2.1.3", "machine": "x86_64", "threads": 1},
            "created": "2027-03-01T12:00:00+00:00"}


expect(validate_submission(entry(latency_ms=0.2, accuracy=0.975)), [], "a valid mnist-fastest submission")
low = validate_submission(entry(latency_ms=0.2, accuracy=0.96))
expect(len(low), 1, "an accuracy of 0.96 is below the category's 0.97: one problem")
expect("accuracy" in low[0], True, "the message names the accuracy")
missing = validate_submission(entry("mnist-smallest", accuracy=0.98))
expect(len(missing), 1, "mnist-smallest without size_bytes: one problem")
expect("size_bytes" in missing[0], True, "the message names the missing metric")
expect(validate_submission(entry("tinygpt-fastest-generation", latency_ms=3.5, val_loss=1.95)), [],
       "a TinyGPT generation entry below the loss bound")
expect(len(validate_submission(entry("tinygpt-fastest-generation", latency_ms=3.5, val_loss=2.3))), 1,
       "a validation loss above 2.0 does not qualify")
### BEGIN HIDDEN TESTS
_many = validate_submission(entry("tinygpt-fastest-generation", accuracy=0.5))
expect(len(_many), 2, "latency_ms and val_loss both missing: two problems at once")
expect(sorted(_p.split(":")[0] for _p in _many), ["metrics.latency_ms", "metrics.val_loss"],
       "one message per missing metric, starting with its field")
expect(len(validate_submission(entry(latency_ms=float("nan"), accuracy=0.99))), 1, "a NaN latency is one problem")
expect(len(validate_submission(entry(latency_ms=0.1, accuracy=float("nan")))), 2,
       "a NaN accuracy is not finite AND does not meet the bar (NaN >= 0.97 is False)")
expect(validate_submission(entry(latency_ms=0.1, accuracy=0.97)), [], "exactly 0.97 qualifies")
expect(validate_submission(entry("tinygpt-fastest-generation", latency_ms=1.0, val_loss=2.0)), [],
       "exactly 2.0 qualifies")
_bad = entry(latency_ms=0.1, accuracy=0.99)
_bad["team"], _bad["extra"] = "", 1
expect(len(validate_submission(_bad)), 2, "an empty team and an unknown field: the schema's two problems")
expect(len(validate_submission(["not", "a", "dict"])), 1, "a list is not a submission")
_wrong = entry(latency_ms=0.1, accuracy=0.99)
_wrong["category"] = "mnist-best"
expect(len(validate_submission(_wrong)), 1, "an unknown category is a schema problem (and stops the checks)")
### END HIDDEN TESTS
print("✅ Step 6: validate_submission")

# %% [markdown]
# ## Step 7 · The leaderboard
#
# `leaderboard(submissions, category)` turns a pile of submissions into the ranking of one
# category:
#
# 1. keep the submissions of that category that are **valid** (`validate_submission(s) == []`;
#    anything else, including entries that are not dicts, is dropped);
# 2. sort by the category's `rank_by` metric, **lowest first** (every ranking metric of the course
#    is "lower is better"); ties go to the earlier `created` (ISO 8601 strings of the same format
#    sort in time order), as in most competitions;
# 3. return one row per entry: `{"rank": 1, "team": ..., "model": ..., <rank_by>: value}`, ranks
#    counting from 1.
#
# An unknown category is a `ValueError`.

# %% nbgrader={"grade": false, "grade_id": "leaderboard", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def leaderboard(submissions, category):
    """Ranked rows {"rank", "team", "model", <rank_by metric>} of the valid submissions of category."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; known: {', '.join(CATEGORIES)}")
    key = CATEGORIES[category]["rank_by"]
    ### BEGIN SOLUTION
    valid = [s for s in submissions
             if isinstance(s, dict) and s.get("category") == category and not validate_submission(s)]
    valid.sort(key=lambda s: (s["metrics"][key], s["created"]))
    return [{"rank": i + 1, "team": s["team"], "model": s["model"], key: s["metrics"][key]}
            for i, s in enumerate(valid)]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-leaderboard", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
def at(team, created, category="mnist-fastest", **metrics):
    s = entry(category, **metrics)
    s["team"], s["model"], s["created"] = team, f"{team}-model", created
    return s


pile = [at("ada", "2027-03-02T10:00:00+00:00", latency_ms=0.30, accuracy=0.98),
        at("bo", "2027-03-01T10:00:00+00:00", latency_ms=0.12, accuracy=0.975),
        at("cy", "2027-03-01T09:00:00+00:00", latency_ms=0.05, accuracy=0.93),           # below the bar
        at("di", "2027-03-01T08:00:00+00:00", "mnist-smallest", size_bytes=1000, accuracy=0.98)]
board = leaderboard(pile, "mnist-fastest")
expect(board, [{"rank": 1, "team": "bo", "model": "bo-model", "latency_ms": 0.12},
               {"rank": 2, "team": "ada", "model": "ada-model", "latency_ms": 0.30}],
       "valid mnist-fastest entries, lowest latency first (cy is below 97 %, di is another category)")
expect(leaderboard(pile, "mnist-smallest")[0]["size_bytes"], 1000, "mnist-smallest ranks by size_bytes")
### BEGIN HIDDEN TESTS
_pile = [at("late", "2027-03-05T00:00:00+00:00", latency_ms=0.2, accuracy=0.99),
         at("early", "2027-03-04T00:00:00+00:00", latency_ms=0.2, accuracy=0.98),
         at("gpt", "2027-03-01T00:00:00+00:00", "tinygpt-fastest-generation", latency_ms=0.1, val_loss=1.9),
         "garbage", None, {"category": "mnist-fastest"},
         at("fast", "2027-03-06T00:00:00+00:00", latency_ms=0.15, accuracy=0.97)]
expect([(_r["rank"], _r["team"]) for _r in leaderboard(_pile, "mnist-fastest")],
       [(1, "fast"), (2, "early"), (3, "late")], "ties go to the earlier submission; invalid entries are dropped")
expect(leaderboard(_pile, "tinygpt-fastest-generation"),
       [{"rank": 1, "team": "gpt", "model": "gpt-model", "latency_ms": 0.1}], "the TinyGPT category")
expect(leaderboard([], "mnist-smallest"), [], "no submissions, empty board")
with expect_raises(ValueError, "an unknown category"):
    leaderboard(_pile, "fastest")
### END HIDDEN TESTS
print("✅ Step 7: leaderboard")

# %% [markdown]
# ## Systems analysis
#
# ### 1. How many repeats make a stable measurement?
#
# The stability verdict depends on how long one call takes compared with the interruptions of a
# busy machine. Below, the relative IQR of the same matmul measured with 3 to 30 repeats, for a
# small and a large matrix, each measured several times (timings are real, so your plot differs).

# %% nbgrader={"grade": false, "grade_id": "analysis-stability", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
from tinytorch_runtime.timing import pinned_threads

rng = np.random.default_rng(0)
repeat_counts = [3, 5, 10, 20, 30]
stability = {}
with pinned_threads(1):
    for side in (32, 256):
        a = rng.standard_normal((side, side)).astype(np.float32)
        rows = []
        for reps in repeat_counts:
            rows.append([benchmark(np.matmul, a, a, warmup=2, repeats=reps).rel_iqr for _ in range(4)])
        stability[side] = np.array(rows)
        print(f"{side}x{side} matmul: rel. IQR (median of 4 benchmarks) by repeats "
              + ", ".join(f"{r}: {np.median(v):.0%}" for r, v in zip(repeat_counts, stability[side])))

fig, ax = plt.subplots(figsize=(7, 3.5))
for side, values in stability.items():
    ax.plot(repeat_counts, np.median(values, axis=1), "o-", label=f"{side}x{side} (median of 4)")
    ax.fill_between(repeat_counts, values.min(axis=1), values.max(axis=1), alpha=0.2)
ax.axhline(0.25, color="k", ls="--", lw=0.8, label="default max_rel_iqr")
ax.set(xlabel="repeats", ylabel="iqr / median", yscale="log", title="How noisy is one benchmark?")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# More repeats make the *estimate* of the IQR more reliable (the band narrows), but they do not
# make the machine quieter: the spread is a property of the machine and of the function. Tiny
# calls (microseconds) are at the mercy of the clock's resolution and of every interruption;
# longer calls average short interruptions out. When a result is unstable, more repeats rarely
# help; a longer call (a bigger batch, `number` > 1 in module 14's Timer), a quieter machine or
# pinned threads do.
#
# ### 2. A fair comparison: the framework's overhead
#
# TinyTorch's `Linear` computes `x @ W + b` through Tensors (and, in training, autograd). How much
# does that cost compared with the same arithmetic on bare NumPy arrays? `compare` decides, batch
# size by batch size, whether the difference is real.

# %% nbgrader={"grade": false, "grade_id": "analysis-overhead", "locked": true, "schema_version": 3, "solution": false, "task": false}
layer = Linear(256, 256, rng=rng)
W, b = layer.weight.data, layer.bias.data
batch_sizes = [1, 4, 16, 64, 256, 1024]
overhead = []
with pinned_threads(1), no_grad():
    for n in batch_sizes:
        xs = rng.standard_normal((n, 256)).astype(np.float32)
        xt = Tensor(xs)
        bare = benchmark(lambda: xs @ W + b, repeats=15)
        framework = benchmark(layer, xt, repeats=15)
        verdict = compare(bare, framework)
        overhead.append((bare.median, framework.median, verdict))
        print(f"batch {n:5d}: NumPy {bare.median * 1e6:8.1f} µs  TinyTorch {framework.median * 1e6:8.1f} µs  "
              f"NumPy/TinyTorch {verdict.speedup:5.2f}x  ({verdict.reason})")

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.loglog(batch_sizes, [o[0] * 1e6 for o in overhead], "o-", label="bare NumPy: x @ W + b")
ax.loglog(batch_sizes, [o[1] * 1e6 for o in overhead], "s-", label="TinyTorch Linear (no_grad)")
ax.set(xlabel="batch size", ylabel="µs per call (median)", title="Linear(256, 256): where the overhead matters")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# At batch 1 the arithmetic is tiny (131 kFLOP) and the fixed cost of the framework (creating
# Tensors, Python calls, checks) is a large part of the time: this is why the **mnist-fastest**
# category (batch 1) rewards removing overhead at least as much as removing FLOPs. At large
# batches both curves meet: the matmul dominates and the framework costs almost nothing.
# Where the verdict says `overlap` or `unstable`, no claim can be made either way, whatever the
# ratio printed.
#
# ### 3. A multi-metric comparison and a mock leaderboard
#
# Three MLPs of different widths, measured with `benchmark_model` on a batch of 256 inputs
# (untrained: synthetic data, so no accuracy here; `benchmarks/leaderboard_mnist.py` trains them
# on real MNIST and produces real submissions).

# %% nbgrader={"grade": false, "grade_id": "analysis-report", "locked": true, "schema_version": 3, "solution": false, "task": false}
def mlp(sizes, seed=0):
    gen, layers = np.random.default_rng(seed), []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [Linear(fan_in, fan_out, init="he", rng=gen), ReLU()]
    return Sequential(*layers[:-1])


x_syn = rng.standard_normal((256, 784)).astype(np.float32)
reports = []
with pinned_threads(1):
    for sizes in ([784, 256, 128, 10], [784, 64, 10], [784, 32, 10]):
        reports.append(benchmark_model("mlp " + "-".join(map(str, sizes)), mlp(sizes), x_syn, repeats=10))
for report in reports:
    print(report.table())

fig, ax = plt.subplots(figsize=(6.5, 3.5))
for report in reports:
    ax.scatter(report.metrics["size_bytes"] / 1024, report.metrics["latency_ms"], s=60)
    ax.annotate(report.name, (report.metrics["size_bytes"] / 1024, report.metrics["latency_ms"]),
                textcoords="offset points", xytext=(5, 5), fontsize=8)
ax.set(xlabel="parameter KiB", ylabel="latency of a batch of 256 (ms)", xscale="log", yscale="log",
       title="size vs latency")
fig.tight_layout()
plt.show()

mock = [make_submission(Report(f"team{i}").add("latency_ms", lat).add("accuracy", acc), "mnist-fastest",
                        f"team{i}", created=f"2027-03-0{i + 1}T00:00:00+00:00")
        for i, (lat, acc) in enumerate([(0.31, 0.981), (0.12, 0.962), (0.18, 0.972), (0.18, 0.990)])]
for s in mock:
    print(s["team"], validate_submission(s) or "valid")
print(leaderboard(mock, "mnist-fastest"))

# %% [markdown]
# Size and latency are different axes. Compare the ratios in your own numbers: the parameter
# bytes shrink exactly with the width, the latency does not follow them exactly, because part of
# every call is fixed cost (Python, Tensors) and memory traffic on the input, which do not depend
# on the width, and because BLAS runs matmuls of different shapes at different GFLOP/s (module 14's
# profile). On the machine this notebook was written on, the 784-256-128-10 network (9× the bytes
# of 784-32-10) took about 20× its latency: its first, largest matmul ran at a fraction of the
# others' rate. Whatever your numbers, no single metric ranks models: the leaderboard ranks each
# goal in its own category, with the same quality bar. In the mock board, team1 is fastest but
# below 97 %: it is refused with a message, not ranked; team2 and team3 tie and the earlier
# submission ranks first.

# %% [markdown]
# ## Integration test: from a model to a ranked, validated submission
#
# Measure two small models, turn their reports into submissions, write them to JSON and read
# them back (as the leaderboard server would), validate and rank them.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
wide = Sequential(Linear(8, 32, rng=np.random.default_rng(0)), ReLU(), Linear(32, 4, rng=np.random.default_rng(1)))
thin = Sequential(Linear(8, 4, rng=np.random.default_rng(2)))
x_int = np.random.default_rng(3).standard_normal((50, 8)).astype(np.float32)
with no_grad():
    y_int = wide(Tensor(x_int)).data.argmax(axis=1)              # the wide model defines the labels
env = {"python": "3.11.9", "numpy": "2.1.3", "machine": "test", "threads": 1}
subs = []
for i, (name, model) in enumerate([("wide", wide), ("thin", thin)]):
    rep = benchmark_model(name, model, x_int, y_int, warmup=0, repeats=1, clock=FakeClock([0.0, 0.001 * (i + 1)]))
    sub = make_submission(rep, "mnist-smallest", name, environment=env, created=f"2027-01-0{i + 1}T00:00:00+00:00")
    subs.append(json.loads(json.dumps(sub)))
problems = [validate_submission(s) for s in subs]
expect([len(p) for p in problems], [0, 1], "the wide model is valid (100 %); the thin one is below 97 %")
expect([s["metrics"]["size_bytes"] for s in subs], [4 * (8 * 32 + 32 + 32 * 4 + 4), 4 * (8 * 4 + 4)],
       "each submission carries its model's parameter bytes")
expect(leaderboard(subs, "mnist-smallest"),
       [{"rank": 1, "team": "wide", "model": "wide", "size_bytes": 1680}], "only the valid submission is ranked")
### BEGIN HIDDEN TESTS
expect_close(subs[1]["metrics"]["accuracy"], float(np.mean(thin(Tensor(x_int)).data.argmax(axis=1) == y_int)),
             "the thin model's accuracy against the wide model's labels", rtol=0, atol=1e-12)
_fast = [make_submission(benchmark_model(_n, _m, x_int, y_int, warmup=0, repeats=1,
                                         clock=FakeClock([0.0, _t])), "mnist-fastest", _n, environment=env,
                         created="2027-01-01T00:00:00+00:00")
         for _n, _m, _t in [("wide", wide, 0.004), ("wide2", wide, 0.002)]]
expect([(_r["team"], _r["latency_ms"]) for _r in leaderboard(_fast, "mnist-fastest")], [("wide2", 2.0), ("wide", 4.0)],
       "the same model measured faster ranks first")
### END HIDDEN TESTS
print("✅ Integration: measured, submitted, validated and ranked")

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences. Use numbers from your own runs
# where they help. These are graded by hand.
#
# **Q1 (6 points): stable enough?** (a) Your `benchmark` flags a result as unstable when
# `iqr / median > 0.25`. Using your stability plot, which of the two matrix sizes was reliably
# stable, and why does the call's duration matter? (b) A classmate's optimisation shows a median
# 8 % faster, but `compare` says `overlap`. What do you tell them to do, and what should they not
# do (name one tempting but wrong fix)?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-stability", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Typically the larger matmul (hundreds of µs to ms per call)
# is stable and the small one (a few µs) is not, or only sometimes: a short call is comparable to
# the clock's resolution and overhead (~50 ns - 1 µs) and any interruption (scheduler, another
# process, GC) is large relative to it, so the spread relative to the median is big; a long call
# averages short interruptions. (b) An 8 % difference inside overlapping IQRs cannot be told
# apart from noise. Re-measure under better conditions: more work per sample (larger batch or
# number > 1), pinned threads, a quieter machine, alternate the two versions (ABAB) so drift hits
# both, then compare again; or report "no measurable difference". Wrong fixes: taking the
# minimum of only the candidate, cherry-picking the best run, dropping the "outliers" of one side,
# raising max_rel_iqr until it passes, or comparing means.
# Grading: (a) 3 points (which size + duration vs. noise/resolution argument); (b) 3 points (what
# to do: 2, one named wrong fix: 1).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q2", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (6 points): what a metric means.** (a) Why does `mnist-fastest` fix the batch size at 1 and
# the thread count at 1? Describe a submission that would win unfairly if either were free.
# (b) From your overhead analysis, what fraction of a batch-1 `Linear(256, 256)` call is the
# framework, and what does that suggest for winning `mnist-fastest`? (c) Why does the leaderboard
# require an accuracy bar at all, instead of ranking by latency alone?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-metrics", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Latency per image at batch 1 is the online-serving scenario
# (one request at a time). If batch size were free, a submission could measure a batch of 10,000
# and divide by 10,000: that is throughput, and matmul efficiency at large batch hides all
# per-call overhead. If threads were free, a machine with more cores would win regardless of the
# model, and results from different machines could not be compared. (b) From the student's
# numbers: e.g. NumPy 10 µs vs TinyTorch 25 µs → ~60 % of the call is framework overhead (Tensor
# creation, Python dispatch). At batch 1 shrinking FLOPs alone helps little; fusing layers,
# avoiding Tensor wrappers and Python calls, pre-transposed/contiguous weights, fewer layers help
# more. (c) Without a bar, the fastest model is the one that does nothing (a constant
# prediction, 10 % accuracy); a quality target makes speed comparable, as in MLPerf where every
# submission must reach e.g. 99 % of the reference accuracy.
# Grading: (a) 2 points (batch: throughput vs latency; threads: hardware, comparability);
# (b) 2 points (fraction from their numbers + consequence); (c) 2 points.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q3", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (6 points): trusting submissions.** The validator checks a submission's *format* and its
# *claimed* quality. (a) Name two ways a submission could be valid and still be wrong or unfair.
# (b) For each, say how the course could check it (what would the leaderboard server have to
# re-run, with what inputs?). (c) Why does the schema forbid unknown fields
# (`additionalProperties: false`) instead of ignoring them?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-trust", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Any two: the accuracy was measured on the training set or on
# a subset, not the 10,000 test images; the latency was measured at a different batch size or with
# more threads; the numbers were typed in rather than measured; the model was tuned on the test
# set; the size counts only some parameters (e.g. an int8 model reporting its weights but not its
# scales), or a compressed file instead of what is loaded for inference; the environment is a
# much faster machine. (b) Require the model file (weights + code) with the submission and
# re-measure on the course's reference machine with the fixed protocol: the server loads the
# model, runs the official test set for accuracy, runs the latency protocol (batch 1, 1 thread,
# warm-up, repeats, median) and counts parameter bytes of the loaded model; reject if the
# re-measured values differ from the claimed ones beyond noise (this is what the capstone's
# "budget met when re-measured" check does, and MLPerf's audits). (c) Unknown fields are usually
# typos ("acuracy", "latency") of required or meaningful fields: ignoring them would silently
# accept a submission whose author believes it reports something it does not; rejecting them
# makes the format explicit and lets schema versions evolve deliberately (schema_version).
# Grading: (a) 2 points; (b) 2 points (re-measure with the fixed protocol on known inputs/hardware);
# (c) 2 points.
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/benchmarking.py` in your store, so that the capstone can
# `from tinytorch.benchmarking import benchmark_model, make_submission, validate_submission`.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("19_benchmarking");
