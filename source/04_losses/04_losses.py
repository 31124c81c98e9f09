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
# # Module 04 · Losses
#
# A network's forward pass ends in numbers: predictions, logits, probabilities. Training needs
# **one** number that says how wrong those predictions are, and that gets smaller as they get
# better. That number is the **loss**, and everything in training (gradients in module 05, the
# optimiser in 06, the training loop in 07) exists to push it down.
#
# In this module you build the three losses that cover almost all of supervised learning, plus
# the two numerically stable functions that the classification losses are made of:
#
# | you build | formula (per example) | used for |
# |---|---|---|
# | `logsumexp(x, axis)` | log Σⱼ e^xⱼ, computed without overflow | the normaliser of softmax |
# | `log_softmax(x, axis)` | xᵢ − logsumexp(x) | log-probabilities from logits |
# | `MSELoss` | (pred − target)² | regression |
# | `CrossEntropyLoss` | −log softmax(logits)[target] | multi-class classification, language models |
# | `BinaryCrossEntropyLoss` | −[y·log p + (1 − y)·log(1 − p)] | yes/no questions, multi-label |
#
# Every loss returns the **mean** over the batch, as a 0-d `Tensor`.
#
# Two rules run through the whole module. **Stability**: cross-entropy of logits around ±1000 must
# give exact, finite answers without a single overflow warning. **Tensor operations only**: you
# write every loss with the `Tensor` operations you built in module 01 (`-`, `*`, `exp`, `log`,
# `sum`, `mean`, indexing), never by computing on `.data` and wrapping the answer at the end. That
# is what lets module 05's autograd differentiate your losses without changing a line.
#
# **Expected time:** 3–4 hours. **Difficulty:** ★★☆☆☆ (short code; the care goes into numerical
# stability and input checks).

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# ```python
# import torch
# import torch.nn.functional as F
#
# logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])   # (N=2, C=3): raw scores
# labels = torch.tensor([0, 1])                              # (N,): one class index per example
# torch.nn.CrossEntropyLoss()(logits, labels)   # mean of -log softmax(logits)[n, labels[n]]
# F.cross_entropy(logits, labels)               # the same, as a function
# F.log_softmax(logits, dim=-1)                 # what cross_entropy is built on
# torch.logsumexp(logits, dim=-1)               # what log_softmax is built on
# torch.nn.MSELoss()(pred, target)              # mean of (pred - target) ** 2
# torch.nn.BCELoss()(probs, target)             # probabilities in (0, 1), targets of the same shape
# ```
#
# Notice what `CrossEntropyLoss` takes: **logits**, not probabilities. There is no softmax layer at
# the end of a PyTorch classifier. The loss applies `log_softmax` itself, because computing
# `softmax` first and then taking its `log` is numerically fragile: a probability that underflows to
# 0 gives `log(0) = -inf`, and a logit above ~88 overflows float32. In log space neither happens.
# You will see the fragile version break in the systems analysis.
#
# Your API follows PyTorch's module form: build the loss once, call it like a function.
#
# ```python
# loss_fn = CrossEntropyLoss()
# loss = loss_fn(logits, labels)     # a 0-d Tensor; loss.item() is a Python float
# ```

# %% [markdown]
# ## Setup
#
# This cell imports your `Tensor` from module 01 (through `tinytorch_runtime`) and is exported into
# `tinytorch/losses.py` with every `#| export` cell.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import numpy as np
from tinytorch.tensor import Tensor

__all__ = ["logsumexp", "log_softmax", "Loss", "MSELoss", "CrossEntropyLoss", "BinaryCrossEntropyLoss"]

# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## A preview of module 05: is your loss a graph of Tensor operations?
#
# In module 05 every Tensor operation will record where its result came from, so that the
# gradient can flow back from the loss to the weights. A result computed with NumPy on `x.data`
# and wrapped in a new `Tensor(...)` at the end has no such record: the chain is broken, and the
# weights would never learn.
#
# The given helper below lets the tests check this today. Inside `with track_graph():`, mark an
# input with `x.tracked = True`; every Tensor operation (`+ - * / ** neg @ sum mean max exp log
# reshape transpose` and indexing) then marks its result as tracked when one of its Tensor
# arguments was. A `Tensor(...)` built from raw NumPy numbers is never tracked. You do not edit this
# cell. It is exported with your losses (the tests run against your exported module) but is not
# part of their public API.

# %% nbgrader={"grade": false, "grade_id": "graph-tracker", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import contextlib

_TRACKED_OPS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
                "__rtruediv__", "__neg__", "__pow__", "__matmul__", "__rmatmul__", "sum", "mean", "max",
                "exp", "log", "reshape", "transpose", "__getitem__")


@contextlib.contextmanager
def track_graph():
    """Given: while active, results of Tensor operations on a tracked Tensor are tracked too."""
    originals = {name: Tensor.__dict__[name] for name in _TRACKED_OPS if name in Tensor.__dict__}

    def tracking(op):
        def tracked_op(self, *args, **kwargs):
            out = op(self, *args, **kwargs)
            inputs = (self, *args, *kwargs.values())
            if isinstance(out, Tensor) and any(getattr(a, "tracked", False) for a in inputs):
                out.tracked = True
            return out
        return tracked_op

    try:
        for name, op in originals.items():
            setattr(Tensor, name, tracking(op))
        yield
    finally:
        for name, op in originals.items():
            setattr(Tensor, name, op)


def tracked(array):
    """Given: a float32 Tensor of `array`, marked as an input whose graph we follow."""
    t = Tensor(np.asarray(array, dtype=np.float32))
    t.tracked = True
    return t


# %%
with track_graph():
    _demo = tracked([1.0, 2.0])
    print("(x * 2).exp().sum() is tracked:      ", getattr((_demo * 2).exp().sum(), "tracked", False))
    print("Tensor(np.exp(x.data * 2)) is tracked:", getattr(Tensor(np.exp(_demo.data * 2)), "tracked", False))

# %% [markdown]
# ## Step 1 · logsumexp, numerically stable
#
# Softmax divides by Σⱼ e^xⱼ, so in log space it subtracts the **log-sum-exp**:
#
# ```
# logsumexp(x) = log Σⱼ e^xⱼ          log softmax(x)ᵢ = xᵢ − logsumexp(x)
# ```
#
# Computed as written, e^1000 overflows float32 (anything above ln(3.4·10³⁸) ≈ 88.7 does) and the
# result is `inf`. The fix is the same shift you used for softmax in module 02. For any constant m:
#
# ```
# log Σⱼ e^xⱼ = log (e^m · Σⱼ e^(xⱼ − m)) = m + log Σⱼ e^(xⱼ − m)
# ```
#
# Choose m = max(x). Then every exponent xⱼ − m is ≤ 0, so nothing overflows, and the largest term
# is e⁰ = 1, so the sum is ≥ 1 and its log is never `log(0)`.
#
# ```
# x = [1000, 999, 998]   m = 1000   x − m = [0, −1, −2]
# logsumexp(x) = 1000 + log(1 + 0.368 + 0.135) = 1000 + 0.408 = 1000.408
# ```
#
# **The shift is a constant.** Build it from the numbers, `m = Tensor(x.data.max(axis=axis,
# keepdims=True))`, not with the Tensor operation `x.max(...)`. This is the one place where reading
# `.data` is right, and it is *exact*, not an approximation: the identity above holds for **every**
# m, so the result does not depend on m at all, and neither does its gradient. Treating m as a
# constant therefore loses nothing, and it keeps module 05's graph smaller (no `max` node, whose
# backward would have to find and split ties between equal maxima). Everything else (`x − m`,
# `exp`, `sum`, `log`, `+ m`) must be Tensor operations on `x`.
#
# **Shapes.** Reduce along `axis` (negative axes count from the end). With `keepdims=False` the
# reduced axis disappears, `(N, C) → (N,)`; with `keepdims=True` it stays with size 1, `(N, C) →
# (N, 1)`, which broadcasts back against `x`. Hint: keep the shift with `keepdims=True` so that
# `x − m` broadcasts, and when the result must drop the axis, add a version of m without it
# (`np.squeeze(m.data, axis=axis)` or a second `x.data.max(axis=axis)`).

