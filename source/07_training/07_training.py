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
# # Module 07 · Training
#
# You now have every part of a deep-learning framework: tensors (01), activations (02), layers
# (03), losses (04), gradients (05) and optimizers (06). This module puts them to work. You build
# the code that sits around every model in practice:
#
# - the **training loop** that runs one epoch, and an **evaluation** pass that measures a model
#   without changing it;
# - **gradient clipping**, the safety belt against one huge gradient wrecking a run;
# - **learning-rate schedules**: step decay, cosine annealing and linear warm-up;
# - **checkpoints**: saving a model *and* its optimizer to disk so that a run can stop and resume
#   bit for bit as if it had never stopped.
#
# By the end you will train a small network on a 2-D spiral with your own framework, read its
# loss curve, know where the time of a training step goes (forward, backward or optimizer), and
# predict how many bytes a checkpoint takes before you write it.
#
# **Expected time:** 3–4 hours. **Difficulty:** ★★★☆☆ (each function is short; the care goes into
# details the tests check exactly: the global norm, the weighting by batch size, restoring the
# model's mode, and giving checkpoint values back their Python types).

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# PyTorch gives you the pieces and leaves the loop to you. Almost every PyTorch training script
# contains these lines:
#
# ```python
# model.train()                                    # dropout/batch norm in training mode
# for x, y in loader:
#     optimizer.zero_grad()                        # forget the previous batch's gradients
#     loss = loss_fn(model(x), y)                  # forward
#     loss.backward()                              # backward: fill p.grad
#     torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
#     optimizer.step()                             # update the weights
# scheduler.step()                                 # e.g. torch.optim.lr_scheduler.CosineAnnealingLR
#
# model.eval()
# with torch.no_grad():                            # no graph: less memory, faster
#     accuracy = ...
#
# torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch},
#            "checkpoint.pt")
# ```
#
# Libraries such as PyTorch Lightning and Hugging Face's `Trainer` wrap exactly this loop. Each
# line hides a decision that matters: forget `zero_grad()` and gradients of every batch pile up;
# forget `eval()` and dropout keeps dropping units while you measure accuracy; forget `no_grad()`
# and evaluation stores a graph it never uses; save only the weights and the resumed run is not
# the run you stopped.
#
# What you will build, one small step at a time:
#
# | step | you implement | PyTorch equivalent |
# |---|---|---|
# | 1 | `clip_grad_norm(params, max_norm)` | `torch.nn.utils.clip_grad_norm_` |
# | 2 | `train_epoch(model, batches, loss_fn, optimizer, clip_norm=None)` | the loop above |
# | 3 | `evaluate(model, batches, loss_fn=None)` | `model.eval()` + `torch.no_grad()` |
# | 4-6 | `StepLR`, `CosineAnnealingLR`, `LinearWarmup` | `torch.optim.lr_scheduler` |
# | 7-8 | `save_checkpoint`, `load_checkpoint` | `torch.save` / `torch.load(weights_only=True)` |

# %% [markdown]
# ## Setup
#
# The first cell is exported into `tinytorch/training.py`. It imports **your** `Tensor` (with the
# gradients of module 05) and `no_grad` through the course runtime. If an import fails, the
# message says which module to finish first.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import math
import os

import numpy as np
from tinytorch.autograd import no_grad
from tinytorch.tensor import Tensor

__all__ = ["clip_grad_norm", "train_epoch", "evaluate", "LRScheduler", "StepLR", "CosineAnnealingLR",
           "LinearWarmup", "save_checkpoint", "load_checkpoint"]

# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises


# %% [markdown]
# The tests and experiments in this notebook also use your layers, losses and optimizers, and
# three small helpers (given): `make_spiral` makes the classic "three interleaved spirals" data
# set (2-D points, 3 classes: a linear model cannot separate them), `make_batches` cuts arrays
# into a list of `(x, y)` batches, and `make_mlp([2, 32, 3])` builds
# `Linear(2, 32) -> ReLU -> Linear(32, 3)` from a fixed seed. They are exported with your code
# (the graded tests use them), but they are not part of `__all__`.

# %% nbgrader={"grade": false, "grade_id": "helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import tempfile

from tinytorch.activations import ReLU
from tinytorch.autograd import is_grad_enabled
from tinytorch.layers import Dropout, Linear, Module, Parameter, Sequential
from tinytorch.losses import CrossEntropyLoss, MSELoss
from tinytorch.optimizers import SGD, Adam


