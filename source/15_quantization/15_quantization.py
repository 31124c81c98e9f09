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
# # Module 15 · Quantization: the same model in a quarter of the bytes
#
# **Expected time:** 3–4 hours. **Difficulty:** ★★★☆☆ (short code; the care goes into rounding,
# clipping, zero points, and the axis a scale belongs to).
#
# A float32 weight costs 4 bytes. Most of those bits are noise as far as the model is concerned:
# store each weight as an 8-bit integer plus one shared float per row, and the model is **4×
# smaller** and, on hardware with integer units, faster, while its predictions barely change. This
# is how phones run speech models and how large language models fit on one GPU. You build
# post-training INT8 quantisation from scratch:
#
# | step | you build | what it answers | PyTorch equivalent |
# |---|---|---|---|
# | 1 | `quantize`, `dequantize` | how does a float become an int8 and back? | `torch.quantize_per_tensor`, `.dequantize()` |
# | 2 | `calibration_range` | which range of values must the int8 grid cover? | observers: `MinMaxObserver`, `HistogramObserver` |
# | 3 | `compute_qparams` | scale and zero point, per tensor or per channel | `observer.calculate_qparams()` |
# | 4 | `quantize_weight`, `QuantizedLinear.from_linear` | a Linear with int8 weights | `torch.ao.nn.quantized.Linear` |
# | 5 | `QuantizedLinear.forward` | int8 × int8 products summed in int32 | fbgemm / qnnpack kernels |
# | 6 | `quantize_model`, `model_bytes` | a whole model, post-training | `torch.ao.quantization.quantize_fx.convert_fx` |
#
# The course's benchmark (`benchmarks/quantization.py`) runs your pipeline on an MLP trained on
# real MNIST and measures the two promises of this module: the model is ~4× smaller in bytes and
# its test accuracy stays within 0.5 points of float32.

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# ```python
# import torch
# x = torch.tensor([-1.0, 0.0, 0.5, 2.0])
# q = torch.quantize_per_tensor(x, scale=2.0 / 255 * 1.5, zero_point=-43, dtype=torch.qint8)
# q.int_repr()          # tensor([-128, -43, 7, 127], dtype=torch.int8): the stored bytes
# q.dequantize()        # tensor([-1.0118, 0.0000, 0.4941, 2.0000]): close, not equal
#
# model_int8 = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
# ```
#
# The idea behind every line: an **affine map** between reals and integers,
#
# ```
#     real  ≈  scale · (q − zero_point)          q ∈ {−128, …, 127}   (int8)
# ```
#
# `scale` is the step between two neighbouring representable reals; `zero_point` is the integer
# that stands for the real 0. Choosing the two from data is **calibration**. Using one pair for a
# whole tensor is *per-tensor* quantisation; one pair per output channel (each row of a weight
# matrix has its own range) is *per-channel*, and is what PyTorch uses for weights.

# %% [markdown]
# ## Setup
#
# The first cell is exported into `tinytorch/quantization.py`. It imports your `Linear` and
# `Sequential` (module 03) and gives you:
#
# - `QParams(scale, zero_point, dtype="int8", axis=None)`: the quantisation parameters. `scale`
#   becomes a float32 array and `zero_point` an int32 array, both of shape `()` for a whole tensor
#   or `(C,)` for per-channel parameters along `axis`;
# - `qp.broadcast(ndim)`: the scale and zero point reshaped so that they broadcast against an
#   array of `ndim` dimensions (per-channel values line up with `axis`);
# - `QMIN, QMAX = -128, 127`;
# - the `QuantizedLinear` class (its constructor; Steps 4 and 5 add `from_linear` and `forward`).

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
from dataclasses import dataclass

import numpy as np
from tinytorch_runtime import extend
from tinytorch.tensor import Tensor
from tinytorch.layers import Linear, Module, Sequential
from tinytorch.activations import ReLU

__all__ = ["QMIN", "QMAX", "QParams", "quantize", "dequantize", "calibration_range", "compute_qparams",
           "quantize_weight", "QuantizedLinear", "quantize_model", "model_bytes", "leaf_layers"]

QMIN, QMAX = -128, 127


@dataclass(frozen=True)
class QParams:
    """Given: scale (float32) and zero_point (int32), shape () or (C,) for per-channel along `axis`."""
    scale: np.ndarray
    zero_point: np.ndarray
    dtype: str = "int8"
    axis: int = None

    def __post_init__(self):
        object.__setattr__(self, "scale", np.asarray(self.scale, dtype=np.float32))
        object.__setattr__(self, "zero_point", np.asarray(self.zero_point, dtype=np.int32))
        if self.dtype != "int8":
            raise ValueError(f"only int8 is supported, got {self.dtype!r}")
        if self.scale.shape != self.zero_point.shape:
            raise ValueError(f"scale {self.scale.shape} and zero_point {self.zero_point.shape} differ in shape")
        if (self.axis is None) != (self.scale.ndim == 0):
            raise ValueError("per-tensor parameters have shape () and axis None; per-channel ones shape (C,) and an axis")

    def broadcast(self, ndim):
        """(scale, zero_point) reshaped to broadcast against an array with `ndim` dimensions."""
        if self.axis is None:
            return self.scale, self.zero_point
        shape = [1] * ndim
        shape[self.axis] = -1
        return self.scale.reshape(shape), self.zero_point.reshape(shape)

    @property
    def nbytes(self):
        return int(self.scale.nbytes + self.zero_point.nbytes)


def leaf_layers(model):
    """Given: the layers of a (nested) Sequential, in order."""
    if isinstance(model, Sequential):
        return [leaf for i in range(len(model)) for leaf in leaf_layers(model[i])]
    return [model]


class QuantizedLinear(Module):
    """A Linear layer with int8 weights (in_features, out_features), per output channel, symmetric.

    weight_q: int8 ndarray; weight_qparams: QParams with axis=1; bias: float32 ndarray or None;
    input_qparams: QParams for the input (calibrated), or None to compute them from each input.
    """

    def __init__(self, weight_q, weight_qparams, bias=None, input_qparams=None):
        self.weight_q = np.asarray(weight_q)
        if self.weight_q.dtype != np.int8:
            raise TypeError(f"weight_q must be int8, got {self.weight_q.dtype}")
        self.weight_qparams = weight_qparams
        self.bias = None if bias is None else np.asarray(bias, dtype=np.float32)
        self.input_qparams = input_qparams
        self.in_features, self.out_features = self.weight_q.shape

    @property
    def nbytes(self):
        """Bytes stored: int8 weights, their scales and zero points, the float32 bias, the input's qparams."""
        total = self.weight_q.nbytes + self.weight_qparams.nbytes
        total += 0 if self.bias is None else self.bias.nbytes
        total += 0 if self.input_qparams is None else self.input_qparams.nbytes
        return int(total)

    def __repr__(self):
        calibrated = "calibrated" if self.input_qparams is not None else "dynamic"
        return f"QuantizedLinear(in_features={self.in_features}, out_features={self.out_features}, input={calibrated})"


# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · The affine map: quantize and dequantize
#
# ```
#     quantize:    q = clip(round(x / scale) + zero_point, −128, 127)     → int8
#     dequantize:  x̂ = scale · (q − zero_point)                           → float32
# ```
#
# Example with `scale = 0.5`, `zero_point = 10`: x = 1.3 → 1.3 / 0.5 = 2.6 → round 3 → +10 → q = 13;
# back: 0.5 · (13 − 10) = 1.5. The error, 0.2, is at most half a step (`scale / 2`) for every x
# inside the range.
#
# Three details decide whether your numbers match PyTorch's bit for bit:
#
# 1. **Round half to even** (`np.round`): 2.5 → 2, 3.5 → 4, −0.5 → −0. `int(...)` or `astype`
#    truncates towards zero instead (2.9 → 2), a bias of half a step on every value.
# 2. **Clip before casting.** `np.array(200.0).astype(np.int8)` is not 127: the cast wraps around
#    (it gives −56 on most machines), so a large weight would flip sign. Clip to [−128, 127] first.
# 3. **Per-channel** parameters (`qp.axis` set) have one scale per channel: use `qp.broadcast(x.ndim)`
#    to get the scale and zero point in a shape that lines up with `x`.
#
# `dequantize` must subtract the zero point in a wide type (cast `q` to float32 first) and return
# float32.

# %% nbgrader={"grade": false, "grade_id": "quantize", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def quantize(x, qp):
    """int8 ndarray: clip(round(x / scale) + zero_point, -128, 127), round half to even."""
    x = np.asarray(x, dtype=np.float32)
    ### BEGIN SOLUTION
    scale, zero_point = qp.broadcast(x.ndim)
    q = np.round(x / scale) + zero_point
    return np.clip(q, QMIN, QMAX).astype(np.int8)
    ### END SOLUTION


def dequantize(q, qp):
    """float32 ndarray: scale * (q - zero_point)."""
    q = np.asarray(q)
    ### BEGIN SOLUTION
    scale, zero_point = qp.broadcast(q.ndim)
    return ((q.astype(np.float32) - zero_point) * scale).astype(np.float32)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-quantize", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
qp = QParams(0.5, 10)
q = quantize([1.3, 0.0, -2.0, 1.25, 1.75], qp)
expect(str(q.dtype), "int8", "quantize should return int8")
expect(q, [13, 10, 6, 12, 14], "round(x / 0.5) + 10, rounding 2.5 -> 2 and 3.5 -> 4 (half to even)")
expect(quantize([100.0, -100.0], qp), [127, -128], "values beyond the range clip to 127 and -128 (no wrap-around)")
x_hat = dequantize(q, qp)
expect(str(x_hat.dtype), "float32", "dequantize should return float32")
expect_close(x_hat, [1.5, 0.0, -2.0, 1.0, 2.0], "0.5 * (q - 10)", rtol=0, atol=1e-7)
expect_close(dequantize(np.array([-128, 127], np.int8), QParams(0.1, 127)), [-25.5, 0.0],
             "q - zero_point must not overflow int8", rtol=1e-6, atol=1e-6)
per_channel = QParams([1.0, 0.1], [0, -5], axis=1)
expect(quantize([[1.0, 1.0], [-2.0, 0.25]], per_channel), [[1, 5], [-2, -3]],
       "per-channel along axis 1: column 0 uses scale 1, zero point 0; column 1 scale 0.1, zero point -5")
### BEGIN HIDDEN TESTS
_x = np.random.default_rng(0).normal(0, 3, size=(4, 6)).astype(np.float32)
_qp = QParams(0.05, -3)
expect(quantize(_x, _qp), np.clip(np.round(_x / np.float32(0.05)) - 3, -128, 127).astype(np.int8),
       "a 4x6 random array with clipping")
expect_close(dequantize(quantize(_x, _qp), _qp), (np.clip(np.round(_x / np.float32(0.05)) - 3, -128, 127) + 3) * np.float32(0.05),
             "round trip of a 4x6 random array", rtol=1e-6, atol=1e-6)
_pc = QParams([0.5, 0.25, 2.0, 1.0], [1, 0, -2, 3], axis=0)
expect(quantize(_x, _pc), np.clip(np.round(_x / np.array([[0.5], [0.25], [2.0], [1.0]], np.float32))
                                  + np.array([[1], [0], [-2], [3]]), -128, 127).astype(np.int8),
       "per-channel along axis 0 of a 4x6 array")
expect_close(dequantize(quantize(_x, _pc), _pc), (np.clip(np.round(_x / np.array([[0.5], [0.25], [2.0], [1.0]], np.float32))
                                                          + np.array([[1], [0], [-2], [3]]), -128, 127)
                                                  - np.array([[1], [0], [-2], [3]])) * np.array([[0.5], [0.25], [2.0], [1.0]]),
             "per-channel dequantize along axis 0", rtol=1e-6, atol=1e-6)
expect(quantize([-0.5, 0.5, 1.5, -1.5, 2.5], QParams(1.0, 0)), [0, 0, 2, -2, 2], "ties round to even")
expect(quantize([1000.0, -1000.0, 130.0], QParams(1.0, 0)), [127, -128, 127], "clip before the int8 cast")
### END HIDDEN TESTS
print("✅ Step 1: quantize and dequantize")

# %% [markdown]
# ## Step 2 · Calibration: which range must the grid cover?
#
# 256 integers must cover the range `[lo, hi]` of the values. The simplest choice is the observed
# minimum and maximum (**min-max**, PyTorch's `MinMaxObserver`). But one outlier can stretch the
# range: if a tensor's values lie in [−1, 1] and one value is 50, min-max spends almost all 256
# levels on the empty space between 1 and 50, and the step becomes 50× coarser for everyone else.
# **Percentile** calibration ignores the extreme tail: `lo` is the `(100 − p)`-th percentile and
# `hi` the `p`-th (e.g. p = 99.99), and the few values outside are clipped.
#
# Per-channel ranges (`axis` given) are computed for each index along `axis`, over **all the other
# axes**: for a weight of shape (in, out) and `axis=1`, one (lo, hi) per output column. Hint:
# `np.moveaxis(x, axis, 0).reshape(x.shape[axis], -1)` puts each channel in a row.
#
# Return `(lo, hi)` as float32 arrays (shape `()` per tensor, `(C,)` per channel); an unknown
# `method` raises `ValueError`. Use `np.percentile` with its default (linear) interpolation.

