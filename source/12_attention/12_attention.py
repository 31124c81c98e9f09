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
# # Module 12 · Attention
#
# **Expected time:** 3–4 hours. **Difficulty:** ★★★☆☆ (the ideas are short; getting every axis,
# mask and shape right is the work).
#
# A convolution looks at a fixed neighbourhood; a recurrent network squeezes the past into one
# vector. **Attention** lets every position of a sequence look at *every other position* and decide,
# from the data, which ones matter. It is the one operation that separates a transformer from the
# networks you have built so far, and it is what GPT, BERT, Whisper and Vision Transformers run
# billions of times.
#
# In this module you build it from the tensors and gradients of modules 01–05:
#
# - a **numerically stable softmax with masks**, where masked positions get exactly zero weight
#   and a row with nothing left to attend to gives zeros instead of `NaN`;
# - **scaled dot-product attention** `softmax(Q Kᵀ / √d) V`, with arbitrary and causal masks;
# - **multi-head attention**: several attention "heads" computed at once by reshaping, with no
#   Python loop over heads.
#
# Then you measure the price: attention builds a T × T matrix for a sequence of T tokens, so its
# memory and time grow with **T²**. That wall is why long-context models need tricks such as
# FlashAttention.

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# PyTorch has attention as one function and as a layer:
#
# ```python
# import torch
# import torch.nn.functional as F
# q = k = v = torch.randn(2, 4, 16, 32)               # (batch, heads, T, head_dim)
# out = F.scaled_dot_product_attention(q, k, v, is_causal=True)            # (2, 4, 16, 32)
# mha = torch.nn.MultiheadAttention(embed_dim=128, num_heads=4, batch_first=True)
# y, weights = mha(x, x, x, attn_mask=...)          # self-attention: queries = keys = values = x
# ```
#
# Inside, both compute the same few lines:
#
# ```
# scores  = Q @ Kᵀ / √d            (…, Tq, Tk)   how well each query matches each key
# scores  = masked where not allowed                (padding, or the future in a language model)
# weights = softmax(scores, dim=-1)                  each row sums to 1 over the allowed keys
# out     = weights @ V            (…, Tq, dv)   a weighted average of the values
# ```
#
# `F.scaled_dot_product_attention` picks a fused kernel (FlashAttention, memory-efficient
# attention) when it can; the "math" fallback is exactly the four lines above, and that is what
# you write.
#
# | step | you implement | PyTorch equivalent |
# |---|---|---|
# | 1 | `causal_mask(T)` | `torch.tril(torch.ones(T, T, dtype=torch.bool))` |
# | 2 | `MaskedSoftmax` (forward and backward), `masked_softmax` | `scores.masked_fill(~mask, -inf).softmax(-1)` |
# | 3 | `scaled_dot_product_attention(q, k, v, mask, causal)` | `F.scaled_dot_product_attention` |
# | 4 | `split_heads`, `merge_heads` | the `view`/`transpose` inside `nn.MultiheadAttention` |
# | 5 | `MultiHeadAttention(d_model, n_heads, causal)` | `nn.MultiheadAttention(batch_first=True)` |
#
# Differences from PyTorch, on purpose: our `scaled_dot_product_attention` also returns the
# attention weights (so you can look at them); a fully masked row gives zeros where PyTorch's math
# path gives `NaN`; the masks use PyTorch's `attn_mask` convention for `F.scaled_dot_product_attention`
# (**True = may attend**), which is the *opposite* of `nn.MultiheadAttention`'s boolean `attn_mask`
# (True = blocked). With `causal=True` and fewer queries than keys, our causal mask is aligned to
# the **last** key (the newest query sees every key), which is what generation with a cache needs
# (module 17); PyTorch's `is_causal` aligns it to the first.

# %% [markdown]
# ## Setup
#
# The first cell is exported into `tinytorch/attention.py`. It imports your `Tensor` (with the
# gradients of module 05), `Function`, and the `Module` and `Linear` layers of module 03.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import math

import numpy as np
from tinytorch.autograd import Function, no_grad
from tinytorch.layers import Linear, Module
from tinytorch.tensor import Tensor

__all__ = ["causal_mask", "MaskedSoftmax", "masked_softmax", "scaled_dot_product_attention",
           "split_heads", "merge_heads", "MultiHeadAttention"]


