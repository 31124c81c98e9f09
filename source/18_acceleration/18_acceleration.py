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
# # Module 18 · Acceleration: where the speed of `a @ b` comes from
#
# **Expected time:** 3–4 hours. **Difficulty:** ★★★☆☆ (each function is short; the care goes into
# index bookkeeping at the edges of tiles, into not allocating what you do not need, and into
# measuring what you changed).
#
# Every layer you wrote since module 03 ends in `np.matmul`, and NumPy hands it to a BLAS library
# written by people who spent years on that one function. In this module you climb the ladder
# from the slowest correct matrix product to that library, measure every rung, and then apply the
# same two ideas (do the work in big pieces, touch memory as little as possible) to element-wise
# kernels:
#
# | step | you build | the idea | PyTorch equivalent |
# |---|---|---|---|
# | 1 | `matmul_loops` | the definition, three Python loops | — (what *not* to ship) |
# | 2 | `matmul_rows` | one Python loop, each row vectorised | vectorisation |
# | 3 | `matmul_tiled` | blocks that fit in cache | what BLAS / `torch.mm` do inside |
# | 4 | `bias_gelu_fused` | one pass, one temporary, `out=` | `torch.compile` fusing `F.gelu(x + b)` |
# | 5 | `softmax_fused` | softmax written into one buffer | `torch.softmax(x, dim, out=...)` |
# | 6–7 | `use_backend`, `backend_matmul` | the same model on your loops or on BLAS | `torch.backends`, `torch.library` dispatch |
#
# The original TinyTorch course claimed a "2700x" speed-up from loops to BLAS. You will measure
# the real factor on your machine, and see why it grows with the size of the matrices.

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# ```python
# import torch
# a, b = torch.randn(512, 512), torch.randn(512, 512)
# c = a @ b                        # dispatches to a BLAS sgemm (MKL / OpenBLAS) on the CPU
#
# # fusion: one kernel instead of three passes over memory
# f = torch.compile(lambda x, bias: torch.nn.functional.gelu(x + bias, approximate="tanh"))
#
# torch.softmax(x, dim=-1, out=buffer)    # write into memory you already own
# ```
#
# A 512×512 product is 2·512³ ≈ 268 million floating-point operations. Python executes maybe
# 10–30 million simple operations per second; a modern core does tens of billions of float32
# operations per second with vector instructions. The gap between those two numbers is the whole
# subject of this module. It has three causes you will measure one by one: **interpreter
# overhead** (every `a[i, k] * b[k, j]` is a Python object operation), **no vector instructions**
# (one multiply at a time instead of 8 or 16), and **memory traffic** (reading the same numbers
# from main memory over and over instead of from cache).

# %% [markdown]
# ## Setup
#
# The first cell is exported into `tinytorch/acceleration.py`. It imports your `Tensor` (01) and
# defines the given pieces:
#
# - `matmul_shapes(a, b)`: checks that `a` is (n, k) and `b` is (k, m) and returns `(n, k, m)`;
# - `peak_bytes(fn, *args)`: the peak memory allocated while `fn` runs (`tracemalloc`);
# - `bias_gelu_unfused(x, bias)`: GELU (tanh approximation, as in GPT-2) of `x + bias`, written the
#   obvious way, one NumPy expression that allocates a new array for every operation;
# - `BACKENDS`: the table of matmul backends that Step 6 switches between;
# - `AcceleratedMLP`: a two-layer network whose matmuls go through `backend_matmul` (Step 7).

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import contextlib
import math
import tracemalloc

import numpy as np
from tinytorch.tensor import Tensor

__all__ = ["matmul_shapes", "matmul_loops", "matmul_rows", "matmul_tiled", "GELU_C", "bias_gelu_unfused",
           "bias_gelu_fused", "softmax_fused", "BACKENDS", "get_backend", "use_backend", "backend_matmul",
           "AcceleratedMLP", "peak_bytes"]

GELU_C = math.sqrt(2.0 / math.pi)


def matmul_shapes(a, b):
    """Given: (n, k, m) for 2-D a of shape (n, k) and b of shape (k, m); ValueError otherwise."""
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"matmul needs 2-D arrays, got shapes {a.shape} and {b.shape}")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"inner dimensions differ: {a.shape} @ {b.shape}")
    return a.shape[0], a.shape[1], b.shape[1]


