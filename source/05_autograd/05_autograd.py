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
# # Module 05 · Autograd
#
# Training a network means nudging every weight in the direction that lowers the loss, and that
# direction is the **gradient**: ∂loss/∂w for every weight w. A 784 → 256 → 10 MNIST classifier
# has about 200,000 weights. Deriving 200,000 formulas by hand is out of the question, and
# estimating each one numerically would need 200,000 extra forward passes per step.
#
# **Automatic differentiation** gets all of them in one backward pass that costs about as much as
# one to two forward passes. In this module you build it for TinyTorch. Afterwards this works with your own
# `Tensor`, your activations from module 02, and (unchanged) the layers and losses of modules 03
# and 04:
#
# ```python
# W = Tensor(rng.standard_normal((784, 10))).requires_grad_()
# loss = ((x @ W).exp().sum(axis=1).log() - (x @ W)[np.arange(N), y]).mean()
# loss.backward()
# W.grad            # ∂loss/∂W, same shape and dtype as W
# ```
#
# This is the most important module of the course: every later module trains something with it.
#
# **Expected time:** 6–8 hours. **Difficulty:** ★★★★☆, the hardest of the foundation modules
# (graph bookkeeping in Steps 2-3, then one backward formula after another; `gradcheck` from Step 6
# on tells you at once whether each formula is right).

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# PyTorch records a **computational graph** while your code runs. Every operation on a tensor
# that `requires_grad` creates a small node that remembers which function was applied, to what,
# and whatever that function will need to differentiate itself later:
#
# ```python
# import torch
# x = torch.tensor([2.0, 3.0], requires_grad=True)     # a leaf: you created it
# y = (x * x).sum()                                      # y.grad_fn is a <SumBackward0>
# y.grad_fn.next_functions                               # ((<MulBackward0>, 0),)
# y.backward()                                           # walk the graph backwards
# x.grad                                                 # tensor([4., 6.]) = 2x
# ```
#
# `y.backward()` visits the nodes in **reverse topological order** (every node after all the nodes
# that used its output) and applies the **chain rule** at each one: it multiplies the gradient
# arriving from above by the node's local derivative and passes the result down to its inputs.
# Gradients that reach a **leaf** tensor (one you created, like a weight) are **added** into
# `x.grad`.
#
# You can write your own nodes with `torch.autograd.Function`: a `forward(ctx, ...)` that computes
# the result and stores what it needs with `ctx.save_for_backward(...)`, and a
# `backward(ctx, grad_output)` that returns one gradient per input. That is exactly the design you
# build here, and every TinyTorch operation becomes such a Function:
#
# | step | you build | PyTorch equivalent |
# |---|---|---|
# | 1 | `no_grad()`, `is_grad_enabled()` | `torch.no_grad`, `torch.is_grad_enabled` |
# | 2 | `Function`, `Function.apply` (records the graph) | `torch.autograd.Function` |
# | 3 | `topological_order`, `Tensor.backward`, `detach`, `requires_grad_` | `loss.backward()`, `x.detach()` |
# | 4 | `unbroadcast` | what every broadcasting op does in its backward |
# | 5 | `+ - * / -x x**p` as Functions | `AddBackward0`, `MulBackward0`, ... |
# | 6 | `gradcheck` (finite differences) | `torch.autograd.gradcheck` |
# | 7-10 | `matmul`, `sum mean max`, `reshape transpose [ ]`, `exp log` | the same ops |
# | 11 | backward of ReLU, Sigmoid, Tanh, GELU, Softmax | `torch.nn.functional.*` |
#
# Where TinyTorch differs from PyTorch, the step says so.

# %% [markdown]
# ## Setup
#
# This module **extends** modules 01 and 02: it imports your `Tensor` and your activations and
# attaches new behaviour to them with `extend`. When a later module runs
# `from tinytorch.tensor import Tensor`, the course runtime loads this module right after it, so
# every later module gets the Tensor with gradients.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import numpy as np
from tinytorch_runtime import extend
from tinytorch.tensor import Tensor, broadcast_shapes
from tinytorch.activations import ReLU, Sigmoid, Tanh, GELU, Softmax

__all__ = ["Function", "no_grad", "is_grad_enabled", "topological_order", "unbroadcast", "gradcheck",
           "Add", "Sub", "Mul", "Div", "Neg", "Pow", "MatMul", "Sum", "Mean", "Max", "Reshape",
           "Transpose", "GetItem", "Contiguous", "Exp", "Log", "ReLUFunction", "SigmoidFunction",
           "TanhFunction", "GELUFunction", "SoftmaxFunction"]

# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · Grad mode: `no_grad()` and `is_grad_enabled()`
#
# Recording a graph costs time and, above all, memory: every node keeps arrays alive until the
# backward pass. When you only evaluate a model (validation, inference, the optimizer's own
# update) you want none of that. PyTorch's switch is a context manager:
#
# ```python
# with torch.no_grad():
#     predictions = model(x)        # no graph is recorded
# ```
#
# TinyTorch keeps the switch in one module-level flag, `_grad_enabled`. Implement
# `is_grad_enabled()` (return the flag) and the two methods of `no_grad`:
#
# - `__enter__` remembers the current value (on `self`) and turns grad mode off;
# - `__exit__` **restores the remembered value** (not simply `True`): then `no_grad` blocks can
#   be nested, and leaving an inner block keeps the outer one in force. `__exit__` runs even when
#   the block raises an exception; return `False` so the exception is not swallowed.
#
# Both need `global _grad_enabled` to assign the module-level flag.

# %% nbgrader={"grade": false, "grade_id": "grad-mode", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
_grad_enabled = True


def is_grad_enabled():
    """True when operations record a graph (the default), False inside `with no_grad():`."""
    ### BEGIN SOLUTION
    return _grad_enabled
    ### END SOLUTION


class no_grad:
    """Context manager: no graph is recorded inside `with no_grad():`. Nestable, like torch.no_grad."""

    def __enter__(self):
        global _grad_enabled
        ### BEGIN SOLUTION
        self._previous = _grad_enabled
        _grad_enabled = False
        ### END SOLUTION
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        global _grad_enabled
        ### BEGIN SOLUTION
        _grad_enabled = self._previous
        return False
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-grad-mode", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
expect(is_grad_enabled(), True, "grad mode should be on by default")
with no_grad():
    expect(is_grad_enabled(), False, "grad mode should be off inside no_grad()")
expect(is_grad_enabled(), True, "grad mode should be back on after the with-block")
with no_grad():
    with no_grad():
        pass
    expect(is_grad_enabled(), False, "leaving an inner no_grad must keep the outer one in force "
                                     "(__exit__ restores the value remembered by __enter__, not True)")
expect(is_grad_enabled(), True, "grad mode should be restored after nested blocks")
### BEGIN HIDDEN TESTS
with expect_raises(KeyError, "no_grad must not swallow an exception raised inside the block"):
    with no_grad():
        raise KeyError("boom")
expect(is_grad_enabled(), True, "grad mode should be restored even when the block raises")
with no_grad() as _ng:
    expect(type(_ng).__name__, "no_grad", "`with no_grad() as g` should bind the no_grad object")
    with no_grad():
        with no_grad():
            expect(is_grad_enabled(), False, "three nested no_grad blocks keep grad mode off")
        expect(is_grad_enabled(), False, "leaving the third block keeps the second in force")
expect([is_grad_enabled() for _ in range(2)], [True, True], "grad mode should be on after the nested blocks")
### END HIDDEN TESTS
print("✅ Step 1: no_grad and is_grad_enabled work")

# %% [markdown]
# ## Step 2 · `Function`: one node of the graph
#
# Every differentiable operation is a subclass of `Function` with two methods that work on plain
# NumPy arrays:
#
# ```python
# class Square(Function):
#     def forward(ctx, a):                 # a: ndarray -> the result, an ndarray
#         ctx.save_for_backward(a)         # keep what backward will need
#         return a * a
#     def backward(ctx, grad):             # grad: ∂loss/∂output, same shape as the output
#         (a,) = ctx.saved
#         return (grad * 2 * a,)           # one ∂loss/∂input per input of forward
# ```
#
# `ctx` ("context") is the node itself: a fresh `Square()` object is made for every call, so
# whatever `forward` stores on it is still there when `backward` runs. Non-tensor settings
# (an axis, an exponent) are passed as keyword arguments and arrive in `forward` as keywords.
#
# > **⚠ Never change a saved array in place.** `save_for_backward` keeps a *reference* to the
# > array, not a copy (a copy would double the memory). If anything writes into that array between
# > the forward and the backward pass (`x.data += 1`, `x.data[0] = 0`, an optimizer step on a weight
# > before `backward()`), the backward silently uses the new values and the gradients are wrong, with
# > no error at all. PyTorch guards against this with a version counter on every tensor ("one of the
# > variables needed for gradient computation has been modified by an inplace operation");
# > TinyTorch does not. So: update weights in place only *after* `backward()` (that is what the
# > optimizer step does), and inside `forward`/`backward` never modify an input, a saved array or
# > `grad` in place (`grad *= 2`): build new arrays (`grad * 2`).
#
# `Square.apply(x)` is what the Tensor operators will call. Implement it:
#
# 1. Turn each input into what `forward` expects: a Tensor gives its `.data`; anything else
#    (a Python number, an ndarray) is passed as it is.
# 2. Make the node `ctx = cls()`, call `ctx.forward(*arrays, **kwargs)`, and turn the result into a
#    Tensor with the given `_result_tensor(result, arrays)` (it applies module 01's dtype rule:
#    float64 results become float32 unless an input was a float64 array).
# 3. **Record the graph only when grad mode is on and at least one input is a Tensor with
#    `requires_grad`.** Then set `ctx.parents`, a tuple with **one entry per input**:
#
#    | input | entry in `ctx.parents` |
#    |---|---|
#    | a Tensor produced by another Function (it has a `grad_fn`) | that `grad_fn` (a Function node) |
#    | a leaf Tensor with `requires_grad` (a weight; `grad_fn` is None) | the Tensor itself |
#    | anything else (no `requires_grad`, a number, an array) | `None` |
#
#    and mark the output: `out.requires_grad = True`, `out.grad_fn = ctx`.
#
# Why store the *node* of an intermediate input rather than the Tensor? The backward pass only
# needs to know where to send gradients. Holding the Tensor would keep its `.data` alive for
# nothing; holding its `grad_fn` keeps only what that node saved. PyTorch does the same
# (`grad_fn.next_functions`).
#
# Leaves and non-leaves: after this step, every Tensor has `requires_grad` (False by default),
# `grad` (None) and `grad_fn` (None) as **class attributes** set in the next cell, so reading them
# works on every Tensor, including those created by modules 01-04. Module 03's `Parameter` sets
# `self.requires_grad = True`, which makes every weight a leaf.

# %% nbgrader={"grade": false, "grade_id": "tensor-attributes", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
# Given: every Tensor starts as a constant. Instance attributes (x.requires_grad = True) override these.
Tensor.requires_grad = False    # does backward() compute a gradient for this tensor?
Tensor.grad = None              # the accumulated gradient (a Tensor of the same shape and dtype), for leaves
Tensor.grad_fn = None           # the Function node that produced this tensor (None for leaves and constants)


def _operand(other):
    """Given: the right-hand side of an operator as a Tensor, an ndarray or a weak Python scalar (like 01)."""
    if isinstance(other, Tensor):
        return other
    if type(other) in (int, float, bool):
        return other
    return Tensor(other).data


def _result_tensor(result, arrays):
    """Given: a forward result as a Tensor, with module 01's dtype rule (float64 only from float64 arrays)."""
    result = np.asarray(result)
    if result.dtype == np.float64 and not any(
            isinstance(a, np.ndarray) and a.dtype == np.float64 for a in arrays):
        result = result.astype(np.float32)
    return Tensor(result, dtype=result.dtype)


# %% nbgrader={"grade": false, "grade_id": "function", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Function:
    """One differentiable operation; one instance (the `ctx`) per call, like torch.autograd.Function.

    Subclasses implement forward(ctx, *arrays, **kwargs) -> ndarray and
    backward(ctx, grad) -> tuple with one gradient (ndarray or None) per positional input.
    """

    saved = ()        # arrays stored by save_for_backward
    parents = None    # per input: its grad_fn, the leaf Tensor itself, or None (set by apply)

    def save_for_backward(self, *arrays):
        """Keep arrays for backward (read them back from ctx.saved)."""
        self.saved = arrays

    @property
    def needs_input_grad(self):
        """Given: one bool per input: does backward need to compute that input's gradient?"""
        return tuple(p is not None for p in self.parents)

    def forward(ctx, *arrays, **kwargs):
        raise NotImplementedError(f"{type(ctx).__name__}.forward is not implemented")

    def backward(ctx, grad):
        raise NotImplementedError(f"{type(ctx).__name__}.backward is not implemented")

    @classmethod
    def apply(cls, *inputs, **kwargs):
        """Run forward on the inputs' arrays and return a Tensor; record the node when needed.

        inputs: Tensors, Python numbers or ndarrays; kwargs: non-differentiable settings for forward.
        """
        ### BEGIN SOLUTION
        arrays = tuple(x.data if isinstance(x, Tensor) else x for x in inputs)
        ctx = cls()
        out = _result_tensor(ctx.forward(*arrays, **kwargs), arrays)
        if _grad_enabled:
            parents = tuple((x if x.grad_fn is None else x.grad_fn)
                            if isinstance(x, Tensor) and x.requires_grad else None for x in inputs)
            if any(p is not None for p in parents):
                ctx.parents = parents
                out.requires_grad = True
                out.grad_fn = ctx
        return out
        ### END SOLUTION


# %% [markdown]
# Here is `Square` from above as a real Function, and `Plus` (a + b, two inputs). The tests below
# (and those of the next step) use them; run the cell. They are exported with your module but are
# not part of its public API.

