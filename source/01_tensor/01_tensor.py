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
# # Module 01 · Tensor
#
# Every number a neural network touches (inputs, weights, activations, gradients) lives in a
# **tensor**: an n-dimensional array with a shape and a dtype. In this module you build
# TinyTorch's `Tensor`, the class that every later module imports:
#
# ```python
# from tinytorch.tensor import Tensor
# ```
#
# By the end you will be able to write `(x @ W + b).sum(axis=1)` with your own class, predict
# when an operation copies memory and when it does not, and explain why one loop over a matrix
# can be several times slower than another that does exactly the same arithmetic.
#
# **Expected time:** 3–4 hours. **Difficulty:** ★★☆☆☆ (the first module: each step is a few lines
# of NumPy; the care goes into dtypes, shapes, error messages and knowing when memory is shared).

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# A `torch.Tensor` is a small **header** that describes how to read a flat block of memory:
#
# | part | what it is | for a 2 x 3 float32 matrix |
# |---|---|---|
# | storage | one flat, contiguous block of bytes | 6 numbers = 24 bytes |
# | dtype | how to read each element | `float32`, 4 bytes each |
# | shape | size of each dimension | `(2, 3)` |
# | strides | how far to step in memory to move by one along each dimension | `(3, 1)` elements |
# | offset | where the tensor starts in the storage | `0` |
#
# The element at `[i, j]` lives at `offset + i * stride[0] + j * stride[1]`:
#
# ```
# storage:   [ a  b  c  d  e  f ]          x = [[a, b, c],        x.T = [[a, d],
#              0  1  2  3  4  5                  [d, e, f]]               [b, e],
#                                                                         [c, f]]
# x   : shape (2, 3), strides (3, 1)  ->  x[1, 2]   = storage[1*3 + 2*1] = f
# x.T : shape (3, 2), strides (1, 3)  ->  x.T[2, 1] = storage[2*1 + 1*3] = f
# ```
#
# Because of this, `x.T`, `x.view(3, 2)` and `x[:, ::2]` in PyTorch copy **nothing**: they build
# a new header (new shape, strides, offset) over the *same* storage. These are **views**. They
# cost O(1) instead of O(n), and writing through a view changes the original. A view whose
# strides are not the "row-major" ones (like `x.T`) is **non-contiguous**; PyTorch tells you with
# `x.is_contiguous()` and makes a row-major copy with `x.contiguous()`.
#
# A NumPy `ndarray` is the same design (storage + dtype + shape + strides + offset). So our
# `Tensor` wraps an ndarray: NumPy supplies the memory and the fast loops, and you supply the
# API, the dtype policy, the error messages, and an understanding of what happens in memory.
# One difference to remember: **NumPy counts strides in bytes**, PyTorch in elements. We follow
# NumPy, so the float32 matrix above has strides `(12, 4)`.
#
# What you will build, one small step at a time:
#
# | step | you implement | PyTorch equivalent |
# |---|---|---|
# | 1 | `Tensor(data, dtype)`, `shape`, `dtype`, `ndim`, `size`, `nbytes`, `strides` | `torch.tensor`, `x.shape`, `x.stride()` |
# | 2 | `numpy()`, `item()`, `len()`, `repr()` | same names |
# | 3 | `broadcast_shapes` (the broadcasting rule) | `torch.broadcast_shapes` |
# | 4-5 | `+ - * /`, reversed operators, `-x`, `x ** p` | same operators |
# | 6 | `matmul` / `@`, batched | `torch.matmul` |
# | 7-9 | `reshape`, `transpose`, `T`, indexing, `is_contiguous`, `contiguous` | `reshape`/`view`, `permute`, `x[...]` |
# | 10-11 | `sum`, `mean`, `max`, `exp`, `log` | same names |

# %% [markdown]
# ## Setup
#
# This cell is exported into `tinytorch/tensor.py` together with every cell that starts with
# `#| export`. `extend` (from the course runtime) lets us add methods to `Tensor` one cell at a
# time; `__all__` says what `from tinytorch.tensor import *` brings in.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import numpy as np
from tinytorch_runtime import extend

__all__ = ["Tensor", "broadcast_shapes"]

# %% [markdown]
# The test cells check your results with three small functions (`expect`, `expect_close`,
# `expect_raises`). When a check fails, it shows what your code returned next to what was expected.

# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · Creating a tensor
#
# `Tensor(data, dtype=None)` accepts a Python number, a (nested) list, a NumPy array or another
# `Tensor`, and stores a NumPy array in `self.data`.
#
# **The dtype policy.** Deep learning runs in 32-bit floats: half the memory and (on most
# hardware) twice the speed of float64, with more precision than training needs. NumPy, however,
# makes float64 by default (`np.array([1.0]).dtype` is `float64`). So, like `torch.tensor`, our
# constructor picks the dtype like this when `dtype` is not given:
#
# | input | stored dtype |
# |---|---|
# | `[1.0, 2.5]`, `3.0`, a float64 (or any floating) array | `float32` |
# | `[1, 2]`, `7` | `int64` (integer input stays integer; an `int32` array stays `int32`) |
# | `[True, False]` | `bool` |
# | anything, with `dtype=np.float64` (or any dtype) | exactly that dtype |
#
# **No needless copies.** If `data` is already an ndarray of the right dtype, store *that array*,
# not a copy (`np.asarray` does this; `np.array` always copies). This is what makes views
# possible: in Step 7, `reshape` will build `Tensor(view_of_the_data)`, and if the constructor
# copied, the result would silently stop sharing memory with the original.
#
# The properties just ask the ndarray. `nbytes` is `size * itemsize`; `strides` are in bytes.
#
# ```python
# >>> t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
# >>> t.shape, t.dtype, t.ndim, t.size, t.nbytes, t.strides
# ((2, 3), dtype('float32'), 2, 6, 24, (12, 4))
# ```

# %% nbgrader={"grade": false, "grade_id": "tensor-init", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Tensor:
    """An n-dimensional array of numbers: TinyTorch's version of `torch.Tensor`.

    A Tensor is a thin header around the NumPy array in `self.data`: NumPy owns the memory,
    the Tensor decides the dtype policy and the API.
    """

    # Given: with this, NumPy hands mixed expressions such as `np_array + tensor` to Tensor's own
    # operators (Step 5) instead of producing a plain ndarray.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None):
        """Store `data` as an ndarray in `self.data`, without copying when possible.

        data:  a Tensor (use its .data), ndarray, nested list or Python number.
        dtype: None -> floating input becomes float32, integer and bool input keep their dtype
               (Python ints become int64); otherwise exactly this dtype.
        Hint: np.asarray(x) and np.asarray(x, dtype=...) copy only when they have to;
              `array.dtype.kind == "f"` is True for every floating dtype.
        """
        ### BEGIN SOLUTION
        if isinstance(data, Tensor):
            data = data.data
        if dtype is None:
            array = np.asarray(data)
            if array.dtype.kind == "f" and array.dtype != np.float32:
                array = array.astype(np.float32)
        else:
            array = np.asarray(data, dtype=dtype)
        self.data = array
        ### END SOLUTION

    def __array__(self, dtype=None, copy=None):
        """Given: lets NumPy read a Tensor directly, e.g. np.allclose(t, [1, 2])."""
        return np.array(self.data, dtype=dtype, copy=copy)

    @property
    def shape(self):
        """Size of each dimension, as a tuple: (2, 3) for a 2 x 3 matrix, () for a scalar."""
        ### BEGIN SOLUTION
        return self.data.shape
        ### END SOLUTION

    @property
    def dtype(self):
        """The NumPy dtype of the elements, e.g. dtype('float32')."""
        ### BEGIN SOLUTION
        return self.data.dtype
        ### END SOLUTION

    @property
    def ndim(self):
        """Number of dimensions: 0 for a scalar, 1 for a vector, 2 for a matrix."""
        ### BEGIN SOLUTION
        return self.data.ndim
        ### END SOLUTION

    @property
    def size(self):
        """Number of elements (the product of the shape)."""
        ### BEGIN SOLUTION
        return self.data.size
        ### END SOLUTION

    @property
    def nbytes(self):
        """Bytes taken by the elements: size * bytes per element."""
        ### BEGIN SOLUTION
        return self.data.nbytes
        ### END SOLUTION

    @property
    def strides(self):
        """Bytes to step in memory to move one position along each dimension."""
        ### BEGIN SOLUTION
        return self.data.strides
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-tensor-init", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
expect(type(t.data).__name__, "ndarray", "Tensor.data should be a NumPy ndarray")
expect(t.data, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "Tensor.data should hold the values of the nested list")
expect(t.shape, (2, 3), "shape should be the tuple of dimension sizes")
expect((int(t.ndim), int(t.size)), (2, 6), "(ndim, size): ndim counts dimensions, size counts elements")
expect(int(t.nbytes), 24, "nbytes should be size * 4 bytes for float32")
expect(t.strides, (12, 4), "a row-major float32 2 x 3 matrix steps 12 bytes per row, 4 per column")
expect(Tensor(5.0).shape, (), "a Python number should become a 0-dimensional tensor (shape ())")
### BEGIN HIDDEN TESTS
_empty = Tensor(np.zeros((2, 0)))
expect((_empty.shape, int(_empty.size)), ((2, 0), 0), "empty tensors should work")
expect(int(Tensor(np.zeros((10, 10)), dtype=np.int8).nbytes), 100, "int8 elements take one byte each")
expect(Tensor(np.zeros((3, 5))).strides, (20, 4), "strides should be in bytes")
_cube = Tensor(np.arange(24).reshape(2, 3, 4))
expect((int(_cube.ndim), int(_cube.size), int(_cube.nbytes), _cube.strides), (3, 24, 192, (96, 32, 8)),
       "an int64 (2, 3, 4) tensor: 8 bytes per element")
expect(Tensor(np.arange(6.0).reshape(3, 2)).data, np.arange(6.0).reshape(3, 2), "the values of an array are kept")
### END HIDDEN TESTS
print("✅ Step 1: shape, ndim, size, nbytes and strides work")

# %% nbgrader={"grade": true, "grade_id": "test-tensor-dtype", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
expect(str(Tensor([[1.0, 2.0]]).dtype), "float32", "a list of Python floats should become float32 (NumPy alone makes float64)")
expect(str(Tensor([1, 2, 3]).dtype), "int64", "a list of Python ints should stay integer (int64)")
expect(str(Tensor(np.arange(4, dtype=np.float64)).dtype), "float32", "a float64 array should become float32")
expect(str(Tensor([1.5, 2.5], dtype=np.float64).dtype), "float64", "an explicit dtype must be respected")
### BEGIN HIDDEN TESTS
expect(str(Tensor(np.ones(3, dtype=np.float16)).dtype), "float32", "any floating input should become float32")
expect(str(Tensor(np.arange(3, dtype=np.int32)).dtype), "int32", "an int32 array should keep its integer dtype")
expect(str(Tensor([True, False]).dtype), "bool", "booleans should stay bool")
_seven = Tensor(7)
expect((str(_seven.dtype), int(_seven.ndim)), ("int64", 0), "a Python int should become a 0-d int64 tensor")
_int8 = Tensor([1.7, 2.2, -3.9], dtype=np.int8)
expect(str(_int8.dtype), "int8", "an explicit integer dtype must be respected")
expect(_int8.data, [1, 2, -3], "values are converted to the explicit dtype as np.asarray does")
expect(str(Tensor([1, 2], dtype=np.float32).dtype), "float32", "an explicit float32 dtype must be respected")
_from64 = Tensor(np.array([0.1, 1e-3, 3.0]))
expect(_from64.data, np.array([0.1, 1e-3, 3.0]).astype(np.float32), "float64 values rounded to float32")
### END HIDDEN TESTS
print("✅ Step 1: the dtype policy works")

