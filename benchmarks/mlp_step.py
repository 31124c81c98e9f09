"""One MLP training step, TinyTorch reference vs PyTorch CPU, in the same process.

    python benchmarks/mlp_step.py            # 1 and 2 threads
    python benchmarks/mlp_step.py --threads 1

Step = forward (batch 128, 784 -> 256 -> 10, ReLU), cross-entropy, backward, Adam update.
The BLAS thread count is fixed per process (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, and
torch.set_num_threads), so each thread count runs in its own child process. Target: <= 1.5x.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BATCH, SIZES = 128, (784, 256, 10)


def median_seconds(step, warmup: int = 20, repeats: int = 200) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def tinytorch_step(x, y, weights):
    from tinytorch.activations import ReLU
    from tinytorch.layers import Linear, Sequential
    from tinytorch.losses import CrossEntropyLoss
    from tinytorch.optimizers import Adam
    from tinytorch.tensor import Tensor

    model = Sequential(Linear(*SIZES[:2]), ReLU(), Linear(*SIZES[1:]))
    for p, w in zip(model.parameters(), weights):
        p.data[...] = w
    loss_fn, opt = CrossEntropyLoss(), Adam(model.parameters(), lr=1e-3)
    xt = Tensor(x)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(xt), y)
        loss.backward()
        opt.step()
        return float(loss.data)

    return step


def torch_step(x, y, weights):
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(*SIZES[:2]), torch.nn.ReLU(), torch.nn.Linear(*SIZES[1:]))
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.tensor(w.T if w.ndim == 2 else w))  # torch stores Linear weights as (out, in)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def measure(threads: int) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    weights = [rng.standard_normal((SIZES[0], SIZES[1])).astype(np.float32) * 0.05, np.zeros(SIZES[1], np.float32),
               rng.standard_normal((SIZES[1], SIZES[2])).astype(np.float32) * 0.05, np.zeros(SIZES[2], np.float32)]
    ours, theirs = tinytorch_step(x, y, weights), torch_step(x, y, weights)
    assert abs(ours() - theirs()) < 1e-4, "the two steps compute different losses"
    t_ours, t_torch = median_seconds(ours), median_seconds(theirs)
    print(f"threads={threads}: tinytorch {t_ours * 1e3:.2f} ms, torch {t_torch * 1e3:.2f} ms, "
          f"ratio {t_ours / t_torch:.2f}x (target <= 1.5x)")


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from threads import per_thread_count

    per_thread_count(__file__, measure, __doc__)


if __name__ == "__main__":
    main()
