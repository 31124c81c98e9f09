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
# # Module 13 · Transformers
#
# **Expected time:** 3–4 hours. **Difficulty:** ★★★☆☆ (one real derivation, LayerNorm's
# backward; the rest is careful wiring of pieces you already have).
#
# You have every part of a GPT: tokens become vectors (module 11), attention lets positions talk
# to each other (module 12), layers, gradients, optimizers and a training loop (03–07). In this
# module you assemble them into **TinyGPT**, a decoder-only transformer with the architecture of
# GPT-2, and make it write:
#
# - **LayerNorm** as one fused `Function` with a hand-derived, vectorised backward;
# - the **MLP** (a 4x wider hidden layer with GELU);
# - the **pre-norm transformer block**: `x + attn(ln1(x))`, then `x + mlp(ln2(x))`;
# - **TinyGPT**: token and position embeddings, a stack of blocks, a final LayerNorm and a linear
#   head that scores every vocabulary entry as the next token;
# - **generate**: autoregressive sampling with temperature and top-k.
#
# The milestone script `milestones/tinygpt.py` trains this model on Tiny Shakespeare with your
# code; nanoGPT's CPU configuration of the same size reaches a validation loss of 1.88 nats per
# character, and so does yours.

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# PyTorch has the pieces (`nn.LayerNorm`, `nn.GELU`, `nn.MultiheadAttention`,
# `nn.TransformerDecoderLayer`), but most GPTs are written out by hand in about a hundred lines,
# as in Karpathy's nanoGPT:
#
# ```python
# class Block(nn.Module):
#     def forward(self, x):
#         x = x + self.attn(self.ln_1(x))       # pre-norm: normalise, attend, add back
#         x = x + self.mlp(self.ln_2(x))        # normalise, MLP, add back
#         return x
#
# class GPT(nn.Module):
#     def forward(self, idx):                   # idx (B, T) token ids
#         x = self.wte(idx) + self.wpe(torch.arange(T))
#         for block in self.h:
#             x = block(x)
#         return self.lm_head(self.ln_f(x))     # logits (B, T, vocab)
# ```
#
# ```
#  ids (N, T) ─► token emb + position emb ─► [ block ] × L ─► LayerNorm ─► Linear ─► logits (N, T, V)
#                                             │
#                     x ──┬──► LN ─► causal MHA ──► + ──┬──► LN ─► MLP (d → 4d → GELU → d) ──► +
#                         └────────────────────────┘    └─────────────────────────────────────┘
# ```
#
# | step | you implement | PyTorch equivalent |
# |---|---|---|
# | 1 | `LayerNormFunction` (forward, backward) | `nn.LayerNorm` / `F.layer_norm` |
# | 2 | `MLP(dim, hidden=None)` | `nn.Sequential(nn.Linear, nn.GELU("tanh"), nn.Linear)` |
# | 3 | `TransformerBlock.forward` | nanoGPT's `Block` |
# | 4 | `TinyGPT.forward` | nanoGPT's `GPT.forward` |
# | 5 | `TinyGPT.generate` | nanoGPT's `GPT.generate`, Hugging Face's `model.generate(do_sample=True)` |
#
# Differences from nanoGPT: the head is not tied to the token embedding (GPT-2 ties them; it
# saves `V · d` parameters), the layers keep their biases, and `generate` takes a `seed` so that
# samples can be reproduced (and graded).

# %% [markdown]
# ## Setup
#
# The first cell is exported into `tinytorch/transformers.py`. It imports your modules 02–12 and
# gives you two helpers: `language_model_loss` (module 04's cross-entropy over every position)
# and `sample_next` (the sampler `generate` uses, given so that every implementation draws the
# same tokens from the same seed).

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import math

import numpy as np
from tinytorch.activations import GELU
from tinytorch.attention import MultiHeadAttention
from tinytorch.autograd import Function, no_grad
from tinytorch.embeddings import Embedding, LearnedPositionalEncoding
from tinytorch.layers import Dropout, Linear, Module, Parameter
from tinytorch.losses import CrossEntropyLoss
from tinytorch.optimizers import Adam
from tinytorch.tensor import Tensor
from tinytorch_runtime import extend

__all__ = ["LayerNormFunction", "LayerNorm", "MLP", "TransformerBlock", "TinyGPT", "language_model_loss",
           "sample_next"]


def language_model_loss(logits, targets):
    """Given: mean cross-entropy of logits (N, T, V) against the next-token ids targets (N, T)."""
    n, t, v = logits.shape
    targets = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    return CrossEntropyLoss()(logits.reshape(n * t, v), targets.reshape(n * t))


def sample_next(probs, rng):
    """Given: one token id per row of probs (N, V), drawn with ONE uniform number per row from rng.

    Inverse-CDF sampling: the first id whose cumulative probability reaches u ~ U[0, 1).
    """
    u = rng.random(probs.shape[0])
    ids = (np.cumsum(probs, axis=-1) < u[:, None]).sum(axis=-1)
    return np.minimum(ids, probs.shape[-1] - 1).astype(np.int64)

# %% [markdown]
# The test cells check your results with three small functions (`expect`, `expect_close`,
# `expect_raises`). When a check fails, it shows what your code returned next to what was expected.

# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · LayerNorm, forward and backward
#
# Deep stacks of layers drift: the scale of the activations grows or shrinks block after block.
# **Layer normalisation** (Ba et al., 2016) resets every vector to mean 0 and variance 1 over its
# **features** (the last axis), then lets the network choose the scale and shift it wants with
# two learned vectors, `weight` (γ, ones at first) and `bias` (β, zeros):
#
# ```
# μ = mean(x)          σ² = mean((x − μ)²)           over the last axis, for each position
# x̂ = (x − μ) / √(σ² + ε)                            ε = 1e-5 keeps a constant vector finite
# y = γ ⊙ x̂ + β
# ```
#
# Unlike module 09's BatchNorm, nothing is averaged over the batch: every position is normalised on
# its own, so training and evaluation compute the same thing and the batch size does not matter.
# σ² is the **biased** variance (divide by D, not D − 1), as in PyTorch.
#
# Written with Tensor operations, LayerNorm makes about ten graph nodes, each keeping a
# `(N, T, D)` array. As one `Function` it saves only `x̂` and `1/√(σ² + ε)`. The backward, with
# `g = γ ⊙ ∂L/∂y` and the means taken over the last axis:
#
# ```
# ∂L/∂x = (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)) / √(σ² + ε)
# ∂L/∂γ = Σ ∂L/∂y ⊙ x̂          ∂L/∂β = Σ ∂L/∂y          (Σ over every axis but the last)
# ```
#
# (The two subtracted terms are what normalisation adds to a plain scaling: shifting every
# feature of x by the same amount, or scaling it, leaves x̂ unchanged, so the gradient has no
# component in those two directions.)
#
# Implement `forward(ctx, x, weight, bias, eps)` and `backward(ctx, grad)` (returning the three
# gradients, for x, weight and bias). The `LayerNorm` module below is given.

# %% nbgrader={"grade": false, "grade_id": "layernorm", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class LayerNormFunction(Function):
    """y = weight * (x - mean) / sqrt(var + eps) + bias over the last axis (biased variance)."""

    def forward(ctx, x, weight, bias, eps=1e-5):
        ### BEGIN SOLUTION
        centred = x - x.mean(axis=-1, keepdims=True)
        inv_std = 1.0 / np.sqrt((centred * centred).mean(axis=-1, keepdims=True) + eps)
        x_hat = centred * inv_std
        ctx.save_for_backward(x_hat, inv_std, weight)
        return x_hat * weight + bias
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        x_hat, inv_std, weight = ctx.saved
        leading = tuple(range(grad.ndim - 1))
        grad_weight = (grad * x_hat).sum(axis=leading)
        grad_bias = grad.sum(axis=leading)
        g = grad * weight
        grad_x = inv_std * (g - g.mean(axis=-1, keepdims=True) - x_hat * (g * x_hat).mean(axis=-1, keepdims=True))
        return grad_x, grad_weight, grad_bias
        ### END SOLUTION


class LayerNorm(Module):
    """Given: layer normalisation over the last axis. Like torch.nn.LayerNorm(dim, eps)."""

    def __init__(self, dim, eps=1e-5):
        self.dim, self.eps = dim, eps
        self.weight = Parameter(np.ones(dim, dtype=np.float32))
        self.bias = Parameter(np.zeros(dim, dtype=np.float32))

    def forward(self, x):
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.shape[-1] != self.dim:
            raise ValueError(f"LayerNorm({self.dim}) got vectors of width {x.shape[-1]}")
        return LayerNormFunction.apply(x, self.weight, self.bias, eps=self.eps)

    def __repr__(self):
        return f"LayerNorm({self.dim}, eps={self.eps})"


# %% nbgrader={"grade": true, "grade_id": "test-layernorm", "locked": true, "points": 16, "schema_version": 3, "solution": false, "task": false}
ln = LayerNorm(4)
x = Tensor([[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 2.0]]).requires_grad_()
y = ln(x)
expect_close(y.data, [[-1.3416355, -0.4472118, 0.4472118, 1.3416355], [0.0, 0.0, 0.0, 0.0]],
             "each row normalised to mean 0, biased variance 1 (ε = 1e-5); a constant row gives zeros",
             rtol=1e-5, atol=1e-6)
