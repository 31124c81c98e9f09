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
# # Module 14 · Profiling: measure before you optimise
#
# **Expected time:** 3–4 hours. **Difficulty:** ★★☆☆☆ (the code is short; the care goes into
# what exactly is measured: which calls are timed, which bytes are counted, which operations
# count as a FLOP).
#
# The next five modules make models faster and smaller: quantisation, pruning, a KV cache,
# faster kernels, benchmarks. Every one of them starts with the same question: **where do the
# time and the memory go?** Guessing is how people spend a week speeding up the part that took
# 3 % of the time. In this module you build the three instruments that answer the question, and
# use them on the models of the previous modules:
#
# | step | you build | what it answers | PyTorch equivalent |
# |---|---|---|---|
# | 1–4 | `summarize`, `Timer` (measure, context manager), `@timed` | how long, and how sure are we? | `torch.utils.benchmark.Timer` |
# | 5–6 | `MemoryProfiler`, `parameter_bytes`, `gradient_bytes`, `optimizer_state_bytes` | how many bytes, and whose? | `torch.profiler` (`profile_memory=True`), `torch.cuda.max_memory_allocated` |
# | 7–10 | `matmul_flops`, `linear_flops`, `conv2d_flops`, `attention_flops`, `count_flops` | how much arithmetic? | `torch.utils.flop_counter.FlopCounterMode` |
# | 11 | `profile_model`: time, FLOPs, bytes and share of every layer | where is the bottleneck? | `torch.profiler.profile(...).key_averages().table()` |
#
# Your FLOP counter counts exactly what PyTorch's `FlopCounterMode` counts (a test in the
# course's CI compares them layer by layer).

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# ```python
# import torch
# from torch.utils.benchmark import Timer
# from torch.utils.flop_counter import FlopCounterMode
#
# model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
# x = torch.randn(64, 784)
#
# print(Timer("model(x)", globals={"model": model, "x": x}).blocked_autorange())
# #   Median: 41.93 us   IQR: 0.85 us (41.46 to 42.31)      <- median and IQR, not the mean
#
# with FlopCounterMode() as flops:
#     model(x)
# flops.get_total_flops()        # 26,017,792 = 2·64·784·256 + 2·64·256·10 (the bias is not counted)
#
# with torch.profiler.profile(profile_memory=True) as prof:
#     model(x)
# print(prof.key_averages().table(sort_by="self_cpu_time_total"))   # a per-operator table
# ```
#
# Three habits hide in these lines. **Repeat and take the median**: one timing on a shared machine
# can be off by 10×, and the mean is dragged by the one run that hit a page fault. **Warm up**:
# the first call pays for allocating buffers, loading code, starting BLAS threads. **Count the work
# separately from the time**: FLOPs do not depend on the machine, so time ÷ FLOPs tells you how
# close to the hardware's peak each layer runs, and which layers are slow for a reason other than
# arithmetic (memory traffic, Python overhead).

# %% [markdown]
# ## Setup
#
# The first cell is exported into `tinytorch/profiling.py`. It imports your layers (03) and
# your convolution (09), and defines a few given helpers:
#
# - `Timing`: the summary of repeated measurements (Step 1 fills it);
# - `FakeClock`: a clock for tests. Each call returns the next of a list of "times". A timer that
#   reads a clock you pass in can be tested **exactly**, without ever timing anything real (real
#   timings differ from run to run, so no test in this course depends on them);
# - `leaf_layers(model)`: the layers of a (nested) `Sequential` in order, with their names;
# - `LayerProfile` and `format_profile`: one row of the profile report and the table (Step 11).

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import functools
import math
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np
from tinytorch_runtime import extend
from tinytorch.tensor import Tensor
from tinytorch.autograd import no_grad
from tinytorch.layers import Linear, Module, Sequential
from tinytorch.spatial import Conv2d, conv2d_output_shape

__all__ = ["Timing", "summarize", "Timer", "timed", "FakeClock", "MemoryProfiler", "parameter_bytes",
           "gradient_bytes", "optimizer_state_bytes", "matmul_flops", "linear_flops", "conv2d_flops",
           "attention_flops", "layer_flops", "count_flops", "leaf_layers", "LayerProfile", "profile_model",
           "format_profile"]


@dataclass(frozen=True)
class Timing:
    """Given: seconds per call over several repeats, summarised (Step 1 computes the numbers)."""
    median: float
    q1: float
    q3: float
    iqr: float
    times: tuple

    def __str__(self):
        return (f"{self.median * 1e3:.3f} ms (IQR {self.q1 * 1e3:.3f}-{self.q3 * 1e3:.3f} ms, "
                f"{len(self.times)} runs)")


class FakeClock:
    """Given: a clock for tests. Each call returns the next of `ticks` (in seconds)."""

    def __init__(self, ticks):
        self.ticks = [float(t) for t in ticks]
        self.calls = 0

    def __call__(self):
        if self.calls >= len(self.ticks):
            raise RuntimeError(f"the fake clock was read more than {len(self.ticks)} times")
        self.calls += 1
        return self.ticks[self.calls - 1]


def leaf_layers(model, prefix=""):
    """Given: [(name, layer), ...] for the layers of a (nested) Sequential, in order.

    Names are dotted positions like PyTorch's ("0", "2.1"); any other layer is one leaf.
    """
    if isinstance(model, Sequential):
        leaves = []
        for i in range(len(model)):
            leaves += leaf_layers(model[i], f"{prefix}.{i}" if prefix else str(i))
        return leaves
    return [(prefix or type(model).__name__, model)]


# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · Summarising repeated timings: median and IQR
#
# Time the same function seven times on a busy machine and you get something like (in ms)
#
# ```
# 2.01  1.98  2.03  9.70  2.00  1.99  2.05
# ```
#
# One run was interrupted (another process, a page fault, the garbage collector). The **mean**,
# 3.1 ms, describes no run at all. The **median** (the middle value after sorting) is 2.01 ms and
# does not move whatever the outlier is. The spread is reported by the **interquartile range**:
# the first quartile `q1` (25th percentile) and third quartile `q3` (75th), and `iqr = q3 − q1`.
# Half the runs lie between `q1` and `q3`. A small IQR relative to the median means the
# measurement is trustworthy; a large one means "measure again, on a quieter machine".
#
# Percentiles of a few numbers need interpolation. Use NumPy's default (linear), which is also
# what `statistics.quantiles(method="inclusive")` and `torch.quantile` do:
# `np.percentile(times, [25, 50, 75])`. Example: `[1, 2, 3, 4, 100]` → q1 = 2, median = 3,
# q3 = 4, IQR = 2 (the mean would be 22).
#
# Implement `summarize(times) -> Timing` with Python floats, `times` kept as a tuple of floats in
# the given order. An empty list has no median: raise a `ValueError`.

# %% nbgrader={"grade": false, "grade_id": "summarize", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def summarize(times):
    """Timing(median, q1, q3, iqr, times) of a non-empty sequence of seconds (linear percentiles)."""
    times = tuple(float(t) for t in times)
    ### BEGIN SOLUTION
    if not times:
        raise ValueError("summarize needs at least one time")
    q1, median, q3 = (float(v) for v in np.percentile(times, [25, 50, 75]))
    return Timing(median=median, q1=q1, q3=q3, iqr=q3 - q1, times=times)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-summarize", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
s = summarize([1.0, 2.0, 3.0, 4.0, 100.0])
expect(type(s).__name__, "Timing", "summarize should return a Timing")
expect_close(s.median, 3.0, "the median of [1, 2, 3, 4, 100] is 3 (the mean, 22, is dragged by the outlier)",
             rtol=0, atol=1e-12)
expect_close([s.q1, s.q3, s.iqr], [2.0, 4.0, 2.0], "q1, q3 and iqr of [1, 2, 3, 4, 100]", rtol=0, atol=1e-12)
expect(s.times, (1.0, 2.0, 3.0, 4.0, 100.0), "times should be kept as a tuple, in the given order")
s = summarize([0.3, 0.1, 0.4, 0.2])
expect_close([s.q1, s.median, s.q3], [0.175, 0.25, 0.325],
             "quartiles of 4 unsorted values, interpolated linearly (np.percentile's default)", rtol=0, atol=1e-12)
### BEGIN HIDDEN TESTS
_s = summarize(np.array([5.0]))
expect_close([_s.median, _s.q1, _s.q3, _s.iqr], [5.0, 5.0, 5.0, 0.0], "one time: every quartile is that time",
             rtol=0, atol=0)
