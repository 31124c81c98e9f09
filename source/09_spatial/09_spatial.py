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
# # Module 09 · Spatial: convolutions, pooling and batch normalisation
#
# **Expected time:** 4–5 hours. **Difficulty:** ★★★★☆ (the index bookkeeping of im2col/col2im is
# the hard part; everything else builds on it).
#
# An MLP sees a 28 × 28 image as 784 unrelated numbers: move the picture one pixel to the right
# and every input changes. A **convolutional** layer slides one small filter (say 3 × 3) over the
# whole image, so the same weights look for the same pattern (an edge, a corner, a texture)
# everywhere. That is why CNNs learn images from far fewer parameters, and why they are the
# first architecture of this tier.
#
# In this module you build, for TinyTorch:
#
# | step | you build | PyTorch equivalent |
# |---|---|---|
# | 1 | `conv2d_output_shape` | the shape formula in the `nn.Conv2d` docs |
# | 2 | `im2col`: every window of the input as one column | `torch.nn.functional.unfold` |
# | 3 | `col2im`: columns back to an image, overlaps **added** | `torch.nn.functional.fold` |
# | 4–5 | `Conv2dFunction`: forward = im2col + **one matmul**; backward = matmuls + col2im | `torch.nn.functional.conv2d` |
# | 6 | `Conv2d` layer (He initialisation) | `torch.nn.Conv2d` |
# | 7 | `MaxPool2d` (gradient to the first maximum) | `torch.nn.MaxPool2d` |
# | 8 | `AvgPool2d`, `Flatten` | `torch.nn.AvgPool2d`, `torch.nn.Flatten` |
# | 9 | `BatchNorm2d` (batch statistics in training, running statistics in eval) | `torch.nn.BatchNorm2d` |
# | 10 | cost model: FLOPs, parameters, im2col bytes | what every profiler reports |
#
# After this module the milestone `milestones/cnn.py` trains a CNN made of *your* layers to
# more than 91 % test accuracy on Fashion-MNIST in a few minutes on a laptop CPU.

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# ```python
# import torch
# conv = torch.nn.Conv2d(in_channels=3, out_channels=16, kernel_size=3, stride=1, padding=1)
# x = torch.randn(32, 3, 32, 32)          # (N, C, H, W): a batch of 32 RGB images
# y = conv(x)                              # (32, 16, 32, 32)
# conv.weight.shape                        # (16, 3, 3, 3) = (out, in, kH, kW)
# ```
#
# Output pixel `y[n, f, i, j]` is the dot product of filter `f` with the 3 × 3 × 3 window of
# `x[n]` whose top-left corner is at `(i·stride, j·stride)` (after zero padding), plus `bias[f]`.
# Written literally that is seven nested loops. The first TinyTorch did exactly that and needed
# **97 seconds** for one CIFAR batch that PyTorch handles in 10 ms.
#
# Every fast CPU implementation (Caffe, early PyTorch, cuDNN's "implicit GEMM") instead reshapes
# the problem into the one operation that BLAS libraries run near the hardware's peak: a **matrix
# multiplication**. Copy every window into a column of a matrix (**im2col**), stack the filters as
# rows, and one matmul computes every output pixel of every filter for the whole batch:
#
# ```
#  weights (F, C·K·K)   @   columns (C·K·K, N·OH·OW)   =   output (F, N·OH·OW)  -> reshape to (N, F, OH, OW)
# ```
#
# The backward pass is two more matmuls and the reverse of im2col (**col2im**), which *adds*
# each column back into the place it came from. You will write all of it vectorised, time it
# against the seven loops, and get within a small factor of PyTorch.

# %% [markdown]
# ## Setup
#
# `sliding_window_view` (NumPy ≥ 1.20) gives a **view** of every window of an array without
# copying anything: the array `(N, C, H, W)` becomes `(N, C, H−K+1, W−K+1, K, K)` by adding
# strides, exactly like module 01's views.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from tinytorch_runtime import extend
from tinytorch.tensor import Tensor
from tinytorch.autograd import Function, no_grad, gradcheck
from tinytorch.layers import Module, Parameter

__all__ = ["conv2d_output_shape", "im2col", "col2im", "Conv2dFunction", "conv2d", "Conv2d",
           "MaxPool2dFunction", "MaxPool2d", "AvgPool2dFunction", "AvgPool2d", "Flatten", "BatchNorm2d",
           "conv2d_flops", "conv2d_params", "im2col_bytes"]


def _pair(k):
    """Given: an int k as (k, k); a pair stays a pair."""
    return (int(k), int(k)) if np.isscalar(k) else (int(k[0]), int(k[1]))


# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · The output shape
#
# A `K × K` window slides over an `H × W` image padded with `padding` zeros on every side, moving
# `stride` pixels at a time. The padded image is `H + 2·padding` tall; the first window starts at
# row 0, the last one must still fit, so the number of window positions is
#
# ```
# OH = (H + 2·padding − K) // stride + 1          OW = (W + 2·padding − K) // stride + 1
# ```
#
# | H | K | stride | padding | OH | why |
# |---|---|---|---|---|---|
# | 32 | 3 | 1 | 1 | 32 | "same" convolution: padding (K−1)/2 keeps the size |
# | 28 | 5 | 1 | 0 | 24 | "valid": every window lies inside the image |
# | 32 | 3 | 2 | 1 | 16 | stride 2 halves the size |
# | 7 | 2 | 2 | 0 | 3 | the last row is dropped (floor division) |
#
# Implement `conv2d_output_shape(h, w, kernel_size, stride=1, padding=0) -> (oh, ow)`.
# `kernel_size` is an int or a pair `(kh, kw)`: use the given `_pair`. When the window does not
# fit even once (`oh < 1` or `ow < 1`) raise a `ValueError` that names the sizes, as PyTorch does.

# %% nbgrader={"grade": false, "grade_id": "output-shape", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def conv2d_output_shape(h, w, kernel_size, stride=1, padding=0):
    """(oh, ow): number of window positions of a kernel over an h x w input padded by `padding`."""
    kh, kw = _pair(kernel_size)
    ### BEGIN SOLUTION
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (w + 2 * padding - kw) // stride + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"kernel {kh}x{kw} does not fit in the {h}x{w} input padded by {padding}: "
                         f"the output would be {oh}x{ow}")
    return oh, ow
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-output-shape", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
expect(conv2d_output_shape(28, 28, 5), (24, 24), "28x28 input, 5x5 kernel, no padding")
expect(conv2d_output_shape(32, 32, 3, stride=1, padding=1), (32, 32), "padding 1 keeps a 3x3 convolution 'same'")
expect(conv2d_output_shape(32, 32, 3, stride=2, padding=1), (16, 16), "stride 2 halves the size")
expect(conv2d_output_shape(7, 9, (2, 3), stride=2), (3, 4), "a 2x3 kernel with stride 2 on 7x9 (floor division)")
with expect_raises(ValueError, "a 5x5 kernel cannot fit in a 3x3 input without padding"):
    conv2d_output_shape(3, 3, 5)
### BEGIN HIDDEN TESTS
expect(conv2d_output_shape(224, 224, 7, stride=2, padding=3), (112, 112), "ResNet's first layer")
expect(conv2d_output_shape(5, 11, (3, 1), stride=3, padding=2), (3, 5), "non-square kernel, stride 3, padding 2")
expect(conv2d_output_shape(1, 1, 3, padding=1), (1, 1), "a 1x1 input padded to 3x3")
with expect_raises(ValueError, "a 4x4 kernel with padding 1 on a 1x1 input does not fit"):
    conv2d_output_shape(1, 1, 4, padding=1)
### END HIDDEN TESTS
print("✅ Step 1: output shapes are right")

# %% [markdown]
# ## Step 2 · im2col: every window as one column
#
# Take one image with two channels, a 2 × 2 kernel, stride 1:
#
# ```
# channel 0        channel 1          windows (top-left corner)       columns (one per window)
#  0  1  2          9 10 11           (0,0) (0,1)                     (0,0) (0,1) (1,0) (1,1)
#  3  4  5         12 13 14           (1,0) (1,1)             c0 k00    0     1     3     4
#  6  7  8         15 16 17                                   c0 k01    1     2     4     5
#                                                             c0 k10    3     4     6     7
#                                                             c0 k11    4     5     7     8
#                                                             c1 k00    9    10    12    13
#                                                             ...                          ...
# ```
#
# **Rows** are ordered `(channel, kernel row, kernel column)`: the same order as a filter
# `weight[f]` of shape `(C, K, K)` flattened, so `weight.reshape(F, C·K·K) @ cols` multiplies
# matching numbers. **Columns** are ordered `(image, output row, output column)`: so the product,
# `(F, N·OH·OW)`, reshapes to `(F, N, OH, OW)`.
#
# Implement `im2col(x, kernel_size, stride=1, padding=0) -> (C·KH·KW, N·OH·OW)` without Python
# loops:
#
# 1. pad rows and columns with zeros when `padding > 0` (`np.pad` with a width per axis:
#    `((0, 0), (0, 0), (p, p), (p, p))`);
# 2. `sliding_window_view(x, (kh, kw), axis=(2, 3))` is a view of shape `(N, C, H', W', KH, KW)`
#    with a window at **every** position; keep every `stride`-th one along axes 2 and 3 (`::stride`);
# 3. `transpose` the axes into the order `(C, KH, KW, N, OH, OW)` and `reshape` to 2-D. The
#    reshape copies (the strided view is not contiguous): that copy is the im2col buffer.
#
# A plain `reshape` without the transpose gives the right *shape* with the numbers in the wrong
# places; the test below catches that.

