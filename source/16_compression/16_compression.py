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
# # Module 16 · Compression: pruning, sparse storage and distillation
#
# **Expected time:** 3–4 hours. **Difficulty:** ★★★☆☆ (short code; the care goes into which
# weights go, keeping them gone during training, and counting the bytes honestly).
#
# Trained networks are redundant: most of their weights are tiny, and a smaller network can often
# learn what a large one knows. Compression turns that redundancy into fewer bytes:
#
# | step | you build | what it answers | PyTorch equivalent |
# |---|---|---|---|
# | 1 | `magnitude_prune` | which weights of one tensor are the least important? | `torch.nn.utils.prune.l1_unstructured` |
# | 2 | `global_magnitude_prune` | one threshold for the whole model | `prune.global_unstructured` |
# | 3 | `apply_masks`, `MaskedOptimizer` | fine-tune without the pruned weights growing back | the `weight_orig * weight_mask` reparametrisation |
# | 4 | `structured_prune` | remove whole neurons | `prune.ln_structured(n=2)` |
# | 5 | `sparsity`, `to_csr`, `csr_bytes` | how many bytes do the zeros really save? | `tensor.to_sparse_csr()` |
# | 6 | `distillation_loss` | teach a small student with a large teacher's soft targets | Hinton et al. 2015, `F.kl_div` |
#
# The course's benchmark (`benchmarks/pruning.py`) runs your functions on an MLP trained on real
# MNIST: 80 % of the weights removed, three fine-tune epochs, the accuracy before and after, the
# CSR bytes, and a distilled small student against the same student trained alone.

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# ```python
# import torch.nn.utils.prune as prune
# prune.global_unstructured([(m.fc1, "weight"), (m.fc2, "weight")],
#                           pruning_method=prune.L1Unstructured, amount=0.8)
# m.fc1.weight_mask       # a 0/1 buffer; m.fc1.weight is recomputed as weight_orig * weight_mask
# sparse = m.fc1.weight.detach().to_sparse_csr()    # values, col_indices, crow_indices
# ```
#
# A **mask** is an array of booleans of the weight's shape: `True` keeps a weight, `False` removes
# it. Pruning chooses the mask; training afterwards must keep the removed weights at zero (PyTorch
# recomputes `weight = weight_orig * mask` before every forward; you will re-apply the mask after
# every optimiser step). A zero still costs 4 bytes in a dense array: the bytes are saved only by a
# **sparse format** that stores the non-zeros and their positions.

# %% [markdown]
# ## Setup
#
# The first cell is exported into `tinytorch/compression.py`. It imports your `Tensor`, layers,
# `log_softmax` and `CrossEntropyLoss` (modules 01–05) and gives you `leaf_layers(model)` (the
# layers of a nested `Sequential`), `prunable_weights(model)` (the `weight` of every `Linear`) and
# `as_array(x)` (the ndarray behind a Tensor, a Parameter or an array).

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import numpy as np
from tinytorch.tensor import Tensor
from tinytorch.layers import Linear, Sequential
from tinytorch.activations import ReLU
from tinytorch.losses import log_softmax, CrossEntropyLoss

__all__ = ["magnitude_prune", "global_magnitude_prune", "apply_masks", "MaskedOptimizer", "structured_prune",
           "sparsity", "to_csr", "csr_bytes", "distillation_loss", "leaf_layers", "prunable_weights", "as_array"]


def as_array(x):
    """Given: the ndarray behind a Tensor or Parameter (the same object, not a copy), or np.asarray(x)."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def leaf_layers(model):
    """Given: the layers of a (nested) Sequential, in order."""
    if isinstance(model, Sequential):
        return [leaf for i in range(len(model)) for leaf in leaf_layers(model[i])]
    return [model]


def prunable_weights(model):
    """Given: the weight Parameter of every Linear in the model (biases are not pruned)."""
    return [layer.weight for layer in leaf_layers(model) if isinstance(layer, Linear)]


def _check_fraction(value, name="sparsity"):
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · Magnitude pruning of one tensor
#
# The simplest importance score is the size of a weight: `|w|`. To reach a sparsity `s`, remove the
# `k = round(s · n)` weights with the **smallest absolute value** (`n` = number of weights), and keep
# the rest. Return the mask (a bool array of the weight's shape, `True` = kept); do not change the
# weights.
#
# Example: `w = [0.5, -0.1, 0.05, -2.0]`, `s = 0.5` → k = 2 → the two smallest |w| are 0.05 and 0.1
# → mask `[True, False, False, True]`.
#
# Details: ties are broken by position (the earlier index goes first: `np.argsort(..., kind="stable")`
# on the flattened magnitudes); `s` outside [0, 1] raises `ValueError` (use the given
# `_check_fraction`). Rank by **absolute value**: ranking by the signed value removes the large
# negative weights, which matter most.

# %% nbgrader={"grade": false, "grade_id": "magnitude-prune", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def magnitude_prune(weight, sparsity):
    """Bool mask of weight's shape: False for the round(sparsity * n) smallest |w| (ties: earlier index first)."""
    _check_fraction(sparsity)
    w = as_array(weight)
    ### BEGIN SOLUTION
    k = int(round(sparsity * w.size))
    mask = np.ones(w.size, dtype=bool)
    mask[np.argsort(np.abs(w).reshape(-1), kind="stable")[:k]] = False
    return mask.reshape(w.shape)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-magnitude-prune", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
