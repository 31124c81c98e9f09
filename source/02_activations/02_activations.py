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
# # Module 02 · Activations
#
# In module 01 you built `Tensor`. A neural network is mostly matrix multiplications between
# tensors, and a matrix multiplication is **linear**. In this module you build the small functions
# that sit between those multiplications and make deep learning work at all: **activation
# functions**.
#
# You will build five of them on top of your own `Tensor`:
#
# | class | formula | where you will use it |
# |---|---|---|
# | `ReLU` | max(0, x) | hidden layers of MLPs and CNNs (modules 03, 09) |
# | `Sigmoid` | 1 / (1 + e⁻ˣ) | probabilities for yes/no questions, gates (module 04) |
# | `Tanh` | (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ) | zero-centred squashing; the inside of GELU |
# | `GELU` | ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) | transformers (module 13) |
# | `Softmax` | eˣⁱ / Σⱼ eˣʲ | class probabilities (module 04), attention weights (module 12) |
#
# All five must be **numerically stable**: `Sigmoid` of −1000 and `Softmax` of logits around 1000
# must give exact, finite answers without overflow warnings. The textbook formulas above do not
# — you will see them break in the systems analysis.

# %% [markdown]
# ## Why it matters: without a nonlinearity, depth buys nothing
#
# Stack two linear layers and multiply out:
#
# ```
# y = W2 · (W1 · x) = (W2 · W1) · x = W · x
# ```
#
# Two layers collapse into one matrix `W`. So do a hundred. One matrix can only draw straight
# decision boundaries, so a purely linear network cannot even compute XOR, however deep it is.
#
# Put a nonlinear function `f` between the layers, `y = W2 · f(W1 · x)`, and the product no
# longer collapses. Now each extra layer adds expressive power. That `f` is an activation.
# In the integration test you will compute XOR with two layers and one `ReLU`.
#
# ## How PyTorch does it
#
# ```python
# import torch
# x = torch.tensor([[-2.0, 0.0, 3.0]])
# torch.nn.ReLU()(x)                      # module form: build once, call like a function
# torch.sigmoid(x), torch.tanh(x)         # function form
# torch.nn.GELU(approximate='tanh')(x)    # the tanh approximation you build here
# torch.softmax(x, dim=-1)                # probabilities along the last axis
# ```
#
# Your API follows the module form: `ReLU()(x)`, `Softmax(dim=-1)(x)`. Each class implements
# `forward`, and a small base class turns `act(x)` into `act.forward(x)`, the same split that
# `torch.nn.Module` uses. PyTorch also gets two details right that naive code gets wrong, and
# so will you: extreme inputs never overflow, and float32 in gives float32 out.
#
# By the end of this module you can explain why deep networks need nonlinearities, implement
# numerically stable activations, and measure what each one costs in time and memory.

# %% [markdown]
# ## Setup
#
# This cell imports **your** `Tensor` from module 01 (through `tinytorch_runtime`). If it fails,
# the error message says which module to finish first. The `#| export` line means this cell's
# code also goes into the `tinytorch/activations.py` file you export at the end.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import numpy as np
from tinytorch.tensor import Tensor

# %% [markdown]
# See the collapse for yourself: two linear layers give exactly the same answer as their product,
# and a nonlinearity in between breaks that.

# %%
rng = np.random.default_rng(0)
W1, W2, x_demo = rng.normal(size=(4, 3)), rng.normal(size=(2, 4)), rng.normal(size=3)
print("two linear layers      :", W2 @ (W1 @ x_demo))
print("one layer W = W2 @ W1  :", (W2 @ W1) @ x_demo)
print("with max(0, ·) between :", W2 @ np.maximum(W1 @ x_demo, 0))

# %% [markdown]
# ## The `Activation` base class (given)
#
# Every activation is an object with a `forward(x)` method. The base class below makes the
# object callable, so `ReLU()(x)` runs `ReLU().forward(x)`. You do not edit it; you write
# `forward` for each subclass.
#
# **Rules for every `forward` in this module**
#
# - Read the numbers from `x.data` (a NumPy array), compute with NumPy, return a **new**
#   `Tensor(result)`.
# - Never change `x.data` in place (`x.data[x.data < 0] = 0` is a bug): the caller still needs
#   its input, and in module 05 the backward pass will too.
# - Keep the shape. Keep the dtype: float32 in, float32 out. NumPy keeps float32 as long as you
#   only mix in Python numbers like `0.5`, not float64 arrays or NumPy float64 scalars.
# - No Python loops over elements: one vectorised NumPy expression is 100× faster.