def _as_tensor(x):
    """Given: a Tensor as it is, anything else (an ndarray, a list) wrapped in a Tensor."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _as_mask(mask):
    """Given: a boolean ndarray (or None) from a mask given as a Tensor, an ndarray or a list."""
    if mask is None:
        return None
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"a mask must be boolean (True = may attend), got dtype {mask.dtype}")
    return mask

# %% [markdown]
# The test cells check your results with three small functions (`expect`, `expect_close`,
# `expect_raises`). When a check fails, it shows what your code returned next to what was expected.

# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · The causal mask
#
# A language model predicts token t + 1 from tokens 0 … t. During training it sees the whole
# sentence at once, so something must stop position t from peeking at positions after it. That
# something is a boolean **mask** over the T × T matrix of (query, key) pairs: entry `[i, j]` is
# True when query i **may attend** to key j. For a causal (left-to-right) model, i may look at
# j ≤ i, the lower triangle including the diagonal:
#
# ```
#            key 0  key 1  key 2  key 3
# query 0  [ True  False  False  False ]
# query 1  [ True  True   False  False ]
# query 2  [ True  True   True   False ]
# query 3  [ True  True   True   True  ]
# ```
#
# Implement `causal_mask(T)`: a `bool` ndarray of shape `(T, T)`, True on and below the diagonal.
# (`np.tril` keeps the lower triangle of an array.)

# %% nbgrader={"grade": false, "grade_id": "causal-mask", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def causal_mask(T):
    """bool ndarray (T, T): True where query i may attend to key j, i.e. j <= i."""
    ### BEGIN SOLUTION
    return np.tril(np.ones((T, T), dtype=bool))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-causal-mask", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
m = causal_mask(3)
expect(m, [[True, False, False], [True, True, False], [True, True, True]],
       "causal_mask(3): query i may attend to keys 0..i (lower triangle, diagonal included)")
expect(str(m.dtype), "bool", "the mask should be a bool array")
### BEGIN HIDDEN TESTS
_m6 = causal_mask(6)
expect(_m6.shape, (6, 6), "causal_mask(6) has shape (6, 6)")
expect(_m6.sum(axis=1), np.arange(1, 7), "row i of a causal mask has i + 1 True entries")
expect(causal_mask(1), [[True]], "a single position attends to itself")
### END HIDDEN TESTS
print("✅ Step 1: causal_mask works")

# %% [markdown]
# ## Step 2 · A softmax that respects a mask
#
# Attention turns each row of scores into weights with a softmax. You wrote a stable softmax in
# module 02: subtract the row's maximum before `exp`, so that the largest exponent is `exp(0) = 1`
# and nothing overflows. With a mask, three more things matter:
#
# 1. **Masked positions get exactly zero weight.** Set their scores to `-inf` before the softmax
#    (`np.where(mask, scores, -np.inf)`): `exp(-inf)` is exactly 0. Adding a large negative number
#    such as `-1e9` is a common shortcut, but it is not exact, and fails when the real scores are
#    themselves large.
# 2. **Take the maximum over the allowed positions only.** After the `-inf` fill, `max` does that
#    by itself.
# 3. **A row where everything is masked** (a padding query, or a query with no key left) has
#    maximum `-inf`, and `-inf - (-inf)` is `NaN`, which would then spread through every later
#    computation. Such a row must come out as **all zeros**: replace a non-finite row maximum by 0
#    (then every `exp` is 0) and divide by 1 instead of by a zero sum.
#
# ```
# scores [1, 2, 3]  mask [T, T, F]   ->  [e¹, e², 0] / (e¹ + e²) = [0.269, 0.731, 0]
# scores [1, 2, 3]  mask [F, F, F]   ->  [0, 0, 0]
# ```
#
# Write it as a `Function` (module 05) so it gets its own backward. With `w = softmax(s)` and an
# incoming gradient `g = ∂L/∂w`, the Jacobian of the softmax gives, row by row,
#
# ```
# ∂L/∂s = w ⊙ (g − Σⱼ gⱼ wⱼ)          (Σ over the last axis, kept as a column)
# ```
#
# Save the weights `w` in forward (not the scores): the formula only needs them. Masked positions
# have `w = 0`, so their gradient is automatically 0, and a fully masked row gets gradient 0 too.
#
# The `mask` is a keyword argument: it is not differentiable, so `Function.apply` passes it to
# `forward` as it is. It must broadcast to the scores' shape (for example a `(T, T)` mask for
# scores of shape `(N, heads, T, T)`).

# %% nbgrader={"grade": false, "grade_id": "masked-softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class MaskedSoftmax(Function):
    """Softmax over the last axis where only positions with mask True take part (mask None: all).

    Masked positions get weight exactly 0; a fully masked row gives all zeros (never NaN).
    """

    def forward(ctx, scores, mask=None):
        if mask is not None and np.broadcast_shapes(mask.shape, scores.shape) != scores.shape:
            raise ValueError(f"a mask of shape {mask.shape} does not broadcast to the scores' shape {scores.shape}")
        ### BEGIN SOLUTION
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        row_max = scores.max(axis=-1, keepdims=True)
        row_max = np.where(np.isfinite(row_max), row_max, 0.0)
        e = np.exp(scores - row_max)
        total = e.sum(axis=-1, keepdims=True)
        weights = e / np.where(total == 0, 1.0, total)
        ctx.save_for_backward(weights)
        return weights
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        (w,) = ctx.saved
        return (w * (grad - (grad * w).sum(axis=-1, keepdims=True)),)
        ### END SOLUTION


def masked_softmax(scores, mask=None):
    """Given: the softmax of a Tensor of scores over its last axis, keeping only mask-True positions."""
    return MaskedSoftmax.apply(_as_tensor(scores), mask=_as_mask(mask))


# %% nbgrader={"grade": true, "grade_id": "test-masked-softmax", "locked": true, "points": 16, "schema_version": 3, "solution": false, "task": false}
w = masked_softmax(Tensor([[1.0, 2.0, 3.0], [1000.0, 1000.0, 0.0]]))
expect_close(w.data, [[0.09003057, 0.24472846, 0.66524094], [0.5, 0.5, 0.0]],
             "without a mask: a stable softmax of each row (scores of 1000 must not overflow)", rtol=1e-5, atol=1e-7)
s = Tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]).requires_grad_()
w = masked_softmax(s, mask=np.array([[True, True, False], [False, False, False]]))
expect_close(w.data, [[0.26894142, 0.73105858, 0.0], [0.0, 0.0, 0.0]],
             "row 0 keeps keys 0 and 1 (the masked key gets weight exactly 0); row 1 is fully masked: all zeros",
             rtol=1e-5, atol=0.0)
(w * Tensor([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])).sum().backward()
expect_close(s.grad.data, [[0.19661193, -0.19661193, 0.0], [0.0, 0.0, 0.0]],
             "gradient w * (g - sum(g * w)): zero at masked positions and for the fully masked row",
             rtol=1e-5, atol=1e-7)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(12)
_s = _rng.normal(0, 3, (2, 3, 5)).astype(np.float32)
_mask = _rng.random((3, 5)) < 0.6
_mask[1] = False
_w = masked_softmax(Tensor(_s), mask=_mask)
expect(_w.shape, (2, 3, 5), "a (3, 5) mask broadcasts over scores of shape (2, 3, 5)")
expect(_w.data[:, ~_mask], np.zeros((2, int((~_mask).sum())), np.float32), "masked positions get weight exactly 0")
expect_close(_w.data, np.where(_mask, np.exp(_s - _s.max(-1, keepdims=True)), 0)
             / np.maximum(np.where(_mask, np.exp(_s - _s.max(-1, keepdims=True)), 0).sum(-1, keepdims=True), 1e-30),
             "masked softmax of random scores with a random mask (one fully masked row)", rtol=1e-5, atol=1e-7)
_big = masked_softmax(Tensor([[-1e30, -1e30, 5.0], [88.0, 89.0, 90.0]]), mask=np.array([True, True, False]))
expect_close(_big.data, [[0.5, 0.5, 0.0], [0.26894142, 0.73105858, 0.0]],
             "huge scores: the max is taken over the allowed positions only", rtol=1e-5, atol=1e-7)
_sg = Tensor(_s).requires_grad_()
_g = _rng.normal(size=(2, 3, 5)).astype(np.float32)
_wg = masked_softmax(_sg, mask=_mask)
_wg.backward(_g)
expect_close(_sg.grad.data, _wg.data * (_g - (_g * _wg.data).sum(-1, keepdims=True)),
             "gradient of the masked softmax for a random incoming gradient", rtol=1e-4, atol=1e-6)
expect(np.isnan(masked_softmax(Tensor(np.zeros((2, 2))), mask=np.zeros((2, 2), bool)).data).sum(), 0,
       "a fully masked input gives no NaN")
with expect_raises(ValueError, "a mask that does not broadcast to the scores' shape should raise ValueError"):
    masked_softmax(Tensor(np.zeros((2, 3))), mask=np.ones((4, 3), bool))
### END HIDDEN TESTS
print("✅ Step 2: masked softmax works, forward and backward")

# %% [markdown]
# ## Step 3 · Scaled dot-product attention
#
# Queries `q` `(…, Tq, d)`, keys `k` `(…, Tk, d)` and values `v` `(…, Tk, dv)`; the leading
# dimensions `…` (batch, heads) broadcast as in a batched matmul.
#
# ```
# scores  = q @ kᵀ · (1 / √d)        kᵀ swaps the last two axes of k         (…, Tq, Tk)
# weights = masked_softmax(scores, keep)                                      (…, Tq, Tk)
# out     = weights @ v                                                       (…, Tq, dv)
# ```
#
# **Why divide by √d?** If the entries of q and k are independent with variance 1, the dot product
# of two d-vectors has variance d. For d = 64 the scores would have a standard deviation of 8, the
# softmax would put almost all the weight on one key, and its gradient would nearly vanish.
# Dividing by √d brings the variance back to 1.
#
# **Which keys each query may use** (`keep`, True = may attend):
#
# - `mask`: a boolean array broadcastable to `(…, Tq, Tk)`, or None;
# - `causal=True`: query i may use key j only when `j <= i + (Tk - Tq)`, i.e.
#   `np.tril(np.ones((Tq, Tk), bool), k=Tk - Tq)`. For Tq = Tk that is `causal_mask(T)`;
# - both: a key is kept only when **both** allow it (`mask & causal`).
#
# Swap the last two axes of `k` with `k.transpose(*axes)`, where `axes` lists every axis with
# the last two exchanged (`(0, 1, 3, 2)` for a 4-D `k`). Use Tensor operations throughout and
# your `masked_softmax`, so that gradients reach q, k and v. Return `(out, weights)`.
#
# A memory detail: `(q @ kᵀ) * s` and `(q * s) @ kᵀ` are equal, but a `Mul` node saves its
# inputs for the backward pass. The first form makes the graph keep a T × T array of scores next
# to the T × T weights; the second keeps only a copy of q. Scale q.

# %% nbgrader={"grade": false, "grade_id": "sdpa", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def scaled_dot_product_attention(q, k, v, mask=None, causal=False):
    """softmax(q @ kᵀ / sqrt(d), keeping mask-True and causal positions) @ v -> (out, weights).

    q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv); mask bool broadcastable to (..., Tq, Tk), True = may attend.
    """
    q, k, v = _as_tensor(q), _as_tensor(k), _as_tensor(v)
    keep = _as_mask(mask)
    ### BEGIN SOLUTION
    t_q, t_k = q.shape[-2], k.shape[-2]
    if causal:
        lower = np.tril(np.ones((t_q, t_k), dtype=bool), k=t_k - t_q)
        keep = lower if keep is None else keep & lower
    axes = list(range(k.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    scores = (q * (1.0 / math.sqrt(q.shape[-1]))) @ k.transpose(*axes)
    weights = masked_softmax(scores, keep)
    return weights @ v, weights
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-sdpa", "locked": true, "points": 18, "schema_version": 3, "solution": false, "task": false}
q = Tensor([[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0]])
v = Tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
out, weights = scaled_dot_product_attention(q, q, v)
expect_close(weights.data, [[0.78698599, 0.10650698, 0.10650698], [0.10650698, 0.78698599, 0.10650698],
                            [0.10650698, 0.10650698, 0.78698599]],
             "weights = softmax(q @ kᵀ / √4): each query matches its own key best", rtol=1e-5, atol=1e-7)
expect_close(out.data, [[0.89349297, 0.21301395], [0.21301395, 0.89349297], [0.89349297, 0.89349297]],
             "out = weights @ v", rtol=1e-5, atol=1e-7)
out, weights = scaled_dot_product_attention(q, q, v, causal=True)
expect_close(weights.data, [[1.0, 0.0, 0.0], [0.11920292, 0.88079708, 0.0], [0.10650698, 0.10650698, 0.78698599]],
             "causal=True: query i uses keys 0..i only", rtol=1e-5, atol=1e-7)
out, weights = scaled_dot_product_attention(q, q, v, mask=np.array([[False, True, True]] * 3), causal=True)
expect_close(out.data, [[0.0, 0.0], [0.0, 1.0], [0.88079708, 1.0]],
             "mask and causal together: a key is kept only when both allow it (query 0 has none: zeros)",
             rtol=1e-5, atol=1e-7)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3)
_q, _k, _v = (_rng.normal(size=(2, 3, 4, 8)).astype(np.float32) for _ in range(3))
_out, _w = scaled_dot_product_attention(Tensor(_q), Tensor(_k), Tensor(_v))
expect(_out.shape, (2, 3, 4, 8), "batched (2, 3, 4, 8) inputs give a (2, 3, 4, 8) output")
expect_close(_out.data, (np.exp(_q @ _k.swapaxes(-1, -2) / np.sqrt(8))
                         / np.exp(_q @ _k.swapaxes(-1, -2) / np.sqrt(8)).sum(-1, keepdims=True)) @ _v,
             "batched attention of random q, k, v scaled by 1/sqrt(8)", rtol=1e-4, atol=1e-6)
_q2 = _rng.normal(size=(1, 2, 4)).astype(np.float32)
_k2 = _rng.normal(size=(1, 5, 4)).astype(np.float32)
_o2, _w2 = scaled_dot_product_attention(Tensor(_q2), Tensor(_k2), Tensor(_k2), causal=True)
expect(_w2.data[0] > 0, [[True, True, True, True, False], [True, True, True, True, True]],
       "with 2 queries and 5 keys, causal alignment is to the last key: the last query sees all 5 keys")
_qg, _kg, _vg = (Tensor(a[0, 0]).requires_grad_() for a in (_q, _k, _v))
_o3, _w3 = scaled_dot_product_attention(_qg, _kg, _vg, causal=True)
(_o3 * _o3).sum().backward()
expect_close(_vg.grad.data - _w3.data.T @ (2 * _o3.data), np.zeros((4, 8)),
             "v's gradient is weightsᵀ @ ∂L/∂out", rtol=0, atol=1e-5)
expect_close(_qg.grad.data[0], np.zeros(8, np.float32), "query 0 attends to one key only: its gradient is zero",
             rtol=0, atol=1e-6)
expect_close(_kg.grad.data, (_w3.data * (2 * _o3.data @ _v[0, 0].T - (_w3.data * (2 * _o3.data @ _v[0, 0].T))
                                         .sum(-1, keepdims=True))).T @ _q[0, 0] / np.sqrt(8),
             "k's gradient through the causal softmax", rtol=1e-4, atol=1e-5)
### END HIDDEN TESTS
print("✅ Step 3: scaled dot-product attention works")

# %% [markdown]
# ## Step 4 · Splitting a model dimension into heads
#
# One attention over the full model width `d_model` gives every query one way of choosing keys.
# **Multi-head attention** runs `h` smaller attentions side by side, each on its own slice of
# `head_dim = d_model / h` features, so one head can follow the previous word while another looks
# for the subject of the sentence. It costs the same as one big attention, because the heads are
# just a reshape of the same numbers:
#
# ```
# (N, T, d_model) --reshape--> (N, T, h, head_dim) --transpose(0, 2, 1, 3)--> (N, h, T, head_dim)
# ```
#
# After the transpose, the heads are a batch dimension, and your batched
# `scaled_dot_product_attention` handles all of them in one call: no Python loop over heads.
# `merge_heads` undoes it: transpose back to `(N, T, h, head_dim)`, then reshape to
# `(N, T, d_model)`.
#
# Careful: reshaping `(N, T, d_model)` *directly* to `(N, h, T, head_dim)` has the right shape
# but the wrong numbers: it cuts the flat memory into blocks that mix positions instead of
# features. The reshape must keep T where it is and split only the last axis.

# %% nbgrader={"grade": false, "grade_id": "split-heads", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def split_heads(x, n_heads):
    """(N, T, d_model) -> (N, n_heads, T, d_model // n_heads): head h holds features h*hd ... (h+1)*hd - 1."""
    n, t, d = x.shape
    ### BEGIN SOLUTION
    return x.reshape(n, t, n_heads, d // n_heads).transpose(0, 2, 1, 3)
    ### END SOLUTION


def merge_heads(x):
    """(N, n_heads, T, head_dim) -> (N, T, n_heads * head_dim): the inverse of split_heads."""
    n, h, t, hd = x.shape
    ### BEGIN SOLUTION
    return x.transpose(0, 2, 1, 3).reshape(n, t, h * hd)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-split-heads", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
x = Tensor(np.arange(12.0).reshape(1, 3, 4))   # 1 sequence, T = 3 positions, d_model = 4
heads = split_heads(x, 2)
expect(heads.shape, (1, 2, 3, 2), "split_heads((1, 3, 4), 2) has shape (1, 2, 3, 2)")
expect(heads.data[0, 0], [[0.0, 1.0], [4.0, 5.0], [8.0, 9.0]], "head 0 holds features 0-1 of every position")
expect(heads.data[0, 1], [[2.0, 3.0], [6.0, 7.0], [10.0, 11.0]], "head 1 holds features 2-3 of every position")
expect(merge_heads(heads).data, np.arange(12.0).reshape(1, 3, 4), "merge_heads(split_heads(x)) gives x back")
### BEGIN HIDDEN TESTS
_x = np.random.default_rng(4).normal(size=(2, 5, 12)).astype(np.float32)
expect(split_heads(Tensor(_x), 3).data, _x.reshape(2, 5, 3, 4).transpose(0, 2, 1, 3), "split into 3 heads of 4")
expect(merge_heads(split_heads(Tensor(_x), 4)).data, _x, "round trip with 4 heads of 3")
_xg = Tensor(_x).requires_grad_()
(split_heads(_xg, 3) * Tensor(np.arange(3.0).reshape(1, 3, 1, 1))).sum().backward()
expect(_xg.grad.data[0, 0], np.repeat(np.arange(3.0), 4).astype(np.float32),
       "the gradient of head h flows back to features h*4 ... h*4+3")
### END HIDDEN TESTS
print("✅ Step 4: split_heads and merge_heads work")

# %% [markdown]
# ## Step 5 · `MultiHeadAttention`
#
# Self-attention of a sequence `x` `(N, T, d_model)` with learned projections:
#
# ```
# q = split_heads(q_proj(x))      k = split_heads(k_proj(x))      v = split_heads(v_proj(x))
# out, weights = scaled_dot_product_attention(q, k, v, mask, causal)      (N, h, T, head_dim)
# y = out_proj(merge_heads(out))                                          (N, T, d_model)
# ```
#
# The four projections are module 03 `Linear(d_model, d_model, bias=bias, rng=rng)` layers,
# created in the order **q_proj, k_proj, v_proj, out_proj** (so a seeded `rng` gives everyone the
# same weights). `d_model` must be divisible by `n_heads`: raise a `ValueError` otherwise. Store
# `d_model`, `n_heads`, `head_dim` and `causal` as attributes.
#
# In `forward`, `mask` (optional) must broadcast to `(N, n_heads, T, T)`: a `(T, T)` mask
# applies to every sequence and head, an `(N, 1, 1, T)` mask hides padding keys per sequence.
# Keep the weights of the last call as a plain array in `self.last_weights` (`weights.data`),
# so that they can be plotted.
#
# PyTorch's `nn.MultiheadAttention` stores the three input projections as one `(3·d, d)` matrix
# (`in_proj_weight`) and runs one matmul instead of three; the result is the same.

# %% nbgrader={"grade": false, "grade_id": "mha", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class MultiHeadAttention(Module):
    """Multi-head self-attention over x (N, T, d_model). Like torch.nn.MultiheadAttention(batch_first=True)."""

    def __init__(self, d_model, n_heads, causal=False, bias=True, rng=None):
        """ValueError unless n_heads divides d_model; q_proj, k_proj, v_proj, out_proj: Linear(d_model, d_model)."""
        ### BEGIN SOLUTION
        if n_heads < 1 or d_model % n_heads != 0:
            raise ValueError(f"n_heads ({n_heads}) must divide d_model ({d_model})")
        self.d_model, self.n_heads, self.head_dim, self.causal = d_model, n_heads, d_model // n_heads, causal
        self.q_proj = Linear(d_model, d_model, bias=bias, rng=rng)
        self.k_proj = Linear(d_model, d_model, bias=bias, rng=rng)
        self.v_proj = Linear(d_model, d_model, bias=bias, rng=rng)
        self.out_proj = Linear(d_model, d_model, bias=bias, rng=rng)
        ### END SOLUTION
        self.last_weights = None

    def forward(self, x, mask=None):
        """x (N, T, d_model) -> (N, T, d_model); mask bool broadcastable to (N, n_heads, T, T), True = may attend."""
        x = _as_tensor(x)
        ### BEGIN SOLUTION
        q = split_heads(self.q_proj(x), self.n_heads)
        k = split_heads(self.k_proj(x), self.n_heads)
        v = split_heads(self.v_proj(x), self.n_heads)
        out, weights = scaled_dot_product_attention(q, k, v, mask=mask, causal=self.causal)
        self.last_weights = weights.data
        return self.out_proj(merge_heads(out))
        ### END SOLUTION

    def __repr__(self):
        return f"MultiHeadAttention(d_model={self.d_model}, n_heads={self.n_heads}, causal={self.causal})"


# %% nbgrader={"grade": true, "grade_id": "test-mha", "locked": true, "points": 20, "schema_version": 3, "solution": false, "task": false}
mha = MultiHeadAttention(4, 2, rng=np.random.default_rng(0))
expect((mha.n_heads, mha.head_dim), (2, 2), "4 features in 2 heads of 2")
expect([name for name, _ in mha.named_parameters()],
       ["q_proj.weight", "q_proj.bias", "k_proj.weight", "k_proj.bias", "v_proj.weight", "v_proj.bias",
        "out_proj.weight", "out_proj.bias"], "four Linear projections, in the order q, k, v, out")
for p in mha.parameters():
    p.data[...] = 0.0
mha.v_proj.weight.data[...] = np.eye(4)
mha.out_proj.weight.data[...] = np.eye(4)
x = Tensor([[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]])
expect_close(mha(x).data, [[[5.0, 6.0, 7.0, 8.0], [5.0, 6.0, 7.0, 8.0], [5.0, 6.0, 7.0, 8.0]]],
             "with q = k = 0 every weight is 1/3: every output is the mean of the values", rtol=1e-5, atol=1e-6)
expect_close(mha.last_weights, np.full((1, 2, 3, 3), 1 / 3), "last_weights (N, heads, T, T)", rtol=1e-5, atol=1e-7)
mha.causal = True
expect_close(mha(x).data, [[[1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0], [5.0, 6.0, 7.0, 8.0]]],
             "causal: position t averages the values of positions 0..t", rtol=1e-5, atol=1e-6)
with expect_raises(ValueError, "d_model = 6 cannot be split into 4 heads"):
    MultiHeadAttention(6, 4)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5)
_mha = MultiHeadAttention(8, 2, rng=_rng)
_Wq, _Wk, _Wv, _Wo = (_rng.normal(0, 0.5, (8, 8)).astype(np.float32) for _ in range(4))
_bo = _rng.normal(0, 0.5, 8).astype(np.float32)
for _m, _W in zip((_mha.q_proj, _mha.k_proj, _mha.v_proj, _mha.out_proj), (_Wq, _Wk, _Wv, _Wo)):
    _m.weight.data[...] = _W
    _m.bias.data[...] = 0.0
_mha.out_proj.bias.data[...] = _bo
_x = _rng.normal(size=(2, 4, 8)).astype(np.float32)
_y = _mha(Tensor(_x))
expect(_y.shape, (2, 4, 8), "(2, 4, 8) in, (2, 4, 8) out")
expect_close(_y.data, np.einsum("nhts,nsha->ntha",
                                np.exp(np.einsum("ntha,nsha->nhts", (_x @ _Wq).reshape(2, 4, 2, 4),
                                                 (_x @ _Wk).reshape(2, 4, 2, 4)) / 2)
                                / np.exp(np.einsum("ntha,nsha->nhts", (_x @ _Wq).reshape(2, 4, 2, 4),
                                                   (_x @ _Wk).reshape(2, 4, 2, 4)) / 2).sum(-1, keepdims=True),
                                (_x @ _Wv).reshape(2, 4, 2, 4)).reshape(2, 4, 8) @ _Wo + _bo,
             "random weights, 2 heads: out_proj(merge(softmax(Q Kᵀ / 2) V))", rtol=1e-4, atol=1e-5)
_pad = np.array([True, True, True, False]).reshape(1, 1, 1, 4)
_yp = _mha(Tensor(_x), mask=_pad)
expect_close(_mha.last_weights[..., 3], np.zeros((2, 2, 4), np.float32), "a padding mask (1, 1, 1, 4) hides key 3",
             rtol=0, atol=0)
_x2 = _x.copy()
_x2[:, 3] = 100.0
expect_close(_mha(Tensor(_x2), mask=_pad).data[:, :3] - _yp.data[:, :3], np.zeros((2, 3, 8)),
             "positions 0-2 do not depend on the hidden key 3", rtol=0, atol=1e-4)
_mha.zero_grad()
_mha(Tensor(_x)).sum().backward()
expect_close(_mha.out_proj.bias.grad.data, np.full(8, 8.0), "∂ sum(y) / ∂ out_proj.bias = N·T", rtol=1e-6, atol=0)
expect_close(_mha.v_proj.bias.grad.data, 8 * _Wo.sum(axis=1),
             "∂ sum(y) / ∂ v_proj.bias: every weights row sums to 1", rtol=1e-4, atol=1e-4)
expect(sum(p.grad is not None for p in _mha.parameters()), 8, "every projection gets a gradient")
with expect_raises(ValueError, "d_model = 10 cannot be split into 4 heads"):
    MultiHeadAttention(10, 4)
### END HIDDEN TESTS
print("✅ Step 5: MultiHeadAttention works")

# %% [markdown]
# ## Systems analysis
#
# Attention is built. Now measure what it costs, and look at what it does.
#
# ### 1. The T² wall
#
# For one sequence of T tokens, `h` heads and head width `hd`, attention computes
#
# | quantity | size | grows like |
# |---|---|---|
# | q, k, v, out | `4 · h · T · hd` numbers | T |
# | scores and weights | `h · T · T` numbers each | **T²** |
# | FLOPs of `q @ kᵀ` and `weights @ v` | `2 · 2 · h · T² · hd` | **T²** |
#
# The projections grow linearly in T; the attention matrix grows quadratically. Below we time one
# forward and backward of `scaled_dot_product_attention` for growing T (one sequence, 4 heads of
# 32) and count the bytes of the float32 weights matrix that the backward pass keeps.

# %% nbgrader={"grade": false, "grade_id": "analysis-scaling", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
from tinytorch_runtime.timing import measure


def attention_step(T, heads=4, head_dim=32, seed=0):
    rng = np.random.default_rng(seed)
    q, k, v = (Tensor(rng.normal(size=(1, heads, T, head_dim)).astype(np.float32)).requires_grad_()
               for _ in range(3))

    def step():
        out, _ = scaled_dot_product_attention(q, k, v, causal=True)
        out.sum().backward()
    return step


lengths = [64, 128, 256, 512, 1024]
timings = [measure(attention_step(T), repeats=3, warmup=1) for T in lengths]   # median of 3, BLAS on 1 thread
seconds = [t.median for t in timings]
weight_bytes = [4 * T * T * 4 for T in lengths]          # heads * T * T * 4 bytes (float32)
io_bytes = [4 * 4 * T * 32 * 4 for T in lengths]         # q, k, v, out: 4 arrays of heads * T * head_dim
for T, t, wb, ib in zip(lengths, timings, weight_bytes, io_bytes):
    print(f"T = {T:5d}: fwd+bwd {str(t):34s}   attention weights {wb / 2**20:7.2f} MiB   "
          f"q, k, v, out {ib / 2**20:5.2f} MiB")
growth = [seconds[i + 1] / seconds[i] for i in range(len(seconds) - 1)]
print("time ratio for each doubling of T:", ", ".join(f"{g:.1f}x" for g in growth), "(T² predicts 4x)")

fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 3.5))
ax_t.loglog(lengths, np.array(seconds) * 1e3, "o-", label="measured fwd + bwd")
ax_t.loglog(lengths, seconds[-1] * 1e3 * (np.array(lengths) / lengths[-1]) ** 2, "k--", label="∝ T²")
ax_t.set(xlabel="sequence length T", ylabel="ms", title="attention time")
ax_t.legend()
ax_m.loglog(lengths, np.array(weight_bytes) / 2**20, "o-", label="weights (h·T·T floats)")
ax_m.loglog(lengths, np.array(io_bytes) / 2**20, "s-", label="q, k, v, out (∝ T)")
ax_m.set(xlabel="sequence length T", ylabel="MiB", title="attention memory (one sequence)")
ax_m.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# At small T the time is dominated by fixed costs (Python, small matmuls), so the first doublings
# cost less than 4x; from a few hundred tokens on, each doubling of T costs about four times more.
# The memory line is exact: it is a formula. Scale it to a real model: GPT-2 small has 12 heads
# and 12 layers; at T = 8192 one layer's weights are 12 · 8192² · 4 bytes = 3 GiB per sequence,
# kept for the backward pass. **FlashAttention** (Dao et al., 2022) avoids storing the T × T
# matrix at all: it computes the softmax block by block with a running maximum and recomputes the
# blocks in the backward pass, trading a little extra compute for memory that grows only with T.
#
# ### 2. What attention looks at: a heat-map
#
# Attention is a soft dictionary lookup: each query is compared with every key and takes a
# weighted average of the values. To see it, give every character of a sentence a one-hot vector
# (a "key" that says which character it is) and use the same vectors, scaled up, as queries. With
# a causal mask, each position then attends to the earlier positions holding **the same
# character**, and to itself.