def make_spiral(n_per_class=100, n_classes=3, noise=0.2, seed=0):
    """Points on `n_classes` interleaved spirals: x float32 (N, 2), y int64 (N,), shuffled."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(n_classes):
        radius = np.linspace(0.0, 1.0, n_per_class)
        angle = np.linspace(4.0 * c, 4.0 * (c + 1), n_per_class) + rng.normal(0.0, noise, n_per_class)
        xs.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1))
        ys.append(np.full(n_per_class, c))
    x, y = np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)
    order = rng.permutation(len(x))
    return x[order], y[order]


def make_batches(x, y, batch_size):
    """List of (Tensor(x[i:i+b]), y[i:i+b]) batches, in order; the last one may be smaller."""
    return [(Tensor(x[i:i + batch_size]), y[i:i + batch_size]) for i in range(0, len(x), batch_size)]


def make_mlp(sizes, seed=0):
    """Linear -> ReLU -> ... -> Linear through `sizes`, He-initialised from `seed`."""
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [Linear(fan_in, fan_out, init="he", rng=rng), ReLU()]
    return Sequential(*layers[:-1])


# %% nbgrader={"grade": false, "grade_id": "demo-data", "locked": true, "schema_version": 3, "solution": false, "task": false}
import time

import matplotlib.pyplot as plt

x_demo, y_demo = make_spiral()
print(f"spiral: x {x_demo.shape} {x_demo.dtype}, y {y_demo.shape} {y_demo.dtype}, classes {np.bincount(y_demo)}")


# %% [markdown]
# ## Step 1 · Gradient clipping by the global norm
#
# One unlucky batch (an outlier, a loss spike, an exploding recurrent network) can produce a
# gradient a thousand times larger than usual, and one `optimizer.step()` with it can throw the
# weights somewhere the model never recovers from. **Clipping** caps the size of the step
# without changing its direction.
#
# Treat the gradients of *all* parameters as one long vector `g` and measure its length, the
# **global L2 norm**:
#
# ```
# total_norm = sqrt( sum over every parameter p of sum(p.grad ** 2) )
# ```
#
# If it is larger than `max_norm`, scale **every** gradient by the same factor so that the
# whole vector has length `max_norm` (a tiny `1e-6` keeps the division safe):
#
# ```
# clip_coef = max_norm / (total_norm + 1e-6)
# if clip_coef < 1:   p.grad *= clip_coef   for every p      (in place)
# ```
#
# Example: two gradients `[3, 0]` and `[4]` have total norm 5. With `max_norm=1` both are scaled
# by 1/5: `[0.6, 0]` and `[0.8]`. Because all gradients get the same factor, the update still
# points the same way; clipping each parameter separately would change its direction.
#
# This is exactly `torch.nn.utils.clip_grad_norm_`. Like it, your function:
#
# - accepts a list of parameters (or a single Tensor), and **skips parameters whose `grad` is
#   `None`**;
# - returns the total norm **before** clipping, as a Python `float` (log it: a growing gradient
#   norm is an early warning of a diverging run);
# - leaves gradients untouched when the norm is small enough, and returns `0.0` when no
#   parameter has a gradient.
#
# **Numerical care.** Gradients are float32, whose largest value is about 3.4e38. A gradient
# element of 1e20 is finite, but its square (1e40) is not: summing squares in float32 gives `inf`
# (PyTorch does exactly that, returns `inf` and scales every gradient to 0). Accumulate the sum
# of squares in float64 (`np.square(g, dtype=np.float64)` or `g.astype(np.float64)`), and keep
# each gradient float32 when you scale it in place.

# %% nbgrader={"grade": false, "grade_id": "clip-grad-norm", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def clip_grad_norm(params, max_norm):
    """Scale all gradients together so that their global L2 norm is at most max_norm (in place).

    params:   a list (or any iterable) of Tensors, or a single Tensor; grads that are None are skipped.
    max_norm: the largest allowed global norm.
    Returns the global norm of the gradients *before* clipping, as a Python float.
    """
    ### BEGIN SOLUTION
    if isinstance(params, Tensor):
        params = [params]
    grads = [p.grad.data for p in params if getattr(p, "grad", None) is not None]
    total_norm = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads))
    clip_coef = max_norm / (total_norm + 1e-6)
    if clip_coef < 1.0:
        for g in grads:
            g *= clip_coef
    return total_norm
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-clip-grad-norm", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
a, b = Parameter([0.0, 0.0]), Parameter([0.0])
a.grad, b.grad = Tensor(np.array([3.0, 0.0], dtype=np.float32)), Tensor(np.array([4.0], dtype=np.float32))
norm = clip_grad_norm([a, b], max_norm=1.0)
expect(type(norm).__name__, "float", "clip_grad_norm should return the total norm as a Python float")
expect_close(norm, 5.0, "the total norm of [3, 0] and [4] is sqrt(9 + 16) = 5 (before clipping)", rtol=0, atol=1e-5)
expect_close(np.concatenate([a.grad.data, b.grad.data]), [0.6, 0.0, 0.8],
             "with max_norm=1, EVERY gradient is scaled by the same factor 1/5 (the global norm, not each tensor's)",
             rtol=0, atol=1e-5)
small = np.array([0.3, 0.4], dtype=np.float32)
a.grad, b.grad = Tensor(small.copy()), None
norm = clip_grad_norm([a, b], max_norm=1.0)
expect_close(norm, 0.5, "a parameter without a gradient should be skipped", rtol=0, atol=1e-5)
expect(a.grad.data, np.array([0.3, 0.4], dtype=np.float32), "gradients whose norm is below max_norm must not change")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(7)
_shapes = [(4, 3), (3,), (3, 2), (2,), ()]
_params = [Parameter(np.zeros(_s, dtype=np.float32)) for _s in _shapes]
_grads = [(_rng.standard_normal(_s) * 3).astype(np.float32) for _s in _shapes]
for _p, _g in zip(_params, _grads):
    _p.grad = Tensor(_g.copy())
_norm = clip_grad_norm(_params, 2.0)
expect_close(_norm, float(np.sqrt(sum(np.sum(_g.astype(np.float64) ** 2) for _g in _grads))),
             "the total norm should be the L2 norm over all gradients together", rtol=1e-6, atol=0)
expect([(str(_p.grad.dtype), _p.grad.shape) for _p in _params], [("float32", _g.shape) for _g in _grads],
       "clipping should keep every gradient float32 and its shape (0-d ones too)")
expect_close(np.concatenate([_p.grad.data.ravel() for _p in _params]),
             np.concatenate([_g.ravel() for _g in _grads]) * 2.0 / (_norm + 1e-6),
             "every gradient should be multiplied by max_norm / (total_norm + 1e-6)", rtol=1e-5, atol=1e-7)
_again = clip_grad_norm(_params, 2.0)
expect_close(_again, 2.0, "after clipping, the total norm should be max_norm", rtol=0, atol=1e-4)
_single = Parameter(np.zeros(3, dtype=np.float32))
_single.grad = Tensor(np.array([0.0, 30.0, 40.0], dtype=np.float32))
expect_close(clip_grad_norm(_single, 5.0), 50.0, "a single Tensor should be accepted as well as a list", rtol=0, atol=1e-4)
expect_close(_single.grad.data, [0.0, 3.0, 4.0], "a single Tensor's gradient should be clipped", rtol=0, atol=1e-4)
_none = [Parameter(np.ones(2, dtype=np.float32)), Parameter(np.ones(1, dtype=np.float32))]
for _p in _none:
    _p.grad = None
expect(clip_grad_norm(_none, 1.0), 0.0, "with no gradients at all the total norm should be 0.0")
expect(clip_grad_norm(iter([]), 1.0), 0.0, "an empty iterable of parameters should give a total norm of 0.0")
_huge = Parameter(np.zeros(4, dtype=np.float32))
_huge.grad = Tensor(np.full(4, 1e20, dtype=np.float32))
with np.errstate(over="ignore", invalid="ignore"):
    _hn = clip_grad_norm([_huge], 1.0)
expect_close(_hn, 2e20, "the norm of very large float32 gradients should be finite and exact (sum squares in float64)",
             rtol=1e-5, atol=0)
expect_close(_huge.grad.data, [0.5, 0.5, 0.5, 0.5], "very large gradients should be clipped to the right values",
             rtol=1e-5, atol=0)
_zero_max = Parameter(np.zeros(2, dtype=np.float32))
_zero_max.grad = Tensor(np.array([1.0, -2.0], dtype=np.float32))
clip_grad_norm([_zero_max], 0.0)
expect_close(_zero_max.grad.data, [0.0, 0.0], "max_norm=0 should scale the gradients to zero", rtol=0, atol=1e-7)
### END HIDDEN TESTS
print("✅ Step 1: clip_grad_norm works")


# %% [markdown]
# ## Step 2 · One epoch of training
#
# An **epoch** is one pass over the training data. `batches` is any iterable of `(x, y)` pairs: a
# list, a generator, or the `DataLoader` you will build in module 08. For every batch:
#
# ```
# 1. optimizer.zero_grad()                  gradients from the previous batch must not pile up
# 2. out  = model(x)                        forward (x may be an ndarray: wrap it in a Tensor)
# 3. loss = loss_fn(out, y)                 a 0-d Tensor
# 4. loss.backward()                        fills p.grad for every parameter
# 5. clip_grad_norm(model.parameters(), clip_norm)      only if clip_norm is not None
# 6. optimizer.step()                       updates p.data in place
# ```
#
# Call `model.train()` once before the loop: the model may still be in evaluation mode from the
# last `evaluate` (Step 3), and layers like `Dropout` must drop in training.
#
# **What to return.** The mean loss over the epoch, as a Python `float`. Each batch's loss is
# already a mean over its examples, but the last batch of an epoch is often smaller (300 examples
# in batches of 32 leave a last batch of 12). To get the mean over *examples*, weight each batch
# by its size:
#
# ```
# epoch_loss = sum(loss_b * n_b) / sum(n_b)          n_b = len(x) for batch b
# ```
#
# With equal batches this is just the average of the batch losses. Use `loss.item()` to turn the
# loss into a number: keeping `loss` Tensors in a list would keep each batch's whole graph alive.
# If `batches` yields nothing, raise a `ValueError` (there is no mean of nothing).

# %% nbgrader={"grade": false, "grade_id": "train-epoch", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def train_epoch(model, batches, loss_fn, optimizer, clip_norm=None):
    """Train `model` for one pass over `batches`; return the mean loss per example (a float).

    model:     a Module; put in training mode first.
    batches:   iterable of (x, y); x a Tensor or ndarray.
    loss_fn:   loss_fn(model(x), y) -> 0-d Tensor.
    optimizer: has zero_grad() and step().
    clip_norm: if not None, clip the global gradient norm to this value before each step.
    """
    ### BEGIN SOLUTION
    model.train()
    total_loss, total_count = 0.0, 0
    for x, y in batches:
        x = x if isinstance(x, Tensor) else Tensor(x)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        if clip_norm is not None:
            clip_grad_norm(model.parameters(), clip_norm)
        optimizer.step()
        n = len(x)
        total_loss += loss.item() * n
        total_count += n
    if total_count == 0:
        raise ValueError("train_epoch got no batches: check that your data is not empty")
    return total_loss / total_count
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-train-epoch", "locked": true, "points": 9, "schema_version": 3, "solution": false, "task": false}
x_tr, y_tr = make_spiral(n_per_class=20, seed=1)
batches = make_batches(x_tr, y_tr, batch_size=15)             # 60 examples: 4 batches of 15
model, twin = make_mlp([2, 16, 3], seed=3), make_mlp([2, 16, 3], seed=3)
loss_fn = CrossEntropyLoss()
opt, twin_opt = SGD(model.parameters(), lr=0.1), SGD(twin.parameters(), lr=0.1)
epoch_loss = train_epoch(model, batches, loss_fn, opt)
expect(type(epoch_loss).__name__, "float", "train_epoch should return the mean loss as a Python float")
twin_losses = []
for xb, yb in batches:                       # the same epoch, written out by hand
    twin_opt.zero_grad()
    twin_loss = loss_fn(twin(xb), yb)
    twin_loss.backward()
    twin_opt.step()
    twin_losses.append(twin_loss.item())
expect_close(max(float(np.abs(p.data - q.data).max()) for p, q in zip(model.parameters(), twin.parameters())), 0.0,
             "one train_epoch should update the weights exactly like zero_grad / forward / backward / step per batch "
             "(largest weight difference; forgetting zero_grad makes gradients pile up across batches)",
             rtol=0, atol=1e-6)
expect_close(epoch_loss - float(np.mean(twin_losses)), 0.0,
             "with equal batches, the epoch loss is the mean of the batch losses (your loss minus that mean)",
             rtol=0, atol=1e-5)
losses = [train_epoch(model, batches, loss_fn, opt) for _ in range(15)]
expect_close(losses[-1] / epoch_loss, 0.5, "the training loss should go down over a few epochs (last / first)",
             rtol=0, atol=0.4)
### BEGIN HIDDEN TESTS
_x, _y = make_spiral(n_per_class=7, seed=2)
_b = make_batches(_x, _y, 7)
_m1, _m2 = make_mlp([2, 8, 3], seed=5), make_mlp([2, 8, 3], seed=5)
_o1, _o2 = Adam(_m1.parameters(), lr=0.01), Adam(_m2.parameters(), lr=0.01)
for _p in _m1.parameters():                                  # stale gradients must be cleared first
    _p.grad = Tensor(np.full(_p.shape, 100.0, dtype=np.float32))
train_epoch(_m1, _b, loss_fn, _o1)
for _xb, _yb in _b:
    _o2.zero_grad()
    loss_fn(_m2(_xb), _yb).backward()
    _o2.step()
expect_close(max(float(np.abs(_p.data - _q.data).max()) for _p, _q in zip(_m1.parameters(), _m2.parameters())), 0.0,
             "gradients left over from before the epoch must be cleared before the first backward", rtol=0, atol=1e-6)
# clipping: compare with a hand-written clipped step
_m3, _m4 = make_mlp([2, 8, 3], seed=6), make_mlp([2, 8, 3], seed=6)
_o3, _o4 = SGD(_m3.parameters(), lr=0.5), SGD(_m4.parameters(), lr=0.5)
train_epoch(_m3, _b, loss_fn, _o3, clip_norm=0.05)
for _xb, _yb in _b:
    _o4.zero_grad()
    loss_fn(_m4(_xb), _yb).backward()
    _gs = [_p.grad.data for _p in _m4.parameters()]
    _tn = np.sqrt(sum(np.sum(_g.astype(np.float64) ** 2) for _g in _gs))
    for _g in _gs:
        _g *= 0.05 / (_tn + 1e-6)
    _o4.step()
expect_close(max(float(np.abs(_p.data - _q.data).max()) for _p, _q in zip(_m3.parameters(), _m4.parameters())), 0.0,
             "with clip_norm, the gradients should be clipped before every step", rtol=0, atol=1e-5)
_reg = Linear(3, 1, rng=np.random.default_rng(4))
_xr = np.random.default_rng(5).standard_normal((12, 3)).astype(np.float32)
_yr = Tensor(_xr @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32))
_ropt = SGD(_reg.parameters(), lr=0.1)
_r = [train_epoch(_reg, [(Tensor(_xr), _yr)], MSELoss(), _ropt) for _ in range(30)]
expect_close(_r[-1] / _r[0], 0.0, "train_epoch should work for regression with MSELoss too (last / first loss)",
             rtol=0, atol=0.1)
### END HIDDEN TESTS
print("✅ Step 2: train_epoch trains")


# %% nbgrader={"grade": true, "grade_id": "test-train-epoch-details", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
x_odd, y_odd = make_spiral(n_per_class=7, seed=2)                 # 21 examples: batches of 8, 8 and 5
odd_batches = make_batches(x_odd, y_odd, 8)
frozen = make_mlp([2, 8, 3], seed=5)
no_step = SGD(frozen.parameters(), lr=0.0)                        # lr 0: the weights stay, the losses are fixed
batch_losses = [CrossEntropyLoss()(frozen(xb), yb).item() for xb, yb in odd_batches]
mean_per_example = train_epoch(frozen, odd_batches, CrossEntropyLoss(), no_step)
expect_close(mean_per_example - (batch_losses[0] * 8 + batch_losses[1] * 8 + batch_losses[2] * 5) / 21, 0.0,
             "the epoch loss should weight each batch's loss by its number of examples (your loss minus that mean)",
             rtol=0, atol=1e-6)


class ModeSpy(Module):
    """Records, at every forward pass, (self.training, inner layer's training, x is a Tensor)."""

    def __init__(self):
        self.inner = Linear(2, 3, rng=np.random.default_rng(0))
        self.modes = []

    def forward(self, x):
        self.modes.append((self.training, self.inner.training, isinstance(x, Tensor)))
        return self.inner(x)


spy = ModeSpy().eval()
ndarray_batches = ((x_odd[i:i + 10], y_odd[i:i + 10]) for i in range(0, 21, 10))   # a generator of ndarrays
train_epoch(spy, ndarray_batches, CrossEntropyLoss(), SGD(spy.parameters(), lr=0.1))
expect(spy.modes, [(True, True, True)] * 3,
       "train_epoch should run every batch once, in training mode (model and sub-modules), with x wrapped in a Tensor")
### BEGIN HIDDEN TESTS
_x2, _y2 = make_spiral(n_per_class=5, seed=8)                      # 15 examples: 6, 6, 3
_m = make_mlp([2, 4, 3], seed=1)
_bl = [CrossEntropyLoss()(_m(_xb), _yb).item() for _xb, _yb in make_batches(_x2, _y2, 6)]
expect_close(train_epoch(_m, make_batches(_x2, _y2, 6), CrossEntropyLoss(), SGD(_m.parameters(), lr=0.0))
             - (_bl[0] * 6 + _bl[1] * 6 + _bl[2] * 3) / 15, 0.0, "weighted epoch loss with batches of 6, 6 and 3",
             rtol=0, atol=1e-6)
with expect_raises(ValueError, "train_epoch with no batches should raise ValueError"):
    train_epoch(make_mlp([2, 3]), [], CrossEntropyLoss(), SGD(make_mlp([2, 3]).parameters(), lr=0.1))
### END HIDDEN TESTS
print("✅ Step 2: train_epoch weights batches by size and sets training mode")


# %% [markdown]
# ## Step 3 · Evaluation
#
# Evaluation measures the model without changing it, on data it did not train on. Three rules:
#
# 1. **Evaluation mode.** `model.eval()` switches `Dropout` off (and, in module 09, makes batch
#    norm use its running statistics). Remember the mode the model was in (`model.training`) and
#    **restore it at the end** with `model.train(was_training)`: evaluating in the middle of
#    training must not leave the model in eval mode.
# 2. **No graph.** Run the forward passes inside `with no_grad():` (module 05). Nothing will call
#    `backward()`, so recording the graph would only cost time and memory.
# 3. **Measure over examples**, like `train_epoch`: the loss weighted by batch size, and the
#    accuracy as (number correct) / (number of labels).
#
# Return a dict `{"loss": ..., "accuracy": ...}` of Python floats:
#
# - `"loss"`: the mean loss per example, or `None` when `loss_fn` is `None`;
# - `"accuracy"`: for classification, the fraction of examples whose predicted class
#   `out.data.argmax(axis=-1)` equals the label. The targets are class labels when they are
#   **integers** with shape `out.shape[:-1]` (a Tensor or an ndarray: read a Tensor's `.data`).
#   For any other targets (regression with float targets) there is no accuracy: `None`.
#
# ```
# logits          argmax   label   correct?
# [2.0, 1.0]        0        0        yes
# [0.0, 3.0]        1        1        yes          accuracy = 3 / 4 = 0.75
# [5.0, 4.0]        0        1        no
# [1.0, 0.0]        0        0        yes
# ```
#
# Raise a `ValueError` if `batches` yields nothing.

# %% nbgrader={"grade": false, "grade_id": "evaluate", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def evaluate(model, batches, loss_fn=None):
    """Mean loss and accuracy of `model` over `batches`, in eval mode and under no_grad.

    Returns {"loss": float or None, "accuracy": float or None}; restores the model's previous mode.
    """
    ### BEGIN SOLUTION
    was_training = model.training
    model.eval()
    total_loss, n_examples, n_correct, n_labels, classification = 0.0, 0, 0, 0, True
    try:
        with no_grad():
            for x, y in batches:
                x = x if isinstance(x, Tensor) else Tensor(x)
                out = model(x)
                n_examples += len(x)
                if loss_fn is not None:
                    total_loss += loss_fn(out, y).item() * len(x)
                labels = y.data if isinstance(y, Tensor) else np.asarray(y)
                if labels.dtype.kind in "iu" and labels.shape == out.shape[:-1]:
                    n_correct += int(np.sum(out.data.argmax(axis=-1) == labels))
                    n_labels += labels.size
                else:
                    classification = False
    finally:
        model.train(was_training)
    if n_examples == 0:
        raise ValueError("evaluate got no batches: check that your data is not empty")
    return {
        "loss": total_loss / n_examples if loss_fn is not None else None,
        "accuracy": n_correct / n_labels if classification and n_labels > 0 else None,
    }
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-evaluate", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
ident = Linear(2, 2, rng=np.random.default_rng(0))
ident.weight.data[...] = np.eye(2)                       # logits = x
ident.bias.data[...] = 0.0
xs = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, 4.0], [1.0, 0.0]], dtype=np.float32)
ys = np.array([0, 1, 1, 0])
result = evaluate(ident, [(Tensor(xs[:3]), ys[:3]), (Tensor(xs[3:]), ys[3:])], CrossEntropyLoss())
expect(sorted(result), ["accuracy", "loss"], "evaluate should return a dict with 'loss' and 'accuracy'")
expect_close(result["accuracy"], 0.75, "3 of the 4 examples are classified correctly", rtol=0, atol=1e-9)
expect_close(result["loss"], 0.4970931, "the loss should be the mean cross-entropy over all 4 examples (not per batch)",
             rtol=0, atol=1e-5)
