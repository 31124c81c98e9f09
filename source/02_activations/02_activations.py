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
# — the tests of Steps 2, 3 and 5 feed them such inputs, and you will see them break in the
# systems analysis.
#
# **Expected time:** 2–3 hours. **Difficulty:** ★★☆☆☆ (each `forward` is one to three lines of
# NumPy; the care goes into overflow, dtypes and the axis of softmax).

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
# The graded test cells check your code with `expect` (exact), `expect_close` (within a
# tolerance) and `expect_raises`. When a check fails it prints what your code returned next to
# what was expected.

# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

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
x = Tensor([[-2.0, -0.5, 0.0], [0.5, 2.0, 3.0]])
y = relu(x)
expect(type(y).__name__, "Tensor", "ReLU should return a Tensor")
expect(y.shape, (2, 3), "ReLU should keep the input's shape")
expect(y.data, [[0.0, 0.0, 0.0], [0.5, 2.0, 3.0]], "ReLU should turn negatives into 0 and keep positives unchanged")
expect(x.data, [[-2.0, -0.5, 0.0], [0.5, 2.0, 3.0]],
       "ReLU must not change its input: compute a new array instead of writing into x.data")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(21)
_a = _rng.normal(size=(3, 4, 5)).astype(np.float32)
_a[0, 0, :4] = [0.0, -0.0, -1e-30, 1e-30]
_x = Tensor(_a.copy())
_y = relu(_x)
expect(_y.shape, (3, 4, 5), "ReLU should keep a 3-D input's shape")
expect(str(_y.dtype), "float32", "ReLU should keep float32 input as float32")
expect(_x.data, _a, "ReLU must not modify a 3-D input tensor")
expect(_y.data, np.where(_a > 0, _a, 0), "ReLU should pass positive values through exactly and turn every "
       "non-positive value (0, -0, tiny negatives) into 0")
expect(relu(Tensor(np.array([-1e30, 1e30], dtype=np.float32))).data, np.array([0, 1e30], dtype=np.float32),
       "ReLU should handle very large magnitudes exactly")
expect(relu(Tensor(np.array([-np.inf, np.inf], dtype=np.float32))).data, [0.0, np.inf],
       "ReLU of -inf should be 0 and of +inf should be +inf")
expect(relu(Tensor(np.zeros((0, 3), dtype=np.float32))).shape, (0, 3), "ReLU should accept an empty batch")
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


# %% nbgrader={"grade": true, "grade_id": "test-sigmoid", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
sigmoid = Sigmoid()
y = sigmoid(Tensor([-2.0, 0.0, 2.0]))
expect(type(y).__name__, "Tensor", "Sigmoid should return a Tensor")
expect(y.shape, (3,), "Sigmoid should keep the input's shape")
expect_close(y.data, [0.11920292, 0.5, 0.88079708], "Sigmoid should give about 0.119, 0.5 and 0.881 at -2, 0 and 2",
             rtol=0, atol=1e-6)
z = np.linspace(-6, 6, 13, dtype=np.float32)
expect_close(sigmoid(Tensor(-z)).data + sigmoid(Tensor(z)).data, np.ones(13),
             "Sigmoid should satisfy sigmoid(-x) + sigmoid(x) = 1", rtol=0, atol=1e-6)
### BEGIN HIDDEN TESTS
_a = (np.random.default_rng(22).normal(size=(4, 5, 6)) * 5).astype(np.float32)
_x = Tensor(_a.copy())
_y = sigmoid(_x)
expect(_y.shape, (4, 5, 6), "Sigmoid should keep a 3-D input's shape")
expect(str(_y.dtype), "float32", "Sigmoid should keep float32 input as float32")
expect(_x.data, _a, "Sigmoid must not modify its input tensor")
expect_close(_y.data, 1.0 / (1.0 + np.exp(-_a.astype(np.float64))), "Sigmoid values on random inputs",
             rtol=1e-5, atol=1e-6)
expect(sigmoid(Tensor([0.0])).data, [0.5], "Sigmoid of 0 should be exactly 0.5")
### END HIDDEN TESTS
print("✅ Sigmoid works")

# %% [markdown]
# The next test feeds your `Sigmoid` inputs of ±100 and ±1000 and records every warning NumPy
# prints while it runs. A stable implementation prints none.

# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-stable", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
import warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with np.errstate(over="warn", invalid="warn", divide="warn"):
        extreme = sigmoid(Tensor(np.array([-1000.0, -100.0, 100.0, 1000.0], dtype=np.float32)))