mask = magnitude_prune(np.array([0.5, -0.1, 0.05, -2.0]), 0.5)
expect(str(mask.dtype), "bool", "the mask should be a bool array")
expect(mask, [True, False, False, True], "remove the two smallest |w|: 0.05 and -0.1 (not the negative -2.0)")
w = np.array([[0.3, -0.9, 0.1], [-0.2, 0.0, 0.6]])
expect(magnitude_prune(w, 0.5), [[True, True, False], [False, False, True]], "a 2x3 weight at 50 %: 3 of 6 removed")
expect(w, [[0.3, -0.9, 0.1], [-0.2, 0.0, 0.6]], "magnitude_prune must not change the weights")
expect(int(magnitude_prune(np.ones(10), 0.3).sum()), 7, "ties: 3 of 10 equal weights removed, 7 kept")
expect(magnitude_prune(np.ones(4), 0.5), [False, False, True, True], "ties are broken by position (earlier first)")
expect([magnitude_prune(w, 0.0).sum(), magnitude_prune(w, 1.0).sum()], [6, 0], "sparsity 0 keeps all, 1 removes all")
with expect_raises(ValueError, "a sparsity above 1 should raise ValueError"):
    magnitude_prune(w, 1.5)
### BEGIN HIDDEN TESTS
_w = np.random.default_rng(0).normal(size=(8, 5)).astype(np.float32)
_m = magnitude_prune(Tensor(_w), 0.8)
expect(int(_m.sum()), 8, "80 % of 40 weights removed")
expect(_m, np.abs(_w) >= np.sort(np.abs(_w).ravel())[32], "the 8 largest |w| of an 8x5 Tensor are kept")
expect(magnitude_prune(np.array([-3.0, 1.0, -0.5, 2.0, -1.5]), 0.4), [True, False, False, True, True],
       "negative weights ranked by magnitude")
### END HIDDEN TESTS
print("✅ Step 1: magnitude_prune")

# %% [markdown]
# ## Step 2 · Global pruning: one threshold for the whole model
#
# Pruning every layer to the same 80 % treats a 784×256 layer (200,704 weights) like the 128×10
# output layer (1,280 weights, all of them needed to tell ten classes apart). **Global** pruning
# ranks all weights of all layers together and removes the `round(s · N)` smallest (`N` = total
# count): layers with many small weights lose more, layers with few important ones lose less.
#
# Return one mask per parameter, each of that parameter's shape. Ties: the same rule as Step 1 on
# the concatenation of the flattened parameters in the given order. Hint: concatenate the
# magnitudes, prune them with `magnitude_prune`, then cut the mask back into pieces (`np.split`
# at the cumulative sizes).

# %% nbgrader={"grade": false, "grade_id": "global-prune", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def global_magnitude_prune(params, sparsity):
    """One mask per parameter: the round(sparsity * N) smallest |w| of all parameters together are removed."""
    _check_fraction(sparsity)
    arrays = [as_array(p) for p in params]
    ### BEGIN SOLUTION
    flat = np.concatenate([a.reshape(-1) for a in arrays])
    mask = magnitude_prune(flat, sparsity)
    pieces = np.split(mask, np.cumsum([a.size for a in arrays])[:-1])
    return [piece.reshape(a.shape) for piece, a in zip(pieces, arrays)]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-global-prune", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
big = np.array([[0.9, -0.8], [0.7, 0.6]], np.float32)
small = np.array([0.01, -0.02, 0.03, 0.5], np.float32)
masks = global_magnitude_prune([big, small], 0.375)
expect(len(masks), 2, "one mask per parameter")
expect(masks[0], [[True, True], [True, True]], "the large layer keeps all its weights")
expect(masks[1], [False, False, False, True], "the small weights of the second layer go first (one threshold)")
expect([m.shape for m in global_magnitude_prune([big, small], 0.25)], [(2, 2), (4,)], "masks keep each shape")
expect(int(sum(m.sum() for m in global_magnitude_prune([big, small], 0.75))), 2, "75 % of 8 weights: 2 kept")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1)
_ps = [Tensor(_rng.normal(0, s, size=sh).astype(np.float32)) for s, sh in [(1.0, (6, 4)), (0.1, (4, 3)), (0.5, (5,))]]
_ms = global_magnitude_prune(_ps, 0.6)
_all = np.concatenate([p.data.ravel() for p in _ps])
_thr = np.sort(np.abs(_all))[int(round(0.6 * _all.size))]
expect([m.sum() for m in _ms], [int((np.abs(p.data) >= _thr).sum()) for p in _ps], "kept per layer with one threshold")
expect(np.concatenate([m.ravel() for m in _ms]), np.abs(_all) >= _thr, "the global mask of three random tensors")
### END HIDDEN TESTS
print("✅ Step 2: global_magnitude_prune")

