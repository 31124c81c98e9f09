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
# # Module 03 · Layers
#
# You have tensors (module 01) and activations (module 02). A neural network also needs
# **learnable weights**, organised so that a model with millions of them can still be handled as
# one object: listed, counted, switched between training and evaluation, saved and restored. In
# this module you build the machinery that does this, and the first real layers on top of it:
#
# ```python
# from tinytorch.layers import Linear, Sequential, Dropout
# from tinytorch.activations import ReLU
#
# model = Sequential(Linear(784, 256), ReLU(), Dropout(0.1), Linear(256, 10))
# model.num_parameters()          # 203,530
# model.eval()                    # dropout off, recursively
# model.state_dict()              # {"0.weight": array, "0.bias": array, "3.weight": ...}
# ```
#
# By the end you will be able to build a multi-layer perceptron from your own classes, explain
# why the *scale* of random initial weights decides whether a deep network can learn at all, and
# predict how much memory and arithmetic a linear layer costs.
#
# **Expected time:** 3–4 hours. **Difficulty:** ★★★☆☆ (eight short steps; the care goes into walking
# a tree of modules recursively, copying versus sharing arrays, and random numbers you can
# reproduce).

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# Everything trainable in PyTorch is a `torch.nn.Module`. A module holds its weights as
# `torch.nn.Parameter`s (a tensor subclass that says "optimise me"), and it can hold other
# modules. That gives a **tree**:
#
# ```
# Sequential                      named_parameters()
# ├── 0: Linear(784, 256)   ->    "0.weight" (784, 256)   "0.bias" (256,)
# ├── 1: ReLU                     (no parameters)
# ├── 2: Dropout(0.1)             (no parameters)
# └── 3: Linear(256, 10)    ->    "3.weight" (256, 10)    "3.bias" (10,)
# ```
#
# A handful of methods walk that tree, and every later module of this course uses them:
#
# | PyTorch | what it does | used by |
# |---|---|---|
# | `model.parameters()` | every Parameter in the tree, each once | the optimiser (module 06) |
# | `model.named_parameters()` | the same, with dotted names like `"3.weight"` | checkpoints, debugging |
# | `model.train()` / `model.eval()` | switch the mode of every module (dropout, batch norm) | training loop (07) |
# | `model.zero_grad()` | forget the gradients of the last step | training loop (07) |
# | `model.state_dict()` / `load_state_dict()` | weights as `{name: array}`, and back | checkpoints (07) |
#
# On top of it sit the layers: `torch.nn.Linear` (`y = x Wᵀ + b`), `torch.nn.Sequential`
# (chain modules), `torch.nn.Dropout`, and the initialisers in `torch.nn.init`
# (`xavier_uniform_`, `kaiming_normal_`).
#
# **One deliberate difference.** PyTorch stores a Linear weight as `(out_features, in_features)`
# and computes `x @ W.T + b`. TinyTorch stores it as **`(in_features, out_features)`** and computes
# `x @ W + b`: the same numbers, transposed, and one operation less to think about.
#
# | step | you implement | PyTorch equivalent |
# |---|---|---|
# | 1 | `Parameter` | `torch.nn.Parameter` |
# | 2 | `named_parameters`, `parameters`, `num_parameters` | same names (`num_parameters` is `sum(p.numel() ...)`) |
# | 3 | `train`, `eval`, `zero_grad` | same names |
# | 4 | `state_dict`, `load_state_dict` | same names |
# | 5 | `xavier_uniform`, `he_normal` | `nn.init.xavier_uniform_`, `nn.init.kaiming_normal_` |
# | 6 | `Linear` | `torch.nn.Linear` |
# | 7 | `Sequential` | `torch.nn.Sequential` |
# | 8 | `Dropout` | `torch.nn.Dropout` |

# %% [markdown]
# ## Setup
#
# This cell imports **your** `Tensor` from module 01 (through `tinytorch_runtime`) and `extend`,
# which attaches a method to a class one cell at a time, as in module 01. Its code is exported
# into `tinytorch/layers.py` together with every cell that starts with `#| export`.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import numpy as np
from tinytorch.tensor import Tensor
from tinytorch_runtime import extend

__all__ = ["Parameter", "Module", "xavier_uniform", "he_normal", "Linear", "Sequential", "Dropout"]

# %% [markdown]
# The graded test cells check your code with `expect` (exact), `expect_close` (within a
# tolerance) and `expect_raises`. When a check fails it prints what your code returned next to
# what was expected.

# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · Parameter: a tensor that wants to be learned
#
# A model holds two kinds of tensors: **parameters**, which training changes (weights, biases),
# and everything else (inputs, intermediate results, constants). PyTorch marks parameters with
# the subclass `torch.nn.Parameter`, and so will we. Being a subclass means a `Parameter` *is* a
# `Tensor`: `x @ weight` works unchanged, and `isinstance(p, Parameter)` is how a module finds
# its parameters (Step 2).
#
# `Parameter(data, dtype=None)` does two things on top of `Tensor.__init__`:
#
# 1. **Always floating point.** Gradients are fractional, so a parameter is float32 unless you
#    ask for another dtype: `Parameter([1, 2])` is float32, not int64.
# 2. **`self.requires_grad = True`.** Module 05 builds autograd; it computes gradients only for
#    tensors with this flag, and parameters are exactly the tensors that need one.
#
# Like `Tensor`, a `Parameter` wraps a float32 ndarray without copying it.
#
# **Hint:** call the parent constructor with `super().__init__(data, dtype=...)`.

# %% nbgrader={"grade": false, "grade_id": "parameter", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Parameter(Tensor):
    """A Tensor that is a learnable weight of a Module. Like torch.nn.Parameter."""

    def __init__(self, data, dtype=None):
        """Store `data` as float32 (or `dtype` when given) and set `requires_grad = True`."""
        ### BEGIN SOLUTION
        super().__init__(data, dtype=np.float32 if dtype is None else dtype)
        self.requires_grad = True
        ### END SOLUTION

    def __repr__(self):
        """Given: like PyTorch, 'Parameter containing:' followed by the tensor."""
        return "Parameter containing:\n" + Tensor.__repr__(self)


# %% nbgrader={"grade": true, "grade_id": "test-parameter", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
p = Parameter([[1.0, 2.0], [3.0, 4.0]])
expect(type(p).__name__, "Parameter", "Parameter(...) should make a Parameter")
expect(p.shape, (2, 2), "a Parameter should keep the shape of its data")
expect(str(p.dtype), "float32", "a Parameter of Python floats should be float32")
expect(getattr(p, "requires_grad", None), True, "a Parameter should have requires_grad = True")
expect((p @ Tensor([1.0, 1.0])).data, [3.0, 7.0], "Tensor operations should work on a Parameter")
expect(str(Parameter([1, 2]).dtype), "float32", "a Parameter made from integers should be float32, not int64")
### BEGIN HIDDEN TESTS
expect(str(Parameter(np.arange(4.0)).dtype), "float32", "a Parameter made from a float64 array should be float32")
expect(str(Parameter(np.zeros(3), dtype=np.float64).dtype), "float64", "an explicit dtype must be respected")
_a = np.ones((3, 4), dtype=np.float32)
_pa = Parameter(_a)
_pa.data[0, 0] = 5.0
expect(_a[0], [5.0, 1.0, 1.0, 1.0], "a float32 array should be wrapped without a copy")
_pt = Parameter(Tensor([5.0, 6.0]))
expect(type(_pt.data).__name__, "ndarray", "Parameter(tensor) should hold an ndarray")
expect(_pt.data, [5.0, 6.0], "Parameter(tensor) should wrap the tensor's values")
expect(Parameter(2.5).shape, (), "a 0-d Parameter should work")
expect(Parameter(2.5).requires_grad, True, "a 0-d Parameter should require grad")
expect(getattr(Tensor([1.0]), "requires_grad", False), False,
       "only Parameters get requires_grad = True: set it on the instance, not on the Tensor class")
### END HIDDEN TESTS
print("✅ Step 1: Parameter works")

# %% [markdown]
# ## The `Module` base class (given)
#
# Every layer and every model is a `Module`. The base class below gives three things; you add the
# tree-walking methods in Steps 2 to 4.
#
# - `training = True`: a **class attribute**, so every module starts in training mode. Step 3
#   overrides it per instance.
# - `forward(...)`: what the module computes. Subclasses implement it.
# - `__call__`: `layer(x)` runs `layer.forward(x)`, as in PyTorch (and in module 02's activations).
#
# A subclass simply stores its parameters and sub-modules as attributes, in `__init__`:
#
# ```python
# class Affine(Module):
#     def __init__(self, n):
#         self.scale = Parameter(np.ones(n))    # found by parameters()
#         self.shift = Parameter(np.zeros(n))   # found by parameters()
#         self.n = n                            # not a Parameter: ignored
#
#     def forward(self, x):
#         return x * self.scale + self.shift
# ```
#
# There is no registration call and no `super().__init__()` to forget: `parameters()` will find
# the parameters by looking at the attributes.

# %% nbgrader={"grade": false, "grade_id": "module-base", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
class Module:
    """Base class of every layer and model. Like torch.nn.Module.

    Subclasses store Parameters and sub-Modules as attributes and implement `forward`.
    """

    training = True  # every module starts in training mode

    def forward(self, *args):
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def __repr__(self):
        return f"{type(self).__name__}()"