expect([str(w.message) for w in caught], [],
       "Sigmoid of ±100 and ±1000 should print no warning: some exponent you compute is positive and "
       "overflows (and np.where computes both of its branches for every element)")
expect(extreme.data[[0, 3]], [0.0, 1.0], "Sigmoid of -1000 should be exactly 0 and of +1000 exactly 1")
expect_close(extreme.data[[1, 2]], [0.0, 1.0], "Sigmoid of -100 should be about 0 and of +100 about 1",
             rtol=0, atol=1e-6)
### BEGIN HIDDEN TESTS
_ext = np.array([[-1000.0, -100.0, -88.8, -20.0], [20.0, 88.8, 100.0, 1000.0]], dtype=np.float32)
with warnings.catch_warnings(record=True) as _caught:
    warnings.simplefilter("always")
    with np.errstate(over="warn", invalid="warn", divide="warn"):
        _y = sigmoid(Tensor(_ext))
        _y64 = sigmoid(Tensor(np.array([-1000.0, -750.0, 750.0, 1000.0]), dtype=np.float64))
expect([str(_w.message) for _w in _caught], [], "Sigmoid should print no warning on a 2-D batch of extreme "
       "float32 inputs, nor on float64 inputs beyond ±710")
expect(str(_y.dtype), "float32", "Sigmoid should keep float32 input as float32 for extreme inputs")
expect_close(_y.data, 1.0 / (1.0 + np.exp(-np.clip(_ext.astype(np.float64), -700, 700))),
             "Sigmoid values on a 2-D batch of extreme inputs", rtol=1e-5, atol=1e-6)
expect(_y64.data[[0, 3]], [0.0, 1.0], "Sigmoid of ±1000 in float64 should be exactly 0 and 1")
### END HIDDEN TESTS
print("✅ Sigmoid is numerically stable")

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
expect(type(y).__name__, "Tensor", "Tanh should return a Tensor")
expect(y.shape, (3,), "Tanh should keep the input's shape")
expect_close(y.data, [-0.76159416, 0.0, 0.76159416], "Tanh should give about -0.762, 0 and 0.762 at -1, 0 and 1",
             rtol=0, atol=1e-6)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with np.errstate(over="warn", invalid="warn", divide="warn"):
        extreme = tanh(Tensor([-1000.0, 1000.0]))
expect([str(w.message) for w in caught], [], "Tanh of ±1000 should print no warning (the textbook formula overflows)")
expect(extreme.data, [-1.0, 1.0], "Tanh of -1000 should be -1 and of +1000 should be +1")
### BEGIN HIDDEN TESTS
with warnings.catch_warnings(record=True) as _caught:
    warnings.simplefilter("always")
    with np.errstate(over="warn", invalid="warn", divide="warn"):
        _ext = tanh(Tensor(np.array([[-1000.0, -90.0], [90.0, 1000.0]], dtype=np.float32)))
expect([str(_w.message) for _w in _caught], [], "Tanh should print no warning on a 2-D batch of extreme inputs")
expect(_ext.data, [[-1.0, -1.0], [1.0, 1.0]], "Tanh of large negative/positive inputs should be -1/+1")
expect(str(_ext.dtype), "float32", "Tanh should keep float32 input as float32")
_a = (np.random.default_rng(23).normal(size=(2, 3, 7)) * 3).astype(np.float32)
_x = Tensor(_a.copy())
_y = tanh(_x)
expect(_y.shape, (2, 3, 7), "Tanh should keep a 3-D input's shape")
expect(_x.data, _a, "Tanh must not modify its input tensor")
expect_close(_y.data, np.tanh(_a.astype(np.float64)), "Tanh values on random inputs", rtol=0, atol=1e-6)
expect_close(tanh(Tensor(-_a)).data + _y.data, np.zeros((2, 3, 7)), "Tanh should be odd: tanh(-x) = -tanh(x)",
             rtol=0, atol=1e-7)
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
import warnings

gelu = GELU()
y = gelu(Tensor([-1.0, 0.0, 1.0]))
expect(type(y).__name__, "Tensor", "GELU should return a Tensor")
expect(y.shape, (3,), "GELU should keep the input's shape")
expect(float(y.data[1]), 0.0, "GELU(0) should be exactly 0")
expect_close(y.data, [-0.15880801, 0.0, 0.84119199],
             "GELU should give about -0.1588, 0 and 0.8412 at -1, 0 and 1 (tanh approximation)", rtol=0, atol=1e-5)