# %% nbgrader={"grade": false, "grade_id": "square-demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
class Square(Function):
    """Given: x ** 2 as a Function, the smallest useful example."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    def backward(ctx, grad):
        (a,) = ctx.saved
        return (grad * 2 * a,)


class Plus(Function):
    """Given: a + b (same shapes) as a Function with two inputs."""

    def forward(ctx, a, b):
        return a + b

    def backward(ctx, grad):
        return grad, grad


# %% nbgrader={"grade": true, "grade_id": "test-function", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
w = Tensor([1.0, 2.0, 3.0])
w.requires_grad = True
y = Square.apply(w)
expect(type(y).__name__, "Tensor", "apply should return a Tensor")
expect(y.data, [1.0, 4.0, 9.0], "apply should return forward's result")
expect(y.requires_grad, True, "the output of an op on a leaf with requires_grad should require grad")
expect(type(y.grad_fn).__name__, "Square", "the output's grad_fn should be the Square node")
expect(len(y.grad_fn.parents), 1, "ctx.parents should have one entry per input")
expect(y.grad_fn.parents[0] is w, True, "a leaf input should appear as itself in ctx.parents")
z = Square.apply(y)
expect(type(z.grad_fn.parents[0]).__name__, "Square",
       "an intermediate input should appear as its grad_fn (a Function node) in ctx.parents, not as a Tensor")
expect(z.grad_fn.parents[0] is y.grad_fn, True, "an intermediate input should appear as its own grad_fn")
c = Square.apply(Tensor([1.0, 2.0]))
expect((c.requires_grad, c.grad_fn), (False, None), "an op on constants should record nothing")
with no_grad():
    n = Square.apply(w)
expect((n.requires_grad, n.grad_fn), (False, None), "inside no_grad nothing should be recorded")
expect(n.data, [1.0, 4.0, 9.0], "inside no_grad the result is still computed")
### BEGIN HIDDEN TESTS
expect((Tensor([1.0]).requires_grad, Tensor([1.0]).grad, Tensor([1.0]).grad_fn), (False, None, None),
       "new tensors should be constants with no grad and no grad_fn")
expect(y.grad_fn is z.grad_fn, False, "every call should make a new node")
expect(w.data, [1.0, 2.0, 3.0], "apply must not modify its inputs")
expect(str(y.dtype), "float32", "a float32 input should give a float32 output")


class _Mix(Function):
    def forward(ctx, a, b, scale=1.0):
        ctx.scale = scale
        return (a + b) * scale

    def backward(ctx, grad):
        return grad * ctx.scale, grad * ctx.scale


_k = Tensor([1.0, 1.0])
_m = _Mix.apply(Tensor([1.0, 2.0]), 3.0, scale=2.0)
expect(_m.data, [8.0, 10.0], "numbers are passed to forward as they are, keyword arguments as keywords")
expect(_m.grad_fn, None, "numbers and constants record no node")
_k.requires_grad = True
_m2 = _Mix.apply(Tensor([1.0, 2.0]), _k, scale=0.5)
expect([_p is _k if _p is not None else None for _p in _m2.grad_fn.parents], [None, True],
       "a constant input should appear as None in ctx.parents, a leaf as itself")
expect(_m2.grad_fn.scale, 0.5, "forward should run on the node that apply stores as grad_fn")
expect(_m2.data, [1.0, 1.5], "forward on the node")
_m3 = _Mix.apply(np.array([1.0, 2.0]), _k)
expect(str(_m3.dtype), "float64", "a float64 ndarray input should give a float64 result (module 01's rule)")
_m4 = _Mix.apply(Tensor([1, 2]), 0.5)
expect(str(_m4.dtype), "float32", "int tensor with a Python float should give float32 (module 01's rule)")
_d = Tensor(np.array([1.0, 2.0]), dtype=np.float64)
_d.requires_grad = True
expect(str(Square.apply(_d).dtype), "float64", "float64 tensors should stay float64")
with no_grad():
    _inner = _Mix.apply(_k, _k)
    expect(_inner.grad_fn, None, "no graph inside no_grad even with several grad inputs")
_after = _Mix.apply(_k, _k)
expect(type(_after.grad_fn).__name__, "_Mix", "recording should resume after no_grad")
expect([_p is _k for _p in _after.grad_fn.parents], [True, True], "the same leaf twice appears twice in parents")
### END HIDDEN TESTS
print("✅ Step 2: Function.apply records the graph")

# %% [markdown]
# ## Step 3 · The backward pass
#
# ### Topological order
#
# Take `loss = f(g(x), h(g(x)))`. The node of `g` feeds two nodes. Its gradient is the **sum** of
# what `f` and `h` send back, so `g` may only run its `backward` after **both** have run. An order
# in which every node comes after all the nodes that consume its output is a **topological
# order** of the reversed graph:
#
# ```
#  x ──► g ──► h ──► f ──► loss           backward order:  f, h, g      (f feeds nothing else;
#        └──────────►┘                                                   g waits for f and h)
# ```
#
# Implement `topological_order(root)`, returning every Function node reachable from `root`
# through `ctx.parents` (skip the entries that are Tensors or None), **each once**, `root` first,
# each node after every node that feeds into it from above.
#
# The classic algorithm is a depth-first search that appends a node **after** all its parents
# (post-order) and then reverses the list. Write it **without recursion**: a recursive version
# hits Python's recursion limit (about 1000 frames) on a chain of a few thousand operations, and
# an RNN unrolled over a long sequence is exactly that. Use an explicit stack of
# `(node, parents_done)` pairs:
#
# ```
# stack = [(root, False)]
# pop (node, False): if not yet visited -> mark visited, push (node, True), then push (p, False) for each parent node p
# pop (node, True) : all its parents are finished -> append node to the post-order
# ```
#
# A node whose `parents` is `None` has already been through a backward pass that freed it (see
# below): raise a `RuntimeError` saying so.
#
# ### `Tensor.backward(grad=None, retain_graph=False)`
#
# 1. `self` must require grad (else `RuntimeError`). `grad` is ∂loss/∂self. If it is None, `self`
#    must have exactly one element (a scalar loss) and the gradient is 1; for any other shape raise
#    a `RuntimeError` that says a non-scalar tensor needs an explicit `grad`. A given `grad`
#    (Tensor or array-like) must have `self`'s shape (`ValueError` otherwise); use `self`'s dtype.
# 2. Keep a dict `{node: gradient arriving at that node's output}`, starting with
#    `{self.grad_fn: grad}`. For each node in topological order: pop its gradient, call
#    `node.backward(grad)`, and send each returned gradient to the matching entry of
#    `node.parents`: into the dict for a node (**add** to what is already there, never overwrite
#    it: a node used twice receives two gradients), into the Tensor with the given
#    `_accumulate_grad` for a leaf, nowhere for `None` (or when the gradient returned is `None`).
# 3. Unless `retain_graph=True`, free each node once it has run: `node.saved = None`,
#    `node.parents = None`. This releases the memory of the saved arrays as soon as possible, as
#    PyTorch does; calling `backward` a second time through the same graph is then an error
#    (PyTorch: "Trying to backward through the graph a second time").
# 4. If `self` is itself a leaf (no `grad_fn`), just accumulate `grad` into it.
#
# **Gradients accumulate.** `_accumulate_grad` **adds** into `leaf.grad`: gradients from several
# uses of `x` in one graph, and from several `backward()` calls, add up. That is why training loops
# call `zero_grad()` before each backward. Only leaves get a `.grad`; PyTorch does the same.
#
# **"Accumulate" means `a + b`, not `+=` on an array.** Module 03 described accumulation as `+=`:
# that is the *meaning* (new total = old total + new gradient). In code, write
# `grads[node] = grads[node] + g`, which makes a new array. `+=` on a NumPy array writes into the
# existing array, and in a backward pass arrays are shared: `Plus.backward` returns the *same*
# `grad` object to both inputs, so `+=` on the copy kept for one input would also change what the
# other input received. (The same in-place rule as in Step 2.)
#
# Also implement `detach()` (a Tensor sharing `self`'s data with no graph: `Tensor(self.data,
# dtype=self.dtype)`) and `requires_grad_(requires_grad=True)`, which sets the flag on a leaf and
# returns `self`, so you can write `w = Tensor(...).requires_grad_()`. Like PyTorch, only floating
# tensors can require grad: raise `TypeError` for an integer or bool tensor.

# %% nbgrader={"grade": false, "grade_id": "accumulate-grad", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def _accumulate_grad(tensor, grad):
    """Given: add `grad` into `tensor.grad` (a new Tensor of the tensor's dtype; never shares memory)."""
    grad = np.asarray(grad)
    if grad.shape != tensor.shape:
        raise ValueError(f"a backward returned a gradient of shape {grad.shape} for a tensor of shape "
                         f"{tensor.shape}: did a broadcasting op forget to unbroadcast?")
    if tensor.grad is None:
        tensor.grad = Tensor(np.array(grad, dtype=tensor.dtype), dtype=tensor.dtype)
    else:
        total = tensor.grad.data + grad
        tensor.grad = Tensor(total.astype(tensor.dtype, copy=False), dtype=tensor.dtype)


# %% nbgrader={"grade": false, "grade_id": "backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def topological_order(root):
    """Function nodes reachable from `root` via ctx.parents, each once: root first, every node after its consumers.

    Iterative (no recursion). RuntimeError for a node already freed by a backward pass.
    """
    ### BEGIN SOLUTION
    post_order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            post_order.append(node)
            continue
        if node in visited:
            continue
        if node.parents is None:
            raise RuntimeError(f"Trying to backward through a {type(node).__name__} node a second time: its "
                               "saved arrays were freed by the first backward(). Use backward(retain_graph=True) "
                               "the first time, or run the forward pass again.")
        visited.add(node)
        stack.append((node, True))
        for parent in node.parents:
            if isinstance(parent, Function) and parent not in visited:
                stack.append((parent, False))
    post_order.reverse()
    return post_order
    ### END SOLUTION


@extend(Tensor)
def backward(self, grad=None, retain_graph=False):
    """Compute ∂self/∂leaf for every leaf that requires grad, and add it into leaf.grad.

    grad: ∂loss/∂self (Tensor or array-like of self's shape); may be omitted for a one-element tensor.
    retain_graph: keep the graph (and its saved arrays) for another backward through it.
    """
    ### BEGIN SOLUTION
    if not self.requires_grad:
        raise RuntimeError("backward() on a tensor that does not require grad: no input of the "
                           "computation had requires_grad=True (or it ran inside no_grad())")
    if grad is None:
        if self.size != 1:
            raise RuntimeError(f"backward() without a gradient works only for a scalar (one-element) tensor, "
                               f"got shape {self.shape}: pass grad, the gradient of the loss w.r.t. this tensor")
        grad = np.ones(self.shape, dtype=self.dtype)
    else:
        grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
        if grad.shape != self.shape:
            raise ValueError(f"backward(grad): grad has shape {grad.shape} but the tensor has shape {self.shape}")
    if self.grad_fn is None:
        _accumulate_grad(self, grad)
        return
    grads = {self.grad_fn: grad}
    for node in topological_order(self.grad_fn):
        node_grad = grads.pop(node, None)
        if node_grad is not None:
            input_grads = node.backward(node_grad)
            if not isinstance(input_grads, (tuple, list)):
                input_grads = (input_grads,)
            for parent, g in zip(node.parents, input_grads):
                if parent is None or g is None:
                    continue
                if isinstance(parent, Tensor):
                    _accumulate_grad(parent, g)
                elif parent in grads:
                    grads[parent] = grads[parent] + g
                else:
                    grads[parent] = g
        if not retain_graph:
            node.saved = None
            node.parents = None
    ### END SOLUTION


@extend(Tensor)
def detach(self):
    """The same data (shared, no copy) as a new Tensor outside the graph."""
    ### BEGIN SOLUTION
    return Tensor(self.data, dtype=self.dtype)
    ### END SOLUTION


@extend(Tensor)
def requires_grad_(self, requires_grad=True):
    """Set requires_grad in place and return self; TypeError for non-floating tensors."""
    ### BEGIN SOLUTION
    if requires_grad and self.dtype.kind != "f":
        raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
    self.requires_grad = requires_grad
    return self
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-backward", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
x = Tensor([1.0, 2.0, 3.0]).requires_grad_()
expect(x.requires_grad, True, "requires_grad_() should set the flag")
y = Square.apply(Square.apply(x))               # x ** 4
y.backward(np.ones(3))
expect_close(x.grad.data, [4.0, 32.0, 108.0], "d(x^4)/dx = 4 x^3 through two Square nodes", rtol=1e-6, atol=1e-6)
expect((type(x.grad).__name__, x.grad.shape, str(x.grad.dtype)), ("Tensor", (3,), "float32"),
       "x.grad should be a float32 Tensor of x's shape")
Square.apply(x).backward(np.ones(3))
expect_close(x.grad.data, [6.0, 36.0, 114.0], "a second backward should add 2x into x.grad", rtol=1e-6, atol=1e-6)
# a shared node: u = s2^2 feeds two nodes, loss = u^2 + u, d/ds2 = (2u + 1) * 2 s2 = 4 s2^3 + 2 s2
s2 = Tensor([1.0, 2.0, 3.0]).requires_grad_()
u = Square.apply(s2)
order = topological_order(Plus.apply(Square.apply(u), u).grad_fn)
expect([type(node).__name__ for node in order], ["Plus", "Square", "Square"],
       "topological_order should list the output's node first and each node once")
expect(order[-1] is u.grad_fn, True, "a shared node must come after every node that uses its output")
Plus.apply(Square.apply(u), u).backward(np.ones(3))
expect_close(s2.grad.data, [6.0, 36.0, 114.0],
             "u = s2^2 is used twice (in u^2 and in + u): the gradients arriving at u's node must be ADDED, "
             "not overwritten; d(u^2 + u)/ds2 = 4 s2^3 + 2 s2", rtol=1e-6, atol=1e-6)
### BEGIN HIDDEN TESTS
class _Scale(Function):
    def forward(ctx, a, factor):
        ctx.factor = factor
        return a * factor

    def backward(ctx, grad):
        return grad * ctx.factor, None


class _Sum(Function):
    def forward(ctx, a):
        ctx.shape = a.shape
        return a.sum()

    def backward(ctx, grad):
        return (np.full(ctx.shape, grad),)


# diamond: u = x^2 used twice, loss = sum(u^2 + 3u); d/dx = (2u + 3) * 2x
_x = Tensor([0.5, -1.0, 2.0]).requires_grad_()
_u = Square.apply(_x)
_loss = _Sum.apply(Plus.apply(Square.apply(_u), _Scale.apply(_u, 3.0)))
_order = topological_order(_loss.grad_fn)
expect(len({id(_n) for _n in _order}), 5, "topological_order should list each node exactly once")
expect(_order.index(_u.grad_fn), 4, "a shared node must come after every node that uses its output")
_loss.backward()
expect_close(_x.grad.data, [3.5, -10.0, 44.0], "gradients from two uses of the same node must be added",
             rtol=1e-5, atol=1e-5)
# the same leaf used twice directly (x + x); shared gradient arrays must not alias
_a = Tensor([1.0, 2.0]).requires_grad_()
_b = Tensor([3.0, 4.0]).requires_grad_()
_Sum.apply(Plus.apply(Plus.apply(_a, _a), _b)).backward()
expect((_a.grad.data, _b.grad.data), (np.array([2.0, 2.0]), np.array([1.0, 1.0])), "x used twice should get gradient 2")
expect(np.shares_memory(_a.grad.data, _b.grad.data), False, "two leaves must never share one gradient array")
# a node shared by three consumers, reached along paths of different lengths
_t = Tensor([1.0, -2.0]).requires_grad_()
_v = Square.apply(_t)
_Sum.apply(Plus.apply(Plus.apply(_v, Square.apply(Square.apply(_v))), _Scale.apply(_v, 2.0))).backward()
expect_close(_t.grad.data, [14.0, -1036.0], "three uses of one node, along paths of different lengths",
             rtol=1e-5, atol=1e-5)
# explicit grad, Tensor grad, a one-element non-0-d tensor, and a leaf's own backward
_e = Tensor([2.0, 3.0]).requires_grad_()
Square.apply(_e).backward(Tensor([1.0, 10.0]))
expect_close(_e.grad.data, [4.0, 60.0], "backward(grad) should scale the gradient by grad", rtol=1e-6, atol=1e-6)
_one = Tensor([[3.0]]).requires_grad_()
Square.apply(_one).backward()
expect_close(_one.grad.data, [[6.0]], "a one-element tensor can call backward() without grad", rtol=1e-6, atol=1e-6)
_leaf = Tensor([1.0, 2.0]).requires_grad_()
_leaf.backward(np.array([5.0, 6.0]))
expect_close(_leaf.grad.data, [5.0, 6.0], "backward on a leaf should accumulate grad into it", rtol=1e-6, atol=1e-6)
# dtype: float64 stays float64, float32 stays float32
_x64 = Tensor(np.array([1.0, 2.0]), dtype=np.float64).requires_grad_()
_Sum.apply(Square.apply(_x64)).backward()
expect(str(_x64.grad.dtype), "float64", "the gradient of a float64 tensor should be float64")
_x32 = Tensor([1.0, 2.0]).requires_grad_()
_Sum.apply(_Scale.apply(_x32, np.float64(2.0))).backward()
expect(str(_x32.grad.dtype), "float32", "the gradient of a float32 tensor should be float32 even if backward upcasts")
# constants get no grad
_k = Tensor([1.0, 1.0])
_Sum.apply(Plus.apply(_k, _x32)).backward()
expect(_k.grad, None, "a constant must not receive a gradient")
expect_close(_x32.grad.data, [3.0, 3.0], "2 from the scaled sum plus 1 from the second", rtol=1e-6, atol=1e-6)
# deep chain: 10,000 nodes, no recursion limit
_deep = Tensor([1.0]).requires_grad_()
_h = _deep
for _ in range(10_000):
    _h = _Scale.apply(_h, 1.0)
expect(len(topological_order(_h.grad_fn)), 10_000, "topological_order should handle a 10,000-node chain")
_h.backward(np.ones(1))
expect_close(_deep.grad.data, [1.0], "backward through 10,000 nodes should work without recursion", rtol=1e-6, atol=1e-6)
### END HIDDEN TESTS
print("✅ Step 3: backward, topological order and accumulation work")

# %% nbgrader={"grade": true, "grade_id": "test-backward-errors", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
x = Tensor([1.0, 2.0, 3.0]).requires_grad_()
with expect_raises(RuntimeError, "backward() on a non-scalar tensor without grad should raise RuntimeError"):
    Square.apply(x).backward()
with expect_raises(ValueError, "a grad of the wrong shape should raise ValueError"):
    Square.apply(x).backward(np.ones(2))
d = x.detach()
expect((d.grad_fn, d.requires_grad), (None, False), "detach() should leave the graph")
expect(np.shares_memory(d.data, x.data), True, "detach() should share the data (no copy)")
y = Square.apply(x)
y.backward(np.ones(3), retain_graph=True)
y.backward(np.ones(3))
expect_close(x.grad.data, [4.0, 8.0, 12.0], "two backward passes with retain_graph should add 2 * 2x",
             rtol=1e-6, atol=1e-6)
with expect_raises(RuntimeError, "a third backward through a freed graph should raise RuntimeError"):
    y.backward(np.ones(3))
### BEGIN HIDDEN TESTS
with expect_raises(RuntimeError, "backward on a tensor that does not require grad should raise RuntimeError"):
    Tensor([1.0]).backward()
with expect_raises(TypeError, "an integer tensor should not be able to require grad"):
    Tensor([1, 2]).requires_grad_()
_c = Tensor([1.0, 2.0]).requires_grad_()
_f = Square.apply(_c)
_node = _f.grad_fn
_f.backward(np.ones(2))
expect((_node.saved, _node.parents), (None, None), "backward without retain_graph should free every node")
expect(_c.requires_grad_(False).requires_grad, False, "requires_grad_(False) should clear the flag and return the tensor")
_dx = Square.apply(x.detach())
expect(_dx.requires_grad, False, "ops on a detached tensor record nothing")
expect_close(x.grad.data, [4.0, 8.0, 12.0], "a detached tensor must not pass gradients back", rtol=0, atol=0)
### END HIDDEN TESTS
print("✅ Step 3: backward errors, retain_graph and detach work")

# %% [markdown]
# ## Step 4 · Undoing broadcasting
#
# `x + b` with `x` of shape `(N, 4)` and a bias `b` of shape `(4,)` adds `b` to every row: `b` is
# used N times. Each use contributes to ∂loss/∂b, so its gradient is the incoming `(N, 4)` gradient
# **summed over the rows**, giving shape `(4,)` again. In general the gradient of a broadcast
# input is the output gradient summed over every dimension that broadcasting stretched:
#
# | input shape | output (= grad) shape | sum over | then reshape to |
# |---|---|---|---|
# | `(4,)` | `(N, 4)` | axis 0 (added on the left) | `(4,)` |
# | `(N, 1)` | `(N, 4)` | axis 1 (size 1 stretched), keep it | `(N, 1)` |
# | `(1, 3, 1)` | `(2, 5, 3, 4)` | axes 0, 1 (added, stretched) and 3 (stretched) | `(1, 3, 1)` |
# | `()` (a scalar) | anything | everything | `()` |
#
# Implement `unbroadcast(grad, shape)`: sum `grad` over the leading dimensions it has in excess
# and over the dimensions where `shape` has size 1 but `grad` does not, then reshape to `shape`.
# One call to `grad.sum(axis=..., keepdims=True)` followed by `reshape(shape)` does it. Return
# `grad` itself when the shapes already agree (the common case: no work, no copy).

# %% nbgrader={"grade": false, "grade_id": "unbroadcast", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def unbroadcast(grad, shape):
    """Sum `grad` (an ndarray) down to `shape`, undoing NumPy broadcasting."""
    shape = tuple(shape)
    ### BEGIN SOLUTION
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape)
                                       if n == 1 and grad.shape[extra + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-unbroadcast", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
g = np.arange(12.0, dtype=np.float32).reshape(3, 4)
expect(unbroadcast(g, (4,)), np.array([12.0, 15.0, 18.0, 21.0]), "a (4,) bias over 3 rows gets the column sums")
expect(unbroadcast(g, (3, 1)), np.array([[6.0], [22.0], [38.0]]),
       "a (3, 1) column was stretched along axis 1: sum over axis 1 and keep it")
expect(unbroadcast(g, (1, 4)), np.array([[12.0, 15.0, 18.0, 21.0]]), "a (1, 4) row sums over axis 0 and keeps it")
expect(unbroadcast(g, ()), np.float32(66.0), "a scalar gets the sum of everything")
expect(unbroadcast(g, (3, 4)) is g, True, "matching shapes should return grad itself")
### BEGIN HIDDEN TESTS
_g = np.random.default_rng(4).standard_normal((2, 5, 3, 4)).astype(np.float32)
expect_close(unbroadcast(_g, (1, 3, 1)), _g.sum(axis=(0, 1, 3)).reshape(1, 3, 1), "(2, 5, 3, 4) down to (1, 3, 1)",
             rtol=1e-5, atol=1e-5)
expect_close(unbroadcast(_g, (5, 1, 1)), _g.sum(axis=(0, 2, 3)).reshape(5, 1, 1), "(2, 5, 3, 4) down to (5, 1, 1)",
             rtol=1e-5, atol=1e-5)
expect_close(unbroadcast(_g, (2, 1, 1, 4)), _g.sum(axis=(1, 2), keepdims=True), "(2, 5, 3, 4) down to (2, 1, 1, 4)",
             rtol=1e-5, atol=1e-5)
expect_close(unbroadcast(_g, (1, 1, 1, 1)), _g.sum(axis=(0, 1, 2, 3), keepdims=True), "down to (1, 1, 1, 1)",
             rtol=1e-5, atol=1e-4)
expect_close(unbroadcast(_g, (4,)), _g.sum(axis=(0, 1, 2)), "(2, 5, 3, 4) down to (4,)", rtol=1e-5, atol=1e-5)
expect_close(unbroadcast(_g, (1,)), _g.sum().reshape(1), "(2, 5, 3, 4) down to (1,)", rtol=1e-5, atol=1e-4)
expect(str(unbroadcast(_g, (3, 4)).dtype), "float32", "unbroadcast should keep the gradient's dtype")
expect(unbroadcast(np.ones((2, 1)), (2, 1)), np.ones((2, 1)), "size-1 dimensions that were not stretched stay")
expect(unbroadcast(np.ones((4, 1)), (1,)), np.array([4.0]), "(4, 1) down to (1,) sums the 4 rows")
expect(unbroadcast(np.ones((0, 3)), (3,)), np.zeros(3), "an empty batch gives a zero gradient of the right shape")
expect(unbroadcast(np.ones((2, 3)), [1, 3]), np.full((1, 3), 2.0), "a list shape should work like a tuple")
### END HIDDEN TESTS
print("✅ Step 4: unbroadcast works")

# %% [markdown]
# ## Step 5 · Arithmetic as Functions
#
# Now the real work: each operator of module 01 becomes a Function. For `out = op(a, b)` and the
# incoming gradient `g` = ∂loss/∂out, the chain rule gives:
#
# | op | forward | ∂loss/∂a | ∂loss/∂b |
# |---|---|---|---|
# | `Add` | a + b | g | g |
# | `Sub` | a − b | g | −g |
# | `Mul` | a · b | g · b | g · a |
# | `Div` | a / b | g / b | −g · a / b² |
# | `Neg` | −a | −g | |
# | `Pow` (scalar p) | aᵖ | g · p · aᵖ⁻¹ (0 when p = 0) | |
#
# followed by `unbroadcast(..., shape of that input)` for the binary ops (an input can be a Python
# number: `np.shape(2.0)` is `()`). Save only what backward needs: `Add` and `Sub` need no arrays
# at all, only the two input shapes.
#
# **Keep module 01's behaviour.** Compute the forward with the same NumPy expression as 01. For the
# binary ops use the given `_broadcasting(np.add, a, b)`: it runs the NumPy function and, on
# incompatible shapes, raises your `broadcast_shapes` error that names both shapes. The
# operators at the bottom of the cell are given: they route `t + 2`, `2 - t`, `ndarray * t` and
# so on through your Functions. A number or array on either side is passed to `apply` as it is,
# so it gets no gradient (its entry in `ctx.parents` is None).
#
# **Two float traps, both of which PyTorch avoids:**
#
# - **Div**: compute −g · a / b² as `-(grad * a / b) / b`, not `grad * a / (b * b)`. In float32,
#   `b * b` underflows to 0 for |b| below about 10⁻²³ and the gradient becomes −inf, although the
#   true value (say a = b = 10⁻²⁴: −10²⁴) fits easily.
# - **Pow** with p = 0: x⁰ = 1 is constant, so its gradient is 0 everywhere. The formula
#   p · x^(p−1) gives 0 · 0⁻¹ = 0 · inf = **nan** at x = 0: return zeros for p = 0.
#
# **Cheap backward:** `ctx.needs_input_grad[i]` tells you whether input `i` needs a gradient; for
# `w * 0.5` there is no point in computing ∂/∂0.5 (a full pass over `w`). Return `None` for an
# input whose gradient is not needed.

# %% nbgrader={"grade": false, "grade_id": "broadcasting-helper", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def _broadcasting(op, a, b):
    """Given: op(a, b) for a NumPy ufunc; incompatible shapes raise module 01's broadcast_shapes error."""
    try:
        return op(a, b)
    except ValueError:
        broadcast_shapes(np.shape(a), np.shape(b))  # raises the error that names both shapes
        raise


# %% nbgrader={"grade": false, "grade_id": "arithmetic", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Add(Function):
    """a + b with broadcasting."""

    def forward(ctx, a, b):
        ### BEGIN SOLUTION
        ctx.shapes = np.shape(a), np.shape(b)
        return _broadcasting(np.add, a, b)
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad, ctx.shapes[0]) if need_a else None,
                unbroadcast(grad, ctx.shapes[1]) if need_b else None)
        ### END SOLUTION