(y * Tensor([[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])).sum().backward()
expect_close(x.grad.data, [[0.2683303, -0.35776837, -0.089443435, 0.1788815],
                           [237.17082, -79.056942, -79.056942, -79.056942]],
             "∂L/∂x = (g − mean(g) − x̂·mean(g·x̂)) / √(σ² + ε) for g = [1, 0, 0, 0] "
             "(the constant row: x̂ = 0, but its gradient is scaled by 1/√ε)", rtol=1e-4, atol=1e-5)
expect_close(ln.weight.grad.data, [-1.3416355, 0.0, 0.0, 0.0], "∂L/∂weight = Σ ∂L/∂y · x̂ over the rows",
             rtol=1e-5, atol=1e-6)
expect_close(ln.bias.grad.data, [2.0, 0.0, 0.0, 0.0], "∂L/∂bias = Σ ∂L/∂y over the rows", rtol=1e-6, atol=0)
ln.weight.data[...] = [1.0, 2.0, 3.0, 4.0]
ln.bias.data[...] = 1.0
expect_close(ln(Tensor([[1.0, 2.0, 3.0, 4.0]])).data, [[-0.3416355, 0.1055764, 2.3416355, 6.366542]],
             "y = weight · x̂ + bias", rtol=1e-5, atol=1e-6)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(13)
_x = _rng.normal(3.0, 2.0, (2, 3, 6)).astype(np.float32)
_ln = LayerNorm(6)
_ln.weight.data[...] = _rng.normal(1.0, 0.5, 6)
_ln.bias.data[...] = _rng.normal(0.0, 0.5, 6)
_xt = Tensor(_x).requires_grad_()
_y = _ln(_xt)
expect_close(_y.data, (_x - _x.mean(-1, keepdims=True)) / np.sqrt(_x.var(-1, keepdims=True) + 1e-5) * _ln.weight.data
             + _ln.bias.data, "LayerNorm of a (2, 3, 6) input with random weight and bias", rtol=1e-4, atol=1e-5)
_g = _rng.normal(size=(2, 3, 6)).astype(np.float32)
_y.backward(_g)
expect_close(_xt.grad.data, ((_g * _ln.weight.data) - (_g * _ln.weight.data).mean(-1, keepdims=True)
                             - (_x - _x.mean(-1, keepdims=True)) / np.sqrt(_x.var(-1, keepdims=True) + 1e-5)
                             * ((_g * _ln.weight.data) * (_x - _x.mean(-1, keepdims=True))
                                / np.sqrt(_x.var(-1, keepdims=True) + 1e-5)).mean(-1, keepdims=True))
             / np.sqrt(_x.var(-1, keepdims=True) + 1e-5), "∂L/∂x for a random incoming gradient", rtol=1e-3, atol=1e-4)
expect_close(_ln.weight.grad.data, (_g * (_x - _x.mean(-1, keepdims=True)) / np.sqrt(_x.var(-1, keepdims=True) + 1e-5))
             .sum(axis=(0, 1)), "∂L/∂weight summed over batch and positions", rtol=1e-4, atol=1e-4)
expect_close(_ln.bias.grad.data, _g.sum(axis=(0, 1)), "∂L/∂bias summed over batch and positions", rtol=1e-4, atol=1e-5)
_ln2 = LayerNorm(3, eps=0.5)
expect_close(_ln2(Tensor([[0.0, 1.0, 2.0]])).data, [[-0.9258201, 0.0, 0.9258201]], "eps goes inside the square root",
             rtol=1e-5, atol=1e-6)
expect(str(_y.dtype), "float32", "float32 in, float32 out")
### END HIDDEN TESTS
print("✅ Step 1: LayerNorm works, forward and backward")

# %% [markdown]
# ## Step 2 · The MLP
#
# Attention mixes information **between** positions; the MLP then processes each position **on
# its own**, with the same weights everywhere. GPT uses a hidden layer 4 times wider than the
# model and the GELU activation (module 02, tanh approximation, as in GPT-2):
#
# ```
# (N, T, d) ─► fc1: Linear(d, 4d) ─► GELU ─► fc2: Linear(4d, d) ─► (N, T, d)
# ```
#
# Create the attributes **in this order and with these names**: `fc1`, `gelu`, `fc2`
# (`hidden` defaults to `4 * dim`; pass `rng` to both Linears). About two thirds of a
# transformer's parameters live in these two matrices.

# %% nbgrader={"grade": false, "grade_id": "mlp", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class MLP(Module):
    """fc1: Linear(dim, hidden) -> GELU -> fc2: Linear(hidden, dim); hidden defaults to 4 * dim."""

    def __init__(self, dim, hidden=None, rng=None):
        ### BEGIN SOLUTION
        hidden = 4 * dim if hidden is None else hidden
        self.fc1 = Linear(dim, hidden, rng=rng)
        self.gelu = GELU()
        self.fc2 = Linear(hidden, dim, rng=rng)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return self.fc2(self.gelu(self.fc1(x)))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-mlp", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
mlp = MLP(2, rng=np.random.default_rng(0))
expect([(name, p.shape) for name, p in mlp.named_parameters()],
       [("fc1.weight", (2, 8)), ("fc1.bias", (8,)), ("fc2.weight", (8, 2)), ("fc2.bias", (2,))],
       "MLP(2): fc1 (2 -> 8), then fc2 (8 -> 2)")
mlp.fc1.weight.data[...] = np.tile(np.eye(2, dtype=np.float32), 4)
mlp.fc2.weight.data[...] = np.tile(np.eye(2, dtype=np.float32), (4, 1)) / 4
expect_close(mlp(Tensor([[[1.0, -1.0], [2.0, 0.0]]])).data, [[[0.8411920, -0.1588080], [1.9545977, 0.0]]],
             "fc2(GELU(fc1(x))): here the GELU of each input feature", rtol=1e-5, atol=1e-6)
### BEGIN HIDDEN TESTS
_mlp = MLP(3, hidden=5, rng=np.random.default_rng(1))
expect(_mlp.fc1.weight.shape, (3, 5), "MLP(3, hidden=5)")
_x = np.random.default_rng(2).normal(size=(2, 4, 3)).astype(np.float32)
expect_close(_mlp(Tensor(_x)).data,
             0.5 * (_x @ _mlp.fc1.weight.data + _mlp.fc1.bias.data)
             * (1 + np.tanh(0.7978845608 * ((_x @ _mlp.fc1.weight.data + _mlp.fc1.bias.data)
                                            + 0.044715 * (_x @ _mlp.fc1.weight.data + _mlp.fc1.bias.data) ** 3)))
             @ _mlp.fc2.weight.data + _mlp.fc2.bias.data, "MLP of a random (2, 4, 3) input", rtol=1e-4, atol=1e-5)
### END HIDDEN TESTS
print("✅ Step 2: MLP works")

# %% [markdown]
# ## Step 3 · The pre-norm transformer block
#
# A block is two **residual** branches. Each one reads a normalised copy of `x`, computes
# something, and **adds** it back to `x`:
#
# ```
# x = x + dropout(attn(ln1(x)))        causal self-attention: positions exchange information
# x = x + dropout(mlp(ln2(x)))         per position processing
# ```
#
# The residual stream `x` itself is never normalised inside the block: the gradient of the loss
# reaches the first block through the `+` signs unchanged, however deep the stack. The original
# Transformer put the LayerNorm *after* the addition (post-norm, `x = ln(x + attn(x))`), which
# needs a careful learning-rate warm-up to train; GPT-2 moved it in front (pre-norm), which is
# what nearly every model since uses.
#
# The constructor is given (in attribute order: `ln1`, `attn` (a causal `MultiHeadAttention`),
# `ln2`, `mlp`, `dropout`). Implement `forward`.

# %% nbgrader={"grade": false, "grade_id": "block", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class TransformerBlock(Module):
    """Pre-norm GPT block: x + attn(ln1(x)), then x + mlp(ln2(x)); attention is causal."""

    def __init__(self, dim, num_heads, dropout=0.0, rng=None):
        self.ln1 = LayerNorm(dim)
        self.attn = MultiHeadAttention(dim, num_heads, causal=True, rng=rng)
        self.ln2 = LayerNorm(dim)
        self.mlp = MLP(dim, rng=rng)
        self.dropout = Dropout(dropout, rng=rng)

    def forward(self, x):
        """x (N, T, dim) -> (N, T, dim)."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        ### BEGIN SOLUTION
        x = x + self.dropout(self.attn(self.ln1(x)))
        return x + self.dropout(self.mlp(self.ln2(x)))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-block", "locked": true, "points": 14, "schema_version": 3, "solution": false, "task": false}
block = TransformerBlock(4, 2, rng=np.random.default_rng(0))
for p in block.parameters():
    p.data[...] = 0.0
x = Tensor([[[1.0, 2.0, 3.0, 4.0], [0.0, -1.0, 0.5, 2.0]]])
expect_close(block(x).data, [[[1.0, 2.0, 3.0, 4.0], [0.0, -1.0, 0.5, 2.0]]],
             "with every weight zero both branches add 0: the block returns x (the residual path)", rtol=0, atol=1e-6)
for i, (name, p) in enumerate(sorted(block.named_parameters(), key=lambda item: item[0])):
    p.data[...] = np.random.default_rng(i).normal(0.0, 0.5, p.shape)
expect_close(block(x).data, [[[3.3770704, -2.059288, -0.90597117, 3.1648731], [2.2888918, -4.9329996, -3.4129696, 1.1034999]]],
             "a block with seeded random weights (the parameters filled in sorted-name order)", rtol=1e-4, atol=1e-5)
### BEGIN HIDDEN TESTS
_x = np.random.default_rng(9).normal(size=(2, 5, 4)).astype(np.float32)
_y = block(Tensor(_x)).data
_x2 = _x.copy()
_x2[:, 3:] = 7.0
expect_close(block(Tensor(_x2)).data[:, :3] - _y[:, :3], np.zeros((2, 3, 4)), "causal: positions 0-2 ignore 3-4",
             rtol=0, atol=1e-5)
expect_close(_y[0, 0], [0.8089866, -2.4665811, -5.062336, -0.6669062], "a (2, 5, 4) input: output at batch 0, position 0", rtol=1e-4, atol=1e-5)
_xt = Tensor(_x).requires_grad_()
block.zero_grad()
block(_xt).sum().backward()
expect(sum(p.grad is not None for p in block.parameters()), 16, "every parameter of the block gets a gradient")
expect_close(block.ln1.bias.grad.data, [0.7475779, 0.8290409, 7.6381946, 2.8289502], "∂ sum(y) / ∂ ln1.bias", rtol=1e-3, atol=1e-4)
_drop = TransformerBlock(4, 2, dropout=0.5, rng=np.random.default_rng(3)).eval()
for _p in _drop.parameters():
    _p.data[...] = 0.1
expect_close(_drop(Tensor(_x)).data - _drop(Tensor(_x)).data, np.zeros((2, 5, 4)),
             "in eval mode dropout is off: two calls give the same output", rtol=0, atol=0)
### END HIDDEN TESTS
print("✅ Step 3: TransformerBlock works")

# %% [markdown]
# ## Step 4 · TinyGPT
#
# The whole model, for token ids `idx` of shape `(N, T)` with `T <= block_size`:
#
# ```
# x      = position_embedding(token_embedding(idx))      (N, T, dim)   module 11 (adds positions 0..T-1)
# x      = dropout(x)
# x      = block(x) for every block in self.blocks       (N, T, dim)
# logits = head(ln_f(x))                                 (N, T, vocab_size)
# ```
#
# `logits[n, t]` scores every vocabulary entry as the token that follows `idx[n, : t + 1]`; the
# causal attention guarantees it never saw `idx[n, t + 1:]`. So one forward pass over a sequence
# of T tokens trains T predictions at once.
#
# The constructor is given. It also re-initialises the weights as GPT-2 does: every matrix from
# N(0, 0.02²), and the two projections that write into the residual stream (`attn.out_proj` and
# `mlp.fc2`) with a standard deviation divided by √(2 · num_layers), so that the sum of
# 2 · num_layers residual branches starts at about the size of one. (Module 11's N(0, 1) token
# table would make the embeddings 50 times larger than the positions.)

# %% nbgrader={"grade": false, "grade_id": "tinygpt", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class TinyGPT(Module):
    """A GPT-2-style decoder-only transformer: ids (N, T) -> next-token logits (N, T, vocab_size)."""

    def __init__(self, vocab_size, block_size, dim, num_layers, num_heads, dropout=0.0, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.vocab_size, self.block_size, self.dim = vocab_size, block_size, dim
        self.num_layers, self.num_heads = num_layers, num_heads
        self.token_embedding = Embedding(vocab_size, dim, rng=rng)
        self.position_embedding = LearnedPositionalEncoding(block_size, dim, rng=rng)
        self.dropout = Dropout(dropout, rng=rng)
        self.blocks = [TransformerBlock(dim, num_heads, dropout, rng=rng) for _ in range(num_layers)]
        self.ln_f = LayerNorm(dim)
        self.head = Linear(dim, vocab_size, rng=rng)
        for name, p in self.named_parameters():
            if p.ndim == 2:
                std = 0.02 / math.sqrt(2 * num_layers) if name.endswith(("out_proj.weight", "fc2.weight")) else 0.02
                p.data[...] = rng.normal(0.0, std, p.shape)

    def forward(self, idx):
        """idx: int ids (N, T), T <= block_size (else ValueError) -> logits Tensor (N, T, vocab_size)."""
        idx = np.asarray(idx.data if isinstance(idx, Tensor) else idx)
        if idx.ndim != 2:
            raise ValueError(f"TinyGPT expects ids of shape (N, T), got shape {idx.shape}")
        if idx.shape[1] > self.block_size:
            raise ValueError(f"sequence length {idx.shape[1]} is longer than block_size {self.block_size}")
        ### BEGIN SOLUTION
        x = self.dropout(self.position_embedding(self.token_embedding(idx)))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))
        ### END SOLUTION

    def __repr__(self):
        return (f"TinyGPT(vocab_size={self.vocab_size}, block_size={self.block_size}, dim={self.dim}, "
                f"num_layers={self.num_layers}, num_heads={self.num_heads})")


# %% nbgrader={"grade": true, "grade_id": "test-tinygpt", "locked": true, "points": 16, "schema_version": 3, "solution": false, "task": false}
gpt = TinyGPT(vocab_size=5, block_size=4, dim=4, num_layers=2, num_heads=2, rng=np.random.default_rng(0))
for i, (name, p) in enumerate(sorted(gpt.named_parameters(), key=lambda item: item[0])):
    p.data[...] = np.random.default_rng(i).normal(0.0, 0.5, p.shape)
logits = gpt(np.array([[0, 1, 2], [4, 4, 3]]))
expect(logits.shape, (2, 3, 5), "ids (2, 3) give logits (2, 3, vocab_size = 5)")
expect_close(logits.data[0], [[-0.42997259, 0.439275, -0.011457106, -0.77997816, 0.4440164],
                              [-0.47253525, 0.42283311, 0.086031556, -0.84461403, 0.4447124],
                              [-0.33006871, 0.40919912, 0.098282151, -0.64924049, 0.35306358]],
             "logits of the first sequence (seeded weights, sorted-name order)", rtol=1e-4, atol=1e-5)
with expect_raises(ValueError, "5 tokens do not fit a block_size of 4"):
    gpt(np.zeros((1, 5), dtype=np.int64))
### BEGIN HIDDEN TESTS
expect_close(logits.data[1], [[-0.71238524, 0.39344546, 0.086244494, -1.1937147, 0.52924949],
                              [-0.71432859, 0.39350215, 0.079980128, -1.1965382, 0.53028399],
                              [-0.57212883, 0.42789698, 0.011376254, -0.98411393, 0.50234753]],
             "logits of the second sequence", rtol=1e-4, atol=1e-5)
_ids = np.array([[3, 1, 0, 2]])
_l = gpt(_ids).data
_ids2 = _ids.copy()
_ids2[0, 3] = 4
expect_close(gpt(_ids2).data[0, :3] - _l[0, :3], np.zeros((3, 5)), "logits at t depend only on ids 0..t",
             rtol=0, atol=1e-5)
_zero = TinyGPT(6, 4, 4, 1, 2, rng=np.random.default_rng(1))
for _name, _p in _zero.named_parameters():
    if _name.startswith("blocks"):
        _p.data[...] = 0.0
expect_close(_zero(_ids).data[0], ((_zero.token_embedding.weight.data[_ids[0]] + _zero.position_embedding.weight.data[:4]) - (_zero.token_embedding.weight.data[_ids[0]] + _zero.position_embedding.weight.data[:4]).mean(-1, keepdims=True))
             / np.sqrt((_zero.token_embedding.weight.data[_ids[0]] + _zero.position_embedding.weight.data[:4]).var(-1, keepdims=True) + 1e-5)
             @ _zero.head.weight.data + _zero.head.bias.data,
             "blocks that add nothing: logits = head(ln_f(token + position embeddings))", rtol=1e-4, atol=1e-5)
expect(TinyGPT(65, 64, 128, 4, 4, rng=np.random.default_rng(0)).num_parameters(), 818241,
       "parameters of the baby configuration (65 characters, block 64, dim 128, 4 layers, 4 heads)")
_gt = TinyGPT(5, 4, 4, 2, 2, rng=np.random.default_rng(4))
language_model_loss(_gt(_ids), np.array([[1, 0, 2, 3]])).backward()
expect(sum(p.grad is not None for p in _gt.parameters()), len(_gt.parameters()), "every parameter gets a gradient")
expect_close(_gt.head.bias.grad.data, [-0.049712427, -0.050416298, -0.049463425, -0.049928665, 0.19952078], "∂loss/∂head.bias",
             rtol=1e-4, atol=1e-6)
### END HIDDEN TESTS
print("✅ Step 4: TinyGPT works")

# %% [markdown]
# ## Step 5 · Generating text
#
# A language model writes one token at a time, feeding its own output back in:
#
# ```
# repeat max_new_tokens times:
#     context = idx[:, -block_size:]                  the model sees at most block_size tokens
#     logits  = model(context)[:, -1, :]              scores for the token after the last one (N, V)
#     temperature == 0: next = argmax(logits)         greedy: always the most likely token
#     otherwise:        logits = logits / temperature
#                       top_k: keep the top_k largest logits, set the others to -inf
#                       probs = softmax(logits)       (in float64)
#                       next = sample_next(probs, rng)
#     idx = append next as a new column
# ```
#
# - **Temperature** sharpens (< 1) or flattens (> 1) the distribution; as it goes to 0, sampling
#   becomes greedy.
# - **Top-k** removes the long tail of unlikely tokens, each of which is rare but which together
#   derail a sample surprisingly often. Keep every logit `>=` the k-th largest of its row.
# - Use `rng = np.random.default_rng(seed)` once, and the given `sample_next(probs, rng)` for every
#   draw, so that the same seed gives the same text (and your samples can be graded).
# - Generation is inference: run it under `no_grad()` and in `eval()` mode (no dropout), and put
#   the model back in the mode it was in afterwards.
#
# `idx` is an integer array `(N, T)`; return an `int64` ndarray `(N, T + max_new_tokens)` that
# starts with `idx`.

# %% nbgrader={"grade": false, "grade_id": "generate", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(TinyGPT)
def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, seed=None):
    """Append max_new_tokens sampled ids to idx (N, T); temperature 0 is greedy. Returns int64 (N, T + new)."""
    idx = np.array(idx.data if isinstance(idx, Tensor) else idx, dtype=np.int64)
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    was_training = self.training
    self.eval()
    with no_grad():
        for _ in range(max_new_tokens):
            logits = self(idx[:, -self.block_size:]).data[:, -1, :].astype(np.float64)
            if temperature == 0:
                next_ids = logits.argmax(axis=-1)
            else:
                logits = logits / temperature
                if top_k is not None:
                    kth = np.sort(logits, axis=-1)[:, -min(top_k, logits.shape[-1])][:, None]
                    logits = np.where(logits < kth, -np.inf, logits)
                probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
                next_ids = sample_next(probs / probs.sum(axis=-1, keepdims=True), rng)
            idx = np.concatenate([idx, next_ids[:, None].astype(np.int64)], axis=1)
    self.train(was_training)
    return idx
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-generate", "locked": true, "points": 16, "schema_version": 3, "solution": false, "task": false}
out = gpt.generate(np.array([[0, 1]]), max_new_tokens=6, temperature=0)
expect(out, [[0, 1, 4, 4, 4, 4, 4, 4]], "greedy generation (temperature 0) from [0, 1], beyond block_size = 4 (the context is cropped)")
expect(str(out.dtype), "int64", "generate returns int64 ids")
expect(gpt.generate(np.array([[0, 1]]), max_new_tokens=6, top_k=1, seed=5), [[0, 1, 4, 4, 4, 4, 4, 4]],
       "top_k = 1 keeps only the most likely token: the same as greedy")
expect(gpt.generate(np.array([[0, 1], [2, 3]]), max_new_tokens=5, seed=0), [[0, 1, 3, 0, 4, 2, 2], [2, 3, 1, 0, 4, 4, 4]],
       "sampling with seed 0 (temperature 1, sample_next for every draw)")
expect(gpt.training, True, "generate puts the model back in training mode")
### BEGIN HIDDEN TESTS
expect(gpt.generate(np.array([[4], [3], [2]]), max_new_tokens=4, temperature=0.7, top_k=3, seed=11), [[4, 1, 1, 1, 4], [3, 2, 1, 1, 2], [2, 2, 4, 4, 2]],
       "temperature 0.7, top-k 3, three sequences")
_many = gpt.generate(np.zeros((400, 1), dtype=np.int64), max_new_tokens=1, temperature=1.0, seed=1)[:, 1]
expect_close(np.bincount(_many, minlength=5) / 400, [0.125, 0.3225, 0.18, 0.1, 0.2725], "frequencies of 400 sampled first tokens",
             rtol=0, atol=0.05)
_hot = gpt.generate(np.zeros((400, 1), dtype=np.int64), max_new_tokens=1, temperature=100.0, seed=2)[:, 1]
expect_close(np.bincount(_hot, minlength=5) / 400, np.full(5, 0.2), "temperature 100: nearly uniform", rtol=0,
             atol=0.06)
_ev = TinyGPT(5, 4, 4, 1, 2, rng=np.random.default_rng(0)).eval()
_ev.generate(np.array([[1]]), 2, seed=0)
expect(_ev.training, False, "a model in eval mode stays in eval mode")
expect(gpt.generate(np.array([[0, 1]]), max_new_tokens=0).tolist(), [[0, 1]], "max_new_tokens = 0 returns idx")
### END HIDDEN TESTS
print("✅ Step 5: generate works")

# %% [markdown]
# ## Systems analysis
#
# TinyGPT is complete. Where do its parameters sit, how much memory does training need, and what
# does a training step cost? We use the milestone's "baby GPT" configuration: 65 characters,
# block 64, dim 128, 4 layers, 4 heads.
#
# ### 1. Parameters by component
#
# Per block: attention has four `d × d` matrices (4d² + 4d), the MLP two `d × 4d` matrices
# (8d² + 5d), the two LayerNorms 4d. So a block holds about **12 d²** parameters, and a GPT about
# 12 · L · d² plus its embeddings and head (`V · d` each, `block_size · d` for the positions).

# %% nbgrader={"grade": false, "grade_id": "analysis-parameters", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
from tinytorch.autograd import topological_order
from tinytorch_runtime.timing import measure

baby = TinyGPT(vocab_size=65, block_size=64, dim=128, num_layers=4, num_heads=4, rng=np.random.default_rng(0))


def component(name):
    if name.startswith("blocks"):
        return {"ln1": "LayerNorms", "ln2": "LayerNorms", "attn": "attention", "mlp": "MLP"}[name.split(".")[2]]
    return {"token_embedding": "token embedding", "position_embedding": "position embedding",
            "ln_f": "LayerNorms", "head": "LM head"}[name.split(".")[0]]


counts = {}
for name, p in baby.named_parameters():
    counts[component(name)] = counts.get(component(name), 0) + p.size
total = baby.num_parameters()
for part, n in sorted(counts.items(), key=lambda kv: -kv[1]):
    print(f"{part:20s} {n:9,d}  {100 * n / total:5.1f} %")
print(f"{'total':20s} {total:9,d}   (12·L·d² = {12 * 4 * 128**2:,d})")

fig, ax = plt.subplots(figsize=(7, 3))
names = sorted(counts, key=counts.get)
ax.barh(names, [counts[n] for n in names])
ax.set(xlabel="parameters", title=f"baby TinyGPT: {total:,d} parameters")
plt.tight_layout()
plt.show()

# %% [markdown]
# The MLPs hold two thirds of the block parameters and attention one third, as 8d² : 4d²
# predicts. With 65 characters the embeddings and the head are small; GPT-2 small has a
# 50,257-token vocabulary, and its embedding table alone is 38 M of its 124 M parameters.
#
# ### 2. Activation memory per block
#
# During training, each block's graph keeps arrays for the backward pass until `backward()` runs.
# We count the bytes of every array saved by the nodes of one block's forward pass (each buffer
# once, parameters excluded), for several batch sizes and sequence lengths, and separate out the
# `(N, heads, T, T)` attention weights.

# %% nbgrader={"grade": false, "grade_id": "analysis-activations", "locked": true, "schema_version": 3, "solution": false, "task": false}
def block_activation_bytes(block, n, t, dim=128, seed=0):
    """(all saved bytes, bytes of the T x T attention arrays) of one block's graph for an (n, t, dim) input."""
    x = Tensor(np.random.default_rng(seed).normal(size=(n, t, dim)).astype(np.float32)).requires_grad_()
    out = block(x)
    params = {id(p.data) for p in block.parameters()}
    seen, total, square = set(), 0, 0
    for node in topological_order(out.grad_fn):
        for arr in node.saved or ():
            if not isinstance(arr, np.ndarray):
                continue
            owner = arr
            while isinstance(owner.base, np.ndarray):
                owner = owner.base
            if id(owner) in seen or id(owner) in params:
                continue
            seen.add(id(owner))
            total += owner.nbytes
            if owner.ndim == 4 and owner.shape[-2:] == (t, t):
                square += owner.nbytes
    return total, square


block = baby.blocks[0]
batches, lengths = [1, 2, 4, 8], [16, 32, 64, 128, 256]
by_batch = [block_activation_bytes(block, n, 64) for n in batches]
by_length = [block_activation_bytes(block, 4, t) for t in lengths]
for n, (total, square) in zip(batches, by_batch):
    print(f"batch {n:3d}, T  64: {total / 2**20:7.2f} MiB per block ({square / 2**20:5.2f} MiB T×T weights)")
for t, (total, square) in zip(lengths, by_length):
    print(f"batch   4, T {t:3d}: {total / 2**20:7.2f} MiB per block ({square / 2**20:5.2f} MiB T×T weights), "
          f"{total / (4 * t):8,.0f} bytes per token")

fig, (ax_b, ax_t) = plt.subplots(1, 2, figsize=(10, 3.5))
ax_b.plot(batches, [b[0] / 2**20 for b in by_batch], "o-", label="all saved arrays")
ax_b.plot(batches, [b[1] / 2**20 for b in by_batch], "s--", label="attention weights (T×T)")
ax_b.set(xlabel="batch size (T = 64)", ylabel="MiB per block", title="grows linearly with the batch")
ax_b.legend()
ax_t.plot(lengths, [b[0] / 2**20 for b in by_length], "o-", label="all saved arrays")
ax_t.plot(lengths, [b[1] / 2**20 for b in by_length], "s--", label="attention weights (T×T)")
ax_t.set(xlabel="sequence length T (batch 4)", ylabel="MiB per block", title="the T² part takes over")
ax_t.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Per token, a block keeps a fixed number of `d`- and `4d`-wide vectors (the inputs of every
# matmul, the LayerNorm outputs, the GELU input...): the linear part. The attention weights add
# `heads · T` floats per token, which is small at T = 64 and dominates at a few hundred tokens.
# Multiply by the number of layers for the model: activation memory, not the 3 MiB of weights,
# is what limits the batch size and the context length you can train.
#
# ### 3. What a training step costs
#
# One step of the milestone: forward on a batch of 12 sequences of 64 characters, the loss,
# backward and an Adam update.

# %% nbgrader={"grade": false, "grade_id": "analysis-step", "locked": true, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(0)
ids = rng.integers(0, 65, (12, 65))
optimizer = Adam(baby.parameters(), lr=1e-3)


def train_step():
    optimizer.zero_grad()
    loss = language_model_loss(baby(ids[:, :-1]), ids[:, 1:])
    loss.backward()
    optimizer.step()


print(f"initial loss {float(language_model_loss(baby(ids[:, :-1]), ids[:, 1:]).data):.3f} "
      f"vs ln(65) = {math.log(65):.3f} for a uniform guess")
step_time = measure(train_step, repeats=2, warmup=0)
print(f"one training step: {step_time}; 2,000 steps ≈ {2000 * step_time.median / 60:.1f} min on one thread")

# %% [markdown]
# ## Integration test: memorise a sentence, then recite it
#
# Train a one-layer TinyGPT on one short text with Adam, then let it write greedily from the first
# five characters ("the c"). A model that trains end to end (embeddings, LayerNorm, attention, MLP, head,
# gradients of all of them) reproduces the text.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
text = "the cat sat on the mat. "
chars = sorted(set(text))
data = np.array([chars.index(c) for c in text * 3])
model = TinyGPT(len(chars), block_size=16, dim=32, num_layers=1, num_heads=2, rng=np.random.default_rng(0))
opt = Adam(model.parameters(), lr=1e-2)
windows = np.stack([data[i:i + 17] for i in range(len(text))])
losses = []
for step in range(80):
    opt.zero_grad()
    loss = language_model_loss(model(windows[:, :-1]), windows[:, 1:])
    loss.backward()
    opt.step()
    losses.append(float(loss.data))
expect_close(losses[0], 2.4344, "the first loss is near ln(12) = 2.48, a uniform guess over 12 characters", rtol=0, atol=0.05)
expect_close(losses[-1], 0.07, "after 80 steps the text is memorised (loss near 0)", rtol=0, atol=0.05)
written = model.generate(data[None, :5], max_new_tokens=18, temperature=0)
expect("".join(chars[i] for i in written[0]), "the cat sat on the mat.", "greedy generation recites the text")
### BEGIN HIDDEN TESTS
_sampled = model.generate(data[None, 8:16], max_new_tokens=16, top_k=2, seed=3)
expect("".join(chars[i] for i in _sampled[0]), "sat on the mat. the cat ", "top-k sampling recites it too")
### END HIDDEN TESTS
print("✅ Integration: TinyGPT learns and writes")

# %% [markdown]
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences. Use numbers from your own runs
# where they help. These are graded by hand.

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-residual-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q1 (6 points): residuals and pre-norm.** (a) In your test, a block whose weights are all zero
# returned its input unchanged. Why is that a good starting point for a deep stack, and what does
# the `+` do for the gradient that reaches the first block? (b) What changes if the LayerNorm is
# moved after the addition (post-norm, `x = ln1(x + attn(x))`)? (c) Why does LayerNorm normalise
# over the features of each position rather than over the batch as BatchNorm does?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-residual", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Each block starts near the identity, so a stack of L blocks
# starts as a shallow model and every block only has to learn a correction; nothing blows up or
# vanishes with depth. The gradient of `x + f(x)` w.r.t. x is `I + ∂f/∂x`: the identity term carries
# the loss gradient unchanged down the residual stream to the first block and the embeddings,
# whatever the depth (no product of many Jacobians). (b) Post-norm puts a LayerNorm on the residual
# stream itself after every block: the gradient must pass through L LayerNorms (their Jacobians
# rescale it), the identity path is gone, and the original Transformer needed learning-rate
# warm-up to train stably; pre-norm trains deep stacks with less tuning (the final `ln_f` then
# normalises the stream once at the end). (c) Each position is normalised on its own: no
# dependence on the batch size or on other sequences (padding, batch 1 at generation), the same
# computation in training and evaluation (no running statistics), and it works for variable
# sequence lengths; batch statistics over tokens of different positions/sequences are noisy and
# would leak information between sequences.
# Grading: (a) 2 points (identity start + gradient path I + ∂f/∂x), (b) 2 points (LN on the
# stream, harder optimisation / warm-up), (c) 2 points (per position, batch-independent, same in
# train and eval).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-memory-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (6 points): where the memory goes.** Use your analysis numbers. (a) How many parameters does
# the baby TinyGPT have, and how many bytes do they take with AdamW's two moment buffers and the
# gradients (all float32)? (b) How many bytes per token did one block keep at T = 64 and at
# T = 256, and which term explains the difference? (c) Estimate the activation memory of the
# milestone's training step (batch 12, T = 64, 4 layers) and compare it with (a).

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-memory", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) 818,241 parameters; weights + gradients + Adam's m and v =
# 4 × 818,241 × 4 B ≈ 13.1 MB (12.5 MiB). (b) About 11.8 KB per token at T = 64 and 14.9 KB at
# T = 256 (the byte counts are deterministic; students quote theirs). The linear part (d- and
# 4d-wide vectors saved per token: matmul inputs, LayerNorm x̂, the GELU input and tanh, the q, k, v
# copies...) is the same per token; the difference, 3,072 B, is the attention weights: heads × T
# floats per token = 4 × (256 − 64) × 4 B, i.e. the T² term. (c) ≈ 11.8 KB × 12 × 64 tokens × 4
# layers ≈ 36 MB (plus the embeddings, ln_f, head and loss; the logits 768 × 65 are small): about
# three times the 13 MB of weights, gradients and Adam state, and growing with batch and T while
# the parameter memory stays fixed.
# Grading: (a) 2 points (count and ×4 for weights, grads, m, v), (b) 2 points (numbers + T² term),
# (c) 2 points (a reasonable estimate and the comparison).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-generate-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (6 points): generation.** (a) What do temperature 0, temperature 1 and a large
# temperature do to the text, and what problem does top-k address? (b) Your `generate` runs the
# whole context through the model for every new token. Roughly how does the cost of producing
# the t-th token grow with t (up to `block_size`), and how does the whole generation of n tokens
# grow with n? What could be reused from the previous step instead (module 17)?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-generate", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Temperature 0 is greedy: deterministic, often repetitive loops.
# Temperature 1 samples from the model's own distribution: varied text with the model's
# statistics. A large temperature flattens the distribution toward uniform: random characters,
# no structure. Top-k cuts the long tail: thousands of individually unlikely tokens together
# carry noticeable probability, and one bad draw derails the rest of the text; keeping the k best
# avoids those while keeping variety. (b) The t-th token re-runs the model on t tokens: the
# projections and MLP cost O(t · d²) and attention O(t² · d), so the t-th step is O(t) to O(t²) and
# n tokens cost O(n²) to O(n³) in total (once t reaches block_size the cost per token is constant,
# but large). The keys and values of earlier positions do not change when a token is appended
# (causal attention), so they can be cached: a KV cache computes only the new token's q, k, v and
# attends over the cached keys, making each step O(t · d) for attention plus O(d²) for the rest.
# Grading: (a) 3 points (three temperatures 2, top-k 1), (b) 3 points (growth 2, KV cache reuse 1).
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/transformers.py`. Then train your model on Shakespeare:
# `python milestones/tinygpt.py` (see the course README).

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("13_transformers");