expect_close(gelu(Tensor([-3.0, 3.0])).data, [-0.00363739, 2.99636261],
             "GELU should give about -0.0036 and 2.9964 at -3 and 3", rtol=0, atol=1e-5)
### BEGIN HIDDEN TESTS
_grid = np.linspace(-6, 6, 241)
_x = Tensor(_grid.astype(np.float32))
_y = gelu(_x)
expect(_y.shape, (241,), "GELU should keep the input's shape")
expect(str(_y.dtype), "float32", "GELU should keep float32 input as float32")
expect(_x.data, _grid.astype(np.float32), "GELU must not modify its input tensor")
expect_close(_y.data, 0.5 * _grid * (1 + np.tanh(np.sqrt(2 / np.pi) * (_grid + 0.044715 * _grid ** 3))),
             "GELU should match the tanh-approximation formula across the range -6..6", rtol=1e-5, atol=1e-5)
with warnings.catch_warnings(record=True) as _caught:
    warnings.simplefilter("always")
    with np.errstate(over="warn", invalid="warn", divide="warn"):
        _ext = gelu(Tensor([-1000.0, -50.0, 50.0, 1000.0]))
expect([str(_w.message) for _w in _caught], [], "GELU should print no warning for inputs up to ±1000")
expect_close(_ext.data, [0.0, 0.0, 50.0, 1000.0],
             "GELU should be about 0 for very negative inputs and about x for very positive inputs", rtol=1e-6, atol=1e-6)
_v = np.arange(-12, 12).reshape(2, 3, 4) / 4
_m = gelu(Tensor(_v.astype(np.float32)))
expect(_m.shape, (2, 3, 4), "GELU should keep a 3-D input's shape")
expect_close(_m.data, 0.5 * _v * (1 + np.tanh(np.sqrt(2 / np.pi) * (_v + 0.044715 * _v ** 3))),
             "GELU on a 3-D input", rtol=1e-5, atol=1e-6)
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


# %% nbgrader={"grade": true, "grade_id": "test-softmax", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
softmax = Softmax()
y = softmax(Tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]))
expect(type(y).__name__, "Tensor", "Softmax should return a Tensor")
expect(y.shape, (2, 3), "Softmax should keep the input's shape")
expect_close(y.data.sum(axis=-1), [1.0, 1.0], "each row should sum to 1", rtol=0, atol=1e-6)
expect_close(y.data, [[0.09003057, 0.24472847, 0.66524096], [1 / 3, 1 / 3, 1 / 3]],
             "softmax of [1, 2, 3] should be about [0.090, 0.245, 0.665]; equal logits give equal probabilities",
             rtol=0, atol=1e-6)
### BEGIN HIDDEN TESTS
_a = (np.random.default_rng(24).normal(size=(5, 7)) * 3).astype(np.float32)
_x = Tensor(_a.copy())
_p = softmax(_x)
expect(str(_p.dtype), "float32", "Softmax should keep float32 input as float32")
expect(_x.data, _a, "Softmax must not modify its input tensor")
expect_close(_p.data, np.exp(_a - _a.max(axis=-1, keepdims=True)) / np.exp(_a - _a.max(axis=-1, keepdims=True)).sum(
    axis=-1, keepdims=True), "Softmax values on a random (5, 7) batch", rtol=1e-5, atol=1e-6)
expect_close(softmax(Tensor([0.0, np.log(2.0)])).data, [1 / 3, 2 / 3], "Softmax of a 1-D vector", rtol=0, atol=1e-6)
expect_close(softmax(Tensor([[3.0], [-7.0]])).data, [[1.0], [1.0]], "softmax over an axis of length 1 should be 1",
             rtol=0, atol=1e-7)
### END HIDDEN TESTS
print("✅ Softmax works")

# %% [markdown]
# The next test feeds your `Softmax` logits around ±1000 and a masked row, and records every
# warning NumPy prints while it runs. A stable implementation prints none.

# %% nbgrader={"grade": true, "grade_id": "test-softmax-stable", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
import warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with np.errstate(over="warn", invalid="warn", divide="warn"):
        big = softmax(Tensor([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -998.0]]))
expect([str(w.message) for w in caught], [],
       "Softmax of logits around ±1000 should print no warning: subtract the maximum along dim before exponentiating")