# %% nbgrader={"grade": false, "grade_id": "logsumexp", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def logsumexp(x: Tensor, axis=-1, keepdims=False) -> Tensor:
    """log(sum(exp(x), axis)) without overflow, as Tensor operations. Like torch.logsumexp(x, dim).

    The shift m = max along `axis` is a constant Tensor built from x.data.
    """
    ### BEGIN SOLUTION
    m = Tensor(x.data.max(axis=axis, keepdims=True))
    total = (x - m).exp().sum(axis=axis, keepdims=keepdims).log()
    return total + (m if keepdims else Tensor(np.squeeze(m.data, axis=axis)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-logsumexp", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
x = Tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
lse = logsumexp(x)
expect(type(lse).__name__, "Tensor", "logsumexp should return a Tensor")
expect(lse.shape, (2,), "logsumexp over the last axis of (2, 3) should have shape (2,)")
expect_close(lse.data, [3.40760596, 1.09861229], "logsumexp([1, 2, 3]) is about 3.4076 and logsumexp([0, 0, 0]) = log 3",
             rtol=1e-6, atol=1e-6)
expect(logsumexp(x, keepdims=True).shape, (2, 1), "keepdims=True should keep the reduced axis with size 1")
expect_close(logsumexp(x, axis=0).data, [1.31326169, 2.12692801, 3.04858735], "logsumexp along axis 0 (down the columns)",
             rtol=1e-6, atol=1e-6)
with track_graph():
    expect(getattr(logsumexp(tracked([[1.0, 2.0]])), "tracked", False), True,
           "logsumexp must be computed with Tensor operations on x (only the shift m may come from x.data)")
### BEGIN HIDDEN TESTS
def _ref_lse(a, axis, keepdims=False):
    a = a.astype(np.float64)
    m = a.max(axis=axis, keepdims=True)
    r = m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))
    return r if keepdims else np.squeeze(r, axis=axis)


_rng = np.random.default_rng(41)
_a = (_rng.normal(size=(2, 3, 4)) * 4).astype(np.float32)
for _ax in (0, 1, 2, -1, -2, -3):
    for _kd in (False, True):
        _x = Tensor(_a)
        _r = logsumexp(_x, axis=_ax, keepdims=_kd)
        expect((_r.shape, str(_r.dtype)), (_ref_lse(_a, _ax, _kd).shape, "float32"),
               "logsumexp's shape for every axis and keepdims, float32 kept")
        expect_close(_r.data, _ref_lse(_a, _ax, _kd), "logsumexp values along every axis", rtol=1e-6, atol=1e-5)
expect(_x.data, np.asarray(_a), "logsumexp must not modify its input")
expect_close(logsumexp(Tensor([[5.0], [-3.0]]), axis=1).data, [5.0, -3.0],
             "logsumexp over an axis of length 1 is the value itself", rtol=1e-7, atol=1e-7)
with track_graph():
    _t = tracked(_a)
    expect((getattr(logsumexp(_t, axis=0, keepdims=True), "tracked", False), getattr(logsumexp(_t, axis=1), "tracked", False)),
           (True, True), "logsumexp must be built from Tensor operations on x for every axis and keepdims")
### END HIDDEN TESTS
print("✅ logsumexp works")

# %% nbgrader={"grade": true, "grade_id": "test-logsumexp-stable", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import warnings

big = logsumexp(Tensor([1000.0, 999.0, 998.0]))
expect_close(big.item(), 1000.40760596, "logsumexp([1000, 999, 998]) should be finite, about 1000.408 "
             "(subtract the maximum before exp)", rtol=0, atol=1e-3)
expect_close(logsumexp(Tensor([-1000.0, -1001.0])).item(), -999.68673831,
             "logsumexp([-1000, -1001]) should be about -999.687, not log(0) = -inf", rtol=0, atol=1e-3)
### BEGIN HIDDEN TESTS
_ext = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1001.0, -1002.0], [88.0, 89.0, 90.0]], dtype=np.float32)
with warnings.catch_warnings():
    warnings.simplefilter("error")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        _r = logsumexp(Tensor(_ext))
expect_close(_r.data, [1000.0, -999.59239403, 90.40760596], "logsumexp for logits around ±1000, without any overflow",
             rtol=0, atol=1e-4)
with warnings.catch_warnings():
    warnings.simplefilter("error")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        _masked = logsumexp(Tensor([[0.0, -np.inf, 0.0]]))
expect_close(_masked.data, [0.69314718], "a -inf entry should contribute nothing to logsumexp", rtol=1e-6, atol=1e-6)
### END HIDDEN TESTS
print("✅ logsumexp is numerically stable")

# %% [markdown]
# ## Step 2 · log_softmax
#
# The log-probabilities of a row of logits are the logits minus their log-sum-exp:
#
# ```
# log_softmax(x)ᵢ = xᵢ − logsumexp(x) = (xᵢ − m) − log Σⱼ e^(xⱼ − m)
# ```
#
# Use the right-hand form: subtract the constant shift m first, then the log of the sum. It is the
# same number mathematically, but in float32 it is more accurate. `xᵢ − logsumexp(x)` subtracts two
# numbers near 1000 that were each rounded to float32 (spacing 6·10⁻⁵ at 1000); `(xᵢ − m)` is exact
# for the largest logits, and what remains is a small number minus a small number.
#
# ```
# x = [1000, 999, 998]   x − m = [0, −1, −2]   log Σ e^(x − m) = 0.408
# log_softmax(x) = [−0.408, −1.408, −2.408]       exactly what [2, 1, 0] gives
# ```
#
# Every row of `log_softmax(x).exp()` sums to 1, and every entry is ≤ 0. A logit of `-inf` (a masked
# class) gets a log-probability of `-inf`. Use `keepdims=True` on the sum so the result broadcasts
# against `x` for any `axis`.

# %% nbgrader={"grade": false, "grade_id": "log-softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def log_softmax(x: Tensor, axis=-1) -> Tensor:
    """log(softmax(x)) along `axis`, stable, as Tensor operations. Like torch.log_softmax(x, dim)."""
    ### BEGIN SOLUTION
    shifted = x - Tensor(x.data.max(axis=axis, keepdims=True))
    return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-log-softmax", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
lp = log_softmax(Tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]))
expect(type(lp).__name__, "Tensor", "log_softmax should return a Tensor")
expect(lp.shape, (2, 3), "log_softmax should keep the input's shape")
expect_close(lp.data, [[-2.40760596, -1.40760596, -0.40760596], [-1.09861229, -1.09861229, -1.09861229]],
             "log_softmax([1, 2, 3]) is about [-2.408, -1.408, -0.408]; equal logits give log(1/3)", rtol=1e-6, atol=1e-6)
expect_close(log_softmax(Tensor([[1.0, 2.0], [3.0, 5.0]]), axis=0).data, [[-2.12692801, -3.04858735], [-0.12692801, -0.04858735]],
             "log_softmax(axis=0) normalises each column", rtol=1e-6, atol=1e-6)
with track_graph():
    expect(getattr(log_softmax(tracked([[1.0, 2.0]])), "tracked", False), True,
           "log_softmax must be computed with Tensor operations on x")
### BEGIN HIDDEN TESTS
def _ref_ls(a, axis):
    a = a.astype(np.float64)
    s = a - a.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


_rng = np.random.default_rng(42)
_a = (_rng.normal(size=(3, 4, 5)) * 3).astype(np.float32)
for _ax in (0, 1, -1, -2):
    _r = log_softmax(Tensor(_a), axis=_ax)
    expect((_r.shape, str(_r.dtype)), ((3, 4, 5), "float32"), "log_softmax keeps the input's shape and float32")
    expect_close(_r.data, _ref_ls(_a, _ax), "log_softmax values along every axis", rtol=1e-6, atol=1e-5)
with track_graph():
    expect(getattr(log_softmax(tracked(_a), axis=0), "tracked", False), True,
           "log_softmax must be built from Tensor operations on x for every axis")