# %% nbgrader={"grade": false, "grade_id": "activation-base", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
class Activation:
    """Base class: an activation maps a Tensor to a new Tensor of the same shape.

    Subclasses implement `forward`; calling the object (`act(x)`) runs `forward(x)`.
    """

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def __call__(self, x: Tensor) -> Tensor:
        return self.forward(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# %% [markdown]
# ## Step 1 · ReLU
#
# The **Re**ctified **L**inear **U**nit keeps positive numbers and replaces negative ones by 0:
#
# ```
# ReLU(x) = max(0, x)            element by element
#
#    x     : -2.0  -0.5   0.0   0.5   2.0
#  ReLU(x) :  0.0   0.0   0.0   0.5   2.0
# ```
#
# It is the default hidden-layer activation because it is cheap (one comparison per element)
# and its slope is exactly 1 for every positive input, so gradients pass through it without
# shrinking. Its slope is 0 for negative inputs: a unit that only ever sees negative inputs
# stops learning (a "dead ReLU").
#
# **Hint:** `np.maximum(a, 0)` is element-wise. Do not confuse it with `np.max(a)`, which reduces
# the whole array to one number.

# %% nbgrader={"grade": false, "grade_id": "relu", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class ReLU(Activation):
    """ReLU(x) = max(0, x), element-wise. Like torch.nn.ReLU."""

    def forward(self, x: Tensor) -> Tensor:
        ### BEGIN SOLUTION
        return Tensor(np.maximum(x.data, 0))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-relu", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
relu = ReLU()
y = relu(Tensor([[-2.0, -0.5, 0.0], [0.5, 2.0, 3.0]]))
assert isinstance(y, Tensor), "ReLU should return a Tensor"
assert y.shape == (2, 3), "ReLU should keep the input's shape"
assert np.allclose(y.data, [[0.0, 0.0, 0.0], [0.5, 2.0, 3.0]]), \
    "ReLU should turn negatives into 0 and keep positives unchanged"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(21)
_a = _rng.normal(size=(3, 4, 5)).astype(np.float32)
_a[0, 0, :4] = [0.0, -0.0, -1e-30, 1e-30]
_x = Tensor(_a)
_before = _x.data.copy()
_y = relu(_x)
assert isinstance(_y, Tensor), "ReLU should return a Tensor for 3-D input too"
assert _y.shape == (3, 4, 5), "ReLU should keep a 3-D input's shape"
assert _y.dtype == np.float32, "ReLU should keep float32 input as float32"
assert np.array_equal(_x.data, _before), "ReLU must not modify its input tensor"
assert np.array_equal(_y.data, np.where(_a > 0, _a, 0)), \
    "ReLU should pass positive values through exactly and turn every non-positive value into 0"
assert _y.data[0, 0, 0] == 0 and _y.data[0, 0, 1] == 0 and _y.data[0, 0, 2] == 0, \
    "ReLU at exactly 0 and at tiny negative values should be 0"
assert _y.data[0, 0, 3] > 0, "ReLU should keep tiny positive values"
_big = relu(Tensor(np.array([-1e30, 1e30], dtype=np.float32))).data
assert _big[0] == 0 and _big[1] == np.float32(1e30), "ReLU should handle very large magnitudes exactly"
assert relu(Tensor(np.zeros((0, 3), dtype=np.float32))).shape == (0, 3), \
    "ReLU should accept an empty batch and keep its shape"
### END HIDDEN TESTS
print("✅ ReLU works")

# %% [markdown]
# ## Step 2 · Sigmoid, numerically stable
#
# Sigmoid squashes any real number into (0, 1), so its output can be read as a probability:
#
# ```
# σ(x) = 1 / (1 + e⁻ˣ)        σ(0) = 0.5    σ(2) ≈ 0.881    σ(−2) ≈ 0.119    σ(−x) = 1 − σ(x)
# ```
#
# **The trap.** In float32, `np.exp` overflows to `inf` for any input above about 88.7. The
# formula above computes `e⁻ˣ`, so for x = −1000 it evaluates e¹⁰⁰⁰ = inf and NumPy warns
# `RuntimeWarning: overflow`. In other formulas that inf turns into `nan` and silently
# poisons a whole training run.
#
# **The fix.** Never exponentiate a positive number. Two algebraically equal forms:
#
# | input | formula | why it is safe |
# |---|---|---|
# | x ≥ 0 | 1 / (1 + e⁻ˣ) | −x ≤ 0, so e⁻ˣ ≤ 1 |
# | x < 0 | eˣ / (1 + eˣ) | x < 0, so eˣ < 1 |
#
# Both can be written with exponents that are never positive: the numerator is
# e^min(x, 0) and the denominator is 1 + e^(−|x|). Then σ(1000) = 1 / (1 + 0) = 1 and
# σ(−1000) = 0 / (1 + 1) = 0, exactly and without a warning.
#
# **Careful with `np.where`:** `np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))`
# still overflows, because NumPy computes *both* branches for *every* element before choosing.
# Make sure no exponent you compute can be positive.
#
# Try it yourself after you implement it: `Sigmoid()(Tensor([-1000.0, 1000.0]))` should print
# no warning.

# %% nbgrader={"grade": false, "grade_id": "sigmoid", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Sigmoid(Activation):
    """σ(x) = 1 / (1 + exp(-x)), element-wise and overflow-free. Like torch.sigmoid."""

    def forward(self, x: Tensor) -> Tensor:
        ### BEGIN SOLUTION
        z = x.data
        # numerator e^min(z, 0) and denominator 1 + e^-|z|: every exponent is <= 0
        return Tensor(np.exp(np.minimum(z, 0)) / (1 + np.exp(-np.abs(z))))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-sigmoid", "locked": true, "points": 14, "schema_version": 3, "solution": false, "task": false}
import warnings

sigmoid = Sigmoid()
y = sigmoid(Tensor([-2.0, 0.0, 2.0]))
assert isinstance(y, Tensor), "Sigmoid should return a Tensor"
assert y.shape == (3,), "Sigmoid should keep the input's shape"
assert np.allclose(y.data, [0.11920292, 0.5, 0.88079708], atol=1e-6), \
    "Sigmoid should give about 0.119, 0.5 and 0.881 at -2, 0 and 2"
z = Tensor(np.linspace(-6, 6, 13, dtype=np.float32))
assert np.allclose(sigmoid(Tensor(-z.data)).data, 1 - sigmoid(z).data, atol=1e-6), \
    "Sigmoid should satisfy sigmoid(-x) = 1 - sigmoid(x)"
### BEGIN HIDDEN TESTS
_ext_in = Tensor(np.array([-1000.0, -100.0, -88.8, 88.8, 100.0, 1000.0], dtype=np.float32))
try:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            _ext = sigmoid(_ext_in)
except (FloatingPointError, RuntimeWarning):
    raise AssertionError("Sigmoid overflowed on very large or very negative inputs: "
                         "make sure no exponent you compute can be positive") from None
assert np.all(np.isfinite(_ext.data)), "Sigmoid should be finite for extreme inputs"
assert _ext.data[0] == 0.0 and _ext.data[-1] == 1.0, \
    "Sigmoid of -1000 should be exactly 0 and of +1000 exactly 1"
assert np.all((_ext.data >= 0) & (_ext.data <= 1)), "Sigmoid outputs must lie in [0, 1]"
assert _ext.dtype == np.float32, "Sigmoid should keep float32 input as float32"
_rng = np.random.default_rng(22)
_a = (_rng.normal(size=(4, 5, 6)) * 5).astype(np.float32)
_x = Tensor(_a)
_before = _x.data.copy()
_y = sigmoid(_x)
assert _y.shape == (4, 5, 6), "Sigmoid should keep a 3-D input's shape"
assert np.array_equal(_x.data, _before), "Sigmoid must not modify its input tensor"
_ref = 1.0 / (1.0 + np.exp(-_a.astype(np.float64)))
assert np.allclose(_y.data, _ref, atol=1e-6, rtol=1e-5), "Sigmoid values are wrong on random inputs"
assert sigmoid(Tensor([0.0])).data[0] == 0.5, "Sigmoid of 0 should be exactly 0.5"
### END HIDDEN TESTS
print("✅ Sigmoid works and is numerically stable")

# %% [markdown]
# ## Step 3 · Tanh
#
# Tanh squashes into (−1, 1) and, unlike sigmoid, is centred on 0: tanh(−x) = −tanh(x). It is
# sigmoid rescaled, tanh(x) = 2σ(2x) − 1.
#
# ```
# tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)      tanh(0) = 0    tanh(1) ≈ 0.762    tanh(±1000) = ±1
# ```
#
# The textbook formula has the same overflow problem as sigmoid: at x = 1000 it computes
# inf / inf = nan. NumPy's `np.tanh` is already stable (and fast), so use it. The point of this
# step is to know *why* you should not write the formula out yourself.

# %% nbgrader={"grade": false, "grade_id": "tanh", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Tanh(Activation):
    """tanh(x), element-wise and overflow-free. Like torch.tanh."""

    def forward(self, x: Tensor) -> Tensor:
        ### BEGIN SOLUTION
        return Tensor(np.tanh(x.data))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-tanh", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
import warnings

tanh = Tanh()
y = tanh(Tensor([-1.0, 0.0, 1.0]))
assert isinstance(y, Tensor), "Tanh should return a Tensor"
assert y.shape == (3,), "Tanh should keep the input's shape"
assert np.allclose(y.data, [-0.76159416, 0.0, 0.76159416], atol=1e-6), \
    "Tanh should give about -0.762, 0 and 0.762 at -1, 0 and 1"
### BEGIN HIDDEN TESTS
try:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            _ext = tanh(Tensor(np.array([-1000.0, -90.0, 90.0, 1000.0], dtype=np.float32)))
except (FloatingPointError, RuntimeWarning):
    raise AssertionError("Tanh overflowed on very large inputs: use a stable formulation") from None
assert np.all(np.isfinite(_ext.data)), "Tanh should be finite for extreme inputs"
assert np.allclose(_ext.data, [-1, -1, 1, 1]), "Tanh of large negative/positive inputs should be -1/+1"
assert _ext.dtype == np.float32, "Tanh should keep float32 input as float32"
_rng = np.random.default_rng(23)
_a = (_rng.normal(size=(2, 3, 7)) * 3).astype(np.float32)
_x = Tensor(_a)
_before = _x.data.copy()
_y = tanh(_x)
assert _y.shape == (2, 3, 7), "Tanh should keep a 3-D input's shape"
assert np.array_equal(_x.data, _before), "Tanh must not modify its input tensor"
assert np.allclose(_y.data, np.tanh(_a.astype(np.float64)), atol=1e-6), "Tanh values are wrong on random inputs"
assert np.allclose(tanh(Tensor(-_a)).data, -_y.data, atol=1e-7), "Tanh should be odd: tanh(-x) = -tanh(x)"
### END HIDDEN TESTS
print("✅ Tanh works")

# %% [markdown]
# ## Step 4 · GELU (tanh approximation)
#
# GELU, the **G**aussian **E**rror **L**inear **U**nit, is the activation inside BERT, GPT-2
# and most transformers. It multiplies x by the probability that a standard normal variable is
# below x:
#
# ```
# GELU(x) = x · Φ(x) = ½ · x · (1 + erf(x / √2))                       exact form
#         ≈ ½ · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))           tanh approximation
# ```
#
# NumPy has no vectorised `erf`, so you build the **tanh approximation**: the formula GPT-2 uses
# and what `torch.nn.GELU(approximate='tanh')` computes. It differs from the exact form by less
# than 5·10⁻⁴ everywhere.
#
# ```
#    x     :  -3       -1      0     1       3
#  GELU(x) :  -0.0036  -0.1588  0     0.8412  2.9964
# ```
#
# Like ReLU it is ≈ x for large x and ≈ 0 for very negative x, but it is smooth at 0 and dips
# slightly below zero, so small negative inputs still get a gradient.
#
# **Two performance hints** (you will measure both in the systems analysis):
# - write x³ as `x * x * x`: for float32 arrays, `x ** 3` calls a general power function and is
#   many times slower;
# - the constant √(2/π) is given as a Python float (`SQRT_2_OVER_PI`), which keeps float32 math in
#   float32. A NumPy float64 scalar such as `np.sqrt(2 / np.pi)` would quietly upcast your result
#   to float64.

# %% nbgrader={"grade": false, "grade_id": "gelu", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class GELU(Activation):
    """GELU(x) ≈ 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Like torch.nn.GELU(approximate='tanh')."""

    SQRT_2_OVER_PI = 0.7978845608028654  # √(2/π) as a Python float
    COEFF = 0.044715

    def forward(self, x: Tensor) -> Tensor:
        ### BEGIN SOLUTION
        z = x.data
        inner = self.SQRT_2_OVER_PI * (z + self.COEFF * (z * z * z))
        return Tensor(0.5 * z * (1 + np.tanh(inner)))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-gelu", "locked": true, "points": 14, "schema_version": 3, "solution": false, "task": false}
import math
import warnings

gelu = GELU()
y = gelu(Tensor([-1.0, 0.0, 1.0]))
assert isinstance(y, Tensor), "GELU should return a Tensor"
assert y.shape == (3,), "GELU should keep the input's shape"
assert y.data[1] == 0, "GELU(0) should be 0"
assert np.allclose(y.data, [-0.15880801, 0.0, 0.84119199], atol=1e-5), \
    "GELU should give about -0.1588, 0 and 0.8412 at -1, 0 and 1 (tanh approximation)"
### BEGIN HIDDEN TESTS
_grid = np.linspace(-6, 6, 241)
_c = math.sqrt(2 / math.pi)
_ref_tanh = np.array([0.5 * v * (1 + math.tanh(_c * (v + 0.044715 * v ** 3))) for v in _grid])
_ref_erf = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in _grid])
_x = Tensor(_grid.astype(np.float32))
_before = _x.data.copy()
_y = gelu(_x)
assert _y.shape == (241,), "GELU should keep the input's shape"
assert _y.dtype == np.float32, "GELU should keep float32 input as float32"
assert np.array_equal(_x.data, _before), "GELU must not modify its input tensor"
assert np.allclose(_y.data, _ref_tanh, atol=1e-5, rtol=1e-5), \
    "GELU should match the tanh-approximation formula across the range -6..6"