expect_close(big.data, [[0.66524096, 0.24472847, 0.09003057], [0.09003057, 0.24472847, 0.66524096]],
             "logits [1000, 999, 998] should give the same probabilities as [2, 1, 0], "
             "and [-1000, -999, -998] the same as [0, 1, 2]", rtol=0, atol=1e-6)
### BEGIN HIDDEN TESTS
_big = np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -998.0], [0.0, 200.0, 100.0]], dtype=np.float32)
_xb = Tensor(_big.copy())
with warnings.catch_warnings(record=True) as _caught:
    warnings.simplefilter("always")
    with np.errstate(over="warn", invalid="warn", divide="warn"):
        _pb = softmax(_xb)
        _masked = softmax(Tensor([[0.5, -np.inf, 0.5, -np.inf], [-np.inf, 2.0, -np.inf, -np.inf]]))
        _cols = Softmax(dim=0)(Tensor(np.array([[1000.0, -1000.0], [999.0, -1000.0], [998.0, -998.0]],
                                               dtype=np.float32)))
expect([str(_w.message) for _w in _caught], [], "Softmax should print no warning for logits around ±1000, "
       "logits spread over 200, -inf (masked) logits, or large logits along dim=0")
expect(str(_pb.dtype), "float32", "Softmax should keep float32 input as float32 for large logits")
expect(_xb.data, _big, "Softmax must not modify its input tensor")
expect_close(_pb.data, [[0.66524096, 0.24472847, 0.09003057], [0.09003057, 0.24472847, 0.66524096], [0.0, 1.0, 0.0]],
             "Softmax of large logits, and of logits [0, 200, 100] spread far apart", rtol=0, atol=1e-6)
expect(_masked.data, [[0.5, 0.0, 0.5, 0.0], [0.0, 1.0, 0.0, 0.0]],
       "a -inf (masked) logit should get probability exactly 0, the others share the rest")
expect_close(_cols.data, [[0.66524096, 0.10650698], [0.24472847, 0.10650698], [0.09003057, 0.78698604]],
             "Softmax(dim=0) of large logits", rtol=0, atol=1e-6)
_b = (np.random.default_rng(26).normal(size=(2, 2, 3, 5)) * 2).astype(np.float32)
_b[1, 0, 2, :] += 1000.0
expect_close(Softmax(dim=-1)(Tensor(_b)).data, np.exp(_b - _b.max(axis=-1, keepdims=True)) / np.exp(
    _b - _b.max(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True),
             "Softmax of a 4-D batch with one row of huge logits", rtol=1e-5, atol=1e-6)
### END HIDDEN TESTS
print("✅ Softmax is numerically stable")

# %% [markdown]
# The next test checks `dim`: other axes, negative axes, and batches with more than two
# dimensions, like the (batch, heads, queries, keys) scores in attention.

# %% nbgrader={"grade": true, "grade_id": "test-softmax-dims", "locked": true, "points": 9, "schema_version": 3, "solution": false, "task": false}
cols = Softmax(dim=0)(Tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]))
expect(cols.shape, (2, 3), "Softmax(dim=0) should keep the input's shape")
expect_close(cols.data, [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]], "with dim=0, each column should be normalised separately",
             rtol=0, atol=1e-6)
scores = Softmax(dim=1)(Tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4)))
expect(scores.shape, (2, 3, 4), "Softmax(dim=1) should keep a 3-D input's shape")
expect_close(scores.data.sum(axis=1), np.ones((2, 4)), "with dim=1 on a (2, 3, 4) input, the sums along axis 1 "
             "should be 1", rtol=0, atol=1e-6)
### BEGIN HIDDEN TESTS
_a = (np.random.default_rng(25).normal(size=(2, 3, 4)) * 3).astype(np.float32)
for _d in (0, 1, 2, -1, -2, -3):
    _x = Tensor(_a.copy())
    _p = Softmax(dim=_d)(_x)
    expect(_x.data, _a, "Softmax must not modify its input tensor, for any dim")
    expect(str(_p.dtype), "float32", "Softmax should keep float32 input as float32 for every dim")
    expect_close(_p.data, np.exp(_a - _a.max(axis=_d, keepdims=True)) / np.exp(_a - _a.max(axis=_d, keepdims=True)).sum(
        axis=_d, keepdims=True), "Softmax values along each dim (0, 1, 2, -1, -2, -3) of a 3-D batch", rtol=1e-5, atol=1e-6)
expect_close(Softmax()(Tensor(_a + 50.0)).data - Softmax()(Tensor(_a)).data, np.zeros((2, 3, 4)),
             "adding the same constant to every logit should not change softmax", rtol=0, atol=1e-5)