# %% nbgrader={"grade": false, "grade_id": "im2col", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def im2col(x, kernel_size, stride=1, padding=0):
    """Every kernel window of x (ndarray (N, C, H, W)) as a column: ndarray (C*KH*KW, N*OH*OW).

    Rows in (channel, kernel row, kernel column) order, columns in (image, out row, out column) order.
    """
    kh, kw = _pair(kernel_size)
    n, c, h, w = x.shape
    oh, ow = conv2d_output_shape(h, w, (kh, kw), stride, padding)
    ### BEGIN SOLUTION
    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * oh * ow)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-im2col", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
x = np.arange(18.0).reshape(1, 2, 3, 3)
cols = im2col(x, 2)
expect(cols.shape, (8, 4), "2 channels x 2x2 kernel = 8 rows; 2x2 window positions = 4 columns")
expect(cols, [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8],
              [9, 10, 12, 13], [10, 11, 13, 14], [12, 13, 15, 16], [13, 14, 16, 17]],
       "im2col of the 2-channel 3x3 example (rows: channel, kernel row, kernel column)")
expect(im2col(np.arange(16.0).reshape(1, 1, 4, 4), 2, stride=2),
       [[0, 2, 8, 10], [1, 3, 9, 11], [4, 6, 12, 14], [5, 7, 13, 15]],
       "stride 2 takes every second window of a 4x4 image")
expect(im2col(np.arange(4.0).reshape(1, 1, 2, 2), 2, padding=1),
       [[0, 0, 0, 0, 0, 1, 0, 2, 3], [0, 0, 0, 0, 1, 0, 2, 3, 0],
        [0, 0, 1, 0, 2, 3, 0, 0, 0], [0, 1, 0, 2, 3, 0, 0, 0, 0]],
       "padding 1 surrounds a 2x2 image with zeros before taking 2x2 windows")
### BEGIN HIDDEN TESTS
_x = np.random.default_rng(9).standard_normal((3, 2, 5, 6)).astype(np.float32)
_cols = im2col(_x, (3, 2), stride=2, padding=1)
expect(_cols.shape, (12, 3 * 3 * 4), "shape for 3 images, 2 channels, 3x2 kernel, stride 2, padding 1")
expect(str(_cols.dtype), "float32", "im2col keeps the dtype")
expect(_cols, sliding_window_view(np.pad(_x, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 2), axis=(2, 3))[:, :, ::2, ::2]
       .transpose(1, 4, 5, 0, 2, 3).reshape(12, -1), "im2col of a random batch with stride 2 and padding 1")
expect(im2col(_x, 1)[:, 7], _x[0, :, 1, 1], "a 1x1 kernel: column 7 is pixel (1, 1) of image 0, every channel")
### END HIDDEN TESTS
print("✅ Step 2: im2col lays out every window as a column")

# %% [markdown]
# ## Step 3 · col2im: columns back into an image, overlaps added
#
# The backward pass produces a gradient for every entry of the column matrix, and each entry is a
# **copy** of some input pixel. A pixel that appears in several windows (with stride 1, an inner
# pixel of a 3 × 3 convolution sits in 9 windows) receives the **sum** of the gradients of all
# its copies. So col2im is not the inverse of im2col but its *adjoint*: it scatters every column
# back to its window and **adds**.
#
# Vectorise over everything except the kernel offset. For each of the `KH × KW` offsets `(i, j)`,
# row `(c, i, j)` of the columns holds, for every image and every window position, the value
# that belongs at pixel `(i + stride·oh, j + stride·ow)` of the padded image. One strided slice
# puts all of them in place at once:
#
# ```python
# windows = cols.reshape(C, KH, KW, N, OH, OW)
# padded = np.zeros((C, N, H + 2p, W + 2p))          # (C, N) order: the order of the columns
# for i in range(KH):
#     for j in range(KW):
#         padded[:, :, i:i + stride*OH:stride, j:j + stride*OW:stride] += windows[:, i, j]
# ```
#
# That is `K²` NumPy operations (9 for a 3 × 3 kernel), each over the whole batch: the loop is
# over the kernel, never over pixels. Then drop the padding (`[..., p:p+H, p:p+W]`) and
# transpose `(C, N, H, W)` to `(N, C, H, W)` (return a contiguous array: `np.ascontiguousarray`).
# Accumulating in `(C, N)` order and transposing once at the end is faster than transposing every
# one of the `K²` slices.
#
# Use `+=`, not `=`: with `=`, overlapping windows overwrite each other and gradients are lost.

# %% nbgrader={"grade": false, "grade_id": "col2im", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def col2im(cols, x_shape, kernel_size, stride=1, padding=0):
    """Adjoint of im2col: add each column of cols ((C*KH*KW, N*OH*OW)) back into its window.

    Returns an ndarray of shape x_shape = (N, C, H, W) with the dtype of cols.
    """
    kh, kw = _pair(kernel_size)
    n, c, h, w = x_shape
    oh, ow = conv2d_output_shape(h, w, (kh, kw), stride, padding)
    ### BEGIN SOLUTION
    windows = cols.reshape(c, kh, kw, n, oh, ow)
    padded = np.zeros((c, n, h + 2 * padding, w + 2 * padding), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += windows[:, i, j]
    return np.ascontiguousarray(padded[:, :, padding:padding + h, padding:padding + w].transpose(1, 0, 2, 3))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-col2im", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
counts = col2im(np.ones((4, 4)), (1, 1, 3, 3), 2)
expect(counts.shape, (1, 1, 3, 3), "col2im gives back the image shape")
expect(counts, [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]],
       "col2im of ones counts how many 2x2 windows cover each pixel of a 3x3 image (overlaps add up)")
expect(col2im(np.ones((9, 9)), (1, 1, 3, 3), 3, padding=1), [[[[4, 6, 4], [6, 9, 6], [4, 6, 4]]]],
       "3x3 kernel, padding 1: the centre pixel is in all 9 windows, a corner in 4")
expect(col2im(np.arange(8.0).reshape(4, 2), (2, 1, 2, 2), 2, stride=2),
       [[[[0, 2], [4, 6]]], [[[1, 3], [5, 7]]]], "stride 2 windows do not overlap: col2im puts each value back")
### BEGIN HIDDEN TESTS
_x = np.random.default_rng(10).standard_normal((2, 3, 5, 4))
_c = np.random.default_rng(11).standard_normal((3 * 3 * 2, 2 * 3 * 3))
_back = col2im(_c, _x.shape, (3, 2), stride=2, padding=1)
expect(_back.shape, (2, 3, 5, 4), "shape for a 3x2 kernel, stride 2, padding 1")
expect(str(_back.dtype), "float64", "col2im keeps the dtype of the columns")
expect_close(float(np.sum(_back * _x)), float(np.sum(_c * im2col(_x, (3, 2), stride=2, padding=1))),
             "col2im is the adjoint of im2col: <col2im(c), x> equals <c, im2col(x)>", rtol=1e-9, atol=1e-9)
expect_close(col2im(im2col(_x, 3, padding=1), _x.shape, 3, padding=1), _x * col2im(np.ones((27, 40)), _x.shape, 3, padding=1),
             "col2im(im2col(x)) multiplies every pixel by the number of windows that contain it", rtol=1e-9, atol=1e-9)
### END HIDDEN TESTS
print("✅ Step 3: col2im adds every column back into its window")