# %% [markdown]
# ## Step 2 · Finding every parameter
#
# `named_parameters()` returns a list of `(name, parameter)` pairs for every `Parameter`
# reachable from the module. Look at each attribute in `vars(self)` (a dict of the instance's
# attributes, **in the order they were assigned**):
#
# | attribute value | what to do | name |
# |---|---|---|
# | a `Parameter` | add it | the attribute name: `"scale"` |
# | a `Module` | look inside it, the same way | `"first.scale"` |
# | a `list` or `tuple` | look at each item (a Parameter or a Module) | `"blocks.0.scale"` |
# | anything else (numbers, strings, plain Tensors, activations from 02, `None`) | ignore it | |
#
# ```python
# class Stack(Module):
#     def __init__(self):
#         self.first = Affine(3)                  # "first.scale", "first.shift"
#         self.blocks = [Affine(3), Affine(3)]    # "blocks.0.scale", ..., "blocks.1.shift"
#         self.gain = Parameter(2.0)              # "gain"
# ```
#
# **Each parameter once.** Models sometimes use the same Parameter in two places ("weight tying":
# GPT-2 uses its token-embedding matrix again as its output layer). The optimiser must update
# it once, not twice. So if you meet a Parameter you have already added (compare with `is`, or
# keep a set of `id(p)`), skip it: the first name wins. Do the same for a Module you have
# already walked through.
#
# The walk is naturally **recursive**. One way to write it: an inner function
# `visit(value, name)` that adds a Parameter, or calls itself on every attribute of a Module and
# every item of a list, building the dotted name as it goes down.
#
# Then two one-liners: `parameters()` is the list of parameters alone (same order), and
# `num_parameters()` is the total number of elements in them (an `int`).
#
# The test after your code defines the two example modules from above, `Affine` and `Stack`
# (with a plain `Tensor` attribute `buffer` in `Affine`, which is not a parameter), and checks
# your walk on them. The tests of Steps 3 and 4 use them too.

# %% nbgrader={"grade": false, "grade_id": "module-parameters", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Module)
def named_parameters(self):
    """[(dotted_name, parameter), ...] for every Parameter reachable from self, each once, in attribute order."""
    ### BEGIN SOLUTION
    found, seen = [], set()

    def visit(value, name):
        if id(value) in seen:
            return
        if isinstance(value, Parameter):
            seen.add(id(value))
            found.append((name, value))
        elif isinstance(value, Module):
            seen.add(id(value))
            for key, child in vars(value).items():
                visit(child, f"{name}.{key}" if name else key)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                visit(item, f"{name}.{i}" if name else str(i))

    visit(self, "")
    return found
    ### END SOLUTION


@extend(Module)
def parameters(self):
    """[parameter, ...]: the parameters of named_parameters(), in the same order."""
    ### BEGIN SOLUTION
    return [p for _, p in self.named_parameters()]
    ### END SOLUTION


@extend(Module)
def num_parameters(self):
    """Total number of numbers in all parameters (an int)."""
    ### BEGIN SOLUTION
    return int(sum(p.size for p in self.parameters()))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-module-parameters", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
# The two example modules from the text (the tests of Steps 3 and 4 use them too).
class Affine(Module):
    def __init__(self, n):
        self.scale = Parameter(np.ones(n))
        self.shift = Parameter(np.zeros(n))
        self.n = n                          # not a parameter
        self.buffer = Tensor(np.ones(n))    # a plain Tensor is not a parameter either

    def forward(self, x):
        return x * self.scale + self.shift


class Stack(Module):
    def __init__(self):
        self.first = Affine(3)
        self.blocks = [Affine(3), Affine(3)]
        self.gain = Parameter(2.0)


s = Stack()
expect([name for name, _ in s.named_parameters()],
       ["first.scale", "first.shift", "blocks.0.scale", "blocks.0.shift", "blocks.1.scale", "blocks.1.shift", "gain"],
       "named_parameters should give dotted names in attribute order, including the items of lists")
expect(type(s.parameters()).__name__, "list", "parameters() should return a list")
expect([q.shape for q in s.parameters()], [(3,), (3,), (3,), (3,), (3,), (3,), ()],
       "parameters() should list the 7 Parameters in the order of named_parameters()")
s.parameters()[-1].data[...] = 5.0
s.named_parameters()[0][1].data[0] = 7.0
expect([float(s.gain.data), float(s.first.scale.data[0])], [5.0, 7.0],
       "parameters() and named_parameters() should return the model's own Parameter objects, not copies")
expect(s.num_parameters(), 19, "num_parameters should count every number in every parameter (6 * 3 + 1)")
expect(Affine(4)(Tensor([1.0, 2.0, 3.0, 4.0])).data, [1.0, 2.0, 3.0, 4.0], "calling a module should run its forward")
tied = Stack()
tied.blocks[1].scale = tied.first.scale   # the same Parameter used twice ("weight tying")
expect([name for name, _ in tied.named_parameters()],
       ["first.scale", "first.shift", "blocks.0.scale", "blocks.0.shift", "blocks.1.shift", "gain"],
       "a Parameter used twice should be listed once, under the first name found")
### BEGIN HIDDEN TESTS
class _Ordered(Module):
    def __init__(self):
        self.zeta = Parameter(np.ones(2))
        self.alpha = Parameter(np.ones(5))
        self.items = (Parameter(np.ones(3)), "text", 7, None, Affine(1))
        self.nothing = None


_o = _Ordered()
expect([n for n, _ in _o.named_parameters()], ["zeta", "alpha", "items.0", "items.4.scale", "items.4.shift"],
       "names should follow assignment order (not alphabetical), and cover Parameters and Modules inside tuples")
expect(_o.num_parameters(), 12, "num_parameters should count every element")
expect(type(_o.num_parameters()).__name__, "int", "num_parameters should be a Python int")


class _Tied(Module):
    def __init__(self):
        self.encoder = Affine(4)
        self.decoder = Affine(4)
        self.decoder.scale = self.encoder.scale     # the same Parameter used twice
        self.again = self.encoder                   # the same Module reachable twice
        self.shared_list = [self.encoder.shift]


_t = _Tied()
expect([n for n, _ in _t.named_parameters()], ["encoder.scale", "encoder.shift", "decoder.shift"],
       "a Parameter or Module reachable twice should be listed once, under the first name found")
expect(len(_t.parameters()), 3, "parameters() must not repeat a Parameter")
expect(_t.num_parameters(), 12, "a shared Parameter should be counted once")


class _Empty(Module):
    def __init__(self):
        self.width = 10
        self.plain = Tensor(np.ones((10, 10)))


expect([_Empty().named_parameters(), _Empty().parameters(), _Empty().num_parameters()], [[], [], 0],
       "a module without Parameters has no parameters")


class _Deep(Module):
    def __init__(self):
        self.inner = _Ordered()
        self.stacks = [Stack()]


_dn = [n for n, _ in _Deep().named_parameters()]
expect(_dn[:3], ["inner.zeta", "inner.alpha", "inner.items.0"], "names should be built recursively through nested modules")
expect(_dn[-1], "stacks.0.gain", "names should be built recursively through modules inside lists")
expect(len(_dn), 12, "a deep tree should list every Parameter once")
### END HIDDEN TESTS
print("✅ Step 2: parameters are found, named and counted")

# %% [markdown]
# ## Step 3 · Training mode, evaluation mode, and `zero_grad`
#
# Some layers behave differently while training and while evaluating. `Dropout` (Step 8) drops
# random units only in training; `BatchNorm` (module 09) uses batch statistics only in training.
# A layer reads its own `self.training`, so switching a model means setting that flag on
# **every module in the tree**:
#
# - `train(mode=True)`: set `training = mode` on this module and, recursively, on every Module
#   among its attributes (including inside lists and tuples, as in Step 2). Return `self`, so that
#   `model = Sequential(...).eval()` works.
# - `eval()`: the same as `train(False)`.
#
# Set the flag on the **instance** (`module.training = mode`): the class attribute `Module.training`
# must stay `True` for modules created later.
#
# `zero_grad()` sets `p.grad = None` on every parameter. In module 05 gradients *accumulate*:
# each backward pass adds its gradient to the one already in `p.grad`, so the training loop must
# clear them before each step. (Module 05 writes that sum as `p.grad + g`, a new array, and not
# as an in-place `+=`, because autograd may still hold the old array; it explains why.) `None`
# rather than zeros: no memory is kept, and the next backward pass stores its gradient directly
# instead of adding it to zeros.
#
# (`eval` is attached as `@extend(Module, name="eval")` on a function called `_eval`, so that the
# exported file does not hide Python's built-in `eval`.)

# %% nbgrader={"grade": false, "grade_id": "module-modes", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Module)
def train(self, mode=True):
    """Set `training = mode` on self and every sub-Module (recursively); return self."""
    ### BEGIN SOLUTION
    def visit(value):
        if isinstance(value, Module):
            value.training = bool(mode)
            for child in list(vars(value).values()):
                visit(child)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)

    visit(self)
    return self
    ### END SOLUTION


@extend(Module, name="eval")
def _eval(self):
    """Evaluation mode: train(False). Returns self."""
    ### BEGIN SOLUTION
    return self.train(False)
    ### END SOLUTION


@extend(Module)
def zero_grad(self):
    """Set p.grad = None on every parameter."""
    ### BEGIN SOLUTION
    for p in self.parameters():
        p.grad = None
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-module-modes", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
s = Stack()
expect([s.training, s.first.training, s.blocks[1].training], [True, True, True], "modules start in training mode")
expect(type(s.eval()).__name__, "Stack", "eval() should return the module itself")
expect([s.training, s.first.training, s.blocks[0].training, s.blocks[1].training], [False, False, False, False],
       "eval() should switch off training mode in every sub-module, including the modules inside lists")
