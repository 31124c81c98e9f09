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
# # Module 08 · DataLoader
#
# A model learns from data, and so far you have fed it hand-made arrays. Real training reads
# tens of thousands of examples from files, cuts them into **mini-batches**, shuffles them every
# epoch, converts pixels to normalised floats, and does all of that fast enough that the model,
# not the input pipeline, sets the pace. In this module you build that pipeline:
#
# ```python
# from tinytorch.dataloader import load_mnist, TensorDataset, DataLoader, normalize, flatten, compose
#
# images, labels = load_mnist("train")                       # uint8 (60000, 28, 28), uint8 (60000,)
# loader = DataLoader(TensorDataset(images, labels), batch_size=128, shuffle=True, seed=0,
#                     transform=compose(normalize(0.1307, 0.3081), flatten))
# for x, y in loader:                                        # x: float32 (128, 784), y: uint8 (128,)
#     ...
# ```
#
# By the end you can read the two file formats that most of deep learning's classic benchmarks
# ship in (MNIST's idx and CIFAR-10's Python pickles), prove that a file is the one you think it
# is, and measure what batching and shuffling cost.

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# PyTorch splits the input pipeline into two small ideas, in `torch.utils.data`:
#
# | piece | what it is | PyTorch |
# |---|---|---|
# | **Dataset** | anything with `len(ds)` and `ds[i]` → one example, e.g. `(image, label)` | `torch.utils.data.Dataset`, `TensorDataset` |
# | **DataLoader** | walks a dataset in (shuffled) order and **collates** examples into batches | `torch.utils.data.DataLoader(ds, batch_size, shuffle, drop_last, generator)` |
# | **transform** | a function applied to the data on the way out (to floats, normalise, flatten...) | `torchvision.transforms.Compose([ToTensor(), Normalize(...)])` |
# | **dataset reader** | finds the files, downloads them if needed, **checks their checksum**, parses them | `torchvision.datasets.MNIST(root, train, download=True)` |
#
# ```python
# import torch
# from torch.utils.data import TensorDataset, DataLoader
# ds = TensorDataset(torch.arange(10.0), torch.arange(10))
# loader = DataLoader(ds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))
# len(loader)           # 3 batches: 4 + 4 + 2 (drop_last=True would give 2)
# for x, y in loader:   # x and y are stacked tensors of up to 4 examples
#     ...
# ```
#
# The split matters because the two halves scale differently. A dataset only has to answer "give
# me example `i`"; the loader decides the **order** (shuffling, so that every mini-batch is a fair
# sample of the data), the **batch size** (the trade-off between gradient noise, memory and
# speed), and **reproducibility** (the same seed gives the same epochs, so a bug can be
# re-run). `torchvision` checks the MD5 of every file it downloads, because a truncated download
# or a silently different copy of a dataset makes results incomparable, and because loading an
# unverified pickle can run arbitrary code.
#
# Two differences from PyTorch, both on purpose:
#
# - Our `transform` runs on the **whole batch** (one vectorised NumPy call per batch), where
#   torchvision applies transforms to each example in turn. Same result, far less Python overhead.
# - Our loader owns **one** `np.random.default_rng(seed)` and draws a new permutation from it each
#   epoch, instead of taking a `generator=` argument.
#
# What you will build:
#
# | step | you implement | PyTorch equivalent |
# |---|---|---|
# | 1 | `TensorDataset` | `torch.utils.data.TensorDataset` |
# | 2 | `default_collate` (stack examples into a batch) | `torch.utils.data.default_collate` |
# | 3-4 | `DataLoader`: `len`, batching, shuffling, seeding, `drop_last`, `transform` | `torch.utils.data.DataLoader` |
# | 5 | transforms `normalize`, `flatten`, `compose` | `transforms.Normalize`, `nn.Flatten`, `transforms.Compose` |
# | 6 | `read_idx`: the MNIST file format | `torchvision.datasets.mnist.read_image_file` |
# | 7 | `data_root`, `verify_checksum` | `torchvision.datasets.utils.check_integrity` |
# | 8 | `fetch`: find a file or download it safely | `torchvision.datasets.utils.download_url` |
# | 9-10 | `load_mnist`, `load_cifar10` | `torchvision.datasets.MNIST`, `CIFAR10` |

# %% [markdown]
# ## Setup
#
# The standard-library modules below do the file work: `gzip` decompresses, `hashlib` computes
# checksums, `pickle` reads CIFAR-10, `urllib.request` downloads. `Tensor` comes from your
# module 01.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import gzip
import hashlib
import os
import pickle
import shutil
import tarfile
import urllib.request
from pathlib import Path

import numpy as np
from tinytorch.tensor import Tensor
from tinytorch_runtime import extend

__all__ = ["Dataset", "TensorDataset", "default_collate", "DataLoader", "normalize", "flatten", "compose",
           "read_bytes", "parse_idx", "read_idx", "data_root", "verify_checksum", "ChecksumError", "fetch",
           "load_mnist", "load_cifar10", "MNIST_SHA256", "CIFAR10_MD5", "MIRRORS"]

# %% [markdown]
# ## The `Dataset` base class (given)
#
# A dataset is anything with `__len__` (how many examples) and `__getitem__(i)` (example `i`,
# usually a tuple such as `(image, label)`). The base class below only documents that contract,
# like `torch.utils.data.Dataset`. You can subclass it for data that does not fit in one array
# (files on disk, examples generated on the fly); the loader works with any such object.