# %% [markdown]
# ## Step 3 · Masks that stay applied during fine-tuning
#
# Pruning hurts accuracy; a few epochs of training with the remaining weights recover most of it.
# But a plain optimiser step gives every weight `w -= lr · grad`, and the gradient of a pruned
# weight is not zero: after one step it is back. With momentum or Adam it even comes back *later*,
# from the optimiser's memory, when the gradient is already masked. The robust fix is PyTorch's:
# **re-apply the mask after every step**.
#
# 1. `apply_masks(params, masks)`: set every pruned entry of each parameter to 0, **in place**
#    (`p.data[~mask] = 0` or `p.data *= mask`): the optimiser holds these arrays; a new array would
#    leave it updating the old one.
# 2. `MaskedOptimizer(opt, masks)`: wraps any optimiser. `step()` runs `opt.step()` and then
#    re-applies the masks to `opt.params`; `zero_grad()` passes through. It also applies the masks
#    once when it is created (so pruning = compute masks + wrap the optimiser).

# %% nbgrader={"grade": false, "grade_id": "masked-optimizer", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def apply_masks(params, masks):
    """Zero the pruned entries (mask False) of every parameter, in place."""
    ### BEGIN SOLUTION
    for p, mask in zip(params, masks):
        as_array(p)[~np.asarray(mask, dtype=bool)] = 0
    ### END SOLUTION


class MaskedOptimizer:
    """Wraps an optimiser: the masks are applied at creation and re-applied after every step."""

    def __init__(self, optimizer, masks):
        self.optimizer = optimizer
        self.masks = [np.asarray(m, dtype=bool) for m in masks]
        if len(self.masks) != len(optimizer.params):
            raise ValueError(f"{len(self.masks)} masks for {len(optimizer.params)} parameters")
        apply_masks(optimizer.params, self.masks)

    @property
    def params(self):
        return self.optimizer.params

    def zero_grad(self):
        self.optimizer.zero_grad()

    def step(self):
        ### BEGIN SOLUTION
        self.optimizer.step()
        apply_masks(self.optimizer.params, self.masks)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-masked-optimizer", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
from tinytorch.layers import Parameter
from tinytorch.optimizers import SGD
p = Parameter(np.array([1.0, -2.0, 3.0, -4.0], np.float32))
data_before = p.data
apply_masks([p], [np.array([True, False, True, False])])
expect(p.data, [1.0, 0.0, 3.0, 0.0], "apply_masks zeroes the pruned entries")
expect(p.data is data_before, True, "apply_masks works in place (the optimiser holds this array)")
p = Parameter(np.array([1.0, 0.5, -1.0], np.float32))
sgd = SGD([p], lr=0.1, momentum=0.9)
p.grad = Tensor(np.ones(3, np.float32))
sgd.step()                                  # trained before pruning: the momentum buffer is [1, 1, 1]
opt = MaskedOptimizer(sgd, [np.array([True, False, True])])
expect_close(p.data, [0.9, 0.0, -1.1], "the masks are applied when the MaskedOptimizer is created",
             rtol=1e-6, atol=1e-7)
history = []
for _ in range(3):
    opt.zero_grad()
    p.grad = Tensor(np.ones(3, np.float32))
    opt.step()
    history.append(p.data.copy())
expect_close(history, [[0.71, 0.0, -1.29], [0.439, 0.0, -1.561], [0.0951, 0.0, -1.9049]],
             "three SGD-momentum steps: the pruned weight stays 0 despite its momentum, the others move as usual", rtol=1e-5, atol=1e-6)
### BEGIN HIDDEN TESTS
from tinytorch.optimizers import Adam as _Adam
_rng = np.random.default_rng(2)
_ps = [Parameter(_rng.normal(size=(4, 3)).astype(np.float32)), Parameter(_rng.normal(size=(3,)).astype(np.float32))]
_ms = global_magnitude_prune(_ps, 0.5)
_opt = MaskedOptimizer(_Adam(_ps, lr=0.05), _ms)
for _ in range(4):
    _opt.zero_grad()
    for _p in _ps:
        _p.grad = Tensor(_rng.normal(size=_p.data.shape).astype(np.float32))
    _opt.step()
expect([int((_p.data != 0).sum()) for _p in _ps], [int(_m.sum()) for _m in _ms], "Adam: only the kept weights are non-zero")
expect(np.concatenate([(_p.data == 0).ravel() for _p in _ps]), ~np.concatenate([_m.ravel() for _m in _ms]),
       "Adam: exactly the pruned weights are zero after 4 steps")
### END HIDDEN TESTS
print("✅ Step 3: apply_masks and MaskedOptimizer")

# %% [markdown]
# ## Step 4 · Structured pruning: whole neurons
#
# Scattered zeros save bytes only in a sparse format, and a dense matmul multiplies them anyway.
# Removing **whole neurons** gives a smaller dense layer instead: an output neuron is a *column* of
# our `(in_features, out_features)` weight; drop the column and the layer is simply narrower.
#
# `structured_prune(linear, fraction, dim=1)`: score each slice along `dim` by its **L2 norm**
# (`dim=1`: one norm per output column, over the inputs; `dim=0`: one per input row), remove the
# `round(fraction · count)` slices with the smallest norm (ties: earlier index first), and return a
# mask of the weight's shape whose removed slices are entirely `False`. Do not change the weights.
# `dim` other than 0 or 1 raises `ValueError`, and so does a `fraction` outside [0, 1].