# %% nbgrader={"grade": true, "grade_id": "test-tensor-no-copy", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
x = np.arange(6, dtype=np.float32).reshape(2, 3)
t = Tensor(x)
x[0, 0] = 42.0
expect(float(t.data[0, 0]), 42.0,
       "Tensor(x) for a float32 array x must store x itself, not a copy: after x[0, 0] = 42 the tensor "
       "should see 42 too, because they share memory (np.asarray shares, np.array always copies)")
u = Tensor(t)
expect(type(u.data).__name__, "ndarray", "Tensor(tensor) should store the other tensor's ndarray, not the Tensor itself")
t.data[1, 2] = -1.0
expect(float(u.data[1, 2]), -1.0, "Tensor(t) should share t's memory: a change to t should show in Tensor(t)")
### BEGIN HIDDEN TESTS
_ints = np.arange(6, dtype=np.int64)
_t_ints = Tensor(_ints)
_ints[3] = 100
expect(_t_ints.data, [0, 1, 2, 100, 4, 5], "an int64 array must be stored without copying (shared memory)")
_f64 = np.zeros(4, dtype=np.float64)
_t_f64 = Tensor(_f64, dtype=np.float64)
_f64[1] = 7.0
expect(_t_f64.data, [0.0, 7.0, 0.0, 0.0], "an array that already has the requested dtype must not be copied")
_flags = np.array([True, False])
_t_flags = Tensor(_flags)
_flags[1] = True
expect(_t_flags.data, [True, True], "a bool array must be stored without copying")
### END HIDDEN TESTS
print("✅ Step 1: Tensor(array) shares memory with the array")

# %% [markdown]
# ## Step 2 · Looking at a tensor
#
# Four small methods make a Tensor pleasant to use:
#
# - `numpy()` returns the underlying ndarray itself (no copy, like `torch.Tensor.numpy()`).
# - `item()` returns the single value of a one-element tensor as a Python number
#   (`Tensor([[3.5]]).item()` is `3.5`) and raises `ValueError` for any other size.
# - `len(t)` is the size of the first dimension; a 0-d tensor has no length (`TypeError`).
# - `repr(t)` shows the values and the dtype, the way PyTorch does:
#
# ```python
# >>> Tensor([1.0, 2.0])
# Tensor([1., 2.], dtype=float32)
# ```
#
# `np.array2string(self.data, separator=", ", prefix="Tensor(")` formats the values for you
# (the `prefix` makes rows line up under each other).

# %% nbgrader={"grade": false, "grade_id": "tensor-basics", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Tensor)
def numpy(self):
    """The underlying ndarray (shares memory with the tensor)."""
    ### BEGIN SOLUTION
    return self.data
    ### END SOLUTION


@extend(Tensor)
def item(self):
    """The value of a one-element tensor as a Python number; ValueError otherwise."""
    ### BEGIN SOLUTION
    if self.size != 1:
        raise ValueError(f"item() needs a tensor with exactly one element, got shape {self.shape}")
    return self.data.item()
    ### END SOLUTION


@extend(Tensor)
def __len__(self):
    """Size of the first dimension; TypeError for a 0-d tensor."""
    ### BEGIN SOLUTION
    if self.ndim == 0:
        raise TypeError("len() of a 0-d tensor")
    return self.shape[0]
    ### END SOLUTION


@extend(Tensor)
def __repr__(self):
    """Like Tensor([1., 2.], dtype=float32)."""
    ### BEGIN SOLUTION
    values = np.array2string(self.data, separator=", ", prefix="Tensor(")
    return f"Tensor({values}, dtype={self.dtype})"
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-tensor-basics", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
t = Tensor([1.0, 2.0])
expect(repr(t), "Tensor([1., 2.], dtype=float32)", "repr should look like PyTorch's")
t.numpy()[0] = 5.0
expect(t.data, [5.0, 2.0], "numpy() should return the tensor's own array (no copy): writing into it changes the tensor")
expect(Tensor([[3.5]]).item(), 3.5, "item() of a one-element tensor is its value")
expect(type(Tensor([[3.5]]).item()).__name__, "float", "item() should return a Python float, not a NumPy scalar")
expect(len(Tensor(np.zeros((4, 2)))), 4, "len() should be the size of the first dimension")
with expect_raises(ValueError, "item() on a tensor with 2 elements should raise ValueError"):
    Tensor([1.0, 2.0]).item()
### BEGIN HIDDEN TESTS
expect(type(Tensor(3).item()).__name__, "int", "item() of an integer tensor should be a Python int")
expect(Tensor(np.full((1, 1, 1), -2.5)).item(), -2.5, "item() works for any shape with one element")
with expect_raises(TypeError, "len() of a 0-d tensor should raise TypeError"):
    len(Tensor(1.0))
with expect_raises(ValueError, "item() on an empty tensor should raise ValueError"):
    Tensor(np.zeros(0)).item()
expect(repr(Tensor([1, 2])), "Tensor([1, 2], dtype=int64)", "repr should name the dtype")
expect(repr(Tensor([[1.0, 2.0], [3.0, 4.0]])), "Tensor([[1., 2.],\n        [3., 4.]], dtype=float32)",
       "repr of a matrix: values from np.array2string with ', ' separators and rows lined up")
expect(len(Tensor(np.zeros((0, 3)))), 0, "len() of an empty first dimension is 0")
### END HIDDEN TESTS
print("✅ Step 2: numpy(), item(), len() and repr() work")

# %% [markdown]
# ## Step 3 · The broadcasting rule
#
# Adding a bias `b` of shape `(4,)` to every row of a batch `x` of shape `(3, 4)` should not need
# a loop or a copy of `b`. **Broadcasting** makes shapes compatible by pretending that size-1
# dimensions are repeated. The rule (NumPy's and PyTorch's):
#
# 1. Line the shapes up **from the right**; pad the shorter one with 1s on the left.
# 2. In every position the two sizes must be **equal**, or one of them must be **1**.
# 3. The result takes the larger size in each position (a 1 "stretches").
#
# ```
#   x: (3, 4)       x: (3, 1)       x: (8, 1, 6, 1)      x: (3, 4)
#   b:    (4,)      b: (1, 4)       b:    (7, 1, 5)      b:    (3,)
#   ->  (3, 4)      -> (3, 4)       -> (8, 7, 6, 5)      -> error: 4 vs 3
# ```
#
# A size-0 dimension follows the same rule: `0` with `1` gives `0`, `0` with `2` is an error.
#
# Implement `broadcast_shapes(shape_a, shape_b)`. On incompatible shapes raise `ValueError` with a
# message that names **both** shapes: "cannot broadcast (3, 4) and (3,)" tells the person
# debugging exactly what went wrong. Don't call `np.broadcast_shapes`: implement the rule.

# %% nbgrader={"grade": false, "grade_id": "broadcast-shapes", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def broadcast_shapes(shape_a, shape_b):
    """The shape of the result of broadcasting `shape_a` with `shape_b` (tuples of ints).

    Raises ValueError naming both shapes when they are incompatible.
    """
    shape_a, shape_b = tuple(shape_a), tuple(shape_b)
    ### BEGIN SOLUTION
    ndim = max(len(shape_a), len(shape_b))
    a = (1,) * (ndim - len(shape_a)) + shape_a
    b = (1,) * (ndim - len(shape_b)) + shape_b
    result = []
    for size_a, size_b in zip(a, b):
        if size_a == size_b or size_b == 1:
            result.append(size_a)
        elif size_a == 1:
            result.append(size_b)
        else:
            raise ValueError(f"cannot broadcast shapes {shape_a} and {shape_b}: "
                             f"size {size_a} does not match size {size_b}")
    return tuple(result)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-broadcast-shapes", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
expect(broadcast_shapes((3, 4), (4,)), (3, 4), "a (4,) bias should broadcast over the rows of (3, 4)")
expect(broadcast_shapes((3, 1), (1, 4)), (3, 4), "size-1 dimensions should stretch on both sides")
expect(broadcast_shapes((8, 1, 6, 1), (7, 1, 5)), (8, 7, 6, 5), "shapes line up from the right")
expect(broadcast_shapes((), (2, 3)), (2, 3), "a scalar shape () broadcasts with anything")
expect(type(broadcast_shapes((2,), (2,))).__name__, "tuple", "broadcast_shapes should return a tuple")
with expect_raises(ValueError, "(3, 4) and (3,) are incompatible (4 vs 3) and should raise ValueError"):
    broadcast_shapes((3, 4), (3,))
message = ""
try:
    broadcast_shapes((3, 4), (3,))
except ValueError as error:
    message = str(error)
expect([name for name in ("(3, 4)", "(3,)") if name in message], ["(3, 4)", "(3,)"],
       "the error message should name both shapes, written as (3, 4) and (3,)")
### BEGIN HIDDEN TESTS
for _sa, _sb in [((5,), (1,)), ((1,), (5,)), ((2, 3), ()), ((1, 1), (1,)), ((0,), (1,)), ((4, 0, 3), (0, 1)),
                 ((2, 1, 3), (5, 1)), ((1, 2, 1, 3), (4, 1, 5, 1))]:
    expect(broadcast_shapes(_sa, _sb), np.broadcast_shapes(_sa, _sb), "broadcast_shapes should follow NumPy's rule")
    expect(broadcast_shapes(_sb, _sa), np.broadcast_shapes(_sa, _sb), "the order of the shapes should not matter")
expect(broadcast_shapes([2, 1], [1, 3]), (2, 3), "lists of ints should be accepted like tuples")
for _sa, _sb in [((0,), (2,)), ((2, 3), (3, 2)), ((5, 4), (2, 1, 3)), ((1, 2), (3, 3))]:
    with expect_raises(ValueError, "incompatible shapes should raise ValueError"):
        broadcast_shapes(_sa, _sb)
    _message = ""
    try:
        broadcast_shapes(_sa, _sb)
    except ValueError as _error:
        _message = str(_error)
    expect([str(_sa) in _message, str(_sb) in _message], [True, True], "the error message should name both shapes")
### END HIDDEN TESTS
print("✅ Step 3: broadcast_shapes follows the broadcasting rule")