# %% nbgrader={"grade": false, "grade_id": "calibration-range", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def calibration_range(x, axis=None, method="minmax", percentile=99.99):
    """(lo, hi) float32 arrays: min/max or the (100-p)th/p-th percentiles, per tensor or per channel."""
    x = np.asarray(x, dtype=np.float32)
    ### BEGIN SOLUTION
    rows = x.reshape(1, -1) if axis is None else np.moveaxis(x, axis, 0).reshape(x.shape[axis], -1)
    if method == "minmax":
        lo, hi = rows.min(axis=1), rows.max(axis=1)
    elif method == "percentile":
        lo, hi = np.percentile(rows, [100.0 - percentile, percentile], axis=1)
    else:
        raise ValueError(f"unknown calibration method {method!r}: use 'minmax' or 'percentile'")
    lo, hi = lo.astype(np.float32), hi.astype(np.float32)
    if axis is None:
        return lo[0], hi[0]
    return lo, hi
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-calibration-range", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
lo, hi = calibration_range([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
expect([lo.shape, hi.shape], [(), ()], "per tensor: lo and hi are 0-d arrays")
expect_close([lo, hi], [-2.0, 4.0], "min and max of the whole tensor", rtol=0, atol=0)
lo, hi = calibration_range([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], axis=1)
expect_close([lo, hi], [[0.5, -2.0, -1.0], [1.0, 4.0, 3.0]], "axis=1: one range per column", rtol=0, atol=0)
lo, hi = calibration_range([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], axis=0)
expect_close([lo, hi], [[-2.0, -1.0], [3.0, 4.0]], "axis=0: one range per row", rtol=0, atol=0)
with_outlier = np.concatenate([np.linspace(-1, 1, 999), [50.0]])
lo, hi = calibration_range(with_outlier, method="percentile", percentile=99.0)
expect_close([lo, hi], [np.percentile(with_outlier, 1.0), np.percentile(with_outlier, 99.0)],
             "percentile 99: the 1st and 99th percentiles, so the outlier 50 is left out", rtol=1e-5, atol=1e-6)
with expect_raises(ValueError, "an unknown method should raise ValueError"):
    calibration_range([1.0], method="mean")
### BEGIN HIDDEN TESTS
_x = np.random.default_rng(1).standard_normal((3, 5, 4)).astype(np.float32)
_lo, _hi = calibration_range(_x, axis=2)
expect_close([_lo, _hi], [_x.min(axis=(0, 1)), _x.max(axis=(0, 1))], "axis=2 of a 3-d array", rtol=0, atol=0)
_lo, _hi = calibration_range(_x, axis=-1, method="percentile", percentile=90.0)
expect_close([_lo, _hi], [np.percentile(_x.reshape(-1, 4), 10.0, axis=0), np.percentile(_x.reshape(-1, 4), 90.0, axis=0)],
             "percentile 90 per channel along axis -1", rtol=1e-5, atol=1e-6)
expect(str(_lo.dtype), "float32", "lo should be float32")
_lo, _hi = calibration_range(_x)
expect_close([_lo, _hi], [_x.min(), _x.max()], "per tensor of a 3-d array", rtol=0, atol=0)
### END HIDDEN TESTS
print("✅ Step 2: calibration_range")

# %% [markdown]
# ## Step 3 · Scale and zero point
#
# From a range `[lo, hi]`, following PyTorch's observers:
#
# 1. **Make the range contain 0**: `lo = min(lo, 0)`, `hi = max(hi, 0)`. Zero must be represented
#    *exactly*: padding, ReLU outputs and pruned weights are exact zeros, and an error there would
#    shift every one of them. (It also saves the constant tensors: `[3.7, 3.7]` becomes the range
#    [0, 3.7], not an empty range.)
# 2. **Asymmetric** (activations): use all 256 levels for `[lo, hi]`:
#    `scale = (hi − lo) / 255`, `zero_point = −128 − round(lo / scale)`, then **clip the zero point
#    to [−128, 127]** (rounding must never give a zero point the int8 cannot store).
# 3. **Symmetric** (weights): `scale = max(−lo, hi) / 127`, `zero_point = 0`. The grid is
#    [−127, 127]·scale, centred on zero; products of weights then need no zero-point correction.
# 4. **An all-zero tensor** gives `scale = 0`: use `scale = 1` there (any scale represents 0).
#
# Example: `[-1.0, 0.0, 0.5, 2.0]` asymmetric: scale = 3/255 ≈ 0.011765, zero point = −128 −
# round(−85) = −43. Symmetric: scale = 2/127 ≈ 0.015748, zero point 0.
#
# `axis` and `method`/`percentile` go to `calibration_range`; the result is a `QParams` holding the
# scale, the zero point and the axis.

# %% nbgrader={"grade": false, "grade_id": "compute-qparams", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def compute_qparams(x, symmetric=False, axis=None, method="minmax", percentile=99.99):
    """QParams for x: the range includes 0; asymmetric uses all 256 levels, symmetric [-127, 127]."""
    lo, hi = calibration_range(x, axis=axis, method=method, percentile=percentile)
    ### BEGIN SOLUTION
    lo, hi = np.minimum(lo, 0.0), np.maximum(hi, 0.0)
    if symmetric:
        scale = np.maximum(-lo, hi) / np.float32(127)
    else:
        scale = (hi - lo) / np.float32(255)
    scale = np.where(scale > 0, scale, np.float32(1.0)).astype(np.float32)
    if symmetric:
        zero_point = np.zeros(scale.shape, dtype=np.int32)
    else:
        zero_point = np.clip(QMIN - np.round(lo / scale), QMIN, QMAX).astype(np.int32)
    return QParams(scale, zero_point, axis=axis)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-compute-qparams", "locked": true, "points": 14, "schema_version": 3, "solution": false, "task": false}
qp = compute_qparams([-1.0, 0.0, 0.5, 2.0])
expect(type(qp).__name__, "QParams", "compute_qparams should return QParams")
expect_close(qp.scale, 3.0 / 255, "asymmetric: (hi - lo) / 255", rtol=1e-6, atol=0)
expect(qp.zero_point, -43, "asymmetric zero point: -128 - round(lo / scale)")
expect(quantize([-1.0, 0.0, 2.0], qp), [-128, -43, 127], "lo maps to -128, 0 to the zero point, hi to 127")
qp = compute_qparams([-1.0, 0.0, 0.5, 2.0], symmetric=True)
expect_close([qp.scale, qp.zero_point], [2.0 / 127, 0], "symmetric: max(|lo|, hi) / 127, zero point 0", rtol=1e-6, atol=0)
qp = compute_qparams([2.0, 3.0, 4.0])
expect_close([qp.scale, qp.zero_point], [4.0 / 255, -128], "an all-positive tensor: the range is widened to [0, 4]",
             rtol=1e-6, atol=0)
expect_close(dequantize(quantize([0.0, 4.0], qp), qp), [0.0, 4.0], "0 and the maximum are exact", rtol=1e-6, atol=0)
const = np.full(5, 3.7, np.float32)
for symmetric in (False, True):
    qp = compute_qparams(const, symmetric=symmetric)
    expect_close(dequantize(quantize(const, qp), qp), const, "a constant tensor must come back as itself, not zeros",
                 rtol=1e-6, atol=0)
qp = compute_qparams(np.zeros(4))
expect_close([qp.scale, dequantize(quantize(np.zeros(4), qp), qp).sum()], [1.0, 0.0],
             "an all-zero tensor gets scale 1 and stays zero", rtol=0, atol=0)
qp = compute_qparams([[1.0, -2.0], [-0.5, 4.0]], symmetric=True, axis=1)
expect_close(qp.scale, [1.0 / 127, 4.0 / 127], "per channel along axis 1: one scale per column", rtol=1e-6, atol=0)
expect(qp.axis, 1, "the QParams should remember the axis")
### BEGIN HIDDEN TESTS
_x = np.random.default_rng(2).normal(0.3, 1.0, size=(6, 5)).astype(np.float32)
_qp = compute_qparams(_x, axis=0)
_lo, _hi = np.minimum(_x.min(axis=1), 0), np.maximum(_x.max(axis=1), 0)
expect_close(_qp.scale, (_hi - _lo) / 255, "asymmetric per-channel scales of a 6x5 array", rtol=1e-5, atol=0)
expect(_qp.zero_point, np.clip(-128 - np.round(_lo / ((_hi - _lo) / np.float32(255))), -128, 127).astype(np.int32),
       "asymmetric per-channel zero points of a 6x5 array")
expect(str(_qp.zero_point.dtype), "int32", "zero points are int32")
_with_outlier = np.concatenate([np.linspace(-1, 1, 999), [50.0]]).astype(np.float32)
_qp = compute_qparams(_with_outlier, symmetric=True, method="percentile", percentile=99.0)
expect_close(_qp.scale, max(-np.percentile(_with_outlier, 1.0), np.percentile(_with_outlier, 99.0)) / 127,
             "percentile calibration passed through", rtol=1e-5, atol=0)
_qp = compute_qparams(np.full((2, 3), -0.25, np.float32), axis=1)
expect_close([_qp.scale, _qp.zero_point], [[0.25 / 255] * 3, [127] * 3], "negative constant: zero point 127",
             rtol=1e-6, atol=0)
expect_close(dequantize(quantize(np.full((2, 3), -0.25), _qp), _qp), np.full((2, 3), -0.25),
             "a negative constant comes back exactly", rtol=1e-6, atol=0)
_qp = compute_qparams(np.array([[0.0, 1.0], [0.0, -2.0]]), symmetric=True, axis=0)
expect_close(_qp.scale, [1.0 / 127, 2.0 / 127], "symmetric per row", rtol=1e-6, atol=0)
_qp = compute_qparams(np.zeros((2, 2)), symmetric=True, axis=1)
expect_close([_qp.scale, _qp.zero_point], [[1.0, 1.0], [0, 0]], "all-zero channels get scale 1", rtol=0, atol=0)
### END HIDDEN TESTS
print("✅ Step 3: compute_qparams")

# %% [markdown]
# ## Step 4 · A quantised Linear: int8 weights, one scale per output
#
# Our `Linear` stores `weight` with shape `(in_features, out_features)`: column `j` holds the
# weights of output `j`. Different outputs have very different weight ranges (one neuron may have
# weights up to 0.9, another only up to 0.05); with a single scale, the small neuron would be
# rounded to a handful of levels. **Per output channel** means one scale per *column*: `axis=1`
# (PyTorch's weight is transposed, `(out, in)`, so it quantises along its axis 0 — the same thing).
#
# 1. `quantize_weight(w) -> (w_q, qp)`: symmetric, per output channel (`axis=1`), min-max.
# 2. `QuantizedLinear.from_linear(linear, calibration_inputs=None)`: quantise `linear.weight.data`,
#    copy the bias as float32 (the bias is added after the int32 sum, in float: it costs `out`
#    floats, nothing), and, when calibration inputs are given (a list of arrays or Tensors, the
#    inputs this layer will see), compute **asymmetric per-tensor** input qparams from all of them
#    together (concatenate them). Without them, `input_qparams` stays `None` ("dynamic"
#    quantisation: the input's range is measured at each call).

# %% nbgrader={"grade": false, "grade_id": "from-linear", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def quantize_weight(w):
    """(int8 weights, QParams): symmetric, one scale per output column (axis=1) of a (in, out) weight."""
    ### BEGIN SOLUTION
    qp = compute_qparams(w, symmetric=True, axis=1)
    return quantize(w, qp), qp
    ### END SOLUTION


@extend(QuantizedLinear, name="from_linear")
@classmethod
def _from_linear(cls, linear, calibration_inputs=None):
    """A QuantizedLinear from a float Linear; input qparams calibrated on `calibration_inputs` if given."""
    ### BEGIN SOLUTION
    weight_q, weight_qp = quantize_weight(linear.weight.data)
    bias = None if linear.bias is None else linear.bias.data.astype(np.float32).copy()
    input_qp = None
    if calibration_inputs is not None:
        seen = np.concatenate([np.asarray(getattr(x, "data", x), np.float32).reshape(-1) for x in calibration_inputs])
        input_qp = compute_qparams(seen, symmetric=False)
    return cls(weight_q, weight_qp, bias, input_qp)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-from-linear", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
w = np.array([[0.5, -0.02], [-1.0, 0.01], [0.25, 0.04]], np.float32)
w_q, w_qp = quantize_weight(w)
expect(w_qp.axis, 1, "one scale per output column: axis=1")
expect_close(w_qp.scale, [1.0 / 127, 0.04 / 127], "symmetric scales: max |w| of each column / 127", rtol=1e-6, atol=0)
expect(w_q, [[64, -63], [-127, 32], [32, 127]], "the int8 weights (-0.02 / (0.04 / 127) is -63.4999 in float32)")
layer = Linear(3, 2, rng=np.random.default_rng(0))
layer.weight.data[...] = w
layer.bias.data[...] = [0.1, -0.2]
ql = QuantizedLinear.from_linear(layer)
expect([type(ql).__name__, str(ql.weight_q.dtype), ql.weight_q.shape], ["QuantizedLinear", "int8", (3, 2)],
       "from_linear should return a QuantizedLinear with int8 weights of the same shape")
expect_close(ql.bias, [0.1, -0.2], "the bias is kept in float32", rtol=0, atol=1e-7)
expect(ql.input_qparams, None, "without calibration inputs the input is quantised dynamically")
ql = QuantizedLinear.from_linear(layer, calibration_inputs=[np.array([[0.0, 1.0, 2.0]]), Tensor([[-0.55, 0.0, 0.5]])])
expect_close([ql.input_qparams.scale, ql.input_qparams.zero_point], [2.55 / 255, -73],
             "input qparams: asymmetric, per tensor, over all calibration inputs together", rtol=1e-6, atol=0)
expect(ql.nbytes, 6 + 2 * 4 + 2 * 4 + 2 * 4 + 4 + 4, "nbytes: int8 weights, scales, zero points, bias, input qparams")
### BEGIN HIDDEN TESTS
_l = Linear(20, 7, rng=np.random.default_rng(3))
_l.bias.data[...] = np.arange(7, dtype=np.float32)
_ql = QuantizedLinear.from_linear(_l)
_s = np.abs(_l.weight.data).max(axis=0) / np.float32(127)
expect_close(_ql.weight_qparams.scale, _s, "per-column scales of a random 20x7 weight", rtol=1e-6, atol=0)
expect(_ql.weight_q, np.clip(np.round(_l.weight.data / _s), -127, 127).astype(np.int8), "int8 weights of a random 20x7 layer")
expect_close(_ql.bias, np.arange(7), "bias of the random layer", rtol=0, atol=0)
_l.bias.data[...] = 99.0
expect_close(_ql.bias, np.arange(7), "the bias is a copy, not a view of the float layer's bias", rtol=0, atol=0)
expect(QuantizedLinear.from_linear(Linear(4, 3, bias=False)).bias, None, "no bias stays no bias")
_x = np.random.default_rng(4).standard_normal((8, 20)).astype(np.float32)
_ql = QuantizedLinear.from_linear(_l, calibration_inputs=[_x[:4], _x[4:]])
expect_close(_ql.input_qparams.scale, (max(_x.max(), 0) - min(_x.min(), 0)) / 255, "calibrated over both batches",
             rtol=1e-6, atol=0)
expect(_ql.nbytes, 140 + 7 * 8 + 7 * 4 + 8, "nbytes of the random layer")
### END HIDDEN TESTS
print("✅ Step 4: quantize_weight and QuantizedLinear.from_linear")

# %% [markdown]
# ## Step 5 · The forward pass: int8 products, int32 sums
#
# With `x ≈ s_x (x_q − z_x)` and `W[:, j] ≈ s_j · W_q[:, j]` (symmetric, zero point 0):
#
# ```
#     y[:, j] = Σ_k x[:, k] W[k, j]  ≈  s_x · s_j · Σ_k (x_q[:, k] − z_x) · W_q[k, j]  +  b[j]
#                                              └──────────── integers only ────────────┘
# ```
#
# The sum over k is done in **integers**. Each product of two int8 values fits in 16 bits, but a
# sum of 784 of them does not fit in int8 or int16: real kernels accumulate in **int32**
# (−128 · −128 · 784 ≈ 12.8 million ≪ 2³¹). A matmul of int8 arrays in NumPy gives int8 and wraps
# around silently, so cast both operands to int32 before `@`.
#
# `forward(x)`:
# 1. take `x` (a Tensor or an array) as float32; its qparams are `self.input_qparams`, or, when
#    that is `None`, `compute_qparams(x)` (asymmetric, per tensor) of this input;
# 2. `accumulate(x_q, z_x)`: the int32 matrix `(x_q − z_x) @ W_q` (int32 throughout);
# 3. rescale: `acc · (s_x · s_w)` as float32, add the bias, return a `Tensor`.
#
# The output is float32, as in PyTorch's dynamic quantisation; the next layer quantises it again.

# %% nbgrader={"grade": false, "grade_id": "quantized-forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(QuantizedLinear)
def accumulate(self, x_q, zero_point):
    """int32 ndarray (..., out): (x_q - zero_point) @ weight_q with int32 arithmetic."""
    ### BEGIN SOLUTION
    shifted = np.asarray(x_q).astype(np.int32) - np.int32(zero_point)
    return np.matmul(shifted, self.weight_q.astype(np.int32))
    ### END SOLUTION


@extend(QuantizedLinear)
def forward(self, x):
    """Quantise x, accumulate in int32, rescale to float32 and add the bias; returns a Tensor."""
    x = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float32)
    ### BEGIN SOLUTION
    input_qp = self.input_qparams if self.input_qparams is not None else compute_qparams(x)
    acc = self.accumulate(quantize(x, input_qp), input_qp.zero_point)
    y = acc.astype(np.float32) * (input_qp.scale * self.weight_qparams.scale)
    if self.bias is not None:
        y = y + self.bias
    return Tensor(y.astype(np.float32))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-quantized-forward", "locked": true, "points": 14, "schema_version": 3, "solution": false, "task": false}
ql = QuantizedLinear(np.array([[100, -2], [100, 1]], np.int8), QParams([0.01, 1.0], [0, 0], axis=1))
acc = ql.accumulate(np.array([[127, 127], [-128, 5]], np.int8), -1)
expect(str(acc.dtype), "int32", "the accumulator is int32")
expect(acc, [[25600, -128], [-12100, 260]], "(x_q + 1) @ W_q without int8 overflow")
layer = Linear(3, 2, rng=np.random.default_rng(0))
layer.weight.data[...] = [[0.5, -0.02], [-1.0, 0.01], [0.25, 0.04]]
layer.bias.data[...] = [0.1, -0.2]
ql = QuantizedLinear.from_linear(layer)
x = Tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]])
y = ql(x)
expect([type(y).__name__, str(y.dtype), y.shape], ["Tensor", "float32", (2, 2)], "forward returns a float32 Tensor")
expect_close(y.data, layer(x).data, "the int8 layer is close to the float layer", rtol=0, atol=0.03)
expect_close(y.data, [[-0.6313263, -0.0799988], [1.2304, -0.1900398]],
             "the exact result of int8 weights, dynamic input qparams and int32 accumulation", rtol=1e-5, atol=1e-6)