assert np.max(np.abs(_y.data - _ref_erf)) < 1e-3, "GELU should stay close to the exact erf form"
try:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            _ext = gelu(Tensor([-1000.0, -50.0, 50.0, 1000.0]))
except (FloatingPointError, RuntimeWarning):
    raise AssertionError("GELU overflowed on large inputs: use np.tanh rather than exponentials") from None
assert np.all(np.isfinite(_ext.data)), "GELU should be finite for large inputs"
assert np.allclose(_ext.data, [0.0, 0.0, 50.0, 1000.0]), \
    "GELU should be about 0 for very negative inputs and about x for very positive inputs"
_m = Tensor(np.arange(-12, 12, dtype=np.float32).reshape(2, 3, 4) / 4)
assert gelu(_m).shape == (2, 3, 4), "GELU should keep a 3-D input's shape"
### END HIDDEN TESTS
print("✅ GELU works")

# %% [markdown]
# ## Step 5 · Softmax, numerically stable, along any axis
#
# Softmax turns a vector of scores ("logits") into probabilities: every output is positive and
# they sum to 1 along the chosen axis `dim`.
#
# ```
# softmax(x)ᵢ = eˣⁱ / Σⱼ eˣʲ
# ```
#
# **Stability.** Subtracting the same constant c from every logit changes nothing:
#
# ```
# e^(xᵢ − c) / Σⱼ e^(xⱼ − c) = (e^−c · eˣⁱ) / (e^−c · Σⱼ eˣʲ) = softmax(x)ᵢ
# ```
#
# Choose c = the maximum along `dim`. Then the largest exponent is exactly 0, every e^(xᵢ − c)
# lies in (0, 1], and the sum is at least 1, so there is no overflow and no 0 / 0. Logits of
# [1000, 999, 998] give the same answer as [2, 1, 0].
#
# **Which axis.** For a batch of logits with shape (batch, classes) you normalise each row:
# `dim=-1`. Use the `axis=self.dim` and `keepdims=True` arguments of `np.max` and `np.sum`; with
# `keepdims=True` the reduced axis stays as size 1, so the result broadcasts back against `x`
# for any number of dimensions and any `dim`, including negative ones.
#
# ```
# logits (2, 3)      dim=-1: each row sums to 1      dim=0: each column sums to 1
# [[1, 2, 3],        [[0.090, 0.245, 0.665],         [[0.5, 0.5, 0.5],
#  [1, 2, 3]]         [0.090, 0.245, 0.665]]          [0.5, 0.5, 0.5]]
# ```
#
# **Masking.** In attention (module 12) forbidden positions get a logit of `-inf`. With the max
# subtracted, e^(−inf) = 0, so a masked entry gets probability exactly 0, as long as at least one
# entry along `dim` is finite. Your implementation must handle that without warnings.