expect(Stack().training, True,
       "eval() on one model must not switch other models: set the flag on each instance, not on the class")
expect(type(s.train()).__name__, "Stack", "train() should return the module itself")
expect([s.training, s.first.training, s.blocks[0].training, s.blocks[1].training], [True, True, True, True],
       "train() should switch training mode back on everywhere")
for q in s.parameters():
    q.grad = Tensor(np.ones(q.shape))
s.zero_grad()
expect([q.grad for q in s.parameters()], [None] * 7, "zero_grad() should set every parameter's grad to None")
### BEGIN HIDDEN TESTS
_s = Stack()
_s.train(False)
expect([_s.training, _s.blocks[0].training], [False, False], "train(False) should work like eval()")
expect([Module.training, Stack().training, Affine(2).training], [True, True, True],
       "switching one model to eval mode must not change the class attribute or other models")
_s.train(True)
expect([_s.training, _s.first.training], [True, True], "train(True) should set training mode recursively")


class _Inner(Module):
    def __init__(self):
        self.items = (Parameter(np.ones(3)), "text", None, Affine(1))
        self.stacks = [Stack()]


class _Holder(Module):
    def __init__(self):
        self.pair = (Affine(2), Affine(2))
        self.deep = _Inner()


_h = _Holder().eval()
expect([_h.training, _h.pair[0].training, _h.pair[1].training], [False, False, False],
       "eval() should reach every module inside a tuple")
expect([_h.deep.items[3].training, _h.deep.stacks[0].blocks[1].training], [False, False],
       "eval() should reach every module in a deep tree")
_h.train()
expect(_h.deep.stacks[0].blocks[1].training, True, "train() should reach every module in a deep tree")
_fresh = Stack()
_fresh.zero_grad()
expect([q.grad for q in _fresh.parameters()], [None] * 7, "zero_grad() should work on parameters that never had a grad")
_tied = Stack()
_tied.blocks[1].scale = _tied.first.scale
for _q in _tied.parameters():
    _q.grad = Tensor(np.ones(_q.shape))
_tied.zero_grad()
expect([_tied.blocks[1].scale.grad, _tied.first.scale.grad], [None, None], "zero_grad() should clear shared parameters too")
### END HIDDEN TESTS
print("✅ Step 3: train(), eval() and zero_grad() work")

# %% [markdown]
# ## Step 4 · Saving and loading weights: `state_dict`
#
# A trained model is just its numbers. `state_dict()` returns them as a plain dict
# `{name: ndarray}`, with the names of `named_parameters()` (in the same order) and a **copy** of
# each parameter's array: the snapshot must not change when training continues. Module 07 writes
# this dict to a file as a checkpoint.
#
# `load_state_dict(state)` puts the numbers back. Two rules:
#
# **1. Copy in place.** Write into the existing arrays, `p.data[...] = value`, rather than
# replacing the Parameter or its array (`p.data = value`). An optimiser (module 06) keeps
# references to the Parameter objects and their arrays; replacing them would silently detach the
# model from its optimiser. In-place copying also converts the dtype for you (float64 values
# become float32).
#
# **2. Check everything first, then copy.** A checkpoint from a different model must fail loudly,
# and must not leave the model half-overwritten. Before copying anything, check that:
#
# | problem | raise |
# |---|---|
# | a parameter of the model has no entry in `state` | `KeyError` naming the missing key |
# | `state` has a key the model doesn't have | `KeyError` naming the unexpected key |
# | an entry has the wrong shape | `ValueError` naming the key and both shapes |
#
# Values may be ndarrays or anything `np.asarray` accepts (a `Tensor` works too).

# %% nbgrader={"grade": false, "grade_id": "module-state-dict", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Module)
def state_dict(self):
    """{name: copy of the parameter's ndarray} for every parameter, in named_parameters() order."""
    ### BEGIN SOLUTION
    return {name: p.data.copy() for name, p in self.named_parameters()}
    ### END SOLUTION


@extend(Module)
def load_state_dict(self, state):
    """Copy state[name] into each parameter in place; KeyError/ValueError (before copying) on a mismatch."""
    ### BEGIN SOLUTION
    params = dict(self.named_parameters())
    for key in state:
        if key not in params:
            raise KeyError(f"unexpected key {key!r} in state_dict: {type(self).__name__} has no such parameter")
    values = {}
    for name, p in params.items():
        if name not in state:
            raise KeyError(f"missing key {name!r} in state_dict")
        value = np.asarray(state[name])
        if value.shape != p.shape:
            raise ValueError(f"shape mismatch for {name!r}: the model has {p.shape}, state_dict has {value.shape}")
        values[name] = value
    for name, p in params.items():
        p.data[...] = values[name]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-state-dict", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
s = Stack()
s.first.scale.data[...] = [1.0, 2.0, 3.0]
sd = s.state_dict()
expect(list(sd), ["first.scale", "first.shift", "blocks.0.scale", "blocks.0.shift", "blocks.1.scale", "blocks.1.shift",
                  "gain"], "state_dict keys should be the parameter names, in order")
expect(type(sd["first.scale"]).__name__, "ndarray", "state_dict values should be ndarrays")
expect(sd["first.scale"], [1.0, 2.0, 3.0], "state_dict values should hold the parameter values")
s.first.scale.data[0] = 100.0
expect(sd["first.scale"], [1.0, 2.0, 3.0], "state_dict should hold copies: changing the model later must not change it")
target = Stack()
array_before = target.first.scale.data
target.load_state_dict(sd)
expect(target.first.scale.data, [1.0, 2.0, 3.0], "load_state_dict should copy the values into the parameters")
expect(array_before, [1.0, 2.0, 3.0],
       "load_state_dict should write into the existing arrays (p.data[...] = value), not replace them")
### BEGIN HIDDEN TESTS
expect([str(v.dtype) for v in Stack().state_dict().values()], ["float32"] * 7,
       "state_dict values should keep the float32 dtype")
_src = Stack()
_snap = _src.state_dict()
for _q in _src.parameters():
    _q.data[...] = -1.0
expect([float(v.ravel()[0]) for v in _snap.values()], [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 2.0],
       "state_dict values must be copies, not views of the parameters")
_src.first.shift.data[...] = [4.0, 5.0, 6.0]
_dst = Stack()
_dst_params = _dst.parameters()
_dst.load_state_dict({k: np.asarray(v, dtype=np.float64) for k, v in _src.state_dict().items()})
expect(str(_dst.first.shift.dtype), "float32", "loading float64 values should keep the parameters float32")
expect(_dst_params[1].data, [4.0, 5.0, 6.0],
       "load_state_dict must keep the same Parameter objects and write into them")
_dst.load_state_dict({k: Tensor(v) for k, v in _snap.items()})
expect(_dst.first.shift.data, [0.0, 0.0, 0.0], "load_state_dict should accept Tensor values")
_tied = Stack()
_tied.blocks[0].shift = _tied.first.shift
expect(list(_tied.state_dict()), ["first.scale", "first.shift", "blocks.0.scale", "blocks.1.scale", "blocks.1.shift",
                                  "gain"], "a shared parameter should appear once in state_dict, under its first name")
### END HIDDEN TESTS
print("✅ Step 4: state_dict and load_state_dict work")

# %% [markdown]
# The next test gives `load_state_dict` checkpoints that do not fit the model.

# %% nbgrader={"grade": true, "grade_id": "test-load-state-dict-checks", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
missing = Stack().state_dict()
del missing["blocks.1.shift"]
with expect_raises(KeyError, "a state_dict without the key 'blocks.1.shift' should raise KeyError"):
    Stack().load_state_dict(missing)
wrong_shape = Stack().state_dict()
wrong_shape["first.scale"] = np.full(3, 9.0)     # fits, and comes first
wrong_shape["blocks.0.shift"] = np.zeros(4)      # does not fit
victim = Stack()
with expect_raises(ValueError, "an entry of the wrong shape should raise ValueError"):
    victim.load_state_dict(wrong_shape)
expect(victim.first.scale.data, [1.0, 1.0, 1.0],
       "a failed load_state_dict must leave the model unchanged: check every key and shape before copying anything")
### BEGIN HIDDEN TESTS
_bad = Stack().state_dict()
_bad["extra.weight"] = np.zeros(2)
with expect_raises(KeyError, "an unexpected key should raise KeyError"):
    Stack().load_state_dict(_bad)
_messages = []
for _broken in ("missing", "unexpected", "shape"):
    _b = Stack().state_dict()
    if _broken == "missing":
        del _b["blocks.0.scale"]
    elif _broken == "unexpected":
        _b["head.bias"] = np.zeros(3)
    else:
        _b["gain"] = np.zeros(2)
    try:
        Stack().load_state_dict(_b)
        _messages.append("no error")
    except (KeyError, ValueError) as _e:
        _messages.append([_name for _name in ("blocks.0.scale", "head.bias", "gain") if _name in str(_e)])
expect(_messages, [["blocks.0.scale"], ["head.bias"], ["gain"]], "each error message should name the key at fault")
_victim = Stack()
_bad = _victim.state_dict()
_bad["first.scale"] = np.full(3, 9.0)
_bad["blocks.1.scale"] = np.full(3, 9.0)
_bad["unknown"] = np.zeros(1)
with expect_raises(KeyError, "an unexpected key should raise KeyError"):
    _victim.load_state_dict(_bad)
expect([_victim.first.scale.data, _victim.blocks[1].scale.data], [np.ones(3), np.ones(3)],
       "a load that fails on an unexpected key must leave the model unchanged")
