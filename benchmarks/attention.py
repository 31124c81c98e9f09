"""Multi-head self-attention forward + backward, TinyTorch reference vs PyTorch CPU, in the same process.

    python benchmarks/attention.py            # 1 and 2 threads
    python benchmarks/attention.py --threads 1

Shape (B8, T128, d_model 128, 4 heads), causal. TinyTorch: tinytorch.attention.MultiHeadAttention
(three Linear projections, scaled_dot_product_attention with the MaskedSoftmax Function, out_proj).
PyTorch: torch.nn.MultiheadAttention(batch_first=True) with the same weights, called as a
transformer calls it (need_weights=False, a causal mask: torch picks its fused SDPA kernel), and, for
reference, with need_weights=True (the math path, which also returns the weights as ours does).
Step = forward, sum of the output, backward (gradients of the weights and of x). Target: <= 2x.
The BLAS thread count is fixed per process, so each thread count runs in its own child process.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
B, T, D, H = 8, 128, 128, 4


def median_seconds(step, warmup: int = 10, repeats: int = 60) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def tinytorch_step(x, weights):
    from tinytorch.attention import MultiHeadAttention
    from tinytorch.tensor import Tensor

    mha = MultiHeadAttention(D, H, causal=True)
    for p, w in zip(mha.parameters(), weights):
        p.data[...] = w

    def step():
        mha.zero_grad()
        xt = Tensor(x).requires_grad_()
        out = mha(xt)
        out.sum().backward()
        return out.data

    return step


def torch_step(x, weights, need_weights):
    import numpy as np
    import torch

    mha = torch.nn.MultiheadAttention(D, H, batch_first=True)
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.tensor(np.concatenate([wq.T, wk.T, wv.T])))
        mha.in_proj_bias.copy_(torch.tensor(np.concatenate([bq, bk, bv])))
        mha.out_proj.weight.copy_(torch.tensor(wo.T))
        mha.out_proj.bias.copy_(torch.tensor(bo))
    blocked = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)   # torch MHA: True = may NOT attend

    def step():
        mha.zero_grad()
        xt = torch.tensor(x, requires_grad=True)
        out, _ = mha(xt, xt, xt, attn_mask=blocked, need_weights=need_weights, is_causal=not need_weights)
        out.sum().backward()
        return out.detach().numpy()

    return step


def measure(threads: int) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    weights = []
    for _ in range(4):
        weights += [(rng.standard_normal((D, D)) / np.sqrt(D)).astype(np.float32),
                    (0.1 * rng.standard_normal(D)).astype(np.float32)]
    ours = tinytorch_step(x, weights)
    fused, math_path = torch_step(x, weights, False), torch_step(x, weights, True)
    np.testing.assert_allclose(ours(), fused(), rtol=1e-3, atol=1e-4)
    t_ours, t_fused, t_math = median_seconds(ours), median_seconds(fused), median_seconds(math_path)
    print(f"threads={threads}: MHA fwd+bwd (B{B}, T{T}, d{D}, h{H}, causal): tinytorch {t_ours * 1e3:.2f} ms, "
          f"torch {t_fused * 1e3:.2f} ms (fused SDPA) / {t_math * 1e3:.2f} ms (need_weights=True); "
          f"ratio {t_ours / t_fused:.2f}x / {t_ours / t_math:.2f}x (target <= 2x)")


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from threads import per_thread_count

    per_thread_count(__file__, measure, __doc__)


if __name__ == "__main__":
    main()