class Sub(Function):
    """a - b with broadcasting."""

    def forward(ctx, a, b):
        ### BEGIN SOLUTION
        ctx.shapes = np.shape(a), np.shape(b)
        return _broadcasting(np.subtract, a, b)
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad, ctx.shapes[0]) if need_a else None,
                unbroadcast(-grad, ctx.shapes[1]) if need_b else None)
        ### END SOLUTION


class Mul(Function):
    """a * b (element-wise) with broadcasting."""

    def forward(ctx, a, b):
        ### BEGIN SOLUTION
        ctx.save_for_backward(a, b)
        return _broadcasting(np.multiply, a, b)
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad * b, np.shape(a)) if need_a else None,
                unbroadcast(grad * a, np.shape(b)) if need_b else None)
        ### END SOLUTION


class Div(Function):
    """a / b (element-wise) with broadcasting."""

    def forward(ctx, a, b):
        ### BEGIN SOLUTION
        ctx.save_for_backward(a, b)
        return _broadcasting(np.true_divide, a, b)
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad / b, np.shape(a)) if need_a else None,
                unbroadcast(-(grad * a / b) / b, np.shape(b)) if need_b else None)
        ### END SOLUTION


class Neg(Function):
    """-a"""

    def forward(ctx, a):
        ### BEGIN SOLUTION
        return -a
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        return (-grad,)
        ### END SOLUTION


class Pow(Function):
    """a ** exponent for a scalar exponent (a keyword argument)."""

    def forward(ctx, a, exponent):
        ### BEGIN SOLUTION
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        return a ** exponent
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        (a,) = ctx.saved
        p = ctx.exponent
        if p == 0:
            return (np.zeros_like(grad),)
        return (grad * (p * a ** (p - 1)),)
        ### END SOLUTION


# Given: the operators of module 01, now routed through the Functions above.
@extend(Tensor)
def __add__(self, other):
    return Add.apply(self, _operand(other))


@extend(Tensor)
def __radd__(self, other):
    return Add.apply(_operand(other), self)


