"""One timing helper for every notebook's systems analysis.

    from tinytorch_runtime.timing import measure, gflops
    t = measure(np.matmul, a, b)            # warm-up, repeats, median and IQR, BLAS threads pinned
    print(t)                                 # 1.93 ms (IQR 1.90-1.97 ms, 7 runs)
    rate = gflops(2 * n**3, t)               # flags a rate this machine cannot reach

A shared hub runs many kernels on few cores, so a single timing can be off by 10x. The median of
several repeats, after warm-up, with BLAS on a fixed number of threads, is what the text should
quote — as a range (the IQR), not a single hoped-for number.
"""
from __future__ import annotations

import contextlib
import os
import statistics
import time
from dataclasses import dataclass

# A generous bound on what one x86/ARM core can do in float32 (2 FMA units x 16 lanes x 2 flops x ~4 GHz).
PEAK_GFLOPS_PER_CORE = 256.0


@dataclass(frozen=True)
class Timing:
    """Seconds per call over several repeats."""
    times: tuple[float, ...]
    threads: int

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def _quartiles(self) -> tuple[float, float]:
        if len(self.times) < 2:
            return self.times[0], self.times[0]
        q = statistics.quantiles(self.times, n=4, method="inclusive")
        return q[0], q[2]

    @property
    def q1(self) -> float:
        return self._quartiles()[0]

    @property
    def q3(self) -> float:
        return self._quartiles()[1]

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    def __str__(self) -> str:
        return f"{fmt_seconds(self.median)} (IQR {fmt_seconds(self.q1)}-{fmt_seconds(self.q3)}, {len(self.times)} runs)"


def fmt_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


@contextlib.contextmanager
def pinned_threads(threads: int = 1):
    """BLAS/OpenMP thread pools limited to `threads` for the duration of the block."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency of the runtime
        yield
        return
    with threadpool_limits(limits=threads):
        yield


def measure(fn, *args, repeats: int = 7, warmup: int = 2, threads: int | None = None,
            min_seconds: float = 0.005, **kwargs) -> Timing:
    """Time `fn(*args, **kwargs)`: `warmup` untimed calls, then `repeats` timed ones. Fast calls are
    looped so each timed sample lasts at least `min_seconds`. BLAS threads are pinned to `threads`
    (default: $TINYTORCH_THREADS or 1), so results do not depend on what else the machine runs."""
    threads = threads or int(os.environ.get("TINYTORCH_THREADS", "1"))
    with pinned_threads(threads):
        for _ in range(warmup):
            fn(*args, **kwargs)
        start = time.perf_counter()
        fn(*args, **kwargs)
        once = time.perf_counter() - start
        loops = max(1, int(min_seconds / once)) if once > 0 else 1000
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(loops):
                fn(*args, **kwargs)
            samples.append((time.perf_counter() - start) / loops)
    return Timing(tuple(samples), threads)


def peak_gflops(threads: int = 1) -> float:
    return PEAK_GFLOPS_PER_CORE * max(1, threads)


def gflops(flops: float, timing: Timing, quiet: bool = False) -> float:
    """The rate in GFLOP/s; prints a warning when it is above what this machine can do, which
    means the code did far fewer operations than `flops` counts (say, an element-wise product
    where a matrix product was meant)."""
    rate = flops / timing.median / 1e9
    if rate > peak_gflops(timing.threads) and not quiet:
        print(f"⚠ {rate:,.0f} GFLOP/s is above this machine's peak (~{peak_gflops(timing.threads):,.0f} on "
              f"{timing.threads} thread(s)): the code does far fewer operations than {flops:,.0f}. "
              f"Check that it computes what was counted.")
    return rate


__all__ = ["Timing", "measure", "gflops", "pinned_threads", "peak_gflops", "fmt_seconds"]