### END HIDDEN TESTS
print("✅ log_softmax works")

# %% nbgrader={"grade": true, "grade_id": "test-log-softmax-stable", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import warnings

big = log_softmax(Tensor([[1000.0, 999.0, 998.0]]))
expect_close(big.data, [[-0.40760596, -1.40760596, -2.40760596]],
             "log_softmax of [1000, 999, 998] should be finite and equal log_softmax of [2, 1, 0]", rtol=0, atol=1e-5)
### BEGIN HIDDEN TESTS
_ext = np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -998.0], [1000.0, -1000.0, 0.0],
                 [1000.25, 1000.5, 1000.75]], dtype=np.float32)
with warnings.catch_warnings():
    warnings.simplefilter("error")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        _r = log_softmax(Tensor(_ext))
expect(_ext, np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -998.0], [1000.0, -1000.0, 0.0],
                       [1000.25, 1000.5, 1000.75]], dtype=np.float32), "log_softmax must not modify its input")
expect_close(_r.data, [[-0.40760596, -1.40760596, -2.40760596], [-2.40760596, -1.40760596, -0.40760596],
                       [0.0, -2000.0, -1000.0], [-1.36933808, -1.11933808, -0.86933808]],
             "log_softmax must be accurate for large logits: subtract the shift m first, then log(sum(exp))",
             rtol=0, atol=2e-6)
expect(_r.data[2], np.array([0.0, -2000.0, -1000.0]),
       "for one dominant logit, log_softmax should be exact (0 for the winner, the exact gaps for the others)")
with warnings.catch_warnings():
    warnings.simplefilter("error")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        _m = log_softmax(Tensor([[0.0, -np.inf, 0.0]])).data
expect_close(_m, [[-0.69314718, -np.inf, -0.69314718]],
             "a -inf logit should get log-probability -inf and the others share the probability", rtol=1e-6, atol=1e-6)
### END HIDDEN TESTS
print("✅ log_softmax is numerically stable")

# %% [markdown]
# ## The `Loss` base class (given)
#
# Like the activations in module 02, a loss is an object: build it once, call it like a function.
# `loss_fn(pred, target)` runs `loss_fn.forward(pred, target)`, which returns a 0-d Tensor, the
# mean over the batch. You write `forward` for each subclass.
#
# **Rules for every `forward` in this module**
#
# - `pred` is a Tensor: compute on it with Tensor operations only (`pred - target`, `.log()`,
#   `.mean()`...). Never wrap it again (`Tensor(pred)`) or compute on `pred.data`, because that cuts
#   the graph module 05 needs. Reading `pred.data` to **check** values or to build a **constant**
#   (the shift, a mask) is fine.
# - `target` may be a Tensor, an ndarray or a list: turn it into a Tensor or array first. Targets
#   are constants; no gradient flows into them.
# - Check the shapes and raise `ValueError` with a message that names the shapes. Broadcasting a
#   `(N, 1)` prediction against an `(N,)` target silently builds an `(N, N)` matrix: a classic bug.

# %% nbgrader={"grade": false, "grade_id": "loss-base", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
class Loss:
    """Base class: loss_fn(pred, target) -> a 0-d Tensor, the mean loss over the batch."""

    def forward(self, pred: Tensor, target) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def __call__(self, pred: Tensor, target) -> Tensor:
        return self.forward(pred, target)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# %% [markdown]
# ## Step 3 · MSELoss
#
# Mean squared error, the loss for regression (predicting numbers: a price, a temperature):
#
# ```
# MSE = (1/n) · Σᵢ (predᵢ − targetᵢ)²        over all n elements
#
# pred   = [2.5, 0.0, 2.0]
# target = [3.0, -0.5, 2.0]
# errors = [-0.5, 0.5, 0.0]  ->  squares [0.25, 0.25, 0.0]  ->  MSE = 0.5 / 3 = 0.1667
# ```
#
# Squaring makes every error count positively and punishes large errors much more than small ones.
# `pred` and `target` must have **the same shape**; otherwise raise `ValueError` naming both shapes.
# (PyTorch only warns here and broadcasts; we refuse, because the broadcast result is almost always
# a bug.)

# %% nbgrader={"grade": false, "grade_id": "mse", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class MSELoss(Loss):
    """Mean of (pred - target) ** 2 over all elements. Like torch.nn.MSELoss()."""

    def forward(self, pred: Tensor, target) -> Tensor:
        ### BEGIN SOLUTION
        target = Tensor(target)
        if pred.shape != target.shape:
            raise ValueError(f"MSELoss: pred has shape {pred.shape} but target has shape {target.shape}; "
                             "they must be the same")
        diff = pred - target
        return (diff * diff).mean()
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-mse", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
mse = MSELoss()
loss = mse(Tensor([2.5, 0.0, 2.0]), Tensor([3.0, -0.5, 2.0]))
expect((type(loss).__name__, loss.shape), ("Tensor", ()), "MSELoss should return a 0-d Tensor (the mean)")
expect_close(loss.item(), 0.16666667, "MSE of errors [-0.5, 0.5, 0] should be 0.5 / 3 (the mean, not the sum)",
             rtol=1e-6, atol=1e-7)
expect(mse(Tensor([1.0, 2.0]), Tensor([1.0, 2.0])).item(), 0.0, "a perfect prediction has MSE 0")
expect_close(mse(Tensor([[1.0, 2.0], [3.0, 4.0]]), [[0.0, 0.0], [0.0, 0.0]]).item(), 7.5,
             "MSE averages over every element of a 2-D batch (a list target works too)", rtol=1e-6, atol=1e-6)
with track_graph():
    expect(getattr(mse(tracked([1.0, 2.0]), [0.0, 0.0]), "tracked", False), True,
           "MSELoss must be computed with Tensor operations on pred")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(43)
_p = _rng.normal(size=(5, 3)).astype(np.float32)
_t = _rng.normal(size=(5, 3))
_pt = Tensor(_p)
_l = mse(_pt, _t)
expect((_l.shape, str(_l.dtype)), ((), "float32"), "MSELoss should be a 0-d float32 Tensor for float32 predictions")
expect_close(_l.item(), np.mean((_p.astype(np.float64) - _t) ** 2),
             "MSELoss should average over every element of a 2-D batch (and accept an ndarray target)", rtol=1e-5, atol=1e-6)
expect(_pt.data, np.asarray(_p), "MSELoss must not modify its input")
expect_close(mse(Tensor([1e3]), Tensor([-1e3])).item(), 4e6, "MSELoss should handle large errors", rtol=1e-6, atol=0)
expect_close(mse(Tensor(np.float32(3.0)), 1.0).item(), 4.0, "MSELoss should accept 0-d inputs", rtol=1e-6, atol=1e-6)
with track_graph():
    expect(getattr(mse(tracked(_p), Tensor(_t)), "tracked", False), True, "MSELoss must be built from Tensor operations on pred")
### END HIDDEN TESTS
print("✅ MSELoss works")

# %% nbgrader={"grade": true, "grade_id": "test-mse-shapes", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
mse = MSELoss()
with expect_raises(ValueError, "MSELoss of shapes (4, 1) and (4,) should raise ValueError (broadcasting would build (4, 4))"):
    mse(Tensor(np.zeros((4, 1))), Tensor(np.zeros(4)))
expect_close(mse(Tensor([[1.0], [3.0]]), Tensor([[0.0], [1.0]])).item(), 2.5, "(2, 1) against (2, 1) is fine",
             rtol=1e-6, atol=1e-6)
### BEGIN HIDDEN TESTS
for _bad in (np.zeros(3), np.zeros((5, 1)), np.zeros((3, 5))):
    with expect_raises(ValueError, "MSELoss should raise ValueError when the shapes differ, even if they broadcast"):
        mse(Tensor(np.zeros((5, 3))), _bad)
expect_close(mse(Tensor(np.ones((5, 3))), np.zeros((5, 3))).item(), 1.0, "equal shapes work", rtol=1e-6, atol=1e-6)
### END HIDDEN TESTS
print("✅ MSELoss checks the shapes")