# %% nbgrader={"grade": false, "grade_id": "analysis-heatmap", "locked": true, "schema_version": 3, "solution": false, "task": false}
sentence = "the cat sat on the mat"
chars = sorted(set(sentence))
one_hot = np.eye(len(chars), dtype=np.float32)[[chars.index(c) for c in sentence]]
queries = Tensor(one_hot * 4.0 * np.sqrt(len(chars)))     # scaled so that a match dominates the softmax
_, lookup = scaled_dot_product_attention(queries, Tensor(one_hot), Tensor(one_hot), causal=True)

fig, ax = plt.subplots(figsize=(6.5, 5.5))
image = ax.imshow(lookup.data, cmap="viridis")
ax.set_xticks(range(len(sentence)), list(sentence))
ax.set_yticks(range(len(sentence)), list(sentence))
ax.set(xlabel="key position (what is looked at)", ylabel="query position (who is looking)",
       title="causal attention: each character looks for itself earlier")
fig.colorbar(image, ax=ax, shrink=0.8)
plt.tight_layout()
plt.show()
row = sentence.index("mat") + 2
print(f"query {row} ('{sentence[row]}') puts its weight on positions",
      np.flatnonzero(lookup.data[row] > 0.05).tolist(), "- every earlier 't', and itself")

# %% [markdown]
# The upper triangle is exactly zero (the causal mask), and each row splits its weight evenly
# among the earlier copies of its character. In a trained transformer the queries and keys come
# from learned projections (`q_proj`, `k_proj`), so heads learn their own notion of "a match":
# the previous token, the same word earlier, the verb's subject. You will train such heads in
# module 13.