# %% [markdown]
# ## Step 4 · The convolution's forward pass: one matmul
#
# `Conv2dFunction` is a module-05 `Function`: `forward` works on NumPy arrays and saves what
# `backward` needs on `ctx`. With `F` filters:
#
# ```
# cols = im2col(x, (KH, KW), stride, padding)              (C·KH·KW, N·OH·OW)
# out  = weight.reshape(F, C·KH·KW) @ cols                 (F, N·OH·OW)
# out += bias[:, None]                                     one bias per filter (skip when bias is None)
# out  -> reshape (F, N, OH, OW) -> transpose to (N, F, OH, OW), contiguous
# ```
#
# Save `cols` (backward needs it for the weight gradient), `weight`, the input's shape, `stride`
# and `padding` on `ctx`: `ctx.save_for_backward(cols, weight)` and plain attributes
# (`ctx.x_shape = x.shape`, ...). The given `conv2d` below is what layers call.

# %% nbgrader={"grade": false, "grade_id": "conv2d-forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Conv2dFunction(Function):
    """2-D cross-correlation (what deep learning calls convolution) by im2col and one matmul."""

    def forward(ctx, x, weight, bias=None, stride=1, padding=0):
        """x (N, C, H, W), weight (F, C, KH, KW), bias (F,) or None -> (N, F, OH, OW)."""
        if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
            raise ValueError(f"conv2d needs x (N, C, H, W) and weight (F, C, KH, KW) with the same C, "
                             f"got x {x.shape} and weight {weight.shape}")
        n, _, h, w = x.shape
        f, _, kh, kw = weight.shape
        oh, ow = conv2d_output_shape(h, w, (kh, kw), stride, padding)
        ### BEGIN SOLUTION
        cols = im2col(x, (kh, kw), stride, padding)
        out = weight.reshape(f, -1) @ cols
        if bias is not None:
            out += bias[:, None]
        ctx.save_for_backward(cols, weight)
        ctx.x_shape, ctx.stride, ctx.padding, ctx.has_bias = x.shape, stride, padding, bias is not None
        return np.ascontiguousarray(out.reshape(f, n, oh, ow).transpose(1, 0, 2, 3))
        ### END SOLUTION


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """Given: the functional convolution, like torch.nn.functional.conv2d (differentiable)."""
    return Conv2dFunction.apply(x, weight, bias, stride=stride, padding=padding)


# %% nbgrader={"grade": true, "grade_id": "test-conv2d-forward", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
x = Tensor(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
w = Tensor(np.array([[[[1, 1], [1, 1]]], [[[1, 0], [0, -1]]]], dtype=np.float32))
b = Tensor(np.array([0.0, 10.0], dtype=np.float32))
y = conv2d(x, w, b)
expect(type(y).__name__, "Tensor", "conv2d returns a Tensor")
expect(y.shape, (1, 2, 3, 3), "one image, two filters, 3x3 outputs")
expect(y.data, [[[[10, 14, 18], [26, 30, 34], [42, 46, 50]], [[5, 5, 5], [5, 5, 5], [5, 5, 5]]]],
       "filter 0 sums each 2x2 window; filter 1 is x[i,j] - x[i+1,j+1] plus bias 10")
expect(conv2d(x, w, None, stride=2, padding=1).data,
       [[[[0, 3, 3], [12, 30, 18], [12, 27, 15]], [[0, -2, 0], [-8, -5, 7], [0, 13, 15]]]],
       "stride 2, padding 1, no bias")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(12)
_x = _rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
_w = _rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
_b = _rng.standard_normal(4).astype(np.float32)
_y = conv2d(Tensor(_x), Tensor(_w), Tensor(_b), stride=2, padding=1)
expect(_y.shape, (2, 4, 4, 3), "shape with stride 2 and padding 1")
expect(str(_y.dtype), "float32", "float32 in, float32 out")
expect_close(_y.data, np.einsum("nchwij,fcij->nfhw", sliding_window_view(np.pad(_x, ((0, 0), (0, 0), (1, 1), (1, 1))),
                                                                         (3, 3), axis=(2, 3))[:, :, ::2, ::2], _w)
             + _b[None, :, None, None], "a random batch, 4 filters, stride 2, padding 1", rtol=1e-4, atol=1e-5)
expect_close(conv2d(Tensor(_x), Tensor(_w[:, :, :1, :2])).data,
             np.einsum("nchwij,fcij->nfhw", sliding_window_view(_x, (1, 2), axis=(2, 3)), _w[:, :, :1, :2]),
             "a 1x2 kernel without padding", rtol=1e-4, atol=1e-5)
expect(str(conv2d(Tensor(_x.astype(np.float64), dtype=np.float64), Tensor(_w.astype(np.float64), dtype=np.float64)).dtype),
       "float64", "float64 in, float64 out (gradcheck needs it)")
with expect_raises(ValueError, "x with 3 channels and a weight for 2 channels"):
    conv2d(Tensor(_x), Tensor(_w[:, :2]))
### END HIDDEN TESTS
print("✅ Step 4: the forward pass of the convolution is right")

# %% [markdown]
# ## Step 5 · The convolution's backward pass: two matmuls and col2im
#
# Write the forward as matrices: `Out = W₂ @ cols + b` with `W₂ = weight.reshape(F, C·K·K)`. Let
# `G` be the incoming gradient `grad` (N, F, OH, OW) arranged like `Out`: `(F, N·OH·OW)` (transpose
# to `(F, N, OH, OW)`, then reshape). The matmul rules of module 05 give everything:
#
# | gradient | formula | shape |
# |---|---|---|
# | ∂L/∂weight | `G @ cols.T`, reshaped to weight's shape | (F, C, KH, KW) |
# | ∂L/∂bias | `grad.sum(axis=(0, 2, 3))`: every output pixel of filter f used `bias[f]` | (F,) |
# | ∂L/∂cols | `W₂.T @ G` | (C·K·K, N·OH·OW) |
# | ∂L/∂x | `col2im(∂L/∂cols, x_shape, ...)`: each column entry was a copy of a pixel | (N, C, H, W) |
#
# Return the three gradients `(dx, dweight, dbias)`, `None` for a bias that was `None`.
#
# **Skip work nobody needs.** The first layer's input is the data: nothing asks for its
# gradient, and `W₂.T @ G` plus col2im are about half of the backward pass. `ctx.needs_input_grad`
# (module 05) is a tuple of booleans, one per input: compute `dx` only when
# `ctx.needs_input_grad[0]` (return `None` otherwise), and likewise for the weight.
#
# This cell attaches `backward` to the class of Step 4 with `extend`.

# %% nbgrader={"grade": false, "grade_id": "conv2d-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(Conv2dFunction, name="backward")
def _conv2d_backward(ctx, grad):
    """(dx, dweight, dbias) for grad = dL/d(output) of shape (N, F, OH, OW); None where not needed."""
    cols, weight = ctx.saved
    f = weight.shape[0]
    need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
    ### BEGIN SOLUTION
    g = grad.transpose(1, 0, 2, 3).reshape(f, -1)
    dweight = (g @ cols.T).reshape(weight.shape) if need_w else None
    dbias = grad.sum(axis=(0, 2, 3)) if ctx.has_bias else None
    dx = None
    if need_x:
        dx = col2im(weight.reshape(f, -1).T @ g, ctx.x_shape, weight.shape[2:], ctx.stride, ctx.padding)
    return dx, dweight, dbias
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-conv2d-backward", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
x = Tensor(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)).requires_grad_()
w = Tensor(np.ones((1, 1, 2, 2), dtype=np.float32)).requires_grad_()
b = Tensor(np.zeros(1, dtype=np.float32)).requires_grad_()
conv2d(x, w, b).sum().backward()
expect(x.grad.data, [[[[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]]],
       "dx of sum(conv(x, ones 2x2)): how many windows use each pixel")
expect(w.grad.data, [[[[45, 54], [81, 90]]]], "dweight[i, j] is the sum of the pixels that met weight (i, j)")
expect(b.grad.data, [9], "dbias is the number of output pixels (9) times an upstream gradient of 1")
x2 = Tensor(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)).requires_grad_()
conv2d(x2, w, None, stride=2, padding=1).sum().backward()
expect(x2.grad.data, np.ones((1, 1, 4, 4)), "stride 2, padding 1: every pixel is in exactly one 2x2 window")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(13)
_xv = _rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
_wv = _rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
_G = _rng.standard_normal((2, 4, 5, 6)).astype(np.float32)
_x, _w, _b = (Tensor(_a).requires_grad_() for _a in (_xv, _wv, np.zeros(4, np.float32)))
conv2d(_x, _w, _b, padding=1).backward(_G)
expect_close(_w.grad.data, np.einsum("nchwij,nfhw->fcij", sliding_window_view(np.pad(_xv, ((0, 0), (0, 0), (1, 1), (1, 1))),
                                                                           (3, 3), axis=(2, 3)), _G),
             "dweight for a random batch, padding 1", rtol=1e-4, atol=1e-4)