# %% [markdown]
# ## Step 4 · CrossEntropyLoss
#
# A classifier outputs one **logit** per class for each example: `logits` has shape `(N, C)`. The
# target for each example is the **index** of its correct class: `targets` has shape `(N,)`, integer
# values in `[0, C)`. Cross-entropy is the negative log-probability the model gives to the correct
# class, averaged over the batch:
#
# ```
# loss = −(1/N) · Σₙ log_softmax(logits)[n, targets[n]]
# ```
#
# A confident correct prediction costs about 0, a uniform guess costs log C (2.30 for 10 classes),
# and a confident wrong prediction costs a lot. Picking one entry per row is integer-array
# indexing, which your Tensor already supports:
#
# ```
# log_probs (N=3, C=4)             targets = [2, 0, 3]
# [[-2.1, -1.9, -0.4, -3.0],       log_probs[np.arange(3), targets]
#  [-0.2, -2.5, -2.8, -3.1],   ->  = [log_probs[0, 2], log_probs[1, 0], log_probs[2, 3]]
#  [-1.6, -1.6, -1.6, -0.9]]       = [-0.4, -0.2, -0.9]       loss = 1.5 / 3 = 0.5
# ```
#
# The index arrays are constants, like the shift in Step 1; `log_probs[...]` itself is a Tensor
# operation, so the graph stays connected.
#
# **Validate the targets** before using them. Checks and the error to raise:
#
# | problem | error |
# |---|---|
# | `logits` is not 2-D | `ValueError`: expected `(N, C)` |
# | `targets` is not 1-D or its length is not N | `ValueError` naming both shapes |
# | `targets` is not an integer dtype (float, bool) | `TypeError`: class indices must be integers |
# | a target is `< 0` or `>= C` | `ValueError` naming the valid range |
#
# The range check matters: `log_probs[n, -1]` would quietly pick the *last* class instead of
# failing, and your model would train on the wrong labels. Targets may arrive as a `Tensor`, an
# ndarray (any integer dtype, e.g. MNIST's `uint8`) or a list: `np.asarray(...)` of their data.

# %% nbgrader={"grade": false, "grade_id": "cross-entropy", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class CrossEntropyLoss(Loss):
    """Mean of -log_softmax(logits)[n, targets[n]]. Logits (N, C), integer targets (N,).

    Like torch.nn.CrossEntropyLoss() with class-index targets.
    """

    def forward(self, logits: Tensor, targets) -> Tensor:
        ### BEGIN SOLUTION
        if logits.ndim != 2:
            raise ValueError(f"CrossEntropyLoss expects logits of shape (N, C), got shape {logits.shape}")
        n, c = logits.shape
        t = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
        if t.shape != (n,):
            raise ValueError(f"CrossEntropyLoss: targets should have shape ({n},) for logits of shape "
                             f"{logits.shape}, got shape {t.shape}")
        if not np.issubdtype(t.dtype, np.integer):
            raise TypeError(f"CrossEntropyLoss: targets must be integer class indices, got dtype {t.dtype}")
        if n and (t.min() < 0 or t.max() >= c):
            raise ValueError(f"CrossEntropyLoss: targets must be class indices in [0, {c}), "
                             f"got values from {t.min()} to {t.max()}")
        log_probs = log_softmax(logits, axis=-1)
        return -log_probs[np.arange(n), t].mean()
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-cross-entropy", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
ce = CrossEntropyLoss()
logits = Tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
loss = ce(logits, np.array([0, 1]))
expect((type(loss).__name__, loss.shape), ("Tensor", ()), "CrossEntropyLoss should return a 0-d Tensor")
expect_close(loss.item(), 0.318540, "cross-entropy of this batch should be about 0.3185 (the mean over the batch)",
             rtol=0, atol=1e-5)
expect_close(ce(logits, Tensor([2, 2])).item(), 2.368540, "the loss should pick each row's target class",
             rtol=0, atol=1e-5)
expect_close(ce(logits, Tensor([0, 1])).item(), 0.318540, "targets given as a Tensor should work too", rtol=0, atol=1e-5)
expect_close(ce(Tensor(np.zeros((4, 10))), np.array([0, 3, 5, 9])).item(), 2.30258509,
             "equal logits over 10 classes should give a loss of log(10)", rtol=0, atol=1e-5)
with track_graph():
    expect(getattr(ce(tracked([[1.0, 2.0]]), np.array([1])), "tracked", False), True,
           "CrossEntropyLoss must be computed with Tensor operations on the logits")
### BEGIN HIDDEN TESTS
def _ref_ce(z, t):
    z = z.astype(np.float64)
    s = z - z.max(axis=1, keepdims=True)
    lp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return -lp[np.arange(len(t)), t].mean()


_rng = np.random.default_rng(44)
_z = (_rng.normal(size=(16, 7)) * 3).astype(np.float32)
_t = _rng.integers(0, 7, size=16)
_zt = Tensor(_z)
_l = ce(_zt, _t)
expect((_l.shape, str(_l.dtype)), ((), "float32"), "CrossEntropyLoss should be a 0-d float32 Tensor")
expect_close(_l.item(), _ref_ce(_z, _t), "cross-entropy values on a random batch", rtol=1e-6, atol=1e-5)
expect(_zt.data, np.asarray(_z), "CrossEntropyLoss must not modify the logits")
expect_close(ce(_zt, _t.astype(np.uint8)).item(), _ref_ce(_z, _t), "uint8 targets (like MNIST labels) should work",
             rtol=1e-6, atol=1e-5)
expect_close(ce(_zt, Tensor(_t.astype(np.int32))).item(), _ref_ce(_z, _t), "int32 Tensor targets should work",
             rtol=1e-6, atol=1e-5)
expect_close(ce(_zt, list(_t)).item(), _ref_ce(_z, _t), "a list of targets should work", rtol=1e-6, atol=1e-5)
expect_close(ce(Tensor(_z[:1]), _t[:1]).item(), _ref_ce(_z[:1], _t[:1]), "a batch of one example should work",
             rtol=1e-6, atol=1e-5)
with track_graph():
    expect(getattr(ce(tracked(_z), Tensor(_t)), "tracked", False), True,
           "CrossEntropyLoss must be built from Tensor operations on the logits (use log_softmax and indexing)")
### END HIDDEN TESTS
print("✅ CrossEntropyLoss works")

# %% nbgrader={"grade": true, "grade_id": "test-cross-entropy-stable", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
import warnings

ce = CrossEntropyLoss()
huge = ce(Tensor([[1000.0, -1000.0, 0.0]]), np.array([2]))
expect_close(huge.item(), 1000.0, "cross-entropy should be finite and exact for logits around ±1000", rtol=0, atol=1e-3)
expect_close(ce(Tensor([[-1000.0, -1000.0, 1000.0]]), np.array([0])).item(), 2000.0,
             "a confidently wrong prediction costs the logit gap (2000), not inf", rtol=0, atol=1e-3)
### BEGIN HIDDEN TESTS
_ext = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [1000.0, 999.0, 998.0],
                 [-1000.0, -999.0, -998.0]], dtype=np.float32)
with warnings.catch_warnings():
    warnings.simplefilter("error")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        _le = ce(Tensor(_ext), np.array([1, 0, 2, 0]))
expect_close(_le.item(), 1001.20380298, "cross-entropy should be exact for logits around ±1000, without overflow",
             rtol=0, atol=1e-3)
expect(ce(Tensor([[1000.0, -1000.0, 0.0]]), np.array([1])).item(), 2000.0,
       "for one dominant logit, cross-entropy should be exactly the logit gap")
expect_close(ce(Tensor([[0.0, 50.0, 0.0]]), np.array([1])).item(), 0.0, "a confident right prediction costs about 0",
             rtol=0, atol=1e-6)
### END HIDDEN TESTS
print("✅ CrossEntropyLoss is numerically stable")

# %% [markdown]
# The next test checks your input validation: every wrong input must raise the right error with a
# useful message, never return a silently wrong loss.

# %% nbgrader={"grade": true, "grade_id": "test-cross-entropy-errors", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
ce = CrossEntropyLoss()
logits = Tensor(np.zeros((4, 3)))
with expect_raises(ValueError, "3 targets for 4 examples should raise ValueError"):
    ce(logits, np.array([0, 1, 2]))