# %% nbgrader={"grade": false, "grade_id": "softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Softmax(Activation):
    """Softmax along axis `dim`: positive outputs that sum to 1 along `dim`. Like torch.softmax(x, dim)."""

    def __init__(self, dim: int = -1):
        self.dim = dim

    def __repr__(self) -> str:
        return f"Softmax(dim={self.dim})"

    def forward(self, x: Tensor) -> Tensor:
        ### BEGIN SOLUTION
        z = x.data
        shifted = z - np.max(z, axis=self.dim, keepdims=True)
        e = np.exp(shifted)
        return Tensor(e / np.sum(e, axis=self.dim, keepdims=True))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-softmax", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
import warnings

softmax = Softmax()
y = softmax(Tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]))
assert isinstance(y, Tensor), "Softmax should return a Tensor"
assert y.shape == (2, 3), "Softmax should keep the input's shape"
assert np.allclose(y.data.sum(axis=-1), 1.0, atol=1e-6), "each row should sum to 1"
assert np.allclose(y.data[0], [0.09003057, 0.24472847, 0.66524096], atol=1e-6), \
    "softmax of [1, 2, 3] should be about [0.090, 0.245, 0.665]"
assert np.allclose(y.data[1], 1 / 3, atol=1e-6), "equal logits should give equal probabilities"
### BEGIN HIDDEN TESTS
_big = Tensor(np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -998.0], [2.0, 1.0, 0.0]], dtype=np.float32))
_before = _big.data.copy()
try:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            _p = softmax(_big)
except (FloatingPointError, RuntimeWarning):
    raise AssertionError("Softmax overflowed or divided 0 by 0 on logits around ±1000: "
                         "subtract the maximum along dim before exponentiating") from None