@extend(Tensor)
def __sub__(self, other):
    return Sub.apply(self, _operand(other))


@extend(Tensor)
def __rsub__(self, other):
    return Sub.apply(_operand(other), self)


@extend(Tensor)
def __mul__(self, other):
    return Mul.apply(self, _operand(other))


@extend(Tensor)
def __rmul__(self, other):
    return Mul.apply(_operand(other), self)


@extend(Tensor)
def __truediv__(self, other):
    return Div.apply(self, _operand(other))


@extend(Tensor)
def __rtruediv__(self, other):
    return Div.apply(_operand(other), self)


@extend(Tensor)
def __neg__(self):
    return Neg.apply(self)


@extend(Tensor)
def __pow__(self, exponent):
    if isinstance(exponent, Tensor) or not np.isscalar(exponent):
        raise TypeError(f"Tensor ** exponent needs a scalar exponent, got {type(exponent).__name__}")
    return Pow.apply(self, exponent=exponent)


# %% nbgrader={"grade": true, "grade_id": "test-arithmetic", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
a = Tensor([1.0, 2.0, 3.0]).requires_grad_()
b = Tensor([4.0, 5.0, 8.0]).requires_grad_()
(a * b).backward(np.ones(3))
expect_close((a.grad.data, b.grad.data), ([4.0, 5.0, 8.0], [1.0, 2.0, 3.0]), "a * b: ∂/∂a = b and ∂/∂b = a",
             rtol=1e-6, atol=1e-6)
a.grad = b.grad = None
(a / b).backward(np.ones(3))
expect_close(a.grad.data, [0.25, 0.2, 0.125], "a / b: ∂/∂a = 1 / b", rtol=1e-6, atol=1e-7)
expect_close(b.grad.data, [-0.0625, -0.08, -0.046875], "a / b: ∂/∂b = -a / b^2 (note the minus sign)",
             rtol=1e-6, atol=1e-7)
a.grad = b.grad = None
(a - b).backward(np.ones(3))
expect((a.grad.data, b.grad.data), (np.ones(3), -np.ones(3)), "a - b: ∂/∂a = 1 and ∂/∂b = -1")
x = Tensor(np.ones((3, 4))).requires_grad_()
bias = Tensor(np.arange(4.0)).requires_grad_()
(x + bias).backward(np.ones((3, 4)))
expect(bias.grad.data, np.array([3.0, 3.0, 3.0, 3.0]), "a broadcast (4,) bias should get its gradient summed over the 3 rows")
c = Tensor([2.0, 4.0]).requires_grad_()
(1 / c).backward(np.ones(2))
expect_close(c.grad.data, [-0.25, -0.0625], "1 / c should have gradient -1 / c^2 (reverse division)", rtol=1e-6, atol=1e-7)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5)
_A = _rng.standard_normal((2, 1, 4)).astype(np.float32)
_B = (_rng.random((3, 1)) + 0.5).astype(np.float32)
_G = _rng.standard_normal((2, 3, 4)).astype(np.float32)
for _name, _op in [("+", lambda p, q: p + q), ("-", lambda p, q: p - q),
                   ("*", lambda p, q: p * q), ("/", lambda p, q: p / q)]:
    _a, _b = Tensor(_A).requires_grad_(), Tensor(_B).requires_grad_()
    _o = _op(_a, _b)
    expect((_o.shape, str(_o.dtype)), ((2, 3, 4), "float32"), f"{_name} should broadcast (2, 1, 4) with (3, 1) in float32")
    _o.backward(_G)
    expect((str(_a.grad.dtype), str(_b.grad.dtype)), ("float32", "float32"), f"{_name}: gradients should be float32")
    expect_close(_a.grad.data, {"+": _G, "-": _G, "*": _G * _B, "/": _G / _B}[_name].sum(axis=1, keepdims=True),
                 f"{_name}: gradient of the (2, 1, 4) input",
                 rtol=1e-4, atol=1e-4)
    expect_close(_b.grad.data, {"+": _G, "-": -_G, "*": _G * _A, "/": -_G * _A / _B ** 2}[_name].sum(axis=(0, 2)).reshape(3, 1),
                 f"{_name}: gradient of the (3, 1) input",
                 rtol=1e-4, atol=1e-4)
# reversed operators with numbers, arrays and lists
_t = Tensor([1.0, 2.0, 4.0]).requires_grad_()
(2 - _t).backward(np.ones(3))
expect(_t.grad.data, -np.ones(3), "2 - t should have gradient -1")
_t.grad = None
(np.array([1.0, 2.0, 3.0]) * _t).backward(np.ones(3))
expect((_t.grad.data, str(_t.grad.dtype)), (np.array([1.0, 2.0, 3.0]), "float32"), "ndarray * t should keep float32 grads")
_t.grad = None
(3.0 + _t * 2 + [1.0, 1.0, 1.0]).backward(np.ones(3))
expect(_t.grad.data, np.full(3, 2.0), "numbers and lists on either side should pass gradients to t")
_t.grad = None
(_t * _t).backward(np.ones(3))
expect(_t.grad.data, np.array([2.0, 4.0, 8.0]), "t * t uses t twice: gradient 2t")
_t.grad = None
(_t - _t + _t / _t).backward(np.ones(3))
expect_close(_t.grad.data, np.zeros(3), "t - t + t / t is constant: gradient 0", rtol=0, atol=1e-6)
# float32 division by a tiny b: -(g * a / b) / b, not g * a / (b * b) (which underflows to -inf)
_ta = Tensor(np.array([1e-24, 3e-30], dtype=np.float32)).requires_grad_()
_tb = Tensor(np.array([1e-24, 1e-23], dtype=np.float32)).requires_grad_()
(_ta / _tb).backward(np.ones(2))
expect_close(_tb.grad.data, [-1e24, -3e16], "∂(a / b)/∂b for tiny float32 b should be finite (b * b underflows)",
             rtol=1e-5, atol=0)
expect_close(_ta.grad.data, [1e24, 1e23], "∂(a / b)/∂a for tiny float32 b", rtol=1e-5, atol=0)
# constants: the float64 upcast of an int64 operand must not leak into float32 grads
_q = Tensor([1.0, 2.0]).requires_grad_()
(_q * Tensor([3, 4])).backward(np.ones(2))
expect((str(_q.grad.dtype), _q.grad.data), ("float32", np.array([3.0, 4.0])), "float32 * int64 tensor: float32 gradient")
### END HIDDEN TESTS
print("✅ Step 5: + - * / are differentiable")

# %% nbgrader={"grade": true, "grade_id": "test-pow-neg", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
t = Tensor([1.0, 2.0, 4.0]).requires_grad_()
(t ** 3).backward(np.ones(3))
expect_close(t.grad.data, [3.0, 12.0, 48.0], "t ** 3 should have gradient 3 t^2", rtol=1e-6, atol=1e-6)
t.grad = None
(-t).backward(np.array([1.0, 2.0, 3.0]))
expect(t.grad.data, np.array([-1.0, -2.0, -3.0]), "-t should send -grad back")
### BEGIN HIDDEN TESTS
_t = Tensor([1.0, 2.0, 4.0]).requires_grad_()
(_t ** 0.5).backward(np.ones(3))
expect_close(_t.grad.data, [0.5, 0.5 / np.sqrt(2.0), 0.25], "t ** 0.5 should have gradient 0.5 / sqrt(t)",
             rtol=1e-6, atol=1e-7)
_t.grad = None
(_t ** -1).backward(np.ones(3))
expect_close(_t.grad.data, [-1.0, -0.25, -0.0625], "t ** -1 should have gradient -1 / t^2", rtol=1e-6, atol=1e-7)
# x ** 0 is constant: gradient 0 everywhere, also at x = 0 (0 * 0 ** -1 would be nan), as torch
_z = Tensor([0.0, 1.0, -2.0]).requires_grad_()
with np.errstate(divide="ignore", invalid="ignore"):
    (_z ** 0).backward(np.ones(3))
expect(_z.grad.data, np.zeros(3), "x ** 0 has gradient 0 everywhere, also at x = 0 (not nan)")
_z.grad = None
(_z ** 1).backward(np.ones(3))
expect(_z.grad.data, np.ones(3), "x ** 1 has gradient 1, also at x = 0")
_z.grad = None
(_z ** 2).backward(np.ones(3))
expect(_z.grad.data, np.array([0.0, 2.0, -4.0]), "x ** 2 has gradient 2x")
### END HIDDEN TESTS
print("✅ Step 5: -x and x ** p are differentiable")

# %% nbgrader={"grade": true, "grade_id": "test-arithmetic-forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
f = Tensor([1.0, 2.0])
expect((f + 1).data, np.array([2.0, 3.0]), "t + 1 still computes as in module 01")
expect((str((f + 1).dtype), str((f / 3).dtype)), ("float32", "float32"), "Python numbers must keep float32")
with expect_raises(ValueError, "(3, 4) + (3,) should raise ValueError, as in module 01"):
    Tensor(np.ones((3, 4))) + Tensor(np.ones(3))
### BEGIN HIDDEN TESTS
expect(str((Tensor([1, 2, 3]) / 2).dtype), "float32", "int / int should still give float32")
expect(((Tensor([1, 2]) + 1).data, str((Tensor([1, 2]) + 1).dtype)), (np.array([2, 3]), "int64"),
       "int + int should still stay integer")
expect(str((Tensor([1.0], dtype=np.float64) * 2.0).dtype), "float64", "float64 stays float64")
expect((Tensor([6.0, 8.0]) / Tensor([2.0, 4.0]) - 1).data, np.array([2.0, 1.0]), "forward of / and -")
with expect_raises(TypeError, "t ** tensor should raise TypeError"):
    Tensor([1.0, 2.0]) ** Tensor([1.0, 2.0])
expect((Tensor([1.0]) * Tensor([2.0])).grad_fn, None, "ops on constants should record nothing")
### END HIDDEN TESTS
print("✅ Step 5: the forward of module 01 is unchanged")

# %% [markdown]
# ## Step 6 · `gradcheck`: trust, but verify
#
# A backward formula with a wrong sign or a missing `unbroadcast` trains badly instead of crashing,
# so every backward must be checked. The check needs no calculus: the **central difference**
#
# ```
# ∂f/∂xᵢ ≈ ( f(x + ε·eᵢ) − f(x − ε·eᵢ) ) / (2ε)
# ```
#
# has error O(ε²). With ε = 10⁻⁶ that is ~10⁻¹² of truncation error, but only in **float64**: in
# float32 (about 7 digits) the difference f(x+ε) − f(x−ε) would be mostly rounding noise. So
# `gradcheck` copies every floating Tensor input to float64 first. `torch.autograd.gradcheck`
# works the same way (and also insists on float64).
#
# Implement `gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3)`:
#
# 1. Make float64 copies of the floating Tensor inputs, with `requires_grad`; pass every other
#    input (an integer index tensor, a number) unchanged. Never modify the caller's tensors.
# 2. `out = fn(*copies)`. `out` may have any shape, so reduce it to one number with fixed random
#    weights `w` (seeded: `np.random.default_rng(0)`): f = Σ out · w. Then `out.backward(w)` gives
#    the analytic ∂f/∂x. (Why not weights of 1? Σ softmax(x) is always 1, so its gradient with
#    weights 1 is zero, and a broken softmax backward returning zeros would pass.)
# 3. For every element of every checked input: perturb it by ±ε in place, recompute f under
#    `no_grad()` (faster, no graph), restore it.
# 4. Accept when `|analytic − numeric| ≤ atol + rtol · |numeric|` everywhere and return `True`.
#    Otherwise raise `AssertionError` naming the input, the worst element's index and both values.
#
# Cost: two forward passes per element, so use it on small tensors (a few dozen elements).

# %% nbgrader={"grade": false, "grade_id": "gradcheck", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Compare fn's backward with central differences in float64; True, or AssertionError with the worst element."""
    ### BEGIN SOLUTION
    copies, checked = [], []
    for x in inputs:
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            c = Tensor(np.array(x.data, dtype=np.float64), dtype=np.float64).requires_grad_()
            copies.append(c)
            checked.append(c)
        else:
            copies.append(x)
    out = fn(*copies)
    if out.dtype != np.float64:
        raise ValueError(f"gradcheck needs fn to compute in float64, but it returned {out.dtype}: "
                         "does some operation convert its result to float32?")
    weights = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(weights)

    def objective():
        with no_grad():
            return float(np.sum(fn(*copies).data * weights))

    for k, x in enumerate(checked):
        analytic = x.grad.data if x.grad is not None else np.zeros_like(x.data)
        numeric = np.zeros_like(x.data)
        flat = x.data.reshape(-1)           # a view: writing to it perturbs x
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            f_plus = objective()
            flat[i] = original - eps
            f_minus = objective()
            flat[i] = original
            numeric.flat[i] = (f_plus - f_minus) / (2 * eps)
        excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if excess.size and excess.max() > 0:
            worst = np.unravel_index(int(np.argmax(excess)), x.shape)
            raise AssertionError(f"gradcheck failed for floating input {k} (shape {x.shape}) at index {worst}: "
                                 f"backward gives {analytic[worst]:.6g}, finite differences give {numeric[worst]:.6g}")
    return True
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-gradcheck", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(6)
p = Tensor(rng.standard_normal((3, 4)))
q = Tensor(rng.random(4) + 0.5)
expect(gradcheck(lambda u, v: u * v - u / v + v ** 2, p, q), True, "gradcheck should accept correct gradients")