# %% [markdown]
# ## Step 4 · Arithmetic
#
# Every binary operator does the same three things: turn `other` into an array, check that the
# shapes broadcast, compute with NumPy. Two given helpers handle the dtype details.
#
# **`_operand(other)`** turns the right-hand side into something NumPy can use. A Tensor gives its
# `.data`; a list goes through `Tensor(...)` (so `[0.5, 1.5]` becomes float32). A plain Python
# number is left **as is** on purpose: NumPy treats Python scalars as "weak", so
# `float32_array + 1.0` stays float32, whereas `float32_array + np.array(1.0)` would become float64.
#
# **`_wrap(result, *inputs)`** turns a NumPy result into a Tensor, keeping NumPy's result dtype,
# with one exception: NumPy promotes `int_array / 2` and `int_array + 0.5` to **float64**, which
# would leak float64 into a float32 model (think `uint8_images / 255`). So a float64 result
# becomes float32 unless one of the inputs was already a float64 array.
#
# | expression | NumPy gives | TinyTorch gives |
# |---|---|---|
# | float32 tensor `+ 1` | float32 | float32 |
# | int64 tensor `/ 2` | float64 | float32 |
# | float64 tensor (explicit) `* 2.0` | float64 | float64 |

# %% nbgrader={"grade": false, "grade_id": "helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def _operand(other):
    """Given: the right-hand side of an operator as an ndarray, or as a weak Python scalar."""
    if isinstance(other, Tensor):
        return other.data
    if type(other) in (int, float, bool):
        return other
    return Tensor(other).data


def _wrap(result, *inputs):
    """Given: a NumPy result as a Tensor; float64 only when an input array was float64.

    Keeps the array itself (no copy), so a view of the inputs stays a view.
    """
    result = np.asarray(result)
    if result.dtype == np.float64 and not any(
            isinstance(x, np.ndarray) and x.dtype == np.float64 for x in inputs):
        result = result.astype(np.float32)
    return Tensor(result, dtype=result.dtype)


# %% [markdown]
# Now implement `_binary_op(self, other, op)`, the one method all operators share, and the four
# operators. `op` is a NumPy function such as `np.add`. Use `broadcast_shapes` (Step 3) to check
# the shapes **before** computing, so that a mismatch raises your clear `ValueError`. Leave
# `reverse` alone for now; Step 5 explains it.
#
# ```python
# >>> Tensor([1.0, 2.0, 3.0]) + Tensor([[10.0], [20.0]])     # (3,) with (2, 1) -> (2, 3)
# Tensor([[11., 12., 13.],
#         [21., 22., 23.]], dtype=float32)
# ```

# %% nbgrader={"grade": false, "grade_id": "tensor-arithmetic", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Tensor)
def _binary_op(self, other, op, reverse=False):
    """op(self, other) as a new Tensor, with broadcasting; op(other, self) when reverse=True.

    other: a Tensor, Python number or array-like (use _operand).
    Check the shapes with broadcast_shapes first; wrap the result with _wrap(result, inputs...).
    """
    ### BEGIN SOLUTION
    other_data = _operand(other)
    broadcast_shapes(self.shape, np.shape(other_data))
    if reverse:
        result = op(other_data, self.data)
    else:
        result = op(self.data, other_data)
    return _wrap(result, self.data, other_data)
    ### END SOLUTION


@extend(Tensor)
def __add__(self, other):
    """self + other"""
    ### BEGIN SOLUTION
    return self._binary_op(other, np.add)
    ### END SOLUTION


@extend(Tensor)
def __sub__(self, other):
    """self - other"""
    ### BEGIN SOLUTION
    return self._binary_op(other, np.subtract)
    ### END SOLUTION


@extend(Tensor)
def __mul__(self, other):
    """self * other (element-wise)"""
    ### BEGIN SOLUTION
    return self._binary_op(other, np.multiply)
    ### END SOLUTION


@extend(Tensor)
def __truediv__(self, other):
    """self / other (element-wise)"""
    ### BEGIN SOLUTION
    return self._binary_op(other, np.true_divide)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-arithmetic", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
a = Tensor([1.0, 2.0, 3.0])
b = Tensor([[10.0], [20.0]])
s = a + b
expect(type(s).__name__, "Tensor", "a + b should return a Tensor")
expect(s.data, [[11.0, 12.0, 13.0], [21.0, 22.0, 23.0]], "(3,) + (2, 1) should broadcast to (2, 3)")
expect((a - Tensor([0.5, 1.0, 4.0])).data, [0.5, 1.0, -1.0], "- works element-wise (self - other)")
expect((a * a).data, [1.0, 4.0, 9.0], "* works element-wise")
expect((a / Tensor([2.0, 4.0, 8.0])).data, [0.5, 0.5, 0.375], "/ works element-wise (self / other)")
expect((a * 2).data, [2.0, 4.0, 6.0], "a Tensor can be combined with a Python number")
with expect_raises(ValueError, "adding shapes (3, 4) and (3,) should raise ValueError"):
    Tensor(np.ones((3, 4))) + Tensor(np.ones(3))
message = ""
try:
    Tensor(np.ones((3, 4))) + Tensor(np.ones(3))
except ValueError as error:
    message = str(error)
expect([name for name in ("(3, 4)", "(3,)") if name in message], ["(3, 4)", "(3,)"],
       "the error message should name both shapes as (3, 4) and (3,): check them with broadcast_shapes before computing")
### BEGIN HIDDEN TESTS
_col, _row = Tensor(np.arange(3.0).reshape(3, 1)), Tensor(np.arange(4.0).reshape(1, 4))
expect((_col * _row).data, np.arange(3.0).reshape(3, 1) * np.arange(4.0), "(3, 1) * (1, 4) should broadcast to (3, 4)")
expect((_col - _row).data, np.arange(3.0).reshape(3, 1) - np.arange(4.0), "(3, 1) - (1, 4) should broadcast to (3, 4)")
_zero_d, _f = Tensor(5.0), Tensor([1.0, 2.0])
expect((_zero_d + _f).data, [6.0, 7.0], "a 0-d tensor broadcasts against any shape")
expect((_f - _zero_d).data, [-4.0, -3.0], "a 0-d tensor broadcasts against any shape")
expect(((_zero_d * _zero_d).shape, (_zero_d * _zero_d).item()), ((), 25.0), "0-d with 0-d stays 0-d")
expect((_f - [0.5, 0.5]).data, [0.5, 1.5], "a list operand should be accepted")
expect((_f - 1).data, [0.0, 1.0], "the tensor must be the left operand of -")
expect((_f / 2).data, [0.5, 1.0], "the tensor must be the left operand of /")
_x = np.arange(4, dtype=np.float32)
_unused = Tensor(_x) + 1
expect(_x, [0.0, 1.0, 2.0, 3.0], "arithmetic must not modify its inputs")
_plus0 = Tensor(_x) + 0
_plus0.data[0] = 9.0
expect(_x[0], 0.0, "arithmetic must return a new tensor, not the input's memory")
with expect_raises(ValueError, "multiplying shapes (2, 3) and (3, 2) should raise ValueError"):
    Tensor(np.ones((2, 3))) * Tensor(np.ones((3, 2)))
_message = ""
try:
    Tensor(np.ones((2, 3))) / Tensor(np.ones((3, 2)))
except ValueError as _error:
    _message = str(_error)
expect(["(2, 3)" in _message, "(3, 2)" in _message], [True, True], "the error message of / should name both shapes")
### END HIDDEN TESTS
print("✅ Step 4: + - * / work with broadcasting")

# %% nbgrader={"grade": true, "grade_id": "test-arithmetic-dtypes", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
f = Tensor([1.0, 2.0])
expect(str((f + 1).dtype), "float32", "float32 tensor + Python int must stay float32")
expect(str((f * 2.5).dtype), "float32", "float32 tensor * Python float must stay float32")
i = Tensor([1, 2, 3])
expect((i / 2).data, [0.5, 1.0, 1.5], "int tensor / 2 is true division")
expect(str((i / 2).dtype), "float32", "int tensor / 2 should give float32 (NumPy alone gives float64)")
### BEGIN HIDDEN TESTS
expect(str((f / 3).dtype), "float32", "float32 tensor / Python int must stay float32")
expect(str((f - 1.5).dtype), "float32", "float32 tensor - Python float must stay float32")
expect(str((f + [1.0, 1.0]).dtype), "float32", "a list operand should not change float32")
_ints = Tensor([1, 2, 3])
expect(((_ints + 1).data, str((_ints + 1).dtype)), ([2, 3, 4], "int64"), "int + int should stay integer")
expect(((_ints * 2).data, str((_ints * 2).dtype)), ([2, 4, 6], "int64"), "int * int should stay integer")
_f64 = Tensor([1.0, 2.0], dtype=np.float64)
expect(str((_f64 * 2.0).dtype), "float64", "an explicit float64 tensor should stay float64")
expect(str((_f64 + Tensor([1.0, 1.0])).dtype), "float64", "float64 with float32 should give float64")
_u8 = Tensor(np.array([0, 51, 255], dtype=np.uint8))
expect(((_u8 / 255).data, str((_u8 / 255).dtype)), (np.array([0.0, 0.2, 1.0], np.float32), "float32"),
       "uint8 images / 255 should be float32 in [0, 1]")
### END HIDDEN TESTS
print("✅ Step 4: arithmetic keeps the dtype policy")

# %% [markdown]
# ## Step 5 · Reversed operators, negation and powers
#
# `t * 2` calls `t.__mul__(2)`. But `2 * t` first asks the int: `int.__mul__(2, t)` doesn't know
# Tensors and returns `NotImplemented`, so Python then calls **`t.__rmul__(2)`**, the "reflected"
# operator, with the tensor as `self` and `2` as `other`. For `+` and `*` the order doesn't matter.
# For `-` and `/` it does:
#
# ```
# 2 - t   ->  t.__rsub__(2)       must compute 2 - t, not t - 2
# 1 / t   ->  t.__rtruediv__(1)   must compute 1 / t, not t / 1
# ```
#
# That is what `_binary_op(other, op, reverse=True)` is for. Also implement `-t` (`__neg__`) and
# `t ** p` for a scalar exponent `p` (`__pow__`; raise `TypeError` for anything but a Python or
# NumPy number).

# %% nbgrader={"grade": false, "grade_id": "tensor-reverse-unary", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Tensor)
def __radd__(self, other):
    """other + self"""
    ### BEGIN SOLUTION
    return self._binary_op(other, np.add, reverse=True)
    ### END SOLUTION


@extend(Tensor)
def __rsub__(self, other):
    """other - self"""
    ### BEGIN SOLUTION
    return self._binary_op(other, np.subtract, reverse=True)
    ### END SOLUTION


@extend(Tensor)
def __rmul__(self, other):
    """other * self"""
    ### BEGIN SOLUTION
    return self._binary_op(other, np.multiply, reverse=True)
    ### END SOLUTION


@extend(Tensor)
def __rtruediv__(self, other):
    """other / self"""
    ### BEGIN SOLUTION
    return self._binary_op(other, np.true_divide, reverse=True)
    ### END SOLUTION