assert np.all(np.isfinite(_p.data)), "Softmax should be finite for logits around ±1000"
assert np.allclose(_p.data[0], _p.data[2], atol=1e-6), \
    "logits around +1000 should give the same probabilities as the same logits shifted near 0"
assert np.allclose(_p.data[1], _p.data[2][::-1], atol=1e-6), \
    "logits around -1000 should give the same probabilities as the same logits shifted near 0"
assert _p.dtype == np.float32, "Softmax should keep float32 input as float32"
assert np.array_equal(_big.data, _before), "Softmax must not modify its input tensor"
try:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            _masked = softmax(Tensor([[0.5, -np.inf, 0.5, -np.inf]]))
except (FloatingPointError, RuntimeWarning):
    raise AssertionError("Softmax should handle -inf (masked) logits without warnings") from None
assert _masked.data[0, 1] == 0 and _masked.data[0, 3] == 0, "a -inf logit should get probability exactly 0"
assert np.allclose(_masked.data[0, [0, 2]], 0.5), "the unmasked entries should share the probability"
_one = softmax(Tensor([[3.0], [-7.0]]))
assert np.allclose(_one.data, 1.0), "softmax over an axis of length 1 should be 1"
### END HIDDEN TESTS
print("✅ Softmax works and is numerically stable")

# %% [markdown]
# The next test checks `dim`: other axes, negative axes, and batches with more than two
# dimensions, like the (batch, heads, queries, keys) scores in attention.

# %% nbgrader={"grade": true, "grade_id": "test-softmax-dims", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
cols = Softmax(dim=0)(Tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]))
assert cols.shape == (2, 3), "Softmax(dim=0) should keep the input's shape"
assert np.allclose(cols.data, 0.5, atol=1e-6), "with dim=0, each column should be normalised separately"
### BEGIN HIDDEN TESTS
def _ref_softmax(a, axis):
    a = a.astype(np.float64)
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)

_rng = np.random.default_rng(25)
_a = (_rng.normal(size=(2, 3, 4)) * 3).astype(np.float32)
for _d in (0, 1, 2, -1, -2, -3):
    _x = Tensor(_a)
    _p = Softmax(dim=_d)(_x)
    assert np.array_equal(_x.data, _a), "Softmax must not modify its input tensor"
    assert _p.shape == (2, 3, 4), "Softmax should keep a 3-D input's shape for every dim"
    assert _p.dtype == np.float32, "Softmax should keep float32 input as float32 for every dim"
    assert np.allclose(_p.data.sum(axis=_d), 1.0, atol=1e-5), "probabilities should sum to 1 along the chosen dim"
    assert np.allclose(_p.data, _ref_softmax(_a, _d), atol=1e-6), "Softmax values are wrong along some dim of a 3-D batch"
assert np.allclose(Softmax()(Tensor(_a + 50.0)).data, Softmax()(Tensor(_a)).data, atol=1e-5), \
    "adding the same constant to every logit should not change softmax"
_b = (_rng.normal(size=(2, 2, 3, 5)) * 2).astype(np.float32)
_b[1, 0, 2, :] += 1000.0
_p4 = Softmax(dim=-1)(Tensor(_b))
assert np.all(np.isfinite(_p4.data)), "Softmax over a 4-D batch should stay finite when one row has huge logits"
assert np.allclose(_p4.data, _ref_softmax(_b, -1), atol=1e-5), "Softmax values are wrong on a 4-D batch"
_c = np.array([[1000.0, -1000.0], [999.0, -1000.0], [998.0, -998.0]], dtype=np.float32)
_pc = Softmax(dim=0)(Tensor(_c))
assert np.all(np.isfinite(_pc.data)), "Softmax(dim=0) should be stable for logits around ±1000"
assert np.allclose(_pc.data, _ref_softmax(_c, 0), atol=1e-6), "Softmax(dim=0) values are wrong for large logits"
assert Softmax()(Tensor(np.zeros((0, 5), dtype=np.float32))).shape == (0, 5), \
    "Softmax should accept an empty batch and keep its shape"
### END HIDDEN TESTS
print("✅ Softmax works along any dim")

# %% [markdown]
# ## Systems analysis
#
# Your activations are correct. Now measure what they cost. Nothing below is graded by its
# numbers (they depend on the machine); the reflection questions ask you to interpret them.
#
# ### 1. Time: count the passes over memory
#
# We time each activation on a (1000, 1000) float32 tensor: one million elements, 4 MB. Every
# NumPy operation reads its inputs and writes a new 4 MB array, and for simple element-wise work
# that memory traffic dominates. NumPy evaluates `exp` and `tanh` with SIMD instructions, so one
# `np.tanh` costs about as much as one `np.maximum`. What makes an activation expensive is how many
# operations its formula needs: ReLU and Tanh need one, your stable Sigmoid and GELU need 7 to 9,
# and Softmax adds two reductions along an axis. Fusing all of them into a single pass over memory
# is what PyTorch's compiled kernels do (module 18).
#
# For scale we also time a 1000 × 1000 matrix multiplication, the operation an activation follows
# in a layer. It does 2·10⁹ floating-point operations on the same amount of data. We report the
# best of several runs, because the first run and background noise only ever make things slower.

# %%
import ctypes
import ctypes.util
import time

import matplotlib.pyplot as plt