class WrongSquare(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    def backward(ctx, grad):
        (a,) = ctx.saved
        return (grad * 3 * a,)          # wrong: should be 2 a


with expect_raises(AssertionError, "gradcheck should raise AssertionError for a wrong backward"):
    gradcheck(lambda u: WrongSquare.apply(u), p)
expect((str(p.dtype), p.grad, p.requires_grad), ("float32", None, False), "gradcheck must not modify the caller's tensors")
expect(p.data, np.random.default_rng(6).standard_normal((3, 4)).astype(np.float32), "gradcheck must leave the caller's data as it was (perturb a float64 copy)")
### BEGIN HIDDEN TESTS
expect(gradcheck(lambda u, v: u * v, p, q), True, "gradcheck of u * v")
expect((p.data, q.grad, str(q.dtype)), (np.random.default_rng(6).standard_normal((3, 4)).astype(np.float32), None, "float32"),
       "gradcheck must leave the caller's tensors (data, grad, dtype) untouched")


class _AlmostSquare(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    def backward(ctx, grad):
        (a,) = ctx.saved
        return (grad * 2 * a * (1 + 1e-4),)


_s = Tensor(np.linspace(0.5, 2.0, 6))
expect(gradcheck(lambda u: _AlmostSquare.apply(u), _s), True, "a 1e-4 relative error is within the default rtol=1e-3")
with expect_raises(AssertionError, "gradcheck should use the given atol and rtol"):
    gradcheck(lambda u: _AlmostSquare.apply(u), _s, atol=1e-9, rtol=1e-7)


class _Zero(Function):
    def forward(ctx, a):
        return a * 2.0

    def backward(ctx, grad):
        return (np.zeros_like(grad),)


with expect_raises(AssertionError, "gradcheck should catch a backward that returns zeros"):
    gradcheck(lambda u: _Zero.apply(u), Tensor([1.0, 2.0, 3.0]))


class _SumToOne(Function):
    """softmax-like: the outputs always sum to 1, and a backward that returns zeros is wrong."""

    def forward(ctx, a):
        e = np.exp(a)
        return e / e.sum()

    def backward(ctx, grad):
        return (np.zeros_like(grad),)


with expect_raises(AssertionError, "gradcheck must weight the outputs randomly: with weights 1 a zero gradient of "
                                   "a function whose outputs sum to 1 would pass"):
    gradcheck(lambda u: _SumToOne.apply(u), Tensor([0.5, -1.0, 2.0]))


class _WrongSecond(Function):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    def backward(ctx, grad):
        a, b = ctx.saved
        return grad * b, grad * b      # second one wrong


with expect_raises(AssertionError, "gradcheck should check every floating input, not only the first"):
    gradcheck(lambda u, v: _WrongSecond.apply(u, v), Tensor([1.0, 2.0]), Tensor([3.0, -1.0]))
# non-tensor and integer inputs pass through unchanged
_idx = Tensor([2, 0, 2, 1])
expect(gradcheck(lambda u, i, k: u * k * i, Tensor(rng.standard_normal(4)), _idx, 3.0), True,
       "integer index tensors and numbers should be passed to fn unchanged")
expect(_idx.data, np.array([2, 0, 2, 1]), "integer inputs are not perturbed")
expect(gradcheck(lambda u: u * u * u, Tensor(rng.standard_normal((2, 2)))), True, "u * u * u should pass")
### END HIDDEN TESTS
print("✅ Step 6: gradcheck catches wrong gradients")

# %% [markdown]
# From now on, every test compares your backward against `gradcheck` as well as against formulas.
# Use it yourself whenever you write a new backward, in this course and after it.
#
# ## Step 7 · Matrix multiplication
#
# For `C = A @ B` with `A` of shape `(m, k)` and `B` of shape `(k, n)`, and `G` = ∂loss/∂C of shape
# `(m, n)`:
#
# ```
# ∂loss/∂A = G @ Bᵀ      (m, n) @ (n, k) -> (m, k)      ✓ the shape of A
# ∂loss/∂B = Aᵀ @ G      (k, m) @ (m, n) -> (k, n)      ✓ the shape of B
# ```
#
# If you forget which is which, match the shapes: there is only one way to make them fit. Each
# of the two products costs as much as the forward, so **the backward of a matmul costs twice its
# forward** (once when only one of the two gradients is needed); the systems analysis measures what
# that means for a whole network.
#
# **Batched and 1-D operands.** Transpose only the last two dimensions (`np.swapaxes(B, -1, -2)`).
# If a batch dimension was broadcast (`(B, m, k) @ (k, n)`), the gradient of the broadcast operand
# comes out with the batch dimensions, and `unbroadcast` sums them away. A 1-D `a` acts as a
# `(1, k)` row and a 1-D `b` as a `(k, 1)` column, with that dimension removed from the result;
# in backward put it back into `G` (`np.expand_dims(G, -2)` or `-1`), compute as above, and reshape
# each gradient to its input's shape. `(k,) @ (k,)` is a dot product: ∂/∂a = G · b, ∂/∂b = G · a.
#
# Module 01's shape errors must stay: check the shapes as 01 did before computing.

# %% nbgrader={"grade": false, "grade_id": "matmul", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _check_matmul_shapes(a, b):
    """Given: module 01's matmul shape checks (ValueError naming both shapes)."""
    a_shape, b_shape = np.shape(a), np.shape(b)
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise ValueError(f"matmul needs tensors with at least one dimension, got shapes {a_shape} and {b_shape}")
    inner_a = a_shape[-1]
    inner_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if inner_a != inner_b:
        raise ValueError(f"matmul shape mismatch: {a_shape} @ {b_shape}: inner dimensions {inner_a} and {inner_b} differ")
    try:
        broadcast_shapes(a_shape[:-2], b_shape[:-2])
    except ValueError:
        raise ValueError(f"matmul shape mismatch: {a_shape} @ {b_shape}: batch dimensions "
                         f"{a_shape[:-2]} and {b_shape[:-2]} do not broadcast") from None


class MatMul(Function):
    """a @ b: 2-D, batched N-D (batch dimensions broadcast), or 1-D as NumPy does."""

    def forward(ctx, a, b):
        _check_matmul_shapes(a, b)
        ### BEGIN SOLUTION
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:
            return (grad * b if need_a else None), (grad * a if need_b else None)
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        if a.ndim == 1:
            grad = np.expand_dims(grad, -2)
        if b.ndim == 1:
            grad = np.expand_dims(grad, -1)
        grad_a = grad_b = None
        if need_a:
            grad_a = unbroadcast(np.matmul(grad, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if need_b:
            grad_b = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), grad), b2.shape).reshape(b.shape)
        return grad_a, grad_b
        ### END SOLUTION


# Given: matmul, @ and reversed @ through MatMul.
@extend(Tensor)
def matmul(self, other):
    return MatMul.apply(self, other if isinstance(other, Tensor) else Tensor(other))


@extend(Tensor)
def __matmul__(self, other):
    return MatMul.apply(self, other if isinstance(other, Tensor) else Tensor(other))


@extend(Tensor)
def __rmatmul__(self, other):
    return MatMul.apply(Tensor(other), self)


# %% nbgrader={"grade": true, "grade_id": "test-matmul", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
A = Tensor([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]]).requires_grad_()
B = Tensor([[1.0, 0.0], [2.0, 1.0], [0.0, 3.0]]).requires_grad_()
G = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
(A @ B).backward(G)
expect((A.grad.shape, B.grad.shape), ((2, 3), (3, 2)), "each gradient should have its input's shape")
expect_close(A.grad.data, [[1.0, 4.0, 6.0], [3.0, 10.0, 12.0]], "∂/∂A of A @ B should be G @ B^T", rtol=1e-6, atol=1e-6)
expect_close(B.grad.data, [[1.0, 2.0], [5.0, 8.0], [-3.0, -4.0]], "∂/∂B of A @ B should be A^T @ G", rtol=1e-6, atol=1e-6)
rng = np.random.default_rng(7)
expect(gradcheck(lambda u, v: u @ v, Tensor(rng.standard_normal((2, 3))), Tensor(rng.standard_normal((3, 2)))), True,
       "matmul should pass gradcheck")
### BEGIN HIDDEN TESTS
for _sa, _sb in [((2, 3, 4), (4, 5)), ((4,), (4, 3)), ((3, 4), (4,)), ((4,), (4,)), ((2, 1, 2, 3), (4, 3, 2)),
                 ((1, 2, 3), (2, 3, 2)), ((3,), (2, 3, 2)), ((2, 2, 3), (3,))]:
    expect(gradcheck(lambda u, v: u @ v, Tensor(rng.standard_normal(_sa)), Tensor(rng.standard_normal(_sb))), True,
           f"matmul {_sa} @ {_sb} should pass gradcheck (batched, broadcast and 1-D operands)")
_a = Tensor(rng.standard_normal((5, 2, 3))).requires_grad_()
_w = Tensor(rng.standard_normal((3, 4))).requires_grad_()
_o = _a @ _w
_o.backward(np.ones(_o.shape))
expect_close(_w.grad.data, np.einsum("bmk,bmn->kn", _a.data, np.ones((5, 2, 4))),
             "a weight shared across a batch should get the gradient summed over the batch", rtol=1e-5, atol=1e-4)
expect_close(_a.grad.data, np.broadcast_to(_w.data.sum(axis=1), (5, 2, 3)), "∂/∂a of a batched matmul",
             rtol=1e-5, atol=1e-5)
expect((str(_a.grad.dtype), str(_w.grad.dtype)), ("float32", "float32"), "matmul gradients should be float32")
_v = Tensor(np.array([1.0, 2.0])).requires_grad_()
(_v @ _v).backward()
expect_close(_v.grad.data, [2.0, 4.0], "v @ v uses v twice: gradient 2v", rtol=1e-6, atol=1e-6)
_r = Tensor([1.0, -1.0, 2.0]).requires_grad_()
_M = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]).requires_grad_()
(_r @ _M).backward(np.array([1.0, 10.0]))
expect_close(_r.grad.data, [21.0, 43.0, 65.0], "(3,) @ (3, 2): ∂/∂r of a 1-D left operand", rtol=1e-6, atol=1e-6)
expect_close(_M.grad.data, [[1.0, 10.0], [-1.0, -10.0], [2.0, 20.0]], "(3,) @ (3, 2): ∂/∂M is the outer product",
             rtol=1e-6, atol=1e-6)
_k = Tensor(rng.standard_normal((3, 4))).requires_grad_()
_c = rng.standard_normal((4, 2))
_k.matmul(_c.tolist()).backward(np.ones((3, 2)))
expect_close(_k.grad.data, np.ones((3, 2)) @ _c.T, "matmul with a nested list should still differentiate",
             rtol=1e-5, atol=1e-5)
for _sa, _sb in [((2, 3), (2, 3)), ((2, 3, 4), (3, 4, 5))]:
    with expect_raises(ValueError, "matmul with incompatible shapes should raise ValueError"):
        Tensor(np.ones(_sa)) @ Tensor(np.ones(_sb))
expect(str((Tensor([[1, 2]]) @ Tensor([[3], [4]])).dtype), "int64", "integer matmul should stay integer")
### END HIDDEN TESTS
print("✅ Step 7: matmul is differentiable")

# %% [markdown]
# ## Step 8 · Reductions: sum, mean, max
#
# **Sum.** Every input element contributes once to its output element, so each gets the incoming
# gradient of that output: spread `G` back over the reduced axes. If `keepdims=False`, first put the
# reduced axes back with `np.expand_dims(G, axis)` (it accepts a tuple of axes; with `axis=None`
# `G` is 0-d and needs nothing), then `np.broadcast_to(G, input_shape)`. `broadcast_to` returns a
# read-only view instead of a copy, which is fine: nobody writes into gradients.
#
# **Mean** is the sum divided by the number of elements per output (`input size / output size`).
#
# **Max** sends the whole gradient to the element that was the maximum; the others did not affect
# the output. Ties need a rule, and we follow PyTorch's:
#
# | call | PyTorch equivalent | gradient with ties |
# |---|---|---|
# | `x.max(axis=1)` (an int axis) | `torch.max(x, dim=1)` | all to the **first** maximal element (`np.argmax` picks it) |
# | `x.max()` or `x.max(axis=(0, 1))` | `torch.max(x)`, `torch.amax(x, dims)` | **split evenly** between the tied elements |
#
# For the int-axis case, `np.put_along_axis(zeros, index, G, axis)` with the `argmax` index (kept
# as a size-1 dimension) writes each gradient into place. For the split case, the mask
# `x == max(keepdims=True)` divided by its count along the axes does it.

# %% nbgrader={"grade": false, "grade_id": "reductions", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _restore_reduced(grad, axis, keepdims):
    """Given: put reduced axes back as size-1 dimensions (no-op when keepdims or axis is None)."""
    if keepdims or axis is None:
        return grad
    return np.expand_dims(grad, axis)


class Sum(Function):
    """Sum over `axis` (None: everything)."""

    def forward(ctx, a, axis=None, keepdims=False):
        ### BEGIN SOLUTION
        ctx.shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        return np.sum(a, axis=axis, keepdims=keepdims)
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        return (np.broadcast_to(_restore_reduced(grad, ctx.axis, ctx.keepdims), ctx.shape),)
        ### END SOLUTION


class Mean(Function):
    """Mean over `axis` (None: everything)."""

    def forward(ctx, a, axis=None, keepdims=False):
        ### BEGIN SOLUTION
        out = np.mean(a, axis=axis, keepdims=keepdims)
        ctx.shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        ctx.count = a.size / max(np.size(out), 1)
        return out
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        grad = _restore_reduced(grad, ctx.axis, ctx.keepdims) / ctx.count
        return (np.broadcast_to(grad, ctx.shape),)
        ### END SOLUTION


class Max(Function):
    """Maximum over `axis`; ties: first element for an int axis, split evenly otherwise (as PyTorch)."""

    def forward(ctx, a, axis=None, keepdims=False):
        ### BEGIN SOLUTION
        ctx.save_for_backward(a)
        ctx.axis, ctx.keepdims = axis, keepdims
        return np.max(a, axis=axis, keepdims=keepdims)
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        (a,) = ctx.saved
        grad = _restore_reduced(grad, ctx.axis, ctx.keepdims)
        if isinstance(ctx.axis, (int, np.integer)):
            index = np.expand_dims(np.argmax(a, axis=ctx.axis), ctx.axis)
            out = np.zeros(a.shape, dtype=grad.dtype)
            np.put_along_axis(out, index, grad, axis=ctx.axis)
            return (out,)
        mask = a == np.max(a, axis=ctx.axis, keepdims=True)
        count = mask.sum(axis=ctx.axis, keepdims=True)
        return (mask * (grad / count),)
        ### END SOLUTION


# Given: the reductions, attached under their real names.
@extend(Tensor, name="sum")
def _sum(self, axis=None, keepdims=False):
    return Sum.apply(self, axis=axis, keepdims=keepdims)


@extend(Tensor, name="mean")
def _mean(self, axis=None, keepdims=False):
    return Mean.apply(self, axis=axis, keepdims=keepdims)


@extend(Tensor, name="max")
def _max(self, axis=None, keepdims=False):
    return Max.apply(self, axis=axis, keepdims=keepdims)


# %% nbgrader={"grade": true, "grade_id": "test-sum-mean", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
x = Tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]).requires_grad_()
x.sum().backward()
expect(x.grad.data, np.ones((2, 3)), "every element gets gradient 1 from sum()")
x.grad = None
x.sum(axis=0).backward(np.array([1.0, 2.0, 3.0]))
expect(x.grad.data, np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]), "sum(axis=0) spreads each column's gradient down the column")
x.grad = None
x.mean(axis=1).backward(np.array([3.0, 6.0]))
expect_close(x.grad.data, [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], "mean(axis=1) spreads each row's gradient divided by 3",
             rtol=1e-6, atol=1e-6)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(8)