# %% nbgrader={"grade": false, "grade_id": "structured-prune", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def structured_prune(linear, fraction, dim=1):
    """Weight mask removing the round(fraction * count) slices along `dim` with the smallest L2 norm."""
    _check_fraction(fraction, "fraction")
    if dim not in (0, 1):
        raise ValueError(f"dim must be 0 (input rows) or 1 (output columns), got {dim}")
    w = as_array(linear.weight)
    ### BEGIN SOLUTION
    norms = np.sqrt((w.astype(np.float64) ** 2).sum(axis=1 - dim))
    keep = magnitude_prune(norms, fraction)
    shape = (1, -1) if dim == 1 else (-1, 1)
    return np.broadcast_to(keep.reshape(shape), w.shape).copy()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-structured-prune", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
layer = Linear(3, 4)
layer.weight.data[...] = np.array([[3.0, 0.125, -1.0, 0.0], [0.0, 0.125, 1.0, -0.5], [-4.0, 0.125, 1.0, 0.5]], np.float32)
mask = structured_prune(layer, 0.5)
expect(mask.shape, (3, 4), "the mask has the weight's shape")
expect(mask[0], [True, False, True, False], "columns 1 (norm 0.22) and 3 (norm 0.71) are removed")
expect(mask.sum(axis=0), [3, 0, 3, 0], "whole columns are kept or removed")
expect(structured_prune(layer, 1 / 3, dim=0)[:, 0], [True, False, True], "dim=0: the row with the smallest norm goes")
expect(layer.weight.data[0], [3.0, 0.125, -1.0, 0.0], "structured_prune must not change the weights")
with expect_raises(ValueError, "dim=2 should raise ValueError"):
    structured_prune(layer, 0.5, dim=2)