expect((type(result["loss"]).__name__, type(result["accuracy"]).__name__), ("float", "float"),
       "loss and accuracy should be Python floats")
### BEGIN HIDDEN TESTS
_xe, _ye = make_spiral(n_per_class=5, seed=3)
_lin = Linear(2, 3, rng=np.random.default_rng(1))
_res = evaluate(_lin, make_batches(_xe, _ye, 4), CrossEntropyLoss())
_logits = _xe @ _lin.weight.data + _lin.bias.data
expect_close(_res["accuracy"] - float(np.mean(_logits.argmax(axis=1) == _ye)), 0.0, "accuracy on batches of unequal size",
             rtol=0, atol=1e-9)
expect_close(_res["loss"] - float(np.mean(np.log(np.exp(_logits).sum(axis=1)) - _logits[np.arange(15), _ye])), 0.0,
             "the loss should be weighted by batch size (mean per example)", rtol=0, atol=1e-5)
_r2 = evaluate(_lin, [(Tensor(_xe), Tensor(_ye))])
expect(_r2["loss"], None, "without loss_fn, the loss should be None")
expect_close(_r2["accuracy"], _res["accuracy"], "Tensor targets should work like ndarray targets", rtol=0, atol=1e-9)
_reg = Linear(3, 1, rng=np.random.default_rng(2))
_xr = np.ones((4, 3), dtype=np.float32)
_rr = evaluate(_reg, [(_xr, Tensor(np.zeros((4, 1), dtype=np.float32)))], MSELoss())
expect(_rr["accuracy"], None, "float (regression) targets have no accuracy: it should be None")
expect_close(_rr["loss"], float(np.mean((_xr @ _reg.weight.data + _reg.bias.data) ** 2)),
             "evaluate should accept ndarray inputs and compute a regression loss", rtol=1e-5, atol=1e-6)
with expect_raises(ValueError, "evaluate with no batches should raise ValueError"):
    evaluate(_reg, iter([]))
### END HIDDEN TESTS
print("✅ Step 3: evaluate measures loss and accuracy")


# %% nbgrader={"grade": true, "grade_id": "test-evaluate-mode", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
class EvalSpy(Module):
    """Records, at every forward pass: (training?, inner layer training?, grad enabled?, output requires grad?)."""

    def __init__(self):
        self.inner = Linear(2, 3, rng=np.random.default_rng(1))
        self.seen = []

    def forward(self, x):
        out = self.inner(x)
        self.seen.append((self.training, self.inner.training, is_grad_enabled(), bool(out.requires_grad)))
        return out


spy = EvalSpy()
x_ev, y_ev = make_spiral(n_per_class=4, seed=3)
weights_before = spy.inner.weight.data.copy()
evaluate(spy, make_batches(x_ev, y_ev, 6), CrossEntropyLoss())
expect(spy.seen, [(False, False, False, False)] * 2,
       "each forward pass in evaluate should run in eval mode (model.eval()) and under no_grad (no graph): "
       "(training, inner training, grad enabled, output requires grad)")
expect((spy.training, spy.inner.training, is_grad_enabled()), (True, True, True),
       "after evaluate the model should be back in training mode, and grad mode back on")
expect([p.grad for p in spy.parameters()], [None, None], "evaluate must not compute gradients")
expect(spy.inner.weight.data - weights_before, np.zeros((2, 3)), "evaluate must not change the weights")
### BEGIN HIDDEN TESTS
spy.eval()
evaluate(spy, [(Tensor(x_ev), y_ev)])
expect((spy.training, spy.inner.training), (False, False), "a model that was in eval mode should stay in eval mode")
_drop = Sequential(Linear(2, 64, rng=np.random.default_rng(3)), Dropout(0.5, rng=np.random.default_rng(4)),
                   Linear(64, 3, rng=np.random.default_rng(5)))
_e1 = evaluate(_drop, [(Tensor(x_ev), y_ev)], CrossEntropyLoss())
_e2 = evaluate(_drop, [(Tensor(x_ev), y_ev)], CrossEntropyLoss())
expect_close(_e1["loss"] - _e2["loss"], 0.0, "with dropout off in eval mode, evaluating twice should give the same loss",
             rtol=0, atol=0)
### END HIDDEN TESTS
print("✅ Step 3: evaluate runs in eval mode under no_grad and restores the mode")


# %% [markdown]
# ## Learning-rate schedules
#
# A constant learning rate is a compromise: large enough to make progress early, small enough not
# to bounce around the minimum late. A **schedule** changes `optimizer.lr` as training goes on.
# Your optimizers read `self.lr` inside every `step()`, so a schedule only has to set that one
# attribute. PyTorch's schedulers work the same way:
#
# ```python
# scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=100)
# for epoch in range(100):
#     train_epoch(...)
#     scheduler.step()          # once per epoch (or once per batch, if you prefer)
# ```
#
# The base class below is given. It remembers the optimizer's learning rate at construction as
# `base_lr`, counts calls to `step()` in `last_epoch` (PyTorch's name, although you may step once
# per batch), and after every step sets `optimizer.lr = self.get_lr()`. The constructor also sets
# `optimizer.lr` to the schedule's value at step 0. Each schedule only writes `get_lr()`: the
# learning rate at step `self.last_epoch`, computed directly from `base_lr` (a **closed form**).
#
# Because the whole state of a schedule is one integer, resuming one from a checkpoint is just
# `scheduler.last_epoch = saved_step` (Step 8).

# %% nbgrader={"grade": false, "grade_id": "lr-scheduler-base", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
class LRScheduler:
    """Base class of learning-rate schedules (given). Like torch.optim.lr_scheduler.LRScheduler.

    optimizer:  anything with an `lr` attribute (your SGD, Adam, AdamW).
    base_lr:    optimizer.lr when the schedule was created.
    last_epoch: number of step() calls so far.
    """

    def __init__(self, optimizer):
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"a schedule needs an optimizer with an `lr` attribute, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self.optimizer.lr = self.get_lr()

    def get_lr(self):
        """The learning rate at step self.last_epoch (each schedule writes its own)."""
        raise NotImplementedError(f"{type(self).__name__}.get_lr is not implemented")

    def step(self):
        """Advance one step and set the optimizer's learning rate."""
        self.last_epoch += 1
        self.optimizer.lr = self.get_lr()


# %% [markdown]
# ## Step 4 · StepLR: divide the learning rate every few epochs
#
# The classic schedule of image classification (ResNet: ×0.1 at epochs 30, 60 and 90).
# Multiply the learning rate by `gamma` every `step_size` steps:
#
# ```
# lr(t) = base_lr * gamma ** (t // step_size)
#
# base_lr = 0.1, step_size = 3, gamma = 0.5:
#   t   :  0     1     2     3     4     5     6      7
#   lr  :  0.1   0.1   0.1   0.05  0.05  0.05  0.025  0.025
# ```
#
# In `__init__`, raise `ValueError` unless `step_size` is a positive integer, store `step_size`
# and `gamma`, and only **then** call the base constructor (it calls `get_lr()`, which needs them).