_b = (np.random.default_rng(26).normal(size=(2, 2, 3, 5)) * 2).astype(np.float32)
expect_close(Softmax(dim=-3)(Tensor(_b)).data, np.exp(_b) / np.exp(_b).sum(axis=-3, keepdims=True),
             "Softmax(dim=-3) of a 4-D batch", rtol=1e-5, atol=1e-6)
expect(Softmax()(Tensor(np.zeros((0, 5), dtype=np.float32))).shape, (0, 5),
       "Softmax should accept an empty batch and keep its shape")
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
# in a layer. It does 2·10⁹ floating-point operations on the same amount of data.
#
# Timings on a shared machine are noisy, so `measure` from the course runtime runs each call a
# few times after a warm-up, with NumPy's BLAS on one thread, and reports the **median** and the
# interquartile range (IQR: the middle half of the runs). On the course server we measured
# Sigmoid and GELU at 3.5–5.5× the time of ReLU, Softmax at 2–4×, Tanh at about 1×, and the
# matmul at 40–60× (40–50 GFLOP/s on one thread). Your numbers will differ; the ratios are what
# to look at.

# %% nbgrader={"grade": false, "grade_id": "analysis-timing", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
from tinytorch_runtime.timing import gflops, measure

x_big = Tensor(np.random.default_rng(1).standard_normal((1000, 1000)).astype(np.float32))
candidates = {"ReLU": ReLU(), "Tanh": Tanh(), "Sigmoid": Sigmoid(), "GELU": GELU(), "Softmax": Softmax(dim=-1)}
timings = {name: measure(act, x_big) for name, act in candidates.items()}
timings["matmul 1000²"] = measure(np.matmul, x_big.data, x_big.data, repeats=3)

relu_s = timings["ReLU"].median
print(f"{'operation':<14}{'median (ms)':>12}{'IQR (ms)':>16}{'× ReLU':>9}{'ns/element':>12}")
for name, t in timings.items():
    print(f"{name:<14}{t.median * 1e3:>12.2f}{f'{t.q1 * 1e3:.2f}-{t.q3 * 1e3:.2f}':>16}"
          f"{t.median / relu_s:>9.1f}{t.median * 1e9 / x_big.data.size:>12.2f}")
print(f"matmul: {gflops(2 * 1000**3, timings['matmul 1000²']):.0f} GFLOP/s")

fig, ax = plt.subplots(figsize=(7, 3))
medians = [t.median * 1e3 for t in timings.values()]
spread = [[(t.median - t.q1) * 1e3 for t in timings.values()], [(t.q3 - t.median) * 1e3 for t in timings.values()]]
ax.barh(list(timings), medians, xerr=spread, color=["C0"] * 5 + ["C7"])
ax.set_xlabel("milliseconds for a (1000, 1000) float32 tensor (median, bars: IQR)")
ax.invert_yaxis()
ax.set_title("Cost of each activation vs one matmul")
plt.tight_layout()
plt.show()

# %% [markdown]
# The same formula can cost very different amounts depending on how you write it. Here is
# x³ written two ways on the same float32 array (on the course server `x ** 3` was 300–450×
# slower), plus the float64 trap from Step 4:

# %%
xb = x_big.data
t_pow = measure(lambda: xb ** 3, repeats=3)
t_mul = measure(lambda: xb * xb * xb, repeats=3)
print(f"x ** 3    : {t_pow}")
print(f"x * x * x : {t_mul}   ({t_pow.median / t_mul.median:.0f}× faster, same numbers up to rounding)")
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
relu, sigmoid, tanh, gelu, softmax = ReLU(), Sigmoid(), Tanh(), GELU(), Softmax(dim=-1)

# XOR: y = ReLU(x1 + x2) - 2 * ReLU(x1 + x2 - 1)
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
W_xor = np.ones((2, 2), dtype=np.float32)
b_xor = np.array([0.0, -1.0], dtype=np.float32)
w_out = np.array([1.0, -2.0], dtype=np.float32)
xor = relu(Tensor(X @ W_xor + b_xor)).data @ w_out
expect_close(xor, [0.0, 1.0, 1.0, 0.0], "two layers with a ReLU between them should compute XOR", rtol=0, atol=1e-6)

