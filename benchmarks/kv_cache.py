"""KV cache of 17_memoization: TinyGPT.generate vs generate_cached, greedy, at 64/128/256 new tokens.

    python benchmarks/kv_cache.py
    python benchmarks/kv_cache.py --tokens 64 128 256 --repeats 3

The reference tinytorch (build/reference; `tito build` first), one BLAS thread. The model has the
milestone's width and depth (dim 128, 4 layers, 4 heads, 65 characters) and a block_size that holds
the 8-token prompt and every generated token, so neither generator crops its context. Both run in
the same process, alternately; the speed-up is the ratio of the medians of the same run. Every run
also checks that both generators return identical tokens.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROMPT = 8


def child(tokens: list[int], repeats: int) -> None:
    import time

    import numpy as np
    from tinytorch.memoization import KVCache, cache_bytes, generate_cached
    from tinytorch.transformers import TinyGPT

    model = TinyGPT(vocab_size=65, block_size=PROMPT + max(tokens), dim=128, num_layers=4, num_heads=4,
                    rng=np.random.default_rng(0)).eval()
    prompt = np.random.default_rng(1).integers(0, 65, (1, PROMPT))
    print(f"TinyGPT(dim=128, layers=4, heads=4, block_size={model.block_size}), prompt {PROMPT} tokens, greedy, "
          f"one BLAS thread, median of {repeats}")
    print(f"{'new':>5} {'generate':>12} {'cached':>12} {'speed-up':>9} {'ms/token':>17} {'cache bytes':>12} identical")
    for n_new in tokens:
        plain, fast = [], []
        same = True
        for _ in range(repeats):
            t0 = time.perf_counter()
            a = model.generate(prompt, n_new, temperature=0)
            t1 = time.perf_counter()
            b = generate_cached(model, prompt, n_new)
            t2 = time.perf_counter()
            plain.append(t1 - t0)
            fast.append(t2 - t1)
            same &= a.tolist() == b.tolist()
        p, f = float(np.median(plain)), float(np.median(fast))
        nbytes = cache_bytes(4, 4, PROMPT + n_new, 32)
        assert nbytes == KVCache(4, 1, 4, PROMPT + n_new, 32).nbytes
        print(f"{n_new:>5} {p:>10.3f} s {f:>10.3f} s {p / f:>8.1f}x {1e3 * p / n_new:>7.2f} vs {1e3 * f / n_new:>5.2f} "
              f"{nbytes:>12,d} {same}")
        if not same:
            raise SystemExit("generate_cached differs from generate")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tokens", nargs="*", type=int, default=[64, 128, 256])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.tokens, args.repeats)
        return
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "TINYTORCH_COURSE": str(REPO / "course.yml"), "TINYTORCH_MODE": "grading",
           "TINYTORCH_REFERENCE": str(REPO / "build" / "reference")}
    env.pop("TINYTORCH_MODULE", None)
    subprocess.run([sys.executable, __file__, "--child", "--tokens", *map(str, args.tokens),
                    "--repeats", str(args.repeats)], env=env, check=True)


if __name__ == "__main__":
    main()