# glibc hands big freed arrays back to the operating system and page-faults them in again on the
# next call, which can make timings of code with 4 MB temporaries swing by up to 10x. Ask it to
# keep freed memory instead (the course benchmarks do the same). Not glibc (macOS, Windows)? Skipped.
try:
    _libc = ctypes.CDLL(ctypes.util.find_library("c"))
    _libc.mallopt(-3, 32 * 2**20)  # M_MMAP_THRESHOLD: allocate 4 MB arrays from the reusable heap
    _libc.mallopt(-1, 2**30)       # M_TRIM_THRESHOLD: do not return freed heap memory to the OS
except (OSError, AttributeError, TypeError):
    pass


def best_time_ms(fn, repeats=7):
    """The fastest of `repeats` runs of fn(), in milliseconds."""
    fn()  # warm-up: first-touch page faults and caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * min(times)


x_big = Tensor(np.random.default_rng(1).standard_normal((1000, 1000)).astype(np.float32))
candidates = {"ReLU": ReLU(), "Tanh": Tanh(), "Sigmoid": Sigmoid(), "GELU": GELU(), "Softmax": Softmax(dim=-1)}
timings = {name: best_time_ms(lambda act=act: act(x_big)) for name, act in candidates.items()}
timings["matmul 1000²"] = best_time_ms(lambda: x_big.data @ x_big.data, repeats=3)

print(f"{'operation':<14}{'time (ms)':>10}{'× ReLU':>9}{'ns/element':>12}")
for name, ms in timings.items():
    print(f"{name:<14}{ms:>10.2f}{ms / timings['ReLU']:>9.1f}{ms * 1e6 / x_big.data.size:>12.2f}")

fig, ax = plt.subplots(figsize=(7, 3))
ax.barh(list(timings), list(timings.values()), color=["C0"] * 5 + ["C7"])
ax.set_xlabel("milliseconds for a (1000, 1000) float32 tensor (best of several runs)")
ax.invert_yaxis()
ax.set_title("Cost of each activation vs one matmul")
plt.tight_layout()
plt.show()

# %% [markdown]
# The same formula can cost very different amounts depending on how you write it. Here is
# x³ written two ways on the same float32 array, plus the float64 trap from Step 4:

# %%
xb = x_big.data
t_pow = best_time_ms(lambda: xb ** 3, repeats=3)
t_mul = best_time_ms(lambda: xb * xb * xb, repeats=3)
print(f"x ** 3    : {t_pow:7.2f} ms")
print(f"x * x * x : {t_mul:7.2f} ms   ({t_pow / t_mul:.0f}× faster, same numbers up to rounding)")
print("dtype of xb * np.sqrt(2 / np.pi):", (xb * np.sqrt(2 / np.pi)).dtype,
      "  dtype of xb * 0.7978845608028654:", (xb * 0.7978845608028654).dtype)

# %% [markdown]
# ### 2. Memory: every activation output is kept for the backward pass
#
# Training needs each layer's activation values again when it computes gradients (module 05),
# so they stay in memory until the backward pass has used them. For an MLP that is
# batch × width × 4 bytes per layer, and it grows linearly with the batch size. Let us run a
# 784 → 512 → 256 → 10 MLP (an MNIST classifier) with your activations and add up what it keeps.

# %%
def mlp_activation_bytes(batch, sizes=(784, 512, 256, 10), seed=0):
    """Run an MLP forward with ReLU hidden layers and a Softmax output; bytes of each activation."""
    rng = np.random.default_rng(seed)
    h = Tensor(rng.standard_normal((batch, sizes[0])).astype(np.float32))
    kept = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        W = (rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).astype(np.float32)
        z = Tensor(h.data @ W)
        last = i == len(sizes) - 2
        h = Softmax(dim=-1)(z) if last else ReLU()(z)
        kept.append((f"{'Softmax' if last else 'ReLU'} {h.shape}", h.data.nbytes))
    return kept


for name, nbytes in mlp_activation_bytes(128):
    print(f"batch 128  {name:<22} {nbytes:>10,} bytes")
print()
for batch in (32, 128, 512, 4096):
    total = sum(nbytes for _, nbytes in mlp_activation_bytes(batch))
    print(f"batch {batch:>5}: {total / 2**20:8.2f} MiB of activations kept "
          f"({total // batch:,} bytes per example)")

# %% [markdown]
# Per example this MLP keeps about 3 KB, which is nothing. Transformers are different. A GPT-2
# small MLP block expands each of its 768 features to 3072 and applies GELU there. GELU's
# backward pass needs its *input*, whereas ReLU's only needs to know which inputs were positive,
# which is one bit or one byte per element instead of four:

# %%
batch, seq, hidden, layers = 8, 1024, 3072, 12
gelu_inputs = batch * seq * hidden * 4  # float32 bytes per layer
relu_mask = batch * seq * hidden * 1    # a bool mask per layer
print(f"GELU inputs kept, one layer : {gelu_inputs / 2**20:8.1f} MiB")
print(f"GELU inputs kept, {layers} layers: {layers * gelu_inputs / 2**30:8.2f} GiB")
print(f"ReLU bool mask, {layers} layers  : {layers * relu_mask / 2**30:8.2f} GiB (1 byte/element; 1 bit would be 8× less)")

# %% [markdown]
# ### 3. Stability: the textbook softmax breaks, yours does not
#
# Float32 can hold numbers up to about 3.4·10³⁸, so `exp` overflows once its input exceeds
# ln(3.4·10³⁸) ≈ 88.7. Half precision (float16, used in mixed-precision training) overflows above
# ≈ 11.1. The textbook softmax exponentiates the raw logits, so large logits give inf / inf = nan
# and very negative ones give 0 / 0 = nan. Warnings are silenced below so you can see the nan.

# %%
def naive_softmax(a):
    """The textbook formula, for comparison only: exponentiates the raw logits."""
    e = np.exp(a)
    return e / e.sum(axis=-1, keepdims=True)


print("exp overflows above: float32", float(np.log(np.finfo(np.float32).max)),
      " float16", float(np.log(np.finfo(np.float16).max)))
