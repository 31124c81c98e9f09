"""The matmul ladder of 18_acceleration at larger sizes: loops -> rows -> tiled -> BLAS (-> torch.mm).

    python benchmarks/matmul_ladder.py                    # loops up to n = 128, the rest up to 512
    python benchmarks/matmul_ladder.py --loop-sizes 64 128 192 --sizes 64 128 192 256 512

The reference tinytorch.acceleration (build/reference, `tito build` first) on one thread (BLAS and
torch pinned to 1 thread, so a busy machine does not change what is compared). float32, n x n @ n x n,
2·n³ FLOPs. Prints GFLOP/s per rung and the ratio BLAS / loops at every size where the loops ran
(measured in the same run, alternating nothing: each rung is a median of repeats).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def child(sizes: list[int], loop_sizes: list[int]) -> None:
    import numpy as np
    import torch
    from tinytorch.acceleration import matmul_loops, matmul_rows, matmul_tiled
    from tinytorch_runtime.timing import measure

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    rungs = {"loops": matmul_loops, "rows": matmul_rows, "tiled64": matmul_tiled, "BLAS": np.matmul,
             "torch.mm": None}
    print(f"{'n':>5} " + " ".join(f"{r:>10}" for r in rungs) + "   GFLOP/s, one thread;  BLAS/loops  BLAS/rows")
    for n in sorted(set(sizes) | set(loop_sizes)):
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = rng.standard_normal((n, n)).astype(np.float32)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        rates = {}
        for name, fn in rungs.items():
            if name == "loops" and n not in loop_sizes:
                rates[name] = float("nan")
                continue
            if name == "torch.mm":
                t = measure(torch.mm, ta, tb, repeats=7, threads=1)
            elif name == "loops":
                t = measure(fn, a, b, repeats=3, warmup=0, threads=1)
                assert np.allclose(fn(a[:8], b[:, :8]), a[:8] @ b[:, :8], rtol=1e-4, atol=1e-4)
            else:
                t = measure(fn, a, b, repeats=7, threads=1)
                assert np.allclose(fn(a, b), a @ b, rtol=1e-4, atol=1e-3), name
            rates[name] = 2 * n ** 3 / t.median / 1e9
        print(f"{n:>5} " + " ".join(f"{rates[r]:>10.4g}" for r in rungs)
              + f"   {rates['BLAS'] / rates['loops']:>10,.0f}x {rates['BLAS'] / rates['rows']:>9.1f}x", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="*", default=[64, 128, 256, 512])
    p.add_argument("--loop-sizes", type=int, nargs="*", default=[32, 64, 128])
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.sizes, args.loop_sizes)
        return
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "TINYTORCH_COURSE": str(REPO / "course.yml"), "TINYTORCH_MODE": "grading",
           "TINYTORCH_REFERENCE": str(REPO / "build" / "reference")}
    env.pop("TINYTORCH_MODULE", None)
    cmd = [sys.executable, __file__, "--child", "--sizes", *map(str, args.sizes),
           "--loop-sizes", *map(str, args.loop_sizes)]
    subprocess.run(cmd, env=env, check=True)


if __name__ == "__main__":
    main()