_t = np.random.default_rng(3).exponential(2e-3, size=11)
_s = summarize(_t)
expect_close([_s.q1, _s.median, _s.q3, _s.iqr],
             [np.percentile(_t, 25), np.median(_t), np.percentile(_t, 75), np.percentile(_t, 75) - np.percentile(_t, 25)],
             "quartiles of 11 random times", rtol=1e-12, atol=0)
expect([type(_v).__name__ for _v in (_s.median, _s.q1, _s.q3, _s.iqr)], ["float"] * 4,
       "the summary numbers should be Python floats")
expect(_s.times, tuple(float(_v) for _v in _t), "an ndarray of times is kept as a tuple of floats")
with expect_raises(ValueError, "no times: no median"):
    summarize([])
### END HIDDEN TESTS
print("✅ Step 1: summarize reports median and IQR")

# %% [markdown]
# ## Step 2 · A timer with warm-up and repeats
#
# `Timer(repeats=7, warmup=2, number=1, clock=time.perf_counter)` measures a function the way
# benchmarking tools do:
#
# ```
# 1. call fn(*args, **kwargs) `warmup` times, NOT timed     (buffers allocated, caches warm)
# 2. repeat `repeats` times:
#        start = clock()
#        call fn(*args, **kwargs) `number` times
#        times.append((clock() - start) / number)           seconds per call
# 3. return summarize(times)
# ```
#
# Why `number`? `time.perf_counter()` itself takes about 50 ns, and a function that runs in 1 µs
# is hard to time alone. Running it `number` times per sample and dividing spreads the clock's
# cost and resolution over many calls (this is what `timeit` calls `number`).
#
# Why pass in a `clock`? Every real timing differs from the last one, so a test cannot check it.
# With `clock=FakeClock([0, 1, 1, 3])` the "time" read at each call is given, and the test can
# check that you read the clock at the right moments: **twice per sample, never during warm-up**.
# `time.perf_counter` is the right real clock (monotonic, highest resolution); `time.time` can jump
# when the system clock is adjusted.
#
# The class and its constructor are given; write `measure`.

# %% nbgrader={"grade": false, "grade_id": "timer-class", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
class Timer:
    """Measure a function (median and IQR of repeats after warm-up); also a context manager.

    repeats: timed samples; warmup: untimed calls first; number: calls per sample;
    clock: a function returning seconds (time.perf_counter, or a FakeClock in tests).
    """

    def __init__(self, repeats=7, warmup=2, number=1, clock=time.perf_counter):
        if repeats < 1 or number < 1 or warmup < 0:
            raise ValueError(f"need repeats >= 1, number >= 1, warmup >= 0; got {repeats}, {number}, {warmup}")
        self.repeats, self.warmup, self.number, self.clock = repeats, warmup, number, clock
        self.seconds = None

    def __repr__(self):
        return f"Timer(repeats={self.repeats}, warmup={self.warmup}, number={self.number})"


# %% nbgrader={"grade": false, "grade_id": "timer-measure", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Timer)
def measure(self, fn, *args, **kwargs):
    """Timing of fn(*args, **kwargs): `warmup` untimed calls, then `repeats` samples of `number` calls."""
    ### BEGIN SOLUTION
    for _ in range(self.warmup):
        fn(*args, **kwargs)
    times = []
    for _ in range(self.repeats):
        start = self.clock()
        for _ in range(self.number):
            fn(*args, **kwargs)
        times.append((self.clock() - start) / self.number)
    return summarize(times)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-timer-measure", "locked": true, "points": 9, "schema_version": 3, "solution": false, "task": false}
calls = []


def work(a, b=0):
    calls.append((a, b))
    return a + b


clock = FakeClock([0.0, 1.0, 1.0, 3.0, 3.0, 3.5, 3.5, 7.5])       # samples of 1, 2, 0.5 and 4 seconds
timing = Timer(repeats=4, warmup=2, clock=clock).measure(work, 5, b=1)
expect(len(calls), 6, "2 warm-up calls + 4 timed calls")
expect(calls[0], (5, 1), "measure should pass the positional and keyword arguments on to fn")
expect(clock.calls, 8, "the clock is read twice per timed sample (start and end) and never during warm-up")
expect_close(timing.times, [1.0, 2.0, 0.5, 4.0], "one time per sample: end - start", rtol=0, atol=1e-12)
expect_close(timing.median, 1.5, "the median of the 4 samples", rtol=0, atol=1e-12)
calls.clear()
timing = Timer(repeats=2, warmup=0, number=4, clock=FakeClock([0.0, 2.0, 2.0, 6.0])).measure(work, 1)
expect(len(calls), 8, "number=4: four calls per sample, two samples")
expect_close(timing.times, [0.5, 1.0], "each sample's time is divided by number (seconds per call)", rtol=0, atol=1e-12)
### BEGIN HIDDEN TESTS
_n = []
_clock = FakeClock([10.0, 10.25, 11.0, 11.5, 20.0, 20.125])
_t = Timer(repeats=3, warmup=5, number=1, clock=_clock).measure(lambda: _n.append(1))
expect(len(_n), 8, "5 warm-up calls + 3 timed calls")
expect_close(list(_t.times), [0.25, 0.5, 0.125], "three samples from a clock that does not start at zero",
             rtol=0, atol=1e-12)
expect_close([_t.median, _t.q1, _t.q3], [0.25, 0.1875, 0.375], "median and quartiles of the three samples",
             rtol=0, atol=1e-12)
_n.clear()
_t = Timer(repeats=1, warmup=0, number=10, clock=FakeClock([0.0, 0.01])).measure(lambda: _n.append(1))
expect_close([len(_n), _t.median], [10, 0.001], "number=10, repeats=1: 10 calls, 1 ms per call", rtol=0, atol=1e-12)
### END HIDDEN TESTS
print("✅ Step 2: Timer.measure warms up, repeats and summarises")

# %% [markdown]
# ## Step 3 · The timer as a context manager
#
# Often the thing to time is a block of code, not a function: "how long does this epoch take?".
# Python's `with` statement calls two methods:
#
# ```python
# with Timer() as t:        # t = Timer().__enter__()
#     train_epoch(...)
# print(t.seconds)          # __exit__ was called when the block ended (even by an exception)
# ```
#
# - `__enter__(self)`: read the clock, remember the start, set `self.seconds = None`, and
#   **return `self`** (that is what `as t` receives).
# - `__exit__(self, exc_type, exc, tb)`: set `self.seconds` to the clock now minus the start, and
#   **return `False`** so that an exception raised inside the block still propagates (returning
#   `True` would silently swallow it: a crashed training loop would look like a fast one).
#
# One wall-clock sample, no warm-up and no repeats: good for long blocks (an epoch), misleading
# for short ones (use `measure`).

# %% nbgrader={"grade": false, "grade_id": "timer-context", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Timer)
def __enter__(self):
    """Start timing; return the timer itself."""
    ### BEGIN SOLUTION
    self.seconds = None
    self._start = self.clock()
    return self
    ### END SOLUTION


@extend(Timer)
def __exit__(self, exc_type, exc, tb):
    """Stop timing: self.seconds = elapsed seconds. Never swallow an exception."""
    ### BEGIN SOLUTION
    self.seconds = self.clock() - self._start
    return False
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-timer-context", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
clock = FakeClock([100.0, 102.5])
timer = Timer(clock=clock)
with timer as t:
    total = sum(range(10))
expect(type(t).__name__, "Timer", "`with Timer() as t` should give the timer itself (__enter__ returns self)")
expect_close(t.seconds, 2.5, "seconds = clock at the end - clock at the start", rtol=0, atol=1e-12)
expect(clock.calls, 2, "the clock is read once on entering and once on leaving the block")
### BEGIN HIDDEN TESTS
_timer = Timer(clock=FakeClock([1.0, 1.75]))
with expect_raises(KeyError, "an exception inside the block must propagate (__exit__ returns False)"):
    with _timer:
        {}["missing"]
expect_close(_timer.seconds, 0.75, "the time is recorded even when the block raised", rtol=0, atol=1e-12)
_timer = Timer(clock=FakeClock([0.0, 3.0, 10.0, 10.5]))
with _timer:
    pass
_first = _timer.seconds
with _timer:
    pass
expect_close([_first, _timer.seconds], [3.0, 0.5], "a timer can be reused: each block restarts it", rtol=0, atol=1e-12)
### END HIDDEN TESTS
print("✅ Step 3: the Timer works as a context manager")