### BEGIN HIDDEN TESTS
_l = Linear(64, 16, rng=np.random.default_rng(5))
_l.bias.data[...] = np.linspace(-1, 1, 16, dtype=np.float32)
_x = np.random.default_rng(6).standard_normal((10, 64)).astype(np.float32)
_ql = QuantizedLinear.from_linear(_l, calibration_inputs=[_x])


def _reference_forward(x, w, b):
    s_w = np.abs(w).max(axis=0) / np.float32(127)
    w_q = np.clip(np.round(w / s_w), -127, 127).astype(np.int32)
    lo, hi = min(x.min(), 0), max(x.max(), 0)
    s_x = np.float32((hi - lo) / np.float32(255))
    z_x = int(np.clip(-128 - np.round(lo / s_x), -128, 127))
    x_q = np.clip(np.round(x / s_x) + z_x, -128, 127).astype(np.int32)
    return ((x_q - z_x) @ w_q).astype(np.float32) * (s_x * s_w) + b


expect_close(_ql(_x).data, _reference_forward(_x, _l.weight.data, np.linspace(-1, 1, 16, dtype=np.float32)),
             "a calibrated 64->16 layer", rtol=1e-5, atol=1e-5)
_x2 = np.random.default_rng(9).standard_normal((3, 64)).astype(np.float32) * 0.5
expect_close(_ql(_x2).data, (np.clip(np.round(_x2 / _ql.input_qparams.scale) + _ql.input_qparams.zero_point, -128, 127)
                             - _ql.input_qparams.zero_point).astype(np.float32) @ _ql.weight_q.astype(np.float32)
             * (_ql.input_qparams.scale * _ql.weight_qparams.scale) + np.linspace(-1, 1, 16, dtype=np.float32),
             "calibrated qparams are used for later inputs (not recomputed)", rtol=1e-5, atol=1e-5)