### END HIDDEN TESTS
print("✅ Step 4: load_state_dict refuses checkpoints that do not fit, and changes nothing")

# %% [markdown]
# ## Step 5 · Initialisation: keeping the signal alive
#
# Before training, weights are random. *How* random matters a lot. Take one output of a linear
# layer, `y = x₁w₁ + x₂w₂ + ... + xₙwₙ`, with `n = fan_in` inputs. If the inputs and weights are
# independent with mean 0, the variances of the terms add up:
#
# ```
# Var(y) = fan_in · Var(w) · Var(x)
# ```
#
# With weights from N(0, 1) and `fan_in = 256`, every layer multiplies the variance by 256 (the
# standard deviation by 16). After 10 layers the activations are 16¹⁰ ≈ 10¹² times too large, and
# gradients explode just the same. With weights that are too small they vanish instead. Either
# way the network cannot learn. The cure is to choose `Var(w)` so that the factor is 1:
#
# | initialiser | designed for | keeps | variance of w | TinyTorch |
# |---|---|---|---|---|
# | Xavier / Glorot (2010) | tanh, sigmoid, no activation | forward and backward variance, as a compromise | 2 / (fan_in + fan_out) | `xavier_uniform` |
# | He / Kaiming (2015) | ReLU | forward variance, with ReLU halving it | 2 / fan_in | `he_normal` |
#
# - **Xavier.** The forward pass needs `Var(w) = 1/fan_in`; the backward pass (gradients flow
#   through Wᵀ) needs `1/fan_out`. Glorot and Bengio take the harmonic compromise
#   `2 / (fan_in + fan_out)`. A uniform distribution U(−a, a) has variance a²/3, so
#   `a = √(6 / (fan_in + fan_out))`.
# - **He.** ReLU sets half of its inputs to 0, which halves the signal's second moment in every
#   layer. He et al. double the variance to compensate: normal with `std = √(2 / fan_in)`.
#
# In PyTorch: `torch.nn.init.xavier_uniform_(w)` and `torch.nn.init.kaiming_normal_(w,
# nonlinearity="relu")`. (PyTorch's `nn.Linear` has its own default, a uniform He variant with
# smaller limits; TinyTorch's `Linear` defaults to Xavier.) The systems analysis below runs a
# 10-layer experiment to show the difference.
#
# **Your task.** Two functions returning a **float32 ndarray of shape `(fan_in, fan_out)`** (the
# shape of a TinyTorch weight). Draw the numbers from `rng`, a `np.random.Generator`; when `rng`
# is None create a fresh `np.random.default_rng()`. Passing the same seeded generator must give
# the same weights: that is what makes experiments reproducible.
#
# **Hints:** `rng.uniform(low, high, size=...)` and `rng.normal(mean, std, size=...)` return
# float64; convert with `.astype(np.float32)`.

# %% nbgrader={"grade": false, "grade_id": "init", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def xavier_uniform(fan_in, fan_out, rng=None):
    """float32 (fan_in, fan_out) array from U(-a, a), a = sqrt(6 / (fan_in + fan_out))."""
    ### BEGIN SOLUTION
    rng = np.random.default_rng() if rng is None else rng
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)
    ### END SOLUTION


def he_normal(fan_in, fan_out, rng=None):
    """float32 (fan_in, fan_out) array from N(0, std^2), std = sqrt(2 / fan_in)."""
    ### BEGIN SOLUTION
    rng = np.random.default_rng() if rng is None else rng
    std = np.sqrt(2.0 / fan_in)
    return rng.normal(0.0, std, size=(fan_in, fan_out)).astype(np.float32)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-init", "locked": true, "points": 9, "schema_version": 3, "solution": false, "task": false}
w = xavier_uniform(200, 300, rng=np.random.default_rng(0))
expect(type(w).__name__, "ndarray", "xavier_uniform should return an ndarray")
expect(w.shape, (200, 300), "xavier_uniform should return shape (fan_in, fan_out)")
expect(str(w.dtype), "float32", "xavier_uniform should return float32")
expect_close(float(np.abs(w).max()), 0.10954451,
             "Xavier weights should fill [-a, a] with a = sqrt(6 / (fan_in + fan_out)) ≈ 0.1095 for (200, 300)",
             rtol=0.01, atol=0)
expect_close(float(w.std()), 0.06324555, "Xavier weights should have std a / sqrt(3) ≈ 0.0632 for (200, 300)",
             rtol=0.03, atol=0)
h = he_normal(500, 200, rng=np.random.default_rng(1))
expect(h.shape, (500, 200), "he_normal should return shape (fan_in, fan_out)")
expect(str(h.dtype), "float32", "he_normal should return float32")
expect_close(float(h.std()), 0.06324555, "He weights should have std sqrt(2 / fan_in) ≈ 0.0632 for fan_in = 500",
             rtol=0.03, atol=0)
expect_close(float(h.mean()), 0.0, "He weights should have mean 0", rtol=0, atol=0.003)
expect(xavier_uniform(3, 4, rng=np.random.default_rng(5)) - xavier_uniform(3, 4, rng=np.random.default_rng(5)),
       np.zeros((3, 4)), "the same seeded generator should give the same Xavier weights (draw from rng)")
expect(he_normal(3, 4, rng=np.random.default_rng(5)) - he_normal(3, 4, rng=np.random.default_rng(5)),
       np.zeros((3, 4)), "the same seeded generator should give the same He weights (draw from rng)")
### BEGIN HIDDEN TESTS
expect_close(float(np.abs(xavier_uniform(30, 40, rng=np.random.default_rng(5))
                          - xavier_uniform(30, 40, rng=np.random.default_rng(6))).mean()), 0.19518,
             "different seeds should give different Xavier weights", rtol=0.15, atol=0)
expect_close(float(np.abs(he_normal(30, 40, rng=np.random.default_rng(5))
                          - he_normal(30, 40, rng=np.random.default_rng(6))).mean()), 0.29135,
             "different seeds should give different He weights", rtol=0.15, atol=0)
_g = np.random.default_rng(7)
expect_close(float(np.abs(xavier_uniform(30, 40, rng=_g) - xavier_uniform(30, 40, rng=_g)).mean()), 0.19518,
             "two Xavier draws from the same generator should differ (use the generator you are given)",
             rtol=0.15, atol=0)
expect_close(float(np.abs(he_normal(30, 40, rng=_g) - he_normal(30, 40, rng=_g)).mean()), 0.29135,
             "two He draws from the same generator should differ (use the generator you are given)", rtol=0.15, atol=0)
_n1, _n2 = xavier_uniform(30, 40), xavier_uniform(30, 40)
expect([_n1.shape, str(_n1.dtype)], [(30, 40), "float32"], "rng=None should still give a float32 (fan_in, fan_out) array")
expect_close(float(np.abs(_n1 - _n2).mean()), 0.19518, "with rng=None every Xavier call should draw new weights",
             rtol=0.15, atol=0)
_n3, _n4 = he_normal(30, 40), he_normal(30, 40)
expect([_n3.shape, str(_n3.dtype)], [(30, 40), "float32"], "rng=None should still give a float32 (fan_in, fan_out) array")
expect_close(float(np.abs(_n3 - _n4).mean()), 0.29135, "with rng=None every He call should draw new weights",
             rtol=0.15, atol=0)
expect([xavier_uniform(1, 1, rng=np.random.default_rng(0)).shape, he_normal(1, 1, rng=np.random.default_rng(0)).shape],
       [(1, 1), (1, 1)], "a (1, 1) weight should work")
_x = xavier_uniform(1000, 100, rng=np.random.default_rng(8))
expect_close([float(_x.max()), float(-_x.min())], [0.0738549, 0.0738549],
             "Xavier weights should fill the whole interval [-a, a], with a from fan_in + fan_out", rtol=0.01, atol=0)
expect_close(float(_x.mean()), 0.0, "Xavier weights should have mean 0", rtol=0, atol=0.003)
expect_close(float(xavier_uniform(100, 1000, rng=np.random.default_rng(9)).std()), 0.0426401,
             "Xavier's limit is symmetric in fan_in and fan_out", rtol=0.03, atol=0)
expect_close([float(he_normal(_fi, _fo, rng=np.random.default_rng(_fi)).std()) for _fi, _fo in ((100, 1000), (1000, 100), (64, 64))],
             [0.141421, 0.044721, 0.176777], "He's std depends on fan_in only: sqrt(2 / fan_in)", rtol=0.06, atol=0)
_h = he_normal(400, 500, rng=np.random.default_rng(10))
expect_close(float(np.mean(np.abs(_h) > 2 * np.sqrt(2 / 400))), 0.0455,
             "He weights should be normally distributed (about 4.6 % beyond 2 std)", rtol=0, atol=0.005)
### END HIDDEN TESTS
print("✅ Step 5: xavier_uniform and he_normal work")