# a small classifier: 8 examples, 4 features -> 16 hidden (GELU) -> 3 classes (Softmax)
rng = np.random.default_rng(7)
inputs = Tensor(rng.standard_normal((8, 4)).astype(np.float32))
W_a = rng.standard_normal((4, 16)).astype(np.float32)
W_b = rng.standard_normal((16, 3)).astype(np.float32)
hidden_layer = gelu(Tensor(inputs.data @ W_a))
logits_out = Tensor(hidden_layer.data @ W_b)
probs = softmax(logits_out)
expect(probs.shape, (8, 3), "the classifier should output one probability per class for each example")
expect_close(probs.data.sum(axis=-1), np.ones(8), "each example's class probabilities should sum to 1",
             rtol=0, atol=1e-5)
expect(np.argmax(probs.data, axis=-1), np.argmax(logits_out.data, axis=-1),
       "the most probable class should be the one with the largest logit")

# the activations agree with each other
z = Tensor(np.linspace(-5, 5, 11, dtype=np.float32))
expect_close(tanh(z).data - (2 * sigmoid(Tensor(2 * z.data)).data - 1), np.zeros(11),
             "tanh(x) should equal 2 * sigmoid(2x) - 1", rtol=0, atol=1e-6)
pairs = Tensor(np.stack([z.data, np.zeros_like(z.data)], axis=-1))
expect_close(softmax(pairs).data[:, 0] - sigmoid(z).data, np.zeros(11),
             "softmax over [x, 0] should equal sigmoid(x) in its first entry", rtol=0, atol=1e-6)
expect(relu(z).data - relu(Tensor(-z.data)).data, z.data, "ReLU(x) - ReLU(-x) should equal x")
### BEGIN HIDDEN TESTS
expect(str(hidden_layer.dtype), "float32", "float32 should stay float32 through GELU")
expect(str(probs.dtype), "float32", "float32 should stay float32 through Softmax")
expect_close(probs.data, np.exp(logits_out.data - logits_out.data.max(axis=-1, keepdims=True)) / np.exp(
    logits_out.data - logits_out.data.max(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True),
             "the classifier's probabilities", rtol=1e-4, atol=1e-6)
expect(softmax(logits_out).data - probs.data, np.zeros((8, 3)), "activations should give the same output when called twice")
expect_close(Softmax(dim=0)(Tensor(logits_out.data.T)).data - probs.data.T, np.zeros((3, 8)),
             "Softmax(dim=0) of the transposed logits should be the transpose of Softmax(dim=-1)", rtol=0, atol=1e-6)
_grid = Tensor(np.linspace(-6, 6, 121, dtype=np.float32))
expect_close(gelu(_grid).data - _grid.data * sigmoid(Tensor(1.702 * _grid.data)).data, np.zeros(121),
             "GELU(x) should be close to x * sigmoid(1.702 x)", rtol=0, atol=0.03)
_mid = Tensor(np.array([-60.0, -20.0, 0.0, 20.0, 60.0], dtype=np.float32))
expect_close(softmax(Tensor(np.stack([_mid.data, np.zeros(5, np.float32)], axis=-1))).data[:, 0] - sigmoid(_mid).data,
             np.zeros(5), "softmax over [x, 0] should equal sigmoid(x) for x up to ±60", rtol=0, atol=1e-6)
expect_close(2 * sigmoid(Tensor(2 * _mid.data)).data - 1 - tanh(_mid).data, np.zeros(5),
             "tanh(x) = 2 * sigmoid(2x) - 1 should hold for x up to ±60", rtol=0, atol=1e-6)
_xor_batch = np.tile(X, (3, 1))
expect_close(relu(Tensor(_xor_batch @ W_xor + b_xor)).data @ w_out, np.tile([0.0, 1.0, 1.0, 0.0], 3),
             "the XOR network should work on a larger batch", rtol=0, atol=1e-6)
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
# *Model answer (for graders).* (a) Numbers vary by machine: on the course server Sigmoid and GELU
# took 3.5–5.5× the time of ReLU and Softmax 2–4×. Each NumPy operation is one pass over 4 MB (a
# new temporary array), and for element-wise work that memory traffic, not the arithmetic,
# dominates; ReLU is one pass while stable Sigmoid/GELU are 7–9 passes and Softmax adds
# reductions, so the ratio tracks the operation count (Tanh, a single SIMD pass, is as cheap as
# ReLU). The matmul is still about 10× slower than GELU on one BLAS thread (40–60× ReLU), so in a
# layer the activation is a small fraction of the time; fusing the activation into one pass (or
# into the matmul) removes most of its cost. The student should quote their own ratios.
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