expect(gradcheck(lambda u: u.sum(axis=0) * u.mean(axis=1, keepdims=True), Tensor(_rng.standard_normal((3, 3)))), True,
       "sum and mean with axis and keepdims should pass gradcheck")
_t = Tensor(_rng.standard_normal((2, 3, 4)))
for _kw in [dict(), dict(axis=0), dict(axis=-1), dict(axis=(0, 2)), dict(axis=1, keepdims=True),
            dict(axis=(0, 1, 2), keepdims=True), dict(keepdims=True)]:
    for _name in ("sum", "mean"):
        expect(gradcheck(lambda u: getattr(u, _name)(**_kw), _t), True, f"{_name}({_kw}) should pass gradcheck")
_m = Tensor(np.ones((2, 3, 4))).requires_grad_()
_m.mean(axis=(0, 2)).backward(np.array([8.0, 16.0, 24.0]))
expect_close(_m.grad.data, np.broadcast_to(np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1), (2, 3, 4)),
             "mean over axes (0, 2) divides by 2 * 4 = 8", rtol=1e-6, atol=1e-6)
_i = Tensor(np.arange(6.0).reshape(2, 3)).requires_grad_()
_i.mean().backward()
expect_close(_i.grad.data, np.full((2, 3), 1 / 6), "mean() gives 1/size to every element", rtol=1e-6, atol=1e-7)
expect(str(_i.grad.dtype), "float32", "mean's gradient of a float32 tensor is float32")
_big = Tensor(np.ones((3, 5), dtype=np.float32)).requires_grad_()
(_big.sum(axis=1) * Tensor([1.0, 2.0, 3.0])).sum().backward()
expect(_big.grad.data, np.repeat(np.array([[1.0], [2.0], [3.0]]), 5, axis=1), "sum(axis=1) should spread each row's gradient")
expect((str(Tensor([[1, 2], [3, 4]]).sum().dtype), str(Tensor([[1, 2], [3, 4]]).mean().dtype)), ("int64", "float32"),
       "module 01's reduction dtypes must be kept")
expect(Tensor(np.ones((2, 3))).sum(axis=1, keepdims=True).data, np.full((2, 1), 3.0), "keepdims must still work in forward")
### END HIDDEN TESTS
print("✅ Step 8: sum and mean are differentiable")

# %% nbgrader={"grade": true, "grade_id": "test-max", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
x = Tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]).requires_grad_()
x.max(axis=1).backward(np.array([1.0, 2.0]))
expect(x.grad.data, np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]), "max(axis=1) sends each row's gradient to that row's maximum only")
x.grad = None
x.max().backward()
expect(x.grad.data, np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), "max() sends the gradient to the largest element")
### BEGIN HIDDEN TESTS
_t = Tensor(np.random.default_rng(8).standard_normal((2, 3, 4)))
for _kw in [dict(), dict(axis=0), dict(axis=-1), dict(axis=(0, 2)), dict(axis=1, keepdims=True)]:
    expect(gradcheck(lambda u: u.max(**_kw), _t), True, f"max({_kw}) should pass gradcheck")
_tie = Tensor([[2.0, 7.0, 7.0], [1.0, 1.0, 0.0]]).requires_grad_()
_tie.max(axis=1).backward(np.array([1.0, 1.0]))
expect(_tie.grad.data, np.array([[0, 1, 0], [1, 0, 0]], dtype=np.float32),
       "max over an int axis: ties go to the first maximum (as torch.max(x, dim))")
_tie.grad = None
_tie.max().backward()
expect(_tie.grad.data, np.array([[0, 0.5, 0.5], [0, 0, 0]], dtype=np.float32), "max() over everything: ties split evenly")
_tie.grad = None
_tie.max(axis=(1,)).backward(np.array([1.0, 1.0]))
expect(_tie.grad.data, np.array([[0, 0.5, 0.5], [0.5, 0.5, 0]], dtype=np.float32),
       "max over a tuple of axes: ties split evenly (as torch.amax)")
_tie.grad = None
_tie.max(axis=0, keepdims=True).backward(np.ones((1, 3)))
expect(_tie.grad.data, np.array([[1, 1, 1], [0, 0, 0]], dtype=np.float32), "max(axis=0, keepdims=True) routes each column's gradient")
### END HIDDEN TESTS
print("✅ Step 8: max is differentiable")

# %% [markdown]
# ## Step 9 · Shapes and indexing
#
# These move numbers around without changing them, so their backward moves the gradient back:
#
# - **reshape**: `G.reshape(input_shape)`. Keep module 01's behaviour: a `-1` is inferred by NumPy,
#   and an impossible shape must raise `ValueError` naming both shapes (catch NumPy's error and
#   raise your own).
# - **transpose(axes)**: the gradient is transposed back with the **inverse permutation**,
#   `np.argsort(axes)`. No axes means "reverse", which is its own inverse. Make negative axes
#   non-negative first (`ax % ndim`): `transpose(0, -1, -2)` is `transpose(0, 2, 1)`, whose inverse
#   is `(0, 2, 1)`, but `np.argsort((0, -1, -2))` is `(2, 1, 0)`: a wrong gradient, or an error.
# - **indexing** `x[index]`: the output holds some elements of `x`, so `∂/∂x` is zeros with `G`
#   written back at those positions. With **basic** indexing (ints, slices, `None`, `...`) each
#   element is picked at most once and `grad_x[index] = G` works. With **integer arrays** the same
#   element can be picked twice, `x[[0, 0]]`, and then its gradient must be the **sum**: but
#   `grad_x[[0, 0]] += G` adds only once (NumPy buffers the write). `np.add.at(grad_x, index, G)`
#   is the unbuffered version that adds every occurrence. Cross-entropy will use this:
#   `log_probs[np.arange(N), targets]`.
# - **contiguous**: the values do not change, so the gradient passes through.
#
# The methods at the bottom of the cell are given (they unwrap Tensor indices, as 01 did).