_big = QuantizedLinear(np.full((784, 2), 127, np.int8), QParams([1.0, 1.0], [0, 0], axis=1))
expect(_big.accumulate(np.full((1, 784), -128, np.int8), 0), [[-128 * 127 * 784] * 2], "784 extreme products fit in int32")
expect_close(_big(np.zeros((1, 784))).data, [[0.0, 0.0]], "a zero input gives zero (no bias)", rtol=0, atol=0)
### END HIDDEN TESTS
print("✅ Step 5: QuantizedLinear.forward with int32 accumulation")

# %% [markdown]
# ## Step 6 · Post-training quantisation of a whole model
#
# `quantize_model(model, calibration_batches)` returns a **new** `Sequential` in which every
# `Linear` is replaced by a `QuantizedLinear` calibrated on the inputs that *this layer* sees:
#
# ```
#     for each calibration batch:  x = batch
#         for each layer (leaf_layers(model), in order):
#             if it is a Linear: record x as one of its calibration inputs
#             x = layer(x)                         ← the float model, so later layers see float inputs
#     new layers = [QuantizedLinear.from_linear(L, its recorded inputs) if L is a Linear else L]
# ```
#
# The original model must be left unchanged (you may reuse its non-Linear layers). Then
# `model_bytes(model)`: the bytes a model stores, the sum over its leaf layers of
# `layer.nbytes` for a `QuantizedLinear` and the `nbytes` of every parameter's data for any other
# layer (`layer.parameters()`). Layers without parameters (ReLU) contribute 0.