# %% [markdown]
# ## Step 6 · Linear
#
# The workhorse layer, `torch.nn.Linear`. For a batch `x` of shape `(N, in_features)`:
#
# ```
#   x            @   weight                  +   bias            =   y
# (N, in)            (in, out)                   (out,)              (N, out)
#
# [x₁ x₂ x₃]     @   [w₁₁ w₁₂]               +   [b₁ b₂]         =   [x·w₁+b₁  x·w₂+b₂]
#                    [w₂₁ w₂₂]
#                    [w₃₁ w₃₂]
# ```
#
# Each output is a weighted sum of all inputs plus its own bias; the bias broadcasts over the
# batch. `Linear(in_features, out_features, bias=True, init="xavier", rng=None)`:
#
# - stores `in_features` and `out_features`;
# - `self.weight = Parameter(...)` of shape `(in_features, out_features)`, from `xavier_uniform`
#   (`init="xavier"`) or `he_normal` (`init="he"`), drawn with `rng`; any other `init` raises
#   `ValueError`;
# - `self.bias = Parameter` of zeros, shape `(out_features,)`, or `None` when `bias=False`.
#   Assign the weight before the bias, so the names come out as `"weight"`, `"bias"`.
#
# **`forward` must use Tensor operations**: `x @ self.weight + self.bias`, never
# `Tensor(x.data @ self.weight.data)`. The answer is the same today, but in module 05 your Tensor
# operations learn to record what they did so that gradients can flow back. A forward pass
# through `.data` is invisible to autograd: the layer would never learn. (If `x` is not a Tensor,
# wrap it with `Tensor(x)` first; a Tensor must be used as it is.) Input with more dimensions,
# like `(batch, seq, in_features)`, works too, because `@` broadcasts over leading dimensions.

# %% nbgrader={"grade": false, "grade_id": "linear", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Linear(Module):
    """y = x @ weight + bias, with weight (in_features, out_features). Like torch.nn.Linear (transposed weight)."""

    def __init__(self, in_features, out_features, bias=True, init="xavier", rng=None):
        """Store the sizes; weight: Parameter (in_features, out_features) from the `init` initialiser
        ("xavier" or "he", else ValueError) drawn with `rng`; bias: Parameter of zeros (out_features,) or None."""
        ### BEGIN SOLUTION
        initialisers = {"xavier": xavier_uniform, "he": he_normal}
        if init not in initialisers:
            raise ValueError(f"unknown init {init!r}: use 'xavier' or 'he'")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(initialisers[init](in_features, out_features, rng))
        self.bias = Parameter(np.zeros(out_features, dtype=np.float32)) if bias else None
        ### END SOLUTION

    def forward(self, x):
        """x @ weight (+ bias), with Tensor operations only. x: (..., in_features) -> (..., out_features)."""
        ### BEGIN SOLUTION
        x = x if isinstance(x, Tensor) else Tensor(x)
        out = x @ self.weight
        if self.bias is not None:
            out = out + self.bias
        return out
        ### END SOLUTION

    def __repr__(self):
        return f"Linear(in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None})"


# %% nbgrader={"grade": true, "grade_id": "test-linear", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
layer = Linear(3, 2, rng=np.random.default_rng(0))
expect([layer.in_features, layer.out_features], [3, 2], "Linear should store in_features and out_features")
expect([type(layer.weight).__name__, layer.weight.shape], ["Parameter", (3, 2)],
       "weight should be a Parameter of shape (in_features, out_features)")
expect([type(layer.bias).__name__, layer.bias.shape], ["Parameter", (2,)], "bias should be a Parameter of shape (out_features,)")
expect(layer.bias.data, [0.0, 0.0], "bias should start at zero")
expect([name for name, _ in layer.named_parameters()], ["weight", "bias"], "a Linear's parameters are named weight, bias")
layer.weight.data[...] = [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]   # known weights, so the output is known
layer.bias.data[...] = [0.5, -0.5]
x = Tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
y = layer(x)
expect(type(y).__name__, "Tensor", "Linear should return a Tensor")
expect_close(y.data, [[4.5, -1.5], [4.5, -5.5]], "Linear should compute x @ W + b", rtol=0, atol=1e-6)
no_bias = Linear(3, 2, bias=False)
expect([no_bias.bias, len(no_bias.parameters())], [None, 1], "with bias=False, bias is None and weight is the only parameter")
expect_close(no_bias(x).data - x.data @ no_bias.weight.data, np.zeros((2, 2)), "without bias, Linear computes x @ W",
             rtol=0, atol=1e-6)
seen = []


class RecordingTensor(Tensor):
    """A Tensor that notes when it is matrix-multiplied (with @ or .matmul)."""

    def __matmul__(self, other):
        seen.append("x @ W")
        return Tensor.__matmul__(self, other)

    def matmul(self, other):
        seen.append("x @ W")
        return Tensor.matmul(self, other)


layer(RecordingTensor([[1.0, 2.0, 3.0]]))
expect(sorted(set(seen)), ["x @ W"],
       "Linear.forward should compute x @ self.weight with Tensor operations on its input x, not on x.data")
### BEGIN HIDDEN TESTS
_l = Linear(784, 256, rng=np.random.default_rng(1))
expect([str(_l.weight.dtype), str(_l.bias.dtype)], ["float32", "float32"], "weight and bias should be float32")
expect_close([float(np.abs(_l.weight.data).max()), float(_l.weight.data.std())], [0.0759555, 0.0438529],
             "the default init should be xavier_uniform", rtol=0.03, atol=0)
_lh = Linear(784, 256, init="he", rng=np.random.default_rng(2))
expect_close(float(_lh.weight.data.std()), 0.0505076, "init='he' should use he_normal", rtol=0.03, atol=0)
with expect_raises(ValueError, "an unknown init should raise ValueError"):
    Linear(3, 2, init="zeros")
expect(Linear(5, 4, rng=np.random.default_rng(3)).weight.data - Linear(5, 4, rng=np.random.default_rng(3)).weight.data,
       np.zeros((5, 4)), "the same seeded rng should give the same weights")
_g = np.random.default_rng(4)
expect_close(float(np.abs(Linear(50, 40, rng=_g).weight.data - Linear(50, 40, rng=_g).weight.data).mean()), 0.172133,
             "layers built from one generator should get different weights", rtol=0.15, atol=0)
expect([layer.num_parameters(), _l.num_parameters()], [8, 784 * 256 + 256], "num_parameters of a Linear is in*out + out")
_x3 = Tensor(np.random.default_rng(5).standard_normal((2, 5, 3)))
_y3 = layer(_x3)
expect(_y3.shape, (2, 5, 2), "Linear should map (batch, seq, in) to (batch, seq, out)")
expect_close(_y3.data, np.random.default_rng(5).standard_normal((2, 5, 3)) @ np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
             + np.array([0.5, -0.5]), "Linear should work on (batch, seq, in) inputs", rtol=1e-5, atol=1e-5)
expect(_x3.data, np.random.default_rng(5).standard_normal((2, 5, 3)).astype(np.float32), "Linear must not modify its input")
expect_close(layer(Tensor([1.0, 0.0, 2.0])).data, [3.5, -2.5], "Linear should map a single (in,) vector to (out,)",
             rtol=0, atol=1e-6)
expect_close(layer(np.array([[1.0, 2.0, 3.0]])).data, [[4.5, -1.5]], "Linear should accept an ndarray input",
             rtol=0, atol=1e-6)
expect(str(layer(x).dtype), "float32", "Linear should give float32 output")
_lz = Linear(3, 2, rng=np.random.default_rng(6))
_lz(x)
_lz.weight.data[...] = 0.0
_lz.bias.data[...] = [0.5, -0.5]
expect_close(_lz(x).data, [[0.5, -0.5], [0.5, -0.5]], "forward should use the current weights (no cached copy)",
             rtol=0, atol=0)
### END HIDDEN TESTS
print("✅ Step 6: Linear works")

# %% [markdown]
# ## Step 7 · Sequential
#
# `Sequential(*modules)` chains modules: `Sequential(a, b, c)(x)` is `c(b(a(x)))`. Its members
# can be any callables: layers from this module, other Sequentials, and the activations of
# module 02 (which are not Modules and have no parameters, so `parameters()` skips them).
#
# **Naming.** Store member `i` as an attribute named `str(i)`, with `setattr(self, str(i), module)`,
# exactly as `torch.nn.Sequential` does. Then Step 2's walk names the parameters `"0.weight"`,
# `"2.bias"`, and `train()`/`eval()` reach every member without any extra code.
#
# Also implement `len(model)` (the number of members) and `model[i]` (member `i`; negative `i`
# counts from the end; an out-of-range `i` raises `IndexError`). Hint: `range(len(self))[i]`
# turns a possibly negative index into a valid one, or raises `IndexError`. An empty
# `Sequential()` returns its input unchanged.

# %% nbgrader={"grade": false, "grade_id": "sequential", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Sequential(Module):
    """Chain of modules applied in order. Like torch.nn.Sequential."""

    def __init__(self, *modules):
        """Store member i as the attribute str(i)."""
        ### BEGIN SOLUTION
        for i, module in enumerate(modules):
            setattr(self, str(i), module)
        ### END SOLUTION

    def __len__(self):
        """The number of members."""
        ### BEGIN SOLUTION
        return sum(1 for key in vars(self) if key.isdigit())
        ### END SOLUTION

    def __getitem__(self, index):
        """Member `index` (negative counts from the end); IndexError when out of range."""
        ### BEGIN SOLUTION
        return getattr(self, str(range(len(self))[index]))
        ### END SOLUTION

    def forward(self, x):
        """Apply the members in order: the output of one is the input of the next."""
        ### BEGIN SOLUTION
        for i in range(len(self)):
            x = self[i](x)
        return x
        ### END SOLUTION

    def __repr__(self):
        lines = [f"  ({i}): {self[i]!r}" for i in range(len(self))]
        return "Sequential(\n" + "\n".join(lines) + "\n)" if lines else "Sequential()"


# %% nbgrader={"grade": true, "grade_id": "test-sequential", "locked": true, "points": 9, "schema_version": 3, "solution": false, "task": false}
from tinytorch.activations import ReLU