# %% nbgrader={"grade": false, "grade_id": "dataset-base", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
class Dataset:
    """A collection of examples: `len(ds)` examples, `ds[i]` is example i (usually a tuple)."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")


# %% [markdown]
# ## Step 1 · TensorDataset
#
# The most common dataset is "a few arrays with one row per example": images `(N, 28, 28)` and
# labels `(N,)`. `TensorDataset(*arrays_or_tensors)` stores each of them as a `Tensor` (in the
# tuple `self.tensors`, as PyTorch does) and returns **one row of each** as a tuple:
#
# ```python
# >>> ds = TensorDataset(np.zeros((5, 2, 2)), np.arange(5))
# >>> len(ds)
# 5
# >>> x, y = ds[3]          # x: Tensor of shape (2, 2), y: Tensor of shape () holding 3
# >>> xb, yb = ds[np.array([0, 4])]    # a whole batch at once: shapes (2, 2, 2) and (2,)
# ```
#
# Rules:
# - Convert each input with `Tensor(a)`, so the dtype policy of module 01 applies (float64
#   becomes float32, integers and `uint8` images keep their dtype).
# - At least one array, every array at least 1-D, and all with the **same first dimension**;
#   otherwise raise `ValueError` saying what is wrong (mismatched lengths are the classic bug:
#   60000 images with 10000 labels).
# - `ds[index]` returns `tuple(Tensor(t.data[index]) for t in self.tensors)`. Because NumPy does
#   the indexing, `index` can be an int (one example), a negative int, a slice or an **integer
#   array** (a whole batch in one vectorised gather; the DataLoader will use this). An index out of
#   range raises NumPy's `IndexError`.

# %% nbgrader={"grade": false, "grade_id": "tensor-dataset", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class TensorDataset(Dataset):
    """Examples are the rows of one or more arrays with the same first dimension.

    Like torch.utils.data.TensorDataset: `ds[i]` is `(a[i], b[i], ...)`, each a Tensor.
    """

    def __init__(self, *arrays):
        """Store every array (Tensor, ndarray or list) as a Tensor in the tuple self.tensors."""
        ### BEGIN SOLUTION
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        tensors = tuple(a if isinstance(a, Tensor) else Tensor(a) for a in arrays)
        if any(t.ndim == 0 for t in tensors):
            raise ValueError("every array of a TensorDataset needs a first (example) dimension")
        lengths = [t.shape[0] for t in tensors]
        if len(set(lengths)) != 1:
            raise ValueError(f"all arrays must have the same first dimension, got lengths {lengths}")
        self.tensors = tensors
        ### END SOLUTION

    def __len__(self) -> int:
        """Number of examples: the common first dimension."""
        ### BEGIN SOLUTION
        return self.tensors[0].shape[0]
        ### END SOLUTION

    def __getitem__(self, index):
        """A tuple with row(s) `index` of every array, each as a Tensor."""
        ### BEGIN SOLUTION
        return tuple(Tensor(t.data[index]) for t in self.tensors)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-tensor-dataset", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
images = np.arange(5 * 2 * 2, dtype=np.uint8).reshape(5, 2, 2)
labels = np.array([0, 1, 2, 1, 0], dtype=np.uint8)
ds = TensorDataset(images, labels)
assert isinstance(ds, Dataset), "TensorDataset should be a Dataset"
assert len(ds) == 5, "len() should be the number of examples (the first dimension)"
x, y = ds[3]
assert isinstance(x, Tensor) and isinstance(y, Tensor), "ds[i] should be a tuple of Tensors"
assert x.shape == (2, 2) and np.array_equal(x.data, images[3]), "ds[3] should hold row 3 of the images"
assert y.item() == 1, "ds[3] should hold label 3"
xb, yb = ds[np.array([0, 4])]
assert xb.shape == (2, 2, 2) and np.array_equal(yb.data, [0, 0]), "an index array should return a whole batch"
### BEGIN HIDDEN TESTS
assert isinstance(ds.tensors, tuple) and len(ds.tensors) == 2, "self.tensors should be a tuple with one Tensor per array"
assert x.dtype == np.uint8 and y.dtype == np.uint8, "uint8 data should keep its dtype"
assert ds[-1][1].item() == 0 and np.array_equal(ds[-1][0].data, images[4]), "negative indices should work"
_one = TensorDataset(np.linspace(0, 1, 4))
assert len(_one) == 4 and isinstance(_one[0], tuple) and len(_one[0]) == 1, \
    "a dataset of one array should return 1-tuples"
assert _one[1][0].dtype == np.float32, "float64 input should become float32, as in Tensor"
_three = TensorDataset(Tensor(np.ones((3, 2))), [1, 2, 3], np.zeros((3, 4, 5)))
assert len(_three) == 3 and [t.shape for t in _three[1]] == [(2,), (), (4, 5)], \
    "any number of arrays (Tensors, lists or ndarrays) should be supported"
assert _three[0:2][2].shape == (2, 4, 5), "slices should return a batch"
for _bad in [(np.zeros((5, 2)), np.zeros(4)), (), (np.float32(3.0),)]:
    try:
        TensorDataset(*_bad)
        raise AssertionError("TensorDataset should reject mismatched lengths, no arrays, or 0-d arrays with ValueError")
    except ValueError:
        pass
try:
    ds[5]
    raise AssertionError("indexing past the end should raise IndexError")
except IndexError:
    pass
assert TensorDataset(np.zeros((0, 3))).__len__() == 0, "an empty dataset has length 0"
### END HIDDEN TESTS
print("✅ Step 1: TensorDataset works")

# %% [markdown]
# ## Step 2 · Collating examples into a batch
#
# A general `Dataset` returns one example at a time. To make a batch, the loader asks for each
# example and **collates** them: field by field, it stacks the values along a new first axis.
#
# ```
# samples = [(img0, 3), (img1, 7), (img2, 1)]         each img: (28, 28)
# default_collate(samples) -> (Tensor (3, 28, 28), Tensor([3, 7, 1]))
# ```
#
# Fields may be Tensors, ndarrays or Python numbers (use `s.data` for a Tensor, `np.asarray(s)`
# otherwise), and the result is always a tuple of Tensors built with `Tensor(np.stack(column))`
# (so Python floats become float32 and Python ints int64). A sample that is not a tuple or list
# counts as a 1-tuple. Raise `ValueError` for an empty list or for samples with different numbers
# of fields (`zip` would silently drop fields).

# %% nbgrader={"grade": false, "grade_id": "default-collate", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def default_collate(samples):
    """Stack a list of samples (tuples of Tensors / arrays / numbers) into a tuple of Tensors."""
    ### BEGIN SOLUTION
    if len(samples) == 0:
        raise ValueError("cannot collate an empty list of samples")
    samples = [s if isinstance(s, (tuple, list)) else (s,) for s in samples]
    width = len(samples[0])
    if any(len(s) != width for s in samples):
        raise ValueError("all samples must have the same number of fields")
    columns = []
    for j in range(width):
        column = [s[j].data if isinstance(s[j], Tensor) else np.asarray(s[j]) for s in samples]
        columns.append(Tensor(np.stack(column)))
    return tuple(columns)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-default-collate", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
batch = default_collate([(np.full((2, 2), i, dtype=np.uint8), i) for i in range(3)])
assert isinstance(batch, tuple) and len(batch) == 2, "collate should return one Tensor per field"
xb, yb = batch
assert isinstance(xb, Tensor) and xb.shape == (3, 2, 2), "images should be stacked along a new first axis"
assert np.array_equal(yb.data, [0, 1, 2]), "labels should be stacked in order"
### BEGIN HIDDEN TESTS
assert xb.dtype == np.uint8, "stacking uint8 arrays should keep uint8"
assert yb.dtype == np.int64, "Python ints should become int64"
_f = default_collate([(0.5,), (1.5,)])
assert len(_f) == 1 and _f[0].dtype == np.float32 and np.allclose(_f[0].data, [0.5, 1.5]), \
    "Python floats should become a float32 Tensor"
_t = default_collate([(Tensor([1.0, 2.0]), Tensor(3)), (Tensor([4.0, 5.0]), Tensor(6))])
assert _t[0].shape == (2, 2) and np.array_equal(_t[1].data, [3, 6]), "Tensor fields should be stacked"
_single = default_collate([np.ones(3), np.zeros(3)])
assert len(_single) == 1 and _single[0].shape == (2, 3), "a sample that is not a tuple counts as a 1-tuple"
_lists = default_collate([[1, 2.0], [3, 4.0]])
assert _lists[0].dtype == np.int64 and _lists[1].dtype == np.float32, "list samples work like tuples"
for _bad in ([], [(1, 2), (3,)]):
    try:
        default_collate(_bad)
        raise AssertionError("empty input or samples of different widths should raise ValueError")
    except ValueError:
        pass
### END HIDDEN TESTS
print("✅ Step 2: default_collate works")

# %% [markdown]
# ## Step 3 · The DataLoader: configuration and `len`
#
# `DataLoader(dataset, batch_size=32, shuffle=False, drop_last=False, seed=None, transform=None)`
# stores its arguments and creates **one** random generator, `np.random.default_rng(seed)`, in
# `self.rng`. Step 4 draws every epoch's order from it.
#
# `len(loader)` is the number of batches per epoch. With `N` examples and batch size `B`:
#
# | `drop_last` | batches | example: N = 10, B = 4 |
# |---|---|---|
# | `False` (default) | ⌈N / B⌉: the last batch may be smaller | 3 (4 + 4 + 2) |
# | `True` | ⌊N / B⌋: the incomplete last batch is dropped | 2 (4 + 4) |
#
# `batch_size` must be a positive integer (a Python or NumPy int, not a bool): raise
# `ValueError` otherwise, as PyTorch does. Hint: `-(-n // b)` is ⌈n / b⌉ in integer arithmetic.

# %% nbgrader={"grade": false, "grade_id": "dataloader-init", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class DataLoader:
    """Iterate over a dataset in (shuffled) mini-batches. Like torch.utils.data.DataLoader.

    Iterating yields tuples of Tensors, one Tensor per field of the examples, stacked along a
    new first axis. Every epoch (every `for` loop over the loader) draws a new permutation from
    one generator `np.random.default_rng(seed)`, so two loaders with the same seed give the same
    sequence of epochs. `transform`, if given, is applied to the first Tensor of every batch
    (the inputs); the others (the labels) pass through unchanged.
    """

    def __init__(self, dataset, batch_size=32, shuffle=False, drop_last=False, seed=None, transform=None):
        """Keep every argument as an attribute of the same name (self.dataset, self.batch_size,
        self.shuffle, self.drop_last, self.seed, self.transform) and create self.rng.
        ValueError if batch_size is not a positive integer."""
        ### BEGIN SOLUTION
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size should be a positive integer, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.transform = transform
        self.rng = np.random.default_rng(seed)
        ### END SOLUTION

    def __len__(self) -> int:
        """Number of batches in one epoch."""
        ### BEGIN SOLUTION
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-dataloader-init", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
ds10 = TensorDataset(np.arange(10))
loader = DataLoader(ds10, batch_size=4)
assert loader.batch_size == 4 and loader.dataset is ds10, "the loader should keep its dataset and batch size"
assert loader.shuffle is False and loader.drop_last is False and loader.transform is None, "check the defaults"
assert isinstance(loader.rng, np.random.Generator), "self.rng should be a np.random.Generator"
assert len(loader) == 3, "10 examples in batches of 4 make 3 batches (the last one has 2)"
assert len(DataLoader(ds10, batch_size=4, drop_last=True)) == 2, "drop_last drops the incomplete batch"
### BEGIN HIDDEN TESTS
assert DataLoader(ds10).batch_size == 32 and len(DataLoader(ds10)) == 1, "the default batch size is 32"
assert len(DataLoader(ds10, batch_size=32, drop_last=True)) == 0, "with drop_last, fewer examples than a batch give 0 batches"
for _b, _n, _drop in [(5, 2, False), (5, 2, True), (3, 4, False), (3, 3, True), (1, 10, True), (10, 1, False), (np.int64(4), 3, False)]:
    assert len(DataLoader(ds10, batch_size=_b, drop_last=_drop)) == _n, "len() is the number of batches per epoch"
assert len(DataLoader(TensorDataset(np.zeros((0, 2))), batch_size=4)) == 0, "an empty dataset has no batches"
assert np.array_equal(DataLoader(ds10, seed=3).rng.permutation(6), np.random.default_rng(3).permutation(6)), \
    "self.rng should be np.random.default_rng(seed)"
for _bad in (0, -2, 2.5, True, "8", None):
    try:
        DataLoader(ds10, batch_size=_bad)
        raise AssertionError("batch_size must be a positive integer: other values should raise ValueError")
    except ValueError:
        pass
### END HIDDEN TESTS
print("✅ Step 3: the DataLoader is configured and len() works")

# %% [markdown]
# ## Step 4 · Iterating: batching, shuffling, seeding
#
# `for batch in loader:` calls `iter(loader)`, which you now write. One call is one **epoch**:
#
# 1. The order: `self.rng.permutation(len(self.dataset))` if `shuffle`, else `np.arange(n)`.
#    Draw it when `__iter__` is called. Because `self.rng` lives as long as the loader, every epoch
#    gets a **new** permutation, yet two loaders built with the same seed produce exactly the
#    same sequence of epochs. (Re-creating the generator each epoch would repeat one order
#    forever.)
# 2. Cut the order into consecutive chunks of `batch_size` indices; with `drop_last`, skip a
#    final chunk that is shorter than `batch_size`.
# 3. Fetch each chunk. A `TensorDataset` can gather a whole batch with one call, `dataset[idx]`
#    (one NumPy fancy-index per array: fast). Any other dataset is asked for one example at a
#    time, `dataset[int(i)]`, and the examples are collated with `default_collate`. (PyTorch
#    makes the same distinction with its `__getitems__` batch protocol.)
# 4. If `self.transform` is set, replace the first Tensor of the batch by `transform(first)`.
# 5. Yield the batch as a **tuple** of Tensors.
#
# ```
# N = 10, batch_size = 4, shuffle, seed = 0
# order  = rng.permutation(10) = [4 6 2 7 3 5 9 0 8 1]       (say)
# batches: [4 6 2 7] [3 5 9 0] [8 1]                         drop_last: only the first two
# ```
#
# A clean way to write it: `__iter__` draws the order and hands it to the helper `_batches`,
# a generator (a function that uses `yield`), whose result it returns.

# %% nbgrader={"grade": false, "grade_id": "dataloader-iter", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(DataLoader)
def __iter__(self):
    """One epoch: an iterator over batches (tuples of Tensors)."""
    ### BEGIN SOLUTION
    n = len(self.dataset)
    order = self.rng.permutation(n) if self.shuffle else np.arange(n)
    return self._batches(order)
    ### END SOLUTION


@extend(DataLoader)
def _batches(self, order):
    """Helper (you may use it or not): yield the batches for one epoch given the order of indices."""
    ### BEGIN SOLUTION
    stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
    for start in range(0, stop, self.batch_size):
        idx = order[start:start + self.batch_size]
        if isinstance(self.dataset, TensorDataset):
            batch = tuple(self.dataset[idx])
        else:
            batch = default_collate([self.dataset[int(i)] for i in idx])
        if self.transform is not None:
            batch = (self.transform(batch[0]),) + tuple(batch[1:])
        yield batch
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-dataloader-iter", "locked": true, "points": 13, "schema_version": 3, "solution": false, "task": false}
ds10 = TensorDataset(np.arange(10) * 10, np.arange(10))
batches = list(DataLoader(ds10, batch_size=4))
assert len(batches) == 3, "10 examples in batches of 4 give 3 batches"
assert all(isinstance(b, tuple) and len(b) == 2 for b in batches), "each batch should be a tuple (x, y)"
assert [b[1].shape for b in batches] == [(4,), (4,), (2,)], "batch sizes should be 4, 4, 2"
assert np.array_equal(np.concatenate([b[1].data for b in batches]), np.arange(10)), "without shuffle, order is kept"
assert len(list(DataLoader(ds10, batch_size=4, drop_last=True))) == 2, "drop_last drops the last, short batch"

seen = np.concatenate([y.data for _, y in DataLoader(ds10, batch_size=3, shuffle=True, seed=0)])
assert sorted(seen) == list(range(10)), "a shuffled epoch should contain every example exactly once"


def label_epochs(loader, epochs=2):
    """The labels of every batch, for `epochs` passes over the loader."""
    return [[y.data.tolist() for _, y in loader] for _ in range(epochs)]


epochs_a = label_epochs(DataLoader(ds10, batch_size=4, shuffle=True, seed=1))
epochs_b = label_epochs(DataLoader(ds10, batch_size=4, shuffle=True, seed=1))
assert epochs_a == epochs_b, "two loaders with the same seed should give identical epochs"
assert epochs_a[0] != epochs_a[1], "each epoch should use a new permutation"
### BEGIN HIDDEN TESTS
_n = 23
_ds = TensorDataset(np.arange(_n, dtype=np.float32) * 2, np.arange(_n))
_loader = DataLoader(_ds, batch_size=5, shuffle=True, seed=7)
_rng = np.random.default_rng(7)
for _epoch in range(3):
    _expected = _rng.permutation(_n)
    _got = [(x.data, y.data) for x, y in _loader]
    assert [len(y) for _, y in _got] == [5, 5, 5, 5, 3], "shuffled batches should have sizes 5, 5, 5, 5, 3"
    assert np.array_equal(np.concatenate([y for _, y in _got]), _expected), \
        "epoch k should follow the k-th self.rng.permutation(n) of one generator default_rng(seed)"
    assert all(np.array_equal(x, 2 * y) for x, y in _got), "the fields of a batch must stay aligned"
    assert _got[0][0].dtype == np.float32 and _got[0][1].dtype == np.int64, "batches should keep each array's dtype"
_drop = [y.data for _, y in DataLoader(_ds, batch_size=5, shuffle=True, seed=7, drop_last=True)]
assert [len(y) for y in _drop] == [5, 5, 5, 5], "with drop_last all batches are full"
assert np.array_equal(np.concatenate(_drop), np.random.default_rng(7).permutation(_n)[:20]), \
    "drop_last should drop the tail of the permutation"
assert len(list(DataLoader(_ds, batch_size=64))) == 1 and list(DataLoader(_ds, batch_size=64))[0][1].shape == (_n,), \
    "a batch size larger than the dataset gives one batch with everything"
assert list(DataLoader(TensorDataset(np.zeros((0, 3))), batch_size=4)) == [], "an empty dataset yields no batches"

class _Squares(Dataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        if not 0 <= i < 7:
            raise IndexError(i)
        return np.full((2,), i, dtype=np.float32), i * i

_gen = list(DataLoader(_Squares(), batch_size=3, shuffle=True, seed=2))
assert [b[0].shape for b in _gen] == [(3, 2), (3, 2), (1, 2)], "a general Dataset should be collated into stacked batches"
assert all(np.array_equal(b[1].data, b[0].data[:, 0].astype(int) ** 2) for b in _gen), \
    "a general Dataset's fields must stay aligned after collation"
assert sorted(np.concatenate([b[1].data for b in _gen]).tolist()) == [i * i for i in range(7)], \
    "a general Dataset should be visited once per epoch"
_t = list(DataLoader(ds10, batch_size=4, transform=lambda x: x * 2))
assert np.array_equal(_t[0][0].data, [0, 20, 40, 60]) and np.array_equal(_t[0][1].data, [0, 1, 2, 3]), \
    "transform should be applied to the first Tensor of each batch only"
_calls = []
list(DataLoader(ds10, batch_size=4, transform=lambda x: _calls.append(x.shape) or x))
assert _calls == [(4,), (4,), (2,)], "transform should be called once per batch, on the stacked batch"
_plain = DataLoader(ds10, batch_size=4, shuffle=False, seed=5)
assert [y.data.tolist() for _, y in _plain] == [y.data.tolist() for _, y in _plain], "without shuffle every epoch is the same"
assert not any(np.shares_memory(x.data, _ds.tensors[0].data) for x, _ in DataLoader(_ds, batch_size=5)), \
    "batches should be copies, not views into the dataset"
### END HIDDEN TESTS
print("✅ Step 4: batching, shuffling and seeding work")

# %% [markdown]
# ## Step 5 · Transforms
#
# Images arrive as `uint8` in 0..255. Networks train best on small, centred float32 values, so
# the classic MNIST recipe (torchvision's `ToTensor()` then `Normalize((0.1307,), (0.3081,))`)
# scales to [0, 1] and then standardises with the dataset's mean and standard deviation:
#
# ```
# x_float = x / 255            (only for uint8 input, like ToTensor)
# out     = (x_float - mean) / std          float32
# ```
#
# Build three small transform **factories and functions**; each transform takes a Tensor and
# returns a new Tensor, so it can be passed as `transform=` to the loader:
#
# - `normalize(mean, std)` returns a function `x -> ((x / 255 if x is uint8 else x) - mean) / std`,
#   as float32. `mean` and `std` are numbers or per-channel sequences that broadcast against the
#   **last** axis (CIFAR-10 images are `(N, 32, 32, 3)`: `normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))`).
#   Raise `ValueError` at construction if any `std` is not positive.
# - `flatten(x)` reshapes a batch `(B, d1, d2, ...)` to `(B, d1 * d2 * ...)`: what an MLP needs.
#   Like `torch.nn.Flatten()`, it keeps the batch axis. (Careful: `reshape(B, -1)` fails for an empty batch.)
# - `compose(*transforms)` returns a function that applies the transforms left to right, like
#   `torchvision.transforms.Compose`. `compose()` with no transforms is the identity.
#
# Keep float32: convert with `.astype(np.float32)` and store `mean`/`std` as float32 arrays, so
# that no float64 sneaks in.

# %% nbgrader={"grade": false, "grade_id": "transforms", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def normalize(mean, std):
    """A transform: uint8 input is scaled to [0, 1], then (x - mean) / std, as float32."""
    ### BEGIN SOLUTION
    mean = np.asarray(mean, dtype=np.float32)
    std = np.asarray(std, dtype=np.float32)
    if np.any(std <= 0):
        raise ValueError(f"std must be positive, got {std}")

    def transform(x):
        data = x.data if isinstance(x, Tensor) else np.asarray(x)
        scaled = data.astype(np.float32)
        if data.dtype == np.uint8:
            scaled /= 255.0
        return Tensor((scaled - mean) / std)

    return transform
    ### END SOLUTION


def flatten(x):
    """(B, d1, d2, ...) -> (B, d1 * d2 * ...), as a Tensor."""
    ### BEGIN SOLUTION
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    return Tensor(data.reshape(data.shape[0], int(np.prod(data.shape[1:]))))
    ### END SOLUTION


def compose(*transforms):
    """A transform that applies `transforms` from left to right."""
    ### BEGIN SOLUTION
    def composed(x):
        for t in transforms:
            x = t(x)
        return x

    return composed
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-transforms", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
x = Tensor(np.array([[[0, 255], [51, 102]]], dtype=np.uint8))        # one 2 x 2 image
out = normalize(0.5, 0.5)(x)
assert isinstance(out, Tensor) and out.dtype == np.float32, "normalize should return a float32 Tensor"
assert np.allclose(out.data, [[[-1.0, 1.0], [-0.6, -0.2]]], atol=1e-6), "uint8 should be scaled by 1/255, then (x - 0.5) / 0.5"
assert flatten(x).shape == (1, 4), "flatten should keep the batch axis and merge the others"
pipeline = compose(normalize(0.0, 1.0), flatten)
assert pipeline(x).shape == (1, 4) and np.isclose(pipeline(x).data[0, 1], 1.0), "compose should apply the transforms in order"
### BEGIN HIDDEN TESTS
_f = Tensor(np.array([[1.0, 3.0]], dtype=np.float32))
assert np.allclose(normalize(1.0, 2.0)(_f).data, [[0.0, 1.0]]), "float input should not be scaled by 1/255"
_img = Tensor(np.full((2, 4, 4, 3), 255, dtype=np.uint8))
_per = normalize((0.5, 0.0, 1.0), (0.5, 1.0, 2.0))(_img)
assert _per.shape == (2, 4, 4, 3) and np.allclose(_per.data[..., 0], 1.0) and np.allclose(_per.data[..., 1], 1.0) \
    and np.allclose(_per.data[..., 2], 0.0), "per-channel mean/std should broadcast against the last axis"
assert _per.dtype == np.float32, "per-channel normalize should stay float32"
assert normalize(0.5, 0.5)(Tensor(np.zeros(3, dtype=np.float64), dtype=np.float64)).dtype == np.float32, \
    "normalize should return float32 even for float64 input"
_int = Tensor(np.array([255], dtype=np.int64))
assert np.allclose(normalize(0.0, 1.0)(_int).data, [255.0]), "only uint8 input is scaled by 1/255"
_src = np.array([[10, 20]], dtype=np.uint8)
normalize(0.5, 0.5)(Tensor(_src))
assert np.array_equal(_src, [[10, 20]]), "normalize must not modify its input"
for _bad in ((0.5, 0.0), (0.5, -1.0), ((0.5, 0.5), (1.0, 0.0))):
    try:
        normalize(*_bad)
        raise AssertionError("a std that is not positive should raise ValueError")
    except ValueError:
        pass
assert flatten(Tensor(np.zeros((5, 3, 4, 2)))).shape == (5, 24), "flatten should merge all non-batch axes"
assert flatten(Tensor(np.zeros((0, 28, 28)))).shape == (0, 784), "flatten should work for an empty batch"
assert flatten(Tensor(np.zeros((4, 7)))).shape == (4, 7), "flatten of a 2-D batch changes nothing"
_order = compose(lambda t: t + 1, lambda t: t * 10)(Tensor([1.0]))
assert np.allclose(_order.data, [20.0]), "compose applies the first transform first"
assert compose()(x) is x, "compose() with no transforms is the identity"
### END HIDDEN TESTS
print("✅ Step 5: transforms work")

# %% [markdown]
# ## Step 6 · Reading the MNIST idx format
#
# MNIST and Fashion-MNIST ship as **idx** files: a tiny binary header followed by the raw
# numbers, usually gzip-compressed (`train-images-idx3-ubyte.gz`). The header is:
#
# | bytes | meaning | `train-images` |
# |---|---|---|
# | 0-1 | always `0x00 0x00` | `00 00` |
# | 2 | element type code (table below) | `08` (uint8) |
# | 3 | number of dimensions | `03` |
# | 4 ... 4 + 4·ndim | each dimension's size, a 4-byte **big-endian** unsigned int | `60000, 28, 28` |
# | the rest | the values, row-major, big-endian | 60000·28·28 bytes |
#
# | code | type | NumPy dtype (big-endian) |
# |---|---|---|
# | `0x08` | unsigned byte | `np.uint8` |
# | `0x09` | signed byte | `np.int8` |
# | `0x0B` | short (2 bytes) | `">i2"` |
# | `0x0C` | int (4 bytes) | `">i4"` |
# | `0x0D` | float (4 bytes) | `">f4"` |
# | `0x0E` | double (8 bytes) | `">f8"` |
#
# The first four bytes together are the **magic number**: `0x00000803` for images, `0x00000801`
# for labels. Big-endian ("most significant byte first") is what `>` means in a NumPy dtype;
# `np.frombuffer(data, dtype=">u4", count=ndim, offset=4)` reads the sizes, and
# `np.frombuffer(..., offset=...)` the values. Convert the values to the machine's native byte
# order (`.astype(dt.newbyteorder("="))`), which also makes a writeable copy: `frombuffer` on
# `bytes` is read-only.
#
# You write two functions:
#
# - `read_bytes(path)`: the file's content, **decompressed if it is gzip**. Do not trust the
#   file name: a gzip file starts with the two bytes `1f 8b`. A damaged gzip stream makes
#   `gzip.decompress` raise `gzip.BadGzipFile`, `EOFError` or `zlib.error`: turn them into a
#   `ValueError` naming the file.
# - `parse_idx(data, name="<bytes>")`: the array in an idx buffer. Check everything a damaged
#   file can get wrong and raise `ValueError` naming `name`: fewer than 4 bytes, a bad magic (first
#   two bytes not zero, or an unknown type code), a truncated header, and a payload that is not
#   exactly `prod(sizes) * itemsize` bytes (say "truncated" when it is shorter).
#
# `read_idx(path)`, given, combines them.

# %% nbgrader={"grade": false, "grade_id": "read-idx", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
IDX_DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_bytes(path) -> bytes:
    """The content of the file at `path`, gunzipped when it starts with the gzip magic 1f 8b."""
    ### BEGIN SOLUTION
    raw = Path(path).read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except Exception as error:   # gzip.BadGzipFile, EOFError (truncated), zlib.error (corrupt data)
        raise ValueError(f"{path}: damaged gzip file ({type(error).__name__}: {error})") from None
    ### END SOLUTION


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """The ndarray stored in an idx buffer, in native byte order. ValueError if it is malformed."""
    ### BEGIN SOLUTION
    if len(data) < 4:
        raise ValueError(f"{name}: too short to be an idx file ({len(data)} bytes)")
    if data[0] != 0 or data[1] != 0 or data[2] not in IDX_DTYPES:
        raise ValueError(f"{name}: bad magic number {data[:4].hex()} (not an idx file)")
    dtype, ndim = IDX_DTYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name}: truncated header ({len(data)} bytes, need {header})")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(data) - header
    if found < expected:
        raise ValueError(f"{name}: truncated: header says {shape} needs {expected} bytes of data, found {found}")
    if found > expected:
        raise ValueError(f"{name}: {found - expected} unexpected bytes after the data of shape {shape}")
    values = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize, offset=header)
    return values.astype(dtype.newbyteorder("=")).reshape(shape)
    ### END SOLUTION


def read_idx(path) -> np.ndarray:
    """The array stored in an idx file (gzip-compressed or raw)."""
    return parse_idx(read_bytes(path), str(path))


# %% nbgrader={"grade": true, "grade_id": "test-read-idx", "locked": true, "points": 11, "schema_version": 3, "solution": false, "task": false}
import gzip
import tempfile
from pathlib import Path

values = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
idx_bytes = bytes([0, 0, 0x08, 3]) + np.array([2, 3, 4], dtype=">u4").tobytes() + values.tobytes()
arr = parse_idx(idx_bytes)
assert isinstance(arr, np.ndarray) and arr.shape == (2, 3, 4), "the shape comes from the big-endian sizes in the header"
assert arr.dtype == np.uint8 and np.array_equal(arr, values), "type code 0x08 means uint8 values"
with tempfile.TemporaryDirectory() as tmp:
    Path(tmp, "a.gz").write_bytes(gzip.compress(idx_bytes))
    Path(tmp, "b-raw").write_bytes(idx_bytes)
    assert read_bytes(Path(tmp, "a.gz")) == idx_bytes, "read_bytes should gunzip gzip files"
    assert np.array_equal(read_idx(Path(tmp, "a.gz")), values), "read_idx should read gzip files"
    assert np.array_equal(read_idx(str(Path(tmp, "b-raw"))), values), "read_idx should read raw files (and accept str paths)"
try:
    parse_idx(b"\x00\x00\x08\x03" + np.array([2, 3, 4], dtype=">u4").tobytes() + values.tobytes()[:-1])
    raise AssertionError("a truncated idx file should raise ValueError")
except ValueError as error:
    assert "truncated" in str(error).lower(), "the error for a short payload should say the file is truncated"
### BEGIN HIDDEN TESTS
_labels = np.array([3, 1, 4], dtype=np.uint8)
_lb = bytes([0, 0, 8, 1]) + np.array([3], ">u4").tobytes() + _labels.tobytes()
assert parse_idx(_lb).shape == (3,) and np.array_equal(parse_idx(_lb), _labels), "1-D label files should work"
for _code, _dt in [(0x09, np.int8), (0x0B, ">i2"), (0x0C, ">i4"), (0x0D, ">f4"), (0x0E, ">f8")]:
    _vals = (np.arange(-6, 6).reshape(3, 4) * 3).astype(_dt)
    _got = parse_idx(bytes([0, 0, _code, 2]) + np.array([3, 4], ">u4").tobytes() + _vals.tobytes())
    assert _got.shape == (3, 4) and np.array_equal(_got, _vals), "every idx type code should be decoded (big-endian)"
    assert _got.dtype == np.dtype(_dt).newbyteorder("=") and _got.dtype.isnative, \
        "the result should have the element type of the code, in native byte order"
_big = np.array([70000], dtype=">u4").tobytes()
_got = parse_idx(bytes([0, 0, 0x0C, 1]) + _big + np.arange(70000, dtype=">i4").tobytes())
assert _got.shape == (70000,) and _got[-1] == 69999, "sizes above 65535 need all 4 header bytes"
_w = parse_idx(idx_bytes)
_w[0, 0, 0] = 99
assert _w.flags.writeable, "the returned array should be writeable (a copy, not a view of the bytes)"
_bad_inputs = [
    b"\x00\x00\x08",                                                       # too short
    b"\x01\x00\x08\x01" + np.array([1], ">u4").tobytes() + b"\x00",        # first byte not zero
    b"\x00\x00\x07\x01" + np.array([1], ">u4").tobytes() + b"\x00",        # unknown type code
    b"\x00\x00\x08\x03" + np.array([2, 3], ">u4").tobytes(),               # truncated header
    b"\x00\x00\x0C\x01" + np.array([2], ">u4").tobytes() + b"\x00" * 7,    # int32 payload one byte short
    b"\x00\x00\x08\x01" + np.array([2], ">u4").tobytes() + b"\x00" * 3,    # one byte too many
]
for _b in _bad_inputs:
    try:
        parse_idx(_b, name="thefile-xyz")
        raise AssertionError("malformed idx data (short, bad magic, truncated, extra bytes) should raise ValueError")
    except ValueError as _e:
        assert "thefile-xyz" in str(_e), "the ValueError should name the file"
with tempfile.TemporaryDirectory() as _tmp:
    _gz = gzip.compress(idx_bytes)
    Path(_tmp, "named-like-raw").write_bytes(_gz)
    Path(_tmp, "raw.gz").write_bytes(idx_bytes)
    assert np.array_equal(read_idx(Path(_tmp, "named-like-raw")), values), "gzip should be detected by content, not name"
    assert np.array_equal(read_idx(Path(_tmp, "raw.gz")), values), "a raw file named .gz should be read as raw"
    Path(_tmp, "cut.gz").write_bytes(_gz[: len(_gz) // 2])
    try:
        read_idx(Path(_tmp, "cut.gz"))
        raise AssertionError("a truncated gzip file should raise ValueError")
    except ValueError as _e:
        assert "cut.gz" in str(_e), "the error for a damaged gzip file should name the file"
    Path(_tmp, "badmagic").write_bytes(b"\x00\x00\x00\x00\x00\x00")
    try:
        read_idx(Path(_tmp, "badmagic"))
        raise AssertionError("a file with a bad magic number should raise ValueError")
    except ValueError as _e:
        assert "badmagic" in str(_e), "read_idx errors should name the file"
### END HIDDEN TESTS
print("✅ Step 6: idx files are read correctly")

# %% [markdown]
# ## Where the data lives, and how we know it is the right data
#
# The readers look for files under one **data root**:
#
# 1. the `root` argument, if given;
# 2. else the environment variable `TINYTORCH_DATA` (your course hub and CI set it to a shared,
#    read-only folder with verified copies);
# 3. else `~/.tinytorch/data` in your home folder.
#
# ```
# <root>/mnist/train-images-idx3-ubyte.gz     t10k-images-idx3-ubyte.gz ...
# <root>/fashion-mnist/train-images-idx3-ubyte.gz ...
# <root>/cifar-10-batches-py/data_batch_1 ... data_batch_5, test_batch
# ```
#
# Every file is **verified before it is used** by comparing a cryptographic hash of its content
# with a known value. Change one byte and the hash changes completely, so a truncated download,
# a disk error or a different "MNIST" from some other website is caught immediately instead of
# showing up as a mysteriously worse accuracy weeks later.
#
# - For MNIST and Fashion-MNIST we hash the **decompressed** content with SHA-256. The `.gz`
#   wrapper contains a timestamp and compression settings, so two correct copies can differ as
#   `.gz` files; their content cannot. It also lets you keep the files gunzipped.
# - For CIFAR-10 we use the MD5 values that `torchvision` publishes for each batch file. MD5 is
#   broken against attackers who craft collisions, but still detects accidental damage; the
#   check matters doubly here because the files are **pickles**, and unpickling a file can run
#   any code inside it: verify first, unpickle second.
#
# The known values are module-level tables (below). Each reader also accepts
# `checksums={file name: hex digest}`, which overrides table entries: that is how the tests in
# this notebook read small home-made files, and how you could register a dataset of your own.

# %% nbgrader={"grade": false, "grade_id": "data-tables", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
# SHA-256 of the *decompressed* content of each file (the values of the course's MANIFEST.tsv).
MNIST_SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}
MNIST_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
               "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}

# MD5 of each CIFAR-10 python file, as published by torchvision (and of the archive they come in).
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR10_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    CIFAR10_ARCHIVE: "c58f30108f718f92721af3b95e74349a",
}
CIFAR10_FILES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}

# Canonical download locations (a file's URL is the mirror + its name). A course can point
# these at a local mirror.
MIRRORS = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "cifar-10": "https://www.cs.toronto.edu/~kriz/",
}
DOWNLOAD_TIMEOUT = 10.0   # seconds without an answer before a download gives up


class ChecksumError(ValueError):
    """A file's content does not match its known checksum."""