# %% nbgrader={"grade": false, "grade_id": "quantize-model", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def quantize_model(model, calibration_batches):
    """A new Sequential: each Linear of `model` replaced by a QuantizedLinear calibrated on its own inputs."""
    ### BEGIN SOLUTION
    layers = leaf_layers(model)
    seen = {i: [] for i, layer in enumerate(layers) if isinstance(layer, Linear)}
    for batch in calibration_batches:
        x = batch if isinstance(batch, Tensor) else Tensor(np.asarray(batch, np.float32))
        for i, layer in enumerate(layers):
            if i in seen:
                seen[i].append(np.array(x.data, dtype=np.float32))
            x = layer(x)
    return Sequential(*[QuantizedLinear.from_linear(layer, seen[i]) if i in seen else layer
                        for i, layer in enumerate(layers)])
    ### END SOLUTION


def model_bytes(model):
    """Bytes stored by a model's layers: QuantizedLinear.nbytes, else the parameters' nbytes."""
    ### BEGIN SOLUTION
    total = 0
    for layer in leaf_layers(model):
        if isinstance(layer, QuantizedLinear):
            total += layer.nbytes
        elif hasattr(layer, "parameters"):
            total += sum(p.data.nbytes for p in layer.parameters())
    return int(total)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-quantize-model", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(7)
mlp = Sequential(Linear(6, 4, rng=rng), ReLU(), Linear(4, 3, rng=rng))
calib = [rng.standard_normal((5, 6)).astype(np.float32) for _ in range(2)]
qmodel = quantize_model(mlp, calib)
expect([type(qmodel).__name__, [type(layer).__name__ for layer in leaf_layers(qmodel)]],
       ["Sequential", ["QuantizedLinear", "ReLU", "QuantizedLinear"]], "every Linear is replaced, other layers kept")
expect([type(layer).__name__ for layer in leaf_layers(mlp)], ["Linear", "ReLU", "Linear"], "the float model is unchanged")
hidden = np.maximum(np.concatenate(calib) @ mlp[0].weight.data + mlp[0].bias.data, 0)
expect_close([qmodel[2].input_qparams.scale, qmodel[2].input_qparams.zero_point], [hidden.max() / 255, -128],
             "the second layer is calibrated on what it sees: the ReLU outputs of the float model", rtol=1e-5, atol=0)
expect_close(qmodel[0].input_qparams.scale, (np.concatenate(calib).max() - np.concatenate(calib).min()) / 255,
             "the first layer is calibrated on the batches", rtol=1e-5, atol=0)
expect([model_bytes(mlp), model_bytes(qmodel)], [4 * (24 + 4 + 12 + 3), (24 + 4 * 8 + 16 + 8) + (12 + 3 * 8 + 12 + 8)],
       "float32 bytes of the MLP and bytes of its quantised version")
expect_close(qmodel(calib[0]).data, mlp(calib[0]).data, "the quantised model is close to the float one", rtol=0, atol=0.1)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(8)
_inner = Sequential(Linear(10, 8, rng=_rng), ReLU())
_net = Sequential(_inner, Linear(8, 8, rng=_rng), ReLU(), Linear(8, 2, bias=False, rng=_rng))
_batches = [Tensor(_rng.standard_normal((4, 10)).astype(np.float32)) for _ in range(3)]
_q = quantize_model(_net, _batches)
expect([type(_l).__name__ for _l in leaf_layers(_q)], ["QuantizedLinear", "ReLU", "QuantizedLinear", "ReLU", "QuantizedLinear"],
       "nested Sequential flattened, Tensors accepted as batches")
_h1 = np.maximum(np.concatenate([_b.data for _b in _batches]) @ _net[0][0].weight.data + _net[0][0].bias.data, 0)
_h2 = np.maximum(_h1 @ _net[1].weight.data + _net[1].bias.data, 0)
expect_close(_q[4].input_qparams.scale, _h2.max() / 255, "the last layer is calibrated on the float model's activations",
             rtol=1e-5, atol=0)