logits = np.array([[1.0, 2.0, 3.0], [1000.0, 999.0, 998.0], [-1000.0, -999.0, -998.0]], dtype=np.float32)
with np.errstate(over="ignore", invalid="ignore"):
    naive = naive_softmax(logits)
stable = Softmax(dim=-1)(Tensor(logits)).data
for row, n, s in zip(logits, naive, stable):
    print(f"logits {np.array2string(row, precision=0):<22} naive {np.array2string(n, precision=3):<24} "
          f"yours {np.array2string(s, precision=3)}")

# %% [markdown]
# ### 4. The curves and their slopes
#
# During training the gradient flowing backwards through an activation is multiplied by the
# activation's slope (its derivative). The right-hand plot shows these slopes, computed
# numerically from *your* implementations with `np.gradient`. Look at where each slope is close to
# 0: inputs that land there pass almost no gradient back. You will need this plot for the first
# reflection question.

# %%
xs = np.linspace(-5, 5, 1001, dtype=np.float32)
curves = {name: candidates[name](Tensor(xs)).data for name in ("ReLU", "Sigmoid", "Tanh", "GELU")}

fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(11, 3.8))
for name, ys in curves.items():
    ax_f.plot(xs, ys, label=name)
    ax_d.plot(xs, np.gradient(ys, xs), label=name)
ax_f.set_title("activation f(x)")
ax_d.set_title("slope f'(x) (numerical)")
for ax in (ax_f, ax_d):
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel("x")
    ax.legend(loc="upper left")
ax_f.set_ylim(-1.5, 3)
plt.tight_layout()
plt.show()
print(f"largest sigmoid slope: {np.gradient(curves['Sigmoid'], xs).max():.3f}   "
      f"largest tanh slope: {np.gradient(curves['Tanh'], xs).max():.3f}")

# %% [markdown]
# ## Integration test
#
# The activations working together and with matrix multiplications: XOR with one hidden ReLU
# layer (impossible for any purely linear network), a small classifier forward pass
# Linear → GELU → Linear → Softmax, and the identities that connect the activations to one another.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
import warnings

relu, sigmoid, tanh, gelu, softmax = ReLU(), Sigmoid(), Tanh(), GELU(), Softmax(dim=-1)

# XOR: y = ReLU(x1 + x2) - 2 * ReLU(x1 + x2 - 1)
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
W_xor = np.ones((2, 2), dtype=np.float32)
b_xor = np.array([0.0, -1.0], dtype=np.float32)
w_out = np.array([1.0, -2.0], dtype=np.float32)
xor = relu(Tensor(X @ W_xor + b_xor)).data @ w_out
assert np.allclose(xor, [0, 1, 1, 0]), "two layers with a ReLU between them should compute XOR"

# a small classifier: 8 examples, 4 features -> 16 hidden (GELU) -> 3 classes (Softmax)
rng = np.random.default_rng(7)
inputs = Tensor(rng.standard_normal((8, 4)).astype(np.float32))
W_a = rng.standard_normal((4, 16)).astype(np.float32)
W_b = rng.standard_normal((16, 3)).astype(np.float32)
hidden_layer = gelu(Tensor(inputs.data @ W_a))
logits_out = Tensor(hidden_layer.data @ W_b)
probs = softmax(logits_out)
assert probs.shape == (8, 3), "the classifier should output one probability per class for each example"
assert np.allclose(probs.data.sum(axis=-1), 1.0, atol=1e-5), "each example's class probabilities should sum to 1"
assert np.all(probs.data > 0) and np.all(probs.data < 1), "class probabilities should lie strictly between 0 and 1"

# the activations agree with each other
z = Tensor(np.linspace(-5, 5, 11, dtype=np.float32))
assert np.allclose(tanh(z).data, 2 * sigmoid(Tensor(2 * z.data)).data - 1, atol=1e-6), \
    "tanh(x) should equal 2 * sigmoid(2x) - 1"
pairs = Tensor(np.stack([z.data, np.zeros_like(z.data)], axis=-1))
assert np.allclose(softmax(pairs).data[:, 0], sigmoid(z).data, atol=1e-6), \
    "softmax over [x, 0] should equal sigmoid(x) in its first entry"
assert np.allclose(relu(z).data - relu(Tensor(-z.data)).data, z.data), "ReLU(x) - ReLU(-x) should equal x"
### BEGIN HIDDEN TESTS
assert hidden_layer.dtype == np.float32 and probs.dtype == np.float32, \
    "float32 should stay float32 through a whole forward pass"
assert np.array_equal(np.argmax(probs.data, axis=-1), np.argmax(logits_out.data, axis=-1)), \
    "softmax should keep the largest logit as the most probable class"
assert np.array_equal(softmax(logits_out).data, probs.data), "activations should give the same output when called twice"
assert np.allclose(Softmax(dim=0)(Tensor(logits_out.data.T)).data, probs.data.T, atol=1e-6), \
    "Softmax(dim=0) of the transposed logits should be the transpose of Softmax(dim=-1)"
_grid = Tensor(np.linspace(-6, 6, 121, dtype=np.float32))
assert np.max(np.abs(gelu(_grid).data - _grid.data * sigmoid(Tensor(1.702 * _grid.data)).data)) < 0.03, \
    "GELU(x) should be close to x * sigmoid(1.702 x)"
_ext = Tensor(np.array([-1000.0, -60.0, 0.0, 60.0, 1000.0], dtype=np.float32))
try:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            _two = softmax(Tensor(np.stack([_ext.data, np.zeros_like(_ext.data)], axis=-1))).data[:, 0]
            _sig = sigmoid(_ext).data
            _tanh_id = 2 * sigmoid(Tensor(2 * _ext.data)).data - 1
            _tanh = tanh(_ext).data
except (FloatingPointError, RuntimeWarning):
    raise AssertionError("the activations should combine without overflow for extreme inputs") from None
