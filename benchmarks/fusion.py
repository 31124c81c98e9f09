"""Kernel fusion of 18_acceleration: bias + GELU and softmax, unfused vs fused (out=), time and peak memory.

    python benchmarks/fusion.py
    python benchmarks/fusion.py --shapes 256x4096 1024x4096

The reference tinytorch.acceleration (build/reference; `tito build` first), one thread. Peak memory is
tracemalloc's peak while one call runs, in units of the input's bytes (arrays that exist before the
call are not counted). The torch baseline (F.gelu(x + b, approximate="tanh"), torch.softmax with
out=) runs in the same process. Ratios are unfused / fused, measured in the same run.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def child(shapes: list[tuple[int, int]]) -> None:
    import numpy as np
    import torch
    from tinytorch.acceleration import bias_gelu_fused, bias_gelu_unfused, peak_bytes, softmax_fused
    from tinytorch_runtime.timing import measure

    torch.set_num_threads(1)

    def softmax_unfused(x, axis=-1):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    rng = np.random.default_rng(0)
    for rows, cols in shapes:
        x = rng.standard_normal((rows, cols)).astype(np.float32)
        bias = rng.standard_normal(cols).astype(np.float32)
        out = np.empty_like(x)
        tx, tb, tout = torch.from_numpy(x), torch.from_numpy(bias), torch.empty(rows, cols)
        assert np.allclose(bias_gelu_fused(x, bias), bias_gelu_unfused(x, bias), rtol=1e-5, atol=1e-6)
        assert np.allclose(softmax_fused(x), softmax_unfused(x), rtol=1e-5, atol=1e-7)
        cases = [
            ("bias+GELU unfused", bias_gelu_unfused, (x, bias), {}),
            ("bias+GELU fused out=", bias_gelu_fused, (x, bias), {"out": out}),
            ("torch gelu(x+b)", lambda: torch.nn.functional.gelu(tx + tb, approximate="tanh"), (), {}),
            ("softmax unfused", softmax_unfused, (x,), {}),
            ("softmax fused out=", softmax_fused, (x,), {"out": out}),
            ("torch softmax out=", lambda: torch.softmax(tx, -1, out=tout), (), {}),
        ]
        print(f"\n{rows}x{cols} float32 ({x.nbytes / 2**20:.1f} MiB per array), one thread")
        results = {}
        for name, fn, args, kwargs in cases:
            t = measure(fn, *args, repeats=9, threads=1, **kwargs)
            peak = peak_bytes(fn, *args, **kwargs) / x.nbytes
            results[name] = (t.median, peak)
            print(f"  {name:<22} {t}   peak {peak:.2f} x input" + ("  (torch's allocator is not traced)" if "torch" in name else ""))
        for op in ("bias+GELU", "softmax"):
            slow, fast = results[f"{op} unfused"], results[f"{op} fused out="]
            print(f"  {op}: fused {slow[0] / fast[0]:.2f}x faster than unfused, peak {slow[1]:.2f} -> {fast[1]:.2f} arrays")
        print(f"  torch gelu(x+b) is {results['bias+GELU fused out='][0] / results['torch gelu(x+b)'][0]:.2f}x faster "
              f"than our fused NumPy; torch softmax {results['softmax fused out='][0] / results['torch softmax out='][0]:.2f}x")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shapes", nargs="*", default=["256x4096", "1024x4096"])
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child([tuple(int(v) for v in s.split("x")) for s in args.shapes])
        return
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "TINYTORCH_COURSE": str(REPO / "course.yml"), "TINYTORCH_MODE": "grading",
           "TINYTORCH_REFERENCE": str(REPO / "build" / "reference")}
    env.pop("TINYTORCH_MODULE", None)
    subprocess.run([sys.executable, __file__, "--child", "--shapes", *args.shapes], env=env, check=True)


if __name__ == "__main__":
    main()