expect_close(_b.grad.data, _G.sum(axis=(0, 2, 3)), "dbias for a random batch", rtol=1e-4, atol=1e-4)
expect_close(_x.grad.data, np.einsum("nfhwij,fcij->nchw", sliding_window_view(np.pad(_G, ((0, 0), (0, 0), (1, 1), (1, 1))),
                                                                           (3, 3), axis=(2, 3)), _wv[:, :, ::-1, ::-1]),
             "dx for stride 1, padding 1: a full correlation with the flipped kernels", rtol=1e-4, atol=1e-4)
expect(str(_x.grad.dtype), "float32", "gradients keep float32")
_x64 = Tensor(_xv[:1, :2, :5, :5].astype(np.float64), dtype=np.float64)
_w64 = Tensor(_wv[:2, :2].astype(np.float64), dtype=np.float64)
_b64 = Tensor(np.array([0.5, -1.0]), dtype=np.float64)
expect(gradcheck(lambda _a, _k, _c: conv2d(_a, _k, _c, stride=2, padding=1), _x64, _w64, _b64), True,
       "gradcheck (finite differences) of conv2d with stride 2 and padding 1")
_data = Tensor(_xv)
_w2 = Tensor(_wv).requires_grad_()
_out = conv2d(_data, _w2)
_out.backward(np.ones(_out.shape, np.float32))
expect(_data.grad, None, "an input that does not require grad gets no gradient")
expect_close(_w2.grad.data, np.einsum("nchwij->cij", sliding_window_view(_xv, (3, 3), axis=(2, 3)))[None].repeat(4, 0),
             "dweight when x needs no gradient", rtol=1e-4, atol=1e-4)
### END HIDDEN TESTS
print("✅ Step 5: the convolution's gradients are right")

# %% [markdown]
# ## Step 6 · The `Conv2d` layer
#
# `Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, rng=None)` is a
# module-03 `Module` with
#
# - `weight`: a `Parameter` of shape `(out_channels, in_channels, k, k)`, **He-initialised**:
#   normal with mean 0 and standard deviation `√(2 / fan_in)`, where `fan_in = in_channels·k·k`
#   is the number of inputs of one output pixel (module 03's rule for ReLU networks). Draw it
#   with `rng.normal(0.0, std, size=...)` from `rng` (a fresh `np.random.default_rng()` when
#   `rng` is None) and store float32;
# - `bias`: a `Parameter` of `out_channels` zeros, or `None` when `bias=False`;
# - `kernel_size`, `stride`, `padding` stored as given (ints: square kernels);
# - `forward(x)`: the given `conv2d`.
#
# PyTorch stores the weight the same way, `(out, in, kH, kW)` (unlike `Linear`, whose TinyTorch
# weight is the transpose of torch's), so a `Conv2d` state dict copies straight into torch's.

# %% nbgrader={"grade": false, "grade_id": "conv2d-layer", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Conv2d(Module):
    """2-D convolution layer, like torch.nn.Conv2d (square kernels, zero padding)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, rng=None):
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        ### BEGIN SOLUTION
        rng = np.random.default_rng() if rng is None else rng
        std = np.sqrt(2.0 / (in_channels * kernel_size * kernel_size))
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.weight = Parameter(rng.normal(0.0, std, size=shape).astype(np.float32))
        self.bias = Parameter(np.zeros(out_channels, dtype=np.float32)) if bias else None
        ### END SOLUTION

    def forward(self, x):
        """(N, in_channels, H, W) -> (N, out_channels, OH, OW)."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        ### BEGIN SOLUTION
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)
        ### END SOLUTION

    def __repr__(self):
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None})")


# %% nbgrader={"grade": true, "grade_id": "test-conv2d-layer", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
layer = Conv2d(3, 16, 3, padding=1, rng=np.random.default_rng(0))
expect(layer.weight.shape, (16, 3, 3, 3), "weight shape (out, in, k, k)")
expect(layer.bias.data, np.zeros(16), "bias starts at zero")
expect(layer.num_parameters(), 448, "16 filters of 3x3x3 weights plus 16 biases")
expect(layer(Tensor(np.zeros((2, 3, 8, 8), np.float32))).shape, (2, 16, 8, 8), "padding 1 keeps 8x8")
big = Conv2d(64, 64, 3, rng=np.random.default_rng(1))
expect_close(float(big.weight.data.std()), 0.0589, "He init: std = sqrt(2 / (64*3*3))", rtol=0.03, atol=0.0)
### BEGIN HIDDEN TESTS
_layer = Conv2d(2, 3, 5, stride=2, padding=2, bias=False, rng=np.random.default_rng(2))
expect(_layer.bias, None, "bias=False gives no bias")
expect(len(_layer.parameters()), 1, "only the weight is a parameter without bias")
expect(str(_layer.weight.dtype), "float32", "weights are float32")
_xin = np.random.default_rng(3).standard_normal((1, 2, 9, 9)).astype(np.float32)
expect_close(_layer(_xin).data, conv2d(Tensor(_xin), _layer.weight, None, stride=2, padding=2).data,
             "the layer's forward is conv2d with its own weight, stride and padding", rtol=1e-5, atol=1e-6)
expect_close(float(np.abs(Conv2d(8, 4, 1, rng=np.random.default_rng(4)).weight.data).mean()),
             float(np.sqrt(2 / 8) * np.sqrt(2 / np.pi)), "mean |w| of a He-normal 1x1 conv with fan_in 8", rtol=0.25, atol=0.0)
### END HIDDEN TESTS
print("✅ Step 6: Conv2d works")

# %% [markdown]
# ## Step 7 · `MaxPool2d`
#
# Max pooling keeps the largest value of each `K × K` window (stride defaults to `K`: windows
# side by side). It halves the resolution with `K = 2` and makes the network tolerant to small
# shifts. Vectorise it with Step 2: treat every channel as its own one-channel image,
# `x.reshape(N·C, 1, H, W)`, then `im2col` gives a `(K·K, N·C·OH·OW)` matrix with one window per
# column, in the order of the output. Then
#
# - forward: `out = cols.max(axis=0)`, reshaped to `(N, C, OH, OW)`. Save `cols` and `out` for
#   the backward pass;
# - backward: only the winner of each window influenced the output, so the gradient goes to it
#   and nowhere else. Build a boolean `(K·K, M)` matrix `winner` that is True at the **first**
#   maximum of each column, multiply it by the output gradient (`winner * grad.reshape(1, -1)`,
#   which broadcasts over the rows) and `col2im` the result back (overlapping windows,
#   `stride < K`, add up as before), then reshape to `(N, C, H, W)`.
#
# When a window holds its maximum twice, the gradient goes to the first one in reading order, not
# half to each (that is what PyTorch does). To find the first maximum, walk down the `K·K` rows
# once, vectorised over all windows, and remember which windows already have their winner:
#
# ```python
# taken = np.zeros(M, dtype=bool)
# for r in range(K * K):
#     winner[r] = (cols[r] == out) & ~taken
#     taken |= winner[r]
# ```
#
# (`cols.argmax(axis=0)` finds the same indices, but NumPy's argmax along the first axis is a slow,
# strided loop: about 50 times slower than these K² whole-row operations on a real batch.)

# %% nbgrader={"grade": false, "grade_id": "maxpool", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class MaxPool2dFunction(Function):
    """Max over each K x K window (no padding); the gradient goes to the first maximum."""

    def forward(ctx, x, kernel_size, stride):
        n, c, h, w = x.shape
        oh, ow = conv2d_output_shape(h, w, kernel_size, stride)
        ### BEGIN SOLUTION
        cols = im2col(x.reshape(n * c, 1, h, w), kernel_size, stride)
        out = cols.max(axis=0)
        ctx.save_for_backward(cols, out)
        ctx.x_shape, ctx.kernel_size, ctx.stride = x.shape, kernel_size, stride
        return out.reshape(n, c, oh, ow)
        ### END SOLUTION

    def backward(ctx, grad):
        cols, out = ctx.saved
        n, c, h, w = ctx.x_shape
        ### BEGIN SOLUTION
        winner = np.zeros(cols.shape, dtype=bool)
        taken = np.zeros(out.shape, dtype=bool)
        for r in range(cols.shape[0]):
            winner[r] = (cols[r] == out) & ~taken
            taken |= winner[r]
        dcols = winner * grad.reshape(1, -1)
        return (col2im(dcols, (n * c, 1, h, w), ctx.kernel_size, ctx.stride).reshape(n, c, h, w),)
        ### END SOLUTION


class MaxPool2d(Module):
    """Given: the layer, like torch.nn.MaxPool2d(kernel_size, stride=None) without padding."""

    def __init__(self, kernel_size, stride=None):
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride

    def forward(self, x):
        x = x if isinstance(x, Tensor) else Tensor(x)
        return MaxPool2dFunction.apply(x, kernel_size=self.kernel_size, stride=self.stride)

    def __repr__(self):
        return f"MaxPool2d(kernel_size={self.kernel_size}, stride={self.stride})"