# %% [markdown]
# ## Step 7 · The data root and checksum verification
#
# - `data_root(root=None)` returns a `pathlib.Path`: `Path(root)` if given, else
#   `$TINYTORCH_DATA` if that variable is set and not empty, else `Path.home() / ".tinytorch" / "data"`.
#   Expand `~` (`Path.expanduser()`), so `root="~/data"` works.
# - `verify_checksum(data, expected, algorithm="sha256", name="data")` hashes the bytes `data`
#   with `hashlib.new(algorithm, data).hexdigest()` and compares with `expected` (hex digests,
#   compare case-insensitively). On a mismatch, raise `ChecksumError` (a `ValueError`, given
#   above) whose message names the file, both digests, and what to do (delete the file and get it
#   again). If `expected` is `None` there is no known value to compare with: also raise
#   `ChecksumError`, naming the file and saying to pass `checksums=`. On success return `None`.
#
# ```python
# >>> verify_checksum(b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")   # fine
# >>> verify_checksum(b"abd", "ba7816bf...", name="train-images-idx3-ubyte.gz")
# ChecksumError: train-images-idx3-ubyte.gz: sha256 checksum mismatch (expected ba7816bf..., got a52d159f...) ...
# ```

# %% nbgrader={"grade": false, "grade_id": "data-root-checksum", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def data_root(root=None) -> Path:
    """Where datasets live: `root`, else $TINYTORCH_DATA, else ~/.tinytorch/data."""
    ### BEGIN SOLUTION
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("TINYTORCH_DATA")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".tinytorch" / "data"
    ### END SOLUTION