expect(model_bytes(_q), (80 + 64 + 32 + 8) + (64 + 64 + 32 + 8) + (16 + 16 + 8), "bytes of the nested quantised model")
expect(model_bytes(_net), 4 * (80 + 8 + 64 + 8 + 16), "bytes of the nested float model")
### END HIDDEN TESTS
print("✅ Step 6: quantize_model and model_bytes")

# %% [markdown]
# ## Systems analysis
#
# The notebook runs without the MNIST files, so the analysis uses an MLP of the milestone's shape
# (784-256-128-10) with He-initialised weights and a synthetic input batch shaped like normalised
# images. `benchmarks/quantization.py` repeats the size and error measurements on the trained MNIST
# model and measures the accuracy.
#
# ### 1. Bytes: where does the 4× go?

# %% nbgrader={"grade": false, "grade_id": "analysis-bytes", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
from tinytorch_runtime.timing import measure

rng = np.random.default_rng(0)
demo = Sequential(Linear(784, 256, init="he", rng=rng), ReLU(), Linear(256, 128, init="he", rng=rng), ReLU(),
                  Linear(128, 10, init="he", rng=rng))
images = np.clip(rng.normal(0.13, 0.3, size=(512, 784)), 0, 1).astype(np.float32)
images = (images - 0.1307) / 0.3081
demo_q = quantize_model(demo, [images[:256]])
float_bytes, int8_bytes = model_bytes(demo), model_bytes(demo_q)
print(f"float32 model: {float_bytes:,} B   int8 model: {int8_bytes:,} B   ratio {float_bytes / int8_bytes:.3f}x")
for layer, qlayer in zip(leaf_layers(demo), leaf_layers(demo_q)):
    if isinstance(layer, Linear):
        print(f"  {layer.in_features:4d}x{layer.out_features:<4d} weights {layer.weight.data.nbytes:>8,} B -> "
              f"{qlayer.weight_q.nbytes:>7,} B;  scales+zero points {qlayer.weight_qparams.nbytes:>5,} B, "
              f"bias {qlayer.bias.nbytes:>5,} B (float32, kept)")

# %% [markdown]
# The ratio is a little under 4 (3.93× in the reference run: 940,584 B → 239,504 B): the weights shrink exactly 4×, but every output channel adds a
# float32 scale and an int32 zero point (8 bytes), and the biases stay float32. For the 10-output
# last layer these extras are a visible share; for a 4096×4096 layer they would be invisible.
#
# ### 2. Error: per layer, per tensor vs per channel
#
# For each layer, the relative error of the dequantised weights, `‖W − Ŵ‖ / ‖W‖`, with one scale
# for the whole matrix and with one scale per output column, and the relative error of the layer's
# output on the same input (float layer vs `QuantizedLinear`).

# %% nbgrader={"grade": false, "grade_id": "analysis-error", "locked": true, "schema_version": 3, "solution": false, "task": false}
def relative_error(approx, exact):
    return float(np.linalg.norm(approx - exact) / np.linalg.norm(exact))


names, err_tensor, err_channel, err_output = [], [], [], []
x_in = Tensor(images)
for layer in leaf_layers(demo):
    if isinstance(layer, Linear):
        w = layer.weight.data
        w[:, 0] *= 8.0                      # one output neuron with larger weights, as trained models have
        qlayer = QuantizedLinear.from_linear(layer, [x_in.data[:256]])
        per_tensor = compute_qparams(w, symmetric=True)
        names.append(f"{layer.in_features}->{layer.out_features}")
        err_tensor.append(relative_error(dequantize(quantize(w, per_tensor), per_tensor), w))
        err_channel.append(relative_error(dequantize(qlayer.weight_q, qlayer.weight_qparams), w))
        err_output.append(relative_error(qlayer(x_in).data, layer(x_in).data))
        w[:, 0] /= 8.0
    x_in = layer(x_in)
for name, a, b, c in zip(names, err_tensor, err_channel, err_output):
    print(f"layer {name:>8}: weight error per tensor {a:.4%}, per channel {b:.4%}; output error {c:.4%}")

pos = np.arange(len(names))
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.bar(pos - 0.27, 100 * np.array(err_tensor), width=0.27, label="weights, per tensor")
ax.bar(pos, 100 * np.array(err_channel), width=0.27, label="weights, per channel")
ax.bar(pos + 0.27, 100 * np.array(err_output), width=0.27, label="layer output (per channel)")
ax.set_xticks(pos, names)
ax.set(ylabel="relative error (%)", title="int8 quantisation error per layer")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# One neuron with 8× larger weights (trained networks always have some) sets the per-tensor scale
# for everybody: every other column is quantised with a step 8× too coarse, and the per-tensor
# error is several times the per-channel one. Per-channel scales cost 8 bytes per output and remove
# the problem; this is why PyTorch quantises weights per channel by default. The output error is
# larger than the weight error: the input is quantised too, and both errors add up in the sum.
# Reference run: per tensor 2.3–5.4 %, per channel 0.7–0.8 %, outputs 0.9–1.2 %. These errors are small compared with the margins between the logits of a
# trained classifier, so the predicted class rarely changes (the benchmark measures how rarely).
#
# ### 3. Calibration with an outlier, and time

# %% nbgrader={"grade": false, "grade_id": "analysis-calibration", "locked": true, "schema_version": 3, "solution": false, "task": false}
acts = np.abs(rng.standard_normal(20_000)).astype(np.float32)
acts[0] = 60.0                                                    # one outlier activation
for method in ("minmax", "percentile"):
    qp = compute_qparams(acts, method=method, percentile=99.99)
    err = relative_error(dequantize(quantize(acts, qp), qp)[1:], acts[1:])
    print(f"{method:>10}: scale {float(qp.scale):.5f}, relative error of the other 19,999 values {err:.3%}")

batch = images[:256]
t_float = measure(lambda: demo(Tensor(batch)), repeats=3, warmup=1)
t_int8 = measure(lambda: demo_q(Tensor(batch)), repeats=3, warmup=1)
print(f"forward of 256 images: float32 {t_float}, int8 {t_int8}; int8 / float32 = {t_int8.median / t_float.median:.1f}x")

