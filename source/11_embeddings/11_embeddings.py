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
# # Module 11 · Embeddings
#
# **Expected time:** 2–3 hours. **Difficulty:** ★★☆☆☆ (short code; the backward pass has one
# classic trap, repeated ids).
#
# A language model reads **token ids**: integers such as `[46, 43, 50, 50, 53]` for "hello" with a
# character vocabulary (module 10). A network cannot multiply an id by a weight: id 50 is not
# "twice" id 25. An **embedding** gives every id its own learned vector, one row of a table:
#
# ```
# weight (vocab_size x dim)          ids (2, 3)            output (2, 3, dim)
#  row 0  [ 0.1 -0.3  0.7 ...]        [[4, 0, 4],    ->     [[w4, w0, w4],
#  row 1  [ ...              ]         [1, 2, 3]]             [w1, w2, w3]]
#  ...
# ```
#
# Attention (module 12) treats its input as a *set*: shuffle the tokens and every output is
# shuffled the same way. So the model also needs to know **where** each token sits: a
# **positional encoding** added to the token vectors. You build both kinds used in practice:
# the fixed sine/cosine table of the original Transformer and the learned table of GPT-2.
#
# After this module, the first line of the TinyGPT of module 13 is yours:
#
# ```python
# x = token_embedding(ids) + position(ids.shape[1])     # (batch, T, dim)
# ```

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# ```python
# import torch
# emb = torch.nn.Embedding(num_embeddings=65, embedding_dim=128)   # weight ~ N(0, 1), shape (65, 128)
# x = emb(torch.tensor([[4, 0, 4]]))                               # (1, 3, 128): rows 4, 0, 4
# x.sum().backward()
# emb.weight.grad[4]                                               # all 2.0: row 4 was used twice
# ```
#
# `torch.nn.Embedding` is a **gather** (`weight[ids]`, the same as multiplying a one-hot matrix by
# `weight`, without building the one-hot matrix) and its backward is a **scatter-add**: the
# gradient of each output row is *added* into the row of `weight` it came from. A token that
# appears twice receives two contributions. PyTorch can also return this gradient as a sparse
# tensor (`Embedding(..., sparse=True)`), because only the rows of the tokens in the batch are
# non-zero; TinyTorch keeps it dense.
#
# Positions: the Transformer paper ("Attention Is All You Need", 2017) adds a fixed table of
# sines and cosines; GPT-2 and nanoGPT learn a second embedding table indexed by position
# (`self.wpe = nn.Embedding(block_size, n_embd)`); newer models rotate queries and keys instead
# (RoPE, not built here).
#
# | step | you build | PyTorch equivalent |
# |---|---|---|
# | 1 | `EmbeddingFunction`: gather forward, scatter-add backward | `torch.nn.functional.embedding` |
# | 2 | `Embedding(num_embeddings, embedding_dim)` with id checks | `torch.nn.Embedding` |
# | 3 | `sinusoidal_positions(max_len, dim)` | the table of Vaswani et al. (no torch built-in) |
# | 4 | `SinusoidalPositionalEncoding` | (a buffer added to the input) |
# | 5 | `LearnedPositionalEncoding` | nanoGPT's `wpe` |
# | 6 | `embedding_memory_bytes` | what `emb.weight.nbytes` costs to train |

# %% [markdown]
# ## Setup
#
# The first cell is exported into `tinytorch/embeddings.py`. It imports your `Tensor` (with the
# gradients of module 05), `Function`, and `Module`/`Parameter` from module 03.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import numpy as np
from tinytorch.autograd import Function
from tinytorch.layers import Module, Parameter
from tinytorch.tensor import Tensor

__all__ = ["EmbeddingFunction", "Embedding", "sinusoidal_positions", "SinusoidalPositionalEncoding",
           "LearnedPositionalEncoding", "embedding_memory_bytes"]

# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · The lookup as a `Function`: gather forward, scatter-add backward
#
# **Forward.** With `weight` of shape `(V, D)` and an integer array `ids` of any shape,
# NumPy's integer-array indexing does the whole lookup in one vectorised operation:
#
# ```python
# weight[ids]          # ids (2, 3) -> (2, 3, D): out[b, t] = weight[ids[b, t]]
# ```
#
# **Backward.** Think of the lookup as `one_hot(ids) @ weight`. Its gradient with respect to
# `weight` is `one_hot(ids).T @ grad`: row `v` of the weight gradient is the **sum** of the output
# gradients at every position where `ids == v`. Rows of tokens that did not occur get zero.
#
# ```
# ids  = [4, 0, 4]          grad (3, D) = [g0, g1, g2]
# grad_weight[4] = g0 + g2  grad_weight[0] = g1     every other row: 0
# ```
#
# The trap: `grad_weight[ids] += grad` looks right, but NumPy evaluates it as
# `grad_weight[ids] = grad_weight[ids] + grad`, and when an index repeats, **the last write wins**:
# row 4 would get `g2` instead of `g0 + g2`. Use the unbuffered scatter-add `np.add.at`:
#
# ```python
# np.add.at(grad_weight, ids.reshape(-1), grad.reshape(-1, D))   # repeated ids add up
# ```
#
# Implement `forward(ctx, weight, ids)` (save on `ctx` what backward needs: the ids and the number
# of rows) and `backward(ctx, grad)`, which returns one gradient per input: the weight gradient,
# same shape and dtype as `weight`, and `None` for the ids (integers have no gradient).