def verify_checksum(data: bytes, expected, algorithm: str = "sha256", name: str = "data") -> None:
    """Raise ChecksumError unless hashlib.new(algorithm, data).hexdigest() equals `expected`."""
    ### BEGIN SOLUTION
    if expected is None:
        raise ChecksumError(f"{name}: no known {algorithm} checksum to verify it against; "
                            f"pass checksums={{{name!r}: '<hex digest>'}}")
    actual = hashlib.new(algorithm, data).hexdigest()
    if actual != expected.lower():
        raise ChecksumError(f"{name}: {algorithm} checksum mismatch (expected {expected}, got {actual}). "
                            "The file is damaged or not the official one: delete it and download it again.")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-data-root-checksum", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
import hashlib
import os

assert data_root("/some/where") == Path("/some/where"), "an explicit root wins"
assert isinstance(data_root("/x"), Path), "data_root should return a pathlib.Path"
saved_env = os.environ.get("TINYTORCH_DATA")
try:
    os.environ["TINYTORCH_DATA"] = "/shared/data"
    assert data_root() == Path("/shared/data"), "without root, $TINYTORCH_DATA should be used"
    del os.environ["TINYTORCH_DATA"]
    assert data_root() == Path.home() / ".tinytorch" / "data", "the fallback is ~/.tinytorch/data"
finally:
    if saved_env is not None:
        os.environ["TINYTORCH_DATA"] = saved_env
abc_sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
assert verify_checksum(b"abc", abc_sha) is None, "a matching checksum should pass silently"
try:
    verify_checksum(b"abd", abc_sha, name="digits.gz")
    raise AssertionError("a wrong checksum should raise ChecksumError")
except ChecksumError as error:
    assert "digits.gz" in str(error), "the error should name the file"