@extend(Tensor)
def __neg__(self):
    """-self"""
    ### BEGIN SOLUTION
    return _wrap(-self.data, self.data)
    ### END SOLUTION


@extend(Tensor)
def __pow__(self, exponent):
    """self ** exponent, element-wise, for a scalar exponent (TypeError otherwise)."""
    ### BEGIN SOLUTION
    if isinstance(exponent, Tensor) or not np.isscalar(exponent):
        raise TypeError(f"Tensor ** exponent needs a scalar exponent, got {type(exponent).__name__}")
    return _wrap(self.data ** exponent, self.data)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-reverse-unary", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
t = Tensor([1.0, 2.0, 4.0])
expect((2 - t).data, [1.0, 0.0, -2.0], "2 - t should compute 2 - t, not t - 2")
expect((1 / t).data, [1.0, 0.5, 0.25], "1 / t should compute 1 / t, not t / 1")
expect((3 * t).data, [3.0, 6.0, 12.0], "3 * t should multiply every element by 3")
expect((1 + t).data, [2.0, 3.0, 5.0], "1 + t should add 1 to every element")
expect((-t).data, [-1.0, -2.0, -4.0], "-t should negate every element")
expect((t ** 2).data, [1.0, 4.0, 16.0], "t ** 2 should square every element")
with expect_raises(TypeError, "t ** tensor should raise TypeError (scalar exponents only)"):
    t ** Tensor([1.0, 2.0, 3.0])
### BEGIN HIDDEN TESTS
for _r in (2 - t, 1 / t, 3 * t, 1 + t, -t, t ** 2, t ** 0.5):
    expect((type(_r).__name__, str(_r.dtype)), ("Tensor", "float32"),
           "reversed and unary operators should return float32 Tensors")
expect((10 - Tensor([[1.0], [2.0]])).data, [[9.0], [8.0]], "reverse subtraction keeps the tensor's shape")
_q = 6 / Tensor([1, 2, 3])
expect((_q.data, str(_q.dtype)), (np.array([6.0, 3.0, 2.0], np.float32), "float32"),
       "a number divided by an int tensor should be float32")
expect(([1.0, 1.0, 1.0] - t).data, [0.0, -1.0, -3.0], "list - tensor should be handled by __rsub__")
_r = np.array([10.0, 10.0, 10.0]) - t
expect(type(_r).__name__, "Tensor", "ndarray - tensor should give a Tensor")
expect(_r.data, [9.0, 8.0, 6.0], "ndarray - tensor should compute ndarray - tensor")
expect_close((t ** 0.5).data, np.sqrt([1.0, 2.0, 4.0]), "fractional powers should work", rtol=1e-6, atol=1e-7)
expect((t ** -1).data, [1.0, 0.5, 0.25], "negative powers should work")
expect((t ** np.float32(3)).data, [1.0, 8.0, 64.0], "a NumPy scalar exponent should work")
expect(str((Tensor([1, 2]) ** 2).dtype), "int64", "an int tensor squared stays integer")
expect(((-Tensor([1, -2])).data, str((-Tensor([1, -2])).dtype)), ([-1, 2], "int64"), "negating an int tensor stays integer")
with expect_raises(TypeError, "t ** list should raise TypeError (scalar exponents only)"):
    t ** [1.0, 2.0, 3.0]
with expect_raises(ValueError, "incompatible shapes should raise ValueError"):
    2.0 - Tensor(np.ones((2, 3))) - Tensor(np.ones((2,)))
### END HIDDEN TESTS
print("✅ Step 5: reversed operators, -t and t ** p work")

# %% [markdown]
# ## Step 6 · Matrix multiplication
#
# A linear layer computes `x @ W`: for `x` of shape `(m, k)` and `W` of shape `(k, n)`, each of
# the `m * n` outputs is a dot product of length `k`, so the product costs **`2 * m * n * k`
# floating-point operations** (one multiply and one add each). The inner sizes must agree:
#
# ```
#   (m, k) @ (k, n) -> (m, n)           (2, 3) @ (3, 4) -> (2, 4)
#   (m, k) @ (j, n) with k != j         error
# ```
#
# **Batched matmul.** With more than 2 dimensions the last two are the matrices and the leading
# ones are a *batch* that broadcasts (Step 3): `(B, m, k) @ (k, n) -> (B, m, n)`, and
# `(1, m, k) @ (5, k, n) -> (5, m, n)`. Attention (Module 12) lives on this.
#
# **1-D operands** follow NumPy: a 1-D left operand is a row vector, a 1-D right operand a
# column vector, and the added dimension is removed again: `(k,) @ (k, n) -> (n,)`,
# `(m, k) @ (k,) -> (m,)`, `(k,) @ (k,) -> ()`. 0-d tensors cannot be matrix-multiplied.
#
# `np.matmul` does the arithmetic. Your job is to check the shapes first and raise a `ValueError`
# that names both shapes (NumPy's own message talks about "gufunc signatures").

# %% nbgrader={"grade": false, "grade_id": "tensor-matmul", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Tensor)
def matmul(self, other):
    """Matrix product self @ other (2-D, batched N-D, or 1-D as NumPy does), as a new Tensor.

    Raises ValueError naming both shapes when a tensor is 0-d, the inner dimensions differ,
    or the batch dimensions do not broadcast.
    """
    other = other if isinstance(other, Tensor) else Tensor(other)
    ### BEGIN SOLUTION
    a, b = self.data, other.data
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul needs tensors with at least one dimension, got shapes {a.shape} and {b.shape}")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(f"matmul shape mismatch: {a.shape} @ {b.shape}: "
                         f"inner dimensions {inner_a} and {inner_b} differ")
    try:
        broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul shape mismatch: {a.shape} @ {b.shape}: "
                         f"batch dimensions {a.shape[:-2]} and {b.shape[:-2]} do not broadcast") from None
    return _wrap(np.matmul(a, b), a, b)
    ### END SOLUTION


@extend(Tensor)
def __matmul__(self, other):
    """self @ other"""
    return self.matmul(other)


@extend(Tensor)
def __rmatmul__(self, other):
    """other @ self, for other an ndarray or list"""
    return Tensor(other).matmul(self)


# %% nbgrader={"grade": true, "grade_id": "test-matmul", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
a = Tensor([[1.0, 2.0], [3.0, 4.0]])
b = Tensor([[5.0, 6.0], [7.0, 8.0]])
expect((a @ b).data, [[19.0, 22.0], [43.0, 50.0]],
       "a @ b is a matrix product: output [i, j] is row i of a times column j of b (19 = 1*5 + 2*7); "
       "an element-wise product would give [[5, 12], [21, 32]]")
x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
w = Tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
y = x.matmul(w)
expect(type(y).__name__, "Tensor", "matmul should return a Tensor")
expect(y.data, [[4.0, 5.0], [10.0, 11.0]], "(2, 3) @ (3, 2) gives a (2, 2) matrix of row-by-column dot products")
expect((x @ w).data, [[4.0, 5.0], [10.0, 11.0]], "the @ operator should call matmul")
with expect_raises(ValueError, "(2, 3) @ (2, 3): the inner dimensions 3 and 2 differ, so matmul should raise ValueError"):
    x @ x
message = ""
try:
    x @ x
except ValueError as error:
    message = str(error)
expect([name for name in ("(2, 3)",) if name in message], ["(2, 3)"],
       "the error message should name the shapes, written as (2, 3)")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1)
_A = _rng.standard_normal((7, 5)).astype(np.float32)
_B = _rng.standard_normal((5, 3)).astype(np.float32)
_AB = Tensor(_A) @ Tensor(_B)
expect_close(_AB.data, _A @ _B, "(7, 5) @ (5, 3) of random matrices", rtol=1e-5, atol=1e-5)
expect(str(_AB.dtype), "float32", "matmul of float32 tensors should stay float32")
for _sa, _sb in [((3, 4), (3, 4)), ((5, 2), (3, 2)), ((2, 3), (2,)), ((3,), (4, 2)), ((5,), (4,))]:
    with expect_raises(ValueError, "matmul with mismatched inner dimensions should raise ValueError"):
        Tensor(np.ones(_sa)) @ Tensor(np.ones(_sb))
    _message = ""
    try:
        Tensor(np.ones(_sa)) @ Tensor(np.ones(_sb))
    except ValueError as _error:
        _message = str(_error)
    expect([str(_sa) in _message, str(_sb) in _message], [True, True], "the matmul error message should name both shapes")
with expect_raises(ValueError, "matmul with a 0-d tensor should raise ValueError"):
    Tensor(2.0) @ Tensor([1.0, 2.0])
_int = Tensor([[1, 2]]) @ Tensor([[3], [4]])
expect((_int.data, str(_int.dtype)), ([[11]], "int64"), "integer matmul should stay integer")
expect(x.matmul([[1.0], [1.0], [1.0]]).data, [[6.0], [15.0]], "matmul should accept a nested list")
expect((Tensor(np.ones((0, 3))) @ Tensor(np.ones((3, 2)))).shape, (0, 2), "a matmul with zero rows should work")
### END HIDDEN TESTS
print("✅ Step 6: matmul works for 2-D tensors")

# %% nbgrader={"grade": true, "grade_id": "test-matmul-batched", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
batch = Tensor(np.arange(12.0).reshape(2, 2, 3))
w = Tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
expect((batch @ w).data, [[[2.0, 3.0], [8.0, 9.0]], [[14.0, 15.0], [20.0, 21.0]]],
       "(2, 2, 3) @ (3, 2) gives (2, 2, 2): the same matrix product for each of the 2 batch entries")
v = Tensor([1.0, 2.0, 3.0])
expect((v @ w).data, [4.0, 5.0], "(3,) @ (3, 2) gives shape (2,): v acts as a row vector")
expect((Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]) @ v).data, [14.0, 32.0],
       "(2, 3) @ (3,) gives shape (2,): v acts as a column vector")
expect(((v @ v).shape, (v @ v).item()), ((), 14.0), "(3,) @ (3,) gives a 0-d dot product")
weights = Tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[-1.0, 0.0], [0.0, -1.0], [-1.0, -1.0]]])
expect((batch @ weights).data, [[[2.0, 3.0], [8.0, 9.0]], [[-14.0, -15.0], [-20.0, -21.0]]],
       "(2, 2, 3) @ (2, 3, 2) gives (2, 2, 2): batch entry i multiplies batch[i] by weights[i]")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(2)
_A = _rng.standard_normal((4, 3, 5)).astype(np.float32)
_B = _rng.standard_normal((5, 2)).astype(np.float32)
expect_close((Tensor(_A) @ Tensor(_B)).data, _A @ _B, "(4, 3, 5) @ (5, 2) gives (4, 3, 2)", rtol=1e-5, atol=1e-5)
_A = _rng.standard_normal((1, 2, 3)).astype(np.float32)
_B = _rng.standard_normal((6, 3, 4)).astype(np.float32)
expect_close((Tensor(_A) @ Tensor(_B)).data, _A @ _B, "batch dimensions should broadcast: (1, ...) with (6, ...)",
             rtol=1e-5, atol=1e-5)