with expect_raises(ValueError, "a target equal to C (class 3 of 3) should raise ValueError"):
    ce(logits, np.array([0, 1, 2, 3]))
with expect_raises(TypeError, "float targets should raise TypeError: class indices must be integers"):
    ce(logits, np.array([0.0, 1.0, 2.0, 1.0]))
expect_close(ce(logits, np.array([0, 1, 2, 2])).item(), 1.09861229, "valid targets still work: log(3) for equal logits",
             rtol=0, atol=1e-6)
### BEGIN HIDDEN TESTS
with expect_raises(ValueError, "a negative target should raise ValueError (indexing with -1 would silently pick the last class)"):
    ce(logits, np.array([0, -1, 2, 1]))
with expect_raises(TypeError, "boolean targets should raise TypeError: class indices must be integers"):
    ce(logits, np.array([True, False, True, False]))
with expect_raises(ValueError, "targets of shape (4, 1) should raise ValueError: they must be (N,)"):
    ce(logits, np.array([[0], [1], [2], [1]]))
with expect_raises(ValueError, "1-D logits should raise ValueError: CrossEntropyLoss expects (N, C)"):
    ce(Tensor(np.zeros(3)), np.array([0]))
with expect_raises(ValueError, "3-D logits should raise ValueError: reshape them to (N, C) first"):
    ce(Tensor(np.zeros((2, 4, 3))), np.zeros((2, 4), dtype=np.int64))
with expect_raises(ValueError, "an out-of-range target given as a Tensor should raise ValueError"):
    ce(logits, Tensor([0, 1, 2, 7]))
expect_close(ce(Tensor(np.zeros((2, 5))), Tensor(np.array([4, 0], dtype=np.uint8))).item(), 1.60943791,
             "the largest valid class C - 1 is accepted", rtol=0, atol=1e-6)
### END HIDDEN TESTS
print("✅ CrossEntropyLoss rejects bad inputs")

# %% [markdown]
# ## Step 5 · BinaryCrossEntropyLoss
#
# For a yes/no question the model outputs one probability p = P(yes) per example (usually a sigmoid
# of a logit), and the target y is 1 (yes) or 0 (no), or a soft label in between:
#
# ```
# BCE = −(1/n) · Σᵢ [ yᵢ · log pᵢ + (1 − yᵢ) · log(1 − pᵢ) ]
#
# p = [0.9, 0.2, 0.6]   y = [1, 0, 1]
# terms: −log 0.9 = 0.105,   −log 0.8 = 0.223,   −log 0.6 = 0.511   ->   BCE = 0.280
# ```
#
# Only one of the two logs matters for a hard label, and each has a trap: a probability of exactly
# 0 or 1 (a saturated sigmoid in float32 reaches 1.0 for logits above about 17) makes `log(0) =
# -inf`, and `0 · -inf = nan`. So **clip** the probabilities into `[eps, 1 − eps]` first (default
# `eps = 1e-7`): the worst possible term becomes −log(1e-7) ≈ 16.1 instead of infinity.
#
# Clipping must not cut the graph either. NumPy's `np.clip` on `pred.data` would give a constant.
# Instead build it from Tensor operations and constants, the way PyTorch's `clamp` behaves:
#
# ```
# inside  = (p >= eps) & (p <= 1 - eps)                       a constant boolean mask (from pred.data)
# clipped = pred * Tensor(inside.astype(p.dtype)) + Tensor(np.where(inside, 0, np.clip(p, eps, 1 - eps)))
# ```
#
# Inside the range this is `pred` itself; outside it is the constant bound. Then compute the
# formula with Tensor operations on `clipped` (`1 - clipped` works: you built `__rsub__`).
#
# **Checks:** `target` must have the same shape as `pred` (`ValueError` naming both shapes), and
# every probability must lie in `[0, 1]`: if not, raise `ValueError` (like PyTorch; you most likely
# passed logits, which need a sigmoid first).
#
# PyTorch's `nn.BCELoss` handles the same trap differently: it clamps each `log` at −100 rather
# than clipping p. For probabilities inside `[eps, 1 − eps]` the two agree exactly.

# %% nbgrader={"grade": false, "grade_id": "bce", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class BinaryCrossEntropyLoss(Loss):
    """Mean of -[y log p + (1 - y) log(1 - p)], p clipped to [eps, 1 - eps]. Like torch.nn.BCELoss()."""

    def __init__(self, eps: float = 1e-7):
        self.eps = eps

    def __repr__(self) -> str:
        return f"BinaryCrossEntropyLoss(eps={self.eps})"

    def forward(self, pred: Tensor, target) -> Tensor:
        ### BEGIN SOLUTION
        target = Tensor(target)
        if pred.shape != target.shape:
            raise ValueError(f"BinaryCrossEntropyLoss: pred has shape {pred.shape} but target has shape "
                             f"{target.shape}; they must be the same")
        p = pred.data
        if np.any((p < 0) | (p > 1)):
            raise ValueError("BinaryCrossEntropyLoss expects probabilities in [0, 1]; "
                             "apply a sigmoid to logits first")
        lo, hi = self.eps, 1 - self.eps
        inside = (p >= lo) & (p <= hi)
        clipped = pred * Tensor(inside.astype(p.dtype)) + Tensor(np.where(inside, 0, np.clip(p, lo, hi)))
        return -(target * clipped.log() + (1 - target) * (1 - clipped).log()).mean()
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-bce", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
bce = BinaryCrossEntropyLoss()
loss = bce(Tensor([0.9, 0.2, 0.6]), Tensor([1.0, 0.0, 1.0]))
expect((type(loss).__name__, loss.shape), ("Tensor", ()), "BinaryCrossEntropyLoss should return a 0-d Tensor")
expect_close(loss.item(), 0.279777, "BCE of p = [0.9, 0.2, 0.6], y = [1, 0, 1] should be about 0.2798", rtol=0, atol=1e-5)
expect_close(bce(Tensor([0.5, 0.5]), [1.0, 0.0]).item(), 0.69314718, "p = 0.5 should cost log 2 for either label",
             rtol=0, atol=1e-6)
with expect_raises(ValueError, "BCE of shapes (3,) and (3, 1) should raise ValueError"):
    bce(Tensor([0.5, 0.5, 0.5]), Tensor([[1.0], [0.0], [1.0]]))
with track_graph():
    expect(getattr(bce(tracked([0.3, 0.8]), [0.0, 1.0]), "tracked", False), True,
           "BinaryCrossEntropyLoss must be computed with Tensor operations on pred")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(45)
_p = _rng.uniform(0.01, 0.99, size=(6, 4)).astype(np.float32)
_y = (_rng.uniform(size=(6, 4)) > 0.5).astype(np.float32)
_pt = Tensor(_p)
_l = bce(_pt, _y)
expect((_l.shape, str(_l.dtype)), ((), "float32"), "BCE should be a 0-d float32 Tensor for float32 probabilities")
expect_close(_l.item(), -np.mean(_y * np.log(_p.astype(np.float64)) + (1 - _y) * np.log(1 - _p.astype(np.float64))),
             "BCE values on a random 2-D batch (ndarray targets)", rtol=1e-5, atol=1e-6)
expect(_pt.data, np.asarray(_p), "BCE must not modify its input")
expect_close(bce(Tensor([0.3, 0.7]), Tensor([0.3, 0.7])).item(), 0.61086430, "BCE should accept soft labels between 0 and 1",
             rtol=0, atol=1e-5)
expect_close(bce(Tensor([0.8, 0.1]), Tensor([1, 0])).item(), 0.16425204, "integer targets should work", rtol=0, atol=1e-5)
with expect_raises(ValueError, "probabilities outside [0, 1] (probably logits) should raise ValueError"):
    bce(Tensor([2.0, -1.0]), Tensor([1.0, 0.0]))
with track_graph():
    expect(getattr(bce(tracked(_p), Tensor(_y)), "tracked", False), True, "BCE must be built from Tensor operations on pred")