### BEGIN HIDDEN TESTS
assert issubclass(ChecksumError, ValueError), "ChecksumError is a ValueError"
_saved = os.environ.get("TINYTORCH_DATA")
try:
    os.environ["TINYTORCH_DATA"] = "/env/data"
    assert data_root("/arg") == Path("/arg"), "an explicit root wins over $TINYTORCH_DATA"
    assert data_root(Path("rel/dir")) == Path("rel/dir"), "a Path root should be accepted"
    os.environ["TINYTORCH_DATA"] = ""
    assert data_root() == Path.home() / ".tinytorch" / "data", "an empty $TINYTORCH_DATA should be ignored"
finally:
    if _saved is None:
        os.environ.pop("TINYTORCH_DATA", None)
    else:
        os.environ["TINYTORCH_DATA"] = _saved
assert data_root("~/mydata") == Path.home() / "mydata", "~ should be expanded"
_md5 = hashlib.md5(b"cifar").hexdigest()
assert verify_checksum(b"cifar", _md5, "md5", "x") is None, "md5 should be supported through the algorithm argument"
assert verify_checksum(b"cifar", _md5.upper(), "md5", "x") is None, "hex digests should compare case-insensitively"
for _args in [(b"cifar", hashlib.sha256(b"cifar").hexdigest(), "md5", "batch_q"),
              (b"", abc_sha, "sha256", "batch_q"), (b"abc", None, "sha256", "batch_q")]:
    try:
        verify_checksum(*_args)
        raise AssertionError("a wrong checksum, or no known checksum (None), should raise ChecksumError")
    except ChecksumError as _e:
        assert "batch_q" in str(_e), "checksum errors should name the file"
try:
    verify_checksum(b"abd", abc_sha, name="f")
except ChecksumError as _e:
    _msg = str(_e)
    assert hashlib.sha256(b"abd").hexdigest() in _msg and abc_sha in _msg, "the error should show the expected and actual digests"
### END HIDDEN TESTS
print("✅ Step 7: data_root and verify_checksum work")

# %% [markdown]
# ## Step 8 · Finding a file, or downloading it safely
#
# `fetch(name, folder, url, download=True, verify=None, timeout=DOWNLOAD_TIMEOUT)` returns the
# `Path` of a data file, in this order:
#
# 1. `folder / name` exists: return it. For a `.gz` name, the gunzipped file (the name without
#    `.gz`) is accepted too (`read_bytes` reads both and the content checksum is the same).
# 2. The file is missing and `download` is false: raise `FileNotFoundError`. The message must let
#    a student fix the problem without reading code: **which file**, **where** you looked, and
#    **how to get it** (the URL, and that `TINYTORCH_DATA` can point to a folder that has it).
# 3. Otherwise download `url`:
#    - `urllib.request.urlopen(url, timeout=timeout)` raises quickly when there is no network,
#      and `timeout` stops a server that stops answering. Open the connection **before** creating
#      any folder, so an offline attempt leaves nothing behind.
#    - Stream the response into `folder / (name + ".part")` (`shutil.copyfileobj`), creating
#      `folder` if needed.
#    - Any failure during the download (no network, HTTP error, time-out, bad URL) becomes a
#      `FileNotFoundError` with the same helpful message plus the reason.
#    - Call `verify(part_path)` if given; it raises (e.g. `ChecksumError`) for a bad download.
#      Let its exception through unchanged.
#    - Only then `os.replace(part, folder / name)`: renaming is atomic, so `folder / name` is
#      either the complete, verified file or absent, never half-written. On **any** failure
#      delete the `.part` file before raising.

# %% nbgrader={"grade": false, "grade_id": "fetch", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def fetch(name, folder, url, download=True, verify=None, timeout=DOWNLOAD_TIMEOUT) -> Path:
    """The path of data file `name` in `folder`, downloaded from `url` when missing and allowed."""
    folder = Path(folder)
    ### BEGIN SOLUTION
    path = folder / name
    if path.is_file():
        return path
    if name.endswith(".gz") and (folder / name[:-3]).is_file():
        return folder / name[:-3]
    missing = (f"{name} not found in {folder}. Download it from {url} into that folder, or set "
               f"TINYTORCH_DATA to a data folder that already has it")
    if not download:
        raise FileNotFoundError(missing + " (or pass download=True on a machine with internet access).")
    part = folder / (name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            folder.mkdir(parents=True, exist_ok=True)
            with open(part, "wb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
    except Exception as error:
        part.unlink(missing_ok=True)
        raise FileNotFoundError(f"{missing}. Downloading {url} failed: {type(error).__name__}: {error}") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    try:
        if verify is not None:
            verify(part)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return path
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-fetch", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
import tempfile
import time

dead_url = "http://127.0.0.1:9/nothing-here.gz"      # a local port where nothing answers
with tempfile.TemporaryDirectory() as tmp:
    folder = Path(tmp) / "mnist"
    folder.mkdir()
    (folder / "present.gz").write_bytes(b"x")
    assert fetch("present.gz", folder, dead_url, download=False) == folder / "present.gz", "an existing file is returned"
    try:
        fetch("absent.gz", folder, dead_url, download=False)
        raise AssertionError("a missing file with download=False should raise FileNotFoundError")
    except FileNotFoundError as error:
        message = str(error)
        assert "absent.gz" in message and str(folder) in message, "the message should say which file and where it looked"
        assert "TINYTORCH_DATA" in message, "the message should say how to get the file (e.g. set TINYTORCH_DATA)"
    started = time.monotonic()
    try:
        fetch("absent.gz", folder, dead_url, download=True)
        raise AssertionError("a failed download should raise FileNotFoundError")
    except FileNotFoundError as error:
        assert "absent.gz" in str(error), "a failed download should name the file"
    print(f"the failed download took {time.monotonic() - started:.2f} s")
    assert sorted(p.name for p in folder.iterdir()) == ["present.gz"], "a failed download must leave nothing behind"
### BEGIN HIDDEN TESTS
with tempfile.TemporaryDirectory() as _tmp:
    _src = Path(_tmp) / "server"
    _src.mkdir()
    (_src / "f.gz").write_bytes(b"payload-bytes")
    _dest = Path(_tmp) / "deep" / "er"
    _got = fetch("f.gz", _dest, (_src / "f.gz").as_uri(), download=True)
    assert _got == _dest / "f.gz" and _got.read_bytes() == b"payload-bytes", \
        "a successful download should be saved as folder/name (creating folders)"
    assert sorted(p.name for p in _dest.iterdir()) == ["f.gz"], "no .part file should remain after a download"
    _seen = []
    fetch("g.gz", _dest, (_src / "f.gz").as_uri(), verify=lambda p: _seen.append(Path(p).read_bytes()))
    assert _seen == [b"payload-bytes"], "verify should be called with the path of the downloaded data"

    def _reject(p):
        raise ChecksumError("bad download")

    try:
        fetch("h.gz", _dest, (_src / "f.gz").as_uri(), verify=_reject)
        raise AssertionError("an exception from verify should propagate")
    except ChecksumError:
        pass
    assert sorted(p.name for p in _dest.iterdir()) == ["f.gz", "g.gz"], \
        "a download that fails verification must leave nothing behind (no file, no .part)"
    (_dest / "raw-idx").write_bytes(b"r")
    assert fetch("raw-idx.gz", _dest, "http://127.0.0.1:9/", download=False) == _dest / "raw-idx", \
        "the gunzipped version of a .gz file should be accepted"
    _empty = Path(_tmp) / "never-created"
    try:
        fetch("x.gz", _empty, "http://127.0.0.1:9/x.gz", download=True)
        raise AssertionError("a failed download should raise FileNotFoundError")
    except FileNotFoundError as _e:
        assert str(_empty) in str(_e) and "127.0.0.1" in str(_e), "a failed download should say where it looked and which URL failed"
    assert not _empty.exists(), "an offline download attempt should not create any folder"
    try:
        fetch("y.gz", _empty, (_src / "missing-on-server").as_uri(), download=True)
        raise AssertionError("a URL that does not exist should raise FileNotFoundError")
    except FileNotFoundError:
        pass
    try:
        fetch("z.gz", _empty, "not a url", download=True)
        raise AssertionError("a malformed URL should raise FileNotFoundError")
    except FileNotFoundError:
        pass
### END HIDDEN TESTS
print("✅ Step 8: fetch finds files and fails fast and cleanly")

# %% [markdown]
# ## Test helpers: writing small files in the real formats (given)
#
# The real datasets are tens of megabytes and may not be on your machine, so the tests build
# small files in exactly the same formats. Read these two functions: they are the formats of
# Step 6 and Step 10 written out, and they return the checksums that `checksums=` needs.

# %% nbgrader={"grade": false, "grade_id": "format-writers", "locked": true, "schema_version": 3, "solution": false, "task": false}
import hashlib
import pickle


def write_idx(path, array, compress=True):
    """Write `array` as an idx file (gzipped if compress); return the SHA-256 of the idx content."""
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
             np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}
    array = np.asarray(array)
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    content = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(gzip.compress(content) if compress else content)
    return hashlib.sha256(content).hexdigest()


def write_cifar_batch(path, images, labels):
    """Write a CIFAR-10 python batch: images uint8 (N, 32, 32, 3) are stored as rows of 3072
    values, all red, then all green, then all blue (channel-first). Return the file's MD5."""
    rows = np.asarray(images, dtype=np.uint8).transpose(0, 3, 1, 2).reshape(len(images), 3072)
    batch = {"batch_label": "testing batch", "labels": [int(v) for v in labels], "data": rows,
             "filenames": [f"img_{i}.png" for i in range(len(images))]}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(pickle.dumps(batch, protocol=2))
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


# %% [markdown]
# ## Step 9 · `load_mnist`
#
# `load_mnist(split="train", root=None, kind="mnist", download=True, *, checksums=None)` returns
# `(images, labels)`: `uint8` arrays of shapes `(N, 28, 28)` and `(N,)` (N = 60000 for `"train"`,
# 10000 for `"test"`). `kind="fashion-mnist"` reads Fashion-MNIST, which has exactly the same
# format, file names and shapes (clothes instead of digits).
#
# 1. Check `split` (`"train"` / `"test"`) and `kind` (`"mnist"` / `"fashion-mnist"`): `ValueError`
#    otherwise. The file names are in `MNIST_FILES[split]` (images first).
# 2. The folder is `data_root(root) / kind`. The table of known digests is `MNIST_SHA256[kind]`
#    updated with `checksums` (`{**table, **(checksums or {})}`).
# 3. For each file: `fetch(name, folder, MIRRORS[kind] + name, download, verify=...)`, where the
#    verifier checks a fresh download (`verify_checksum(read_bytes(p), ...)`) before it is kept;
#    then `read_bytes`, `verify_checksum(..., "sha256", name)` and only then `parse_idx`.
# 4. Check the result: images must be `uint8` with shape `(N, 28, 28)`, labels `uint8` with shape
#    `(N,)`, the same `N`; raise `ValueError` otherwise.

# %% nbgrader={"grade": false, "grade_id": "load-mnist", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def load_mnist(split="train", root=None, kind="mnist", download=True, *, checksums=None):
    """(images uint8 (N, 28, 28), labels uint8 (N,)) of MNIST or Fashion-MNIST, verified."""
    ### BEGIN SOLUTION
    if split not in MNIST_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if kind not in MNIST_SHA256:
        raise ValueError(f"kind must be 'mnist' or 'fashion-mnist', got {kind!r}")
    folder = data_root(root) / kind
    table = {**MNIST_SHA256[kind], **(checksums or {})}
    arrays = []
    for name in MNIST_FILES[split]:
        expected = table.get(name)

        def check(p, name=name, expected=expected):
            verify_checksum(read_bytes(p), expected, "sha256", name)

        path = fetch(name, folder, MIRRORS[kind] + name, download, verify=check)
        data = read_bytes(path)
        verify_checksum(data, expected, "sha256", str(path))
        arrays.append(parse_idx(data, str(path)))
    images, labels = arrays
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{kind} {split} images should be uint8 (N, 28, 28), got {images.dtype} {images.shape}")
    if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
        raise ValueError(f"{kind} {split} labels should be uint8 ({len(images)},), got {labels.dtype} {labels.shape}")
    return images, labels
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-load-mnist", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(0)
fake_images = rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
fake_labels = np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8)
with tempfile.TemporaryDirectory() as tmp:
    sums = {"t10k-images-idx3-ubyte.gz": write_idx(Path(tmp, "mnist", "t10k-images-idx3-ubyte.gz"), fake_images),
            "t10k-labels-idx1-ubyte.gz": write_idx(Path(tmp, "mnist", "t10k-labels-idx1-ubyte.gz"), fake_labels)}
    images, labels = load_mnist("test", root=tmp, download=False, checksums=sums)
    assert images.dtype == np.uint8 and images.shape == (6, 28, 28), "images should be uint8 (N, 28, 28)"
    assert np.array_equal(images, fake_images) and np.array_equal(labels, fake_labels), "the values should round-trip"
    try:
        load_mnist("test", root=tmp, download=False)         # made-up files do not match the real MNIST
        raise AssertionError("files that do not match the known checksums should be rejected")
    except ChecksumError as error:
        assert "t10k-images-idx3-ubyte.gz" in str(error), "the checksum error should name the file"
    try:
        load_mnist("train", root=tmp, download=False, checksums=sums)
        raise AssertionError("missing files with download=False should raise FileNotFoundError")
    except FileNotFoundError as error:
        assert "train-images-idx3-ubyte.gz" in str(error), "the error should name the missing file"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1)