# %% nbgrader={"grade": false, "grade_id": "step-lr", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (last_epoch // step_size). Like torch.optim.lr_scheduler.StepLR."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        """ValueError unless step_size is a positive integer; store step_size and gamma (then the base __init__)."""
        ### BEGIN SOLUTION
        if int(step_size) != step_size or step_size < 1:
            raise ValueError(f"step_size must be a positive integer, got {step_size}")
        self.step_size = int(step_size)
        self.gamma = gamma
        ### END SOLUTION
        super().__init__(optimizer)

    def get_lr(self):
        """base_lr * gamma ** (last_epoch // step_size)."""
        ### BEGIN SOLUTION
        return self.base_lr * self.gamma ** (self.last_epoch // self.step_size)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-step-lr", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
opt = SGD([Parameter([0.0])], lr=0.1)
sched = StepLR(opt, step_size=3, gamma=0.5)
expect((sched.base_lr, opt.lr), (0.1, 0.1), "at step 0 the lr is base_lr")
seen = []
for _ in range(7):
    sched.step()
    seen.append(opt.lr)
expect_close(seen, [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025],
             "lr after each of 7 steps: StepLR multiplies by gamma at t = 3, 6, ... (t // step_size)", rtol=1e-12, atol=0)
expect((sched.last_epoch, sched.get_lr()), (7, 0.025), "get_lr() should give the lr at the current step")
### BEGIN HIDDEN TESTS
_opt = Adam([Parameter([0.0])], lr=0.3)
_s = StepLR(_opt, step_size=4)
expect(_s.gamma, 0.1, "the default gamma should be 0.1 (PyTorch's)")
_lrs = []
for _ in range(50):
    _s.step()
    _lrs.append(_opt.lr)
expect_close(_lrs, 0.3 * 0.1 ** (np.arange(1, 51) // 4), "StepLR values over 50 steps", rtol=1e-9, atol=0)
_opt2 = SGD([Parameter([0.0])], lr=1.0)
_s2 = StepLR(_opt2, step_size=1, gamma=0.9)
_s2.last_epoch = 10
expect_close(_s2.get_lr(), 0.9 ** 10, "get_lr() should be computed from last_epoch (a closed form)", rtol=1e-9, atol=0)
for _bad in (0, -2, 1.5):
    with expect_raises(ValueError, "StepLR should raise ValueError unless step_size is a positive integer"):
        StepLR(SGD([Parameter([0.0])], lr=0.1), step_size=_bad)
### END HIDDEN TESTS
print("✅ Step 4: StepLR works")


# %% [markdown]
# ## Step 5 · Cosine annealing
#
# The default of most modern training recipes: start at `base_lr` and glide down to `eta_min`
# along half a cosine wave over `T_max` steps. It spends a long time at large learning rates
# (fast progress) and slows down smoothly at the end (fine convergence):
#
# ```
# lr(t) = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2
#
# base_lr = 1, eta_min = 0, T_max = 4:
#   t   :  0     1       2     3       4     5       6
#   lr  :  1     0.854   0.5   0.146   0     0.146   0.5
# ```
#
# At `t = T_max` the learning rate is `eta_min`. Past `T_max` the formula (and PyTorch's
# `CosineAnnealingLR`) climbs back up the cosine; normally you choose `T_max` = the number of
# steps you will run. Raise `ValueError` unless `T_max` is a positive integer.

# %% nbgrader={"grade": false, "grade_id": "cosine-lr", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2. Like torch's CosineAnnealingLR."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        """ValueError unless T_max is a positive integer; store T_max and eta_min (then the base __init__)."""
        ### BEGIN SOLUTION
        if int(T_max) != T_max or T_max < 1:
            raise ValueError(f"T_max must be a positive integer, got {T_max}")
        self.T_max = int(T_max)
        self.eta_min = eta_min
        ### END SOLUTION
        super().__init__(optimizer)

    def get_lr(self):
        """eta_min + (base_lr - eta_min) * (1 + cos(pi * last_epoch / T_max)) / 2."""
        ### BEGIN SOLUTION
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-cosine-lr", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
opt = SGD([Parameter([0.0])], lr=1.0)
sched = CosineAnnealingLR(opt, T_max=4)
expect(opt.lr, 1.0, "at step 0 the lr is base_lr")
seen = []
for _ in range(6):
    sched.step()
    seen.append(opt.lr)
expect_close(seen, [0.8535534, 0.5, 0.1464466, 0.0, 0.1464466, 0.5],
             "CosineAnnealingLR should follow (1 + cos(pi t / T_max)) / 2", rtol=0, atol=1e-6)
### BEGIN HIDDEN TESTS
_opt = Adam([Parameter([0.0])], lr=0.02)
_s = CosineAnnealingLR(_opt, T_max=10, eta_min=0.001)
_lrs = []
for _ in range(30):
    _s.step()
    _lrs.append(_opt.lr)
expect_close(_lrs, 0.001 + 0.019 * (1 + np.cos(np.pi * np.arange(1, 31) / 10)) / 2,
             "CosineAnnealingLR values with eta_min over 30 steps", rtol=1e-9, atol=1e-15)
expect((_s.last_epoch, _s.get_lr() == _opt.lr), (30, True), "get_lr() should agree with the optimizer")
expect(CosineAnnealingLR(SGD([Parameter([0.0])], lr=0.1), T_max=3).eta_min, 0, "the default eta_min should be 0")
for _bad in (0, -1, 2.5):
    with expect_raises(ValueError, "CosineAnnealingLR should raise ValueError unless T_max is a positive integer"):
        CosineAnnealingLR(SGD([Parameter([0.0])], lr=0.1), T_max=_bad)
### END HIDDEN TESTS
print("✅ Step 5: CosineAnnealingLR works")


# %% [markdown]
# ## Step 6 · Linear warm-up, then hand over
#
# At the very first steps, Adam's estimates of the gradient statistics are based on a handful of
# batches, and a freshly initialised network can have large, noisy gradients. Transformers in
# particular diverge if they start at full learning rate. **Warm-up** ramps the learning rate
# linearly from 0 to `base_lr` over `warmup_steps` steps; then another schedule, `after`, takes
# over (or the rate stays at `base_lr` when `after` is `None`):
#
# ```
# lr(t) = base_lr * t / warmup_steps          for t < warmup_steps
#       = base_lr                             for t >= warmup_steps, if after is None
#       = after's lr at step (t - warmup_steps), if after is given
#
# base_lr = 0.4, warmup_steps = 4, after = None:
#   t   :  0     1     2     3     4     5
#   lr  :  0.0   0.1   0.2   0.3   0.4   0.4
# ```
#
# `after` is another schedule on the **same** optimizer, created *before* the warm-up so that it
# has seen the real `base_lr` (Python evaluates the argument first, so
# `LinearWarmup(opt, 100, after=CosineAnnealingLR(opt, T_max=900))` does the right thing).
# The warm-up drives it:
#
# - `__init__(optimizer, warmup_steps, after=None)`: raise `ValueError` unless `warmup_steps` is a
#   positive integer, or if `after` schedules a different optimizer (`after.optimizer`); store
#   both, then call the base constructor. The learning rate at step 0 is 0.
# - `get_lr()`: the formula above; after the warm-up, ask `after.get_lr()`.
# - `step()`: advance `self.last_epoch`; once past the warm-up (`last_epoch > warmup_steps`),
#   also call `after.step()` so that its own `last_epoch` equals `t - warmup_steps`; then set
#   `optimizer.lr`.
#
# In PyTorch you would combine `LambdaLR` (or `LinearLR`) and another schedule with
# `torch.optim.lr_scheduler.SequentialLR`.

# %% nbgrader={"grade": false, "grade_id": "linear-warmup", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class LinearWarmup(LRScheduler):
    """Ramp the lr linearly from 0 to base_lr over warmup_steps steps, then follow `after` (or keep base_lr)."""

    def __init__(self, optimizer, warmup_steps, after=None):
        """ValueError unless warmup_steps is a positive integer, or if `after` has another optimizer;
        store warmup_steps and after (then the base __init__)."""
        ### BEGIN SOLUTION
        if int(warmup_steps) != warmup_steps or warmup_steps < 1:
            raise ValueError(f"warmup_steps must be a positive integer, got {warmup_steps}")
        if after is not None and after.optimizer is not optimizer:
            raise ValueError("`after` must schedule the same optimizer as the warm-up")
        self.warmup_steps = int(warmup_steps)
        self.after = after
        ### END SOLUTION
        super().__init__(optimizer)

    def get_lr(self):
        """base_lr * t / warmup_steps during the warm-up; afterwards base_lr, or after.get_lr()."""
        ### BEGIN SOLUTION
        if self.last_epoch < self.warmup_steps:
            return self.base_lr * self.last_epoch / self.warmup_steps
        if self.after is None:
            return self.base_lr
        return self.after.get_lr()
        ### END SOLUTION

    def step(self):
        """Advance last_epoch; past the warm-up also step `after`; then set optimizer.lr."""
        ### BEGIN SOLUTION
        self.last_epoch += 1
        if self.after is not None and self.last_epoch > self.warmup_steps:
            self.after.step()
        self.optimizer.lr = self.get_lr()
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-linear-warmup", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
opt = SGD([Parameter([0.0])], lr=0.4)
sched = LinearWarmup(opt, warmup_steps=4)
expect((opt.lr, sched.base_lr), (0.0, 0.4), "the warm-up starts at lr 0 and remembers base_lr")
seen = []
for _ in range(6):
    sched.step()
    seen.append(opt.lr)
expect_close(seen, [0.1, 0.2, 0.3, 0.4, 0.4, 0.4],
             "the lr should ramp linearly to base_lr over warmup_steps steps, then stay there", rtol=1e-12, atol=0)
opt2 = SGD([Parameter([0.0])], lr=1.0)
warm = LinearWarmup(opt2, 2, after=StepLR(opt2, step_size=2, gamma=0.5))
seen2 = []
for _ in range(7):
    warm.step()
    seen2.append(opt2.lr)
expect_close(seen2, [0.5, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25],
             "after the warm-up, `after` takes over from its own step 0 (at t = warmup_steps + k it is at step k)",
             rtol=1e-12, atol=0)
### BEGIN HIDDEN TESTS
_opt = Adam([Parameter([0.0])], lr=0.01)
_cos = CosineAnnealingLR(_opt, T_max=20, eta_min=1e-4)
_w = LinearWarmup(_opt, 5, after=_cos)
expect(_opt.lr, 0.0, "the warm-up should start at 0 even with a schedule after it")
_lrs = []
for _ in range(40):
    _w.step()
    _lrs.append(_opt.lr)
expect_close(_lrs, np.concatenate([0.01 * np.arange(1, 5) / 5,
                             1e-4 + (0.01 - 1e-4) * (1 + np.cos(np.pi * np.arange(0, 36) / 20)) / 2]),
             "warm-up then cosine over 40 steps", rtol=1e-9, atol=1e-15)
expect(_cos.last_epoch, 35, "`after` should be stepped only after the warm-up (its last_epoch = t - warmup_steps)")
_opt3 = SGD([Parameter([0.0])], lr=0.3)
_w3 = LinearWarmup(_opt3, 1)
_w3.step()
expect_close(_opt3.lr, 0.3, "with warmup_steps=1 the lr should reach base_lr after one step", rtol=1e-12, atol=0)
for _bad in (0, -3, 2.5):
    with expect_raises(ValueError, "LinearWarmup should raise ValueError unless warmup_steps is a positive integer"):
        LinearWarmup(SGD([Parameter([0.0])], lr=0.1), _bad)
_other = SGD([Parameter([0.0])], lr=0.1)
with expect_raises(ValueError, "LinearWarmup should raise ValueError when `after` schedules another optimizer"):
    LinearWarmup(SGD([Parameter([0.0])], lr=0.1), 3, after=StepLR(_other, 2))
### END HIDDEN TESTS
print("✅ Step 6: LinearWarmup works")


# %% [markdown]
# ## Checkpoints
#
# Training runs get interrupted: a job hits its time limit, a machine reboots, you want to go back
# to the epoch with the best validation accuracy. A **checkpoint** saves everything needed to
# continue:
#
# | what | why | where it comes from |
# |---|---|---|
# | the weights | obviously | `model.state_dict()` (module 03) |
# | the optimizer state | momentum buffers, Adam's `m`, `v` and step counts: without them the resumed run restarts Adam's bias correction and takes different steps | `optimizer.state_dict()` (module 06) |
# | the optimizer's hyper-parameters | the current `lr` (a schedule changes it) | the same `state_dict()` |
# | a few numbers | the epoch, the schedule's step, the best accuracy so far | `**extra` |
#
# **Why not pickle?** `torch.save` writes Python pickles, and loading a pickle can run arbitrary
# code: a downloaded checkpoint is a program. That is why `torch.load` defaults to
# `weights_only=True` since PyTorch 2.6, and why the Hugging Face hub prefers `safetensors`. We
# use NumPy's `.npz` format (a zip file of `.npy` arrays) and load it with `allow_pickle=False`,
# so a checkpoint can only ever contain arrays.
#
# An `.npz` file holds a flat `{name: array}` mapping, so nested state is stored under
# slash-separated keys:
#
# | key | value | example |
# |---|---|---|
# | `model/<name>` | each entry of `model.state_dict()` | `model/0.weight`: float32 (2, 16) |
# | `optimizer/state/<i>/<buffer>` | each buffer of `optimizer.state_dict()["state"][i]` | `optimizer/state/0/exp_avg`: float32 (2, 16); `optimizer/state/0/step`: int64 () |
# | `optimizer/hyper/<name>` | each of `optimizer.state_dict()["hyperparameters"]` | `optimizer/hyper/lr`: float64 (); `optimizer/hyper/betas`: float64 (2,) |
# | `extra/<name>` | each keyword of `**extra` | `extra/epoch`: int64 () |
#
# `np.asarray(value)` turns every value into an array: a Python `int` becomes a 0-d int64 array, a
# `float` a 0-d float64 array, a tuple such as `betas` a 1-d array, a string a 0-d string array.
# Anything else (for example `None` or a dict) becomes an array of dtype `object`, which only
# pickle can store: refuse it with a `TypeError` that names the key (`array.dtype.hasobject` is
# `True` for those).

# %% [markdown]
# ## Step 7 · Saving a checkpoint
#
# Build the flat dictionary described above, then hand it to the given helper `_write_npz`,
# which writes the file. It does two things you would otherwise get wrong:
#
# - `np.savez(path, ...)` silently appends `.npz` to a path that does not end in `.npz`;
#   writing through an open file keeps exactly the path you asked for.
# - It writes to a temporary file and then renames it over `path` (`os.replace` is atomic). If
#   the process is killed while saving, the previous checkpoint is still intact, instead of half
#   a file.
#
# The optimizer is optional: `save_checkpoint("weights.npz", model)` saves only `model/...` and
# `extra/...` entries.

# %% nbgrader={"grade": false, "grade_id": "write-npz", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def _write_npz(path, arrays):
    """Given: write {key: ndarray} to `path` as an uncompressed .npz, atomically, without pickles."""
    path = os.fspath(path)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.savez(f, allow_pickle=False, **arrays)
    os.replace(tmp, path)


# %% nbgrader={"grade": false, "grade_id": "save-checkpoint", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def save_checkpoint(path, model, optimizer=None, **extra):
    """Save model.state_dict(), optimizer.state_dict() (if given) and the extra values to `path` (.npz).

    Keys: model/<name>, optimizer/state/<i>/<buffer>, optimizer/hyper/<name>, extra/<name>.
    TypeError (naming the key) for a value that would need pickle.
    """
    arrays = {}
    ### BEGIN SOLUTION
    for name, value in model.state_dict().items():
        arrays[f"model/{name}"] = np.asarray(value)
    if optimizer is not None:
        opt_state = optimizer.state_dict()
        for index, buffers in opt_state["state"].items():
            for name, value in buffers.items():
                arrays[f"optimizer/state/{index}/{name}"] = np.asarray(value)
        for name, value in opt_state["hyperparameters"].items():
            arrays[f"optimizer/hyper/{name}"] = np.asarray(value)
    for name, value in extra.items():
        arrays[f"extra/{name}"] = np.asarray(value)
    for key, array in arrays.items():
        if array.dtype.hasobject:
            raise TypeError(f"cannot save {key!r} (a {type(array.flat[0]).__name__ if array.size else 'object'}) "
                            "without pickle: use numbers, strings or arrays")
    ### END SOLUTION
    _write_npz(path, arrays)


# %% nbgrader={"grade": true, "grade_id": "test-save-checkpoint", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
workdir = tempfile.mkdtemp()
model = make_mlp([2, 4, 3], seed=0)
opt = Adam(model.parameters(), lr=0.01)
train_epoch(model, make_batches(*make_spiral(n_per_class=4), 6), CrossEntropyLoss(), opt)
path = os.path.join(workdir, "checkpoint")                  # no .npz suffix on purpose
save_checkpoint(path, model, opt, epoch=3, best_accuracy=0.875)
expect(os.listdir(workdir), ["checkpoint"], "save_checkpoint should write exactly the path it was given")
with np.load(path, allow_pickle=False) as saved:
    expect(sorted(saved.files),
           ["extra/best_accuracy", "extra/epoch", "model/0.bias", "model/0.weight", "model/2.bias", "model/2.weight",
            "optimizer/hyper/betas", "optimizer/hyper/eps", "optimizer/hyper/lr", "optimizer/hyper/weight_decay",
            "optimizer/state/0/exp_avg", "optimizer/state/0/exp_avg_sq", "optimizer/state/0/step",
            "optimizer/state/1/exp_avg", "optimizer/state/1/exp_avg_sq", "optimizer/state/1/step",
            "optimizer/state/2/exp_avg", "optimizer/state/2/exp_avg_sq", "optimizer/state/2/step",
            "optimizer/state/3/exp_avg", "optimizer/state/3/exp_avg_sq", "optimizer/state/3/step"],
           "the checkpoint's keys: model/<name>, optimizer/state/<i>/<buffer>, optimizer/hyper/<name>, extra/<name>")
    expect(saved["model/2.weight"] - model[2].weight.data, np.zeros((4, 3)), "the saved weights should equal the model's")
    expect(saved["optimizer/state/0/exp_avg"] - opt.state[0]["exp_avg"], np.zeros((2, 4)), "Adam's m should be saved")
    expect((saved["extra/epoch"], saved["extra/best_accuracy"]), (3, 0.875), "extra values should be saved under extra/<name>")
### BEGIN HIDDEN TESTS
with np.load(path, allow_pickle=False) as _saved:
    expect([(str(_saved[f"optimizer/state/{_i}/step"].dtype), str(_saved[f"optimizer/state/{_i}/exp_avg_sq"].dtype))
            for _i in range(4)], [("int64", "float32")] * 4,
           "the step counter should be saved as an integer, optimizer buffers as float32")
    expect(_saved["optimizer/state/3/exp_avg_sq"] - opt.state[3]["exp_avg_sq"], np.zeros(3), "Adam's v should be saved")
    expect((str(_saved["model/0.weight"].dtype), _saved["optimizer/hyper/betas"], _saved["optimizer/hyper/lr"]),
           ("float32", np.array([0.9, 0.999]), 0.01), "weights as float32; hyper-parameters (tuples as arrays) saved")
_only = os.path.join(workdir, "weights.npz")
save_checkpoint(_only, model)
with np.load(_only, allow_pickle=False) as _saved:
    expect(sorted(_saved.files), ["model/0.bias", "model/0.weight", "model/2.bias", "model/2.weight"],
           "without an optimizer and extras, only the model entries should be saved")
save_checkpoint(_only, make_mlp([2, 4, 3], seed=9), note="second")
with np.load(_only, allow_pickle=False) as _saved:
    expect(_saved["extra/note"].item(), "second", "saving again should overwrite the file; strings should be saved")
    expect(_saved["model/0.weight"] - make_mlp([2, 4, 3], seed=9)[0].weight.data, np.zeros((2, 4)),
           "the second save should win")
for _bad in (None, {"a": 1}):
    with expect_raises(TypeError, "a value that needs pickle (None, a dict) should raise TypeError"):
        save_checkpoint(os.path.join(workdir, "bad.npz"), model, extra_value=_bad)
_sgd_model = make_mlp([2, 3], seed=1)
_sgd = SGD(_sgd_model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
train_epoch(_sgd_model, make_batches(*make_spiral(n_per_class=2), 6), CrossEntropyLoss(), _sgd)
save_checkpoint(os.path.join(workdir, "sgd.npz"), _sgd_model, _sgd)
with np.load(os.path.join(workdir, "sgd.npz"), allow_pickle=False) as _saved:
    expect((_saved["optimizer/state/1/momentum_buffer"] - _sgd.state[1]["momentum_buffer"],
            _saved["optimizer/hyper/nesterov"].item()), (np.zeros(3), True),
           "SGD's momentum buffers and boolean hyper-parameters should be saved")
### END HIDDEN TESTS
print("✅ Step 7: save_checkpoint works")


# %% [markdown]
# ## Step 8 · Loading a checkpoint, and resuming exactly
#
# `load_checkpoint(path, model, optimizer=None)` reverses Step 7 and returns the extras:
#
# 1. Open the file with `np.load(path, allow_pickle=False)` (use it in a `with` block: it keeps
#    the zip file open) and sort the keys by their prefix.
# 2. `model.load_state_dict({name: array})` with the `model/...` entries (module 03 checks the
#    names and shapes for you, and copies in place).
# 3. If an optimizer is given: rebuild `{"state": {i: {name: value}}, "hyperparameters": {...}}`
#    and call `optimizer.load_state_dict(...)`. If the file holds no `optimizer/hyper/...` entry,
#    raise `KeyError` (it was saved without an optimizer), **before** changing the model.
# 4. Return `{name: value}` for the `extra/...` entries.
#
# **Give values back their Python type.** The file only knows arrays, but the optimizer expects
# `step` to be a Python `int` and `betas` a tuple, and you want `extra["epoch"]` to be `3`, not
# `array(3)`:
#
# | entry | restore as |
# |---|---|
# | `optimizer/state/<i>/<name>` | a 0-d **integer** array (the step counter) → `array.item()`; every other buffer stays an array |
# | `optimizer/hyper/<name>` | 0-d → `array.item()`; 1-d (e.g. `betas`) → `tuple(array.tolist())` |
# | `extra/<name>` | 0-d → `array.item()`; otherwise the array |
# | `<i>` in the state key | `int(i)` |
#
# Every conversion is exact: float32 arrays are stored bit for bit, and a Python float goes
# through float64 and back unchanged. So **training resumed from a checkpoint gives exactly the
# same weights as training that never stopped**. The test below proves it.
#
# To resume, build everything as at the start of the run (model, optimizer, schedule), *then*
# load the checkpoint and set `scheduler.last_epoch` from an extra you saved. (A schedule built
# after loading would take the restored, already decayed lr as its `base_lr`.)

# %% nbgrader={"grade": false, "grade_id": "load-checkpoint", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def load_checkpoint(path, model, optimizer=None):
    """Load a checkpoint written by save_checkpoint into `model` (and `optimizer`); return the extras dict."""
    ### BEGIN SOLUTION
    with np.load(path, allow_pickle=False) as saved:
        entries = {key: saved[key] for key in saved.files}
    model_state, opt_state, hyper, extra = {}, {}, {}, {}
    for key, value in entries.items():
        kind, _, rest = key.partition("/")
        if kind == "model":
            model_state[rest] = value
        elif kind == "optimizer":
            section, _, rest = rest.partition("/")
            if section == "hyper":
                hyper[rest] = value.item() if value.ndim == 0 else tuple(value.tolist())
            elif section == "state":
                index, _, name = rest.partition("/")
                if value.ndim == 0 and value.dtype.kind in "iu":
                    value = value.item()
                opt_state.setdefault(int(index), {})[name] = value
        elif kind == "extra":
            extra[rest] = value.item() if value.ndim == 0 else value
    if optimizer is not None and not hyper:
        raise KeyError(f"{os.fspath(path)!r} holds no optimizer state: it was saved without an optimizer")
    model.load_state_dict(model_state)
    if optimizer is not None:
        optimizer.load_state_dict({"state": opt_state, "hyperparameters": hyper})
    return extra
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-load-checkpoint", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
workdir = tempfile.mkdtemp()
x_tr, y_tr = make_spiral(n_per_class=10, seed=4)
batches = make_batches(x_tr, y_tr, 10)
loss_fn = CrossEntropyLoss()

# uninterrupted: 4 epochs
model = make_mlp([2, 8, 3], seed=1)
opt = Adam(model.parameters(), lr=0.02)
for epoch in range(4):
    train_epoch(model, batches, loss_fn, opt)

# interrupted: 2 epochs, save, fresh objects, load, 2 more epochs
first = make_mlp([2, 8, 3], seed=1)
first_opt = Adam(first.parameters(), lr=0.02)
for epoch in range(2):
    train_epoch(first, batches, loss_fn, first_opt)
path = os.path.join(workdir, "resume.npz")
save_checkpoint(path, first, first_opt, epoch=2, tag="run-a")
resumed = make_mlp([2, 8, 3], seed=99)                       # different initial weights
resumed_opt = Adam(resumed.parameters(), lr=0.02)
extra = load_checkpoint(path, resumed, resumed_opt)
expect(extra, {"epoch": 2, "tag": "run-a"}, "load_checkpoint should return the extras as Python values")
expect(type(extra["epoch"]).__name__, "int", "a 0-d integer extra should come back as a Python int")
expect([p.data - q.data for p, q in zip(resumed.parameters(), first.parameters())],
       [np.zeros((2, 8)), np.zeros(8), np.zeros((8, 3)), np.zeros(3)],
       "the loaded weights should equal the saved ones exactly")
expect((resumed_opt.state[0]["step"], type(resumed_opt.state[0]["step"]).__name__), (6, "int"),
       "the optimizer's step counters should be restored as Python ints")
for epoch in range(extra["epoch"], 4):
    train_epoch(resumed, batches, loss_fn, resumed_opt)
expect([p.data - q.data for p, q in zip(resumed.parameters(), model.parameters())],
       [np.zeros((2, 8)), np.zeros(8), np.zeros((8, 3)), np.zeros(3)],
       "training resumed from a checkpoint should give bit-identical weights to uninterrupted training")
### BEGIN HIDDEN TESTS
_m0 = make_mlp([2, 8, 3], seed=1)
_o0 = Adam(_m0.parameters(), lr=0.03, betas=(0.8, 0.99), weight_decay=0.01)
_s0 = CosineAnnealingLR(_o0, T_max=6, eta_min=0.001)
for _e in range(6):
    train_epoch(_m0, batches, loss_fn, _o0, clip_norm=0.5)
    _s0.step()
_m1 = make_mlp([2, 8, 3], seed=1)
_o1 = Adam(_m1.parameters(), lr=0.03, betas=(0.8, 0.99), weight_decay=0.01)
_s1 = CosineAnnealingLR(_o1, T_max=6, eta_min=0.001)
for _e in range(3):
    train_epoch(_m1, batches, loss_fn, _o1, clip_norm=0.5)
    _s1.step()
_p1 = os.path.join(workdir, "cosine")
save_checkpoint(_p1, _m1, _o1, epoch=3, schedule_step=_s1.last_epoch)
_m2 = make_mlp([2, 8, 3], seed=7)
_o2 = Adam(_m2.parameters(), lr=0.03)
_s2 = CosineAnnealingLR(_o2, T_max=6, eta_min=0.001)          # built before loading: base_lr = 0.03
_ex = load_checkpoint(_p1, _m2, _o2)
expect((type(_o2.betas).__name__, _o2.betas, _o2.weight_decay, type(_o2.lr).__name__), ("tuple", (0.8, 0.99), 0.01, "float"),
       "hyper-parameters should come back as Python values (betas a tuple, lr a float)")
expect_close(_o2.lr, _o1.lr, "the scheduled lr should be restored exactly", rtol=0, atol=0)
_s2.last_epoch = _ex["schedule_step"]
for _e in range(_ex["epoch"], 6):
    train_epoch(_m2, batches, loss_fn, _o2, clip_norm=0.5)
    _s2.step()
expect([_p.data - _q.data for _p, _q in zip(_m2.parameters(), _m0.parameters())],
       [np.zeros((2, 8)), np.zeros(8), np.zeros((8, 3)), np.zeros(3)],
       "resuming Adam + schedule + clipping should be bit-identical")
_ms = make_mlp([2, 5, 3], seed=2)
_os = SGD(_ms.parameters(), lr=0.1, momentum=0.9, nesterov=True)
train_epoch(_ms, batches, loss_fn, _os)
_ps = os.path.join(workdir, "sgd.npz")
save_checkpoint(_ps, _ms, _os, best=0.5)
_ms2 = make_mlp([2, 5, 3], seed=3)
_os2 = SGD(_ms2.parameters(), lr=0.5)
expect(load_checkpoint(_ps, _ms2, _os2), {"best": 0.5}, "the extras should be returned")
expect((_os2.momentum, _os2.nesterov, _os2.lr), (0.9, True, 0.1), "SGD's hyper-parameters should be restored")
expect(_os2.state[1]["momentum_buffer"] - _os.state[1]["momentum_buffer"], np.zeros(5), "momentum buffers should be restored")
_ms3 = make_mlp([2, 5, 3], seed=4)
expect(load_checkpoint(_ps, _ms3), {"best": 0.5}, "loading without an optimizer should load only the model")
expect(_ms3[2].weight.data - _ms[2].weight.data, np.zeros((5, 3)), "loading without an optimizer should still load the weights")
_pw = os.path.join(workdir, "weights-only.npz")
save_checkpoint(_pw, _ms)
_ms4 = make_mlp([2, 5, 3], seed=5)
_w4 = _ms4[0].weight.data.copy()
with expect_raises(KeyError, "loading optimizer state from a checkpoint saved without one should raise KeyError"):
    load_checkpoint(_pw, _ms4, SGD(_ms4.parameters(), lr=0.1))
expect(_ms4[0].weight.data - _w4, np.zeros((2, 5)), "a failed load should not change the model")
_evil = os.path.join(workdir, "evil.npz")
with open(_evil, "wb") as _f:
    np.savez(_f, **{"model/0.weight": np.array([{"pickled": "object"}], dtype=object)})
with expect_raises(ValueError, "load_checkpoint must refuse pickled objects (np.load with allow_pickle=False)"):
    load_checkpoint(_evil, make_mlp([2, 5, 3]))
_x = os.path.join(workdir, "arr.npz")
save_checkpoint(_x, _ms, history=np.array([0.5, 0.25]))
expect(load_checkpoint(_x, _ms)["history"], np.array([0.5, 0.25]), "array extras should come back as arrays")
### END HIDDEN TESTS
print("✅ Step 8: load_checkpoint works, and resuming is exact")


# %% [markdown]
# ## Systems analysis
#
# Everything is built. Now use it, and measure what training costs.
#
# ### 1. A real training run: loss curve and schedule
#
# Train `Linear(2, 64) -> ReLU -> Linear(64, 64) -> ReLU -> Linear(64, 3)` on 300 spiral points
# with Adam, gradient clipping, and a schedule stepped **once per batch**: 30 steps of linear
# warm-up, then cosine annealing to the end. `train_epoch` on a one-batch list performs exactly
# one optimizer step, which lets us step the schedule and record the loss after every batch.

# %% nbgrader={"grade": false, "grade_id": "analysis-training-run", "locked": true, "schema_version": 3, "solution": false, "task": false}
x_train, y_train = make_spiral(n_per_class=100, seed=0)
x_val, y_val = make_spiral(n_per_class=100, seed=1)
train_batches = make_batches(x_train, y_train, batch_size=30)
val_batches = make_batches(x_val, y_val, batch_size=100)

run_model = make_mlp([2, 64, 64, 3], seed=0)
run_opt = Adam(run_model.parameters(), lr=0.02)
n_epochs = 40
n_steps = n_epochs * len(train_batches)
run_sched = LinearWarmup(run_opt, 30, after=CosineAnnealingLR(run_opt, T_max=n_steps - 30))
loss_fn = CrossEntropyLoss()

step_loss, step_lr, epoch_loss, val_loss, val_acc = [], [], [], [], []
start = time.perf_counter()
for epoch in range(n_epochs):
    losses = []
    for batch in train_batches:
        step_lr.append(run_opt.lr)
        losses.append(train_epoch(run_model, [batch], loss_fn, run_opt, clip_norm=5.0))
        run_sched.step()
    step_loss += losses
    epoch_loss.append(float(np.mean(losses)))
    metrics = evaluate(run_model, val_batches, loss_fn)
    val_loss.append(metrics["loss"])
    val_acc.append(metrics["accuracy"])
elapsed = time.perf_counter() - start
print(f"{n_steps} steps in {elapsed:.2f} s ({elapsed / n_steps * 1e3:.2f} ms per step, evaluation included; "
      f"wall clock, one run)")
print(f"final: train loss {epoch_loss[-1]:.3f}, validation loss {val_loss[-1]:.3f}, validation accuracy {val_acc[-1]:.1%}")

fig, axes = plt.subplots(1, 3, figsize=(15, 4))
axes[0].plot(np.arange(n_steps) / len(train_batches), step_loss, color="tab:blue", alpha=0.3, label="train (per batch)")
axes[0].plot(np.arange(1, n_epochs + 1), epoch_loss, color="tab:blue", label="train (per epoch)")
axes[0].plot(np.arange(1, n_epochs + 1), val_loss, color="tab:orange", label="validation")
axes[0].set_yscale("log")
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("cross-entropy")
axes[0].set_title("loss curve")
axes[0].legend()
ax_acc = axes[1]
ax_acc.plot(np.arange(1, n_epochs + 1), val_acc, color="tab:green")
ax_acc.set_xlabel("epoch")
ax_acc.set_ylabel("validation accuracy")
ax_acc.set_title("accuracy (chance = 1/3)")
grid = np.stack(np.meshgrid(np.linspace(-1.1, 1.1, 150), np.linspace(-1.1, 1.1, 150)), axis=-1).reshape(-1, 2)
run_model.eval()
with no_grad():
    regions = run_model(Tensor(grid.astype(np.float32))).data.argmax(axis=1)
run_model.train()
axes[2].contourf(grid[:, 0].reshape(150, 150), grid[:, 1].reshape(150, 150), regions.reshape(150, 150),
                 levels=[-0.5, 0.5, 1.5, 2.5], cmap="Pastel1", alpha=0.8)
axes[2].scatter(x_val[:, 0], x_val[:, 1], c=y_val, cmap="Set1", s=8)
axes[2].set_title("decision regions on validation points")
axes[2].set_aspect("equal")
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the plot. During the warm-up (the first epochs) the loss barely moves: the learning rate
# is still tiny. Then it falls fast at the largest learning rates, and the per-batch curve (light
# blue) is noisy because each point is one batch of 30. As the cosine schedule lowers the
# learning rate the noise shrinks and the loss settles. The validation loss follows the training
# loss; when it starts to rise while the training loss keeps falling, the model is overfitting,
# and the checkpoint from the best validation epoch is the one to keep.
#
# ### 2. The schedules side by side
#
# Every schedule over 100 steps from `lr = 0.1`. Plotting a schedule before a long run costs
# nothing and catches mistakes (a `T_max` in epochs when you step per batch, a warm-up that never
# ends).

# %% nbgrader={"grade": false, "grade_id": "analysis-schedules", "locked": true, "schema_version": 3, "solution": false, "task": false}
def trace(make_schedule, steps=100, lr=0.1):
    """The lr a fresh SGD optimizer sees at each of `steps` steps under the schedule."""
    optimizer = SGD([Parameter([0.0])], lr=lr)
    schedule = make_schedule(optimizer)
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.lr)
        schedule.step()
    return lrs


schedules = {
    "constant": lambda o: LinearWarmup(o, 1),
    "StepLR(step_size=30, gamma=0.3)": lambda o: StepLR(o, 30, gamma=0.3),
    "CosineAnnealingLR(T_max=100)": lambda o: CosineAnnealingLR(o, 100),
    "CosineAnnealingLR(T_max=100, eta_min=0.02)": lambda o: CosineAnnealingLR(o, 100, eta_min=0.02),
    "LinearWarmup(10, after=Cosine(T_max=90))": lambda o: LinearWarmup(o, 10, after=CosineAnnealingLR(o, 90)),
}
fig, ax = plt.subplots(figsize=(9, 4))
for label, make in schedules.items():
    ax.plot(trace(make), label=label)
ax.set_xlabel("step")
ax.set_ylabel("learning rate")
ax.set_title("learning-rate schedules (base lr 0.1)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ### 3. Where does the time of a training step go?
#
# Split each step of an epoch into its three phases and time them with `time.perf_counter()`:
# **forward** (`zero_grad`, model and loss), **backward** (`loss.backward()`), and **optimizer**
# (`step()`). The model is an MNIST-sized MLP, `784 -> 256 -> 128 -> 10` (about 235,000
# parameters), on 2,048 random examples in batches of 128, with SGD and with Adam. Each phase is
# the median of three epochs after one untimed warm-up epoch, with BLAS pinned to one thread: what
# the course's `tinytorch_runtime.timing.measure` does for a whole function, done by hand here
# because one function call cannot be split into phases.
#
# What to expect from counting operations: a `Linear` layer's forward is one matmul
# `x @ W` (`2 * B * fan_in * fan_out` FLOPs); its backward needs two, `x.T @ grad` for the
# weights and `grad @ W.T` for the input. The first layer is the exception: its input is data,
# which needs no gradient, so your autograd skips `grad @ W.T` there (`needs_input_grad`, module
# 05). In a deep stack of equal layers backward costs about **twice** the forward; here the first
# layer (784 x 256) holds 85% of the FLOPs, so the prediction printed below is much lower. The
# optimizer does only a few element-wise operations per parameter, independent of the batch size.

# %% nbgrader={"grade": false, "grade_id": "analysis-phase-timing", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.timing import pinned_threads


def time_phases(model, batches, loss_fn, optimizer, repeats=3):
    """Seconds per epoch spent in forward, backward and optimizer.step: the median of `repeats`
    epochs after one untimed warm-up epoch (it creates the optimizer's state), BLAS on one thread."""
    epochs = {"forward": [], "backward": [], "optimizer": []}
    with pinned_threads(1):
        for epoch in range(1 + repeats):
            spent = {"forward": 0.0, "backward": 0.0, "optimizer": 0.0}
            for x, y in batches:
                t0 = time.perf_counter()
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                t1 = time.perf_counter()
                loss.backward()
                t2 = time.perf_counter()
                optimizer.step()
                t3 = time.perf_counter()
                spent["forward"] += t1 - t0
                spent["backward"] += t2 - t1
                spent["optimizer"] += t3 - t2
            if epoch > 0:
                for phase in epochs:
                    epochs[phase].append(spent[phase])
    return {phase: float(np.median(seconds)) for phase, seconds in epochs.items()}


rng = np.random.default_rng(0)
x_big = rng.standard_normal((2048, 784)).astype(np.float32)
y_big = rng.integers(0, 10, 2048)
big_batches = make_batches(x_big, y_big, batch_size=128)
sizes = [784, 256, 128, 10]
layer_flops = [2 * len(x_big) * a * b for a, b in zip(sizes[:-1], sizes[1:])]
flops_forward = sum(layer_flops)
flops_backward = layer_flops[0] + 2 * sum(layer_flops[1:])      # no input gradient for the first layer
phase_times = {}
for name, make_opt in {"SGD": lambda ps: SGD(ps, lr=0.01), "Adam": lambda ps: Adam(ps, lr=1e-3)}.items():
    mlp = make_mlp(sizes, seed=0)
    phase_times[name] = time_phases(mlp, big_batches, CrossEntropyLoss(), make_opt(mlp.parameters()))
n_params = mlp.num_parameters()
print(f"{n_params:,} parameters, {len(big_batches)} batches of 128, per epoch: forward {flops_forward / 1e6:.0f} MFLOP, "
      f"backward {flops_backward / 1e6:.0f} MFLOP -> predicted backward/forward {flops_backward / flops_forward:.2f}")
print(f"{'optimizer':<10}{'forward ms':>12}{'backward ms':>13}{'step ms':>10}{'backward/forward':>18}{'forward GFLOP/s':>17}")
for name, t in phase_times.items():
    print(f"{name:<10}{t['forward'] * 1e3:>12.1f}{t['backward'] * 1e3:>13.1f}{t['optimizer'] * 1e3:>10.1f}"
          f"{t['backward'] / t['forward']:>18.2f}{flops_forward / t['forward'] / 1e9:>17.1f}")

fig, ax = plt.subplots(figsize=(7, 3))
left = np.zeros(len(phase_times))
for phase, color in (("forward", "tab:blue"), ("backward", "tab:orange"), ("optimizer", "tab:green")):
    values = np.array([t[phase] * 1e3 for t in phase_times.values()])
    ax.barh(list(phase_times), values, left=left, color=color, label=phase)
    left += values
ax.set_xlabel("milliseconds per epoch (16 batches)")
ax.set_title("cost of one epoch, by phase")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()

# %% [markdown]
# Compare the measured backward/forward ratio with the prediction from the FLOP count: it should
# be close (transposed matmuls, the loss and Python overhead move it a little, and timings on a
# busy machine vary). Four runs on a shared 2-core machine (load 7–9) measured 0.90–1.10 with
# SGD and 0.83–1.05 with Adam, against the predicted 1.15. The optimizer is the smallest phase but not free: Adam makes several full passes over 235,000
# parameters and two buffers of the same size per step, SGD one. For a model this small, part of
# each phase is also Python overhead (creating graph nodes, looping over parameters), which is
# why large batches use the hardware better.
#
# ### 4. How big is a checkpoint?
#
# A float32 parameter takes 4 bytes. The optimizer state adds to that: nothing for plain SGD, one
# buffer per parameter for momentum, two (`m` and `v`) for Adam. So a checkpoint of model + Adam
# takes about **3 times** the bytes of the weights alone. The `.npz` format adds a small header
# per array (a few hundred bytes of zip and `.npy` metadata), which only matters for tiny models.

# %% nbgrader={"grade": false, "grade_id": "analysis-checkpoint-size", "locked": true, "schema_version": 3, "solution": false, "task": false}
def checkpoint_bytes(model, optimizer=None):
    """Size in bytes of the file save_checkpoint writes."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "ckpt.npz")
        save_checkpoint(path, model, optimizer)
        return os.path.getsize(path)


def trained_one_step(model, optimizer):
    """Take one step so that the optimizer's state exists, and return the optimizer."""
    train_epoch(model, big_batches[:1], CrossEntropyLoss(), optimizer)
    return optimizer


mlp = make_mlp(sizes, seed=0)
weight_bytes = 4 * mlp.num_parameters()
cases = {
    "model only": None,
    "model + SGD": trained_one_step(mlp, SGD(mlp.parameters(), lr=0.01)),
    "model + SGD(momentum)": trained_one_step(mlp, SGD(mlp.parameters(), lr=0.01, momentum=0.9)),
    "model + Adam": trained_one_step(mlp, Adam(mlp.parameters(), lr=1e-3)),
}
print(f"{mlp.num_parameters():,} parameters x 4 bytes = {weight_bytes:,} bytes of weights")
print(f"{'checkpoint':<24}{'file bytes':>12}{'x weights':>11}")
for label, optimizer in cases.items():
    size = checkpoint_bytes(mlp, optimizer)
    print(f"{label:<24}{size:>12,}{size / weight_bytes:>11.3f}")

widths = [16, 32, 64, 128, 256, 512]
counts, model_sizes, adam_sizes = [], [], []
for width in widths:
    m = make_mlp([784, width, 10], seed=0)
    counts.append(m.num_parameters())
    model_sizes.append(checkpoint_bytes(m))
    adam_sizes.append(checkpoint_bytes(m, trained_one_step(m, Adam(m.parameters()))))
fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(counts, model_sizes, "o-", label="model only")
ax.loglog(counts, adam_sizes, "s-", label="model + Adam")
ax.loglog(counts, [4 * c for c in counts], "--", color="gray", label="4 bytes x parameters")
ax.loglog(counts, [12 * c for c in counts], ":", color="gray", label="12 bytes x parameters")
ax.set_xlabel("parameters")
ax.set_ylabel("checkpoint size (bytes)")
ax.set_title("checkpoint size grows linearly with the parameters")
ax.legend()
plt.show()

# %% [markdown]
# The file sizes sit on the `4 x` and `12 x` lines: the format adds almost nothing, and the
# optimizer state is what triples a checkpoint. At scale this is the difference between a 14 GB
# and a 42 GB checkpoint for a 3.5-billion-parameter model in float32 (plus Adam's step counters,
# which are negligible).
#
# The cell below checks these facts with your `save_checkpoint`. It is graded; it passes if your
# checkpoints are right.

# %% nbgrader={"grade": true, "grade_id": "test-checkpoint-size", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def file_bytes(model, optimizer=None):
    """Size in bytes of the file save_checkpoint writes."""
    with tempfile.TemporaryDirectory() as folder:
        save_checkpoint(os.path.join(folder, "ckpt.npz"), model, optimizer)
        return os.path.getsize(os.path.join(folder, "ckpt.npz"))


size_mlp = make_mlp([784, 256, 10], seed=0)                   # 203,530 parameters
size_batch = [(Tensor(np.ones((4, 784), dtype=np.float32)), np.array([0, 1, 2, 3]))]
adam_opt = Adam(size_mlp.parameters())
train_epoch(size_mlp, size_batch, CrossEntropyLoss(), adam_opt)
expect_close(file_bytes(size_mlp) / size_mlp.num_parameters(), 4.0,
             "a model-only checkpoint should take about 4 bytes per float32 parameter", rtol=0, atol=0.04)
expect_close(file_bytes(size_mlp, adam_opt) / size_mlp.num_parameters(), 12.0,
             "model + Adam should take about 3 x 4 bytes per parameter", rtol=0, atol=0.12)
### BEGIN HIDDEN TESTS
expect_close(file_bytes(size_mlp, SGD(size_mlp.parameters(), lr=0.1)) / size_mlp.num_parameters(), 4.0,
             "plain SGD has no state: its checkpoint should be the size of the weights", rtol=0, atol=0.04)
_mom = SGD(size_mlp.parameters(), lr=0.1, momentum=0.9)
train_epoch(size_mlp, size_batch, CrossEntropyLoss(), _mom)
expect_close(file_bytes(size_mlp, _mom) / size_mlp.num_parameters(), 8.0, "SGD with momentum should double the checkpoint",
             rtol=0, atol=0.08)
### END HIDDEN TESTS
print("✅ checkpoint sizes check out")


# %% [markdown]
# ## Integration test: train, evaluate, keep the best, restore
#
# Everything together, as in a real project: train a fresh MLP on the spiral with a warmed-up
# cosine schedule and clipping, evaluate after every epoch, checkpoint the best epoch, and
# restore it into a new model that must score exactly the same.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
workdir = tempfile.mkdtemp()
x_train, y_train = make_spiral(n_per_class=100, seed=10)
x_val, y_val = make_spiral(n_per_class=60, seed=11)
train_batches = make_batches(x_train, y_train, batch_size=50)
val_batches = make_batches(x_val, y_val, batch_size=60)
model = make_mlp([2, 48, 48, 3], seed=2)
opt = Adam(model.parameters(), lr=0.03)
sched = LinearWarmup(opt, 2, after=CosineAnnealingLR(opt, T_max=28))
best_path, best_accuracy, history = os.path.join(workdir, "best.npz"), -1.0, []
for epoch in range(30):
    train_loss = train_epoch(model, train_batches, CrossEntropyLoss(), opt, clip_norm=2.0)
    sched.step()
    metrics = evaluate(model, val_batches, CrossEntropyLoss())
    history.append((train_loss, metrics["loss"], metrics["accuracy"]))
    if metrics["accuracy"] > best_accuracy:
        best_accuracy = metrics["accuracy"]
        save_checkpoint(best_path, model, opt, epoch=epoch, accuracy=best_accuracy)
expect_close(history[-1][0] / history[0][0], 0.25, "the training loss should fall by more than half in 30 epochs (last / first)",
             rtol=0, atol=0.25)
expect_close(best_accuracy, 0.95, "an MLP should separate the three spirals (best validation accuracy)", rtol=0, atol=0.1)
restored = make_mlp([2, 48, 48, 3], seed=123)
info = load_checkpoint(best_path, restored)
again = evaluate(restored, val_batches, CrossEntropyLoss())
expect((info["accuracy"], again["accuracy"]), (best_accuracy, best_accuracy),
       "the checkpoint should remember the best accuracy, and the restored model should score exactly that")
### BEGIN HIDDEN TESTS
expect((type(info["epoch"]).__name__, max(_h[2] for _h in history)), ("int", best_accuracy),
       "the best epoch should be saved as an int, and the best checkpoint should hold the best epoch")
expect_close(again["loss"], history[info["epoch"]][1], "the restored model should have the validation loss of its epoch",
             rtol=0, atol=1e-6)
expect(model.training, True, "after training and evaluating, the model should be in training mode")
expect((sched.last_epoch, opt.lr == sched.get_lr()), (30, True), "the schedule should have advanced 30 steps")
expect_close(opt.lr, 0.0, "at the end of the cosine schedule (eta_min 0) the lr should be 0", rtol=0, atol=1e-12)
expect_close(evaluate(make_mlp([2, 48, 48, 3], seed=2), val_batches)["accuracy"], 0.33,
             "an untrained model should be near chance", rtol=0, atol=0.25)
### END HIDDEN TESTS
print("✅ Integration: train, evaluate, checkpoint and restore work together")


# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences. Use numbers from your own runs
# where they help. These are graded by hand.
#
# **Q1 (6 points): reading a training run.** Look at your loss curve and schedule plots.
# (a) Why does the loss barely move in the first epochs, and why is warm-up particularly useful
# with Adam? (b) Why is the per-batch loss noisy, and why does the noise shrink towards the end
# of the run? (c) Your training loss keeps falling but the validation loss starts to rise after
# epoch 25. What is happening, and what do you do with the checkpoints?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-training-run", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) The warm-up starts at lr 0 and ramps up over 30 steps (three
# epochs of 10 batches), so the first updates are tiny. Adam normalises every coordinate by
# sqrt(v̂): after a few steps v̂ is estimated from very few gradients, so some coordinates get
# steps of about lr regardless of how small or noisy their gradient is; a fresh network also has
# large, unrepresentative gradients. Small steps while the statistics settle avoid a bad early
# jump (divergence, dead ReLUs), which matters most for transformers. (b) Each point is the loss
# on one batch of 30 examples, a noisy sample of the full loss, and every step with a large lr
# moves the weights noticeably (SGD noise). The cosine schedule shrinks the lr, so later steps
# are small, the weights move less between batches, and the model settles into a minimum.
# (c) Overfitting: the model starts memorising the training set (the noise in the spiral) and
# generalises worse. Keep the checkpoint with the best validation metric (early stopping /
# "best.npz") rather than the last one; more data, regularisation (weight decay, dropout) or a
# smaller model also help.
# Grading: 2 points per part; (a) needs the ramp from 0 and a reason tied to Adam's early
# statistics or large initial gradients.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q2", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (6 points): checkpoints.** (a) A 7-billion-parameter model is trained in float32 with
# Adam. How many bytes does a checkpoint with model and optimizer take? Which of the three parts
# could you drop for a checkpoint that is only used for inference? (b) A colleague saves only the
# weights and, to resume, builds a fresh `Adam`. Why do the resumed weights differ from an
# uninterrupted run, even with the same data order? Name two more things besides the optimizer
# state that must be restored for bit-identical resumption. (c) Why do we load with
# `allow_pickle=False`?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-checkpoints", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) 7e9 × 4 bytes = 28 GB of weights; Adam adds m and v, 2 × 28
# GB, for about 84 GB in total (the step counters are negligible). For inference only the weights
# are needed (28 GB, or 14 GB in float16/bfloat16, less when quantised, module 15). (b) A fresh
# Adam has m = v = 0 and step = 0: its bias correction starts over, so the first resumed steps
# are about lr in size for every coordinate (as at the start of training) instead of the
# steps the warmed-up moment estimates would give; momentum is lost too. Besides the optimizer
# state: the learning-rate schedule's position (last_epoch, and therefore the lr), the epoch /
# step counter, and the random state (data-loader shuffling seed/RNG state, dropout RNG) so the
# same batches and masks follow; also the exact hyper-parameters. (c) Unpickling can construct
# arbitrary objects and call arbitrary functions, so a malicious checkpoint file could run code
# on your machine when loaded. With allow_pickle=False the file can only contain plain arrays
# (same reason as torch.load(weights_only=True) and safetensors).
# Grading: (a) 2 points (84 GB, weights only for inference), (b) 3 points (fresh moments / bias
# correction + two of: schedule, epoch/step, RNG/data order), (c) 1 point (arbitrary code execution).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q3", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (5 points): cost of a training step.** Report your forward, backward and optimizer times
# for SGD and Adam from the analysis. (a) How close is your measured backward/forward ratio to
# the FLOP prediction? What ratio do you predict for a stack of ten `Linear(512, 512)` layers,
# and why would it be different if the network's input needed a gradient too (as the input of a
# layer in the middle of a network does)? (b) Why is Adam's step slower than SGD's, and
# why does the optimizer's share of the step shrink when the batch size grows? (c) Gradient
# clipping adds one more phase. What does it cost per step, in FLOPs or passes over memory,
# compared with the optimizer?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-cost", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* Numbers vary by machine; the student should quote their own.
# (a) The measured ratio should be near the predicted ~1.14 (deviations from noise, the loss,
# transposed-matmul speed and Python/graph overhead). Forward is one matmul x @ W per layer
# (2·B·in·out FLOPs); backward needs x.T @ grad (weight gradient) and grad @ W.T (input
# gradient), except the first layer, whose data input needs no gradient. Ten equal 512x512
# layers: backward = 1 + 2·9 = 19 matmuls vs 10 forward, ratio 1.9 (≈ 2). If the input needed a
# gradient too, every layer would do both matmuls: exactly 2. (b) SGD does one pass
# (p -= lr·g); Adam updates m and v and computes sqrt and a division, several passes over three
# arrays of the parameter size, so it is memory-bound and a few times slower than SGD. Its cost is
# proportional to the number of parameters, independent of the batch size, while forward and
# backward grow linearly with the batch, so larger batches shrink the optimizer's share.
# (c) Clipping computes the sum of squares of every gradient (one read pass, ~2 FLOPs per
# parameter) and, when it clips, one more in-place scaling pass: about the cost of one SGD
# step, cheaper than Adam's update, and negligible next to forward/backward for large batches.
# Grading: (a) 2 points (two matmuls vs one, first layer skips one: 1.9 / 2), (b) 2 points (more passes/memory-bound; cost ∝
# parameters not batch), (c) 1 point (one or two passes over the gradients, O(parameters)).
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/training.py` in your store and checks that it imports, so that later modules and the
# milestones can `from tinytorch.training import train_epoch, evaluate, save_checkpoint`.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("07_training");