# %% [markdown]
# ## Step 4 · A decorator that times every call
#
# To see how long a function takes *in real use* (each call of `train_step` during training, each
# request to a model server), wrap it once and let it record every call:
#
# ```python
# @timed                        # the same as: train_step = timed(train_step)
# def train_step(batch): ...
#
# for batch in loader:
#     train_step(batch)
# summarize(train_step.timings) # one time per call
# ```
#
# `timed(fn, clock=time.perf_counter)` returns a new function `wrapper(*args, **kwargs)` that
#
# 1. reads the clock, calls `fn(*args, **kwargs)`, reads the clock again;
# 2. appends the difference to `wrapper.timings` (a list that starts empty, one list per decorated
#    function) **even when `fn` raises** (`try: ... finally: ...`);
# 3. returns what `fn` returned.
#
# Decorate the wrapper with `@functools.wraps(fn)`: it copies `fn`'s name and docstring onto the
# wrapper, so that `train_step.__name__` is still `"train_step"` (error messages, profilers and
# `help()` read it).

# %% nbgrader={"grade": false, "grade_id": "timed", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def timed(fn, clock=time.perf_counter):
    """Decorator: fn, with the seconds of each call appended to `.timings`."""
    ### BEGIN SOLUTION
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            wrapper.timings.append(clock() - start)

    wrapper.timings = []
    return wrapper
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-timed", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def scale(x, factor=2):
    """Multiply x by factor."""
    return x * factor


timed_scale = timed(scale, clock=FakeClock([0.0, 0.5, 1.0, 1.25]))
expect(timed_scale(3), 6, "the decorated function should return what the function returns")
expect(timed_scale(3, factor=10), 30, "keyword arguments should be passed on")
expect_close(timed_scale.timings, [0.5, 0.25], "one time per call in .timings", rtol=0, atol=1e-12)
expect(timed_scale.__name__, "scale", "functools.wraps should keep the function's name")
### BEGIN HIDDEN TESTS
expect(timed_scale.__doc__, "Multiply x by factor.", "functools.wraps should keep the docstring")
_a = timed(lambda: 1, clock=FakeClock([0.0, 1.0]))
_b = timed(lambda: 2, clock=FakeClock([0.0, 4.0]))
_a()
_b()
expect_close([_a.timings, _b.timings], [[1.0], [4.0]], "each decorated function has its own list of timings",
             rtol=0, atol=1e-12)


def _fails():
    raise ZeroDivisionError("boom")


_f = timed(_fails, clock=FakeClock([2.0, 2.125]))
with expect_raises(ZeroDivisionError, "an exception of the function must propagate"):
    _f()
expect_close(_f.timings, [0.125], "a call that raised is still timed", rtol=0, atol=1e-12)
_real = timed(lambda n: sum(range(n)))
expect(_real(1000), 499500, "timed with the default clock works")
expect(len(_real.timings), 1, "one call, one timing (with the real clock)")
### END HIDDEN TESTS
print("✅ Step 4: @timed records every call")

# %% [markdown]
# ## Step 5 · Peak memory with `tracemalloc`
#
# Python's standard library can trace every memory allocation: `tracemalloc`. NumPy reports its
# array buffers to it, so a `tracemalloc` measurement includes the arrays your code creates.
#
# ```python
# tracemalloc.start()                        # begin tracing (costs some speed while on)
# tracemalloc.reset_peak()                   # forget the peak seen so far
# current, peak = tracemalloc.get_traced_memory()   # bytes allocated now, and the most ever since the reset
# tracemalloc.stop()                         # stop tracing (forgets everything)
# ```
#
# The number that decides whether a model fits in memory is the **peak**, not what is left at the
# end: a forward pass that creates a 1 GB temporary and frees it has a small "current" at the end,
# and still needs 1 GB.
#
# `MemoryProfiler` is a context manager:
#
# - `__enter__`: start tracing **only if it is not already on** (`tracemalloc.is_tracing()`) and
#   remember whether you started it; `reset_peak()`; remember the current bytes as the
#   `baseline`; return `self`.
# - `__exit__`: read `(current, peak)`; set `self.peak_bytes = peak − baseline` (the most the
#   block needed on top of what already existed) and `self.allocated_bytes = current − baseline`
#   (what the block left allocated); stop tracing only if you started it; return `False`.
#
# Example: inside the block allocate an 8 MB array, delete it, then allocate a 2 MB array:
# `peak_bytes` ≈ 8,000,000 and `allocated_bytes` ≈ 2,000,000 (plus a few hundred bytes of Python
# objects).

# %% nbgrader={"grade": false, "grade_id": "memory-profiler", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class MemoryProfiler:
    """`with MemoryProfiler() as m: ...` -> m.peak_bytes, m.allocated_bytes (tracemalloc)."""

    def __init__(self):
        self.peak_bytes = None
        self.allocated_bytes = None

    def __enter__(self):
        ### BEGIN SOLUTION
        self._started = not tracemalloc.is_tracing()
        if self._started:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self._baseline = tracemalloc.get_traced_memory()[0]
        return self
        ### END SOLUTION

    def __exit__(self, exc_type, exc, tb):
        ### BEGIN SOLUTION
        current, peak = tracemalloc.get_traced_memory()
        self.peak_bytes = peak - self._baseline
        self.allocated_bytes = current - self._baseline
        if self._started:
            tracemalloc.stop()
        return False
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-memory-profiler", "locked": true, "points": 9, "schema_version": 3, "solution": false, "task": false}
with MemoryProfiler() as m:
    big = np.ones(1_000_000)             # 8,000,000 bytes (float64)
    del big
    kept = np.ones(250_000)              # 2,000,000 bytes, still alive at the end
expect_close(m.peak_bytes, 8_000_000, "peak_bytes: the 8 MB array was freed, but it was the most needed at once",
             rtol=0, atol=50_000)
expect_close(m.allocated_bytes, 2_000_000, "allocated_bytes: what the block left allocated (the 2 MB array)",
             rtol=0, atol=50_000)
expect(tracemalloc.is_tracing(), False, "a profiler that started tracing stops it at the end")
### BEGIN HIDDEN TESTS
tracemalloc.start()
try:
    _before = np.ones(2_000_000)                     # 16 MB alive before the block
    _spike = np.ones(3_000_000)                      # a 24 MB peak before the block
    del _spike
    with MemoryProfiler() as _m:
        _x = np.ones(125_000)                        # 1 MB
    _still = tracemalloc.is_tracing()
finally:
    tracemalloc.stop()
expect_close([_m.peak_bytes, _m.allocated_bytes], [1_000_000, 1_000_000],
             "only what the block allocates counts: subtract the baseline and reset the peak on entering",
             rtol=0, atol=50_000)
expect(_still, True, "a profiler must not stop tracing that was already on when it started")
with MemoryProfiler() as _m2:
    _y = [np.ones(100_000, dtype=np.float32) for _i in range(5)]   # 5 x 400 KB
    del _y
expect_close([_m2.peak_bytes, _m2.allocated_bytes], [2_000_000, 0], "five 400 KB arrays at once, then freed",
             rtol=0, atol=50_000)
with expect_raises(ValueError, "an exception in the block must propagate"):
    with MemoryProfiler():
        raise ValueError("inside")
expect(tracemalloc.is_tracing(), False, "tracing is stopped even when the block raised")
### END HIDDEN TESTS
print(f"✅ Step 5: MemoryProfiler measured a peak of {m.peak_bytes:,} bytes")

# %% [markdown]
# ## Step 6 · Whose bytes? Parameters, gradients, optimiser state
#
# `tracemalloc` tells you *how much*; to know *whose* it is, count the arrays you know about.
# Training a model keeps four kinds of arrays alive:
#
# | what | bytes | example: MNIST MLP 784-256-128-10, float32, Adam |
# |---|---|---|
# | parameters | `sum(p.data.nbytes)` | 235,146 numbers × 4 = 940,584 |
# | gradients | one per parameter that has one | 940,584 |
# | optimiser state | Adam: `exp_avg` and `exp_avg_sq` per parameter | 1,881,168 |
# | activations | every layer's output, kept for the backward pass | grows with the batch size |
#
# So training with Adam needs **4× the parameter bytes before the first activation**: a model
# whose weights fit in memory may not fit for training. (Large-model training counts the same
# way: 16 bytes per parameter with mixed precision.)
#
# Implement, summing `ndarray.nbytes` (bytes, not number of elements; a float64 array has 8 per
# element):
#
# - `parameter_bytes(model)`: every parameter of `model.parameters()`;
# - `gradient_bytes(model)`: the `.grad` of every parameter whose grad is not `None`
#   (`p.grad` is a Tensor; its array is `p.grad.data`);
# - `optimizer_state_bytes(optimizer)`: the optimisers of module 06 keep `optimizer.state`, a dict
#   `{parameter index: {name: value}}`, for example `{0: {"step": 3, "exp_avg": array, ...}}`. Sum
#   the `nbytes` of the values that are ndarrays (the Python int `step` is not an array; ignore it).
#   An optimiser without state yet (before its first step) has `state == {}`: 0 bytes.
#
# Return Python `int`s.