_tr_x = _rng.integers(0, 256, size=(9, 28, 28), dtype=np.uint8)
_tr_y = _rng.integers(0, 10, size=9, dtype=np.uint8)
with tempfile.TemporaryDirectory() as _tmp:
    _sums = {"train-images-idx3-ubyte.gz": write_idx(Path(_tmp, "fashion-mnist", "train-images-idx3-ubyte.gz"), _tr_x),
             "train-labels-idx1-ubyte.gz": write_idx(Path(_tmp, "fashion-mnist", "train-labels-idx1-ubyte.gz"), _tr_y, compress=False)}
    _x, _y = load_mnist("train", root=Path(_tmp), kind="fashion-mnist", download=False, checksums=_sums)
    assert np.array_equal(_x, _tr_x) and np.array_equal(_y, _tr_y), "Fashion-MNIST should be read from <root>/fashion-mnist"
    assert _y.dtype == np.uint8 and _y.shape == (9,), "labels should be uint8 (N,)"
    _saved = os.environ.get("TINYTORCH_DATA")
    try:
        os.environ["TINYTORCH_DATA"] = _tmp
        _x2, _ = load_mnist("train", kind="fashion-mnist", download=False, checksums=_sums)
        assert np.array_equal(_x2, _tr_x), "without root, the loader should look in $TINYTORCH_DATA"
    finally:
        if _saved is None:
            os.environ.pop("TINYTORCH_DATA", None)
        else:
            os.environ["TINYTORCH_DATA"] = _saved
    try:
        load_mnist("train", root=_tmp, kind="mnist", download=False, checksums=_sums)
        raise AssertionError("kind='mnist' must not read the fashion-mnist folder")
    except FileNotFoundError as _e:
        assert str(Path(_tmp, "mnist")) in str(_e), "the error should say where the loader looked"
    _gz = Path(_tmp, "fashion-mnist", "train-images-idx3-ubyte.gz")
    _gz.rename(_gz.with_suffix(""))                          # keep only the gunzipped images file
    assert np.array_equal(load_mnist("train", root=_tmp, kind="fashion-mnist", download=False, checksums=_sums)[0], _tr_x), \
        "gunzipped files should be accepted (the checksum is of the content)"
    for _args in [dict(split="validation"), dict(kind="kmnist")]:
        try:
            load_mnist(root=_tmp, download=False, checksums=_sums, **_args)
            raise AssertionError("an unknown split or kind should raise ValueError")
        except ValueError as _e:
            assert not isinstance(_e, ChecksumError), "an unknown split or kind should be rejected before reading files"
    _bad = {"t10k-images-idx3-ubyte.gz": write_idx(Path(_tmp, "mnist", "t10k-images-idx3-ubyte.gz"), _tr_x[:, :27, :]),
            "t10k-labels-idx1-ubyte.gz": write_idx(Path(_tmp, "mnist", "t10k-labels-idx1-ubyte.gz"), _tr_y)}
    try:
        load_mnist("test", root=_tmp, download=False, checksums=_bad)
        raise AssertionError("images that are not (N, 28, 28) should raise ValueError")
    except ValueError:
        pass
    _bad = {"t10k-images-idx3-ubyte.gz": write_idx(Path(_tmp, "mnist", "t10k-images-idx3-ubyte.gz"), _tr_x),
            "t10k-labels-idx1-ubyte.gz": write_idx(Path(_tmp, "mnist", "t10k-labels-idx1-ubyte.gz"), _tr_y[:5])}
    try:
        load_mnist("test", root=_tmp, download=False, checksums=_bad)
        raise AssertionError("a different number of labels and images should raise ValueError")
    except ValueError:
        pass
    _saved_mirrors = dict(MIRRORS)
    try:
        _server = Path(_tmp, "server")
        _sums2 = {"t10k-images-idx3-ubyte.gz": write_idx(_server / "t10k-images-idx3-ubyte.gz", fake_images),
                  "t10k-labels-idx1-ubyte.gz": write_idx(_server / "t10k-labels-idx1-ubyte.gz", fake_labels)}
        MIRRORS["mnist"] = _server.as_uri() + "/"
        _x3, _y3 = load_mnist("test", root=Path(_tmp, "fresh"), download=True, checksums=_sums2)
        assert np.array_equal(_x3, fake_images) and np.array_equal(_y3, fake_labels), "downloaded files should be loaded"
        assert sorted(p.name for p in Path(_tmp, "fresh", "mnist").iterdir()) == sorted(_sums2), \
            "downloads should be saved in <root>/mnist under their own names"
        try:
            load_mnist("test", root=Path(_tmp, "fresh2"), download=True, checksums={})
            raise AssertionError("a download that does not match the known checksum should be rejected")
        except ChecksumError:
            pass
        assert not any(p.is_file() for p in Path(_tmp, "fresh2").rglob("*")), "a rejected download must not be kept"
        MIRRORS["mnist"] = "http://127.0.0.1:9/"
        try:
            load_mnist("test", root=Path(_tmp, "offline"), download=True)
            raise AssertionError("download=True without network should raise FileNotFoundError")
        except FileNotFoundError:
            pass
        assert not any(p.is_file() for p in Path(_tmp, "offline").rglob("*")), "an offline attempt must leave no files"
    finally:
        MIRRORS.clear()
        MIRRORS.update(_saved_mirrors)
### END HIDDEN TESTS
print("✅ Step 9: load_mnist works")

# %% [markdown]
# ## Step 10 · `load_cifar10`
#
# CIFAR-10 has 60000 colour images of 32 x 32 pixels in 10 classes (airplane, automobile, bird,
# ...). Its "python version" is a folder `cifar-10-batches-py/` with five training files
# `data_batch_1` ... `data_batch_5` (10000 images each) and one `test_batch`. Each file is a
# Python **pickle** of a dict:
#
# | key | value |
# |---|---|
# | `"data"` | uint8 array `(10000, 3072)`: each row is one image, the 1024 red values, then 1024 green, then 1024 blue (each 32 x 32, row-major) |
# | `"labels"` | a list of 10000 ints in 0..9 |
#
# The files were written by Python 2. Load them with `pickle.loads(data, encoding="latin1")`
# (torchvision does the same); depending on how a file was written its keys may be `str` or
# `bytes`, so accept both (`b"data"` as well as `"data"`).
#
# `load_cifar10(split="train", root=None, download=True, *, checksums=None)` returns
# `(images, labels)`: images `uint8 (N, 32, 32, 3)` (channels **last**, the layout image files and
# matplotlib use), labels `uint8 (N,)`, the batches concatenated in order.
#
# ```
# row (3072,) --reshape--> (3, 32, 32) channels first --transpose(1, 2, 0)--> (32, 32, 3)
# for a whole batch:  data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
# ```
#
# The given part of the function finds (or downloads and unpacks) the files; you write the
# rest: for each file name, read the bytes, `verify_checksum(..., "md5", name)` **before**
# `pickle.loads` (never unpickle unverified data), then reshape and concatenate. Return a
# C-contiguous images array (`np.ascontiguousarray`): a transpose is a strided view (module 01),
# and every later batch gather would pay for it.