# %% nbgrader={"grade": false, "grade_id": "shape-ops", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _is_advanced(index):
    """Given: True when an index contains an array or list (NumPy advanced indexing)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, (np.ndarray, list)) for i in parts)


class Reshape(Function):
    """The same elements in a new shape (a view when possible)."""

    def forward(ctx, a, shape):
        ### BEGIN SOLUTION
        ctx.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(f"cannot reshape a tensor of shape {a.shape} ({a.size} elements) "
                             f"into shape {tuple(shape)}") from None
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        return (grad.reshape(ctx.shape),)
        ### END SOLUTION


class Transpose(Function):
    """Permute the dimensions; axes=None reverses them."""

    def forward(ctx, a, axes=None):
        ### BEGIN SOLUTION
        out = a.transpose(axes)          # NumPy checks the axes (negative ones are allowed)
        ctx.axes = None if axes is None else tuple(ax % a.ndim for ax in axes)
        return out
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        if ctx.axes is None:
            return (grad.transpose(),)
        return (grad.transpose(np.argsort(ctx.axes)),)
        ### END SOLUTION


class GetItem(Function):
    """a[index]: basic indexing (a view) or integer-array / boolean indexing (a copy)."""

    def forward(ctx, a, index):
        ### BEGIN SOLUTION
        ctx.shape, ctx.index = a.shape, index
        return a[index]
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        if _is_advanced(ctx.index):
            np.add.at(out, ctx.index, grad)
        else:
            out[ctx.index] = grad
        return (out,)
        ### END SOLUTION


class Contiguous(Function):
    """A row-major array with the same values."""

    def forward(ctx, a):
        ### BEGIN SOLUTION
        return np.asarray(a, order="C")
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        return (grad,)
        ### END SOLUTION


# Given: the methods of module 01, through the Functions above.
@extend(Tensor)
def reshape(self, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return Reshape.apply(self, shape=tuple(int(s) for s in shape))


@extend(Tensor)
def transpose(self, *axes):
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return Transpose.apply(self, axes=tuple(axes) if axes else None)


@extend(Tensor)
@property
def T(self):
    return Transpose.apply(self, axes=None)


@extend(Tensor)
def __getitem__(self, index):
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetItem.apply(self, index=index)


@extend(Tensor)
def contiguous(self):
    return Contiguous.apply(self)


# %% nbgrader={"grade": true, "grade_id": "test-reshape-transpose", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
x = Tensor(np.arange(6.0).reshape(2, 3)).requires_grad_()
x.reshape(3, 2).backward(np.arange(6.0).reshape(3, 2))
expect(x.grad.data, np.arange(6.0).reshape(2, 3), "reshape's gradient is reshaped back")
x.grad = None
x.T.backward(np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]))
expect(x.grad.data, np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]), "T's gradient is transposed back")
x3 = Tensor(np.zeros((2, 3, 4))).requires_grad_()
x3.transpose(2, 0, 1).backward(np.arange(24.0).reshape(4, 2, 3))
expect(x3.grad.data, np.arange(24.0).reshape(4, 2, 3).transpose(1, 2, 0),
       "transpose(2, 0, 1) is undone by the inverse permutation np.argsort((2, 0, 1)) = (1, 2, 0)")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(9)
_t = Tensor(_rng.standard_normal((2, 3, 4)))
for _f in [lambda u: u.reshape(4, 6), lambda u: u.reshape(-1), lambda u: u.reshape((3, -1, 2)),
           lambda u: u.transpose(1, 0, 2), lambda u: u.transpose((2, 0, 1)), lambda u: u.T, lambda u: u.transpose(),
           lambda u: u.T.contiguous(), lambda u: u.transpose(2, 0, 1).reshape(8, 3)]:
    expect(gradcheck(_f, _t), True, "reshape, transpose and contiguous should pass gradcheck")
# negative axes, as in torch's x.transpose(-1, -2) / x.permute(0, -1, -2)
_n = Tensor(np.zeros((2, 3, 4))).requires_grad_()
_n.transpose(0, -1, -2).backward(np.arange(24.0).reshape(2, 4, 3))
expect(_n.grad.data, np.arange(24.0).reshape(2, 4, 3).transpose(0, 2, 1),
       "transpose(0, -1, -2): negative axes must be made non-negative before np.argsort")
_n.grad = None
_n.transpose((-1, 0, -2)).backward(np.arange(24.0).reshape(4, 2, 3))
expect(_n.grad.data, np.arange(24.0).reshape(4, 2, 3).transpose(1, 2, 0), "transpose((-1, 0, -2)) backward")
_m = Tensor(np.arange(12.0).reshape(3, 4))
expect((np.shares_memory(_m.reshape(4, 3).data, _m.data), np.shares_memory(_m.T.data, _m.data)), (True, True),
       "reshape and T must stay views, as in module 01")
expect((_m.reshape(-1).data, str(_m.reshape(-1).dtype)), (np.arange(12.0), "float32"), "reshape(-1) forward")
for _bad in [(5, -1), (-1, -1), (7,)]:
    with expect_raises(ValueError, "an impossible reshape should raise ValueError"):
        _m.reshape(*_bad)
_g = Tensor(np.ones((2, 2))).requires_grad_()
_g.contiguous().sum().backward()
expect((_g.grad.data, str(_g.grad.dtype)), (np.ones((2, 2)), "float32"), "contiguous passes the gradient through")
### END HIDDEN TESTS
print("✅ Step 9: reshape, transpose and contiguous are differentiable")

# %% nbgrader={"grade": true, "grade_id": "test-getitem", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
x = Tensor(np.arange(6.0).reshape(2, 3)).requires_grad_()
x[1].backward(np.array([1.0, 2.0, 3.0]))
expect(x.grad.data, np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]), "x[1] sends its gradient to row 1 only")
v = Tensor([10.0, 20.0, 30.0]).requires_grad_()
v[np.array([0, 0, 2])].backward(np.ones(3))
expect(v.grad.data, np.array([2.0, 0.0, 1.0]), "an index picked twice must get both gradients (np.add.at)")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(10)
_t = Tensor(_rng.standard_normal((2, 3, 4)))
for _f in [lambda u: u[1], lambda u: u[:, 1:, ::2], lambda u: u[..., 0], lambda u: u[None, 0],
           lambda u: u[np.array([1, 1, 0])], lambda u: u[:, np.array([2, 0, 2]), 1:3],
           lambda u: u[np.arange(2), np.array([1, 1])], lambda u: u[u.data > 0],
           lambda u: u[Tensor([0, 0])], lambda u: u[Tensor([1, 0]), 2]]:
    expect(gradcheck(_f, _t), True, "basic, integer-array and boolean indexing should pass gradcheck")
_p = Tensor(_rng.standard_normal((4, 3))).requires_grad_()
_p[np.arange(4), np.array([0, 2, 2, 1])].backward(np.array([1.0, 2.0, 3.0, 4.0]))
expect(_p.grad.data, np.array([[1.0, 0, 0], [0, 0, 2.0], [0, 0, 3.0], [0, 4.0, 0]]),
       "picking one element per row should route one gradient per row")
_r = Tensor(np.arange(3.0)).requires_grad_()
_r[np.array([1, 1, 1, 2])].sum().backward()
expect(_r.grad.data, np.array([0.0, 3.0, 1.0]), "an index repeated three times should get three gradients")
_r.grad = None
_r[[2, 2]].backward(np.array([5.0, 7.0]))
expect(_r.grad.data, np.array([0.0, 0.0, 12.0]), "a list index repeated twice adds both gradients")
_m = Tensor(np.arange(12.0).reshape(3, 4))
expect((np.shares_memory(_m[1:].data, _m.data), np.shares_memory(_m[[0, 1]].data, _m.data)), (True, False),
       "basic indexing stays a view, advanced indexing a copy")
expect((_m[1:].grad_fn, _m[1, 2:].data), (None, np.array([6.0, 7.0])), "constants stay constants; forward as module 01")
### END HIDDEN TESTS
print("✅ Step 9: reshape, transpose, indexing and contiguous are differentiable")

# %% [markdown]
# ## Step 10 · exp and log
#
# | op | forward | ∂loss/∂a | save |
# |---|---|---|---|
# | `Exp` | eᵃ | g · eᵃ | the **output** eᵃ (no need to recompute it) |
# | `Log` | ln a | g / a | the input a |

# %% nbgrader={"grade": false, "grade_id": "exp-log", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Exp(Function):
    """e ** a, element-wise."""

    def forward(ctx, a):
        ### BEGIN SOLUTION
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        (out,) = ctx.saved
        return (grad * out,)
        ### END SOLUTION


class Log(Function):
    """Natural logarithm, element-wise."""

    def forward(ctx, a):
        ### BEGIN SOLUTION
        ctx.save_for_backward(a)
        return np.log(a)
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        (a,) = ctx.saved
        return (grad / a,)
        ### END SOLUTION


@extend(Tensor)
def exp(self):
    return Exp.apply(self)


@extend(Tensor)
def log(self):
    return Log.apply(self)


# %% nbgrader={"grade": true, "grade_id": "test-exp-log", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
x = Tensor([0.0, 1.0, 2.0]).requires_grad_()
x.exp().backward(np.ones(3))
expect_close(x.grad.data, np.exp([0.0, 1.0, 2.0]), "the gradient of exp is exp", rtol=1e-6, atol=1e-6)
y = Tensor([0.5, 1.0, 4.0]).requires_grad_()
y.log().backward(np.ones(3))
expect_close(y.grad.data, [2.0, 1.0, 0.25], "the gradient of log is 1 / x", rtol=1e-6, atol=1e-6)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(10)
expect(gradcheck(lambda u: (u.exp() + 1).log(), Tensor(_rng.standard_normal((3, 4)))), True,
       "log(1 + exp(x)) should pass gradcheck")
expect(gradcheck(lambda u: u.log().exp() * u, Tensor(_rng.random((2, 3)) + 0.1)), True, "exp(log(x)) * x should pass gradcheck")
_z = Tensor([0.0, 1.0, 2.0]).requires_grad_()
_ez = _z.exp()
(_ez * _ez).backward(np.array([1.0, 2.0, 3.0]))
expect_close(_z.grad.data, 2 * np.exp([0.0, 2.0, 4.0]) * [1.0, 2.0, 3.0], "exp used twice should accumulate",
             rtol=1e-5, atol=1e-5)
_l = Tensor([0.1, 2.0, 10.0]).requires_grad_()
_l.log().backward(np.array([1.0, 2.0, 3.0]))
expect_close(_l.grad.data, [10.0, 1.0, 0.3], "log's gradient times the incoming gradient", rtol=1e-6, atol=1e-6)
expect((str(_z.grad.dtype), str(Tensor([1, 2]).exp().dtype)), ("float32", "float32"), "exp/log dtypes as in module 01")
### END HIDDEN TESTS
print("✅ Step 10: exp and log are differentiable")

# %% [markdown]
# ## Step 11 · Differentiable activations
#
# Module 02's activations compute on `x.data`, so they are invisible to the graph. Here each one
# gets a Function, and its `forward` is re-attached to call it: `@extend(ReLU, name="forward")`.
# Compute the forward exactly as in module 02 (stable formulas), and use what the forward already
# computed in the backward:
#
# | activation | derivative | save for backward |
# |---|---|---|
# | ReLU | 1 where x > 0, else 0 (PyTorch also uses 0 at x = 0) | the **bool mask** x > 0: 1 byte per element |
# | Sigmoid | σ′(x) = σ(x) · (1 − σ(x)) | the **output** σ(x): stable, no exp in backward |
# | Tanh | 1 − tanh(x)² | the **output** |
# | GELU (tanh approx.) | ½(1 + t) + ½ · x · (1 − t²) · √(2/π) · (1 + 3 · 0.044715 · x²), t = tanh(u) | x and t |
# | Softmax (along `dim`) | ∂/∂x = s ⊙ (g − Σ_dim(g ⊙ s)) | the **output** s |
#
# The softmax row is the Jacobian-vector product written without the n × n Jacobian: the
# Jacobian is `diag(s) − s sᵀ`, and multiplying it by `g` gives `s ⊙ g − s (sᵀ g)`. That costs
# O(n) per row instead of O(n²), and it is stable because it only uses `s`, never `exp` again.
#
# Unlike module 02, keep the input's floating dtype (float64 in, float64 out), so that `gradcheck`
# can check these in float64; `_result_tensor` in `apply` handles that for you.

# %% nbgrader={"grade": false, "grade_id": "activations", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
SQRT_2_OVER_PI = 0.7978845608028654
GELU_COEFF = 0.044715


class ReLUFunction(Function):
    def forward(ctx, a):
        ### BEGIN SOLUTION
        ctx.save_for_backward(a > 0)
        return np.maximum(a, 0)
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        (mask,) = ctx.saved
        return (grad * mask,)
        ### END SOLUTION


class SigmoidFunction(Function):
    def forward(ctx, a):
        ### BEGIN SOLUTION
        out = np.exp(np.minimum(a, 0)) / (1 + np.exp(-np.abs(a)))
        ctx.save_for_backward(out)
        return out
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        (out,) = ctx.saved
        return (grad * out * (1 - out),)
        ### END SOLUTION


class TanhFunction(Function):
    def forward(ctx, a):
        ### BEGIN SOLUTION
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        (out,) = ctx.saved
        return (grad * (1 - out * out),)
        ### END SOLUTION


class GELUFunction(Function):
    def forward(ctx, a):
        ### BEGIN SOLUTION
        t = np.tanh(SQRT_2_OVER_PI * (a + GELU_COEFF * (a * a * a)))
        ctx.save_for_backward(a, t)
        return 0.5 * a * (1 + t)
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        a, t = ctx.saved
        du = SQRT_2_OVER_PI * (1 + 3 * GELU_COEFF * (a * a))
        return (grad * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * du),)
        ### END SOLUTION


class SoftmaxFunction(Function):
    def forward(ctx, a, dim=-1):
        ### BEGIN SOLUTION
        e = np.exp(a - np.max(a, axis=dim, keepdims=True))
        out = e / np.sum(e, axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out
        ### END SOLUTION

    def backward(ctx, grad):
        ### BEGIN SOLUTION
        (s,) = ctx.saved
        return (s * (grad - np.sum(grad * s, axis=ctx.dim, keepdims=True)),)
        ### END SOLUTION


# Given: module 02's activations now run through the Functions above.
@extend(ReLU, name="forward")
def _relu_forward(self, x):
    return ReLUFunction.apply(x)


@extend(Sigmoid, name="forward")
def _sigmoid_forward(self, x):
    return SigmoidFunction.apply(x)


@extend(Tanh, name="forward")
def _tanh_forward(self, x):
    return TanhFunction.apply(x)


@extend(GELU, name="forward")
def _gelu_forward(self, x):
    return GELUFunction.apply(x)


@extend(Softmax, name="forward")
def _softmax_forward(self, x):
    return SoftmaxFunction.apply(x, dim=self.dim)


# %% nbgrader={"grade": true, "grade_id": "test-activations", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
x = Tensor([-2.0, -0.5, 0.0, 0.5, 2.0]).requires_grad_()
ReLU()(x).backward(np.ones(5))
expect(x.grad.data, np.array([0.0, 0.0, 0.0, 1.0, 1.0]), "ReLU's gradient is 1 for positive inputs and 0 otherwise (also at 0)")
x.grad = None
Sigmoid()(x).backward(np.ones(5))
expect_close(x.grad.data, [0.1049936, 0.2350037, 0.25, 0.2350037, 0.1049936], "sigmoid's gradient is s (1 - s)",
             rtol=1e-5, atol=1e-6)
x.grad = None
Tanh()(x).backward(np.ones(5))
expect_close(x.grad.data, [0.0706508, 0.7864477, 1.0, 0.7864477, 0.0706508], "tanh's gradient is 1 - tanh(x)^2",
             rtol=1e-5, atol=1e-6)
x.grad = None
GELU()(x).backward(np.ones(5))
expect_close(x.grad.data, [-0.0860992, 0.1326301, 0.5, 0.8673699, 1.0860993],
             "GELU's gradient (tanh approximation)", rtol=1e-4, atol=1e-5)
### BEGIN HIDDEN TESTS
import warnings as _warnings

_rng = np.random.default_rng(11)
_a = Tensor((_rng.standard_normal((2, 3, 4)) * 3))
for _act in (ReLU(), Sigmoid(), Tanh(), GELU()):
    expect(gradcheck(lambda u: _act(u), _a), True, f"{type(_act).__name__} should pass gradcheck on a 3-D input")
    _out = _act(Tensor(_a.data))
    expect((str(_out.dtype), _out.grad_fn), ("float32", None), "activations of constants: float32, no graph")
_ext = Tensor(np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype=np.float32)).requires_grad_()
with _warnings.catch_warnings():
    _warnings.simplefilter("error")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        Sigmoid()(_ext).backward(np.ones(5))
expect_close(_ext.grad.data, [0.0, 0.0, 0.25, 0.0, 0.0], "sigmoid's gradient should be 0.25 at 0 and 0 (no overflow, "
             "no nan) far from 0", rtol=1e-6, atol=1e-6)
_r = Tensor(np.array([-1.5, 0.3, 2.2]), dtype=np.float64).requires_grad_()
GELU()(_r).backward(np.ones(3))
expect((str(_r.grad.dtype), str(GELU()(_r).dtype)), ("float64", "float64"), "activations keep float64 in float64")
expect_close(_r.grad.data, [-0.1277108, 0.7322955, 1.0649189], "GELU's gradient in float64", rtol=1e-5, atol=1e-6)
### END HIDDEN TESTS
print("✅ Step 11: ReLU, Sigmoid, Tanh and GELU are differentiable")

# %% nbgrader={"grade": true, "grade_id": "test-softmax-grad", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
z = Tensor([[1.0, 2.0, 3.0]]).requires_grad_()
Softmax()(z).backward(np.array([[1.0, 0.0, 0.0]]))
expect_close(z.grad.data, [[0.0819251, -0.0220330, -0.0598920]],
             "softmax backward: s * (g - sum(g * s)), the full Jacobian, not just s * (1 - s)", rtol=1e-5, atol=1e-6)
z.grad = None
Softmax()(z).backward(np.ones((1, 3)))
expect_close(z.grad.data, [[0.0, 0.0, 0.0]], "softmax rows sum to 1, so a uniform upstream gradient gives 0",
             rtol=0, atol=1e-6)
### BEGIN HIDDEN TESTS
import warnings as _warnings

_rng = np.random.default_rng(12)
_a = Tensor((_rng.standard_normal((2, 3, 4)) * 3))
for _dim in (1, -1, 0):
    expect(gradcheck(lambda u: Softmax(dim=_dim)(u), _a), True, f"Softmax(dim={_dim}) should pass gradcheck on a 3-D input")
_c = Tensor([[1.0], [3.0]]).requires_grad_()
Softmax(dim=0)(_c).backward(np.array([[1.0], [0.0]]))
expect_close(_c.grad.data, [[0.1049936], [-0.1049936]], "Softmax(dim=0) differentiates along dim 0", rtol=1e-5, atol=1e-6)
_ext = np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype=np.float32)
_e = Tensor(np.stack([_ext, -_ext])).requires_grad_()
with _warnings.catch_warnings():
    _warnings.simplefilter("error")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        Softmax()(_e).backward(np.array([[1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0, 5.0]]))
expect_close(_e.grad.data, np.zeros((2, 5)), "softmax backward must not overflow for extreme logits", rtol=0, atol=1e-6)
_masked = Tensor(np.array([[0.5, -np.inf, 1.0]], dtype=np.float32)).requires_grad_()
with np.errstate(invalid="ignore"):
    Softmax()(_masked).backward(np.array([[1.0, 2.0, 3.0]]))
expect_close(_masked.grad.data, [[-0.4700074, 0.0, 0.4700075]], "a masked (-inf) logit should get gradient 0 and no nan",
             rtol=1e-5, atol=1e-6)
### END HIDDEN TESTS
print("✅ Step 11: Softmax is differentiable")

# %% [markdown]
# ## Systems analysis
#
# Autograd is complete. Now measure what it costs: memory kept by the graph, the time of backward
# compared with forward, and what `no_grad` saves. The numbers come from this machine; yours will
# differ a little.
#
# We use a 784 → 256 → 256 → 10 MNIST-sized MLP with ReLU and a cross-entropy loss, written with
# your Tensor operations, exactly as modules 03 and 04 will write it.

# %% nbgrader={"grade": false, "grade_id": "analysis-setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import tracemalloc

import matplotlib.pyplot as plt
from tinytorch_runtime.timing import measure

rng = np.random.default_rng(0)
sizes = (784, 256, 256, 10)
params = []
for n_in, n_out in zip(sizes[:-1], sizes[1:]):
    params.append(Tensor(rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).requires_grad_())
    params.append(Tensor(np.zeros(n_out)).requires_grad_())
relu = ReLU()


def mlp_loss(x, targets):
    """Forward pass of the MLP and a stable cross-entropy loss, in Tensor operations."""
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i < len(params) - 2:
            h = relu(h)
    shifted = h - Tensor(h.data.max(axis=1, keepdims=True))   # a constant shift: exact for log-sum-exp
    log_probs = shifted - shifted.exp().sum(axis=1, keepdims=True).log()
    return -log_probs[np.arange(len(targets)), targets].mean()


def batch(n):
    return Tensor(rng.standard_normal((n, 784))), rng.integers(0, 10, n)


def saved_bytes(output):
    """Bytes of the arrays saved for backward in the graph behind `output`, each array counted once,
    without the parameters themselves (they exist anyway)."""
    param_ids = {id(p.data) for p in params}
    seen, total = set(), 0
    for node in topological_order(output.grad_fn):
        for arr in node.saved:
            if isinstance(arr, np.ndarray) and id(arr) not in seen and id(arr) not in param_ids:
                seen.add(id(arr))
                total += arr.nbytes
    return total


param_bytes = sum(p.nbytes for p in params)
print(f"parameters: {sum(p.size for p in params):,} numbers = {param_bytes / 2**20:.2f} MiB")

# %% [markdown]
# ### 1. The graph keeps activations alive
#
# Between forward and backward, every node holds what its backward needs: the input of each matmul,
# the ReLU masks, the exp output of the loss... These bytes grow **linearly with the batch size**,
# while the parameters stay fixed. The table also lists what each kind of node saved for batch 128.

# %% nbgrader={"grade": false, "grade_id": "analysis-memory", "locked": true, "schema_version": 3, "solution": false, "task": false}
batch_sizes = [16, 32, 64, 128, 256, 512, 1024]
graph_bytes = []
for n in batch_sizes:
    loss = mlp_loss(*batch(n))
    graph_bytes.append(saved_bytes(loss))
    if n == 128:
        per_kind = {}
        for node in topological_order(loss.grad_fn):
            nbytes = sum(a.nbytes for a in node.saved if isinstance(a, np.ndarray) and id(a) not in {id(p.data) for p in params})
            per_kind[type(node).__name__] = per_kind.get(type(node).__name__, 0) + nbytes
        print("batch 128, bytes saved per kind of node:",
              ", ".join(f"{k} {v:,}" for k, v in sorted(per_kind.items(), key=lambda kv: -kv[1]) if v))
    del loss
for n, nbytes in zip(batch_sizes, graph_bytes):
    print(f"batch {n:5d}: graph keeps {nbytes / 2**20:7.2f} MiB  ({nbytes // n:,} bytes per example)")

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(batch_sizes, np.array(graph_bytes) / 2**20, "o-", label="saved for backward (activations)")
ax.axhline(param_bytes / 2**20, color="gray", ls="--", label="parameters")
ax.set_xlabel("batch size")
ax.set_ylabel("MiB")
ax.set_title("Memory held by the graph between forward and backward")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Here the activations overtake the weights between batch 128 and 256. For large models and long
# sequences, activation memory, not parameter memory, is what runs out first, which is why
# frameworks offer **activation checkpointing** (save fewer activations, recompute them during
# backward: `torch.utils.checkpoint`).
#
# ### 2. What backward costs compared with forward
#
# Each matmul `x @ W` has two matmuls in its backward (`G @ Wᵀ` and `xᵀ @ G`), each as expensive as
# the forward one, so a single layer's backward costs 2 × its forward. For this network, count the
# multiply-adds per example: the forward has 784·256 + 256·256 + 256·10 = 268,800. The input batch
# needs no gradient, so the first layer's `G @ Wᵀ` is skipped (`needs_input_grad`) and the backward
# has 784·256 + 2·(256·256) + 2·(256·10) = 336,896: **backward ≈ 1.25 × forward** in arithmetic.
#
# The cell times the forward pass and the backward pass alone (the same graph, kept with
# `retain_graph=True`) with the course's timing helper: median of 9 runs after warm-up, BLAS on one
# thread. It prints the median ratio and a range from the quartiles (lowest backward / highest
# forward to the highest / the lowest), which shows how much the machine's noise moves it.
#
# **What we measured** (three runs of this notebook on a shared 2-core server under heavy load):
# at batch 1024 the median ratio was 0.99-1.14, close to the 1.25 the count predicts (the backward's
# matmuls on transposed operands and the gradient additions are a little cheaper or dearer than the
# forward's, depending on the BLAS). At batch 64 and 256 the medians ranged from 0.4 to 1.5 and the
# quartile ranges from 0.26 to 12.9: at small sizes the per-node Python overhead and the other
# programs on the machine dominate, and a single timing means little. Your numbers will differ; quote
# your own median and range, and trust the large batch.

# %% nbgrader={"grade": false, "grade_id": "analysis-timing", "locked": true, "schema_version": 3, "solution": false, "task": false}
ratios = {}
for n in (64, 256, 1024):
    x_b, y_b = batch(n)
    forward = measure(mlp_loss, x_b, y_b, repeats=9)
    loss = mlp_loss(x_b, y_b)
    backward = measure(loss.backward, retain_graph=True, repeats=9)   # the same graph, kept for every run
    ratios[n] = (backward.q1 / forward.q3, backward.median / forward.median, backward.q3 / forward.q1)
    print(f"batch {n:5d} ({len(topological_order(loss.grad_fn))} nodes): forward {forward}\n"
          f"                        backward {backward}\n"
          f"                        backward / forward = {ratios[n][1]:.2f} (range {ratios[n][0]:.2f}-{ratios[n][2]:.2f})")
    del loss
for p in params:
    p.grad = None

# %% [markdown]
# ### 3. `no_grad` frees the graph
#
# `tracemalloc` sees NumPy's allocations. We measure the memory still allocated after a forward
# pass while we hold the loss (that is the graph), and the peak during the forward, with and
# without `no_grad`. The input batch was allocated before the measurement starts, so it is not
# counted, although the first matmul node keeps a reference to it.

# %% nbgrader={"grade": false, "grade_id": "analysis-no-grad", "locked": true, "schema_version": 3, "solution": false, "task": false}
x_b, y_b = batch(512)


def graph_memory(grad_mode):
    tracemalloc.start()
    if grad_mode:
        loss = mlp_loss(x_b, y_b)
    else:
        with no_grad():
            loss = mlp_loss(x_b, y_b)
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return loss, held, peak


loss_grad, held_grad, peak_grad = graph_memory(True)
loss_nograd, held_nograd, peak_nograd = graph_memory(False)
print(f"with grad : {held_grad / 2**20:6.2f} MiB held after forward, peak {peak_grad / 2**20:6.2f} MiB, "
      f"loss.grad_fn = {type(loss_grad.grad_fn).__name__}")
print(f"no_grad   : {held_nograd / 2**20:6.2f} MiB held after forward, peak {peak_nograd / 2**20:6.2f} MiB, "
      f"loss.grad_fn = {loss_nograd.grad_fn}")
loss_grad.backward()
print("after loss.backward(), the graph behind the loss is freed:", loss_grad.grad_fn.saved is None)
for p in params:
    p.grad = None
del loss_grad, loss_nograd

# %% [markdown]
# With grad mode on, the loss holds the whole graph and its saved activations; under `no_grad`
# only the loss itself survives the forward pass, and the peak is lower because every
# intermediate array is freed as soon as the next operation has used it. `evaluate()` in module
# 07 will run under `no_grad` for exactly this reason.

# %% [markdown]
# ## Integration test: training an MLP with your autograd
#
# Everything together: a tiny `Linear` layer written with Tensor operations (module 03 will
# provide the real one), your differentiable activations, a cross-entropy loss built from
# `Softmax`, indexing, `log` and `mean`, and plain SGD: `p.data -= lr * p.grad.data`. The network
# learns XOR, which no linear model can.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
class TinyLinear:
    def __init__(self, n_in, n_out, rng):
        self.weight = Tensor(rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).requires_grad_()
        self.bias = Tensor(np.zeros(n_out)).requires_grad_()

    def __call__(self, x):
        return x @ self.weight + self.bias


rng = np.random.default_rng(0)
X = Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = np.array([0, 1, 1, 0])
layer1, layer2 = TinyLinear(2, 8, rng), TinyLinear(8, 2, rng)
parameters = [layer1.weight, layer1.bias, layer2.weight, layer2.bias]
losses = []
for step in range(300):
    probs = Softmax()(layer2(Tanh()(layer1(X))))
    loss = -probs[np.arange(4), y].log().mean()
    for p in parameters:
        p.grad = None
    loss.backward()
    for p in parameters:
        p.data -= 0.5 * p.grad.data
    losses.append(loss.item())
expect_close(losses[0], 0.745981, "the loss before training", rtol=1e-4, atol=0.0)
expect_close(losses[-1], 0.0086285, "after 300 SGD steps the loss should have dropped from 0.75 to about 0.0086",
             rtol=0.05, atol=0.0)
with no_grad():
    predictions = np.argmax(Softmax()(layer2(Tanh()(layer1(X)))).data, axis=1)
expect(predictions, np.array([0, 1, 1, 0]), "the trained network should solve XOR")
### BEGIN HIDDEN TESTS
expect([(str(_p.grad.dtype), _p.grad.shape) for _p in parameters],
       [("float32", (2, 8)), ("float32", (8,)), ("float32", (8, 2)), ("float32", (2,))],
       "every parameter should get a float32 gradient of its own shape")
with no_grad():
    _out = layer2(ReLU()(layer1(X)))
expect((_out.grad_fn, _out.requires_grad), (None, False), "a forward pass under no_grad should record no graph")
# the whole network's gradient in float64 against finite differences
_rng = np.random.default_rng(1)
_W1, _b1 = Tensor(_rng.standard_normal((3, 5))), Tensor(_rng.standard_normal(5))
_W2, _b2 = Tensor(_rng.standard_normal((5, 4))), Tensor(_rng.standard_normal(4))
_xb, _yb = Tensor(_rng.standard_normal((6, 3))), np.array([0, 3, 1, 1, 2, 0])


def _net(W1, b1, W2, b2, x):
    h = GELU()(x @ W1 + b1) * Sigmoid()(x @ W1) + ReLU()(x @ W1 - b1)
    logits = (h @ W2 + b2) / 2
    shifted = logits - Tensor(logits.data.max(axis=1, keepdims=True))
    log_probs = shifted - shifted.exp().sum(axis=1, keepdims=True).log()
    return -log_probs[np.arange(6), _yb].mean() + (W1 ** 2).sum() * 0.01 + Tanh()(b2).max()


expect(gradcheck(_net, _W1, _b1, _W2, _b2, _xb), True, "the gradient of a whole network should pass gradcheck")
# regression (Tanh/Sigmoid/MSE) with a parameter used twice
_w = Tensor([[0.5, -0.3], [0.2, 0.8]]).requires_grad_()
_xr = Tensor(_rng.standard_normal((10, 2)))
_tr = Tensor(_rng.standard_normal((10, 2)))
_losses = []
for _ in range(100):
    _pred = Sigmoid()(_xr @ _w) @ _w.T
    _l = ((_pred - _tr) ** 2).mean()
    _w.grad = None
    _l.backward()
    _w.data -= 0.3 * _w.grad.data
    _losses.append(_l.item())
expect_close(_losses[-1], 0.768157, "a weight used twice should still train (final loss)", rtol=1e-3, atol=0.0)
expect_close(_w.data, [[0.744803, -0.927074], [0.207355, -0.366208]], "the trained weight used twice", rtol=1e-3, atol=1e-4)
# a long chain of re-attached Tensor ops, no recursion limit
_d = Tensor([1.0]).requires_grad_()
_h = _d
for _ in range(10_000):
    _h = _h * 1.0 + 0.0
_h.sum().backward()
expect_close(_d.grad.data, [1.0], "backward through 20,000 Tensor operations should work", rtol=1e-6, atol=1e-6)
### END HIDDEN TESTS
print("✅ Integration: your autograd trains a network")

# %% [markdown]
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences. Use numbers from your own runs
# where they help. These are graded by hand.

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-reverse-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q1 (6 points): why reverse mode, and what it costs.** The MLP above has about 270,000
# parameters and one scalar loss.
#
# (a) With `gradcheck`'s method (central differences), how many forward passes would one training
# step need to get all the gradients? How many backward passes does reverse mode need, and why does
# that number not depend on the number of parameters?
# (b) Report your measured backward/forward time ratio and explain it by counting the matmuls in
# the forward and in the backward of a linear layer.
# (c) When would *forward*-mode differentiation (derivatives pushed from the inputs towards the
# outputs) be the better choice?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-reverse", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Central differences need 2 forward passes per parameter:
# ≈ 2 × 270,000 = 540,000 forwards per step. Reverse mode needs **one** backward: the chain rule is
# applied from the single scalar output backwards, and each node turns one incoming gradient into
# the gradients of all its inputs at once (a vector-Jacobian product), so all parameter gradients
# come out of the same pass; its cost is proportional to the forward's cost, not to the number of
# parameters. (b) Own number with its range; at batch 1024 we measured medians of 1.0–1.15 (small
# batches are noisy, anything from 0.4 to 1.5). Forward: one matmul x @ W per layer. Backward:
# two, G @ Wᵀ (for the input) and xᵀ @ G (for the weight), each as expensive as the forward one,
# so 2× per layer; here the first (largest) layer skips G @ Wᵀ because x needs no gradient
# (`needs_input_grad`), so the count is 336,896 / 268,800 ≈ 1.25×; element-wise ops add a little,
# and at small batch the per-node Python overhead and machine noise dominate and move the ratio. (c) Forward mode costs one pass per **input** direction: better
# when there are few inputs and many outputs (e.g. a Jacobian of a function R → Rⁿ, sensitivity of
# many outputs to one parameter, Jacobian-vector products); reverse mode wins for many inputs and
# one output, the training case.
# Grading: (a) 2 points (2 × #params forwards vs 1 backward with the reason), (b) 2 points (1 pt own
# measured ratio, 1 pt two matmuls per matmul in backward, with the skipped first-layer input gradient
# or small-batch overhead explaining a ratio below 2), (c) 2 points (few inputs / many outputs).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-memory-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (6 points): memory.** Use your systems-analysis numbers.
#
# (a) How many bytes per example did the graph keep, and at which batch size did the saved
# activations exceed the parameters? Why does it grow linearly with the batch while the parameter
# memory does not?
# (b) ReLU saves a bool mask and Sigmoid saves its output, but neither saves its input. Why is that
# enough, and what does it save compared with saving the input (in bytes per element)?
# (c) Why should evaluation run under `no_grad`, and what would go wrong in a validation loop over
# 1,000 batches that keeps every loss in a Python list *without* `no_grad`?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-memory", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) About 5.7 KB per example here (the saved matmul inputs
# 784/256/256 float32 values = 5,184 bytes, the ReLU masks 512 bytes, the loss's exp output and log
# input), overtaking the ≈ 1 MiB of parameters between batch 128 and 256 (the byte counts are
# deterministic; students should quote them). Every saved array has one row per example,
# so its size is batch × width × bytes; weights are shared by all examples. (b) The derivative
# only needs what is in the mask or the output: ReLU′ is 1 where x > 0 (the mask is 1 byte per
# element instead of 4 for a float32 input; 1 bit in a packed mask), and σ′ = σ(1 − σ) is computed
# from the output, which the next layer keeps anyway (zero extra bytes, and no exp in backward, so
# it is also stable). (c) Without no_grad every forward records a graph; a loss kept in a list
# holds its entire graph, including all saved activations, so memory grows by a whole forward's
# activations per batch until it runs out (1,000 × several MB); it is also slower (node creation).
# Use `no_grad` (or store `loss.item()`).
# Grading: (a) 2 points, (b) 2 points (derivative from mask/output + byte count), (c) 2 points (graph
# kept alive per stored loss).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-accumulate-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (5 points): accumulation.** Your `_accumulate_grad` adds into `.grad` instead of overwriting it.
#
# (a) Give the gradient of `y = x * x` computed by the graph with two uses of `x`, and show what a
# version that *overwrote* `x.grad` would report instead. Name one real architecture where the
# same tensor is used twice in one forward pass.
# (b) Because gradients accumulate across `backward()` calls, training loops must call
# `zero_grad()`. Describe a situation where accumulating across calls is exactly what you want.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-accumulate", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) `Mul` sends g·x to each of its two inputs, both of which are
# x, so accumulation gives 2x·g (correct, d(x²)/dx = 2x); overwriting would keep only the last
# contribution, x·g, half the true gradient. Shared tensors: residual connections (x feeds both
# the block and the skip path), weight tying (GPT's embedding matrix reused as the output layer),
# RNNs (the same weights at every time step), attention using x for Q, K and V. (b) Gradient
# accumulation: when a large batch does not fit in memory, run several micro-batches, call
# backward on each (loss divided by the number of micro-batches) and step the optimizer once: the
# summed gradients equal those of the large batch. Also: summing several losses' gradients in
# multi-task training.
# Grading: (a) 3 points (2x vs x + one architecture), (b) 2 points (gradient accumulation over
# micro-batches or an equivalent correct use).
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/autograd.py`. From then on, every later module that imports your `Tensor` gets it
# with gradients: the course runtime loads `tinytorch.autograd` right after `tinytorch.tensor`.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("05_autograd");