# %% nbgrader={"grade": true, "grade_id": "test-maxpool", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
x = Tensor(np.array([[1, 3, 2, 0], [4, 2, 1, 1], [0, 0, 5, 5], [1, 0, 5, 2]], np.float32).reshape(1, 1, 4, 4))
x.requires_grad_()
y = MaxPool2d(2)(x)
expect(y.data, [[[[4, 2], [1, 5]]]], "the maximum of each 2x2 block")
y.sum().backward()
expect(x.grad.data, [[[[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]]]],
       "the gradient goes to the maximum of each window; with three 5s, only the first one gets it")
z = Tensor(np.array([[0, 1, 0], [1, 9, 1], [0, 1, 0]], np.float32).reshape(1, 1, 3, 3)).requires_grad_()
MaxPool2d(2, stride=1)(z).sum().backward()
expect(z.grad.data, [[[[0, 0, 0], [0, 4, 0], [0, 0, 0]]]], "overlapping windows (stride 1): the 9 wins all 4 windows")
### BEGIN HIDDEN TESTS
_xv = np.random.default_rng(14).standard_normal((2, 3, 7, 6)).astype(np.float32)
_x = Tensor(_xv).requires_grad_()
_y = MaxPool2d(3, stride=2)(_x)
expect(_y.shape, (2, 3, 3, 2), "kernel 3, stride 2 on 7x6")
expect(_y.data, sliding_window_view(_xv, (3, 3), axis=(2, 3))[:, :, ::2, ::2].max(axis=(-2, -1)),
       "max over 3x3 windows of a random batch, stride 2")
_G = np.random.default_rng(15).standard_normal(_y.shape).astype(np.float32)
_y.backward(_G)
expect_close(float(_x.grad.data.sum()), float(_G.sum()), "every window passes its whole gradient to one pixel",
             rtol=1e-5, atol=1e-5)
expect(int((_x.grad.data != 0).sum()), 31, "one pixel per window receives gradient (a pixel may win two windows)")
_x64 = Tensor(_xv[:1, :2].astype(np.float64), dtype=np.float64)
expect(gradcheck(lambda _a: MaxPool2dFunction.apply(_a, kernel_size=2, stride=2), _x64), True,
       "gradcheck of max pooling")
expect(MaxPool2d(2)(Tensor(np.arange(8.0).reshape(1, 2, 2, 2))).data, [[[[3.0]], [[7.0]]]],
       "channels are pooled separately")
### END HIDDEN TESTS
print("✅ Step 7: MaxPool2d works")

# %% [markdown]
# ## Step 8 · `AvgPool2d` and `Flatten`
#
# Average pooling is the same column trick with `mean` instead of `max`. Every pixel of a window
# contributed `1/(K·K)` of the output, so the backward gives each pixel of the window
# `grad / (K·K)`: broadcast the output gradient to a `(K·K, M)` matrix, divide, and `col2im`.
#
# `Flatten` turns `(N, C, H, W)` feature maps into `(N, C·H·W)` rows for a `Linear` layer. Write
# it with the differentiable `Tensor.reshape` (module 05 already knows its backward), keeping
# the batch dimension: `x.reshape(x.shape[0], -1)`.

# %% nbgrader={"grade": false, "grade_id": "avgpool-flatten", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class AvgPool2dFunction(Function):
    """Mean over each K x K window (no padding)."""

    def forward(ctx, x, kernel_size, stride):
        n, c, h, w = x.shape
        oh, ow = conv2d_output_shape(h, w, kernel_size, stride)
        ctx.x_shape, ctx.kernel_size, ctx.stride = x.shape, kernel_size, stride
        ### BEGIN SOLUTION
        cols = im2col(x.reshape(n * c, 1, h, w), kernel_size, stride)
        return cols.mean(axis=0).reshape(n, c, oh, ow)
        ### END SOLUTION

    def backward(ctx, grad):
        n, c, h, w = ctx.x_shape
        kh, kw = _pair(ctx.kernel_size)
        ### BEGIN SOLUTION
        dcols = np.broadcast_to(grad.reshape(1, -1) / (kh * kw), (kh * kw, grad.size))
        return (col2im(dcols, (n * c, 1, h, w), ctx.kernel_size, ctx.stride).reshape(n, c, h, w),)
        ### END SOLUTION


class AvgPool2d(Module):
    """Given: the layer, like torch.nn.AvgPool2d(kernel_size, stride=None) without padding."""

    def __init__(self, kernel_size, stride=None):
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride

    def forward(self, x):
        x = x if isinstance(x, Tensor) else Tensor(x)
        return AvgPool2dFunction.apply(x, kernel_size=self.kernel_size, stride=self.stride)

    def __repr__(self):
        return f"AvgPool2d(kernel_size={self.kernel_size}, stride={self.stride})"


class Flatten(Module):
    """(N, ...) -> (N, everything else), like torch.nn.Flatten()."""

    def forward(self, x):
        x = x if isinstance(x, Tensor) else Tensor(x)
        ### BEGIN SOLUTION
        return x.reshape(x.shape[0], -1)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-avgpool-flatten", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
x = Tensor(np.array([[1, 3, 2, 0], [4, 2, 1, 1], [0, 0, 5, 5], [1, 0, 5, 2]], np.float32).reshape(1, 1, 4, 4))
x.requires_grad_()
y = AvgPool2d(2)(x)
expect(y.data, [[[[2.5, 1.0], [0.25, 4.25]]]], "the mean of each 2x2 block")
y.sum().backward()
expect(x.grad.data, np.full((1, 1, 4, 4), 0.25), "each pixel gets 1/4 of its window's gradient")
f = Flatten()(Tensor(np.arange(24.0).reshape(2, 3, 2, 2)))
expect(f.shape, (2, 12), "Flatten keeps the batch dimension and joins the rest")
expect(f.data[1, :4], [12.0, 13.0, 14.0, 15.0], "row 1 starts with image 1's first channel")
### BEGIN HIDDEN TESTS
_xv = np.random.default_rng(16).standard_normal((2, 2, 5, 5)).astype(np.float32)
_x = Tensor(_xv).requires_grad_()
_y = AvgPool2d(3, stride=1)(_x)
expect_close(_y.data, sliding_window_view(_xv, (3, 3), axis=(2, 3)).mean(axis=(-2, -1)),
             "mean over overlapping 3x3 windows", rtol=1e-5, atol=1e-6)
_y.sum().backward()
expect_close(_x.grad.data[0, 0], np.array([[1, 2, 3, 2, 1], [2, 4, 6, 4, 2], [3, 6, 9, 6, 3], [2, 4, 6, 4, 2],
                                          [1, 2, 3, 2, 1]]) / 9, "overlapping windows add their shares",
             rtol=1e-5, atol=1e-6)
_x64 = Tensor(_xv[:1].astype(np.float64), dtype=np.float64)
expect(gradcheck(lambda _a: AvgPool2dFunction.apply(_a, kernel_size=2, stride=2), _x64), True, "gradcheck of average pooling")
_fx = Tensor(_xv).requires_grad_()
_fy = Flatten()(_fx)
expect(_fy.shape, (2, 50), "Flatten of (2, 2, 5, 5)")
(_fy * Tensor(np.arange(100, dtype=np.float32).reshape(2, 50))).sum().backward()
expect(_fx.grad.data, np.arange(100, dtype=np.float32).reshape(2, 2, 5, 5), "Flatten's gradient is reshaped back")
### END HIDDEN TESTS
print("✅ Step 8: AvgPool2d and Flatten work")

# %% [markdown]
# ## Step 9 · `BatchNorm2d`
#
# Deep CNNs train faster when every channel's activations are kept near mean 0 and variance 1.
# Batch normalisation does it per channel `c`, over the batch and all pixels (axes 0, 2, 3):
#
# ```
# mean_c = x[:, c].mean()          var_c = ((x[:, c] − mean_c)²).mean()          (biased: divide by n = N·H·W)
# y[:, c] = (x[:, c] − mean_c) / √(var_c + eps) · weight[c] + bias[c]
# ```
#
# `weight` (ones) and `bias` (zeros) are Parameters, so the network can undo the normalisation
# where that helps. Write the training-mode forward with **Tensor operations** (`mean(axis=(0, 2, 3),
# keepdims=True)`, `-`, `**`, `/`, `*`, `+`, `reshape(1, C, 1, 1)`): module 05 then differentiates it
# for you, including the subtle fact that `mean_c` and `var_c` depend on every input.
#
# At test time a prediction must not depend on the other images of the batch (or there may be
# just one image), so the layer keeps **running estimates**, updated at every training step with
# `momentum = 0.1`, outside the graph (plain ndarrays):
#
# ```
# running_mean = (1 − momentum) · running_mean + momentum · mean_c
# running_var  = (1 − momentum) · running_var  + momentum · var_c · n / (n − 1)     (unbiased, as torch)
# ```
#
# starting from zeros and ones. In eval mode (`self.training` is False, set by `model.eval()`)
# use `running_mean` and `running_var` instead of the batch statistics, as constant Tensors.
# Store the running estimates as float32 arrays.