# %% nbgrader={"grade": false, "grade_id": "load-cifar10", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _file_md5(path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _ensure_cifar10(root: Path, names, download: bool, table: dict) -> Path:
    """Given: the folder with the CIFAR-10 batch files `names`, downloading and unpacking the
    official archive if some are missing and `download` is true; FileNotFoundError otherwise."""
    folder = root / CIFAR10_FOLDER
    missing = [n for n in names if not (folder / n).is_file()]
    if not missing:
        return folder
    url = MIRRORS["cifar-10"] + CIFAR10_ARCHIVE
    if not download:
        raise FileNotFoundError(
            f"CIFAR-10 file {missing[0]} not found in {folder}. Download {url} and unpack it into {root} "
            f"(it creates {CIFAR10_FOLDER}/), or set TINYTORCH_DATA to a data folder that has "
            f"{CIFAR10_FOLDER}/, or pass download=True on a machine with internet access.")

    def check_archive(part):
        actual = _file_md5(part)
        if actual != table.get(CIFAR10_ARCHIVE, "").lower():
            raise ChecksumError(f"{CIFAR10_ARCHIVE}: md5 checksum mismatch (expected "
                                f"{table.get(CIFAR10_ARCHIVE)}, got {actual}): the download is damaged")

    archive = fetch(CIFAR10_ARCHIVE, root, url, download=True, verify=check_archive)
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:*") as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            # only regular files directly inside cifar-10-batches-py/: no links, no "../" tricks
            if member.isfile() and len(parts) == 2 and parts[0] == CIFAR10_FOLDER:
                part = folder / (parts[1] + ".part")
                with tar.extractfile(member) as src, open(part, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                os.replace(part, folder / parts[1])
    still_missing = [n for n in names if not (folder / n).is_file()]
    if still_missing:
        raise FileNotFoundError(f"{archive} did not contain {CIFAR10_FOLDER}/{still_missing[0]}")
    return folder


def load_cifar10(split="train", root=None, download=True, *, checksums=None):
    """(images uint8 (N, 32, 32, 3), labels uint8 (N,)) of CIFAR-10, every batch file MD5-verified."""
    if split not in CIFAR10_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    table = {**CIFAR10_MD5, **(checksums or {})}
    names = CIFAR10_FILES[split]
    folder = _ensure_cifar10(data_root(root), names, download, table)
    ### BEGIN SOLUTION
    images, labels = [], []
    for name in names:
        data = (folder / name).read_bytes()
        verify_checksum(data, table.get(name), "md5", name)     # before unpickling: pickle can run code
        batch = pickle.loads(data, encoding="latin1")
        batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
        images.append(np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.append(np.asarray(batch["labels"], dtype=np.uint8))
    x = np.ascontiguousarray(np.concatenate(images).transpose(0, 2, 3, 1))
    return x, np.concatenate(labels)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-load-cifar10", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(3)
cifar_images = rng.integers(0, 256, size=(4, 32, 32, 3), dtype=np.uint8)
cifar_labels = np.array([3, 8, 8, 0])
with tempfile.TemporaryDirectory() as tmp:
    md5 = write_cifar_batch(Path(tmp, "cifar-10-batches-py", "test_batch"), cifar_images, cifar_labels)
    images, labels = load_cifar10("test", root=tmp, download=False, checksums={"test_batch": md5})
    assert images.shape == (4, 32, 32, 3) and images.dtype == np.uint8, "images should be uint8 (N, 32, 32, 3)"
    assert np.array_equal(images, cifar_images), "pixels should come back in (N, H, W, C) order"
    assert np.array_equal(labels, cifar_labels) and labels.shape == (4,), "labels should be the list from the pickle"
    try:
        load_cifar10("test", root=tmp, download=False)
        raise AssertionError("a batch file that does not match the known MD5 should be rejected")
    except ChecksumError as error:
        assert "test_batch" in str(error), "the checksum error should name the file"
### BEGIN HIDDEN TESTS
import pickle as _pickle

_rng = np.random.default_rng(4)
with tempfile.TemporaryDirectory() as _tmp:
    _parts_x, _parts_y, _sums = [], [], {}
    for _i in range(1, 6):
        _xi = _rng.integers(0, 256, size=(_i, 32, 32, 3), dtype=np.uint8)
        _yi = _rng.integers(0, 10, size=_i)
        _sums[f"data_batch_{_i}"] = write_cifar_batch(Path(_tmp, "cifar-10-batches-py", f"data_batch_{_i}"), _xi, _yi)
        _parts_x.append(_xi)
        _parts_y.append(_yi)
    _x, _y = load_cifar10("train", root=_tmp, download=False, checksums=_sums)
    assert _x.shape == (15, 32, 32, 3) and np.array_equal(_x, np.concatenate(_parts_x)), \
        "the five training batches should be concatenated in order"
    assert np.array_equal(_y, np.concatenate(_parts_y)), "training labels should be concatenated in order"
    assert _y.dtype == np.uint8, "labels should be uint8"
    assert _x.flags.c_contiguous, "the images array should be C-contiguous"
    _rows = _pickle.loads(Path(_tmp, "cifar-10-batches-py", "data_batch_2").read_bytes())["data"]
    assert _x[1, 0, 0, 0] == _rows[0, 0] and _x[1, 0, 0, 1] == _rows[0, 1024] and _x[1, 0, 1, 2] == _rows[0, 2049], \
        "each row holds all red values, then green, then blue"
    _bkeys = {b"data": np.asarray(_parts_x[0]).transpose(0, 3, 1, 2).reshape(1, 3072), b"labels": [7]}
    Path(_tmp, "cifar-10-batches-py", "test_batch").write_bytes(_pickle.dumps(_bkeys, protocol=2))
    _xt, _yt = load_cifar10("test", root=_tmp, download=False,
                            checksums={"test_batch": hashlib.md5(Path(_tmp, "cifar-10-batches-py", "test_batch").read_bytes()).hexdigest()})
    assert np.array_equal(_xt, _parts_x[0]) and _yt.tolist() == [7], "bytes keys (b'data', b'labels') should work too"

    class _Boom:
        def __reduce__(self):
            return (exec, ("raise RuntimeError('unpickled before verifying')",))

    Path(_tmp, "cifar-10-batches-py", "test_batch").write_bytes(_pickle.dumps({"data": _Boom(), "labels": []}))
    try:
        load_cifar10("test", root=_tmp, download=False, checksums={"test_batch": "0" * 32})
        raise AssertionError("a batch with a wrong checksum should raise ChecksumError")
    except ChecksumError as _e:
        assert "test_batch" in str(_e), "the checksum error should name the file"
    except RuntimeError:
        raise AssertionError("the pickle was loaded before its checksum was verified") from None
    Path(_tmp, "cifar-10-batches-py", "data_batch_3").unlink()
    try:
        load_cifar10("train", root=_tmp, download=False, checksums=_sums)
        raise AssertionError("a missing batch with download=False should raise FileNotFoundError")
    except FileNotFoundError as _e:
        assert "data_batch_3" in str(_e) and "TINYTORCH_DATA" in str(_e), "the error should name the file and how to get it"
    _saved_mirrors = dict(MIRRORS)
    try:
        MIRRORS["cifar-10"] = "http://127.0.0.1:9/"
        try:
            load_cifar10("train", root=Path(_tmp, "offline"), download=True)
            raise AssertionError("download=True without network should raise FileNotFoundError")
        except FileNotFoundError:
            pass
        assert not Path(_tmp, "offline").exists() or not any(p.is_file() for p in Path(_tmp, "offline").rglob("*")), \
            "an offline attempt must leave no files"
    finally:
        MIRRORS.clear()
        MIRRORS.update(_saved_mirrors)
### END HIDDEN TESTS
print("✅ Step 10: load_cifar10 works")

# %% [markdown]
# ## Systems analysis: what the input pipeline costs
#
# Your pipeline is complete. Now measure it. If real MNIST is available (the course sets
# `TINYTORCH_DATA` on the hub; or you downloaded it to `~/.tinytorch/data`), the cells below use
# it; otherwise they fall back to random `uint8` images of the same shape and say so. The numbers
# are measured on this machine and are not graded.
#
# ### 1. Bytes: keep the dataset in uint8

# %%
import ctypes
import ctypes.util
import time

import matplotlib.pyplot as plt

# As in module 02: ask glibc to keep freed memory instead of returning multi-MB arrays to the
# operating system after every batch, which makes timings swing wildly. Skipped where not glibc.
try:
    _libc = ctypes.CDLL(ctypes.util.find_library("c"))
    _libc.mallopt(-3, 32 * 2**20)  # M_MMAP_THRESHOLD
    _libc.mallopt(-1, 2**30)       # M_TRIM_THRESHOLD
except (OSError, AttributeError, TypeError):
    pass

try:
    train_x, train_y = load_mnist("train", download=False)
    source = f"real MNIST from {data_root() / 'mnist'}"
except (FileNotFoundError, ValueError) as error:
    gen = np.random.default_rng(0)
    train_x = gen.integers(0, 256, size=(60000, 28, 28), dtype=np.uint8)
    train_y = gen.integers(0, 10, size=60000, dtype=np.uint8)
    source = f"synthetic uint8 data of MNIST's shape (no real MNIST: {type(error).__name__})"
print("training data:", source)
print(f"pixel mean / std after /255 (first 10000 images): {train_x[:10000].mean() / 255:.4f} / "
      f"{train_x[:10000].std() / 255:.4f}"
      "   (real MNIST: 0.1307 / 0.3081, the constants of torchvision's Normalize)")

n_pixels = train_x.size
for dtype in (np.uint8, np.float32, np.float64):
    nbytes = n_pixels * np.dtype(dtype).itemsize
    print(f"MNIST train images as {np.dtype(dtype).name:>7}: {nbytes:>13,} bytes = {nbytes / 2**20:7.1f} MiB")
print(f"measured: train_x.nbytes = {train_x.nbytes:,} bytes ({train_x.dtype})")
batch_bytes = 128 * 784 * 4
print(f"one normalised float32 batch of 128: {batch_bytes:,} bytes = {batch_bytes / 2**10:.0f} KiB")
print(f"CIFAR-10 train (50000 x 32 x 32 x 3): {50000 * 3072:,} bytes as uint8, {50000 * 3072 * 4 / 2**20:.0f} MiB as float32")

# %% [markdown]
# Converting the whole of MNIST to float32 up front would quadruple its memory (47 MB → 188 MB;
# float64, NumPy's default, is 8x). Keeping the dataset in `uint8` and letting `transform` convert
# **one batch at a time** costs only the batch's 400 KB of floats, recomputed every epoch. On
# ImageNet-sized data (hundreds of GB of JPEGs) there is no choice: only the current batches are
# ever decoded into floats.
#
# ### 2. Throughput: batches per second against batch size
#
# Every batch has a fixed cost (Python calls, creating Tensors, a NumPy call per array) plus a cost
# per example (copying its bytes). Small batches pay the fixed cost many times per epoch. We time
# one epoch over 5000 examples for several batch sizes, three ways:
#
# - **TensorDataset**: one vectorised gather per batch (your fast path);
# - **TensorDataset + transform**: the same plus `normalize` and `flatten` on each batch;
# - **per-example Dataset**: a `Dataset` subclass that returns one example at a time, collated
#   with `default_collate` (what every custom dataset costs; measured on 2000 examples).

# %%
class ExampleByExample(Dataset):
    """Wraps arrays but answers only one example at a time (like a dataset reading files)."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def epoch_seconds(loader, repeats=2):
    """Fastest of `repeats` full passes over the loader, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _batch in loader:
            pass
        best = min(best, time.perf_counter() - start)
    return best


n_small = 5000
fast_ds = TensorDataset(train_x[:n_small], train_y[:n_small])
slow_ds = ExampleByExample(train_x[:2000], train_y[:2000])
pipeline = compose(normalize(0.1307, 0.3081), flatten)
batch_sizes = [1, 4, 16, 64, 256, 1024]
rates = {"TensorDataset": [], "TensorDataset + transform": [], "per-example Dataset": []}
for bs in batch_sizes:
    for name, ds, kwargs in [("TensorDataset", fast_ds, {}),
                             ("TensorDataset + transform", fast_ds, {"transform": pipeline}),
                             ("per-example Dataset", slow_ds, {})]:
        loader = DataLoader(ds, batch_size=bs, shuffle=True, seed=0, **kwargs)
        seconds = epoch_seconds(loader, repeats=1 if bs == 1 else 3)
        rates[name].append(len(ds) / seconds)

print(f"{'batch size':>10} " + " ".join(f"{name:>27}" for name in rates))
for i, bs in enumerate(batch_sizes):
    print(f"{bs:>10} " + " ".join(f"{rates[name][i]:>17,.0f} samples/s" for name in rates))

fig, (ax_s, ax_b) = plt.subplots(1, 2, figsize=(11, 4))
for name, r in rates.items():
    ax_s.loglog(batch_sizes, r, "o-", label=name)
    ax_b.loglog(batch_sizes, [v / bs for v, bs in zip(r, batch_sizes)], "o-", label=name)
ax_s.set_xlabel("batch size")
ax_s.set_ylabel("examples per second")
ax_s.set_title("DataLoader throughput (one shuffled epoch)")
ax_b.set_xlabel("batch size")
ax_b.set_ylabel("batches per second")
ax_b.set_title("batches per second")
ax_s.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the plot: with the vectorised gather, examples per second grow almost linearly with the
# batch size until the fixed per-batch overhead is negligible and copying bytes dominates; then
# the curve flattens. The transform adds a few passes over every batch's float32 copy, which
# caps its curve lower. The per-example dataset levels off early, far below the vectorised one:
# once the per-batch overhead is amortised, what remains is one Python call per example,
# whatever the batch size. This is why PyTorch's `DataLoader` runs per-example datasets
# in several worker **processes** (`num_workers=4`) and added the batched `__getitems__` protocol.
#
# ### 3. The cost of shuffling
#
# A shuffled batch is a **fancy-index gather**, `x[idx]`: NumPy copies rows from random places
# in memory into a new array. Without shuffling a batch could be a **slice** `x[a:b]`, a free
# view (module 01). How much does randomness cost over a whole epoch?

# %%
def best_time(fn, repeats=3):
    """Fastest of `repeats` runs of fn(), in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


gen = np.random.default_rng(0)
n_train = len(train_x)
perm = gen.permutation(n_train)
t_perm = best_time(lambda: gen.permutation(n_train))
t_gather = best_time(lambda: train_x[perm], repeats=2)
t_copy = best_time(lambda: train_x.copy(), repeats=2)
t_views = best_time(lambda: [train_x[i:i + 128] for i in range(0, n_train, 128)])
t_gather_batches = best_time(lambda: [train_x[perm[i:i + 128]] for i in range(0, n_train, 128)], repeats=2)
mb = train_x.nbytes / 1e6
print(f"draw a permutation of {n_train}        : {t_perm * 1e3:7.2f} ms")
print(f"slices x[a:b], 469 batches (views)   : {t_views * 1e3:7.2f} ms   (no bytes copied)")
print(f"sequential copy x.copy()             : {t_copy * 1e3:7.2f} ms   ({mb / t_copy / 1e3:.1f} GB/s)")
print(f"shuffled gather x[perm], one call    : {t_gather * 1e3:7.2f} ms   ({mb / t_gather / 1e3:.1f} GB/s, "
      f"{t_gather / t_copy:.1f}x the sequential copy)")
print(f"shuffled gather in batches of 128    : {t_gather_batches * 1e3:7.2f} ms per epoch")

# %% [markdown]
# Each MNIST image is 784 contiguous bytes, so a gather still reads whole rows (many cache lines
# each): a shuffled epoch costs a small multiple of one sequential copy of the dataset, tens of
# milliseconds, against seconds for one epoch of training. Gathering batch by batch adds the
# per-call overhead you saw in the plot. The randomness is cheap because the
# rows are big. It would not be if the "rows" were tiny (a gather of single bytes is
# one random memory access per byte), or if the data lived on disk, where random reads are
# orders of magnitude slower than sequential ones; that is why large datasets are stored in
# pre-shuffled shards and shuffled only within a buffer.

# %% [markdown]
# ## Integration test: from files to batches
#
# The whole pipeline: idx files on disk → `load_mnist` (found, verified, parsed) → `TensorDataset`
# → a shuffled, seeded `DataLoader` with `normalize` and `flatten` → batches that a classifier can
# use. The fake digits are easy on purpose (digit k has a bright band in rows 2k and 2k+1), so a
# nearest-class-mean classifier computed from the batches must get them all right.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(8)
n = 100
digits = np.arange(n) % 10
rng.shuffle(digits)
imgs = rng.integers(0, 40, size=(n, 28, 28), dtype=np.uint8)
for i, d in enumerate(digits):
    imgs[i, 2 * d:2 * d + 2, :] = 250
with tempfile.TemporaryDirectory() as tmp:
    sums = {"train-images-idx3-ubyte.gz": write_idx(Path(tmp, "mnist", "train-images-idx3-ubyte.gz"), imgs),
            "train-labels-idx1-ubyte.gz": write_idx(Path(tmp, "mnist", "train-labels-idx1-ubyte.gz"), digits.astype(np.uint8))}
    images, labels = load_mnist("train", root=tmp, download=False, checksums=sums)

loader = DataLoader(TensorDataset(images, labels), batch_size=16, shuffle=True, seed=0,
                    transform=compose(normalize(0.1307, 0.3081), flatten))
assert len(loader) == 7, "100 examples in batches of 16 make 7 batches"
sums_per_class, counts = np.zeros((10, 784)), np.zeros(10)
seen_labels = []
for x, y in loader:
    assert x.dtype == np.float32 and x.shape[1:] == (784,), "batches should be flattened float32"
    np.add.at(sums_per_class, y.data, x.data)
    np.add.at(counts, y.data, 1)
    seen_labels.append(y.data)
assert sorted(np.concatenate(seen_labels).tolist()) == sorted(digits.tolist()), "one epoch should visit every example once"
means = sums_per_class / counts[:, None]
correct = 0
for x, y in loader:
    predictions = np.argmin(((x.data[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    correct += int((predictions == y.data).sum())
assert correct == n, "a nearest-class-mean classifier on these easy digits should be perfect"
### BEGIN HIDDEN TESTS
_x0 = next(iter(DataLoader(TensorDataset(images, labels), batch_size=100, transform=compose(normalize(0.1307, 0.3081), flatten))))[0]
assert np.allclose(_x0.data, ((images.reshape(100, 784) / 255.0) - 0.1307) / 0.3081, atol=1e-5), \
    "normalize then flatten should give (x / 255 - mean) / std per pixel"
_a = [[y.data.tolist() for _, y in _l] for _l in [DataLoader(TensorDataset(images, labels), 16, shuffle=True, seed=0)] for _ in range(2)]
_b = [[y.data.tolist() for _, y in _l] for _l in [DataLoader(TensorDataset(images, labels), 16, shuffle=True, seed=0)] for _ in range(2)]
assert _a == _b and _a[0] != _a[1], "same seed, same epochs; a new order each epoch"
assert [len(y) for y in _a[0]] == [16] * 6 + [4], "the last batch holds the remaining 4 examples"
assert len(list(DataLoader(TensorDataset(images, labels), 16, drop_last=True))) == 6, "drop_last should give 6 full batches"
_cimg = np.repeat(images[:10, :, :, None], 3, axis=3)[:, :, :, :]
_cimg = np.pad(_cimg, ((0, 0), (2, 2), (2, 2), (0, 0)))
with tempfile.TemporaryDirectory() as _tmp:
    _md5 = write_cifar_batch(Path(_tmp, "cifar-10-batches-py", "test_batch"), _cimg, labels[:10])
    _cx, _cy = load_cifar10("test", root=_tmp, download=False, checksums={"test_batch": _md5})
_cb = list(DataLoader(TensorDataset(_cx, _cy), batch_size=4, transform=normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))))
assert [b[0].shape for b in _cb] == [(4, 32, 32, 3), (4, 32, 32, 3), (2, 32, 32, 3)], "CIFAR batches should be (B, 32, 32, 3)"
assert _cb[0][0].dtype == np.float32 and np.array_equal(np.concatenate([b[1].data for b in _cb]), labels[:10]), \
    "CIFAR images and labels should flow through the loader"
### END HIDDEN TESTS
print("✅ Integration: files -> verified arrays -> shuffled, normalised batches")

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences. Use numbers from your own runs
# where they help. These are graded by hand.
#
# **Q1 (6 points): shuffling and seeds.** (a) The MNIST training files happen to be in random
# order, but many datasets are stored sorted by class. What goes wrong if you train with
# `shuffle=False` on data sorted by label, and why does the *same* fixed order every epoch (even a
# random-looking one) still do worse than a fresh permutation per epoch? (b) Your loader creates
# its generator once, in `__init__`. What would happen if `__iter__` called
# `np.random.default_rng(self.seed)` instead? (c) Two students run the same code with `seed=0`
# and get different accuracies. Name two sources of randomness other than the loader's
# shuffle that could explain it.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-shuffle", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Sorted data gives batches that contain one class only: each
# gradient step pulls the model towards the current class, the model "forgets" earlier classes
# (it predicts whatever it saw last) and the loss oscillates; SGD's assumption that a mini-batch
# is an unbiased sample of the data is broken. A fixed order, even a random one, makes the
# sequence of gradient steps identical every epoch, so its biases (which examples come late, which
# examples always share a batch) repeat and accumulate; a fresh permutation averages them out and
# gives different batch compositions each epoch (better generalisation). (b) Re-seeding in every
# `__iter__` produces the identical permutation every epoch: the run is reproducible but every
# epoch has the same order, exactly the fixed-order problem of (a). (c) Weight initialisation
# (module 03's rng), dropout masks, data augmentation, a different seed somewhere else, different
# library versions or hardware (floating-point summation order, BLAS threads), non-deterministic
# parallel kernels on GPUs.
# Grading: (a) 3 points (class-sorted batches / biased gradients / forgetting, and why a fixed order
# repeats its bias), (b) 1 point (same order every epoch), (c) 2 points (two valid sources).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-checksum-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (6 points): trusting files.** (a) Why do we hash the *decompressed* MNIST content rather
# than the `.gz` file as downloaded? (b) MD5 is considered broken for security. Why is it still
# acceptable for detecting a truncated CIFAR-10 download, and what would you use if a malicious
# mirror were a concern? Why is verifying *before* `pickle.loads` essential for CIFAR-10 in a way
# it is not for MNIST's idx files? (c) `fetch` writes `name.part` and renames it at the end. What
# failure does this prevent? Describe what a student would experience without it.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-checksum", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) A gzip file records a timestamp, an optional file name, the
# compression level and the compressor's implementation; two correct copies of the same data can
# therefore differ byte for byte as .gz files (a mirror that recompresses, a user who gunzips the
# file). The decompressed content is what we actually use and is identical for every correct copy,
# so we verify that; it also lets us accept raw and compressed files with one checksum.
# (b) Accidental damage (truncation, bit flips) is not adversarial: the chance that a random
# corruption keeps the same 128-bit MD5 is ~2⁻¹²⁸. An attacker, however, can build two files with
# the same MD5, so for a malicious mirror use SHA-256 (with the expected value from a trusted
# source, over HTTPS). Verifying before unpickling is essential because `pickle.loads` executes
# whatever callables the pickle names (`__reduce__`): a tampered CIFAR file could run arbitrary
# code on the student's or the grader's machine. The idx parser only reads numbers: a bad idx file
# can at worst give wrong data or a ValueError. (c) It prevents a half-written file at the final
# name: if the download is interrupted (network drop, Ctrl-C, disk full) the next run would find
# `train-images-idx3-ubyte.gz`, consider it present and fail with a confusing gzip/checksum error
# (or, without checksums, silently train on part of the data) until the student finds and deletes
# the file by hand. With `.part` + atomic `os.replace`, the final name only ever holds a complete,
# verified file, and the next run simply downloads again.
# Grading: 2 points per part.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-throughput-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (5 points): the pipeline's cost.** Use your measurements. (a) Report examples per second at
# batch size 1 and 256 for the `TensorDataset` and for the per-example `Dataset`, and explain the
# shapes of the curves. (b) A model trains at 20,000 examples per second. Which of your
# configurations would keep it busy, and which would make it wait for data? (c) Why do we keep
# MNIST in `uint8` and normalise each batch instead of normalising the whole dataset once? Give
# the memory numbers, and name one situation where normalising once up front would be the better
# choice.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-throughput", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Numbers vary by machine; on the course machines the
# TensorDataset does ~100-150k examples/s at batch size 1 (one batch costs ~7 µs) and ~10M/s at
# 256, while the per-example Dataset does ~50k/s at batch size 1 and levels off below ~1M/s from
# batch size 16-64 on. Each batch has a fixed Python/NumPy overhead (a few µs: index slicing,
# creating Tensors, calls) plus a per-byte copy cost; with the vectorised gather the fixed cost is
# amortised over the batch, so throughput grows ~linearly with the batch size until copying
# dominates and the curve flattens. The per-example dataset also amortises its per-batch overhead,
# but then pays a Python call (plus collation work) per example, so larger batches stop helping. (b) Answers must
# use their numbers: the TensorDataset at moderate batch sizes (≥ 16-64) is far above 20k/s, the
# per-example dataset is marginal, batch size 1 (and, depending on the machine, the transform at
# small batches) is too slow; remedies: bigger batches, vectorised datasets, worker processes,
# prefetching. (c) uint8 MNIST is 47 MB; float32 188 MB; float64 376 MB. Per-batch conversion
# costs 400 KB for a batch of 128 and a little compute each epoch. Normalising once is better when
# the data is small and the transform is expensive relative to training (e.g. a tiny model on a
# small dataset, where the per-epoch conversion shows in the profile) or when the data is reused
# many times on a device with plenty of memory (e.g. cache preprocessed tensors on the GPU).
# Grading: (a) 2 points (own numbers + fixed vs per-example cost), (b) 1 point, (c) 2 points
# (memory numbers + one valid situation).
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes your `#| export` cells to
# `tinytorch/dataloader.py`, so that later modules can
# `from tinytorch.dataloader import DataLoader, load_mnist`, and checks that the file imports cleanly.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("08_dataloader");