# %% [markdown]
# ## Integration test
#
# Multi-head attention, masks and gradients together: a causal layer must not let a position see
# the future (changing later tokens leaves earlier outputs unchanged, and earlier outputs send no
# gradient to later inputs), and a few steps of gradient descent must reduce a loss that needs
# attention: every position has to output the **first** token's vector.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(7)
layer = MultiHeadAttention(8, 4, causal=True, rng=rng)
x = rng.normal(size=(2, 6, 8)).astype(np.float32)
y = layer(Tensor(x)).data
x_changed = x.copy()
x_changed[:, 4:] = rng.normal(size=(2, 2, 8))
expect_close(layer(Tensor(x_changed)).data[:, :4] - y[:, :4], np.zeros((2, 4, 8)),
             "causal: outputs 0-3 ignore changes at positions 4-5", rtol=0, atol=1e-6)
xt = Tensor(x).requires_grad_()
layer(xt)[:, 2].sum().backward()
expect(np.abs(xt.grad.data[:, 3:]).max(), 0.0, "output 2 sends no gradient to positions 3-5")
params = layer.parameters()
target = np.repeat(x[:, :1], 6, axis=1)
losses = []
for _ in range(60):
    for p in params:
        p.grad = None
    diff = layer(Tensor(x)) - Tensor(target)
    loss = (diff * diff).mean()
    loss.backward()
    for p in params:
        p.data -= 0.1 * p.grad.data
    losses.append(float(loss.data))