# %% nbgrader={"grade": false, "grade_id": "batchnorm", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class BatchNorm2d(Module):
    """Batch normalisation over (N, H, W) per channel, like torch.nn.BatchNorm2d (affine, running stats)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(np.ones(num_features, dtype=np.float32))
        self.bias = Parameter(np.zeros(num_features, dtype=np.float32))
        self.running_mean = np.zeros(num_features, dtype=np.float32)
        self.running_var = np.ones(num_features, dtype=np.float32)

    def forward(self, x):
        """(N, C, H, W) -> (N, C, H, W), normalised per channel."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        c = self.num_features
        ### BEGIN SOLUTION
        if self.training:
            mean = x.mean(axis=(0, 2, 3), keepdims=True)
            centred = x - mean
            var = (centred ** 2).mean(axis=(0, 2, 3), keepdims=True)
            n = x.size // c
            m = self.momentum
            self.running_mean = ((1 - m) * self.running_mean + m * mean.data.reshape(c)).astype(np.float32)
            unbiased = var.data.reshape(c) * n / max(n - 1, 1)
            self.running_var = ((1 - m) * self.running_var + m * unbiased).astype(np.float32)
        else:
            centred = x - Tensor(self.running_mean.reshape(1, c, 1, 1))
            var = Tensor(self.running_var.reshape(1, c, 1, 1))
        x_hat = centred / (var + self.eps) ** 0.5
        return x_hat * self.weight.reshape(1, c, 1, 1) + self.bias.reshape(1, c, 1, 1)
        ### END SOLUTION

    def __repr__(self):
        return f"BatchNorm2d({self.num_features}, eps={self.eps}, momentum={self.momentum})"


# %% nbgrader={"grade": true, "grade_id": "test-batchnorm", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
bn = BatchNorm2d(2)
x = Tensor(np.array([[[[1, 2]], [[10, 10]]], [[[3, 4]], [[10, 10]]]], np.float32))   # (2, 2, 1, 2)
y = bn(x)
expect_close(y.data, [[[[-1.341635, -0.447212]], [[0, 0]]], [[[0.447212, 1.341635]], [[0, 0]]]],
             "training mode: channel 0 (1, 2, 3, 4) normalised by its batch mean 2.5 and variance 1.25; "
             "channel 1 is constant", rtol=1e-4, atol=1e-5)
expect_close(bn.running_mean, [0.25, 1.0], "running_mean after one step: 0.9 * 0 + 0.1 * batch mean",
             rtol=1e-5, atol=1e-6)
expect_close(bn.running_var, [1.0666667, 0.9], "running_var after one step uses the unbiased variance (1.25 * 4/3)",
             rtol=1e-5, atol=1e-6)
bn.eval()
expect_close(bn(x).data, [[[[0.726181, 1.694422]], [[9.48678, 9.48678]]], [[[2.662664, 3.630905]], [[9.48678, 9.48678]]]],
             "eval mode normalises with the running estimates, not the batch", rtol=1e-4, atol=1e-5)