_A = _rng.standard_normal((2, 1, 3, 4)).astype(np.float32)
_B = _rng.standard_normal((5, 4, 2)).astype(np.float32)
expect_close((Tensor(_A) @ Tensor(_B)).data, _A @ _B, "batch dimensions broadcast like element-wise shapes",
             rtol=1e-5, atol=1e-5)
with expect_raises(ValueError, "batch dimensions 2 and 3 do not broadcast: matmul should raise ValueError"):
    Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5)))
_message = ""
try:
    Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5)))
except ValueError as _error:
    _message = str(_error)
expect(["(2, 3, 4)" in _message, "(3, 4, 5)" in _message], [True, True], "the batch error message should name both shapes")
### END HIDDEN TESTS
print("✅ Step 6: batched and 1-D matmul work")

# %% [markdown]
# ## Step 7 · Reshape: a new shape over the same memory
#
# A `(2, 3)` tensor stored row-major is six numbers in a row. `reshape(3, 2)` reads the *same*
# six numbers with shape `(3, 2)` and strides `(8, 4)`: nothing moves, so the result is a
# **view**. Change an element of the view and the original changes too:
#
# ```python
# >>> t = Tensor([[0., 1., 2.], [3., 4., 5.]])
# >>> r = t.reshape(3, 2)
# >>> r.data[0, 0] = 99.0
# >>> t.data[0, 0]
# 99.0
# ```
#
# Your `reshape`:
#
# - accepts ints (`t.reshape(3, 2)`) or one tuple (`t.reshape((3, 2))`); the given code unpacks that;
# - allows **one** `-1`, meaning "whatever size makes the count right": `(2, 3).reshape(-1)` is
#   `(6,)`, and `(4, 6).reshape(2, -1)` is `(2, 12)`;
# - raises `ValueError` naming the shapes if the new shape cannot hold exactly `size` elements
#   (or has more than one `-1`);
# - returns a view whenever possible: `self.data.reshape(...)` does that, and `_wrap` keeps it.
#
# Work out the `-1` and check the size yourself, so the error message is yours. (PyTorch has
# both `view`, which refuses when a view is impossible, and `reshape`, which then copies; NumPy's
# `reshape`, and ours, copy when they have to, e.g. after a transpose.)