# %% nbgrader={"grade": false, "grade_id": "embedding-function", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class EmbeddingFunction(Function):
    """out = weight[ids]; backward scatter-adds grad into the rows used. Like torch.nn.functional.embedding."""

    def forward(ctx, weight, ids):
        """weight: (V, D) array, ids: integer array of any shape -> (*ids.shape, D)."""
        ### BEGIN SOLUTION
        ctx.ids = ids
        ctx.num_embeddings = weight.shape[0]
        return weight[ids]
        ### END SOLUTION

    def backward(ctx, grad):
        """grad: (*ids.shape, D) -> (grad_weight (V, D) with repeated ids summed, None)."""
        ### BEGIN SOLUTION
        dim = grad.shape[-1]
        grad_weight = np.zeros((ctx.num_embeddings, dim), dtype=grad.dtype)
        np.add.at(grad_weight, ctx.ids.reshape(-1), grad.reshape(-1, dim))
        return grad_weight, None
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-embedding-function", "locked": true, "points": 16, "schema_version": 3, "solution": false, "task": false}
table = Tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
table.requires_grad = True
looked_up = EmbeddingFunction.apply(table, np.array([[2, 0], [2, 3]]))
expect(looked_up.shape, (2, 2, 3), "ids of shape (2, 2) should give rows of shape (2, 2, 3)")
expect(looked_up.data, [[[6, 7, 8], [0, 1, 2]], [[6, 7, 8], [9, 10, 11]]], "each id should select its row")
looked_up.backward(np.ones((2, 2, 3), dtype=np.float32))
expect(table.grad.data, [[1, 1, 1], [0, 0, 0], [2, 2, 2], [1, 1, 1]],
       "row 2 was used twice: its gradient should be the sum of both (unused row 1 gets 0)")
### BEGIN HIDDEN TESTS
_w = Tensor(np.random.default_rng(3).normal(size=(6, 4)).astype(np.float32))
_w.requires_grad = True
_ids = np.array([5, 5, 5, 1, 0, 5, 1])
_g = np.random.default_rng(4).normal(size=(7, 4)).astype(np.float32)
_out = EmbeddingFunction.apply(_w, _ids)
expect_close(_out.data, _w.data[_ids], "a 1-D ids array should gather rows", rtol=0, atol=0)
_out.backward(_g)
expect_close(_w.grad.data, np.eye(6, dtype=np.float32)[_ids].T @ _g,
             "an id repeated four times should get the sum of four gradients", rtol=1e-6, atol=1e-6)
expect(str(_w.grad.dtype), "float32", "the weight gradient should keep the weight's dtype")
_w3 = Tensor(np.ones((3, 2), np.float32))
_w3.requires_grad = True
_o3 = EmbeddingFunction.apply(_w3, np.array(1))
expect(_o3.shape, (2,), "a single (0-d) id should give one row")
_o3.backward(np.array([1.0, 2.0], np.float32))
expect(_w3.grad.data, [[0, 0], [1, 2], [0, 0]], "a 0-d id should send its gradient to one row")
### END HIDDEN TESTS
print("✅ Step 1: gather forward and scatter-add backward work")

# %% [markdown]
# ## Step 2 · The `Embedding` layer
#
# `Embedding(num_embeddings, embedding_dim, rng=None)` is a `Module` with one `Parameter`:
#
# - `weight`, shape `(num_embeddings, embedding_dim)`, drawn from N(0, 1) like PyTorch:
#   `rng.standard_normal((num_embeddings, embedding_dim))` as float32, with
#   `rng = np.random.default_rng()` when none is given;
# - `num_embeddings` and `embedding_dim` stored as attributes.
#
# `forward(ids)` accepts an integer ndarray, a list or an integer `Tensor`, of any shape, and
# returns `EmbeddingFunction.apply(self.weight, ids)`. Check the ids first, as PyTorch does:
#
# - not integers (floats, e.g. a Tensor that became float32) → `TypeError`;
# - any id `< 0` or `>= num_embeddings` → `IndexError` naming the id. Careful: NumPy would
#   happily accept `-1` (the last row), which hides off-by-one bugs in data pipelines.

# %% nbgrader={"grade": false, "grade_id": "embedding", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Embedding(Module):
    """A learned table of vectors, one row per token id. Like torch.nn.Embedding."""

    def __init__(self, num_embeddings, embedding_dim, rng=None):
        """weight: Parameter (num_embeddings, embedding_dim) ~ N(0, 1) float32 drawn with `rng`."""
        ### BEGIN SOLUTION
        rng = np.random.default_rng() if rng is None else rng
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.weight = Parameter(rng.standard_normal((num_embeddings, embedding_dim)).astype(np.float32))
        ### END SOLUTION

    def forward(self, ids):
        """ids: integer array/list/Tensor of any shape -> Tensor (*ids.shape, embedding_dim)."""
        ### BEGIN SOLUTION
        ids = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"Embedding ids must be integers, got dtype {ids.dtype}")
        bad = ids[(ids < 0) | (ids >= self.num_embeddings)]
        if bad.size:
            raise IndexError(f"id {bad.flat[0]} is out of range for an Embedding of {self.num_embeddings} rows")
        return EmbeddingFunction.apply(self.weight, ids)
        ### END SOLUTION

    def __repr__(self):
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"