expect_close(bn.running_mean, [0.25, 1.0], "eval mode leaves the running estimates alone", rtol=1e-5, atol=1e-6)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(17)
_xv = (_rng.standard_normal((4, 3, 5, 5)) * 3 + 2).astype(np.float32)
_bn = BatchNorm2d(3, momentum=0.2)
_bn.weight.data[...] = [1.0, 2.0, -1.0]
_bn.bias.data[...] = [0.0, 0.5, 1.0]
_x = Tensor(_xv).requires_grad_()
_y = _bn(_x)
expect_close(_y.data, (_xv - _xv.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(_xv.var(axis=(0, 2, 3), keepdims=True) + 1e-5)
             * np.array([1, 2, -1]).reshape(1, 3, 1, 1) + np.array([0, 0.5, 1]).reshape(1, 3, 1, 1),
             "training output with weight and bias", rtol=1e-4, atol=1e-4)
_G = _rng.standard_normal(_y.shape).astype(np.float32)
_y.backward(_G)
expect_close(_bn.bias.grad.data, _G.sum(axis=(0, 2, 3)), "dbias", rtol=1e-4, atol=1e-4)
expect_close(_bn.weight.grad.data, (_G * (_xv - _xv.mean(axis=(0, 2, 3), keepdims=True))
                                    / np.sqrt(_xv.var(axis=(0, 2, 3), keepdims=True) + 1e-5)).sum(axis=(0, 2, 3)),
             "dweight", rtol=1e-4, atol=1e-3)
expect_close(float(np.abs(_x.grad.data.sum(axis=(0, 2, 3))).max()), 0.0,
             "dx sums to zero per channel (the batch mean is subtracted)", rtol=0.0, atol=1e-3)
_bn(Tensor(_xv * 2))
expect_close(_bn.running_mean, (0.8 * 0.2 + 0.2 * 2) * _xv.mean(axis=(0, 2, 3)), "running_mean after two steps, momentum 0.2",
             rtol=1e-4, atol=1e-5)
expect_close(_bn.running_var, 0.64 + (0.8 * 0.2 + 0.2 * 4) * _xv.var(axis=(0, 2, 3)) * 100 / 99,
             "running_var after two steps (unbiased)", rtol=1e-4, atol=1e-4)
expect(str(_bn.running_var.dtype), "float32", "running estimates are float32")
_bn64 = BatchNorm2d(2)
_x64 = Tensor(_xv[:2, :2, :3, :3].astype(np.float64), dtype=np.float64)
expect(gradcheck(lambda _a: _bn64(_a), _x64), True, "gradcheck of batch norm in training mode")
### END HIDDEN TESTS
print("✅ Step 9: BatchNorm2d works in training and eval mode")

# %% [markdown]
# ## Step 10 · What a convolution costs
#
# Three numbers describe a convolution layer with input `(N, C, H, W)`, `F` filters of `K × K`:
#
# - **FLOPs** of the forward pass: every output number `(N·F·OH·OW)` is a dot product of length
#   `C·K·K`: one multiply and one add each, so `2·N·F·OH·OW·C·K·K` (bias not counted). The
#   backward pass costs about twice that (two matmuls of the same size).
# - **Parameters**: `F·C·K·K` weights plus `F` biases (when `bias=True`). Independent of the
#   image size: that is the point of weight sharing.
# - **im2col bytes**: the column matrix `(C·K·K, N·OH·OW)` in `itemsize` bytes per number. With
#   stride 1 and "same" padding it is `K²` times the input: nine copies of every pixel for a
#   3 × 3 kernel.
#
# Implement the three functions.

# %% nbgrader={"grade": false, "grade_id": "conv-cost", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def conv2d_flops(n, in_channels, out_channels, h, w, kernel_size, stride=1, padding=0):
    """Forward FLOPs (multiply + add = 2) of a convolution of an (n, in_channels, h, w) input, no bias."""
    oh, ow = conv2d_output_shape(h, w, kernel_size, stride, padding)
    ### BEGIN SOLUTION
    kh, kw = _pair(kernel_size)
    return 2 * n * out_channels * oh * ow * in_channels * kh * kw
    ### END SOLUTION


def conv2d_params(in_channels, out_channels, kernel_size, bias=True):
    """Number of learnable numbers of a Conv2d layer."""
    ### BEGIN SOLUTION
    kh, kw = _pair(kernel_size)
    return out_channels * in_channels * kh * kw + (out_channels if bias else 0)
    ### END SOLUTION


def im2col_bytes(n, in_channels, h, w, kernel_size, stride=1, padding=0, itemsize=4):
    """Bytes of the im2col matrix for an (n, in_channels, h, w) input."""
    oh, ow = conv2d_output_shape(h, w, kernel_size, stride, padding)
    ### BEGIN SOLUTION
    kh, kw = _pair(kernel_size)
    return in_channels * kh * kw * n * oh * ow * itemsize
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-conv-cost", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
expect(conv2d_flops(32, 3, 16, 32, 32, 3, padding=1), 28311552, "2 * 32 images * 16 filters * 32*32 outputs * 27")
expect(conv2d_params(3, 16, 3), 448, "16 * 3*3*3 weights + 16 biases")
expect(conv2d_params(3, 16, 3, bias=False), 432, "without bias")
expect(im2col_bytes(32, 3, 32, 32, 3, padding=1), 3538944, "27 rows x 32*32*32 columns x 4 bytes")
### BEGIN HIDDEN TESTS
expect(conv2d_flops(64, 3, 64, 224, 224, 7, stride=2, padding=3), 2 * 64 * 64 * 112 * 112 * 3 * 49,
       "ResNet's first layer for a batch of 64")
expect(im2col_bytes(64, 3, 224, 224, 7, stride=2, padding=3, itemsize=2), 3 * 49 * 64 * 112 * 112 * 2,
       "its im2col buffer in float16")
expect(conv2d_params(64, 128, 1), 64 * 128 + 128, "a 1x1 convolution")
expect(conv2d_flops(1, 1, 1, 5, 5, 5), 50, "one 5x5 window: 25 multiply-adds")
### END HIDDEN TESTS
print("✅ Step 10: the cost model is right")

# %% [markdown]
# ## Systems analysis
#
# ### 1. Seven loops against one matmul
#
# Below is the convolution as its definition says, one multiply-add at a time. It is here only
# to be timed: never use it. We time it and your `conv2d` on the same inputs (2 images, 3 → 8
# channels, 3 × 3 kernel, "same" padding) for growing image sizes, check that both agree, and
# plot the times.

# %% nbgrader={"grade": false, "grade_id": "analysis-loops", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
from tinytorch_runtime.timing import gflops, measure


def conv2d_loops(x, weight, bias, stride=1, padding=0):
    """The definition, as seven nested loops (the first TinyTorch's way). For timing only."""
    n_images, channels, h, w = x.shape
    filters, _, kh, kw = weight.shape
    oh, ow = conv2d_output_shape(h, w, (kh, kw), stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((n_images, filters, oh, ow), dtype=x.dtype)
    for n in range(n_images):
        for f in range(filters):
            for i in range(oh):
                for j in range(ow):
                    total = bias[f]
                    for c in range(channels):
                        for di in range(kh):
                            for dj in range(kw):
                                total += xp[n, c, i * stride + di, j * stride + dj] * weight[f, c, di, dj]
                    out[n, f, i, j] = total
    return out


rng = np.random.default_rng(0)
sizes, loop_times, vec_times = [4, 8, 16, 32], [], []
w_demo = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
b_demo = rng.standard_normal(8).astype(np.float32)
for size in sizes:
    x_demo = rng.standard_normal((2, 3, size, size)).astype(np.float32)
    slow = conv2d_loops(x_demo, w_demo, b_demo, padding=1)
    fast = conv2d(Tensor(x_demo), Tensor(w_demo), Tensor(b_demo), padding=1).data
    np.testing.assert_allclose(fast, slow, rtol=1e-4, atol=1e-4)
    # measure(): median and IQR of several runs, BLAS on one thread (the check above was the loops' warm-up)
    loop_times.append(measure(conv2d_loops, x_demo, w_demo, b_demo, padding=1, repeats=3, warmup=0))
    vec_times.append(measure(lambda: conv2d(Tensor(x_demo), Tensor(w_demo), Tensor(b_demo), padding=1)))
    print(f"{size:2d}x{size:<2d}: loops {loop_times[-1]}   im2col {vec_times[-1]}   "
          f"speed-up {loop_times[-1].median / vec_times[-1].median:5.0f}x")
macs_32 = 2 * 8 * 32 * 32 * 3 * 9
print(f"loops: {loop_times[-1].median / macs_32 * 1e9:.0f} ns per multiply-add at 32x32")


def median_and_iqr_ms(timings):
    """Medians and the (below, above) IQR error bars of a list of Timings, in ms."""
    medians = np.array([t.median for t in timings]) * 1e3
    return medians, [medians - np.array([t.q1 for t in timings]) * 1e3, np.array([t.q3 for t in timings]) * 1e3 - medians]


fig, (ax_t, ax_s) = plt.subplots(1, 2, figsize=(11, 3.8))
ax_t.errorbar(sizes, *median_and_iqr_ms(loop_times), marker="o", capsize=3, label="seven loops")
ax_t.errorbar(sizes, *median_and_iqr_ms(vec_times), marker="o", capsize=3, label="im2col + matmul")
ax_t.set(xlabel="image side (pixels)", ylabel="forward time (ms, median and IQR)", yscale="log",
         title="conv2d forward, 2 images, 3 -> 8 channels, 3x3")
ax_t.legend()
ax_s.bar([str(s) for s in sizes], [slow_t.median / fast_t.median for slow_t, fast_t in zip(loop_times, vec_times)])
ax_s.set(xlabel="image side (pixels)", ylabel="speed-up (x)", title="im2col speed-up over the loops")
fig.tight_layout()
plt.show()

# %% [markdown]
# Both grow with the number of multiply-adds (proportional to the number of pixels), but the loops
# pay Python's interpreter for every one of them, while the matmul runs them in compiled,
# vectorised BLAS code. Six runs of this cell on a shared 2-core machine (load 5–9) measured
# 0.7–1.3 µs per multiply-add in the loops, and speed-ups of 21–49× at 4 × 4, 350–950× at
# 16 × 16 and 1,100–2,000× at 32 × 32: at small sizes the matmul's fixed costs (im2col, Tensor
# bookkeeping) dominate its time, so the ratio grows with the size. A real batch
# (`128 × 3 × 32 × 32`, 32 filters 5 × 5, no padding) is 240 million multiply-adds: 3–5 minutes
# for the loops at that rate. Your numbers will differ; compare them with the IQR next to them.
#
# ### 2. Where the time goes in one training step, and what a layer costs
#
# The cost functions of Step 10 for the layers of the milestone's CNN (Fashion-MNIST; a batch of 64
# here, to keep the notebook fast), next to the measured forward + backward time of each
# convolution (median and IQR of 5 runs, BLAS on one thread).

# %% nbgrader={"grade": false, "grade_id": "analysis-cost", "locked": true, "schema_version": 3, "solution": false, "task": false}
layers_demo = [("conv1 1->32, 28x28", 1, 32, 28), ("conv2 32->64, 14x14", 32, 64, 14)]
batch = 64
names, rates, buffers, inputs, step_times = [], [], [], [], []
for name, cin, cout, side in layers_demo:
    conv = Conv2d(cin, cout, 3, padding=1, rng=rng)
    x_in = Tensor(rng.standard_normal((batch, cin, side, side)).astype(np.float32)).requires_grad_()

    def step():
        out = conv(x_in)
        out.backward(np.ones(out.shape, np.float32))

    step_time = measure(step, repeats=5, warmup=1)
    flops = 3 * conv2d_flops(batch, cin, cout, side, side, 3, padding=1)   # forward + two backward matmuls
    names.append(name)
    rates.append(gflops(flops, step_time))                                # warns if the rate is impossible here
    buffers.append(im2col_bytes(batch, cin, side, side, 3, padding=1) / 2**20)
    inputs.append(batch * cin * side * side * 4 / 2**20)
    step_times.append(step_time)
    print(f"{name}: {conv2d_params(cin, cout, 3):6d} parameters, forward {conv2d_flops(batch, cin, cout, side, side, 3, padding=1) / 1e6:6.0f} MFLOP, "
          f"input {inputs[-1]:5.1f} MiB, im2col {buffers[-1]:5.1f} MiB, fwd+bwd {step_time} "
          f"= {rates[-1]:5.1f} GFLOP/s")

fig, ax = plt.subplots(figsize=(7, 3.5))
positions = np.arange(len(names))
ax.bar(positions - 0.2, inputs, width=0.4, label="input")
ax.bar(positions + 0.2, buffers, width=0.4, label="im2col buffer")
ax.set_xticks(positions, names)
ax.set(ylabel="MiB (float32)", title=f"im2col memory, batch {batch}, 3x3 kernels")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The im2col buffer is nine times the input (a 3 × 3 kernel copies each pixel nine times), and it
# is kept until the backward pass for the weight gradient. That memory is the price of turning a
# convolution into one matmul. In the six runs above, conv2 reached 17–35 GFLOP/s and conv1 only
# 3–9: conv1 has one input channel, so its matmul is thin (9 rows of im2col) and the copying
# dominates. That gap to your machine's matmul peak is the copying (im2col, col2im, transposes),
# which does no arithmetic at all. Production libraries avoid materialising the buffer (implicit GEMM, direct
# convolution kernels, Winograd for 3 × 3), but all of them organise the work as tiles of this
# same matmul. `benchmarks/conv2d.py` compares this implementation with PyTorch: within about 2–2.5×.

# %% [markdown]
# ## Integration test: a small CNN learns
#
# `Conv2d → BatchNorm2d → ReLU → MaxPool2d → Conv2d → ReLU → AvgPool2d → Flatten → Linear`
# trained with plain gradient descent on a toy task: tell images with a bright vertical bar
# from images with a bright horizontal bar, wherever the bar is.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
from tinytorch.activations import ReLU
from tinytorch.layers import Linear, Sequential


def bars(n, seed):
    """n 8x8 images with a vertical (label 0) or horizontal (label 1) bar, one-hot targets."""
    gen = np.random.default_rng(seed)
    images = gen.normal(0, 0.3, size=(n, 1, 8, 8)).astype(np.float32)
    labels = gen.integers(0, 2, size=n)
    for k, (label, pos) in enumerate(zip(labels, gen.integers(0, 8, size=n))):
        if label == 0:
            images[k, 0, :, pos] += 2.0
        else:
            images[k, 0, pos, :] += 2.0
    return images, labels, np.eye(2, dtype=np.float32)[labels]


cnn = Sequential(Conv2d(1, 4, 3, padding=1, rng=np.random.default_rng(0)), BatchNorm2d(4), ReLU(), MaxPool2d(2),
                 Conv2d(4, 8, 3, padding=1, rng=np.random.default_rng(1)), ReLU(), AvgPool2d(4), Flatten(),
                 Linear(8, 2, rng=np.random.default_rng(2)))
train_x, train_y, train_t = bars(64, seed=3)
losses = []
for step in range(30):
    loss = ((cnn(Tensor(train_x)) - Tensor(train_t)) ** 2).mean()
    cnn.zero_grad()
    loss.backward()
    for p in cnn.parameters():
        p.data -= 0.2 * p.grad.data
    losses.append(float(loss.data))
cnn.eval()
test_x, test_y, _ = bars(200, seed=4)
accuracy = float((cnn(Tensor(test_x)).data.argmax(axis=1) == test_y).mean())
expect(cnn(Tensor(test_x)).shape, (200, 2), "the CNN maps 200 images to 200 x 2 scores")
expect(len(cnn.parameters()), 8, "two convolutions, batch norm and linear: 8 parameter tensors")
expect_close(losses[0], 0.98344, "the first loss (fixed seeds)", rtol=0.01, atol=0.0)
expect_close(losses[-1], 0.0506, "the loss after 30 gradient steps", rtol=0.2, atol=0.0)
### BEGIN HIDDEN TESTS
expect_close(accuracy, 0.935, "test accuracy on 200 new bar images", rtol=0.0, atol=0.04)
expect_close(losses[10], 0.1404, "the loss after 10 steps", rtol=0.1, atol=0.0)
expect_close(cnn[1].running_var, [0.3349, 1.553, 0.5308, 0.3576], "the batch norm's running variance after training", rtol=0.1, atol=0.01)
expect(cnn[0].weight.grad.shape, (4, 1, 3, 3), "the first convolution received a gradient")
### END HIDDEN TESTS
print(f"✅ Integration: the CNN learned (loss {losses[0]:.3f} -> {losses[-1]:.3f}, test accuracy {accuracy:.0%})")

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences. Use numbers from your own runs
# where they help. These are graded by hand.
#
# **Q1 (6 points): the price of im2col.** ResNet-50's first layer convolves a batch of 64 RGB
# images of 224 × 224 with 64 filters of 7 × 7, stride 2, padding 3. (a) Use your cost functions:
# how many bytes does its im2col buffer take in float32, and how many times the input is that?
# Why is the factor about `K² / stride²`? (b) Why is the im2col + matmul version still far faster
# than the loops, even though it copies the input many times? (c) Name one way production
# libraries avoid building the whole buffer.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-im2col", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) OH = OW = 112; the buffer is 3·49 rows × 64·112·112 columns
# × 4 bytes = 147 × 802,816 × 4 ≈ 472 MB (about 450 MiB), against an input of 64·3·224·224·4 ≈
# 38.5 MB: about 12.25×. Each output position copies a K×K window (49 numbers per channel) and
# there are (224/2)² output positions instead of 224² pixels, so each pixel is copied about K²/s²
# = 49/4 ≈ 12 times. (b) The copies are cheap, linear passes over memory done in compiled code;
# the arithmetic (2·64·64·112²·147 ≈ 15 GFLOP) then runs in one BLAS matmul that uses SIMD, cache
# blocking and all cores, at tens of GFLOP/s, while the loops pay about a microsecond of
# interpreter overhead per multiply-add (0.7–1.3 µs in the reference runs: hours for this layer). (c) Any of: implicit GEMM (load the windows tile by
# tile into cache while multiplying, never materialising the matrix), direct convolution kernels
# (oneDNN), Winograd or FFT convolution, processing the batch in chunks so the buffer is smaller.
# Grading: (a) 3 points (≈ 472 MB / ≈ 450 MiB, ≈ 12×, reason K²/s²); (b) 2 points (copy is O(bytes)
# and cheap vs. interpreted per-element loop, matmul is BLAS-optimised); (c) 1 point.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q2", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (6 points): the backward pass.** (a) Explain in your own words why the input gradient is
# `col2im(W₂ᵀ @ G)` and why col2im must *add* instead of assign. What does an `=` instead of `+=`
# do to a 3 × 3 convolution with stride 1, and which test would show it? (b) Why does the first
# convolution of a network not need `dx`, and roughly what fraction of its backward time does
# `ctx.needs_input_grad` save? (c) The gradient of a convolution with respect to its input is
# itself a convolution. With which kernel (for stride 1)?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-backward", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) The forward is Out = W₂ @ cols, so by the matmul rule
# ∂L/∂cols = W₂ᵀ @ G. Every entry of cols is a copy of one input pixel; a pixel used in several
# windows influences the loss through each copy, so its gradient is the sum over the copies
# (multivariate chain rule): col2im scatters each column back and adds. With `=`, each pixel keeps
# only the gradient of the last window written to it: for a 3×3 kernel with stride 1 an interior
# pixel would get 1 of its 9 contributions, the gradient would be wrong (too small) and training
# would be badly off; the col2im count test (1-2-1 / 2-4-2 pattern) and the conv dx test fail.
# (b) The first layer's input is data with requires_grad False, so no one uses dx; computing it
# costs one matmul of the same size as the weight-gradient matmul plus the col2im, roughly half of
# the layer's backward (a third of forward + backward). (c) A "full" convolution of the padded
# output gradient with the kernels rotated by 180° and input/output channels swapped (the
# transposed convolution, torch's conv_transpose2d).
# Grading: (a) 3 points (matmul rule 1, sum over copies 1, consequence + test 1); (b) 2 points;
# (c) 1 point.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q3", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (6 points): batch normalisation in practice.** (a) A student trains a CNN with
# `BatchNorm2d` and reports 92 % test accuracy, but a web demo that classifies one uploaded image
# at a time gives nonsense. What did they forget, and why does it matter most for a batch of one?
# (b) Why does the running variance use the unbiased estimate `n/(n−1)` while the normalisation
# during training uses the biased one? Does it matter for a batch of 128 images of 28 × 28? (c)
# Why do CNNs usually create the convolution before a `BatchNorm2d` with `bias=False`?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-batchnorm", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) `model.eval()`: in training mode BatchNorm normalises with the
# statistics of the current batch. With one image the statistics are those of a single image
# (per channel over its pixels), so every image is normalised by itself: the absolute level of
# its features is removed and predictions are arbitrary (with 1×1 feature maps and N=1 the output
# would be just the bias). Eval mode uses the running estimates from training, so a prediction
# depends only on its own image. It also stops the running statistics from being updated with
# test data. (b) Training normalises the batch with its own (maximum-likelihood, biased) variance,
# which is what the gradient is derived for; the running estimate is meant to estimate the
# population variance, and the biased estimate underestimates it by the factor (n−1)/n. PyTorch
# follows this convention, and matching it lets weights move between frameworks. For n =
# 128·28·28 ≈ 100,000 values per channel the factor is 1.00001: irrelevant; it matters for tiny
# feature maps and batches (e.g. 2×1×1 → factor 2). (c) BatchNorm subtracts the per-channel mean,
# which removes any constant per-channel bias exactly; its own `bias` (β) plays that role, so the
# conv bias would be a wasted parameter (and a wasted addition).
# Grading: (a) 2 points (eval mode + batch-statistics reason); (b) 2 points (population estimate /
# convention + magnitude for n ≈ 10⁵); (c) 2 points.
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/spatial.py` in your store and checks that it imports, so that the milestone and later
# modules can `from tinytorch.spatial import Conv2d, MaxPool2d, BatchNorm2d, Flatten`.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("09_spatial");