### BEGIN HIDDEN TESTS
_layer = Linear(6, 5, rng=np.random.default_rng(3))
_layer.weight.data[:, 2] *= 0.01
_m = structured_prune(_layer, 0.4)
_n = np.linalg.norm(_layer.weight.data, axis=0)
expect(_m[0], _n >= np.sort(_n)[2], "the two output columns with the smallest L2 norm are removed")
_r = np.linalg.norm(_layer.weight.data, axis=1)
expect(structured_prune(_layer, 0.5, dim=0)[:, 0], _r >= np.sort(_r)[3], "dim=0: three rows with the smallest norms")
_layer = Linear(4, 3)
_layer.weight.data[...] = np.array([[1.0, 2.5, 3.0], [1.0, 0.0, 3.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
expect(structured_prune(_layer, 1 / 3)[0], [False, True, True], "L2 norms 2, 2.5, 4.2 (the L1 norms would be 4, 2.5, 6)")
### END HIDDEN TESTS
print("✅ Step 4: structured_prune")

# %% [markdown]
# ## Step 5 · Counting zeros, and the bytes they really save
#
# 1. `sparsity(params)`: the fraction of entries equal to 0 over all the given parameters (or
#    arrays) together, as a Python float: `zeros / total`, weighted by size (not the mean of the
#    per-layer fractions).
# 2. `to_csr(array) -> (data, indices, indptr)`: the **compressed sparse row** format of a 2-D array.
#    `data` holds the non-zeros row by row (the array's dtype), `indices` their column numbers
#    (int32), and `indptr` (int32, length rows + 1) where each row starts in `data`: row `i` is
#    `data[indptr[i]:indptr[i+1]]`. Example: `[[0, 5, 0], [7, 0, 8]]` → data `[5, 7, 8]`,
#    indices `[1, 0, 2]`, indptr `[0, 1, 3]`.
# 3. `csr_bytes(array)`: the bytes of that CSR: `data.nbytes + indices.nbytes + indptr.nbytes`.
#
# A float32 non-zero costs 4 bytes of value plus 4 of column index: CSR only beats the dense array
# above 50 % sparsity.

# %% nbgrader={"grade": false, "grade_id": "csr", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def sparsity(params):
    """Fraction of zero entries over all the given parameters/arrays together (a Python float)."""
    arrays = [as_array(p) for p in params]
    ### BEGIN SOLUTION
    total = sum(a.size for a in arrays)
    zeros = sum(int(a.size - np.count_nonzero(a)) for a in arrays)
    return float(zeros / total)
    ### END SOLUTION


def to_csr(array):
    """(data, indices int32, indptr int32) of a 2-D array, row by row."""
    a = as_array(array)
    if a.ndim != 2:
        raise ValueError(f"CSR needs a 2-D array, got shape {a.shape}")
    ### BEGIN SOLUTION
    rows, cols = np.nonzero(a)
    data = a[rows, cols]
    indices = cols.astype(np.int32)
    indptr = np.zeros(a.shape[0] + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=a.shape[0]), out=indptr[1:])
    return data, indices, indptr
    ### END SOLUTION


def csr_bytes(array):
    """Bytes of the CSR of a 2-D array: data + indices + indptr."""
    ### BEGIN SOLUTION
    return int(sum(part.nbytes for part in to_csr(array)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-csr", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
expect(sparsity([np.array([0.0, 1.0, 0.0, 2.0])]), 0.5, "2 zeros of 4")
expect(sparsity([np.zeros(6), np.ones(2)]), 0.75, "6 zeros of 8 in total (not the mean of 1.0 and 0.0)")
data, indices, indptr = to_csr(np.array([[0, 5, 0], [7, 0, 8]], np.float32))
expect([data, indices, indptr], [[5.0, 7.0, 8.0], [1, 0, 2], [0, 1, 3]], "the CSR of [[0, 5, 0], [7, 0, 8]]")
expect([str(data.dtype), str(indices.dtype), str(indptr.dtype)], ["float32", "int32", "int32"], "CSR dtypes")
expect(to_csr(np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]]))[2], [0, 0, 0, 1], "empty rows repeat the pointer")
expect(csr_bytes(np.array([[0, 5, 0], [7, 0, 8]], np.float32)), 3 * 4 + 3 * 4 + 3 * 4, "12 + 12 + 12 bytes")
w = np.zeros((100, 50), np.float32)
w[::10, ::5] = 1.0
expect([w.nbytes, csr_bytes(w)], [20000, 100 * 4 + 100 * 4 + 101 * 4], "a 98 %-sparse 100x50 float32: CSR is ~17x smaller")
### BEGIN HIDDEN TESTS
_a = np.random.default_rng(4).normal(size=(7, 9)).astype(np.float32)
_a = np.where(np.abs(_a) < 0.8, 0, _a).astype(np.float32)
_d, _i, _p = to_csr(Tensor(_a))
_back = np.zeros_like(_a)
for _r in range(7):
    _back[_r, _i[_p[_r]:_p[_r + 1]]] = _d[_p[_r]:_p[_r + 1]]
expect(_back, _a, "the CSR of a random 7x9 array rebuilds it")
expect(csr_bytes(_a), 8 * int(np.count_nonzero(_a)) + 4 * 8, "bytes of the random CSR")
expect_close(sparsity([Tensor(_a), np.ones((3, 3))]), float((_a == 0).sum()) / 72, "sparsity of a Tensor and an array",
             rtol=1e-12, atol=0)
expect(csr_bytes(_a.astype(np.float64)), 12 * int(np.count_nonzero(_a)) + 4 * 8, "float64 values cost 8 bytes each")
### END HIDDEN TESTS
print("✅ Step 5: sparsity, to_csr and csr_bytes")

# %% [markdown]
# ## Step 6 · Knowledge distillation
#
# A large **teacher** knows more than its top class: its probabilities say that a "7" looks a bit
# like a "1" and not at all like a "0". A small **student** learns faster from those soft targets
# than from the hard labels alone (Hinton, Vinyals and Dean, 2015). Dividing the logits by a
# **temperature** `T > 1` softens both distributions so the small probabilities carry signal:
#
# ```
#     p_t = softmax(teacher / T)            (a constant: no gradient flows into the teacher)
#     log p_s = log_softmax(student / T)
#     KL = Σ_batch Σ_classes p_t · (log p_t − log p_s) / N      ("batchmean": sum, divided by N)
#     loss = alpha · T² · KL + (1 − alpha) · CrossEntropy(student, targets)
# ```
#
# The `T²` keeps the soft term's gradients the same size whatever `T` (they shrink like 1/T²
# otherwise). The student term must be built from **Tensor operations** (your `log_softmax` and
# `CrossEntropyLoss`) so the loss is differentiable with respect to the student's logits; the
# teacher's part may be computed in NumPy (use a stable log-softmax: subtract the row maximum).

# %% nbgrader={"grade": false, "grade_id": "distillation", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def distillation_loss(student_logits, teacher_logits, targets, temperature=4.0, alpha=0.5):
    """alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) (batchmean) + (1 - alpha) * CE(student, targets)."""
    student = student_logits if isinstance(student_logits, Tensor) else Tensor(student_logits)
    teacher = as_array(teacher_logits).astype(np.float32) / np.float32(temperature)
    ### BEGIN SOLUTION
    shifted = teacher - teacher.max(axis=-1, keepdims=True)
    log_p_teacher = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    p_teacher = np.exp(log_p_teacher)
    log_p_student = log_softmax(student * (1.0 / temperature), axis=-1)
    n = student.data.shape[0]
    kl = (Tensor(p_teacher) * (Tensor(log_p_teacher) - log_p_student)).sum() * (1.0 / n)
    hard = CrossEntropyLoss()(student, targets)
    return kl * (alpha * temperature ** 2) + hard * (1.0 - alpha)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-distillation", "locked": true, "points": 14, "schema_version": 3, "solution": false, "task": false}
s = Parameter(np.array([[2.0, 0.0, -1.0], [0.5, 1.5, 0.0]], np.float32))
t = np.array([[3.0, 1.0, -2.0], [0.0, 2.0, 1.0]], np.float32)
y = np.array([0, 1])
expect_close(distillation_loss(s, t, y, temperature=1.0, alpha=0.0).data, 0.31710741, "alpha 0: plain cross-entropy",
             rtol=1e-5, atol=0)
expect_close(distillation_loss(s, t, y, temperature=2.0, alpha=1.0).data, 0.14284617,
             "alpha 1, T 2: T^2 times the batch-mean KL of the softened distributions", rtol=1e-5, atol=0)
expect_close(distillation_loss(s, s.data, y, temperature=3.0, alpha=1.0).data, 0.0, "a student equal to its teacher: KL 0",
             rtol=0, atol=1e-6)
loss = distillation_loss(s, t, y, temperature=4.0, alpha=0.5)
expect_close(loss.data, 0.27264023, "the default mix: 0.5 * 16 * KL + 0.5 * CE", rtol=1e-5, atol=0)
loss.backward()
expect_close(s.grad.data, [[-0.08627918, -0.00009633, 0.08637553], [0.11933466, -0.1065958, -0.01273879]],
             "the gradient with respect to the student's logits", rtol=1e-4, atol=1e-6)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5)