# %% nbgrader={"grade": true, "grade_id": "test-embedding", "locked": true, "points": 14, "schema_version": 3, "solution": false, "task": false}
emb = Embedding(1000, 16, rng=np.random.default_rng(0))
expect(emb.weight.shape, (1000, 16), "weight should have shape (num_embeddings, embedding_dim)")
expect(str(emb.weight.dtype), "float32", "weight should be float32")
expect(len(emb.parameters()), 1, "the weight should be the layer's only Parameter")
expect_close(float(emb.weight.data.std()), 1.0, "weights should be drawn from N(0, 1)", rtol=0, atol=0.05)
small = Embedding(5, 2, rng=np.random.default_rng(1))
out = small(np.array([[1, 1, 4]]))
expect(out.shape, (1, 3, 2), "ids (1, 3) should give (1, 3, embedding_dim)")
expect_close(out.data[0, 2] - small.weight.data[4], [0.0, 0.0], "id 4 should give row 4 of the weight",
             rtol=0, atol=0)
out.sum().backward()
expect(small.weight.grad.data, [[0, 0], [2, 2], [0, 0], [0, 0], [1, 1]],
       "the layer's gradient should count id 1 twice and id 4 once")
with expect_raises(IndexError, "an id equal to num_embeddings should raise IndexError"):
    small(np.array([0, 5]))
### BEGIN HIDDEN TESTS
with expect_raises(IndexError, "a negative id should raise IndexError (NumPy would wrap it around)"):
    small(np.array([[2, -1]]))
with expect_raises(TypeError, "float ids should raise TypeError"):
    small(Tensor([1.0, 2.0]))
_e = Embedding(7, 3, rng=np.random.default_rng(5))
_ids_t = Tensor(np.array([[6, 0], [3, 3]], dtype=np.int64), dtype=np.int64)
_o = _e(_ids_t)
expect_close(_o.data - _e.weight.data[[[6, 0], [3, 3]]], np.zeros((2, 2, 3)), "an integer Tensor of ids should work too",
             rtol=0, atol=0)
expect_close(_e([2, 2, 2]).data - _e.weight.data[2], np.zeros((3, 3)), "a list of ids should work too", rtol=0, atol=0)
expect(_e(np.array(4, dtype=np.uint8)).shape, (3,), "a 0-d uint8 id should give one row")
_e1 = Embedding(3, 2)
expect(_e1.weight.shape, (3, 2), "without rng the layer should still be created")
expect_close(float(Embedding(200, 50, rng=np.random.default_rng(9)).weight.data.mean()), 0.0,
             "weights should have mean 0", rtol=0, atol=0.02)
### END HIDDEN TESTS
print("✅ Step 2: Embedding works")

# %% [markdown]
# ## Step 3 · The sinusoidal position table
#
# The original Transformer gives position `pos` a fixed vector of sines and cosines at
# geometrically spaced frequencies. Column pairs `(2i, 2i + 1)` share one frequency:
#
# $$PE[pos, 2i] = \sin\left(\frac{pos}{10000^{2i/d}}\right), \qquad
#   PE[pos, 2i+1] = \cos\left(\frac{pos}{10000^{2i/d}}\right)$$
#
# so column 0 is `sin(pos)` (a wavelength of 2π positions) and the last pair has a wavelength of
# almost 10000·2π: every position gets a distinct pattern, like the digits of a clock with very
# many hands. For `d = 4`:
#
# ```
# pos 0: [sin 0,   cos 0,   sin 0,       cos 0      ] = [0, 1, 0, 1]
# pos 1: [sin 1,   cos 1,   sin 0.01,    cos 0.01   ]
# pos 2: [sin 2,   cos 2,   sin 0.02,    cos 0.02   ]      (10000^(2/4) = 100)
# ```
#
# Implement `sinusoidal_positions(max_len, dim)` returning a float32 array `(max_len, dim)`,
# vectorised (no loop over positions). Compute the angles in float64 and convert at the end.
# Two details that tests check:
#
# - the exponent is `2i / d`, where `2i` is the **even column index** (0, 2, 4, ...), not `i`;
# - columns are **interleaved** (sin in even columns, cos in odd ones), not a block of sines
#   followed by a block of cosines (another common layout, but not this one);
# - an odd `dim` works: the last column is a sine of the next frequency.