expect_close(round(losses[-1] / losses[0], 2), 0.07, "after 60 steps of gradient descent the loss ratio last/first",
             rtol=0, atol=0.03)
### BEGIN HIDDEN TESTS
expect_close(losses[:3], [1.2213004, 1.0513085, 0.92515278], "the first three losses", rtol=1e-4, atol=1e-6)
_layer = MultiHeadAttention(8, 2, causal=True, rng=np.random.default_rng(1))
_xt = Tensor(x).requires_grad_()
_layer(_xt, mask=causal_mask(6))[:, 0].sum().backward()
expect(np.abs(_xt.grad.data[:, 1:]).max(), 0.0, "output 0 sends no gradient to later positions")
### END HIDDEN TESTS
print("✅ Integration: causal multi-head attention learns")

# %% [markdown]
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences. Use numbers from your own runs
# where they help. These are graded by hand.

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-quadratic-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q1 (6 points): the T² wall.** (a) From your scaling table, how much longer did the forward
# and backward pass take when T went from 512 to 1024, and why is the ratio smaller for short
# sequences? (b) How many bytes does the attention-weights matrix of **one layer** need for a
# batch of 8 sequences of 4,096 tokens with 16 heads in float32? Show the calculation. (c) Name
# one way to attend over long sequences without storing that matrix, and what it costs instead.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-quadratic", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) About 3.5–4.5x (own number): scores, softmax and
# `weights @ v` all scale with T², so doubling T quadruples the work once it dominates; at small T
# fixed costs (Python overhead per operation, the O(T) parts, small matmuls that do not use the
# CPU fully) are a large part of the time, so the ratio is nearer 1–3x. (b) 8 · 16 · 4096² · 4 B
# = 8,589,934,592 B = 8 GiB (per layer, per copy: the scores add as much again if they are kept).
# (c) FlashAttention / memory-efficient attention: process keys in blocks with an online softmax
# (running max and sum), never materialise T × T, and recompute blocks in backward (extra FLOPs,
# memory O(T)); or restrict attention (sliding window / local attention, sparse patterns: less
# context), or linear/low-rank approximations (approximate results).
# Grading: (a) 2 points (own ratio near 4 + reason for small T), (b) 2 points (formula and
# result), (c) 2 points (a valid method with its cost).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-mask-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (6 points): masks.** (a) Many implementations add `-1e9` to masked scores instead of
# using `-inf`. Give one case where that is not the same as masking, and say what your
# implementation does for a fully masked row and why that matters in a batch with padding.
# (b) Why does a language model need the causal mask during *training*, although at generation
# time there are no future tokens to look at?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-mask", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) When real scores are themselves large (or in float16,
# where -1e9 overflows to -inf anyway, or a very large negative real score), `score - 1e9` may
# not be far below the allowed scores, so masked keys keep a small non-zero weight; and for a fully
# masked row every score is shifted by the same -1e9, so the softmax is *uniform* over keys
# that should all be hidden (the row silently averages padding). With `-inf`, masked weights are
# exactly 0; the fully masked row would be NaN (-inf - -inf), which our implementation turns into
# all zeros (max replaced by 0, division by 1). In a padded batch, padding queries have no valid
# key; a NaN there would propagate through the loss and every gradient and wreck training, zeros
# are harmless (the loss ignores padding positions anyway). (b) Training predicts every position
# of the sequence in parallel (teacher forcing): the input contains the whole text, so without
# the mask position t could read token t+1, the very answer it must predict; the model would
# learn to copy, get a near-zero training loss, and fail at generation, where the future is not
# available. The mask makes training match generation.
# Grading: (a) 4 points (a valid -1e9 failure 2, fully masked → zeros/NaN and why it matters 2),
# (b) 2 points (parallel training sees the answer otherwise).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-heads-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (6 points): heads.** (a) A `MultiHeadAttention(128, 4)` and a `MultiHeadAttention(128, 8)`:
# compare their numbers of parameters and the FLOPs of `q @ kᵀ` for one sequence of length T.
# What do more heads buy, and what do they cost? (b) Your `split_heads` uses a reshape and a
# transpose instead of a Python loop over heads. Why is that faster, and what does the transpose
# do (or not do) to the memory?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-heads", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Same parameters: four 128 × 128 projections + biases =
# 66,048 for both (heads do not change the projections). `q @ kᵀ`: h · T² · (128 / h) multiply-adds
# = 128 · T² for both: same FLOPs. More heads give more independent attention patterns (each head
# chooses its keys separately) but each head works in a smaller space (head_dim 16 instead of 32,
# less expressive dot products), and the attention-weights memory grows with h (h · T²), as do
# per-head overheads. (b) The reshape/transpose turns the heads into a batch dimension, so one
# batched matmul (one call into BLAS, one graph node) does all heads; a loop would make h times
# more Python calls, graph nodes and small matmuls. The transpose is a view: it changes strides,
# copies nothing; a copy happens only when a later operation needs contiguous memory (the reshape
# in merge_heads, or BLAS).
# Grading: (a) 3 points (same params/FLOPs 2, trade-off 1), (b) 3 points (batched single call 2,
# view/no copy 1).
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/attention.py`; module 13 builds a transformer from your `MultiHeadAttention`.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("12_attention");
