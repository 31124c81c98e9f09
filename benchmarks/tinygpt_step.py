"""One TinyGPT training step in nanoGPT's CPU "baby" configuration, TinyTorch reference vs PyTorch CPU.

    python benchmarks/tinygpt_step.py            # 1 and 2 threads
    python benchmarks/tinygpt_step.py --threads 1

Model: 65 characters, block 64, dim 128, 4 layers, 4 heads (818,241 parameters); batch 12.
Step = forward, cross-entropy over every position, backward, gradient clipping to norm 1, AdamW.
PyTorch: the same architecture written with torch.nn (benchmarks/torch_gpt.py, fused SDPA and
LayerNorm kernels), weights copied. Each thread count runs in its own child process (BLAS threads
are fixed per process). Target: <= 3x.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VOCAB, BLOCK, DIM, LAYERS, HEADS, BATCH = 65, 64, 128, 4, 4, 12


def median_seconds(step, warmup: int = 5, repeats: int = 30) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def tinytorch_step(ids):
    import numpy as np
    from tinytorch.optimizers import AdamW
    from tinytorch.training import clip_grad_norm
    from tinytorch.transformers import TinyGPT, language_model_loss

    model = TinyGPT(VOCAB, BLOCK, DIM, LAYERS, HEADS, rng=np.random.default_rng(0))
    opt = AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)

    def step():
        opt.zero_grad()
        loss = language_model_loss(model(ids[:, :-1]), ids[:, 1:])
        loss.backward()
        clip_grad_norm(model.parameters(), 1.0)
        opt.step()
        return float(loss.data)

    return model, step


def torch_step(ids, tinygpt):
    import torch
    from torch_gpt import TorchGPT, copy_weights

    model = TorchGPT(VOCAB, BLOCK, DIM, LAYERS, HEADS)
    copy_weights(tinygpt, model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)
    x, y = torch.tensor(ids[:, :-1]), torch.tensor(ids[:, 1:])

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    return step


def measure(threads: int) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    ids = np.random.default_rng(0).integers(0, VOCAB, (BATCH, BLOCK + 1))
    model, ours = tinytorch_step(ids)
    theirs = torch_step(ids, model)
    first_ours, first_theirs = ours(), theirs()
    assert abs(first_ours - first_theirs) < 1e-4, (first_ours, first_theirs)
    t_ours, t_torch = median_seconds(ours), median_seconds(theirs)
    print(f"threads={threads}: TinyGPT step (baby config, batch {BATCH}): tinytorch {t_ours * 1e3:.1f} ms, "
          f"torch {t_torch * 1e3:.1f} ms, ratio {t_ours / t_torch:.2f}x (target <= 3x)")


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from threads import per_thread_count

    per_thread_count(__file__, measure, __doc__)


if __name__ == "__main__":
    main()