rng = np.random.default_rng(0)
model = Sequential(Linear(4, 8, rng=rng), ReLU(), Linear(8, 2, rng=rng))
expect(len(model), 3, "len(model) should be the number of members")
expect([type(model[0]).__name__, type(model[1]).__name__, type(model[2]).__name__], ["Linear", "ReLU", "Linear"],
       "model[i] should return member i")
x = Tensor(np.random.default_rng(1).standard_normal((5, 4)))
W0, b0, W1, b1 = model[0].weight.data, model[0].bias.data, model[2].weight.data, model[2].bias.data
expect_close(model(x).data - (np.maximum(x.data @ W0 + b0, 0) @ W1 + b1), np.zeros((5, 2)),
             "Sequential should apply its members in order: Linear, then ReLU, then Linear", rtol=0, atol=1e-5)
expect([name for name, _ in model.named_parameters()], ["0.weight", "0.bias", "2.weight", "2.bias"],
       "the parameters of member i should be named 'i.weight', 'i.bias'")
### BEGIN HIDDEN TESTS
expect([model[-1].in_features, model[-3].in_features], [8, 4], "negative indices should count from the end")
with expect_raises(IndexError, "model[3] of a 3-member Sequential should raise IndexError"):
    model[3]
with expect_raises(IndexError, "model[-4] of a 3-member Sequential should raise IndexError"):
    model[-4]
_e = Sequential()
expect([len(_e), _e.parameters()], [0, []], "an empty Sequential has no members and no parameters")
expect(_e(x).data, x.data, "an empty Sequential should return its input unchanged")
_inner = Sequential(Linear(8, 8, rng=rng), ReLU())
_nested = Sequential(Linear(4, 8, rng=rng), _inner, Linear(8, 3, bias=False, rng=rng))
expect([n for n, _ in _nested.named_parameters()], ["0.weight", "0.bias", "1.0.weight", "1.0.bias", "2.weight"],
       "nested Sequentials should give names like '1.0.weight'")
expect(_nested.num_parameters(), 4 * 8 + 8 + 8 * 8 + 8 + 8 * 3, "num_parameters should count every member's parameters")
expect(_nested(x).shape, (5, 3), "a nested Sequential should chain all the way through")
_nested.eval()
expect([_nested[1].training, _nested[1][0].training, _nested[2].training], [False, False, False],
       "eval() should reach the members of a (nested) Sequential")
_fn = Sequential(lambda t: t * 2, lambda t: t + 1)
expect(_fn(Tensor([1.0, 2.0])).data, [3.0, 5.0], "any callable should be a valid member, applied in order")
expect(list(model.state_dict()), ["0.weight", "0.bias", "2.weight", "2.bias"],
       "state_dict of a Sequential should use its parameter names")
_one = Sequential(Linear(4, 2, rng=rng))
expect([len(_one), _one[0].out_features, _one[-1].out_features], [1, 2, 2], "a one-member Sequential should work")
### END HIDDEN TESTS
print("✅ Step 7: Sequential works")

# %% [markdown]
# ## Step 8 · Dropout
#
# Dropout (Srivastava et al., 2014) fights overfitting: during training it sets each element to
# 0 with probability `p`, so the network cannot rely on any single unit. At evaluation time all
# units are used.
#
# There is one catch. If training keeps a fraction `1 − p` of the units, a unit downstream sees
# on average only `(1 − p)` times its usual input, and at evaluation time it suddenly gets the full
# amount. **Inverted dropout** (what `torch.nn.Dropout` does) fixes this during training: it
# scales the units it keeps by `1 / (1 − p)`, so the expected value is unchanged and evaluation
# needs no correction at all:
#
# ```
# p = 0.5        x    = [ 1.0   2.0   3.0   4.0 ]
#                mask = [ 1     0     0     1   ]       keep with probability 1 - p
# training:      y    = x * mask / (1 - p) = [ 2.0   0.0   0.0   8.0 ]
# evaluation:    y    = x                               (identity, no randomness)
# ```
#
# `Dropout(p=0.5, rng=None)`:
#
# - `p` must be in [0, 1); anything else raises `ValueError` (p = 1 would divide by zero);
# - store the generator as `self.rng` (a fresh `np.random.default_rng()` when `rng` is None); draw
#   a **new** mask from it at every forward call;
# - in evaluation mode (`self.training` is False) or when `p == 0`, return `x` itself;
# - in training mode return `x * Tensor(mask)` with the mask already scaled by `1 / (1 − p)`:
#   a Tensor operation, for the same reason as in Linear.
#
# **Hint:** `self.rng.random(x.shape) >= self.p` is True with probability `1 − p`.