### END HIDDEN TESTS
print("✅ BinaryCrossEntropyLoss works")

# %% nbgrader={"grade": true, "grade_id": "test-bce-clip", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
import warnings

bce = BinaryCrossEntropyLoss()
edge = bce(Tensor([0.0, 1.0]), Tensor([1.0, 0.0]))
expect_close(edge.item(), 16.030239, "p exactly 0 or 1 on the wrong label should be clipped to [eps, 1 - eps]: finite, "
             "the mean of -log(1e-7) = 16.12 and -log(1 - (1 - 1e-7 in float32)) = 15.94",
             rtol=0, atol=1e-3)
expect_close(bce(Tensor([1.0, 0.0]), Tensor([1.0, 0.0])).item(), 0.0, "p exactly 1 or 0 on the right label costs about 0 "
             "(not 0 * log(0) = nan)", rtol=0, atol=1e-5)
### BEGIN HIDDEN TESTS
with warnings.catch_warnings():
    warnings.simplefilter("error")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        _e = bce(Tensor([0.0, 1.0, 0.0, 1.0]), Tensor([0.0, 1.0, 1.0, 0.0]))
expect_close(_e.item(), 8.0151196, "BCE of p exactly 0 or 1: about 0 on the right label and -log(eps) on the wrong one",
             rtol=0, atol=1e-3)
_wide = BinaryCrossEntropyLoss(eps=1e-2)
expect(_wide.eps, 1e-2, "the eps argument should be stored as .eps")
expect_close(_wide(Tensor([0.0]), Tensor([1.0])).item(), 4.60517019, "clipping should use the eps you pass",
             rtol=0, atol=1e-4)
expect_close(_wide(Tensor([1.0]), Tensor([0.0])).item(), 4.60517019, "clipping should use 1 - eps as the upper bound",
             rtol=0, atol=1e-3)
expect_close(bce(Tensor([1e-9]), Tensor([1.0])).item(), 16.118095, "probabilities below eps should be clipped up to eps",
             rtol=0, atol=1e-3)
with track_graph():
    expect(getattr(bce(tracked([0.0, 1.0, 0.5]), [1.0, 0.0, 1.0]), "tracked", False), True,
           "clipping must not cut the graph: build it from Tensor operations and constants")
### END HIDDEN TESTS
print("✅ BinaryCrossEntropyLoss clips and is numerically stable")

# %% [markdown]
# ## Systems analysis
#
# Your losses are correct. Now look at what they cost and why the stable versions matter. Nothing
# below is graded by its numbers; the reflection questions ask you to interpret them.
#
# ### 1. Stability: softmax-then-log breaks, log_softmax does not
#
# Take a batch of three examples that all have the logits `s · [1, 0, −1]`, with targets 0, 1 and 2,
# and let the scale s grow, as it does when a model becomes confident. The exact mean cross-entropy
# is easy to compute in float64. The "naive" version computes `softmax` with the textbook formula
# and then takes `−log` of the right probability, in float32. Watch for two different failures:
#
# - **underflow**: the smallest probability, e^(−s) / (e^s + 1 + e^(−s)) ≈ e^(−2s), drops below the
#   smallest float32 number (about 1.4·10⁻⁴⁵) once s > 52. It becomes exactly 0, and `−log 0 = inf`;
# - **overflow**: once s > 88.7, e^s is `inf`, the largest probability is inf / inf = `nan`, and
#   a single `nan` turns the whole batch mean into `nan`.

# %%
import matplotlib.pyplot as plt
from tinytorch_runtime.timing import measure


def naive_cross_entropy(logits, targets):
    """Softmax with the textbook formula, then -log of the target's probability (float32)."""
    e = np.exp(logits)
    probs = e / e.sum(axis=1, keepdims=True)
    return -np.log(probs[np.arange(len(targets)), targets]).mean()


pattern = np.array([1.0, 0.0, -1.0])
batch_targets = np.array([0, 1, 2])
scales = np.logspace(0, 3, 61)
ce = CrossEntropyLoss()
naive, stable, exact = [], [], []
for s in scales:
    z = np.tile(s * pattern, (3, 1)).astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        naive.append(naive_cross_entropy(z, batch_targets))
    stable.append(ce(Tensor(z), batch_targets).item())
    z64 = z.astype(np.float64)                                   # exact: float64 of the same float32 logits
    exact.append(np.mean(np.logaddexp.reduce(z64, axis=1) - z64[np.arange(3), batch_targets]))
naive, stable, exact = np.array(naive), np.array(stable), np.array(exact)
rel_err = np.abs(stable - exact) / exact

for s_show in (10, 50, 60, 100, 1000):
    i = int(np.argmin(np.abs(scales - s_show)))
    print(f"s = {scales[i]:7.1f}: exact {exact[i]:10.4f}   yours {stable[i]:10.4f}   naive {naive[i]:10.4f}")
print(f"naive is inf from s = {scales[np.isinf(naive)][0]:.1f} and nan from s = {scales[np.isnan(naive)][0]:.1f}; "
      f"yours: largest relative error {rel_err.max():.1e} over the whole range")

fig, (ax_l, ax_e) = plt.subplots(1, 2, figsize=(11, 3.8))
ax_l.loglog(scales, exact, color="grey", lw=5, alpha=0.4, label="exact (float64)")
ax_l.loglog(scales, stable, "-", color="C0", label="yours: log_softmax")
ok = np.isfinite(naive)
ax_l.loglog(scales[ok], naive[ok], "--", color="C3", label="naive: log(softmax)")
ax_l.axvspan(scales[np.isinf(naive)][0], scales[np.isnan(naive)][0], color="C1", alpha=0.15, label="naive = inf")
ax_l.axvspan(scales[np.isnan(naive)][0], scales[-1], color="C3", alpha=0.15, label="naive = nan")
ax_l.set_xlabel("logit scale s")
ax_l.set_ylabel("mean cross-entropy")
ax_l.set_title("logits s·[1, 0, −1], targets 0, 1, 2")
ax_l.legend(fontsize=8)
ax_e.loglog(scales, np.maximum(rel_err, 1e-10), "o-", ms=3, color="C0")
ax_e.axhline(np.finfo(np.float32).eps, color="grey", ls="--", label="float32 epsilon (1.2e-7)")
ax_e.set_ylim(1e-10, 1e-5)
ax_e.set_xlabel("logit scale s")
ax_e.set_ylabel("|yours − exact| / exact")
ax_e.set_title("your relative error stays at float32 rounding")
ax_e.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# In the shaded regions the naive loss is `inf` or `nan`. In training one such value makes the
# mean `nan`, its gradient `nan`, and after one optimiser step every weight is `nan`. Your version
# follows the exact curve over the whole range with an error at the level of float32 rounding
# (errors below 10⁻¹⁰ are drawn at 10⁻¹⁰).
#
# ### 2. Loss landscapes: why classifiers use cross-entropy, not MSE
#
# Take one logit z, the probability p = sigmoid(z), and a target of 1. Compare the squared error of
# the probability, (p − 1)², with the cross-entropy −log p. We compute both with your losses (the
# cross-entropy through a two-class `CrossEntropyLoss` on logits `[z, 0]`, whose softmax is exactly
# sigmoid(z)) and their slopes numerically.

# %%
zs = np.linspace(-10, 10, 201)
probs = np.exp(np.minimum(zs, 0)) / (1 + np.exp(-np.abs(zs)))          # stable sigmoid (module 02)
mse_curve = np.array([MSELoss()(Tensor([p]), Tensor([1.0])).item() for p in probs])
ce_curve = np.array([CrossEntropyLoss()(Tensor([[z, 0.0]]), np.array([0])).item() for z in zs])
bce_curve = BinaryCrossEntropyLoss()(Tensor(probs[100:101]), Tensor([1.0])).item()
print(f"at z = 0: MSE {mse_curve[100]:.4f}, cross-entropy {ce_curve[100]:.4f} (= log 2), BCE on sigmoid {bce_curve:.4f}")
for z in (-10, -5, 0, 5):
    i = int(np.argmin(np.abs(zs - z)))
    print(f"z = {z:>3}: slope of MSE {np.gradient(mse_curve, zs)[i]:+.5f}   slope of CE {np.gradient(ce_curve, zs)[i]:+.5f}")

fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(11, 3.6))
ax_l.plot(zs, mse_curve, label="MSE: (sigmoid(z) − 1)²")
ax_l.plot(zs, ce_curve, label="cross-entropy: −log sigmoid(z)")
ax_l.set_ylim(0, 5)
ax_l.set_title("loss for target 1")
ax_g.plot(zs, np.gradient(mse_curve, zs), label="MSE")
ax_g.plot(zs, np.gradient(ce_curve, zs), label="cross-entropy")
ax_g.set_title("slope d loss / dz (what gradient descent sees)")
for ax in (ax_l, ax_g):
    ax.set_xlabel("logit z (very wrong ← → right)")
    ax.axvline(0, color="grey", lw=0.5)
    ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# When the model is confidently **wrong** (z = −10), MSE's slope is almost 0: the sigmoid has
# saturated, so the squared error barely changes and gradient descent barely moves. Cross-entropy's
# slope there is about −1: the `log` undoes the exponential flattening of the sigmoid, and the
# gradient with respect to the logit is simply p − y. The more wrong the model, the harder
# cross-entropy pushes. That is why classifiers train on cross-entropy of logits.
#
# ### 3. Memory: the (N, C) intermediates of a large vocabulary
#
# A language model predicts the next token out of its whole vocabulary: GPT-2 has C = 50,257
# classes. Your cross-entropy builds several `(N, C)` float32 arrays on the way: `logits − m`, its
# `exp`, and the log-probabilities, plus the logits themselves. In module 05 the graph will keep
# them alive until the backward pass. Each one is N · C · 4 bytes:

# %%
C_GPT2 = 50_257
print(f"{'tokens N':>10}  {'one (N, C) float32 array':>26}  {'4 of them':>12}")
for n_tokens in (1, 512, 8 * 1024, 32 * 1024):
    one = n_tokens * C_GPT2 * 4
    print(f"{n_tokens:>10,}  {one:>20,} bytes  {4 * one / 2**30:>8.2f} GiB")

# %% [markdown]
# A batch of 8 sequences of 1024 tokens is N = 8192: 1.5 GiB **per** intermediate, more than the
# 0.5 GB that all of GPT-2 small's weights take in float32. Let us measure what your loss actually
# allocates for N = 64 tokens, with Python's `tracemalloc` (NumPy reports its arrays to it):

# %%
import tracemalloc

rng = np.random.default_rng(0)
n_tokens = 64
vocab_logits = Tensor(rng.standard_normal((n_tokens, C_GPT2), dtype=np.float32))
vocab_targets = rng.integers(0, C_GPT2, size=n_tokens)
one_array = vocab_logits.nbytes

tracemalloc.start()
tracemalloc.reset_peak()
base = tracemalloc.get_traced_memory()[0]
vocab_loss = CrossEntropyLoss()(vocab_logits, vocab_targets)
peak = tracemalloc.get_traced_memory()[1] - base
tracemalloc.stop()
print(f"logits (N={n_tokens}, C={C_GPT2:,}) : {one_array:>12,} bytes")
print(f"peak extra memory during the loss : {peak:>12,} bytes = {peak / one_array:.1f} x the logits")
print(f"loss = {vocab_loss.item():.3f}   (a random guess costs log C = {np.log(C_GPT2):.3f})")

# %% [markdown]
# The peak is about twice the logits: each Tensor operation allocates a fresh `(N, C)` result while
# its input is still alive. This is why production code fuses the whole loss into one kernel that
# never materialises the probabilities, and computes the loss over long sequences in chunks.
#
# ### 4. Time: cross-entropy grows linearly with N · C
#
# Every step of the loss touches each of the N · C logits a constant number of times, so the time
# should double when N doubles. We time your `CrossEntropyLoss` for C = 1000 classes (ImageNet)
# and growing N with the course's timing helper (warm-up, then the median of 7 runs, BLAS on one
# thread; the IQR shows how much the machine's noise moved the runs).

# %%
n_classes = 1000
batch_sizes = [16, 32, 64, 128, 256, 512, 1024]
ce_ms = []
for n in batch_sizes:
    z = Tensor(rng.standard_normal((n, n_classes), dtype=np.float32))
    t = rng.integers(0, n_classes, size=n)
    timing = measure(ce, z, t)
    ce_ms.append(1e3 * timing.median)
    print(f"N = {n:>5}: {timing}  ->  {ce_ms[-1] * 1e6 / (n * n_classes):6.2f} ns per logit")

fig, ax = plt.subplots(figsize=(6, 3.6))
ax.loglog(batch_sizes, ce_ms, "o-", label="CrossEntropyLoss, C = 1000")
ax.loglog(batch_sizes, [ce_ms[-1] * n / batch_sizes[-1] for n in batch_sizes], "--", color="grey", label="∝ N")
ax.set_xlabel("batch size N")
ax.set_ylabel("milliseconds")
ax.set_title("cross-entropy time vs batch size")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# For small N the time is nearly flat: a fixed overhead per Tensor operation (Python calls, small
# allocations) dominates. For large N it follows the ∝ N line: the cost is a handful of passes over
# the N · C numbers (subtract, exp, sum, log, subtract). **What we measured** (three runs on a
# shared 2-core server under heavy load): 6-10 ns per logit from N = 128 on (one run's median at
# N = 1024 dropped to 1.6 ns, with an IQR up to 13.6 ms: noise), and 12-54 ns per logit at N = 16,
# where the overhead dominates. Quote your own medians and look at the IQRs before trusting a single
# point. The loss is linear in its input, unlike a matmul (cubic), so it is rarely the bottleneck,
# except for huge vocabularies, where N · C is as big as the output layer's matmul result itself.

# %% [markdown]
# ## Integration test
#
# The losses working together with your Tensor: a linear classifier's logits `x @ W + b` scored by
# `CrossEntropyLoss`; the textbook gradient of cross-entropy with respect to the logits,
# `(softmax − one_hot) / N`, checked against finite differences of *your* loss; a few steps of
# gradient descent with that gradient; and the identity that links the two classification losses:
# cross-entropy over two logits `[z, 0]` is binary cross-entropy of sigmoid(z).

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 13, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(4)
N, D, C = 12, 5, 4
x = Tensor(rng.standard_normal((N, D)))
y = rng.integers(0, C, size=N)
W = rng.standard_normal((D, C)) * 0.1
b = np.zeros(C)
ce = CrossEntropyLoss()


def loss_at(W_, b_):
    return ce(x @ Tensor(W_) + Tensor(b_), y).item()


# gradient of mean cross-entropy w.r.t. the logits: (softmax - one_hot) / N
def grad_logits(W_, b_):
    probs = log_softmax(x @ Tensor(W_) + Tensor(b_)).exp().data
    probs[np.arange(N), y] -= 1
    return probs / N


g = grad_logits(W, b)
eps = 1e-2
i, j = 2, 1
W_plus, W_minus = W.copy(), W.copy()
W_plus[i, j] += eps
W_minus[i, j] -= eps
numeric = (loss_at(W_plus, b) - loss_at(W_minus, b)) / (2 * eps)
expect_close(numeric, (x.data.T @ g)[i, j], "finite differences of your cross-entropy should match (softmax - one_hot) / N",
             rtol=0, atol=1e-3)

start = loss_at(W, b)
expect_close(start, 1.441061, "the loss of the untrained linear classifier", rtol=0, atol=1e-5)
for _ in range(50):
    g = grad_logits(W, b)
    W, b = W - 1.0 * (x.data.T @ g), b - 1.0 * g.sum(axis=0)
expect_close(loss_at(W, b), 0.304212, "50 steps of gradient descent on your cross-entropy should lower the loss to about 0.304",
             rtol=0, atol=1e-3)