# %% nbgrader={"grade": false, "grade_id": "sinusoidal-positions", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def sinusoidal_positions(max_len, dim):
    """The (max_len, dim) float32 table of Vaswani et al.: sin in even columns, cos in odd columns."""
    ### BEGIN SOLUTION
    positions = np.arange(max_len, dtype=np.float64)[:, None]
    even_columns = np.arange(0, dim, 2, dtype=np.float64)
    angles = positions / 10000.0 ** (even_columns / dim)
    table = np.zeros((max_len, dim), dtype=np.float64)
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles[:, : dim // 2])
    return table.astype(np.float32)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-sinusoidal-positions", "locked": true, "points": 14, "schema_version": 3, "solution": false, "task": false}
pe = sinusoidal_positions(3, 4)
expect(pe.shape, (3, 4), "the table should have shape (max_len, dim)")
expect(str(pe.dtype), "float32", "the table should be float32")
expect_close(pe, [[0.0, 1.0, 0.0, 1.0],
                  [0.84147098, 0.54030231, 0.00999983, 0.99995000],
                  [0.90929743, -0.41614684, 0.01999867, 0.99980001]],
             "PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...), interleaved", rtol=1e-5, atol=1e-6)
pe8 = sinusoidal_positions(50, 8)
expect_close(pe8[49, 6:], [0.04898039, 0.99879974], "the slowest pair of a (50, 8) table at position 49",
             rtol=1e-4, atol=1e-6)
### BEGIN HIDDEN TESTS
_pe = sinusoidal_positions(17, 10)
expect_close(_pe[:, 0::2], np.sin(np.arange(17)[:, None] / 10000.0 ** (np.arange(0, 10, 2) / 10)),
             "sines of a (17, 10) table", rtol=1e-5, atol=1e-6)
expect_close(_pe[:, 1::2], np.cos(np.arange(17)[:, None] / 10000.0 ** (np.arange(0, 10, 2) / 10)),
             "cosines of a (17, 10) table", rtol=1e-5, atol=1e-6)
_odd = sinusoidal_positions(6, 5)
expect(_odd.shape, (6, 5), "an odd dim should work")
expect_close(_odd[:, 4], np.sin(np.arange(6) / 10000.0 ** (4 / 5)), "with odd dim the last column is a sine",
             rtol=1e-5, atol=1e-6)
expect_close(sinusoidal_positions(1, 2), [[0.0, 1.0]], "position 0 is sin 0, cos 0", rtol=0, atol=0)
### END HIDDEN TESTS
print("✅ Step 3: the sinusoidal table is right")

# %% [markdown]
# ## Step 4 · `SinusoidalPositionalEncoding`: add the table
#
# The layer builds the table once, in `__init__`, as a plain ndarray (`self.table`): it is fixed,
# so it is **not** a Parameter and the layer has no parameters (PyTorch code registers it as a
# *buffer*). `forward(x)` takes token vectors `x` of shape `(..., T, dim)` (usually
# `(batch, T, dim)`) and returns `x + table[:T]`, which broadcasts over the batch:
#
# ```
# x (N, T, D)  +  table[:T] (T, D)   ->   (N, T, D)
# ```
#
# Write the addition with Tensor operations, so the gradient still flows back to `x` (and through
# it to the token embedding). Raise `ValueError` when `T > max_len` (the model was not built for
# sequences that long) or when the last axis is not `dim`.

# %% nbgrader={"grade": false, "grade_id": "sinusoidal-encoding", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class SinusoidalPositionalEncoding(Module):
    """x + PE[:T] with the fixed sinusoidal table (no parameters)."""

    def __init__(self, max_len, dim):
        ### BEGIN SOLUTION
        self.max_len = max_len
        self.dim = dim
        self.table = sinusoidal_positions(max_len, dim)
        ### END SOLUTION

    def forward(self, x):
        """x: Tensor (..., T, dim) -> x + table[:T]; ValueError when T > max_len or the width is not dim."""
        ### BEGIN SOLUTION
        x = x if isinstance(x, Tensor) else Tensor(x)
        T = x.shape[-2]
        if T > self.max_len:
            raise ValueError(f"sequence length {T} is longer than max_len {self.max_len}")
        if x.shape[-1] != self.dim:
            raise ValueError(f"expected vectors of width {self.dim}, got {x.shape[-1]}")
        return x + Tensor(self.table[:T])
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-sinusoidal-encoding", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
spe = SinusoidalPositionalEncoding(10, 4)
expect(spe.parameters(), [], "the sinusoidal encoding has no parameters")
encoded = spe(Tensor(np.zeros((2, 3, 4), np.float32)))
expect(encoded.shape, (2, 3, 4), "the output should keep the input's shape")
expect_close(encoded.data[1], sinusoidal_positions(3, 4), "zeros + encoding should give the first T rows of the table",
             rtol=1e-6, atol=1e-7)
with expect_raises(ValueError, "T = 11 > max_len = 10 should raise ValueError"):
    spe(Tensor(np.zeros((1, 11, 4), np.float32)))
### BEGIN HIDDEN TESTS
_x = Tensor(np.random.default_rng(6).normal(size=(3, 5, 6)).astype(np.float32))
_x.requires_grad = True
_spe = SinusoidalPositionalEncoding(8, 6)
_y = _spe(_x)
expect_close(_y.data, _x.data + sinusoidal_positions(8, 6)[:5], "x + table[:T] for T = 5, max_len = 8",
             rtol=1e-6, atol=1e-6)
(_y * Tensor(np.full((3, 5, 6), 2.0, np.float32))).sum().backward()
expect_close(_x.grad.data, np.full((3, 5, 6), 2.0), "the gradient should flow back to x unchanged", rtol=0, atol=0)
expect_close(_spe(Tensor(np.ones((8, 6), np.float32))).data, 1 + sinusoidal_positions(8, 6),
             "a (T, dim) input with T = max_len should work", rtol=1e-6, atol=1e-6)
with expect_raises(ValueError, "a width other than dim should raise ValueError"):
    _spe(Tensor(np.zeros((1, 2, 5), np.float32)))
### END HIDDEN TESTS
print("✅ Step 4: SinusoidalPositionalEncoding works")

# %% [markdown]
# ## Step 5 · `LearnedPositionalEncoding`: a table the model trains
#
# GPT-2 simply learns one vector per position: a `Parameter` `weight` of shape `(max_len, dim)`,
# added like the sinusoidal table. Initialise it small, as GPT-2 and nanoGPT do:
# `0.02 * rng.standard_normal((max_len, dim))` as float32 (`rng = np.random.default_rng()` when
# none is given).
#
# `forward(x)` returns `x + self.weight[:T]` for `x` of shape `(..., T, dim)`, with the same
# `ValueError`s as Step 4. Slice the **Parameter** (`self.weight[:T]`, module 05's
# differentiable indexing), not `self.weight.data`: the slice is what carries the gradient back to
# the table. Because the same `(T, dim)` slice is broadcast over the batch, its gradient is the
# **sum over the batch** (05's `unbroadcast` does it), and rows `T` and beyond get zero.
#
# A learned table cannot say anything about positions it never saw in training, which is why a
# GPT cannot read sequences longer than its `block_size`.

# %% nbgrader={"grade": false, "grade_id": "learned-encoding", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class LearnedPositionalEncoding(Module):
    """x + weight[:T] with a learned (max_len, dim) table, like GPT-2's position embedding."""

    def __init__(self, max_len, dim, rng=None):
        ### BEGIN SOLUTION
        rng = np.random.default_rng() if rng is None else rng
        self.max_len = max_len
        self.dim = dim
        self.weight = Parameter((0.02 * rng.standard_normal((max_len, dim))).astype(np.float32))
        ### END SOLUTION

    def forward(self, x):
        """x: Tensor (..., T, dim) -> x + weight[:T]; ValueError when T > max_len or the width is not dim."""
        ### BEGIN SOLUTION
        x = x if isinstance(x, Tensor) else Tensor(x)
        T = x.shape[-2]
        if T > self.max_len:
            raise ValueError(f"sequence length {T} is longer than max_len {self.max_len}")
        if x.shape[-1] != self.dim:
            raise ValueError(f"expected vectors of width {self.dim}, got {x.shape[-1]}")
        return x + self.weight[:T]
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-learned-encoding", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
lpe = LearnedPositionalEncoding(6, 3, rng=np.random.default_rng(2))
expect(lpe.weight.shape, (6, 3), "weight should have shape (max_len, dim)")
expect(len(lpe.parameters()), 1, "the table should be a Parameter")
expect_close(float(LearnedPositionalEncoding(500, 40, rng=np.random.default_rng(0)).weight.data.std()), 0.02,
             "the table should start small (std 0.02)", rtol=0.05, atol=0)
x_in = Tensor(np.ones((2, 4, 3), np.float32))
moved = lpe(x_in)
expect_close(moved.data - lpe.weight.data[:4], np.ones((2, 4, 3)), "x + weight[:T] (minus weight[:T] gives x back)",
             rtol=1e-6, atol=1e-6)
moved.sum().backward()
expect(lpe.weight.grad.data, [[2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2], [0, 0, 0], [0, 0, 0]],
       "each used position gets the sum over the batch (2); positions 4 and 5 were not used")
### BEGIN HIDDEN TESTS
_l = LearnedPositionalEncoding(4, 2, rng=np.random.default_rng(8))
with expect_raises(ValueError, "T > max_len should raise ValueError"):
    _l(Tensor(np.zeros((1, 5, 2), np.float32)))
with expect_raises(ValueError, "a width other than dim should raise ValueError"):
    _l(Tensor(np.zeros((1, 3, 3), np.float32)))
_gx = np.random.default_rng(9).normal(size=(3, 4, 2)).astype(np.float32)
_xin = Tensor(np.zeros((3, 4, 2), np.float32))
_xin.requires_grad = True
(_l(_xin) * Tensor(_gx)).sum().backward()
expect_close(_l.weight.grad.data, _gx.sum(axis=0), "the table's gradient is the batch sum of the output gradient",
             rtol=1e-5, atol=1e-6)
expect_close(_xin.grad.data, _gx, "the gradient should also reach x", rtol=0, atol=0)
expect(str(_l.weight.dtype), "float32", "the table should be float32")
expect(LearnedPositionalEncoding(3, 2).weight.shape, (3, 2), "without rng the layer should still be created")
### END HIDDEN TESTS
print("✅ Step 5: LearnedPositionalEncoding works")

# %% [markdown]
# ## Step 6 · What does a table cost to train?
#
# An embedding table is often the largest single tensor of a language model. GPT-2 small has a
# vocabulary of 50,257 tokens and width 768: 38.6 million parameters, 31 % of the model. The
# bytes it needs while training with Adam are **four copies** of the table:
#
# | array | copies |
# |---|---|
# | the weight itself | 1 |
# | its gradient (TinyTorch's is dense: a full `(V, D)` array, even for rows not in the batch) | 1 |
# | Adam's two moment buffers `m` and `v` (module 06) | 2 |
#
# Implement `embedding_memory_bytes(num_embeddings, embedding_dim, dtype=np.float32, training=False)`:
# the bytes of the weight alone, or of the four arrays when `training=True`. Use
# `np.dtype(dtype).itemsize` for the bytes per value; return a Python `int`.

# %% nbgrader={"grade": false, "grade_id": "embedding-memory", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def embedding_memory_bytes(num_embeddings, embedding_dim, dtype=np.float32, training=False):
    """Bytes of a (num_embeddings, embedding_dim) table; training=True adds its gradient and Adam's m and v."""
    ### BEGIN SOLUTION
    table = num_embeddings * embedding_dim * np.dtype(dtype).itemsize
    return int(4 * table if training else table)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-embedding-memory", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
expect(embedding_memory_bytes(50257, 768), 154389504, "GPT-2's token table in float32: 50257 x 768 x 4 bytes")
expect(embedding_memory_bytes(65, 128, training=True), 133120,
       "training with Adam: weight + gradient + m + v = 4 copies of 65 x 128 x 4 bytes")
### BEGIN HIDDEN TESTS
expect(embedding_memory_bytes(1000, 10, dtype=np.float16), 20000, "float16 uses 2 bytes per value")
expect(embedding_memory_bytes(32000, 4096, dtype=np.float64, training=True), 4194304000,
       "float64 training copies of a 32000 x 4096 table")
expect(type(embedding_memory_bytes(3, 3)).__name__, "int", "the result should be a Python int")
### END HIDDEN TESTS
print("✅ Step 6: embedding memory is right")

# %% [markdown]
# ## Systems analysis
#
# ### 1. Table memory against vocabulary size and width
#
# The table grows as `V x D`. The plot shows the training memory (weight, gradient, Adam) of a
# token table for the vocabularies and widths of real models. Module 10 showed that a larger
# vocabulary makes sequences shorter (fewer tokens per text, so cheaper attention); this is the
# price on the other side.

# %% nbgrader={"grade": false, "grade_id": "analysis-memory", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt

models = {"char-level TinyGPT": (65, 128), "GPT-2 small": (50257, 768), "GPT-2 XL": (50257, 1600),
          "Llama 2 7B": (32000, 4096), "Llama 3 8B": (128256, 4096)}
print(f"{'model':<20}{'V':>8}{'D':>6}{'weights':>12}{'training (Adam)':>17}")
for name, (vocab, width) in models.items():
    print(f"{name:<20}{vocab:>8,}{width:>6}{embedding_memory_bytes(vocab, width) / 2**20:>10.1f} MiB"
          f"{embedding_memory_bytes(vocab, width, training=True) / 2**20:>13.1f} MiB")

vocabs = np.logspace(np.log10(64), np.log10(256_000), 30).astype(int)
fig, ax = plt.subplots(figsize=(7, 4))
for width in (128, 768, 4096):
    ax.loglog(vocabs, [embedding_memory_bytes(v, width, training=True) / 2**20 for v in vocabs], label=f"D = {width}")
for name, (vocab, width) in models.items():
    ax.scatter(vocab, embedding_memory_bytes(vocab, width, training=True) / 2**20, color="black", s=12)
    ax.annotate(name, (vocab, embedding_memory_bytes(vocab, width, training=True) / 2**20), fontsize=7,
                xytext=(4, -10), textcoords="offset points")
ax.set_xlabel("vocabulary size V")
ax.set_ylabel("MiB while training (weight + grad + Adam)")
ax.set_title("token table memory = 16 bytes x V x D (float32, Adam)")
ax.legend()
plt.show()

# %% [markdown]
# Each line is straight with slope 1: memory is linear in V and in D. Llama 3's vocabulary of
# 128k tokens at width 4096 needs 2 GiB of float32 weights and 8 GiB to train, before a single
# transformer layer. Our character-level model's table (65 x 128) is 130 KiB to train: for small
# models the vocabulary is cheap and the sequence length is what costs (module 12).
#
# ### 2. Gather vs one-hot matmul
#
# Mathematically `weight[ids]` equals `one_hot(ids) @ weight`, and the backward is
# `one_hot(ids).T @ grad`. The one-hot form builds an `(n, V)` matrix and does `2·n·V·D` FLOPs; the
# gather copies `n·D` values, whatever V is. Measure both directions for 512 ids of width 64 as
# the vocabulary grows, with your `EmbeddingFunction` against the one-hot matmuls. Each time is
# the course's `tinytorch_runtime.timing.measure`: the median of 5 runs after a warm-up, BLAS on
# one thread, with the spread (IQR) in brackets.

# %% nbgrader={"grade": false, "grade_id": "analysis-gather", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.timing import measure

rng = np.random.default_rng(0)
n_ids, width = 512, 64
sizes = [64, 256, 1024, 4096, 16384]
timings = {"gather (forward)": [], "np.add.at (backward)": [], "one-hot @ W (forward)": [],
           "one-hot.T @ grad (backward)": []}
for vocab in sizes:
    weight = rng.standard_normal((vocab, width)).astype(np.float32)
    ids = rng.integers(0, vocab, n_ids)
    grad = rng.standard_normal((n_ids, width)).astype(np.float32)
    one_hot = np.zeros((n_ids, vocab), np.float32)
    one_hot[np.arange(n_ids), ids] = 1.0
    ctx = EmbeddingFunction()
    timings["gather (forward)"].append(measure(ctx.forward, weight, ids, repeats=5, warmup=1))
    timings["np.add.at (backward)"].append(measure(ctx.backward, grad, repeats=5, warmup=1))
    timings["one-hot @ W (forward)"].append(measure(np.matmul, one_hot, weight, repeats=5, warmup=1))
    timings["one-hot.T @ grad (backward)"].append(measure(np.matmul, one_hot.T, grad, repeats=5, warmup=1))
print("µs for 512 ids of width 64: median (IQR)")
print(f"{'V':>7}" + "".join(f"{label:>30}" for label in timings))
for i, vocab in enumerate(sizes):
    print(f"{vocab:>7}" + "".join(f"{f'{t[i].median * 1e6:.0f} ({t[i].q1 * 1e6:.0f}-{t[i].q3 * 1e6:.0f})':>30}"
                                  for t in timings.values()))

fig, ax = plt.subplots(figsize=(7, 4))
for label, values in timings.items():
    medians = np.array([t.median for t in values]) * 1e6
    spread = [medians - np.array([t.q1 for t in values]) * 1e6, np.array([t.q3 for t in values]) * 1e6 - medians]
    ax.errorbar(sizes, medians, yerr=spread, fmt="o-" if "one-hot" in label else "s-", capsize=3, label=label)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("vocabulary size V")
ax.set_ylabel("µs for 512 ids, D = 64 (median, IQR)")
ax.set_title("gather / scatter-add do not depend on V; one-hot matmuls grow with it")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The gather stays flat: it touches only the rows it needs. The one-hot forms grow linearly in V
# (and need the one-hot matrix itself, `n·V·4` bytes: 32 MiB for 512 ids at V = 16384). Four runs
# on a shared 2-core machine (load 6–9) measured 8–24 µs for the gather at every V, against
# 84–89 µs for the one-hot forward at V = 64 and 18–27 ms at V = 16384. `np.add.at` is slow per
# element (300–910 µs for its 32,768 additions), so the one-hot backward matmul beats it up to
# V ≈ 256 and loses from V ≈ 1024 on. The backward has a second cost the plot does not show: TinyTorch's dense gradient allocates and
# zeroes the full `(V, D)` table every step, which is why PyTorch offers `sparse=True` for huge
# vocabularies.
#
# ### 3. A picture of the sinusoidal table
#
# Left: the table for 128 positions and width 64. Fast columns on the left change every position,
# slow ones on the right barely change over 128 positions: together they form a unique "barcode"
# per position. Right: the dot products `PE[p] · PE[q]`. They depend only on the distance `p − q`
# (the bands are parallel to the diagonal), because `sin(a)sin(b) + cos(a)cos(b) = cos(a − b)`
# for every frequency. This is why relative positions are easy for attention to read from this table.

# %% nbgrader={"grade": false, "grade_id": "analysis-sinusoidal", "locked": true, "schema_version": 3, "solution": false, "task": false}
table = sinusoidal_positions(128, 64)
similarity = table @ table.T
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
image = axes[0].imshow(table, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
axes[0].set_xlabel("column (dimension)")
axes[0].set_ylabel("position")
axes[0].set_title("sinusoidal_positions(128, 64)")
fig.colorbar(image, ax=axes[0])
image = axes[1].imshow(similarity, cmap="viridis")
axes[1].set_xlabel("position q")
axes[1].set_ylabel("position p")
axes[1].set_title("PE[p] · PE[q]")
fig.colorbar(image, ax=axes[1])
fig.tight_layout()
plt.show()
shift_invariance = max(abs(similarity[p, p + 5] - similarity[0, 5]) for p in range(100))
print(f"PE[p]·PE[p+5] is the same for every p: largest deviation {shift_invariance:.2e}")

# %% [markdown]
# ## Integration test: a model that must read token *and* position
#
# Each input is a sequence of 6 token ids; the label is the id at **position 0**. The model:
# token `Embedding(8, 4)` + learned positions → flatten to `(N, 24)` → `Linear(24, 8)`, trained
# with plain gradient descent on a cross-entropy written with Tensor operations (this module
# needs only modules 01-05). Every piece must pass its gradient on for the loss to reach zero,
# and gradients must reach only the rows of the tokens in the batch.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
from tinytorch.layers import Linear

data_rng = np.random.default_rng(10)
seqs = data_rng.integers(0, 8, size=(64, 6))
labels = seqs[:, 0].copy()
tok = Embedding(8, 4, rng=np.random.default_rng(11))
pos = LearnedPositionalEncoding(6, 4, rng=np.random.default_rng(12))
head = Linear(24, 8, rng=np.random.default_rng(13))
params = tok.parameters() + pos.parameters() + head.parameters()
losses = []
for step in range(80):
    logits = head(pos(tok(seqs)).reshape(64, 24))
    log_probs = logits - logits.exp().sum(axis=1, keepdims=True).log()
    loss = -log_probs[np.arange(64), labels].mean()
    loss.backward()
    for p in params:
        p.data -= 1.0 * p.grad.data
        p.grad = None
    losses.append(float(loss.data))
expect_close(losses[0], 2.36086, "the first loss (random model)", rtol=1e-4, atol=0)
expect_close(losses[-1], 0.01815, "after 80 SGD steps the loss should be near 0", rtol=0.05, atol=0.0005)
accuracy = float((head(pos(tok(seqs)).reshape(64, 24)).data.argmax(axis=1) == labels).mean())
expect(accuracy, 1.0, "the model should read the token at position 0 perfectly")
### BEGIN HIDDEN TESTS
_tok = Embedding(20, 3, rng=np.random.default_rng(14))
_few = np.array([[2, 7, 2], [7, 7, 19]])
(_tok(_few) * Tensor(np.arange(18, dtype=np.float32).reshape(2, 3, 3))).sum().backward()
expect(np.nonzero(_tok.weight.grad.data.any(axis=1))[0], [2, 7, 19], "only rows 2, 7 and 19 should get a gradient")
expect_close(_tok.weight.grad.data[7], [3 + 9 + 12, 4 + 10 + 13, 5 + 11 + 14],
             "row 7 was used three times: the sum of three gradients", rtol=0, atol=0)
_sin = SinusoidalPositionalEncoding(6, 4)
_h = _sin(tok(seqs[:2]))
expect_close(_h.data - tok.weight.data[seqs[:2]], np.broadcast_to(sinusoidal_positions(6, 4), (2, 6, 4)),
             "token embedding + sinusoidal positions", rtol=1e-5, atol=1e-6)
expect_close(losses[10], 0.39636, "the loss after 10 steps", rtol=1e-3, atol=0)
### END HIDDEN TESTS
print("✅ Integration: embeddings and positions train together")

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences. Use numbers from your own runs
# where they help. These are graded by hand.
#
# **Q1 (6 points): the backward pass.** (a) Explain with a two-token example why
# `grad_weight[ids] += grad` gives a wrong gradient and `np.add.at` a right one. (b) Your
# vocabulary has 50,000 tokens and a batch contains 2,000 distinct ones. How many rows of the dense
# gradient are non-zero, and what does that cost you per step in memory and in Adam's update?
# What does PyTorch's `sparse=True` change?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-backward", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) With ids = [4, 4] and output gradients g0, g1, the true
# gradient of row 4 is g0 + g1 (the row was used twice; the chain rule sums over every use).
# `grad_weight[ids] += grad` is `grad_weight[ids] = grad_weight[ids] + grad`: the right side is
# computed first as [0 + g0, 0 + g1], then both results are written to row 4 and the last write
# wins, leaving g1. `np.add.at` is unbuffered: it adds each contribution in turn, giving g0 + g1.
# (b) At most 2,000 rows (4 %) are non-zero, but the dense gradient is a full 50,000 x D array:
# it is allocated and zeroed every step (50,000·D·4 bytes) and Adam updates m, v and the weight of
# all 50,000 rows, including 48,000 rows whose gradient is zero (their m and v still decay and,
# with weight decay, their weights still move). `sparse=True` returns only the used rows
# (indices + values), so memory and optimizer work scale with the batch's distinct tokens, not V;
# it needs an optimizer that accepts sparse gradients (SparseAdam, SGD), which updates only those rows.
# Grading: (a) 3 points (sum over uses; last write wins / buffered fancy indexing), (b) 3 points
# (2,000 non-zero rows vs a dense V x D array; cost in allocation and optimizer passes; sparse
# gradient stores only used rows).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q2", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (6 points): positions.** (a) Show that without any positional encoding, a model made of
# embeddings followed by attention (which treats its input as a set) gives the same output for
# "dog bites man" and "man bites dog", up to the order of the outputs. (b) Compare the sinusoidal
# and the learned encoding: parameters, what happens at a position beyond `max_len` seen in
# training, and what the right-hand plot of analysis 3 tells you about relative positions.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-positions", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) The embedding maps each token to a vector independently of
# where it is, so both sentences give the same three vectors in a different order. Attention
# computes each output from its own query and a weighted sum over all keys/values; permuting the
# inputs permutes the outputs the same way (permutation equivariance), so the set of outputs is
# identical and e.g. the output at "dog" is the same in both sentences: who bites whom is lost.
# Adding a position-dependent vector makes the same token at different positions different inputs.
# (b) Sinusoidal: no parameters (a fixed table, computable for any position), so a position
# beyond the training length still gets a well-defined vector (though models rarely generalise
# well there); PE[p]·PE[q] depends only on p − q, so relative offsets are linear functions of the
# encodings and easy to attend to. Learned: max_len·D parameters (e.g. 64 x 128 = 8,192 for our
# GPT), can fit whatever the data needs, but rows beyond the training length were never trained
# (or do not exist), so the model cannot handle longer sequences; GPT-2 uses learned, the original
# Transformer sinusoidal, and both work about equally well in practice at the trained length.
# Grading: (a) 2 points (same vectors, permutation equivariance), (b) 4 points (parameters 1,
# extrapolation 1.5, relative-position property from the plot 1.5).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q3", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (6 points): cost.** Use your two plots. (a) A 7-billion-parameter model with a vocabulary
# of 128,256 and width 4,096 ties its input embedding to its output layer (the same matrix is used
# for both). How many bytes does the tied table need to train in float32 with Adam, and how much
# does tying save? (b) From your timing plot, at which vocabulary size is the one-hot matmul about
# 10 times slower than the gather? Why would anyone still write the lookup as a matmul?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-cost", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) 128,256 x 4,096 = 525 million values; x 4 bytes = 2.1 GB of
# weights, x 4 copies (weight, grad, m, v) = 8.4 GB (7.8 GiB) to train. Without tying the output
# layer would be a second table of the same size, so tying saves another 8.4 GB of training memory
# (525 M parameters, 7.5 % of the model). (b) The student reads the crossover from their own plot
# (in the reference runs already at V = 64–256: gather 8–24 µs, one-hot forward 84–350 µs, for 512
# ids, D = 64; it depends on the machine's BLAS and load); the gather stays roughly constant while the one-hot time grows linearly in V. A matmul is
# still useful when the input is not one-hot (soft/mixed token distributions, e.g. for
# distillation or differentiable search), on hardware where dense matmuls are the only fast
# primitive (some accelerators, quantised/fused kernels), and it shows that the output layer
# (logits = h @ W.T) is the same table used the other way, which is what weight tying exploits.
# Grading: (a) 3 points (8.4 GB, saving the same again), (b) 3 points (crossover read from the
# plot with the linear-in-V reason 2, one valid reason for the matmul 1).
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/embeddings.py` in your store and checks that it imports, so that module 13 can
# `from tinytorch.embeddings import Embedding, LearnedPositionalEncoding`.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("11_embeddings");