def peak_bytes(fn, *args, **kwargs):
    """Given: the peak bytes allocated while fn(*args, **kwargs) runs (tracemalloc; NumPy reports its
    buffers to it). Arrays that exist before the call are not counted."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bias_gelu_unfused(x, bias):
    """Given: GELU(x + bias), tanh approximation, the obvious way (a new array per operation)."""
    z = x + bias
    return 0.5 * z * (1.0 + np.tanh(GELU_C * (z + 0.044715 * (z * z * z))))


# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · The definition: three Python loops
#
# For `a` of shape (n, k) and `b` of shape (k, m), the product `c = a @ b` has shape (n, m) and
#
# $$c_{ij} = \sum_{p=0}^{k-1} a_{ip}\, b_{pj}$$
#
# That is n·m dot products of length k: **n·k·m multiplies and n·k·m adds, 2·n·k·m FLOPs.**
#
# ```
#  for i in range(n):             row of c
#      for j in range(m):         column of c
#          s = 0.0
#          for p in range(k):     walk along a's row i and b's column j
#              s += a[i, p] * b[p, j]
#          c[i, j] = s
# ```
#
# Implement `matmul_loops(a, b)` exactly like that. Use `matmul_shapes` for the shapes (it raises
# the `ValueError` for you), and return an array of `a`'s dtype (float32 in, float32 out), like
# `a @ b`. Accumulate `s` in a Python float (double precision), as BLAS accumulates in registers.

# %% nbgrader={"grade": false, "grade_id": "matmul-loops", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def matmul_loops(a, b):
    """a @ b with three Python loops (the definition)."""
    n, k, m = matmul_shapes(a, b)
    ### BEGIN SOLUTION
    c = np.zeros((n, m), dtype=np.result_type(a.dtype, b.dtype))
    for i in range(n):
        for j in range(m):
            s = 0.0
            for p in range(k):
                s += float(a[i, p]) * float(b[p, j])
            c[i, j] = s
    return c
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-matmul-loops", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
b = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]], dtype=np.float32)
c = matmul_loops(a, b)
expect(c.shape, (2, 2), "(2, 3) @ (3, 2) is (2, 2)")
expect(c, [[7.0, -1.0], [16.0, -1.0]], "each entry is a row of a times a column of b")
expect(str(c.dtype), "float32", "float32 inputs give a float32 result")
with expect_raises(ValueError, "(2, 3) @ (2, 3): the inner dimensions differ"):
    matmul_loops(a, a)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(18)
_a = _rng.standard_normal((5, 7)).astype(np.float32)
_b = _rng.standard_normal((7, 3)).astype(np.float32)
expect_close(matmul_loops(_a, _b), _a @ _b, "a random (5, 7) @ (7, 3)", rtol=1e-5, atol=1e-5)
expect_close(matmul_loops(_a[:1], _b[:, :1]), _a[:1] @ _b[:, :1], "a (1, 7) @ (7, 1) product", rtol=1e-5, atol=1e-5)
expect(str(matmul_loops(_a.astype(np.float64), _b.astype(np.float64)).dtype), "float64", "float64 stays float64")
### END HIDDEN TESTS
print("✅ Step 1: matmul_loops computes the definition")

# %% [markdown]
# ## Step 2 · One loop: vectorise each row
#
# Row i of `c` is row i of `a` times the whole matrix `b`:
#
# $$c_{i,:} = a_{i,:}\, b \qquad\text{(a vector of length k times a (k, m) matrix)}$$
#
# One NumPy call computes that row, with compiled loops and vector instructions. The Python loop
# now runs n times instead of n·m·k times: for n = k = m = 64 that is 64 interpreter steps instead
# of 262,144.
#
# Implement `matmul_rows(a, b)`: allocate the (n, m) result of `a`'s dtype, then fill it one row
# at a time with `a[i] @ b`.

# %% nbgrader={"grade": false, "grade_id": "matmul-rows", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def matmul_rows(a, b):
    """a @ b with one Python loop over the rows of a (each row vectorised)."""
    n, k, m = matmul_shapes(a, b)
    ### BEGIN SOLUTION
    c = np.empty((n, m), dtype=np.result_type(a.dtype, b.dtype))
    for i in range(n):
        c[i] = a[i] @ b
    return c
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-matmul-rows", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
b = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]], dtype=np.float32)
c = matmul_rows(a, b)
expect(c, [[7.0, -1.0], [16.0, -1.0]], "row i of c is a[i] @ b")
expect(str(c.dtype), "float32", "float32 inputs give a float32 result")
c = matmul_rows(np.arange(12, dtype=np.float32).reshape(4, 3), np.ones((3, 5), np.float32))
expect(c, np.repeat([[3.0], [12.0], [21.0], [30.0]], 5, axis=1), "a (4, 3) @ (3, 5): more rows than columns")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(19)
_a = _rng.standard_normal((9, 4)).astype(np.float32)
_b = _rng.standard_normal((4, 6)).astype(np.float32)
expect_close(matmul_rows(_a, _b), _a @ _b, "a random (9, 4) @ (4, 6)", rtol=1e-5, atol=1e-5)
with expect_raises(ValueError, "(9, 4) @ (9, 4): the inner dimensions differ"):
    matmul_rows(_a, _a)
### END HIDDEN TESTS
print("✅ Step 2: matmul_rows vectorises each row")

# %% [markdown]
# ## Step 3 · Blocks that fit in the cache
#
# `matmul_rows` reads **all of `b`** for every row of `a`. For 1024×1024 float32, `b` is 4 MiB,
# more than a core's L2 cache (typically 256 KiB–2 MiB), so it streams from main memory n times.
# Memory, not arithmetic, becomes the limit.
#
# Tiling cuts the three matrices into `tile × tile` blocks and multiplies block by block. A
# 64×64 float32 block is 16 KiB: three of them fit in L1/L2 cache, and each number that is
# loaded is used 64 times before it is evicted.
#
# ```
#   c[I, J] += a[I, P] @ b[P, J]      for every block row I, block column J, block P of the k axis
#
#        P                    J                   J
#   ┌──┬──┬──┐           ┌──┬──┬──┐          ┌──┬──┬──┐
# I │  │▓▓│  │    @    P │  │▓▓│  │   →    I │  │▓▓│  │   (summed over P)
#   └──┴──┴──┘           └──┴──┴──┘          └──┴──┴──┘
# ```
#
# The edges: when `n`, `k` or `m` is not a multiple of `tile`, the last block is smaller. With
# `range(0, n, tile)` and slices `i:i + tile` NumPy clips the slice at the end for you, but a
# loop bound like `range(0, n - tile, tile)` silently drops the last rows. `c` must start at zero
# (`+=` adds each P-block's contribution). A `tile` below 1 is a `ValueError`.
#
# Implement `matmul_tiled(a, b, tile=64)` with three loops over blocks (I, J, P) and `@` on the
# blocks. This is what BLAS does inside, plus hand-written vector kernels for the block product,
# several levels of blocking (registers, L1, L2) and packing the blocks into contiguous memory.

# %% nbgrader={"grade": false, "grade_id": "matmul-tiled", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def matmul_tiled(a, b, tile=64):
    """a @ b computed block by block (tile x tile blocks; smaller blocks at the edges)."""
    n, k, m = matmul_shapes(a, b)
    ### BEGIN SOLUTION
    if tile < 1:
        raise ValueError(f"tile must be >= 1, got {tile}")
    c = np.zeros((n, m), dtype=np.result_type(a.dtype, b.dtype))
    for i in range(0, n, tile):
        for j in range(0, m, tile):
            for p in range(0, k, tile):
                c[i:i + tile, j:j + tile] += a[i:i + tile, p:p + tile] @ b[p:p + tile, j:j + tile]
    return c
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-matmul-tiled", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
a = np.arange(20, dtype=np.float32).reshape(4, 5) / 10
b = np.arange(15, dtype=np.float32).reshape(5, 3) / 10
expect_close(matmul_tiled(a, b, tile=2), [[0.9, 1.0, 1.1], [2.4, 2.75, 3.1], [3.9, 4.5, 5.1], [5.4, 6.25, 7.1]],
             "(4, 5) @ (5, 3) with 2x2 tiles: the last tile of each axis is smaller", rtol=1e-5, atol=1e-5)
expect_close(matmul_tiled(a, b, tile=64), [[0.9, 1.0, 1.1], [2.4, 2.75, 3.1], [3.9, 4.5, 5.1], [5.4, 6.25, 7.1]],
             "a tile larger than the matrices is one block", rtol=1e-5, atol=1e-5)
expect_close(matmul_tiled(a, b, tile=1), [[0.9, 1.0, 1.1], [2.4, 2.75, 3.1], [3.9, 4.5, 5.1], [5.4, 6.25, 7.1]],
             "1x1 tiles: every block is one number", rtol=1e-5, atol=1e-5)
expect(str(matmul_tiled(a, b, tile=2).dtype), "float32", "float32 inputs give a float32 result")
with expect_raises(ValueError, "tile=0 is not a block size"):
    matmul_tiled(a, b, tile=0)
### BEGIN HIDDEN TESTS
with expect_raises(ValueError, "a negative tile is not a block size"):
    matmul_tiled(a, b, tile=-2)
_rng = np.random.default_rng(20)
_a = _rng.standard_normal((37, 70)).astype(np.float32)
_b = _rng.standard_normal((70, 45)).astype(np.float32)
expect_close(matmul_tiled(_a, _b, tile=16), _a @ _b, "a (37, 70) @ (70, 45) with 16x16 tiles",
             rtol=1e-4, atol=1e-4)
expect_close(matmul_tiled(_a, _b, tile=35), _a @ _b, "tile 35: two blocks along k, one along m", rtol=1e-4, atol=1e-4)
expect_close(matmul_tiled(_a[:3, :5], _b[:5, :2]), _a[:3, :5] @ _b[:5, :2], "the default tile", rtol=1e-5, atol=1e-5)
### END HIDDEN TESTS
print("✅ Step 3: matmul_tiled multiplies block by block")

# %% [markdown]
# ## Step 4 · Kernel fusion: bias + GELU in one buffer
#
# After a Linear layer, a transformer's MLP computes `gelu(x + bias)`. The given
# `bias_gelu_unfused` writes it as one expression:
#
# ```python
# z = x + bias                                                      # new array 1
# 0.5 * z * (1.0 + np.tanh(GELU_C * (z + 0.044715 * (z * z * z))))   # arrays 2, 3, 4, ... 10
# ```
#
# Every operator reads its inputs from memory and writes a **new** array of the same size. For a
# (256, 4096) float32 activation (4 MiB) that is about ten passes over 4 MiB each, and several of
# those arrays are alive at the same time. The arithmetic per number is tiny: the time goes into
# allocating and moving memory. A fused kernel (what `torch.compile` or a hand-written CUDA kernel
# produces) reads `x` once, computes everything in registers and writes the result once.
#
# In NumPy we cannot fuse into one loop, but we can **stop allocating**: every ufunc accepts
# `out=`, the array to write into, and can work in place (`np.tanh(t, out=t)`). Implement
# `bias_gelu_fused(x, bias, out=None)` with
#
# - `out` the result buffer: when `None`, allocate one array like `x` (`np.empty_like(x)`);
# - **at most one temporary** of `x`'s size besides `out`;
# - `x` left unchanged (the caller may still need it), and `out` returned.
#
# A possible order: `out = x + bias` (in `out`), `t = out·out·out` (the one temporary; write it as
# products: `** 3` calls the general `pow`, many times slower), `t = t·0.044715 + out`,
# `t = tanh(GELU_C·t)`, `t = t + 1`, `out = out · t · 0.5`. Results must equal the unfused version
# up to float32 rounding (a different order of the same operations rounds differently).
#
# The test measures the peak memory with `tracemalloc` (NumPy reports its allocations to it): with
# `out` given, the peak must stay at about one array of `x`'s size.

# %% nbgrader={"grade": false, "grade_id": "bias-gelu-fused", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def bias_gelu_fused(x, bias, out=None):
    """GELU(x + bias), tanh approximation, written into `out` with at most one temporary; returns out."""
    if out is None:
        out = np.empty_like(x)
    ### BEGIN SOLUTION
    np.add(x, bias, out=out)
    t = out * out
    t *= out
    t *= 0.044715
    t += out
    t *= GELU_C
    np.tanh(t, out=t)
    t += 1.0
    out *= t
    out *= 0.5
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-bias-gelu-fused", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
x = np.array([[-3.0, -1.0, 0.0], [0.5, 1.0, 3.0]], dtype=np.float32)
bias = np.array([0.0, 1.0, -0.5], dtype=np.float32)
y = bias_gelu_fused(x, bias)
expect_close(y, [[-0.00363739, 0.0, -0.154286], [0.345714, 1.9545977, 2.4849157]],
             "GELU(x + bias) (tanh approximation) of a 2x3 input", rtol=1e-5, atol=1e-6)
expect(x, [[-3.0, -1.0, 0.0], [0.5, 1.0, 3.0]], "x must be left unchanged")
expect(str(y.dtype), "float32", "float32 in, float32 out")
buffer = np.zeros((2, 3), np.float32)
returned = bias_gelu_fused(x, bias, out=buffer)
expect_close(buffer, [[-0.00363739, 0.0, -0.154286], [0.345714, 1.9545977, 2.4849157]],
             "with out=, the result is written into the given buffer", rtol=1e-5, atol=1e-6)
expect_close(returned, [[-0.00363739, 0.0, -0.154286], [0.345714, 1.9545977, 2.4849157]],
             "with out=, the buffer is also returned", rtol=1e-5, atol=1e-6)
x_big = np.random.default_rng(4).standard_normal((256, 1024)).astype(np.float32)
bias_big = np.random.default_rng(5).standard_normal(1024).astype(np.float32)
out_big = np.empty_like(x_big)
expect_close(peak_bytes(bias_gelu_fused, x_big, bias_big, out=out_big) / x_big.nbytes, 0.75,
             "with out= the peak memory is at most about one temporary of x's size (between 0 and 1.5 arrays)",
             rtol=0, atol=0.75)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(21)
_x = (_rng.standard_normal((6, 5)) * 4).astype(np.float32)
_b = _rng.standard_normal(5).astype(np.float32)
expect_close(bias_gelu_fused(_x, _b), bias_gelu_unfused(_x, _b), "a random 6x5 input and bias", rtol=1e-5, atol=1e-6)
_x3 = _rng.standard_normal((2, 3, 4)).astype(np.float32)
_o = np.full((2, 3, 4), 7.0, np.float32)
bias_gelu_fused(_x3, np.float32(0.25), out=_o)
expect_close(_o, bias_gelu_unfused(_x3, np.float32(0.25)), "a 3-D input, a scalar bias, into a dirty buffer",
             rtol=1e-5, atol=1e-6)
expect_close(peak_bytes(bias_gelu_fused, x_big, bias_big) / x_big.nbytes, 1.5,
             "without out=: the result plus at most about one temporary (between 0.75 and 2.25 arrays)",
             rtol=0, atol=0.75)
### END HIDDEN TESTS
print("✅ Step 4: bias + GELU with one temporary")

# %% [markdown]
# ## Step 5 · Softmax into one buffer
#
# The numerically stable softmax from module 02,
#
# $$\mathrm{softmax}(x)_i = \frac{e^{x_i - \max_j x_j}}{\sum_j e^{x_j - \max_j x_j}},$$
#
# written naively as `e = np.exp(x - x.max(axis, keepdims=True)); e / e.sum(axis, keepdims=True)`
# allocates three full-size arrays (`x - max`, `exp`, the quotient). All three steps can happen
# in one buffer:
#
# ```
# m = x.max(axis, keepdims=True)       small: one number per row
# np.subtract(x, m, out=out)           out = x - m
# np.exp(out, out=out)                 in place
# s = out.sum(axis, keepdims=True)     small
# out /= s                             in place
# ```
#
# Implement `softmax_fused(x, axis=-1, out=None)` this way: no temporary of `x`'s size at all when
# `out` is given, `x` unchanged, `out` returned. Keep the max (without it `exp(1000)` overflows to
# `inf` and the result is `nan`), and keep `keepdims=True` so that the reduced arrays broadcast
# back along the right axis for any `axis`.

# %% nbgrader={"grade": false, "grade_id": "softmax-fused", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def softmax_fused(x, axis=-1, out=None):
    """Stable softmax of x along `axis`, computed in `out` (no full-size temporary); returns out."""
    if out is None:
        out = np.empty_like(x)
    ### BEGIN SOLUTION
    np.subtract(x, x.max(axis=axis, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=axis, keepdims=True)
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-softmax-fused", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], dtype=np.float32)
expect_close(softmax_fused(x), [[0.09003057, 0.24472848, 0.66524094], [1 / 3, 1 / 3, 1 / 3]],
             "softmax of each row", rtol=1e-5, atol=1e-7)
expect_close(softmax_fused(x, axis=0), [[0.7310586, 0.880797, 0.95257413], [0.26894143, 0.11920292, 0.04742587]],
             "axis=0: softmax of each column", rtol=1e-5, atol=1e-7)
expect_close(softmax_fused(np.array([[1000.0, 1000.0, 990.0]], np.float32)), [[0.49998865, 0.49998865, 2.2699449e-05]],
             "huge logits: subtract the max first (exp(1000) overflows)", rtol=1e-4, atol=1e-7)
expect(x, [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], "x must be left unchanged")
buffer = np.zeros((2, 3), np.float32)
returned = softmax_fused(x, out=buffer)
expect_close(buffer, [[0.09003057, 0.24472848, 0.66524094], [1 / 3, 1 / 3, 1 / 3]],
             "with out=, the result is written into the given buffer", rtol=1e-5, atol=1e-7)
expect_close(returned.sum(axis=-1), [1.0, 1.0], "the returned rows sum to 1", rtol=1e-6, atol=1e-6)
x_big = np.random.default_rng(6).standard_normal((256, 1024)).astype(np.float32)
out_big = np.empty_like(x_big)
expect_close(peak_bytes(softmax_fused, x_big, out=out_big) / x_big.nbytes, 0.25,
             "with out= no temporary of x's size (peak below half an array)", rtol=0, atol=0.25)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(22)
_x = (_rng.standard_normal((3, 4, 5)) * 30).astype(np.float32)
for _axis in (0, 1, -1):
    _e = np.exp(_x.astype(np.float64) - _x.max(axis=_axis, keepdims=True))
    expect_close(softmax_fused(_x, axis=_axis), _e / _e.sum(axis=_axis, keepdims=True),
                 "softmax of a 3-D input along one axis", rtol=1e-4, atol=1e-7)
expect_close(softmax_fused(np.array([[0.0, 1.0], [-1000.0, -1001.0]], np.float32)),
             [[0.26894143, 0.7310586], [0.7310586, 0.26894143]], "each row subtracts its own max", rtol=1e-5, atol=1e-7)
_o = np.full((3, 4, 5), -1.0, np.float32)
softmax_fused(_x, axis=1, out=_o)
expect_close(_o.sum(axis=1), np.ones((3, 5)), "into a dirty buffer, along axis 1", rtol=1e-5, atol=1e-5)
expect(str(softmax_fused(_x).dtype), "float32", "float32 in, float32 out")
### END HIDDEN TESTS
print("✅ Step 5: softmax in one buffer")

# %% [markdown]
# ## Step 6 · A backend switch
#
# PyTorch runs the same `model(x)` on CPU kernels, CUDA kernels or a compiled graph: the operator
# is looked up in a **dispatch table** at call time. We do the same for one operator. The given
# `BACKENDS` maps a name to a matmul function: `"numpy"` (BLAS through `np.matmul`) and `"loops"`
# (your Step 1). The active backend's name lives in `_ACTIVE["name"]`; `get_backend()` reads it.
#
# Implement the context manager `use_backend(name)`:
#
# ```python
# with use_backend("loops"):
#     model(x)            # every backend_matmul inside runs your loops
# get_backend()           # "numpy" again, even if model(x) raised an exception
# ```
#
# - an unknown name raises `ValueError` (before anything changes);
# - it restores the **previous** backend on exit, not `"numpy"`: `use_backend` blocks can nest;
# - it restores it also when the block raises (`try` / `finally`).
#
# `@contextlib.contextmanager` turns a generator into a context manager: the code before `yield`
# runs on entering the `with`, the code after it on leaving.

# %% nbgrader={"grade": false, "grade_id": "backend-table", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
BACKENDS = {"numpy": np.matmul, "loops": matmul_loops}
_ACTIVE = {"name": "numpy"}


def get_backend():
    """Given: the name of the active matmul backend."""
    return _ACTIVE["name"]


# %% nbgrader={"grade": false, "grade_id": "use-backend", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@contextlib.contextmanager
def use_backend(name):
    """Within the with-block, backend_matmul uses BACKENDS[name]; the previous backend comes back after."""
    ### BEGIN SOLUTION
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; known: {sorted(BACKENDS)}")
    previous = _ACTIVE["name"]
    _ACTIVE["name"] = name
    try:
        yield
    finally:
        _ACTIVE["name"] = previous
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-use-backend", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
seen = [get_backend()]
with use_backend("loops"):
    seen.append(get_backend())
    with use_backend("numpy"):
        seen.append(get_backend())
    seen.append(get_backend())
seen.append(get_backend())
expect(seen, ["numpy", "loops", "numpy", "loops", "numpy"], "nested blocks each restore the previous backend")
try:
    with use_backend("loops"):
        raise KeyError("a failing model")
except KeyError:
    pass
expect(get_backend(), "numpy", "the backend is restored even when the block raises")
with expect_raises(ValueError, "an unknown backend name"):
    with use_backend("cuda"):
        pass
expect(get_backend(), "numpy", "a rejected name changes nothing")
### BEGIN HIDDEN TESTS
BACKENDS.update(_tiled3=lambda _a, _b: matmul_tiled(_a, _b, tile=3))
_seen = []
with use_backend("_tiled3"):
    _seen.append(get_backend())
    with expect_raises(ValueError, "an unknown name inside a block"):
        with use_backend("Loops"):
            pass
    _seen.append(get_backend())
_seen.append(get_backend())
expect(_seen, ["_tiled3", "_tiled3", "numpy"], "a registered backend; a rejected name inside a block changes nothing")
_n = np.arange(6.0).reshape(2, 3)
expect_close(BACKENDS[get_backend()](_n, _n.T), [[5.0, 14.0], [14.0, 50.0]], "numpy is the backend outside any block",
             rtol=0, atol=1e-12)
BACKENDS.pop("_tiled3")
### END HIDDEN TESTS
print("✅ Step 6: use_backend switches and restores")

# %% [markdown]
# ## Step 7 · Dispatch
#
# `backend_matmul(a, b)` looks up the active backend in `BACKENDS` **at call time** and calls it.
# Looking it up once at import time (`_matmul = BACKENDS[get_backend()]`) is the classic mistake:
# the switch then has no effect. Accept `Tensor`s as well as arrays: when either argument is a
# `Tensor`, compute on its `.data` and return a `Tensor`; otherwise return the array.

# %% nbgrader={"grade": false, "grade_id": "backend-matmul", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def backend_matmul(a, b):
    """a @ b computed by the active backend; Tensors in -> Tensor out, arrays in -> array out."""
    wrap = isinstance(a, Tensor) or isinstance(b, Tensor)
    a = a.data if isinstance(a, Tensor) else np.asarray(a)
    b = b.data if isinstance(b, Tensor) else np.asarray(b)
    ### BEGIN SOLUTION
    c = BACKENDS[get_backend()](a, b)
    return Tensor(c) if wrap else c
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-backend-matmul", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
calls = []


def recording_matmul(a, b):
    calls.append((a.shape, b.shape))
    return np.matmul(a, b)


BACKENDS.update(recording=recording_matmul)
a = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
with use_backend("recording"):
    c = backend_matmul(a, np.eye(2, 3, dtype=np.float32))
expect(calls, [((2, 2), (2, 3))], "inside the block, backend_matmul calls the active backend once")
expect(c, [[1.0, 2.0, 0.0], [3.0, 4.0, 0.0]], "its result is returned")
c = backend_matmul(a, a)
expect(len(calls), 1, "outside the block the numpy backend is used again")
expect(c, [[7.0, 10.0], [15.0, 22.0]], "a @ a with numpy")
t = backend_matmul(Tensor(a), a)
expect(type(t).__name__, "Tensor", "a Tensor argument gives a Tensor")
expect(t.data, [[7.0, 10.0], [15.0, 22.0]], "the Tensor holds a @ a")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(23)
_a = _rng.standard_normal((4, 3)).astype(np.float32)
_b = _rng.standard_normal((3, 2)).astype(np.float32)
with use_backend("loops"):
    _c = backend_matmul(_a, Tensor(_b))
expect(type(_c).__name__, "Tensor", "a Tensor as the second argument gives a Tensor")
expect_close(_c.data, _a @ _b, "the loops backend's product", rtol=1e-5, atol=1e-6)
with use_backend("recording"):
    _c = backend_matmul(_a.tolist(), _b)
expect([len(calls), type(_c).__name__], [2, "ndarray"], "lists are accepted and an array comes back")
expect_close(_c, _a @ _b, "a list @ an array", rtol=1e-5, atol=1e-6)
### END HIDDEN TESTS
BACKENDS.pop("recording")
print("✅ Step 7: backend_matmul dispatches at call time")

# %% [markdown]
# ## A model on either backend
#
# `AcceleratedMLP` (given) is a two-layer network, `logits = gelu(x W1 + b1) W2 + b2`, whose
# products go through `backend_matmul` and whose activation is your fused bias + GELU. Nothing in
# it names a backend: the same object runs on your loops or on BLAS.

# %% nbgrader={"grade": false, "grade_id": "mlp", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
class AcceleratedMLP:
    """Given: logits = gelu(x @ w1 + b1) @ w2 + b2 with backend_matmul and bias_gelu_fused (float32)."""

    def __init__(self, n_in, n_hidden, n_out, rng=None):
        rng = rng if rng is not None else np.random.default_rng(0)
        self.w1 = (rng.standard_normal((n_in, n_hidden)) / math.sqrt(n_in)).astype(np.float32)
        self.b1 = np.zeros(n_hidden, np.float32)
        self.w2 = (rng.standard_normal((n_hidden, n_out)) / math.sqrt(n_hidden)).astype(np.float32)
        self.b2 = np.zeros(n_out, np.float32)

    def __call__(self, x):
        x = x.data if isinstance(x, Tensor) else np.asarray(x, dtype=np.float32)
        h = bias_gelu_fused(backend_matmul(x, self.w1), self.b1)
        return Tensor(backend_matmul(h, self.w2) + self.b2)


# %% [markdown]
# ## Systems analysis
#
# The timings below come from the course's `tinytorch_runtime.timing.measure` (warm-up, repeats,
# median and IQR, NumPy's BLAS pinned to one thread). Your figures will differ from anyone else's;
# the *ratios* are what to look at. The notebook keeps the sizes small so that it runs in
# seconds; `python benchmarks/matmul_ladder.py` climbs the same ladder at larger sizes.
#
# ### 1. The matmul ladder in GFLOP/s

# %% nbgrader={"grade": false, "grade_id": "analysis-ladder", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
from tinytorch_runtime.timing import gflops, measure

rng = np.random.default_rng(0)
sizes = [16, 32, 64, 128]
kernels = {"loops": matmul_loops, "rows": matmul_rows, "tiled (64)": matmul_tiled, "BLAS (np.matmul)": np.matmul}
rates = {name: [] for name in kernels}
for n in sizes:
    a_n = rng.standard_normal((n, n)).astype(np.float32)
    b_n = rng.standard_normal((n, n)).astype(np.float32)
    for name, kernel in kernels.items():
        if name == "loops" and n > 32:
            rates[name].append(np.nan)            # seconds per call: skipped in the notebook
            continue
        t = measure(kernel, a_n, b_n, repeats=3 if name == "loops" else 5, warmup=1)
        rates[name].append(gflops(2 * n ** 3, t))
print("GFLOP/s on one thread (n x n @ n x n, float32)")
print(f"{'n':>5} " + " ".join(f"{name:>17}" for name in kernels))
for i, n in enumerate(sizes):
    print(f"{n:>5} " + " ".join(f"{rates[name][i]:>17.4f}" for name in kernels))
for n_cmp in (16, 32):
    i = sizes.index(n_cmp)
    print(f"n = {n_cmp}: BLAS is {rates['BLAS (np.matmul)'][i] / rates['loops'][i]:,.0f}x the loops, "
          f"{rates['BLAS (np.matmul)'][i] / rates['rows'][i]:,.1f}x the row loop")

fig, ax = plt.subplots(figsize=(7, 3.6))
for name, values in rates.items():
    ax.plot(sizes, values, marker="o", label=name)
ax.set(xscale="log", yscale="log", xlabel="n (n x n matrices)", ylabel="GFLOP/s (one thread)",
       title="The matmul ladder")
ax.set_xticks(sizes, [str(n) for n in sizes])
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# What to read from it (figures from the reference run on a heavily shared 2-core machine, one
# BLAS thread; yours differ, and on a busy machine single points jump around, so look at the trend):
#
# - **loops** stay flat around 0.001–0.002 GFLOP/s whatever n: each multiply-add costs several hundred
#   nanoseconds of interpreter work, so time grows exactly like n³.
# - **rows** climbs with n (0.09 GFLOP/s at n = 16, about 3 at n = 128): its n Python steps cost a few
#   microseconds each, and that overhead is shared by more arithmetic per step as n grows.
# - **tiled** with 64×64 tiles is one block (one BLAS call) up to n = 64, and a handful above; on
#   these small sizes it is close to BLAS. Its advantage over the row loop is reuse: each block of
#   `b` is used for 64 rows at once instead of one.
# - **BLAS** reaches 10–20 GFLOP/s on one core here, more on a quiet machine.
#
# The ratio BLAS / loops is **not a constant**: it grows with n because BLAS gets faster while the
# loops do not. "2700×" is one point on that curve. In the reference run the notebook measured
# about 1,600× at n = 16 and 3,800× at n = 32, and `benchmarks/matmul_ladder.py` measured about
# 7,600–11,800× at n = 32–128 (one thread, same run). So "2700×" is about right for a 20×20 matrix
# and an underestimate for any matrix a network actually multiplies.
#
# ### 2. Fusion: time and peak memory

# %% nbgrader={"grade": false, "grade_id": "analysis-fusion", "locked": true, "schema_version": 3, "solution": false, "task": false}
def softmax_unfused(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


x_f = rng.standard_normal((128, 1024)).astype(np.float32)
bias_f = rng.standard_normal(1024).astype(np.float32)
buf = np.empty_like(x_f)
cases = {
    "bias+GELU unfused": (bias_gelu_unfused, (x_f, bias_f), {}),
    "bias+GELU fused, out=": (bias_gelu_fused, (x_f, bias_f), {"out": buf}),
    "softmax unfused": (softmax_unfused, (x_f,), {}),
    "softmax fused, out=": (softmax_fused, (x_f,), {"out": buf}),
}
fusion = {}
for name, (fn, args, kwargs) in cases.items():
    t = measure(fn, *args, repeats=5, **kwargs)
    fusion[name] = (t.median, peak_bytes(fn, *args, **kwargs) / x_f.nbytes)
    print(f"{name:<24} {t}   peak {fusion[name][1]:.2f} x the input's {x_f.nbytes / 2**20:.0f} MiB")
for op in ("bias+GELU", "softmax"):
    slow, fast = fusion[f"{op} unfused"], fusion[f"{op} fused, out="]
    print(f"{op}: fused is {slow[0] / fast[0]:.2f}x faster, peak memory {slow[1]:.2f} -> {fast[1]:.2f} arrays")
allclose = np.allclose(bias_gelu_fused(x_f, bias_f), bias_gelu_unfused(x_f, bias_f), rtol=1e-5, atol=1e-6)
print("fused == unfused (float32 tolerance):", allclose)

fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(9, 3.2))
names = list(fusion)
colors = ["tab:red", "tab:green"] * 2
ax_t.barh(names, [fusion[k][0] * 1e3 for k in names], color=colors)
ax_t.set(xlabel="ms per call (median)", title="time")
ax_m.barh(names, [fusion[k][1] for k in names], color=colors)
ax_m.set(xlabel="peak memory / input size", title="peak memory")
ax_m.set_yticks([])
fig.tight_layout()
plt.show()

# %% [markdown]
# In the reference run (and in `benchmarks/fusion.py` at 256×4096 and 1024×4096) the fused bias + GELU
# peaked at 1.0 array instead of 4.0, and the fused softmax at 0.0 arrays (only the per-row max
# and sum) instead of 2.0. The time saved is much smaller and far noisier than the memory saved
# (bias + GELU 1.2–2.6× faster; softmax 0.8–1.4×, i.e. no reliable difference, across runs on a busy
# machine): NumPy still makes one pass over memory per operation (ten passes for the fused GELU);
# what disappears is the allocation and the page faults of fresh arrays. A truly fused kernel (one
# pass: `torch.compile`, Triton, a C loop) would also cut the passes, which is where the large
# speed-ups of fusion on GPUs come from. One more lesson from the first version of this notebook:
# written with `z ** 3` (float32 `pow`), the unfused expression was 23–80× slower than the fused
# one written with products, which says nothing about fusion. Measure the expression, not just the
# allocation.
#
# ### 3. The same model on both backends

# %% nbgrader={"grade": false, "grade_id": "analysis-backend", "locked": true, "schema_version": 3, "solution": false, "task": false}
model_demo = AcceleratedMLP(64, 32, 10, rng=np.random.default_rng(1))
x_demo = np.random.default_rng(2).standard_normal((8, 64)).astype(np.float32)
t_fast = measure(model_demo, x_demo, repeats=5)
logits_fast = model_demo(x_demo).data
with use_backend("loops"):
    t_slow = measure(model_demo, x_demo, repeats=3, warmup=1)
    logits_slow = model_demo(x_demo).data
print(f"numpy backend: {t_fast}")
print(f"loops backend: {t_slow}  ({t_slow.median / t_fast.median:,.0f}x slower)")
print("largest difference between the logits:", float(np.abs(logits_fast - logits_slow).max()))
print("same predicted classes:", bool((logits_fast.argmax(1) == logits_slow.argmax(1)).all()))

# %% [markdown]
# The logits agree to about 1e-7, not bit for bit: the loops add the k products in order in double
# precision, BLAS adds them in blocks in float32 with fused multiply-adds. Both are correct roundings
# of the same sum; the predicted classes are identical. This is why tests of optimised kernels
# compare with a tolerance, and check exact equality only for what must not change (the classes).

# %% [markdown]
# ## Integration test: one model, two backends
#
# The same `AcceleratedMLP` runs on the loops and on BLAS: the logits agree within float32 rounding
# and the predicted classes are identical; your fused softmax turns them into probabilities.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
model = AcceleratedMLP(6, 5, 3, rng=np.random.default_rng(7))
xs = np.random.default_rng(8).standard_normal((4, 6)).astype(np.float32)
fast = model(Tensor(xs))
with use_backend("loops"):
    slow = model(Tensor(xs))
expect(type(slow).__name__, "Tensor", "the model returns a Tensor on either backend")
expect_close(slow.data, fast.data, "the loops backend gives the same logits as numpy", rtol=1e-5, atol=1e-6)
expect(slow.data.argmax(axis=1), fast.data.argmax(axis=1), "the same predicted classes on both backends")
expect_close(fast.data, bias_gelu_unfused(xs @ model.w1, model.b1) @ model.w2 + model.b2,
             "the logits are gelu(x @ w1 + b1) @ w2 + b2", rtol=1e-5, atol=1e-6)
expect_close(softmax_fused(slow.data).sum(axis=1), [1.0, 1.0, 1.0, 1.0], "probabilities sum to 1", rtol=1e-6, atol=1e-6)
### BEGIN HIDDEN TESTS
_model = AcceleratedMLP(10, 7, 4, rng=np.random.default_rng(9))
_x = np.random.default_rng(10).standard_normal((5, 10)).astype(np.float32)
_fast = _model(_x).data
BACKENDS.update(_tiled2=lambda _a, _b: matmul_tiled(_a, _b, tile=2))
with use_backend("_tiled2"):
    _tiled = _model(_x).data
with use_backend("loops"):
    _slow = softmax_fused(_model(_x).data, axis=1)
BACKENDS.pop("_tiled2")
expect_close(_tiled, _fast, "a tiled backend gives the same logits", rtol=1e-5, atol=1e-6)
expect_close(_slow, softmax_fused(_fast, axis=1), "the same probabilities from both backends", rtol=1e-5, atol=1e-6)
expect(get_backend(), "numpy", "numpy again after the blocks")
### END HIDDEN TESTS
print("✅ Integration: the same model on your loops and on BLAS")

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences. Use numbers from your own runs
# where they help. These are graded by hand.
#
# **Q1 (7 points): the 2700× claim.** (a) Quote your measured BLAS / loops ratio at two sizes. Why
# is a single "N× faster" figure for loops vs BLAS meaningless without the matrix size? (b) Split
# the gap into its causes: roughly how much do you gain by removing the interpreter (loops → rows)
# and how much from there to BLAS? Name what BLAS does that the row loop does not.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-ladder", "locked": false, "points": 7, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) E.g. ~1,500x at n = 16 and ~5,000x at n = 32 (notebook), and
# ~10,000-30,000x at n = 128-192 (benchmark) on one thread. The loops run at a constant rate
# (~0.003 GFLOP/s: a fixed interpreter cost per multiply-add), while BLAS gets faster with n (its
# fixed call overhead is amortised, its blocks fill, vector units stay busy) until it reaches its
# peak; so the ratio grows with n and any single figure is one point of a curve (it also depends
# on the number of threads and the CPU). (b) loops -> rows removes the per-element interpreter
# work: a factor of 100-1,000 (growing with n); rows -> BLAS is another 2-30x: BLAS reuses blocks
# of b from cache for many rows (the row loop streams all of b for every row), packs blocks into
# contiguous memory, uses register-blocked micro-kernels with SIMD FMA instructions, and can use
# several threads.
# Grading: (a) 3 points (two measured ratios, growth with n explained); (b) 4 points (two factors
# with the student's numbers, at least two of cache reuse / SIMD / packing / threads).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q2", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (7 points): fusion.** (a) Count the full-size arrays `bias_gelu_unfused` allocates and
# compare with your measured peaks. Why is the peak smaller than the number of arrays allocated?
# (b) Your fused version saved memory; why did it save less *time* than memory? What would a real
# fused kernel (one loop in C, or `torch.compile`) save in addition? (c) When is writing into
# `out=` dangerous?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-fusion", "locked": false, "points": 7, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) z = x + b, z**3, 0.044715*z**3, z + ..., GELU_C*(...), tanh,
# 1 + tanh, 0.5*z, (0.5*z)*(...) and z*z, z*z*z: about 10 full-size arrays. The peak (~3-4 arrays) is smaller
# because NumPy frees each temporary as soon as the expression no longer refers to it (reference
# counting), so only a few are alive at once. (b) The fused NumPy version still makes one pass over
# memory per ufunc (~7 passes), it only avoids allocating and page-faulting new arrays; the bytes
# read and written barely change, and element-wise ops are memory-bound. One loop in C reads x and
# bias once and writes out once (about 1/7 of the traffic) with everything in registers, and does
# not call into Python between operations. (c) When `out` is aliased with an input that is still
# needed (out=x destroys x; a view of x overlapping out), when the caller keeps using the buffer
# from a previous call (it is overwritten), or under autograd, where the backward pass needs the
# values an in-place op destroyed.
# Grading: (a) 2 points (count + reference counting); (b) 3 points (memory-bound, passes remain,
# what real fusion saves); (c) 2 points (aliasing / reuse / autograd, one is enough if explained).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q3", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (6 points): backends.** (a) Your two backends give logits that differ by about 1e-7. Why
# are they not bit-identical, and what should a test of an optimised kernel compare exactly?
# (b) Why must `use_backend` restore the *previous* backend in a `finally`, and what goes wrong in
# a program that catches an exception from a model run on the slow backend otherwise?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-backend", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Floating-point addition is not associative: the loops add the
# k products one by one in double precision and round once, BLAS adds them in blocks (and several
# partial sums in vector registers) in float32 with fused multiply-adds; each is a valid rounding of
# the exact sum, and the results differ in the last bits. Tests compare values with a tolerance
# scaled to float32 (rtol ~1e-5) and exactly only what must not change: shapes, dtypes, the
# predicted classes (argmax), token sequences. (b) Without finally, an exception inside the block
# skips the restore: every later matmul in the program silently stays on the slow backend (or a
# test backend), a bug far from its cause. Restoring the previous backend (not a fixed default)
# makes blocks nest: an inner `use_backend("numpy")` inside a `use_backend("loops")` block must
# give the loops back when it ends.
# Grading: (a) 3 points (non-associativity / order, what to compare exactly); (b) 3 points
# (finally on exceptions, nesting).
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/acceleration.py` in your store, so that later modules can
# `from tinytorch.acceleration import matmul_tiled, softmax_fused, use_backend`.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("18_acceleration");