z = np.linspace(-8, 8, 9)
ce_two = [ce(Tensor([[zk, 0.0]]), np.array([0])).item() for zk in z]
expect_close(ce_two, [BinaryCrossEntropyLoss()(Tensor([1 / (1 + np.exp(-zk))]), Tensor([1.0])).item() for zk in z],
             "cross-entropy of logits [z, 0] with target 0 should equal BCE of sigmoid(z) with target 1",
             rtol=0, atol=1e-4)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(46)
_x = Tensor(_rng.standard_normal((8, 3)))
_W = Tensor(_rng.standard_normal((3, 6)))
_y = _rng.integers(0, 6, size=8)
_logits = _x @ _W
_lp = log_softmax(_logits)
expect_close(ce(_logits, _y).item(), -_lp.data[np.arange(8), _y].mean(),
             "CrossEntropyLoss should equal the mean negative log_softmax of the targets", rtol=0, atol=1e-6)
expect_close(logsumexp(_logits).data, _logits.data[:, 0] - _lp.data[:, 0],
             "logsumexp(x) should equal x - log_softmax(x) in every position", rtol=0, atol=1e-5)
expect_close(ce(_logits + 1000.0, _y).item(), -_lp.data[np.arange(8), _y].mean(),
             "adding a constant to every logit should not change cross-entropy", rtol=0, atol=1e-3)
_onehot = np.eye(6, dtype=np.float32)[_y]
_probs = _lp.exp()
expect_close(MSELoss()(_probs, _onehot).item(), np.mean((_probs.data - _onehot) ** 2),
             "MSELoss of softmax probabilities against one-hot targets should work", rtol=0, atol=1e-6)
expect_close(BinaryCrossEntropyLoss()(_probs, _onehot).item(),
             -np.mean(_onehot * np.log(_probs.data) + (1 - _onehot) * np.log(1 - _probs.data)),
             "BinaryCrossEntropyLoss should work on a 2-D batch of probabilities (multi-label style)", rtol=0, atol=1e-4)
with track_graph():
    _xt = tracked(_x.data)
    _h = _xt @ _W
    expect((getattr(ce(_h, _y), "tracked", False), getattr(MSELoss()(_h, np.zeros((8, 6))), "tracked", False)),
           (True, True), "the losses should stay connected to the graph through a matmul")
    _pt = log_softmax(_h).exp()
    expect(getattr(BinaryCrossEntropyLoss()(_pt, _onehot), "tracked", False), True,
           "BCE on probabilities computed from logits should stay connected to the graph")
### END HIDDEN TESTS
print("✅ Integration: the losses work together")

# %% [markdown]
# ## Reflection questions
#
# Answer in a few sentences each, in your own words. Use numbers from *your* runs where a question
# asks for them. These answers are graded by the course staff.

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-stability-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question 1 (6 points): the constant shift.**
#
# (a) Show in two lines of algebra that logsumexp(x) = m + logsumexp(x − m) for any constant m, and
# use it to explain why building m from `x.data` (a constant, with no gradient) gives *exactly* the
# right gradient in module 05, not an approximation.
# (b) From your stability analysis: at which scale s did the naive cross-entropy first become `inf`,
# and at which `nan`? Explain the two failures: which number underflows or overflows, and what the
# `/` or the `log` then produces.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-stability", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Σⱼ e^xⱼ = Σⱼ e^m·e^(xⱼ−m) = e^m·Σⱼ e^(xⱼ−m); taking logs,
# logsumexp(x) = m + logsumexp(x − m). The right-hand side does not depend on m at all, so its
# derivative with respect to m is 0 (indeed ∂/∂m = 1 − Σ softmax(x − m) = 0). If m is treated as a
# function of x (m = max x), the chain rule adds (∂/∂m)·(∂m/∂x) = 0 · (∂m/∂x): nothing. So a constant
# m gives exactly softmax(x) as the gradient, and the graph avoids a max node (whose backward must
# pick the argmax and handle ties).
# (b) inf from s ≈ 52–56 (the grid point after 51.7): the probability of the smallest logit,
# ≈ e^(−2s), underflows below float32's smallest subnormal (≈ 1.4e-45) to exactly 0, and
# −log 0 = inf. nan from s ≈ 89: e^s overflows to inf, the largest logit's probability is
# inf/inf = nan (and the middle one 1/inf = 0, another inf), so the mean is nan. The stable version
# never exponentiates a positive number and never takes the log of a probability, so neither
# happens.
# Grading: (a) 3 points (algebra 1, zero derivative / exact gradient 2); (b) 3 points (both scales
# from the plot, underflow → inf and overflow → nan correctly attributed).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-landscape-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question 2 (6 points): choosing a loss.**
#
# (a) Using your landscape plot, compare the slopes of MSE and cross-entropy at z = −10 (a
# confidently wrong prediction). What does that mean for a classifier trained with MSE on sigmoid or
# softmax outputs?
# (b) Why does PyTorch's `CrossEntropyLoss` take logits rather than probabilities, and why does
# `nn.BCEWithLogitsLoss` exist next to `nn.BCELoss`? What does clipping at eps = 1e-7 cost you in
# `BinaryCrossEntropyLoss` (think about a prediction of exactly 0 for a positive example, and its
# gradient)?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-landscape", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) At z = −10 the MSE slope is about −9·10⁻⁵ (2(σ−1)·σ(1−σ) with
# σ ≈ 4.5·10⁻⁵) while the cross-entropy slope is about −1 (σ(z) − 1). With MSE the saturated, most
# wrong examples produce almost no gradient, so learning stalls exactly where it is most needed (a
# plateau); cross-entropy's gradient p − y stays large until the prediction is right.
# (b) Taking logits lets the loss compute log_softmax directly, stably (max shift, no log of an
# underflowed probability) and more cheaply (no separate softmax pass; the fused gradient is
# softmax − one_hot). BCEWithLogitsLoss exists for the same reason for the binary case: it computes
# log sigmoid(z) stably from the logit, whereas BCELoss receives a probability that may already have
# rounded to 0 or 1. Clipping costs accuracy and gradient: any p below 1e-7 costs the same
# −log(1e-7) ≈ 16.1, so the loss under-reports how wrong very confident mistakes are, and (with
# clamp semantics) the gradient with respect to p is 0 outside [eps, 1 − eps], so a saturated wrong
# prediction gets no learning signal through the clipped probability.
# Grading: (a) 3 points (both slopes roughly right, saturation/stalled learning); (b) 3 points
# (stability of logits, BCEWithLogits reason, a clipping cost).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-memory-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question 3 (5 points): cost at vocabulary scale.**
#
# (a) How many bytes is one float32 (N, C) array for N = 8192 tokens and C = 50,257? What peak
# memory did you measure for your loss relative to the logits, and why is it more than one array?
# (b) From your timing plot, how does the time of `CrossEntropyLoss` scale with N, and why is it flat
# for small N? Name one technique that reduces the memory of the loss for a large vocabulary, and
# what it costs.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-memory", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) 8192 · 50,257 · 4 = 1,646,821,376 bytes ≈ 1.53 GiB per array.
# The measured peak is about 2× the logits: each Tensor operation (x − m, exp, the row sums,
# the subtraction giving log_probs) allocates a new (N, C) result while its inputs are still alive,
# and with autograd all of them are kept until backward. (b) Linear in N (∝ N·C) for large N, since
# each element is touched a constant number of times; flat for small N because the fixed per-call
# overhead of ~10 Tensor operations (Python dispatch, allocation, validation) dominates the tiny
# amount of arithmetic. Techniques: a fused cross-entropy kernel that computes the loss and the
# gradient (softmax − one_hot) in one pass without storing probabilities (costs writing a custom
# kernel/backward); chunking the sequence and computing the loss per chunk, recomputing in backward
# (costs extra compute); lower precision (bf16 logits, costs accuracy; the logsumexp should stay in
# float32); sampled/adaptive softmax (approximation).
# Grading: (a) 2 points (≈1.6 GB and a reason for the peak); (b) 3 points (linear + overhead
# explanation, one technique with its cost).
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes your `#| export` cells to
# `tinytorch/losses.py`, so that later modules can `from tinytorch.losses import CrossEntropyLoss`,
# and checks that the file imports cleanly.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("04_losses");