# %% [markdown]
# The single outlier makes the min-max step ~16× coarser than percentile calibration's (reference
# run: scale 0.235 vs 0.0145), and the error of all the other values grows by the same factor;
# percentile clips one value and keeps the rest fine.
#
# The timing shows the other side of the story: in NumPy the int8 model is **slower** (about 30×
# in the reference run: 9.9 ms vs 299 ms): NumPy has no int8 BLAS, so the int32 matmul runs in a generic loop, and quantising
# each input costs extra passes over memory. The speed-ups of int8 come from hardware (AVX-512
# VNNI, ARM dot-product instructions, GPU tensor cores) and kernels (fbgemm, qnnpack) that
# multiply int8 directly; what you measured here, the 4× in bytes and the small error, is what
# carries over to them.

# %% [markdown]
# ## Integration test: quantise, compare, count
#
# A small classifier on separable synthetic data: its predictions survive quantisation and its
# bytes shrink close to 4×.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(11)
centres = rng.standard_normal((4, 32)).astype(np.float32) * 3
labels = rng.integers(0, 4, size=200)
points = (centres[labels] + rng.standard_normal((200, 32))).astype(np.float32)
net = Sequential(Linear(32, 64, init="he", rng=rng), ReLU(), Linear(64, 4, rng=rng))
qnet = quantize_model(net, [points[:100]])
float_logits, int8_logits = net(Tensor(points)).data, qnet(Tensor(points)).data
expect(int(np.sum(float_logits.argmax(axis=1) != int8_logits.argmax(axis=1))), 1,
       "how many of the 200 predicted classes change after quantisation")
expect([model_bytes(net), model_bytes(qnet)], [4 * (2048 + 64 + 256 + 4), (2048 + 64 * 8 + 256 + 8) + (256 + 4 * 8 + 16 + 8)],
       "bytes of the float and the quantised classifier")
### BEGIN HIDDEN TESTS
expect_close(float(np.linalg.norm(int8_logits - float_logits) / np.linalg.norm(float_logits)), 0.0,
             "relative error of the quantised logits below 3 %", rtol=0, atol=0.03)
expect_close(qnet[0].input_qparams.scale, (max(points[:100].max(), 0) - min(points[:100].min(), 0)) / 255,
             "the first layer calibrated on the 100 calibration points", rtol=1e-5, atol=0)
### END HIDDEN TESTS
print("✅ Integration: a quantised classifier keeps its predictions in a quarter of the bytes")

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences, with numbers from your runs.
# These are graded by hand.
#
# **Q1 (6 points): where the bytes go.** (a) Your int8 MLP is a little less than 4× smaller.
# Account for the difference from your byte table. (b) Why is the bias kept in float32 (or, in
# real kernels, int32) and not int8? (c) A 7-billion-parameter model in float16: how many GB in
# int8, and in 4-bit with one float16 scale per group of 64 weights?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-bytes", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) The weights shrink exactly 4x (e.g. 784x256 float32 = 802,816 B
# -> 200,704 B), but each output channel adds a float32 scale and an int32 zero point (8 B), the
# biases stay float32 (4 B per output) and each calibrated layer stores the input's scale and zero
# point: for the 784-256-128-10 MLP about 3,500 extra bytes, a ratio of ~3.95x; the small last
# layer is where the extras weigh most. (b) The bias is added to the int32 accumulator, whose
# scale is s_x*s_w, far finer than any int8 grid could give; it is tiny (one number per output), so
# keeping it wide costs nothing, while an int8 bias would add an error to every output.
# (c) 7e9 x 2 B = 14 GB in float16; int8: 7 GB (+ scales); 4-bit: 7e9 x 0.5 B = 3.5 GB plus
# 7e9/64 x 2 B = 0.22 GB of scales, about 3.7 GB.
# Grading: (a) 2 points (per-channel qparams + bias, with numbers); (b) 2 points; (c) 2 points.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q2", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (6 points): choosing the parameters.** (a) Why must 0 be exactly representable, and what did
# the original TinyTorch quantiser do to a constant tensor? (b) From your error plot, when does
# per-channel quantisation matter, and why are weights quantised symmetrically and activations
# after ReLU asymmetrically? (c) When is percentile calibration better than min-max, and when worse?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-qparams", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Zeros are everywhere (ReLU outputs, padding, pruned weights);
# if 0 maps to a non-integer position every one of them is shifted by up to half a step, a
# systematic bias summed over many inputs. Including 0 in the range makes the zero point an
# integer that stands exactly for 0. A constant tensor has max = min, so a quantiser that divides
# by (max - min) or does not widen the range to 0 gets scale 0/NaN or maps everything to the zero
# point: the original turned constants into zeros; widening to [0, c] gives scale |c|/255 (or
# /127) and c comes back exactly. (b) When the output channels have very different ranges (one
# large neuron): a single scale is set by the largest and wastes resolution on all the others (the
# plot: per-tensor several times the per-channel error). Weights are roughly symmetric around 0,
# and a zero point of 0 removes the zero-point cross terms from the integer matmul; ReLU outputs
# are all >= 0, so a symmetric grid would waste the 128 negative levels (half the resolution),
# while asymmetric puts the zero point at -128 and uses all 256. (c) Better when a few outliers
# stretch the range (the analysis: 15x finer step, much smaller error for the bulk); worse when
# the extreme values matter (they are clipped: rare but large activations that carry signal), or
# with too little calibration data for the percentile to be stable.
# Grading: 2 points per part.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q3", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (6 points): speed.** Your int8 model was slower than float32 in NumPy. (a) Give two reasons
# from the code you wrote. (b) Why must the accumulator be int32, and what happens with an int8 or
# int16 accumulator on a 784-input layer? (c) What would make int8 inference faster on a real CPU?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-speed", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) NumPy has no integer BLAS: the int32 matmul runs in a generic,
# unblocked, unvectorised-over-cache loop, far slower than float32 sgemm; every forward also
# quantises the input (divide, round, clip, cast: several passes over memory) and casts int8 to
# int32 (4x the bytes of the int8 weights), then rescales the output; with dynamic quantisation it
# also computes min and max of each input. (b) One product of two int8 values is up to 16,384
# (-128 x -128); 784 of them sum to up to ~12.8 million, beyond int16 (32,767) and int8; NumPy
# integer arithmetic wraps around silently, giving garbage outputs with the wrong sign. int32
# holds 2.1 billion, enough for ~131,000 worst-case products. (c) Kernels that multiply int8
# directly with SIMD dot-product instructions (AVX2 vpmaddubsw, AVX-512 VNNI, ARM sdot), 4x more
# values per register and per cache line than float32, blocking for caches (fbgemm, oneDNN,
# qnnpack), fusing quantise/rescale/ReLU into the matmul, and static (calibrated) input qparams
# to skip the min/max pass.
# Grading: (a) 2 points (two valid reasons); (b) 2 points (overflow arithmetic); (c) 2 points.
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/quantization.py` in your store, so that module 19's benchmarks can
# `from tinytorch.quantization import quantize_model, model_bytes`.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("15_quantization");