# %% nbgrader={"grade": false, "grade_id": "model-bytes", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def parameter_bytes(model):
    """Bytes of all parameter arrays of model."""
    ### BEGIN SOLUTION
    return int(sum(p.data.nbytes for p in model.parameters()))
    ### END SOLUTION


def gradient_bytes(model):
    """Bytes of all gradient arrays of model (parameters without a grad count 0)."""
    ### BEGIN SOLUTION
    return int(sum(p.grad.data.nbytes for p in model.parameters() if getattr(p, "grad", None) is not None))
    ### END SOLUTION


def optimizer_state_bytes(optimizer):
    """Bytes of the ndarrays in optimizer.state ({index: {name: value}})."""
    ### BEGIN SOLUTION
    return int(sum(value.nbytes for slot in optimizer.state.values() for value in slot.values()
                   if isinstance(value, np.ndarray)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-model-bytes", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
from types import SimpleNamespace

from tinytorch.activations import ReLU

mlp = Sequential(Linear(4, 3, rng=np.random.default_rng(0)), ReLU(), Linear(3, 2, rng=np.random.default_rng(1)))
expect(parameter_bytes(mlp), 92, "(4*3 + 3 + 3*2 + 2) = 23 float32 numbers = 92 bytes")
expect(gradient_bytes(mlp), 0, "no gradients yet")
mlp[0].weight.grad = Tensor(np.ones((4, 3), dtype=np.float32))
expect(gradient_bytes(mlp), 48, "only the first weight has a gradient: 12 float32 numbers")
adam_like = SimpleNamespace(state={0: {"step": 3, "exp_avg": np.zeros((4, 3), np.float32),
                                       "exp_avg_sq": np.zeros((4, 3), np.float32)}})
expect(optimizer_state_bytes(adam_like), 96, "two 4x3 float32 buffers; the int 'step' is not an array")
### BEGIN HIDDEN TESTS
for _p in mlp.parameters():
    _p.grad = Tensor(np.zeros(_p.shape, dtype=np.float32))
expect(gradient_bytes(mlp), 92, "a gradient for every parameter: as many bytes as the parameters")
_wide = Linear(7, 5, bias=False, rng=np.random.default_rng(2))
_wide.weight.data = _wide.weight.data.astype(np.float64)
expect(parameter_bytes(_wide), 280, "a float64 weight of 7x5 takes 8 bytes per number (no bias)")
expect(type(parameter_bytes(_wide)).__name__, "int", "byte counts should be Python ints")
expect(optimizer_state_bytes(SimpleNamespace(state={})), 0, "no state before the first step")
_sgd = SimpleNamespace(state={0: {"momentum_buffer": np.zeros(10, np.float32)},
                              3: {"momentum_buffer": np.zeros((2, 5), np.float64)}, 5: {}})
expect(optimizer_state_bytes(_sgd), 120, "momentum buffers of several parameters (float32 and float64)")
expect(type(optimizer_state_bytes(_sgd)).__name__, "int", "byte counts should be Python ints")
### END HIDDEN TESTS
print("✅ Step 6: parameter, gradient and optimizer-state bytes")

# %% [markdown]
# ## Step 7 · Counting FLOPs: the matrix product
#
# A **FLOP** here is one floating-point operation. Multiplying an `(m, k)` matrix by a `(k, n)`
# matrix computes `m·n` outputs, each a dot product of length `k`: `k` multiplications and `k`
# additions (strictly `k − 1`, but everyone counts `k`: a fused multiply-add does both at once).
#
# ```
# matmul_flops((m, k), (k, n)) = 2 · m · k · n
# ```
#
# This is the convention of PyTorch's `FlopCounterMode`, of fvcore and of papers that quote
# "GFLOPs" of a model. (Careful: some papers quote multiply-accumulates, MACs, which are half.)
#
# Like `np.matmul`, handle:
#
# - **batched** inputs `(..., m, k) @ (..., k, n)`: the leading "batch" dimensions broadcast
#   (`np.broadcast_shapes(a_shape[:-2], b_shape[:-2])`), and each of the batch's products counts;
# - **1-D** operands: a vector `(k,)` on the left acts as `(1, k)`, on the right as `(k, 1)`;
# - a mismatch of the inner sizes (or a 0-d operand): raise a `ValueError`.
#
# Example: `(2, 1, 3, 4) @ (5, 4, 6)` has batch shape `(2, 5)`: `2 · (2·5) · 3 · 4 · 6 = 1440`.
#
# (One gap in PyTorch worth knowing: `FlopCounterMode` counts the products it runs as `mm` and
# `bmm`, but has no entry for matrix-vector `mv` and `dot`, and reports **0** FLOPs for
# `matrix @ vector`. Here a vector counts like the one-column matrix it is.)
# Return a Python `int` (`math.prod` multiplies a tuple; it gives 1 for an empty one).

# %% nbgrader={"grade": false, "grade_id": "matmul-flops", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def matmul_flops(a_shape, b_shape):
    """FLOPs (multiply + add = 2) of np.matmul of arrays with these shapes, batching and 1-D included."""
    a_shape, b_shape = tuple(a_shape), tuple(b_shape)
    ### BEGIN SOLUTION
    if not a_shape or not b_shape:
        raise ValueError("matmul needs operands with at least one dimension")
    m, k = (1, a_shape[0]) if len(a_shape) == 1 else a_shape[-2:]
    k2, n = (b_shape[0], 1) if len(b_shape) == 1 else b_shape[-2:]
    if k != k2:
        raise ValueError(f"inner sizes differ: {a_shape} @ {b_shape}")
    batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    return int(2 * math.prod(batch) * m * k * n)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-matmul-flops", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
expect(matmul_flops((64, 784), (784, 256)), 25690112, "2 * 64 * 784 * 256")
expect(matmul_flops((8, 3, 4), (8, 4, 6)), 1152, "a batch of 8 products of (3, 4) @ (4, 6)")
expect(matmul_flops((2, 1, 3, 4), (5, 4, 6)), 1440, "batch dimensions broadcast: (2, 1) with (5,) gives 10 products")
expect(matmul_flops((4,), (4, 3)), 24, "a vector on the left acts as (1, 4)")
with expect_raises(ValueError, "(3, 4) @ (5, 6): the inner sizes differ"):
    matmul_flops((3, 4), (5, 6))
### BEGIN HIDDEN TESTS
expect(matmul_flops((7, 5), (5,)), 70, "a vector on the right acts as (5, 1)")
expect(matmul_flops((9,), (9,)), 18, "a dot product of two vectors of 9")
expect(matmul_flops([3, 2, 5, 7], [7, 11]), 2 * 6 * 5 * 7 * 11, "the right operand broadcast over a (3, 2) batch")
expect(matmul_flops((3, 1, 2, 5), (4, 5, 2)), 480, "batch shapes (3, 1) and (4,) broadcast to (3, 4)")
expect(type(matmul_flops((2, 3), (3, 4))).__name__, "int", "FLOP counts should be Python ints")
with expect_raises(ValueError, "(2, 3, 4) @ (5, 4, 6): batch dimensions 2 and 5 do not broadcast"):
    matmul_flops((2, 3, 4), (5, 4, 6))
with expect_raises(ValueError, "a 0-d operand cannot be multiplied"):
    matmul_flops((), (3, 3))
### END HIDDEN TESTS
print("✅ Step 7: matmul FLOPs")

# %% [markdown]
# ## Step 8 · FLOPs of a Linear and of a Conv2d layer
#
# **Linear.** TinyTorch's `Linear(in_features, out_features)` computes `x @ W + b` with `W` of
# shape `(in_features, out_features)`. For an input of shape `(..., in_features)` every leading
# dimension is a row of one big matmul:
#
# ```
# linear_flops = 2 · (product of input_shape[:-1]) · in_features · out_features
# ```
#
# The bias addition is **not** counted: `FlopCounterMode` counts the matrix products (`mm`,
# `addmm`, `bmm`, convolutions, attention) and nothing else. Element-wise work (bias, ReLU,
# softmax) is not free, but it is a few FLOPs per output against `2·k` for a product; Step 11
# shows where it matters anyway.
#
# **Conv2d.** Module 09's `conv2d_flops` took every size as a number; here you read them from the
# layer (`layer.in_channels`, `layer.out_channels`, `layer.weight.shape[2:]` for the kernel,
# `layer.stride`, `layer.padding`) and take the input shape `(N, C, H, W)`. Every output pixel of
# every filter is a dot product of length `C · KH · KW`:
#
# ```
# conv2d_flops = 2 · N · out_channels · OH · OW · in_channels · KH · KW        (OH, OW from conv2d_output_shape)
# ```
#
# Both functions raise a `ValueError` when the input does not fit the layer (the last dimension
# is not `in_features`; `C` is not `in_channels`), like the layer itself would.

# %% nbgrader={"grade": false, "grade_id": "layer-flops", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def linear_flops(layer, input_shape):
    """Forward FLOPs of a Linear layer on an input of shape (..., in_features); the bias is not counted."""
    in_features, out_features = layer.weight.shape
    input_shape = tuple(input_shape)
    ### BEGIN SOLUTION
    if not input_shape or input_shape[-1] != in_features:
        raise ValueError(f"Linear({in_features}, {out_features}) cannot take an input of shape {input_shape}")
    return int(2 * math.prod(input_shape[:-1]) * in_features * out_features)
    ### END SOLUTION


def conv2d_flops(layer, input_shape):
    """Forward FLOPs of a Conv2d layer on an input of shape (N, C, H, W); the bias is not counted."""
    n, c, h, w = input_shape
    kh, kw = layer.weight.shape[2:]
    ### BEGIN SOLUTION
    if c != layer.in_channels:
        raise ValueError(f"the layer takes {layer.in_channels} input channels, the input has {c}")
    oh, ow = conv2d_output_shape(h, w, (kh, kw), layer.stride, layer.padding)
    return int(2 * n * layer.out_channels * oh * ow * c * kh * kw)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-layer-flops", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
fc = Linear(784, 256, rng=np.random.default_rng(0))
expect(linear_flops(fc, (64, 784)), 25690112, "Linear(784, 256) on a batch of 64: 2 * 64 * 784 * 256 (no bias)")
expect(linear_flops(Linear(6, 5), (2, 3, 6)), 360, "a (2, 3, 6) input is 6 rows of 6 features: 2 * 6 * 6 * 5")
conv = Conv2d(3, 16, 3, padding=1, rng=np.random.default_rng(0))
expect(conv2d_flops(conv, (32, 3, 32, 32)), 28311552, "2 * 32 images * 16 filters * 32*32 outputs * 3*3*3")
with expect_raises(ValueError, "Linear(784, 256) cannot take 100 features"):
    linear_flops(fc, (64, 100))
### BEGIN HIDDEN TESTS
expect(linear_flops(Linear(3, 4, bias=False), (3,)), 24, "a single vector of 3 features, no batch")
expect(conv2d_flops(Conv2d(4, 8, 3, stride=2, padding=1, rng=np.random.default_rng(1)), (2, 4, 9, 7)),
       2 * 2 * 8 * 5 * 4 * 4 * 9, "a 3x3 kernel with stride 2 and padding 1 on 9x7 (5x4 outputs)")
expect(conv2d_flops(Conv2d(1, 6, 5, rng=np.random.default_rng(2)), (10, 1, 28, 28)), 2 * 10 * 6 * 24 * 24 * 25,
       "LeNet's first layer: 5x5 kernel, no padding, on 28x28")
expect(type(conv2d_flops(conv, (1, 3, 8, 8))).__name__, "int", "FLOP counts should be Python ints")
with expect_raises(ValueError, "a 3-channel convolution cannot take a 1-channel input"):
    conv2d_flops(conv, (2, 1, 8, 8))
### END HIDDEN TESTS
print("✅ Step 8: Linear and Conv2d FLOPs")

# %% [markdown]
# ## Step 9 · FLOPs of attention
#
# Scaled dot-product attention (module 12) does two matrix products per head:
#
# ```
# scores = Q @ Kᵀ      (t_q, d) @ (d, t_k)  ->  (t_q, t_k)      2 · t_q · t_k · d
# out    = P @ V       (t_q, t_k) @ (t_k, d) -> (t_q, d)        2 · t_q · t_k · d
# ```
#
# for each of `batch · heads` heads. Scaling, masking and softmax are element-wise and not
# counted (as in `FlopCounterMode`). So
#
# ```
# attention_flops(batch, heads, t_q, t_k, head_dim) = 4 · batch · heads · t_q · t_k · head_dim
# ```
#
# Two things to notice. It is **quadratic in the sequence length** when `t_q = t_k = T`: doubling
# the context quadruples the work (this is what module 17's KV cache attacks, by making `t_q = 1`
# per generated token). And a **causal mask does not reduce it**: the dense matmuls compute every
# score, and the mask then throws half of them away.

# %% nbgrader={"grade": false, "grade_id": "attention-flops", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def attention_flops(batch, heads, t_q, t_k, head_dim):
    """FLOPs of the two matmuls of scaled dot-product attention (Q @ K^T and P @ V)."""
    ### BEGIN SOLUTION
    return int(4 * batch * heads * t_q * t_k * head_dim)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-attention-flops", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
expect(attention_flops(1, 1, 4, 4, 8), 512, "one head, T=4, d=8: two matmuls of 2 * 4 * 4 * 8 = 256")
expect(attention_flops(2, 3, 5, 7, 4), 3360, "2 sequences, 3 heads, 5 queries over 7 keys, head_dim 4")
### BEGIN HIDDEN TESTS
expect(attention_flops(8, 12, 1, 1024, 64), 4 * 8 * 12 * 1024 * 64, "one new token against a cache of 1024")
expect(attention_flops(1, 4, 256, 256, 32) // attention_flops(1, 4, 128, 128, 32), 4,
       "doubling T quadruples the work")
### END HIDDEN TESTS
print("✅ Step 9: attention FLOPs")

# %% [markdown]
# ## Step 10 · FLOPs of a whole model
#
# A model is a chain of layers, and each layer's FLOPs depend on **its own input shape**, which is
# the previous layer's output shape. The simplest way to know every layer's input shape is to run
# the model once on zeros of the input shape and look.
#
# 1. `layer_flops(layer, input_shape)`: `linear_flops` for a `Linear`, `conv2d_flops` for a
#    `Conv2d` (use `isinstance`), and `0` for anything else (activations, pooling, flatten,
#    dropout, batch norm: `FlopCounterMode` counts none of them).
# 2. `count_flops(model, input_shape)`: `x = Tensor(np.zeros(input_shape, np.float32))`; for every
#    `(name, layer)` in the given `leaf_layers(model)`: add `layer_flops(layer, x.shape)`, then
#    `x = layer(x)`. Run it under `no_grad()` (module 05): there is no backward, so no graph
#    should be recorded.
#
# Example: `Linear(784, 256) → ReLU → Linear(256, 10)` on `(64, 784)`:
# `2·64·784·256 + 0 + 2·64·256·10 = 26,017,792`.

# %% nbgrader={"grade": false, "grade_id": "count-flops", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def layer_flops(layer, input_shape):
    """FLOPs of one layer's forward on input_shape: Linear and Conv2d count, everything else is 0."""
    ### BEGIN SOLUTION
    if isinstance(layer, Linear):
        return linear_flops(layer, input_shape)
    if isinstance(layer, Conv2d):
        return conv2d_flops(layer, input_shape)
    return 0
    ### END SOLUTION


def count_flops(model, input_shape):
    """Total forward FLOPs of model (a layer or a nested Sequential) on an input of input_shape."""
    ### BEGIN SOLUTION
    total = 0
    with no_grad():
        x = Tensor(np.zeros(input_shape, dtype=np.float32))
        for _, layer in leaf_layers(model):
            total += layer_flops(layer, x.shape)
            x = layer(x)
    return int(total)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-count-flops", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
from tinytorch.spatial import Flatten, MaxPool2d

mnist_mlp = Sequential(Linear(784, 256, rng=np.random.default_rng(0)), ReLU(), Linear(256, 10, rng=np.random.default_rng(1)))
expect(layer_flops(mnist_mlp[1], (64, 256)), 0, "an activation counts 0 FLOPs")
expect(count_flops(mnist_mlp, (64, 784)), 26017792, "2*64*784*256 + 0 + 2*64*256*10: each layer on its own input")
cnn = Sequential(Conv2d(1, 4, 3, padding=1, rng=np.random.default_rng(2)), ReLU(), MaxPool2d(2), Flatten(),
                 Linear(4 * 14 * 14, 10, rng=np.random.default_rng(3)))
expect(count_flops(cnn, (2, 1, 28, 28)), 2 * 2 * 4 * 28 * 28 * 9 + 2 * 2 * 784 * 10,
       "a CNN: the Linear sees the pooled and flattened shape (2, 784)")
### BEGIN HIDDEN TESTS
_nested = Sequential(Sequential(Linear(5, 7, rng=np.random.default_rng(4)), ReLU()),
                     Sequential(Linear(7, 3, rng=np.random.default_rng(5))), Linear(3, 2, rng=np.random.default_rng(6)))
expect(count_flops(_nested, (11, 5)), 2 * 11 * (5 * 7 + 7 * 3 + 3 * 2), "nested Sequentials count every leaf once")
expect(count_flops(Linear(6, 4, rng=np.random.default_rng(7)), (3, 2, 6)), 2 * 6 * 6 * 4, "a single layer is a model too")
_cnn2 = Sequential(Conv2d(3, 8, 3, stride=2, padding=1, rng=np.random.default_rng(8)), ReLU(),
                   Conv2d(8, 16, 3, padding=1, rng=np.random.default_rng(9)), MaxPool2d(2), Flatten(),
                   Linear(16 * 4 * 4, 5, rng=np.random.default_rng(10)))
expect(count_flops(_cnn2, (3, 3, 16, 16)),
       2 * 3 * 8 * 8 * 8 * 27 + 2 * 3 * 16 * 8 * 8 * 72 + 2 * 3 * 256 * 5, "a strided CNN on 16x16 inputs")
expect(type(count_flops(mnist_mlp, (1, 784))).__name__, "int", "FLOP counts should be Python ints")
### END HIDDEN TESTS
print("✅ Step 10: count_flops adds up a whole model")

# %% [markdown]
# ## Step 11 · The per-layer profile
#
# Now put the instruments together: for every layer of a model, how long does it take, how many
# FLOPs does it do, how many bytes does its output take, and what **share** of the model's time
# is it? That table is the first thing to look at before optimising anything.
#
# `profile_model(model, x, timer=None) -> list[LayerProfile]`, with `timer` defaulting to
# `Timer(repeats=5, warmup=1)`. For every `(name, layer)` of `leaf_layers(model)`, with `x` the
# current input (a Tensor):
#
# ```
# timing = timer.measure(layer, x)          # the layer alone, on ITS input
# out    = layer(x)                         # one more call, to get the output
# row    = LayerProfile(name, type(layer).__name__, seconds=timing.median,
#                       flops=layer_flops(layer, x.shape), bytes=out.nbytes, share=0.0)
# x = out                                   # the next layer's input
# ```
#
# Then fill every row's `share = row.seconds / (sum of all rows' seconds)` (0.0 when the total is
# 0). `bytes` is the **activation** the layer produces: what a training step keeps for the
# backward pass. The given `format_profile(rows)` prints the table.

# %% nbgrader={"grade": false, "grade_id": "profile-class", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
@dataclass
class LayerProfile:
    """Given: one row of the per-layer profile."""
    name: str
    kind: str
    seconds: float
    flops: int
    bytes: int
    share: float


def format_profile(rows):
    """Given: the profile as a text table, with a total line and each layer's GFLOP/s."""
    head = f"{'layer':<8} {'kind':<12} {'time (ms)':>10} {'share':>7} {'MFLOP':>10} {'GFLOP/s':>8} {'output KiB':>11}"
    lines = [head, "-" * len(head)]
    for r in rows:
        rate = r.flops / r.seconds / 1e9 if r.seconds > 0 else 0.0
        lines.append(f"{r.name:<8} {r.kind:<12} {r.seconds * 1e3:>10.3f} {r.share:>7.1%} {r.flops / 1e6:>10.2f} "
                     f"{rate:>8.2f} {r.bytes / 1024:>11.1f}")
    seconds, flops = sum(r.seconds for r in rows), sum(r.flops for r in rows)
    rate = flops / seconds / 1e9 if seconds > 0 else 0.0
    lines.append(f"{'total':<8} {'':<12} {seconds * 1e3:>10.3f} {1:>7.1%} {flops / 1e6:>10.2f} {rate:>8.2f} "
                 f"{sum(r.bytes for r in rows) / 1024:>11.1f}")
    return "\n".join(lines)


# %% nbgrader={"grade": false, "grade_id": "profile-model", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def profile_model(model, x, timer=None):
    """[LayerProfile, ...]: time (median), FLOPs, output bytes and time share of every leaf layer."""
    timer = timer if timer is not None else Timer(repeats=5, warmup=1)
    x = x if isinstance(x, Tensor) else Tensor(x)
    ### BEGIN SOLUTION
    rows = []
    for name, layer in leaf_layers(model):
        timing = timer.measure(layer, x)
        out = layer(x)
        rows.append(LayerProfile(name, type(layer).__name__, timing.median, layer_flops(layer, x.shape),
                                 int(out.nbytes), 0.0))
        x = out
    total = sum(r.seconds for r in rows)
    for r in rows:
        r.share = r.seconds / total if total > 0 else 0.0
    return rows
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-profile-model", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
small = Sequential(Linear(8, 6, rng=np.random.default_rng(0)), ReLU(), Linear(6, 3, rng=np.random.default_rng(1)))
x_small = Tensor(np.random.default_rng(2).standard_normal((5, 8)).astype(np.float32))
fake = Timer(repeats=1, warmup=0, clock=FakeClock([0.0, 1.0, 1.0, 4.0, 4.0, 8.0]))   # 1 s, 3 s, 4 s
rows = profile_model(small, x_small, timer=fake)
expect([(r.name, r.kind) for r in rows], [("0", "Linear"), ("1", "ReLU"), ("2", "Linear")],
       "one row per layer, named by position, with the layer's class name")
expect_close([r.seconds for r in rows], [1.0, 3.0, 4.0], "each layer's median time from the timer", rtol=0, atol=1e-12)
expect_close([r.share for r in rows], [0.125, 0.375, 0.5], "share = the layer's time / the total time", rtol=0, atol=1e-12)
expect([r.flops for r in rows], [480, 0, 180], "FLOPs of each layer on its own input: 2*5*8*6, 0, 2*5*6*3")
expect([r.bytes for r in rows], [120, 120, 60], "bytes of each layer's output: (5, 6), (5, 6), (5, 3) float32")
### BEGIN HIDDEN TESTS
_cnn = Sequential(Conv2d(2, 3, 3, rng=np.random.default_rng(3)), ReLU(), MaxPool2d(2), Flatten(),
                  Linear(12, 4, rng=np.random.default_rng(4)))
_x = np.random.default_rng(5).standard_normal((2, 2, 6, 6)).astype(np.float32)
_rows = profile_model(_cnn, _x, timer=Timer(repeats=3, warmup=1, clock=FakeClock(np.arange(30) ** 2)))
expect([_r.flops for _r in _rows], [2 * 2 * 3 * 16 * 18, 0, 0, 0, 2 * 2 * 12 * 4], "FLOPs of a small CNN's layers")
expect([_r.bytes for _r in _rows], [2 * 3 * 16 * 4, 2 * 3 * 16 * 4, 2 * 3 * 4 * 4, 2 * 12 * 4, 2 * 4 * 4],
       "output bytes of the CNN's layers (an ndarray input is accepted)")
expect_close(sum(_r.share for _r in _rows), 1.0, "the shares add up to 1", rtol=0, atol=1e-12)
expect_close([_r.seconds for _r in _rows], [5.0, 17.0, 29.0, 41.0, 53.0],
             "medians of the 3 samples of each layer, read from a clock that ticks 0, 1, 4, 9, ...", rtol=0, atol=1e-12)
_real = profile_model(small, x_small)
expect(len(_real), 3, "with the default timer too")
expect_close(sum(_r.share for _r in _real), 1.0, "real timings: the shares add up to 1", rtol=0, atol=1e-9)
### END HIDDEN TESTS
print("✅ Step 11: profile_model")

# %% [markdown]
# ## Systems analysis
#
# Your instruments are built. Now use them on real models and real measurements. The timings in
# this section come from your `Timer` and from the course's `tinytorch_runtime.timing.measure`
# (which also pins NumPy's BLAS to one thread, so that numbers do not depend on what else the
# machine runs). Your figures will differ from anyone else's; the *ratios* and *shapes* of the
# plots are what to look at.
#
# ### 1. Why the median: the distribution of 200 timings

# %% nbgrader={"grade": false, "grade_id": "analysis-noise", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
from tinytorch_runtime.timing import gflops, measure, pinned_threads

rng = np.random.default_rng(0)
a_demo = rng.standard_normal((128, 128)).astype(np.float32)
b_demo = rng.standard_normal((128, 128)).astype(np.float32)
with pinned_threads(1):
    noise = Timer(repeats=200, warmup=5).measure(np.matmul, a_demo, b_demo)
    reference = measure(np.matmul, a_demo, b_demo, repeats=7)
times_us = np.array(noise.times) * 1e6
print(f"your Timer, 200 samples of a 128x128 matmul: median {noise.median * 1e6:.1f} µs, "
      f"IQR {noise.q1 * 1e6:.1f}-{noise.q3 * 1e6:.1f} µs, mean {times_us.mean():.1f} µs, "
      f"min {times_us.min():.1f} µs, max {times_us.max():.1f} µs")
print(f"tinytorch_runtime.timing.measure, 7 repeats:   {reference}")
print(f"rate: {gflops(matmul_flops(a_demo.shape, b_demo.shape), reference):.1f} GFLOP/s on one thread")

fig, ax = plt.subplots(figsize=(8, 3.2))
ax.hist(times_us, bins=60, color="tab:blue", alpha=0.8)
for value, label, style in [(noise.median * 1e6, "median", "-"), (times_us.mean(), "mean", "--"),
                            (times_us.min(), "min", ":")]:
    ax.axvline(value, color="black", linestyle=style, label=f"{label} {value:.1f} µs")
ax.set(xlabel="µs per call", ylabel="samples", xscale="log", title="200 timings of the same 128x128 matmul")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The distribution has a sharp body and a long right tail: a few samples were interrupted. The
# mean sits to the right of the median, pulled by the tail; the minimum is the best case the
# machine ever gave (useful for "how fast can this code go" comparisons, as `timeit` recommends,
# but not what a user experiences). The median with its IQR is the honest summary: what a typical
# call costs, and how much it wobbles.
#
# Now compare the two medians. Your `Timer` here times **one call per sample**; `measure` loops
# each sample until it lasts at least 5 ms and divides. On a quiet machine they agree. On a busy
# shared machine (where this notebook was written, the looped median came out 3–4× larger:
# 172 µs against 45 µs) a looped sample almost always includes moments when the operating
# system ran someone else's process, while most single-call samples fit between interruptions.
# Neither number is wrong; they answer different questions (the cost of the code alone vs. the
# throughput you get on this machine now). That is why a reported timing must say how it was
# measured.
#
# ### 2. Where does a model's time go? The per-layer profile
#
# The MNIST MLP of module 07 (784-256-128-10) on a batch of 256 and a small CNN on 28 × 28 images,
# forward pass only (inference), profiled layer by layer.

# %% nbgrader={"grade": false, "grade_id": "analysis-profile", "locked": true, "schema_version": 3, "solution": false, "task": false}
demo_mlp = Sequential(Linear(784, 256, rng=rng), ReLU(), Linear(256, 128, rng=rng), ReLU(), Linear(128, 10, rng=rng))
demo_cnn = Sequential(Conv2d(1, 16, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),
                      Conv2d(16, 32, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2), Flatten(),
                      Linear(32 * 7 * 7, 10, rng=rng))
x_mlp = Tensor(rng.standard_normal((256, 784)).astype(np.float32))
x_cnn = Tensor(rng.standard_normal((32, 1, 28, 28)).astype(np.float32))
with no_grad(), pinned_threads(1):
    mlp_rows = profile_model(demo_mlp, x_mlp, Timer(repeats=7, warmup=2, number=5))
    cnn_rows = profile_model(demo_cnn, x_cnn, Timer(repeats=5, warmup=1))
print("MLP 784-256-128-10, batch 256, forward:")
print(format_profile(mlp_rows))
print("\nCNN, batch 32 of 1x28x28, forward:")
print(format_profile(cnn_rows))

fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for ax, rows_, title in [(axes[0], mlp_rows, "MLP, batch 256"), (axes[1], cnn_rows, "CNN, batch 32")]:
    labels = [f"{r.name} {r.kind}" for r in rows_]
    pos = np.arange(len(rows_))
    total_flops = sum(r.flops for r in rows_)
    ax.bar(pos - 0.2, [100 * r.share for r in rows_], width=0.4, label="share of time (%)")
    ax.bar(pos + 0.2, [100 * r.flops / total_flops for r in rows_], width=0.4, label="share of FLOPs (%)")
    ax.set_xticks(pos, labels, rotation=40, ha="right")
    ax.set(ylabel="%", title=title)
    ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the two bars of each layer side by side. Where the time share is close to the FLOP share,
# the layer is **compute-bound**: it spends its time on arithmetic, and only fewer FLOPs (a
# smaller layer, pruning in module 16) or faster arithmetic (int8 in module 15, better kernels in
# module 18) make it faster. Layers with **zero FLOPs still take time**: ReLU, pooling and
# flatten only move memory (read every number, write every number), so they are
# **memory-bound**; their GFLOP/s column is 0 and their cost is bytes ÷ memory bandwidth. In a
# CNN they are a visible share of the time (a CNN's activations are large). Now look at the
# GFLOP/s column of the layers that do count FLOPs: the same machine runs different matmuls at
# very different rates. Thin products (10 output columns), small ones (where the fixed cost of a
# Python call and a new Tensor weighs more) and convolutions (im2col copies, module 09, are memory
# traffic) fall short of a large square matmul. On a shared machine the rates also move from
# run to run: re-run the cell and see which conclusions survive.
#
# ### 3. Whose memory? A training step, counted and measured
#
# The same MLP, one training step on a batch of 256, with the bytes of Adam's state computed the
# way module 06's `Adam` keeps it (two buffers per parameter). The `MemoryProfiler` measures what
# the forward and backward passes really allocate on top of the model.

# %% nbgrader={"grade": false, "grade_id": "analysis-memory", "locked": true, "schema_version": 3, "solution": false, "task": false}
adam_state = SimpleNamespace(state={i: {"step": 1, "exp_avg": np.zeros_like(p.data), "exp_avg_sq": np.zeros_like(p.data)}
                                    for i, p in enumerate(demo_mlp.parameters())})
batches = [32, 128, 512]
measured, activations = [], []
for batch in batches:
    x_b = Tensor(rng.standard_normal((batch, 784)).astype(np.float32))
    demo_mlp.zero_grad()
    with MemoryProfiler() as mem:
        out = demo_mlp(x_b)
        loss = (out * out).mean()
        loss.backward()
        del out, loss
    with no_grad():
        act = sum(r.bytes for r in profile_model(demo_mlp, x_b, Timer(repeats=1, warmup=0)))
    measured.append(mem.peak_bytes)
    activations.append(act)
params, grads, state = parameter_bytes(demo_mlp), gradient_bytes(demo_mlp), optimizer_state_bytes(adam_state)
print(f"parameters {params:,} B   gradients {grads:,} B   Adam state {state:,} B ({state / params:.0f}x parameters)")
for batch, act, peak in zip(batches, activations, measured):
    print(f"batch {batch:4d}: layer outputs {act:>10,} B   tracemalloc peak of forward+backward {peak:>10,} B "
          f"= outputs x {peak / act:.2f} = (outputs + gradients) x {peak / (act + grads):.2f}")

fig, ax = plt.subplots(figsize=(8, 3.5))
pos = np.arange(len(batches))
ax.bar(pos, [params / 2**20] * 3, label="parameters")
ax.bar(pos, [grads / 2**20] * 3, bottom=[params / 2**20] * 3, label="gradients")
ax.bar(pos, [state / 2**20] * 3, bottom=[(params + grads) / 2**20] * 3, label="Adam state")
ax.bar(pos, np.array(activations) / 2**20, bottom=[(params + grads + state) / 2**20] * 3, label="layer outputs")
ax.plot(pos, (params + state + np.array(measured)) / 2**20, "ko--", label="measured: params + state + peak")
ax.set_xticks(pos, [f"batch {b}" for b in batches])
ax.set(ylabel="MiB", title="memory of one MLP training step with Adam")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Parameters, gradients and Adam state are fixed costs: 4× the parameter bytes, whatever the batch.
# Activations grow linearly with the batch size and soon dominate. The measured peak is *not*
# simply "layer outputs + gradients". For a small batch it is larger: the backward pass creates
# temporaries (the gradient of every intermediate, the results of matmul's backward before they
# are accumulated, the loss's own intermediates). For a large batch it is smaller than the sum:
# the outputs and the gradients are never all alive at once, because the backward pass frees each
# layer's saved outputs as it walks back while the parameter gradients appear one by one.
# Counting arrays tells you whose memory it is; `tracemalloc` tells you how much there really was
# at the worst moment. You need both.

# %% [markdown]
# ## Integration test: profiling a CNN end to end
#
# Count, profile and account for a small CNN at once: the profile's FLOPs must add up to
# `count_flops`, its output bytes to the activations of a forward pass, and the shares to 1.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
net = Sequential(Conv2d(1, 4, 3, padding=1, rng=np.random.default_rng(0)), ReLU(), MaxPool2d(2), Flatten(),
                 Sequential(Linear(4 * 4 * 4, 16, rng=np.random.default_rng(1)), ReLU()),
                 Linear(16, 3, rng=np.random.default_rng(2)))
x_net = np.random.default_rng(3).standard_normal((6, 1, 8, 8)).astype(np.float32)
with no_grad():
    net_rows = profile_model(net, x_net, timer=Timer(repeats=2, warmup=1, clock=FakeClock(np.arange(0.0, 24.0, 0.5))))
expect([r.name for r in net_rows], ["0", "1", "2", "3", "4.0", "4.1", "5"], "nested layers are named by dotted position")
expect(sum(r.flops for r in net_rows), count_flops(net, (6, 1, 8, 8)), "the profile's FLOPs add up to count_flops")
expect(sum(r.flops for r in net_rows), 2 * 6 * 4 * 64 * 9 + 2 * 6 * 64 * 16 + 2 * 6 * 16 * 3, "the CNN's forward FLOPs")
expect(parameter_bytes(net), 4 * (4 * 9 + 4 + 64 * 16 + 16 + 16 * 3 + 3), "the CNN's parameter bytes")
### BEGIN HIDDEN TESTS
expect(sum(_r.bytes for _r in net_rows), 4 * 6 * (4 * 64 * 2 + 64 * 2 + 16 * 2 + 3), "the CNN's activation bytes")
expect_close([_r.share for _r in net_rows], [1 / 7] * 7, "equal fake times give equal shares", rtol=0, atol=1e-12)
with MemoryProfiler() as _m:
    with no_grad():
        _out = net(Tensor(np.zeros((500, 1, 8, 8), np.float32)))
expect_close(_m.allocated_bytes, 500 * 3 * 4, "after the forward only the output (500 x 3 float32) is left",
             rtol=0, atol=20_000)
### END HIDDEN TESTS
print("✅ Integration: FLOPs, bytes and shares of a CNN are consistent")

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences. Use numbers from your own runs
# where they help. These are graded by hand.
#
# **Q1 (6 points): reporting a timing.** (a) A classmate times a function once and reports
# "2.3 ms". Another reports the mean of 100 runs. Using your histogram from the analysis, explain
# what is wrong with each and what you would report instead. (b) What does warm-up remove, and
# give two concrete things that make a first call slower. (c) When is the *minimum* of the
# repeats the right number to compare two implementations, and when is it misleading?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-timing", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) One run can land anywhere in the distribution, including the
# long right tail (an interruption by another process, a page fault, the garbage collector): it is
# not reproducible and has no error bar. The mean is pulled to the right by the tail (in the
# analysis the mean lies above the median, sometimes by 10-50 %), so it describes no typical run.
# Report the median of several repeats after warm-up together with the IQR (or q1-q3), and the
# number of runs, e.g. "1.9 ms (IQR 1.88-1.95 ms, 7 runs)". (b) Warm-up removes one-time costs:
# allocating and page-faulting new buffers, NumPy/BLAS initialising thread pools and work space,
# imports and lazy initialisation, cold instruction and data caches, CPU frequency ramping up
# (any two). (c) The minimum estimates what the code costs when nothing interferes, which is the
# right quantity when comparing two implementations of the same computation on the same machine
# (noise only adds time; timeit's documentation recommends it). It is misleading when the
# variation is part of the cost (e.g. one version allocates more and triggers GC or page faults
# more often, or caches are shared with other work in production), or when reporting what users
# experience (latency percentiles).
# Grading: (a) 2 points (single run: no spread, tail; mean: skewed; report median + IQR);
# (b) 2 points (one-time costs, two concrete examples); (c) 2 points (when and when not).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q2", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (6 points): FLOPs are not time.** (a) In your MLP profile, ReLU counts 0 FLOPs. What share
# of the time did it take, and why is it not zero? Estimate its cost from the bytes it reads and
# writes and a memory bandwidth of ~10 GB/s. (b) Compare the GFLOP/s of the first and the last
# Linear layer of the MLP. Why is the last one lower? (c) A colleague proposes to halve the FLOPs
# of the convolutions by a cleverer algorithm. From your CNN profile, what is the most the whole
# forward pass could gain?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-flops", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Typically a few percent of the forward time (the student's
# number). ReLU does no multiply-adds but reads every input number and writes every output number
# (and allocates the output array): for a 256 x 256 float32 activation that is 256 KiB read +
# 256 KiB written ≈ 0.5 MB, about 50 µs at 10 GB/s plus the fixed overhead of a Python call and a
# new Tensor. It is memory-bound: its cost is bytes / bandwidth, not FLOPs / peak. (b) The first
# layer (784 -> 256) does ~100 MFLOP per call on large matrices; the last (128 -> 10) does only
# ~0.65 MFLOP with an output only 10 columns wide: BLAS cannot fill its vector registers and
# cache blocks as efficiently, and the fixed per-call cost (Python, Tensor creation, allocation)
# is a larger part of its short run time, so its GFLOP/s is much lower. (c) Amdahl's law: if the
# convolutions take a share s of the time (e.g. 70 %), halving their cost (at best, if their time
# scales with FLOPs; part of their time is im2col copying, which would not halve) gives a total of
# 1 - s/2, a speed-up of at most 1 / (1 - s/2) (e.g. 1.54x for s = 0.7), and less in practice.
# Grading: (a) 2 points (share + memory-bound explanation + estimate); (b) 2 points (small/thin
# matmul, fixed overhead); (c) 2 points (Amdahl with the student's share; copying does not halve).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q3", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (6 points): will it fit?** A team wants to fine-tune a model of 1.3 billion parameters in
# float32 with Adam on one machine with 24 GB of memory. (a) Count the bytes of parameters,
# gradients and Adam state. Does it fit, before any activation? (b) Which of the four kinds of
# memory grows with the batch size, and what does your analysis plot say about how fast? (c)
# In your memory analysis, compare the `MemoryProfiler` peak with "layer outputs + gradients" for
# the smallest and the largest batch. Explain why the peak can be larger than that sum, and why
# it can be smaller.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-memory", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Parameters 1.3e9 x 4 B = 5.2 GB, gradients 5.2 GB, Adam's two
# moments 10.4 GB: 20.8 GB before a single activation, leaving ~3 GB of 24 GB for activations,
# temporaries and the framework: it does not fit comfortably (any realistic batch will not fit).
# Options: mixed precision / bf16 weights with an fp32 master copy (still ~16 B/param), 8-bit
# optimisers, gradient checkpointing for activations, sharding (ZeRO) or LoRA (few trainable
# parameters, so few gradients and little optimiser state). (b) Only the activations (the outputs
# kept for backward) grow, linearly with the batch size (the measured peak grows linearly too,
# with a fixed offset); parameters, gradients and optimiser state do not depend on the batch.
# (c) The reference run measured about 1.7x the sum at batch 32 and about 0.9x at batch 512.
# Larger: the backward pass allocates temporaries that are in neither count (gradients of every
# intermediate, results of matmul's backward before they are accumulated into .grad, ReLU
# masks, the loss's intermediates); NumPy allocates new arrays instead of working in place. This
# dominates when activations are small. Smaller: the sum assumes everything is alive at once,
# but the backward pass frees each node's saved outputs (retain_graph=False) as it walks back
# while the parameter gradients appear one layer at a time, so the peak is reached before all
# gradients exist and after some outputs are gone. This dominates when activations are large.
# Grading: (a) 2 points (20.8 GB and the conclusion); (b) 2 points (activations, linear);
# (c) 2 points (one valid reason for larger, one for smaller).
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/profiling.py` in your store and checks that it imports, so that module 19's benchmark
# harness can `from tinytorch.profiling import Timer, MemoryProfiler, count_flops`.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("14_profiling");