assert np.allclose(_two, _sig, atol=1e-6), "softmax over [x, 0] should equal sigmoid(x) even for extreme x"
assert np.allclose(_tanh_id, _tanh, atol=1e-6), "tanh(x) = 2 * sigmoid(2x) - 1 should hold even for extreme x"
_xor_batch = np.tile(X, (3, 1))
assert np.allclose(relu(Tensor(_xor_batch @ W_xor + b_xor)).data @ w_out, np.tile([0, 1, 1, 0], 3)), \
    "the XOR network should work on a larger batch"
### END HIDDEN TESTS
print("✅ the activations work together")

# %% [markdown]
# ## Reflection questions
#
# Answer in a few sentences each, in your own words. Use numbers from *your* measurements above
# where a question asks for them. These answers are graded by the course staff.

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-saturation-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question 1 (6 points): saturation and vanishing gradients.** Your slope plot shows that
# sigmoid's slope is at most 0.25. During backpropagation the gradient is multiplied by one such
# slope per layer.
#
# (a) In the best case, how much smaller is the gradient that reaches the first layer of a
# 10-layer sigmoid network than the gradient at its last layer? What happens for inputs far from 0?
# (b) Why does ReLU avoid this for positive inputs, and what goes wrong for a ReLU unit whose input
# is negative for every training example?
# (c) GELU looks like ReLU for large |x|. What is different near 0, and why can that help?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-saturation", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) At most 0.25¹⁰ ≈ 10⁻⁶ of the gradient survives ten sigmoid
# layers (ignoring the weights); far from 0 the slope is ≈ 0 (σ' ≈ e^−|x|), so saturated units pass
# essentially nothing back and the early layers stop learning. (b) ReLU's slope is exactly 1 for
# x > 0, so the product of slopes along an active path does not shrink. For x < 0 the slope is 0:
# a unit that is negative for every example gets no gradient, its weights never change, it is
# "dead" (high learning rates and bad initialisation cause this; leaky ReLU/GELU mitigate it).
# (c) GELU is smooth at 0 and slightly negative for small negative x, so its slope there is
# non-zero: negative inputs still receive some gradient and the unit can recover; the smooth
# curve also gives better-behaved optimisation than ReLU's kink.
# Grading: (a) 2 points (0.25¹⁰ or "about a million times smaller" plus saturation), (b) 2 points
# (slope 1 / dead units), (c) 2 points (smooth, non-zero gradient for negative inputs).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-stability-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question 2 (6 points): numerical stability.**
#
# (a) In one line of algebra, show why softmax(x − c) = softmax(x) for any constant c.
# (b) Why subtract the **maximum** rather than, say, the mean? Give a concrete float32 logit
# vector for which subtracting the mean still overflows.
# (c) Mixed-precision training computes in float16, whose largest value is 65504. Roughly above
# which logit value does the naive softmax overflow in float16? Does your stable version have that
# problem, and why or why not?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-stability", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) e^(xᵢ−c) / Σⱼ e^(xⱼ−c) = e^−c·e^xᵢ / (e^−c·Σⱼ e^xⱼ) = softmax(x)ᵢ,
# since e^−c cancels. (b) Subtracting the max makes every exponent ≤ 0 (no overflow) and at least
# one exponent exactly 0, so the denominator is ≥ 1 (no 0/0 underflow). The mean only centres the
# logits: with a large spread some exponents stay above 88.7, e.g. [0, 200] has mean 100 and
# e^(200−100) = e^100 overflows float32 (also [−1000, 1000]). (c) ln(65504) ≈ 11.1, so naive softmax
# overflows for logits above about 11. The stable version computes e^(x − max) ≤ 1, which never
# overflows in any precision; tiny probabilities may underflow to 0, which is harmless.
# Grading: 2 points each part; (b) needs a vector that really overflows after subtracting its mean.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-cost-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question 3 (5 points): cost.** Use your measurements from the systems analysis.
#
# (a) How many times slower than ReLU were Sigmoid, GELU and Softmax on your machine? Relate
# that to the number of NumPy operations in your `forward` methods. How does GELU's time compare
# with the 1000 × 1000 matmul, and what does that say about where a layer spends its time?
# (b) Per layer, how many bytes of GELU inputs does the GPT-2-small-sized example keep for the
# backward pass? Name one technique that reduces this memory, and what it costs in return.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-cost", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Numbers vary by machine: typically Sigmoid, GELU and Softmax
# are about 3–6× slower than ReLU. Each NumPy operation is one pass over 4 MB (a new temporary
# array), and for element-wise work that memory traffic, not the arithmetic, dominates; ReLU is one
# pass while stable Sigmoid/GELU are 7–9 passes and Softmax adds reductions, so the ratio tracks the
# operation count (Tanh, a single SIMD pass, is as cheap as ReLU). The matmul is still several times
# slower than GELU, so in a layer the activation is a small fraction of the time; fusing the
# activation into one pass (or into the matmul) removes most of its cost. The student should quote
# their own ratios.
# (b) 8 · 1024 · 3072 · 4 bytes ≈ 96 MiB per layer (≈ 1.1 GiB for 12 layers). Techniques: activation
# checkpointing / recomputation (store only some layer inputs, recompute GELU in backward: saves
# memory, costs extra forward compute); storing activations in lower precision (float16/bfloat16:
# half the bytes, less precision); using ReLU whose backward needs only a 1-bit/1-byte mask;
# fused kernels that do not materialise intermediates.
# Grading: (a) 3 points (own ratios + operation-count/memory reason), (b) 2 points (about 96 MiB + one valid technique
# with its cost).
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes your `#| export` cells to
# `tinytorch/activations.py`, so that later modules can `from tinytorch.activations import ReLU`,
# and checks that the file imports cleanly.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("02_activations");
