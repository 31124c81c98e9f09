"""Conv2d forward + backward, TinyTorch reference vs PyTorch CPU, in the same process.

    python benchmarks/conv2d.py              # 1 and 2 threads
    python benchmarks/conv2d.py --threads 1

Shapes (N, C_in -> C_out, 3x3, padding 1, H x W): (32, 3 -> 16, 32x32) and (64, 32 -> 64, 16x16).
One measured call = forward, then backward of a fixed upstream gradient into x, weight and bias
(x requires a gradient, as the input of a layer in the middle of a network does).
The BLAS thread count is fixed per process (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, and
torch.set_num_threads), so each thread count runs in its own child process. Target: <= 2.5x.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHAPES = [(32, 3, 16, 32), (64, 32, 64, 16)]   # (N, C_in, C_out, side)


def median_seconds(*steps, warmup: int = 5, repeats: int = 40) -> list[float]:
    """Median time of each step; the steps alternate, so a busy machine slows both alike."""
    for _ in range(warmup):
        for step in steps:
            step()
    times = [[] for _ in steps]
    for _ in range(repeats):
        for step, bucket in zip(steps, times):
            started = time.perf_counter()
            step()
            bucket.append(time.perf_counter() - started)
    return [statistics.median(t) for t in times]


def tinytorch_step(x, w, b, g):
    from tinytorch.spatial import conv2d
    from tinytorch.tensor import Tensor

    xt, wt, bt = (Tensor(a).requires_grad_() for a in (x, w, b))

    def step():
        xt.grad = wt.grad = bt.grad = None
        out = conv2d(xt, wt, bt, stride=1, padding=1)
        out.backward(g)
        return xt.grad.data, wt.grad.data, bt.grad.data

    return step


def torch_step(x, w, b, g):
    import torch

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    gt = torch.tensor(g)

    def step():
        xt.grad = wt.grad = bt.grad = None
        out = torch.nn.functional.conv2d(xt, wt, bt, stride=1, padding=1)
        out.backward(gt)
        return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()

    return step


def measure(threads: int) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    for n, c_in, c_out, side in SHAPES:
        x = rng.standard_normal((n, c_in, side, side)).astype(np.float32)
        w = (rng.standard_normal((c_out, c_in, 3, 3)) * 0.1).astype(np.float32)
        b = rng.standard_normal(c_out).astype(np.float32)
        g = rng.standard_normal((n, c_out, side, side)).astype(np.float32)
        ours, theirs = tinytorch_step(x, w, b, g), torch_step(x, w, b, g)
        for a, t in zip(ours(), theirs()):
            np.testing.assert_allclose(a, t, rtol=1e-3, atol=1e-2, err_msg="the two steps compute different gradients")
        t_ours, t_torch = median_seconds(ours, theirs)
        print(f"threads={threads} N{n} {c_in}->{c_out} 3x3 {side}x{side}: tinytorch {t_ours * 1e3:7.2f} ms, "
              f"torch {t_torch * 1e3:7.2f} ms, ratio {t_ours / t_torch:.2f}x (target <= 2.5x)", flush=True)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from threads import per_thread_count

    per_thread_count(__file__, measure, __doc__)


if __name__ == "__main__":
    main()