# %% nbgrader={"grade": false, "grade_id": "tensor-reshape", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Tensor)
def reshape(self, *shape):
    """The same elements with a new shape; a view when the memory layout allows it.

    reshape(3, 2) or reshape((3, 2)); one dimension may be -1 (inferred).
    Raises ValueError naming both shapes when the sizes do not match.
    """
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    shape = tuple(int(s) for s in shape)
    ### BEGIN SOLUTION
    if shape.count(-1) > 1:
        raise ValueError(f"reshape allows at most one -1, got {shape}")
    if any(s < -1 for s in shape):
        raise ValueError(f"reshape got a negative size in {shape}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or self.size % known != 0:
            raise ValueError(f"cannot reshape tensor of shape {self.shape} (size {self.size}) into {shape}")
        shape = tuple(self.size // known if s == -1 else s for s in shape)
    elif known != self.size:
        raise ValueError(f"cannot reshape tensor of shape {self.shape} (size {self.size}) into {shape}")
    return _wrap(self.data.reshape(shape), self.data)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-reshape", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
t = Tensor(np.arange(6.0).reshape(2, 3))
r = t.reshape(3, 2)
expect(type(r).__name__, "Tensor", "reshape should return a Tensor")
expect(r.data, [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], "reshape(3, 2) reads the same elements in row-major order")
expect(t.reshape((6,)).shape, (6,), "reshape should accept one tuple")
expect(t.reshape(-1).shape, (6,), "reshape(-1) should flatten")
expect(t.reshape(3, -1).shape, (3, 2), "reshape(3, -1) should infer the -1 as 2")
r.data[0, 0] = 99.0
expect(float(t.data[0, 0]), 99.0, "reshape of a contiguous tensor should be a view: writing through it changes the original")
with expect_raises(ValueError, "reshaping 6 elements into (4, 2) should raise ValueError"):
    t.reshape(4, 2)
message = ""
try:
    t.reshape(4, 2)
except ValueError as error:
    message = str(error)
expect([name for name in ("(2, 3)",) if name in message], ["(2, 3)"],
       "the error message should name the tensor's shape, written as (2, 3)")
### BEGIN HIDDEN TESTS
_u = Tensor(np.arange(24, dtype=np.float32))
expect(_u.reshape(2, -1, 3).shape, (2, 4, 3), "-1 in the middle should be inferred")
expect((_u.reshape(-1, 8).shape, _u.reshape([4, -1]).shape), ((3, 8), (4, 6)), "-1 first, and a list, should work")
_v = _u.reshape(2, 3, 4)
_v.data[1, 2, 3] = -7.0
expect(float(_u.data[23]), -7.0, "reshape of a contiguous tensor should share memory")
expect(str(_u.reshape(4, 6).dtype), "float32", "reshape keeps the dtype")
_d = Tensor(np.arange(4.0), dtype=np.float64)
_d2 = _d.reshape(2, 2)
_d2.data[1, 1] = 10.0
expect((_d.data, str(_d2.dtype)), ([0.0, 1.0, 2.0, 10.0], "float64"), "reshape of a float64 tensor should stay a float64 view")
expect((Tensor(3.0).reshape(1, 1).shape, Tensor([[3.0]]).reshape(()).shape), ((1, 1), ()),
       "reshape between a 0-d tensor and shape (1, 1) should work")
expect(Tensor(np.zeros((0, 4))).reshape(2, 0, 3).shape, (2, 0, 3), "reshaping an empty tensor should work")
for _bad in [(5, -1), (-1, -1), (7,), (2, 2, 2, 2), (-2, -12)]:
    with expect_raises(ValueError, "an impossible reshape should raise ValueError"):
        _u.reshape(*_bad)
_m = np.arange(6.0).reshape(2, 3)
_flat = Tensor(_m.T).reshape(-1)
expect(_flat.data, _m.T.ravel(), "reshape of a non-contiguous tensor reads its elements in row-major order")
### END HIDDEN TESTS
print("✅ Step 7: reshape works and returns views")

# %% [markdown]
# ## Step 8 · Transpose and indexing: views with new strides
#
# `transpose(*axes)` permutes the dimensions: output dimension `i` is input dimension `axes[i]`.
# With no arguments it reverses them, so a `(2, 3)` matrix becomes `(3, 2)` and a `(B, m, k)`
# batch becomes `(k, m, B)`. Nothing moves in memory; only the shape and the strides are
# permuted:
#
# ```
# t   : shape (2, 3),  strides (12, 4)
# t.T : shape (3, 2),  strides (4, 12)   <- stepping along a row of t.T jumps 12 bytes
# ```
#
# (This is NumPy's `transpose`; PyTorch calls it `permute`, and its `transpose(d0, d1)` swaps just
# two dimensions.) `T` is the no-argument transpose as a property: `x @ W.T`.
#
# `t[index]` uses NumPy's indexing and returns a Tensor. **Basic** indexing (ints, slices like
# `1:` or `::2`, `None`, `...`) is a view with new strides and offset: `t[:, ::2]` has strides
# `(12, 8)`. **Advanced** indexing with a list, an array or a Tensor of indices, or a boolean mask,
# gathers elements into a new array: a copy. Unwrap a Tensor used as an index (alone or inside a
# tuple) to its `.data` first.

# %% nbgrader={"grade": false, "grade_id": "tensor-transpose-index", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Tensor)
def transpose(self, *axes):
    """Permute the dimensions (a view). No axes: reverse them. transpose(1, 0, 2) or transpose((1, 0, 2))."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    ### BEGIN SOLUTION
    if not axes:
        axes = tuple(reversed(range(self.ndim)))
    return _wrap(self.data.transpose(axes), self.data)
    ### END SOLUTION


@extend(Tensor)
@property
def T(self):
    """The transpose with the dimensions reversed (a view)."""
    ### BEGIN SOLUTION
    return self.transpose()
    ### END SOLUTION


@extend(Tensor)
def __getitem__(self, index):
    """self[index] as a Tensor: a view for basic indexing, a copy for advanced indexing."""
    ### BEGIN SOLUTION
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return _wrap(self.data[index], self.data)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-transpose-index", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
t = Tensor(np.arange(6.0).reshape(2, 3))
expect(t.T.data, [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]], "T should swap rows and columns")
expect(t.transpose().strides, (4, 12), "transpose should permute the strides, not move data")
b = Tensor(np.arange(24.0).reshape(2, 3, 4))
expect(b.transpose(1, 0, 2).shape, (3, 2, 4), "transpose(1, 0, 2): output dimension i is input dimension axes[i]")
t.T.data[0, 1] = -1.0
expect(float(t.data[1, 0]), -1.0, "T should be a view: writing through it changes the original")
### BEGIN HIDDEN TESTS
_b = Tensor(np.arange(24.0).reshape(2, 3, 4))
expect(_b.transpose((2, 0, 1)).data, np.transpose(np.arange(24.0).reshape(2, 3, 4), (2, 0, 1)),
       "transpose should accept the axes as one tuple and follow NumPy")
expect(_b.transpose(2, 0, 1).strides, (4, 48, 16), "transpose(2, 0, 1) permutes the strides")
expect(_b.T.data, np.arange(24.0).reshape(2, 3, 4).T, "no axes should reverse all dimensions")
_view = _b.transpose(1, 0, 2)
_view.data[0, 1, 2] = -5.0
expect(float(_b.data[1, 0, 2]), -5.0, "transpose should be a view")
expect((Tensor([1.0, 2.0]).T.shape, Tensor(3.0).T.shape), ((2,), ()), "T of a 1-d or 0-d tensor keeps its shape")
expect(str(_b.T.dtype), "float32", "views keep the dtype")
### END HIDDEN TESTS
print("✅ Step 8: transpose and T work")

# %% nbgrader={"grade": true, "grade_id": "test-indexing", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
t = Tensor(np.arange(6.0).reshape(2, 3))
row = t[1]
expect(type(row).__name__, "Tensor", "t[1] should be a Tensor")
expect(row.data, [3.0, 4.0, 5.0], "t[1] should be the second row")
expect(t[:, 1:].data, [[1.0, 2.0], [4.0, 5.0]], "slicing should work on every dimension")
expect(t[Tensor([1, 0])].data, [[3.0, 4.0, 5.0], [0.0, 1.0, 2.0]], "a Tensor of indices selects rows")
t[:, 1:].data[0, 0] = 7.0
expect(float(t.data[0, 1]), 7.0, "basic slicing should be a view: writing through t[:, 1:] changes t")
### BEGIN HIDDEN TESTS
_b = Tensor(np.arange(24.0).reshape(2, 3, 4))
_s = _b[:, 1:, ::2]
expect(_s.shape, (2, 2, 2), "b[:, 1:, ::2] has shape (2, 2, 2)")
_s.data[...] = 0.0
expect(_b.data[:, 1:, ::2], np.zeros((2, 2, 2)), "basic slicing should be a view: writing through it changes the original")
_e = Tensor(np.arange(5.0))[2]
expect((type(_e).__name__, _e.shape, _e.item()), ("Tensor", (), 2.0), "indexing one element should give a 0-d Tensor")
_g = Tensor(np.arange(10.0, 15.0))
_picked = _g[Tensor([0, 3])]
expect(_picked.data, [10.0, 13.0], "a Tensor of indices should select elements")
_picked.data[0] = -1.0
expect(float(_g.data[0]), 10.0, "advanced indexing gives a copy")
_m = Tensor(np.arange(12.0).reshape(3, 4))
expect(_m[Tensor([2, 0]), 1:3].data, [[9.0, 10.0], [1.0, 2.0]], "a Tensor index inside a tuple should work")
expect(_g[_g.data > 12.0].data, [13.0, 14.0], "boolean masks should work")
expect(_g[Tensor(_g.data > 12.0)].data, [13.0, 14.0], "a bool Tensor should work as a mask")
expect((_m[None].shape, _m[..., 0].data), ((1, 3, 4), np.array([0.0, 4.0, 8.0])), "None and ... should work")
### END HIDDEN TESTS
print("✅ Step 8: indexing works")

# %% [markdown]
# ## Step 9 · Contiguous or not?
#
# A tensor is **C-contiguous** (row-major) when its elements sit in memory one after another in
# the order you would read them row by row. You can tell from the strides alone. Walk the
# dimensions from the last to the first: the last one must step exactly one element (`itemsize`
# bytes), and each earlier one must step over a whole block of the dimensions after it.
#
# ```
# shape (2, 3, 4), float32:  expected strides = (3*4*4, 4*4, 4) = (48, 16, 4)
# t.T          shape (4, 3, 2), strides (4, 16, 48)   -> not contiguous
# t[:, :, ::2] shape (2, 3, 2), strides (48, 16, 8)   -> not contiguous
# t[1:]        shape (1, 3, 4), strides (48, 16, 4)   -> contiguous (it just starts later)
# ```
#
# Two details: a dimension of **size 1** can have any stride (you never step along it), and a
# tensor with **no elements** counts as contiguous. Implement `is_contiguous()` from the shape, the
# strides and `self.data.itemsize` (don't read NumPy's `flags`; that's the answer key), and
# `contiguous()`, which returns a row-major tensor with the same values: the tensor's own memory
# if it already is contiguous, otherwise a copy (`np.asarray(x, order="C")` does exactly that).
#
# Why care? Many kernels (and PyTorch's `view`) need contiguous memory, and the systems
# analysis below shows that reading memory in order is much faster than jumping around.

# %% nbgrader={"grade": false, "grade_id": "tensor-contiguous", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Tensor)
def is_contiguous(self):
    """True when the elements are laid out row-major with no gaps (from shape and strides)."""
    ### BEGIN SOLUTION
    if self.size == 0:
        return True
    expected = self.data.itemsize
    for size, stride in zip(reversed(self.shape), reversed(self.strides)):
        if size != 1 and stride != expected:
            return False
        expected *= size
    return True
    ### END SOLUTION


@extend(Tensor)
def contiguous(self):
    """A C-contiguous tensor with the same values: self's memory if already contiguous, else a copy."""
    ### BEGIN SOLUTION
    return _wrap(np.asarray(self.data, order="C"), self.data)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-contiguous", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
t = Tensor(np.arange(12.0).reshape(3, 4))
expect(t.is_contiguous(), True, "a freshly created tensor is contiguous")
expect(t.T.is_contiguous(), False, "a transposed matrix is not contiguous")
expect(t[:, ::2].is_contiguous(), False, "t[:, ::2] skips every other column: not contiguous")
expect(t[1:].is_contiguous(), True, "t[1:] drops leading rows: still contiguous (it just starts later)")
b = Tensor(np.zeros((2, 3, 4)))
expect(b[:, ::2].is_contiguous(), False, "b[:, ::2] of a (2, 3, 4) tensor skips rows: not contiguous, although its last stride is 4")
expect(b.transpose(1, 0, 2).is_contiguous(), False, "b.transpose(1, 0, 2) swaps the first two dimensions: not contiguous")
c = t.T.contiguous()
expect(c.data, [[0.0, 4.0, 8.0], [1.0, 5.0, 9.0], [2.0, 6.0, 10.0], [3.0, 7.0, 11.0]],
       "contiguous() keeps the shape and the values")
expect((c.strides, c.is_contiguous()), ((12, 4), True), "t.T.contiguous() is row-major: strides (12, 4)")
### BEGIN HIDDEN TESTS
_copy = t.T.contiguous()
_copy.data[0, 0] = 123.0
expect(float(t.data[0, 0]), 0.0, "contiguous() of a transposed tensor must be a copy")
_b = Tensor(np.arange(24.0).reshape(2, 3, 4))
_views = [_b, _b[1:], _b[:, ::2], _b[:, :, ::2], _b[::2], _b[:, :1], _b[0:1], _b[:, 1:2, :], _b[..., :1],
          _b.transpose(1, 0, 2), _b.reshape(6, 4), _b[1], _b[:, 1], Tensor(np.zeros((0, 3)))[:, ::2],
          Tensor(np.broadcast_to(np.float32(1.0), (3, 4))), Tensor(5.0), Tensor(np.ones((1, 1, 5)))[:, :, ::2]]
expect([_v.is_contiguous() for _v in _views], [bool(_v.data.flags["C_CONTIGUOUS"]) for _v in _views],
       "is_contiguous() should follow the strides for slices, transposes, size-1 and empty dimensions")
_s = _b[:, :, ::2].contiguous()
expect((_s.data, _s.strides), (_b.data[:, :, ::2], (24, 8, 4)), "contiguous() of a strided slice should copy the values")
_same = _b.contiguous()
_same.data[0, 0, 0] = -3.0
expect(float(_b.data[0, 0, 0]), -3.0, "contiguous() of an already contiguous tensor should not copy")
expect(str(Tensor([1, 2, 3])[::-1].contiguous().dtype), "int64", "contiguous() keeps the dtype")
### END HIDDEN TESTS
print("✅ Step 9: is_contiguous() and contiguous() work")

# %% [markdown]
# ## Step 10 · Reductions: sum, mean, max
#
# A reduction collapses one or more dimensions. `axis` says which (an int, a tuple of ints, or
# `None` for all), and `keepdims=True` keeps each reduced dimension with size 1, so the result still
# broadcasts against the input:
#
# ```
# x: shape (2, 3)   [[1, 2, 3],
#                    [4, 5, 6]]
# x.sum()                        -> 21                  shape ()
# x.sum(axis=0)                  -> [5, 7, 9]           shape (3,)
# x.sum(axis=1, keepdims=True)   -> [[6], [15]]         shape (2, 1)
# x - x.mean(axis=1, keepdims=True)                     centres every row: (2, 3) - (2, 1)
# ```
#
# Each returns a Tensor (a 0-d one for a full reduction). Use `_wrap` so that the mean of an
# integer tensor is float32. The functions are named `_sum`, `_mean` and `_max` so that they don't
# hide Python's built-in `sum` and `max` in this notebook; `extend(Tensor, name="sum")` attaches
# them as `Tensor.sum` and so on.

# %% nbgrader={"grade": false, "grade_id": "tensor-reductions", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Tensor, name="sum")
def _sum(self, axis=None, keepdims=False):
    """Sum over `axis` (None: all elements) as a Tensor."""
    ### BEGIN SOLUTION
    return _wrap(np.sum(self.data, axis=axis, keepdims=keepdims), self.data)
    ### END SOLUTION


@extend(Tensor, name="mean")
def _mean(self, axis=None, keepdims=False):
    """Mean over `axis` (None: all elements) as a Tensor."""
    ### BEGIN SOLUTION
    return _wrap(np.mean(self.data, axis=axis, keepdims=keepdims), self.data)
    ### END SOLUTION


@extend(Tensor, name="max")
def _max(self, axis=None, keepdims=False):
    """Maximum over `axis` (None: all elements) as a Tensor."""
    ### BEGIN SOLUTION
    return _wrap(np.max(self.data, axis=axis, keepdims=keepdims), self.data)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-reductions", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
total = x.sum()
expect(type(total).__name__, "Tensor", "sum() should return a Tensor")
expect((total.shape, total.item()), ((), 21.0), "sum() over everything gives a 0-d Tensor")
expect(x.sum(axis=0).data, [5.0, 7.0, 9.0], "sum(axis=0) adds the rows together")
expect(x.mean(axis=1).data, [2.0, 5.0], "mean(axis=1) averages each row")
expect(x.max(axis=0).data, [4.0, 5.0, 6.0], "max(axis=0) is the column-wise maximum")
expect(x.max().item(), 6.0, "max() is the largest element")
### BEGIN HIDDEN TESTS
_neg = Tensor([[-5.0, -2.0], [-7.0, -3.0]])
expect((_neg.max(axis=1).data, _neg.max().item()), (np.array([-2.0, -3.0]), -2.0), "max should work for all-negative values")
_b = Tensor(np.arange(24.0).reshape(2, 3, 4))
expect(_b.sum(axis=-1).data, np.arange(24.0).reshape(2, 3, 4).sum(axis=-1), "negative axes should work")
expect(_b.mean(axis=(0, 2)).data, np.arange(24.0).reshape(2, 3, 4).mean(axis=(0, 2)), "a tuple of axes should reduce several dimensions")
for _r in (_b.sum(), _b.mean(), _b.max(), _b.sum(axis=0), _b.max(axis=2)):
    expect((type(_r).__name__, str(_r.dtype)), ("Tensor", "float32"), "reductions of float32 tensors return float32 Tensors")
_ints = Tensor([[1, 2], [3, 4]])
expect((str(_ints.sum().dtype), str(_ints.max(axis=0).dtype)), ("int64", "int64"), "sum and max of an int tensor stay integer")
expect((str(_ints.mean().dtype), _ints.mean().item()), ("float32", 2.5), "the mean of an int tensor should be float32")
expect(Tensor([True, True, False]).sum().item(), 2, "summing a bool tensor counts the True values")
### END HIDDEN TESTS
print("✅ Step 10: sum, mean and max work with axis")

# %% nbgrader={"grade": true, "grade_id": "test-reductions-keepdims", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
expect(x.sum(axis=1, keepdims=True).data, [[6.0], [15.0]], "sum(axis=1, keepdims=True) keeps the reduced axis: shape (2, 1)")
expect(x.mean(axis=1, keepdims=True).data, [[2.0], [5.0]], "mean(axis=1, keepdims=True) keeps the reduced axis: shape (2, 1)")
expect(x.max(axis=0, keepdims=True).data, [[4.0, 5.0, 6.0]], "max(axis=0, keepdims=True) keeps the reduced axis: shape (1, 3)")
expect((x - x.mean(axis=1, keepdims=True)).data, [[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]],
       "x - x.mean(axis=1, keepdims=True) centres every row")
### BEGIN HIDDEN TESTS
_b = Tensor(np.arange(24.0).reshape(2, 3, 4))
expect(_b.max(axis=1, keepdims=True).data, np.arange(24.0).reshape(2, 3, 4).max(axis=1, keepdims=True), "max with keepdims")
expect(_b.mean(keepdims=True).data, [[[11.5]]], "mean(keepdims=True) over everything has shape (1, 1, 1)")
expect(_b.sum(axis=(0, 2), keepdims=True).data, np.arange(24.0).reshape(2, 3, 4).sum(axis=(0, 2), keepdims=True),
       "sum over a tuple of axes with keepdims")
expect(_b.sum(axis=-1, keepdims=True).shape, (2, 3, 1), "keepdims with a negative axis")
expect_close((_b - _b.mean(axis=2, keepdims=True)).sum(axis=2).data, np.zeros((2, 3)),
             "x - x.mean(axis, keepdims=True) should centre along axis", rtol=0, atol=1e-4)
### END HIDDEN TESTS
print("✅ Step 10: keepdims keeps the reduced dimensions")

# %% [markdown]
# ## Step 11 · Element-wise exp and log
#
# The last two operations this module needs are the ones behind softmax and cross-entropy
# (Modules 02 and 04): `exp()` and `log()`, applied to every element, returning a new Tensor.
# An integer tensor gives float32 (use `_wrap`). `log(0)` is `-inf` and `log` of a negative
# number is `nan`, as in NumPy and PyTorch: don't "fix" them here.

# %% nbgrader={"grade": false, "grade_id": "tensor-exp-log", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Tensor)
def exp(self):
    """e ** x for every element, as a new Tensor."""
    ### BEGIN SOLUTION
    return _wrap(np.exp(self.data), self.data)
    ### END SOLUTION


@extend(Tensor)
def log(self):
    """Natural logarithm of every element, as a new Tensor."""
    ### BEGIN SOLUTION
    return _wrap(np.log(self.data), self.data)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-exp-log", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
z = Tensor([0.0, 1.0, 2.0])
expect(type(z.exp()).__name__, "Tensor", "exp() should return a Tensor")
expect_close(z.exp().data, [1.0, 2.7182817, 7.389056], "exp() applies e ** x element-wise", rtol=1e-6, atol=0.0)
expect_close(Tensor([1.0, np.e, 10.0]).log().data, [0.0, 1.0, 2.3025851],
             "log() is the natural logarithm (log(10) = 2.3026, not 1)", rtol=1e-6, atol=1e-7)
### BEGIN HIDDEN TESTS
expect((str(Tensor([0, 1, 2]).exp().dtype), str(Tensor([1, 2]).log().dtype)), ("float32", "float32"),
       "exp and log of an int tensor should be float32")
_w = Tensor(np.linspace(-3, 3, 7).reshape(7, 1))
expect_close(_w.exp().data, np.exp(np.linspace(-3, 3, 7).reshape(7, 1)), "exp of a (7, 1) tensor", rtol=1e-6, atol=0.0)
expect_close(_w.exp().log().data, _w.data, "log(exp(x)) should give back x", rtol=0, atol=1e-5)
_p = Tensor([0.5, 1.0, 2.0])
_unused = (_p.exp(), _p.log())
expect(_p.data, [0.5, 1.0, 2.0], "exp and log must not modify the tensor in place")
with np.errstate(divide="ignore", invalid="ignore"):
    _special = Tensor([0.0, -1.0]).log().data
expect(_special, [-np.inf, np.nan], "log(0) should be -inf and log of a negative number nan")
### END HIDDEN TESTS
print("✅ Step 11: exp and log work")

# %% [markdown]
# ## Systems analysis: what a tensor costs in memory and time
#
# Your `Tensor` is complete. Now measure what it costs. Run the cells below and read the numbers
# (they are measured on this machine, so yours will differ a little from your neighbour's).
#
# ### 1. Bytes per element
#
# Memory is `size * itemsize`. For a 1000 x 1000 weight matrix:

# %% nbgrader={"grade": false, "grade_id": "analysis-dtype-bytes", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
from tinytorch_runtime.timing import gflops, measure

for dt in (np.float64, np.float32, np.float16, np.int8):
    w = Tensor(np.zeros((1000, 1000)), dtype=dt)
    print(f"{np.dtype(dt).name:>8}: itemsize {w.data.itemsize} B -> {w.nbytes:>9,} bytes = {w.nbytes / 2**20:5.2f} MiB")

# %% [markdown]
# float32 halves float64; int8 (Module 15, quantisation) quarters float32. A model with 100 million
# parameters needs 400 MB in float32 just for the weights, before gradients and optimiser state.
#
# ### 2. Strides, views and copies
#
# Each row below is one tensor: its shape, its strides in bytes, whether it is contiguous, and
# whether it shares memory with the original `t` (a view) or not (a copy).

# %% nbgrader={"grade": false, "grade_id": "analysis-views", "locked": true, "schema_version": 3, "solution": false, "task": false}
t = Tensor(np.arange(12.0).reshape(3, 4))
cases = {
    "t": t,
    "t.reshape(4, 3)": t.reshape(4, 3),
    "t.T": t.T,
    "t[1:]": t[1:],
    "t[:, ::2]": t[:, ::2],
    "t.T.contiguous()": t.T.contiguous(),
    "t.T.reshape(-1)": t.T.reshape(-1),
    "t[Tensor([0, 2])]": t[Tensor([0, 2])],
    "t + 0": t + 0,
}
print(f"{'expression':<20}{'shape':<10}{'strides':<10}{'contiguous':<12}shares memory with t")
for name, v in cases.items():
    print(f"{name:<20}{str(v.shape):<10}{str(v.strides):<10}{str(v.is_contiguous()):<12}{np.shares_memory(v.data, t.data)}")

# %% [markdown]
# Reshape, transpose and basic slicing are free: O(1), whatever the size. `contiguous()`,
# reshaping a transposed tensor, fancy indexing and arithmetic allocate and copy: O(n) time and
# n * itemsize new bytes.
#
# The next cell checks the deterministic facts behind these tables (sizes, strides, sharing).
# It is graded; it passes if your Tensor is right.

# %% nbgrader={"grade": true, "grade_id": "test-memory-facts", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
expect(int(Tensor(np.zeros((1000, 1000))).nbytes), 4_000_000, "a 1000 x 1000 float32 tensor takes 4 bytes per element")
expect(int(Tensor(np.zeros((1000, 1000)), dtype=np.int8).nbytes), 1_000_000, "int8 takes 1 byte per element")
m = Tensor(np.zeros((1000, 1000)))
expect((m.strides, m.T.strides), ((4000, 4), (4, 4000)), "transposing swaps the strides")
m.T.data[0, 1] = 1.0
expect(float(m.data[1, 0]), 1.0, "T is a view: writing through it changes m")
m.T.contiguous().data[0, 2] = 2.0
expect(float(m.data[2, 0]), 0.0, "T.contiguous() is a copy: writing to it leaves m alone")
### BEGIN HIDDEN TESTS
expect(int(Tensor(np.zeros((1000, 1000)), dtype=np.float64).nbytes), 8_000_000, "float64 takes 8 bytes per element")
_grid = Tensor(np.zeros((4, 6)))
expect(_grid[:, ::3].strides, (24, 12), "a step of 3 along columns triples the column stride")
expect((_grid[1:].is_contiguous(), _grid[::2].is_contiguous()), (True, False),
       "dropping leading rows stays contiguous, skipping rows does not")
expect(_grid.reshape(6, 4).strides, (16, 4), "strides follow the shape after a reshape")
### END HIDDEN TESTS
print("✅ memory facts check out")

# %% [markdown]
# ### 3. Reading memory in order is faster
#
# A CPU never fetches one float from memory: it fetches a 64-byte **cache line** (16 float32
# values) and guesses that you'll want the next lines too. Summing a row-major matrix **row by
# row** walks memory in order and uses every byte of every line. Summing it **column by column**
# jumps `4 * n_cols` bytes per element and uses only 4 bytes of each 64-byte line it fetches.
# Same arithmetic, same result, different speed. The matrix is 64 MB, larger than the CPU's
# caches, so the difference shows.
#
# The second pair of timings is the same effect inside `contiguous()`: copying `big` reads it in
# order, while `big.T.contiguous()` must read it column by column to write the transpose in order.

# %% nbgrader={"grade": false, "grade_id": "analysis-traversal", "locked": true, "schema_version": 3, "solution": false, "task": false}
n = 4000
big = Tensor(np.random.default_rng(0).random((n, n), dtype=np.float32))   # 64 MB, row-major
array = big.numpy()


def sum_by_rows():
    return sum(float(array[i, :].sum()) for i in range(n))      # each row: 16 KB read in order


def sum_by_columns():
    return sum(float(array[:, j].sum()) for j in range(n))      # each column: a 16 KB jump per element


# measure(fn): the median of several timed runs and their spread (IQR), with NumPy's BLAS pinned
# to one thread so that other users of the machine disturb the numbers less.
rows, cols = measure(sum_by_rows, repeats=3, warmup=0), measure(sum_by_columns, repeats=3, warmup=0)
print(f"sum row by row         : {rows}")
print(f"sum column by column   : {cols}   -> {cols.median / rows.median:.1f}x the time, same {n * n:,} additions")
copy, copy_T = measure(lambda: Tensor(array.copy()), repeats=3, warmup=0), measure(lambda: big.T.contiguous(), repeats=3, warmup=0)
print(f"copy big (in order)    : {copy}")
print(f"big.T.contiguous()     : {copy_T}   -> {copy_T.median / copy.median:.1f}x the time, same {big.nbytes / 1e6:.0f} MB")
del big, array

# %% [markdown]
# On the course's test machine (2 cores of an AMD EPYC server, shared) we measured, over several
# runs: row by row 35–70 ms, column by column 190–300 ms, **4–7x** the time; copying in order
# 20–40 ms, `big.T.contiguous()` 180–290 ms, **5–11x**. Your numbers will differ; the ratio is what
# to look at, and it stays well above 1 on any machine with caches.
#
# This is why layout matters: a non-contiguous tensor (a transpose, a strided slice) is read
# column-wise by any kernel that loops over it naively. Libraries either handle strides
# explicitly (BLAS takes a "transposed" flag) or call `contiguous()` first and pay one copy to
# make every later pass fast.
#
# ### 4. Matmul: time, FLOPs and throughput
#
# `(n, n) @ (n, n)` costs `2 n^3` floating-point operations. Doubling `n` should multiply the time
# by about 8. Dividing FLOPs by seconds gives the achieved **GFLOP/s**: how close you get to what
# the hardware can do. Small matrices have too little work to hide overheads; large ones keep the
# arithmetic units busy.

# %% nbgrader={"grade": false, "grade_id": "analysis-matmul", "locked": true, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(0)
sizes = [32, 64, 128, 256, 512, 768, 1024]
timings, rates = [], []
for size in sizes:
    a = Tensor(rng.standard_normal((size, size)))
    b = Tensor(rng.standard_normal((size, size)))
    timing = measure(a.matmul, b, repeats=3, warmup=1)      # median of 3 runs, BLAS on 1 thread
    timings.append(timing)
    rates.append(gflops(2 * size**3, timing))               # warns if the rate is impossible here
    print(f"n = {size:4d}: {2 * size**3 / 1e6:8.1f} MFLOP in {timing} -> {rates[-1]:6.1f} GFLOP/s")

seconds = np.array([t.median for t in timings])
spread = np.array([[t.median - t.q1 for t in timings], [t.q3 - t.median for t in timings]])
fig, (ax_time, ax_rate) = plt.subplots(1, 2, figsize=(11, 4))
ax_time.errorbar(sizes, seconds, yerr=spread, fmt="o-", capsize=3, label="measured (median, IQR)")
ax_time.set_xscale("log")
ax_time.set_yscale("log")
ax_time.loglog(sizes, [seconds[-1] * (s / sizes[-1]) ** 3 for s in sizes], "--", color="gray", label="~ n^3")
ax_time.set_xlabel("n (matrix is n x n)")
ax_time.set_ylabel("seconds")
ax_time.set_title("float32 matmul time, 1 BLAS thread")
ax_time.legend()
ax_rate.semilogx(sizes, rates, "o-", color="tab:green")
ax_rate.set_xlabel("n (matrix is n x n)")
ax_rate.set_ylabel("GFLOP/s")
ax_rate.set_title("achieved throughput: 2 n^3 / time")
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the plot: time follows the `n^3` line for large `n`, and throughput climbs with `n`
# until it levels off at what one core sustains. On the course's test machine (one BLAS thread,
# AMD EPYC, shared) we measured 3–20 GFLOP/s at n = 32 (too little work per call: overheads show
# and the numbers jump around) and roughly 15–30 GFLOP/s from n = 128 on, with single runs now and
# then far off in either direction on a busy machine: that is why each point is a median.
#
# `gflops()` also checks plausibility: one core cannot do more than a few hundred GFLOP/s. If a
# line above starts with ⚠, your `matmul` did far fewer operations than `2 n^3` (an element-wise
# product `a * b` does `n^2`), even if its shapes looked right: go back to Step 6. In Module 18 you will see how far a
# hand-written loop is from this, and why blocked (tiled) algorithms that keep data in cache
# close the gap.

# %% [markdown]
# ## Integration test: a tiny forward pass
#
# Everything together, the way later modules will use it: a batch of inputs through a linear
# layer (`x @ W + b`), a numerically stable softmax built from `max`, `exp` and `sum` with
# `keepdims`, and shape bookkeeping with `reshape` and `T`.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(42)
x = Tensor(rng.standard_normal((4, 3)))
W = Tensor(rng.standard_normal((3, 5)))
b = Tensor(rng.standard_normal(5))
logits = x @ W + b
expect((logits.shape, str(logits.dtype)), ((4, 5), "float32"), "x @ W + b should give float32 logits of shape (4, 5)")
expect_close(logits.data, x.data @ W.data + b.data, "x @ W + b", rtol=1e-5, atol=1e-5)
shifted = logits - logits.max(axis=1, keepdims=True)
probs = shifted.exp() / shifted.exp().sum(axis=1, keepdims=True)
expect_close(probs.sum(axis=1).data, [1.0, 1.0, 1.0, 1.0], "each row of a softmax should sum to 1", rtol=0, atol=1e-5)
expect_close((x @ W).T.data, W.data.T @ x.data.T, "(xW)^T should equal W^T x^T", rtol=1e-5, atol=1e-5)
### BEGIN HIDDEN TESTS
expect_close(probs.data, np.exp(logits.data - logits.data.max(axis=1, keepdims=True))
             / np.exp(logits.data - logits.data.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True),
             "softmax values should match NumPy", rtol=1e-5, atol=1e-6)
expect(str(probs.dtype), "float32", "the softmax should stay float32")
_images = Tensor(rng.integers(0, 256, size=(8, 1, 4, 4)), dtype=np.uint8)
_flat = _images.reshape(8, -1) / 255
expect((_flat.shape, str(_flat.dtype)), ((8, 16), "float32"), "uint8 images / 255 should be float32 of shape (8, 16)")
expect_close(_flat.data, _images.data.reshape(8, 16) / 255, "uint8 images / 255 in [0, 1]", rtol=1e-6, atol=1e-7)
_mu = _flat.mean(axis=0, keepdims=True)
_var = ((_flat - _mu) ** 2).mean(axis=0)
expect_close(_var.data, _flat.data.var(axis=0), "mean, -, ** and mean should compose into the variance", rtol=1e-4, atol=1e-5)
_q, _k = Tensor(rng.standard_normal((2, 6, 4))), Tensor(rng.standard_normal((2, 6, 4)))
_scores = _q @ _k.transpose(0, 2, 1) / 2.0
expect_close(_scores.data, np.matmul(_q.data, np.swapaxes(_k.data, 1, 2)) / 2.0,
             "batched q @ k^T / 2 should give (batch, seq, seq) scores", rtol=1e-5, atol=1e-5)
expect_close(_scores.sum(axis=-1).data, _scores.data.sum(axis=-1), "reducing the last axis of a batched result",
             rtol=1e-4, atol=1e-4)
_loss = -(probs[Tensor(np.arange(4)), Tensor([0, 1, 2, 3])].log()).mean()
expect(_loss.shape, (), "a cross-entropy style loss should be a scalar")
expect_close(_loss.item(), -np.mean(np.log(probs.data[np.arange(4), [0, 1, 2, 3]])), "the cross-entropy style loss",
             rtol=1e-5, atol=1e-6)
### END HIDDEN TESTS
print("✅ Integration: the pieces work together")

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences. Use numbers from your own runs
# where they help. These are graded by hand.
#
# **Q1 (views, 5 points).** PyTorch has `x.view(shape)`, which raises an error on a non-contiguous tensor,
# and `x.reshape(shape)`, which silently copies in that case. Describe one bug that a view can
# cause (think of two names for the same memory) and one performance problem that a silent copy
# can cause. Why might a framework want both methods?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-views", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* **Bug from a view:** a view is a second name for the same memory,
# so an in-place write through one name changes the other. Example: `flat = images.reshape(-1)`
# then `flat.data[:] -= flat.data.mean()` (to "normalise a copy") also changes `images`, the
# dataset used later; or a row `r = x[0]` kept for later and then `x.data[0] = 0` silently changes
# `r`. (In autograd, editing an input in place after the forward pass corrupts the saved value the
# backward pass needs.) **Cost of a silent copy:** `reshape` of a non-contiguous tensor (e.g. after
# `.T` or `[:, ::2]`) allocates and copies all n elements, O(n) time and n × itemsize new bytes,
# although the programmer thinks reshaping is free; inside a training loop over a large tensor this
# doubles memory and spends time copying, and writes to the result no longer reach the original.
# **Why both:** `view` is a guarantee (O(1), shares memory, fails loudly when impossible, so the
# aliasing is intended and visible); `reshape` is convenience (always works, may copy). A framework
# offers both so code can state which it needs.
# Grading: 2 points for a concrete aliasing bug (two names, an in-place write, the unexpected
# change), 2 points for the copy's cost (O(n) time and memory, when it happens: non-contiguous
# input), 1 point for why a framework wants both (guarantee vs convenience).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q2", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (dtypes, 5 points).** A model has 125 million parameters. How many bytes do its weights take in
# float64, float32 and int8? Training with Adam keeps, per parameter, the weight, its gradient and
# two optimiser values. How much memory is that in float32? What do you give up when you store
# the weights in fewer bits, and why did we make `int_tensor / 2` return float32 instead of
# NumPy's float64?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-dtype", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* Weights of 125 million parameters: float64 8 B each = 1.0 GB
# (1,000,000,000 bytes), float32 4 B = 500 MB, int8 1 B = 125 MB. Training with Adam keeps 4
# float32 values per parameter (weight, gradient, two moments): 4 × 4 B × 125 M = 2.0 GB, before
# activations. **Fewer bits cost precision and range:** float16 has about 3 decimal digits and
# overflows above 65,504 (small gradients underflow to 0); int8 has only 256 levels, so it needs a
# scale (and zero point) per tensor or channel and adds rounding error to every weight; accuracy can
# drop, and training in int8 is not practical. **int / 2 → float32:** NumPy gives float64, which
# would silently double the memory of that tensor and then promote everything it touches (float32
# weights × float64 input = float64), so a model meant to run in float32 would run in float64,
# slower and twice the size (the typical case: `uint8_images / 255`). Keeping float32 matches
# `torch`'s default dtype.
# Grading: 2 points for the byte counts (1 GB / 500 MB / 125 MB; 2 GB for Adam in float32, allow
# GiB with the same arithmetic), 2 points for what fewer bits lose (precision/range, the need for a
# scale for int8), 1 point for why int / 2 gives float32 (float64 would spread and double memory).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q3", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (memory layout, 5 points).** Report your row-wise and column-wise timings from the analysis and
# explain the ratio using cache lines and strides. Then: you must run a naive triple-loop matmul
# `C[i, j] += A[i, k] * B[k, j]` over row-major matrices. Which operand is read with a large
# stride in the inner loop over `k`, and what could you do about it (with the methods you built
# in this module) before the loop starts?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-layout", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* Own timings, e.g. row by row 35–70 ms and column by column
# 190–300 ms (4–7x) for the 4000 × 4000 float32 matrix on the test machine (accept any measured
# pair with a ratio clearly above 1; on a loaded hub the ratio varies). **Why:** memory is fetched in 64-byte cache lines (16
# float32 values). Row by row reads consecutive addresses (stride 4 B): every byte of every line is
# used and the prefetcher streams the next lines. Column by column steps 4 × 4000 = 16,000 B per
# element: each fetched line gives one useful float (4 of 64 bytes), so up to 16× more memory
# traffic, and the jumps defeat prefetching (and cost TLB misses). **Matmul:** in
# `C[i, j] += A[i, k] * B[k, j]` with the inner loop over k, `A[i, k]` walks along row i (stride
# 4 B) but `B[k, j]` walks down column j (stride n × 4 B): B is read with the large stride. Fix before
# the loop: `Bt = B.T.contiguous()` (one O(n²) copy) and read `Bt[j, k]`, so both operands are read
# along rows; the copy is cheap next to the O(n³) loop. (Reordering the loops to i, k, j is also a
# correct answer.)
# Grading: 2 points for the student's own timings with the cache-line/stride explanation, 2 points
# for naming B (column access, stride n × itemsize) as the strided operand, 1 point for the fix
# (B.T.contiguous() or a loop reorder) and why it pays off.
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/tensor.py` in your store and checks that it imports, so that later modules can
# `from tinytorch.tensor import Tensor`.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("01_tensor");