_s = Parameter(_rng.normal(size=(5, 4)).astype(np.float32))
_t = _rng.normal(size=(5, 4)).astype(np.float32) * 3
_y = _rng.integers(0, 4, size=5)
def _np_loss(s, t, y, T, a):
    def _ls(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    _pt = np.exp(_ls(t / T))
    return a * T * T * (_pt * (_ls(t / T) - _ls(s / T))).sum() / len(s) - (1 - a) * _ls(s)[np.arange(len(s)), y].mean()
_l = distillation_loss(_s, Tensor(_t), _y, temperature=2.5, alpha=0.7)
expect_close(_l.data, _np_loss(_s.data.astype(np.float64), _t.astype(np.float64), _y, 2.5, 0.7),
             "a random 5x4 batch, T 2.5, alpha 0.7", rtol=1e-5, atol=1e-6)
_l.backward()
_eps, _g = 1e-4, np.zeros((5, 4))
for _i in range(5):
    for _j in range(4):
        _sp, _sm = _s.data.astype(np.float64), _s.data.astype(np.float64)
        _sp = _sp.copy(); _sp[_i, _j] += _eps
        _sm = _sm.copy(); _sm[_i, _j] -= _eps
        _g[_i, _j] = (_np_loss(_sp, _t.astype(np.float64), _y, 2.5, 0.7) - _np_loss(_sm, _t.astype(np.float64), _y, 2.5, 0.7)) / (2 * _eps)
expect_close(_s.grad.data, _g, "the gradient agrees with central differences", rtol=1e-3, atol=1e-5)
### END HIDDEN TESTS
print("✅ Step 6: distillation_loss")

# %% [markdown]
# ## Systems analysis
#
# The notebook runs without the MNIST files: the analysis trains a small MLP on synthetic clustered
# data in a few seconds. `benchmarks/pruning.py` repeats it on real MNIST.
#
# ### 1. Sparsity vs accuracy: global vs per-layer, with and without fine-tuning

# %% nbgrader={"grade": false, "grade_id": "analysis-curve", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
from tinytorch.optimizers import Adam
from tinytorch_runtime.timing import measure


def make_data(rng, n, centres, noise=1.6):
    labels = rng.integers(0, len(centres), size=n)
    return (centres[labels] + noise * rng.standard_normal((n, centres.shape[1]))).astype(np.float32), labels


def make_mlp(rng, sizes):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [Linear(a, b, init="he", rng=rng)] + ([ReLU()] if i < len(sizes) - 2 else [])
    return Sequential(*layers)


def train(model, x, y, epochs, optimizer, loss_fn=None, batch=64, rng=None):
    rng = rng or np.random.default_rng(0)
    loss_fn = loss_fn or (lambda logits, yb, idx: CrossEntropyLoss()(logits, yb))
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            optimizer.zero_grad()
            loss_fn(model(Tensor(x[idx])), y[idx], idx).backward()
            optimizer.step()


def accuracy(model, x, y):
    return float((model(Tensor(x)).data.argmax(axis=1) == y).mean())


def copy_weights(src, dst):
    for a, b in zip(src.parameters(), dst.parameters()):
        b.data[...] = a.data


rng = np.random.default_rng(0)
centres = rng.standard_normal((10, 64)).astype(np.float32)
x_train, y_train = make_data(rng, 2000, centres)
x_test, y_test = make_data(rng, 1000, centres)
sizes = [64, 128, 64, 10]
dense = make_mlp(rng, sizes)
train(dense, x_train, y_train, 4, Adam(dense.parameters(), lr=3e-3))
base_acc = accuracy(dense, x_test, y_test)
print(f"dense model: test accuracy {base_acc:.3f}")

levels = [0.5, 0.7, 0.8, 0.9, 0.95]
curves = {"per-layer": [], "global": [], "global + 1 fine-tune epoch": []}
for level in levels:
    for kind in curves:
        model = make_mlp(np.random.default_rng(1), sizes)
        copy_weights(dense, model)
        weights = prunable_weights(model)
        masks = ([magnitude_prune(w, level) for w in weights] if kind == "per-layer"
                 else global_magnitude_prune(weights, level))
        apply_masks(weights, masks)
        if kind.endswith("epoch"):
            train(model, x_train, y_train, 1, MaskedOptimizer(Adam(weights, lr=1e-3), masks))
        curves[kind].append(accuracy(model, x_test, y_test))
for kind, accs in curves.items():
    print(f"{kind:>28}: " + "  ".join(f"{lv:.0%} -> {a:.3f}" for lv, a in zip(levels, accs)))
fig, ax = plt.subplots(figsize=(7, 3.5))
for kind, accs in curves.items():
    ax.plot([100 * lv for lv in levels], accs, marker="o", label=kind)
ax.axhline(base_acc, color="gray", linestyle="--", label="dense")
ax.set(xlabel="sparsity of the weights (%)", ylabel="test accuracy", title="Magnitude pruning on synthetic clusters")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Reference run (dense 0.985): at 80 % sparsity per-layer pruning gives 0.707, global 0.743, and
# global plus **one** epoch of masked fine-tuning 0.908; at 50–70 % the fine-tuned model is within
# two points of the dense one. This network is small (64-128-64-10, 17k weights) and has little
# to spare: beyond 90 % every variant collapses, and there the order of per-layer and global can
# even swap. On the 784-256-128-10 MNIST MLP, whose first layer holds 85 % of the weights, global
# pruning has much more room: the benchmark measures the 80 % point there.
#
# ### 2. Bytes: dense, CSR, and a narrower dense layer

# %% nbgrader={"grade": false, "grade_id": "analysis-bytes", "locked": true, "schema_version": 3, "solution": false, "task": false}
w = np.random.default_rng(2).normal(size=(784, 256)).astype(np.float32)
fractions = [0.0, 0.25, 0.5, 0.6, 0.8, 0.9, 0.95]
csr_sizes = []
for level in fractions:
    pruned = w * magnitude_prune(w, level)
    csr_sizes.append(csr_bytes(pruned))
    print(f"sparsity {level:4.0%}: dense {pruned.nbytes:>9,} B   CSR {csr_bytes(pruned):>9,} B   "
          f"ratio {pruned.nbytes / csr_bytes(pruned):.2f}x")
half_neurons = Linear(784, 256)
half_neurons.weight.data[...] = w
neuron_mask = structured_prune(half_neurons, 0.8)
narrow = w[:, neuron_mask[0]]
print(f"structured 80 %: a dense {narrow.shape} weight of {narrow.nbytes:,} B (no index arrays)")
w80 = w * magnitude_prune(w, 0.8)
x_big = np.random.default_rng(3).normal(size=(256, 784)).astype(np.float32)
t_dense = measure(lambda: x_big @ w, repeats=5, warmup=1)
t_sparse_dense = measure(lambda: x_big @ w80, repeats=5, warmup=1)
t_narrow = measure(lambda: x_big @ narrow, repeats=5, warmup=1)
print(f"matmul 256x784 @ 784x256: dense {t_dense}, 80 % zeros {t_sparse_dense}, 80 % of neurons removed {t_narrow}")
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.plot([100 * f for f in fractions], [w.nbytes / 1e3] * len(fractions), label="dense float32")
ax.plot([100 * f for f in fractions], [b / 1e3 for b in csr_sizes], marker="o", label="CSR (float32 + int32 indices)")
ax.set(xlabel="sparsity (%)", ylabel="kB", title="Storage of a 784x256 weight")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# CSR pays 4 bytes of column index per kept float: below 50 % sparsity it is *larger* than the dense
# array, at 80 % it is about 2.5× smaller (not 5×), at 95 % about 10×. The timing shows the other
# half of the story: a dense matmul does the same work whether the weights are zero or not (the
# two timings are within noise), while removing whole neurons gives a narrower matmul that really is
# faster (about 5× fewer FLOPs at 80 %). Unstructured sparsity pays off in bytes (and in sparse
# kernels at very high sparsity); structured sparsity pays off in time.
#
# ### 3. Distillation: a small student with and without a teacher

# %% nbgrader={"grade": false, "grade_id": "analysis-distill", "locked": true, "schema_version": 3, "solution": false, "task": false}
teacher_logits = dense(Tensor(x_train)).data
small_sizes = [64, 16, 10]
alone = make_mlp(np.random.default_rng(7), small_sizes)
train(alone, x_train[:300], y_train[:300], 12, Adam(alone.parameters(), lr=3e-3))
student = make_mlp(np.random.default_rng(7), small_sizes)
train(student, x_train[:300], y_train[:300], 12, Adam(student.parameters(), lr=3e-3),
      loss_fn=lambda logits, yb, idx: distillation_loss(logits, teacher_logits[idx], yb, temperature=4.0, alpha=0.7))
print(f"teacher {sizes}: {accuracy(dense, x_test, y_test):.3f};  student {small_sizes} alone: "
      f"{accuracy(alone, x_test, y_test):.3f}, distilled: {accuracy(student, x_test, y_test):.3f}")

# %% [markdown]
# Both students have the same architecture, initial weights, data (300 examples) and number of
# steps; only the loss differs. With few labels, the teacher's soft targets are extra information
# per example (how similar each example is to every class). Reference run: teacher 0.985, the
# student alone 0.654, distilled 0.669: a small gain here, on 300 examples and 60 steps; the
# difference depends on data, T and alpha, so compare on your own runs before claiming it.

# %% [markdown]
# ## Integration test: prune 80 %, fine-tune, count
#
# A classifier on separable synthetic data: prune 80 % of its weights globally, fine-tune with the
# masks applied, and check that the sparsity survived training and the accuracy came back.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
from tinytorch.optimizers import Adam
rng = np.random.default_rng(11)
centres = rng.standard_normal((4, 32)).astype(np.float32) * 2
labels = rng.integers(0, 4, size=400)
points = (centres[labels] + rng.standard_normal((400, 32))).astype(np.float32)
net = Sequential(Linear(32, 64, init="he", rng=rng), ReLU(), Linear(64, 4, init="he", rng=rng))
opt = Adam(net.parameters(), lr=1e-2)
for epoch in range(3):
    for start in range(0, 400, 50):
        opt.zero_grad()
        CrossEntropyLoss()(net(Tensor(points[start:start + 50])), labels[start:start + 50]).backward()
        opt.step()
weights = prunable_weights(net)
masks = global_magnitude_prune(weights, 0.8)
masked = MaskedOptimizer(Adam(weights, lr=1e-2), masks)
for epoch in range(2):
    for start in range(0, 400, 50):
        masked.zero_grad()
        CrossEntropyLoss()(net(Tensor(points[start:start + 50])), labels[start:start + 50]).backward()
        masked.step()
expect(sparsity(weights), 1843 / 2304, "round(0.8 * 2304) = 1843 of the 2304 weights are zero after fine-tuning")
expect([csr_bytes(w) for w in weights], [8 * int((w.data != 0).sum()) + 4 * (w.data.shape[0] + 1) for w in weights],
       "CSR bytes of the pruned weights")
expect_close(float((net(Tensor(points)).data.argmax(axis=1) == labels).mean()), 1.0,
             "the fine-tuned sparse classifier's training accuracy", rtol=0, atol=0.05)
### BEGIN HIDDEN TESTS
expect(np.concatenate([(w.data == 0).ravel() for w in weights]), ~np.concatenate([m.ravel() for m in masks]),
       "exactly the pruned weights are zero")
expect(int(sum(m.sum() for m in masks)), int(round(0.2 * (32 * 64 + 64 * 4))), "20 % of the weights kept")
### END HIDDEN TESTS
print("✅ Integration: an 80 %-sparse classifier, fine-tuned with its masks applied")

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences, with numbers from your runs.
# These are graded by hand.
#
# **Q1 (6 points): bytes and time.** (a) From your byte table, at which sparsity does CSR break
# even with the dense float32 array, and why not at 0 %? What ratio did you get at 80 %? (b) Your
# 80 %-zero matmul took as long as the dense one. Why, and what did structured pruning change?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-bytes", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Each kept float32 costs 4 B of value + 4 B of int32 column
# index, plus (rows+1)·4 B of row pointers: CSR is smaller only when fewer than about half the
# entries are kept (break-even ~50 % sparsity, slightly above because of indptr); at 0 % it is
# about 2x the dense size. At 80 %: 802,816 B dense vs ~324,000 B CSR, about 2.5x (not 5x).
# (b) A dense matmul (BLAS) multiplies every entry, zero or not: the same FLOPs and memory traffic,
# so the same time. Removing whole output neurons makes the weight matrix narrower (784x52 instead
# of 784x256): a dense matmul with ~5x fewer FLOPs, measurably faster, and no index arrays.
# Grading: (a) 3 points (break-even with the reason, the measured ratio); (b) 3 points.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q2", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (6 points): keeping weights pruned.** (a) Why does a plain optimiser step bring pruned
# weights back, and why does masking only the gradient not suffice with momentum or Adam? (b) Why
# is global pruning better than pruning every layer by the same fraction, as your curve shows?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-masks", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) The gradient of a zero weight is generally not zero (the loss
# depends on it), so w -= lr*grad makes it non-zero again. Masking the gradient stops the current
# step, but momentum buffers (and Adam's moments, plus weight decay) keep updating the weight from
# earlier gradients; re-applying the mask to the weights after every step is the only rule that
# holds for any optimiser. (b) Layers differ in size and redundancy: the large first layer has
# many small weights, the small output layer few and important ones. One global threshold removes
# the least important weights wherever they are; the same fraction per layer removes important
# output weights while keeping unimportant first-layer ones (per-layer collapses first on the curve).
# Grading: (a) 4 points (non-zero gradient 2, optimiser state 2); (b) 2 points.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q3", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (6 points): distillation.** (a) What does the temperature do to the teacher's probabilities,
# and why multiply the KL term by T²? (b) When should a distilled student beat the same student
# trained alone, and when not?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-distill", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Dividing the logits by T > 1 flattens the softmax: the small
# probabilities of the wrong classes grow and carry the teacher's similarity structure ("this 7
# looks like a 1"); at T = 1 they are almost 0 for a confident teacher. The gradient of the soft
# term with respect to the student logits scales like 1/T^2, so multiplying by T^2 keeps its weight
# against the hard cross-entropy the same whatever T. (b) When the teacher is better than the
# student and its soft targets add information: little labelled data, a small student, noisy or
# ambiguous classes. It does not help much when the student already fits the data as well as the
# teacher, when the teacher is poor (it teaches its mistakes) or when T/alpha are badly chosen.
# Grading: (a) 3 points; (b) 3 points.
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/compression.py` in your store, so that module 20's capstone can
# `from tinytorch.compression import global_magnitude_prune, MaskedOptimizer, csr_bytes`.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("16_compression");