# %% nbgrader={"grade": false, "grade_id": "dropout", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Dropout(Module):
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p) in training; identity in eval."""

    def __init__(self, p=0.5, rng=None):
        """Check 0 <= p < 1 (else ValueError); store self.p and the generator self.rng."""
        ### BEGIN SOLUTION
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self.rng = np.random.default_rng() if rng is None else rng
        ### END SOLUTION

    def forward(self, x):
        """Training: x * Tensor(mask / (1 - p)) with a new random mask; evaluation or p == 0: x itself."""
        ### BEGIN SOLUTION
        if not self.training or self.p == 0:
            return x
        x = x if isinstance(x, Tensor) else Tensor(x)
        mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        return x * Tensor(mask.astype(np.float32))
        ### END SOLUTION

    def __repr__(self):
        return f"Dropout(p={self.p})"


# %% nbgrader={"grade": true, "grade_id": "test-dropout", "locked": true, "points": 9, "schema_version": 3, "solution": false, "task": false}
drop = Dropout(0.25, rng=np.random.default_rng(0))
x = Tensor(np.ones(4000))
y = drop(x)
expect([type(y).__name__, y.shape], ["Tensor", (4000,)], "Dropout should return a Tensor of the same shape")
expect_close(np.unique(y.data), [0.0, 1.3333334],
             "with p = 0.25 every element should become 0 or be scaled by 1 / (1 - p) = 4/3", rtol=1e-6, atol=0)
expect_close(float(np.mean(y.data == 0)), 0.25, "about a quarter of the elements should be dropped with p = 0.25",
             rtol=0, atol=0.03)
drop.eval()
expect(drop(x).data, np.ones(4000), "in evaluation mode Dropout should be the identity")
seen = []


class RecordingTensor(Tensor):
    """A Tensor that notes when it is multiplied."""

    def __mul__(self, other):
        seen.append("x * mask")
        return Tensor.__mul__(self, other)

    def __rmul__(self, other):
        seen.append("x * mask")
        return Tensor.__rmul__(self, other)


Dropout(0.5, rng=np.random.default_rng(1))(RecordingTensor(np.ones(10, dtype=np.float32)))
expect(sorted(set(seen)), ["x * mask"], "Dropout should multiply with a Tensor operation, x * Tensor(mask), not on x.data")
### BEGIN HIDDEN TESTS
_x = Tensor(np.random.default_rng(11).uniform(1.0, 2.0, size=(400, 250)))
_d = Dropout(0.2, rng=np.random.default_rng(12))
expect(_d.training, True, "Dropout should be in training mode by default")
_y = _d(_x)
expect(_x.data, np.random.default_rng(11).uniform(1.0, 2.0, size=(400, 250)).astype(np.float32),
       "Dropout must not modify its input")
expect([str(_y.dtype), _y.shape], ["float32", (400, 250)], "Dropout should keep float32 and the shape")
_kept = _y.data != 0
expect_close(float(1 - _kept.mean()), 0.2, "the fraction of dropped elements should be about p", rtol=0, atol=0.01)
expect_close(float(np.abs(_y.data[_kept] / _x.data[_kept] - 1.25).max()), 0.0,
             "kept elements should be scaled by 1 / (1 - p)", rtol=0, atol=1e-5)
expect_close(float(_y.data.mean()), float(_x.data.mean()), "inverted dropout should preserve the mean", rtol=0.01, atol=0)
expect_close(float(np.mean(_d(_x).data != _y.data)), 0.32, "every forward call should draw a new mask",
             rtol=0, atol=0.02)
expect(Dropout(0.3, rng=np.random.default_rng(13))(_x).data - Dropout(0.3, rng=np.random.default_rng(13))(_x).data,
       np.zeros((400, 250)), "the same seeded rng should give the same mask (draw from self.rng)")
expect_close(float(np.mean(Dropout(0.3)(_x).data == 0)), 0.3, "without rng Dropout should still drop about p",
             rtol=0, atol=0.01)
expect(Dropout(0.0, rng=np.random.default_rng(0))(_x).data, _x.data, "p = 0 should be the identity")
_ev = Dropout(0.9, rng=np.random.default_rng(0)).eval()
_ev(_x).data[0, 0] = -7.0
expect(float(_x.data[0, 0]), -7.0, "in evaluation mode Dropout should return x itself")
for _p in (1.0, -0.1, 1.5):
    with expect_raises(ValueError, "p outside [0, 1) should raise ValueError"):
        Dropout(_p)
_seq = Sequential(Dropout(0.5, rng=np.random.default_rng(15)))
_seq.eval()
expect(_seq(_x).data, _x.data, "model.eval() should switch off a Dropout inside a Sequential")
_seq.train()
expect_close(float(np.mean(_seq(_x).data == 0)), 0.5, "model.train() should switch a Dropout inside a Sequential back on",
             rtol=0, atol=0.01)
### END HIDDEN TESTS
print("✅ Step 8: Dropout works")

# %% [markdown]
# ## Systems analysis
#
# Your layers work. Now measure them: how initialisation decides whether a signal survives ten
# layers, how much memory a model's parameters take, and what a forward pass costs. Nothing
# below is graded by its numbers (they depend on the machine); the reflection questions ask you
# to interpret them.
#
# ### 1. Initialisation: the signal through 10 layers
#
# We push a batch of 512 standard-normal inputs through 10 layers of width 256 and record the
# standard deviation of the activations after each layer, for three initialisations: naive
# N(0, 1) weights (set by hand), Xavier, and He, with ReLU between the layers (left) and with
# Tanh (right).

# %% nbgrader={"grade": false, "grade_id": "analysis-init", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
from tinytorch.activations import ReLU, Tanh
from tinytorch_runtime.timing import gflops, measure


def activation_stds(init, activation, depth=10, width=256, batch=512, seed=0):
    """Std of the activations after each of `depth` Linear+activation layers."""
    rng = np.random.default_rng(seed)
    h = Tensor(rng.standard_normal((batch, width)))
    stds = []
    for _ in range(depth):
        layer = Linear(width, width, init="he" if init == "he" else "xavier", rng=rng)
        if init == "naive N(0, 1)":
            layer.weight.data[...] = rng.standard_normal((width, width))
        h = activation(layer(h))
        stds.append(float(h.data.std()))
    return stds, h


inits = ["naive N(0, 1)", "xavier", "he"]
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, activation in zip(axes, [ReLU(), Tanh()]):
    name = type(activation).__name__
    for init in inits:
        stds, h = activation_stds(init, activation)
        ax.semilogy(range(1, 11), stds, "o-", label=init)
        saturated = f", {np.mean(np.abs(h.data) > 0.99):.0%} saturated" if name == "Tanh" else ""
        print(f"{name:<5} {init:<14}: std after layer 1 = {stds[0]:10.3g}, after layer 10 = {stds[-1]:10.3g}{saturated}")
    ax.set_title(f"{name} between layers")
    ax.set_xlabel("layer")
    ax.set_ylabel("std of activations (log scale)")
    ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# With ReLU, naive N(0, 1) weights multiply the scale by about √(256 / 2) ≈ 11 per layer: after 10
# layers the numbers are around 10¹⁰. Xavier (designed for tanh) loses a factor of about √2 per
# layer to ReLU, so the signal fades towards 0. He keeps it at a steady scale: its factor 2 is
# exactly ReLU's halving. With Tanh, the naive network cannot explode (tanh is bounded) but
# almost every unit is **saturated** at ±1, where tanh's slope is about 0: no gradient gets
# through. Xavier keeps tanh units in their useful range: the std shrinks slowly (tanh's slope is
# below 1 away from 0), but no unit saturates. Gradients flowing backwards are multiplied by the
# same weights, so they explode or vanish the same way.
#
# ### 2. Parameter memory
#
# A parameter costs its number of elements times the bytes per element. Here is the classic
# MNIST MLP 784 → 256 → 128 → 10, built with your classes, in float32 and float64. During training
# with Adam (module 06) each parameter also has a gradient and two optimiser values: four copies.

# %% nbgrader={"grade": false, "grade_id": "analysis-memory", "locked": true, "schema_version": 3, "solution": false, "task": false}
mlp = Sequential(Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10))
print(f"{'parameter':<10}{'shape':>12}{'elements':>10}{'float32 bytes':>15}{'float64 bytes':>15}")
for name, p in mlp.named_parameters():
    print(f"{name:<10}{str(p.shape):>12}{p.size:>10,}{p.nbytes:>15,}{p.size * 8:>15,}")
n_params = mlp.num_parameters()
bytes32 = sum(p.nbytes for p in mlp.parameters())
bytes64 = sum(v.astype(np.float64).nbytes for v in mlp.state_dict().values())
print(f"{'total':<22}{n_params:>10,}{bytes32:>15,}{bytes64:>15,}")
print(f"float32: {bytes32 / 2**20:.2f} MiB of weights; training with Adam (weights + grads + 2 moments): "
      f"{4 * bytes32 / 2**20:.2f} MiB")
print(f"the first layer holds {mlp[0].num_parameters() / n_params:.0%} of all parameters")

# %% [markdown]
# The first layer dominates: a Linear layer's parameter count is `in · out + out`, so the widest
# input pays the most. For comparison, GPT-2 small has 124 million parameters: 0.5 GB in float32
# and about 2 GB of training state with Adam, before a single activation is stored.
#
# The next cell checks the facts behind this table. It is graded; it passes if your layers are right.

# %% nbgrader={"grade": true, "grade_id": "test-memory-facts", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
facts = Sequential(Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10))
expect(facts.num_parameters(), 235_146, "784-256-128-10 has 784*256+256 + 256*128+128 + 128*10+10 parameters")
expect(sum(p.nbytes for p in facts.parameters()), 940_584, "in float32 each parameter takes 4 bytes")
### BEGIN HIDDEN TESTS
expect(sum(v.astype(np.float64).nbytes for v in facts.state_dict().values()), 1_881_168,
       "in float64 each parameter takes 8 bytes")
expect(Sequential(Linear(784, 256, bias=False)).num_parameters(), 200_704, "without bias a Linear has in*out parameters")
expect(len(facts.state_dict()), 6, "three Linear layers have six parameter tensors")
### END HIDDEN TESTS
print("✅ parameter memory facts check out")

# %% [markdown]
# ### 3. Compute: FLOPs and time of a Linear forward
#
# `x @ W` for `x` of shape `(N, in)` and `W` of shape `(in, out)` computes `N · out` dot products of
# length `in`: `N · in · out` multiplications and as many additions, so **2 · N · in · out FLOPs**
# (floating-point operations). The bias adds only `N · out`. So a forward pass costs about twice the
# number of weights per example.
#
# Below we time `Linear(784, 256)` for growing batch sizes. If time were just FLOPs divided by a
# fixed speed, the time per example would be constant. It is not: a small batch spends most of its
# time on fixed overheads (Python calls, allocating the output, reading all 800 KB of weights from
# memory), which a large batch shares across many examples.
#
# `measure` (from the course runtime) runs each forward several times after a warm-up, with
# NumPy's BLAS on one thread, and reports the median and the interquartile range (IQR). On the
# course server, with other users' work running on the same two cores, we measured 90–115 µs per
# example at batch 1 and 20–28 µs per example at batch 1024 (14–21 GFLOP/s): 3–6× less per
# example. Your numbers will differ; compare the shapes of the curves.

# %% nbgrader={"grade": false, "grade_id": "analysis-timing", "locked": true, "schema_version": 3, "solution": false, "task": false}
def linear_flops(batch, in_features, out_features):
    """FLOPs of x @ W for x (batch, in_features): one multiply and one add per weight per example."""
    return 2 * batch * in_features * out_features


rng = np.random.default_rng(0)
layer = Linear(784, 256, rng=rng)
batches = [1, 4, 16, 64, 256, 1024]
seconds = []
print(f"{'batch':>6}{'MFLOP':>9}{'median (ms)':>13}{'IQR (ms)':>16}{'µs/example':>12}{'GFLOP/s':>9}")
for n in batches:
    x = Tensor(rng.standard_normal((n, 784)))
    t = measure(layer, x, repeats=7)
    seconds.append(t.median)
    flops = linear_flops(n, 784, 256)
    print(f"{n:>6}{flops / 1e6:>9.2f}{t.median * 1e3:>13.3f}{f'{t.q1 * 1e3:.3f}-{t.q3 * 1e3:.3f}':>16}"
          f"{t.median * 1e6 / n:>12.2f}{gflops(flops, t):>9.1f}")

fig, (ax_t, ax_e) = plt.subplots(1, 2, figsize=(11, 4))
ax_t.loglog(batches, seconds, "o-", label="measured")
ax_t.loglog(batches, [seconds[-1] * n / batches[-1] for n in batches], "--", color="gray", label="∝ batch (FLOPs)")
ax_t.set_xlabel("batch size N")
ax_t.set_ylabel("seconds per forward")
ax_t.set_title("Linear(784, 256) forward time")
ax_t.legend()
ax_e.semilogx(batches, [s * 1e6 / n for s, n in zip(seconds, batches)], "o-", color="tab:green")
ax_e.set_xlabel("batch size N")
ax_e.set_ylabel("µs per example")
ax_e.set_title("time per example")
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the plots: for small batches the time hardly grows with N (overhead-bound), so the time per
# example falls steeply; for large batches the time follows the FLOPs line and the time per
# example levels off at what the arithmetic costs. This is one reason training uses batches, and
# why serving a model one request at a time wastes hardware.

# %% [markdown]
# ## Integration test
#
# Everything together: an MLP with dropout, built from your classes and module 02's activations;
# its forward pass against NumPy; training and evaluation modes; and a checkpoint round trip
# through `state_dict` into a freshly built model.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 9, "schema_version": 3, "solution": false, "task": false}
from tinytorch.activations import ReLU

rng = np.random.default_rng(3)
model = Sequential(Linear(4, 16, init="he", rng=rng), ReLU(), Dropout(0.5, rng=rng), Linear(16, 3, rng=rng))
x = Tensor(np.random.default_rng(4).standard_normal((8, 4)))
expect([n for n, _ in model.named_parameters()], ["0.weight", "0.bias", "3.weight", "3.bias"],
       "the MLP's parameters should be named by member index")
model.eval()
out = model(x)
W0, b0, W1, b1 = (p.data for p in model.parameters())
expect_close(out.data - (np.maximum(x.data @ W0 + b0, 0) @ W1 + b1), np.zeros((8, 3)),
             "in eval mode the MLP should compute ReLU(x W0 + b0) W1 + b1", rtol=0, atol=1e-5)
expect(model(x).data - out.data, np.zeros((8, 3)), "in eval mode the output should be deterministic")
model.train()
expect_close(float(np.mean(model(x).data != model(x).data)), 1.0,
             "in training mode dropout should make (almost) every output differ between two calls", rtol=0, atol=0.3)
clone = Sequential(Linear(4, 16, rng=np.random.default_rng(99)), ReLU(), Dropout(0.5), Linear(16, 3))
clone.load_state_dict(model.state_dict())
expect_close(clone.eval()(x).data - out.data, np.zeros((8, 3)),
             "a model loaded from a state_dict should compute the same outputs", rtol=0, atol=1e-6)
### BEGIN HIDDEN TESTS
class _MLP(Module):
    def __init__(self, sizes, rng):
        self.layers = [Linear(a, b, init="he", rng=rng) for a, b in zip(sizes[:-1], sizes[1:])]
        self.act = ReLU()
        self.drop = Dropout(0.25, rng=rng)

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.drop(self.act(layer(x)))
        return self.layers[-1](x)


_m = _MLP([6, 12, 12, 2], np.random.default_rng(4))
expect([n for n, _ in _m.named_parameters()], ["layers.0.weight", "layers.0.bias", "layers.1.weight",
                                               "layers.1.bias", "layers.2.weight", "layers.2.bias"],
       "a custom Module holding a list of Linears should name them 'layers.i.weight'")
expect(_m.num_parameters(), 6 * 12 + 12 + 12 * 12 + 12 + 12 * 2 + 2, "num_parameters of a custom MLP")
_xi = Tensor(np.random.default_rng(5).standard_normal((7, 6)))
_m.eval()
_out = _m(_xi)
_ref = _xi.data
for _layer in _m.layers[:-1]:
    _ref = np.maximum(_ref @ _layer.weight.data + _layer.bias.data, 0)
expect_close(_out.data - (_ref @ _m.layers[-1].weight.data + _m.layers[-1].bias.data), np.zeros((7, 2)),
             "a custom MLP in eval mode should match the NumPy computation", rtol=0, atol=1e-5)
expect(str(_out.dtype), "float32", "a custom MLP should compute in float32")
expect([_m.drop.training, _m.layers[1].training], [False, False], "eval() should reach every layer of a custom Module")
_m.train()
expect_close(float(np.mean(_m(_xi).data != _m(_xi).data)), 1.0, "train() should switch dropout back on in a custom Module",
             rtol=0, atol=0.3)
for _q in _m.parameters():
    _q.grad = Tensor(np.ones(_q.shape))
_m.zero_grad()
expect([_q.grad for _q in _m.parameters()], [None] * 6, "zero_grad() should clear a custom MLP's gradients")
_sd = _m.state_dict()
_m2 = _MLP([6, 12, 12, 2], np.random.default_rng(6))
_m2.load_state_dict(_sd)
_m.eval(), _m2.eval()
expect(_m(_xi).data - _m2(_xi).data, np.zeros((7, 2)), "a state_dict round trip should reproduce the outputs exactly")
with expect_raises(ValueError, "loading a state_dict into a model with other layer sizes should raise ValueError"):
    _MLP([6, 10, 12, 2], np.random.default_rng(7)).load_state_dict(_sd)
expect(list(Sequential(Linear(6, 5, bias=False, rng=rng), ReLU()).state_dict()), ["0.weight"],
       "a Linear without bias has no bias entry in the state_dict")
_seq3 = Sequential(Linear(3, 3, rng=rng), ReLU())
_seq3.eval()
expect(_seq3(Tensor(np.zeros((2, 5, 3)))).data, np.zeros((2, 5, 3)), "a Sequential should handle (batch, seq, features) inputs")
### END HIDDEN TESTS
print("✅ Integration: the layers work together")

# %% [markdown]
# ## Reflection questions
#
# Answer in a few sentences each, in your own words. Use numbers from *your* measurements above
# where a question asks for them. These answers are graded by the course staff.

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-init-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question 1 (6 points): initialisation.**
#
# (a) Report the activation std after layer 10 for naive N(0, 1), Xavier and He initialisation
# with ReLU, from your experiment. Using `Var(y) = fan_in · Var(w) · Var(x)`, explain the
# per-layer growth factor of the naive network (width 256).
# (b) Why does He use `2 / fan_in` where the forward-pass argument alone gives `1 / fan_in`? Why
# does Xavier fade with ReLU, but work with Tanh?
# (c) The experiment only looks at the forward pass. What happens to the *gradients* of the early
# layers of the naive network during training, and why?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-init", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Typical numbers: naive ≈ 10¹⁰ (it grows by ≈ 11× per layer),
# Xavier ≈ 0.02–0.05 (shrinks by ≈ √2 per layer), He ≈ 0.5–1.5 (stays roughly constant). With
# Var(w) = 1 and fan_in = 256, the pre-activation variance is 256 · E[x²]; ReLU keeps half the
# second moment, so the second moment grows ≈ 128× per layer, the std ≈ √128 ≈ 11.3× per layer
# (≈ 16× without the ReLU).
# (b) ReLU zeroes the negative half of a zero-mean input, so E[relu(z)²] = Var(z) / 2: each layer
# halves the signal, and the factor 2 cancels that. Xavier has Var(w) ≈ 1/fan_in for a square layer,
# so with ReLU every layer loses that factor 2 (std × 1/√2 per layer, ≈ 1/32 after 10 layers).
# Tanh is ≈ identity near 0 (slope 1) and symmetric, so it does not halve the signal: Xavier's
# factor ≈ 1 keeps units in the near-linear range instead of saturating (the std shrinks only
# slowly, because tanh's slope drops below 1 away from 0).
# (c) Backpropagation multiplies the gradient by Wᵀ (and the activation's slope) at every layer,
# so with naive weights the gradients of the first layers explode (ReLU: ≈ 11× per layer) and
# training diverges or produces nan/inf; with saturated tanh the slopes are ≈ 0 and the gradients
# vanish instead, so the early layers stop learning.
# Grading: (a) 2 points (own numbers + the 256/128 factor argument), (b) 2 points (ReLU halves
# the variance; Xavier works for tanh because it is linear near 0), (c) 2 points (gradients
# explode/vanish through the same weights).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-cost-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question 2 (5 points): memory and compute.**
#
# (a) How many bytes do the parameters of the 784 → 256 → 128 → 10 MLP take in float32 and in
# float64, and how much memory does training it with Adam need for parameter state? Which layer
# dominates, and why?
# (b) How many FLOPs does one forward pass of this MLP take for a batch of 64 (ignore biases and
# activations)? From your timing plot: how did the time *per example* change between batch 1 and
# batch 1024, and why?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-cost", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) 235,146 parameters: 940,584 bytes (≈ 0.9 MiB) in float32,
# 1,881,168 bytes (≈ 1.8 MiB) in float64. Adam keeps weight, gradient and two moments: 4 × 940,584
# ≈ 3.76 MB (≈ 3.6 MiB) in float32. The first layer holds 200,960 of them (≈ 85 %), because a
# Linear layer has in · out + out parameters and 784 is by far the widest input.
# (b) 2 · 64 · (784 · 256 + 256 · 128 + 128 · 10) = 2 · 64 · 234,752 ≈ 30.0 MFLOP.
# The time per example falls from batch 1 to large batches (3–6× on the course server): a small
# batch is dominated by fixed costs per call (Python overhead, allocation, reading the 800 KB
# weight matrix from memory for only a few examples), which a large batch amortises; at large
# batches the matmul is compute-bound and the time grows ∝ N, so the per-example time levels off.
# The student should quote their own numbers.
# Grading: (a) 3 points (bytes for both dtypes, ×4 for Adam, first layer with reason), (b) 2 points
# (≈ 30 MFLOP, per-example time falls because of amortised fixed costs / weight reuse).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-design-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question 3 (5 points): modes and checkpoints.**
#
# (a) You evaluate a model with dropout p = 0.5 but forget to call `model.eval()`. What goes wrong
# with the predictions? Why does *inverted* dropout scale by 1/(1 − p) during training instead of
# scaling by (1 − p) at evaluation time?
# (b) Why does `load_state_dict` copy values in place (`p.data[...] = value`) and check every key
# and shape before copying anything? Describe a bug that each of these two rules prevents.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-design", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Predictions become random: each call drops a different half
# of the units (and doubles the rest), so the same input gives different outputs, accuracy drops
# and results are not reproducible. Inverted dropout puts the correction in training, so the
# expected activation is the same in both modes and evaluation/inference is the plain network:
# no extra multiply, no need for the deployed model to know p, and a layer that is switched off
# (p = 0 or eval) is exactly the identity.
# (b) In place: an optimiser holds references to the Parameter objects (and their arrays);
# replacing them (or `p.data = new_array`) would leave the optimiser updating the old arrays, so
# training silently stops changing the model (also any views/tied weights would break; dtype stays
# float32). Check first: loading a checkpoint of a different architecture would otherwise copy
# some layers and crash in the middle, leaving a half-old, half-new model that may still run and
# produce wrong results without any error.
# Grading: (a) 2 points (random outputs + reason for scaling at train time), (b) 3 points
# (optimiser references / identity of parameters; partial-load corruption).
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes your `#| export` cells to
# `tinytorch/layers.py`, so that later modules can `from tinytorch.layers import Linear`, and
# checks that the file imports cleanly.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("03_layers");
