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
# # Module 17 · Memoization: a KV cache for TinyGPT
#
# **Expected time:** 2–3 hours. **Difficulty:** ★★★☆☆ (little code; the care goes into positions,
# the causal mask and bookkeeping, and the result must be *exactly* the same tokens).
#
# Your `TinyGPT.generate` (module 13) runs the **whole** context through the model for every new
# token. Token 200 recomputes the keys and values of the 199 tokens before it, which have not
# changed since the previous step. In this module you store them instead:
#
# | step | you build | the idea | PyTorch / Hugging Face equivalent |
# |---|---|---|---|
# | 1 | `cache_bytes` | what the cache costs in memory | the "KV cache size" of every LLM serving guide |
# | 2 | `KVCache.append`, `KVCache.get` | preallocated buffers, views up to the current length | `transformers.StaticCache` |
# | 3 | `attend_cached` | attention of the new positions over every cached key | `past_key_value` in `LlamaAttention.forward` |
# | 4 | `forward_cached` | a TinyGPT forward pass for the new tokens only | `model(input_ids, past_key_values=...)` |
# | 5 | `generate_cached` | generation that reuses the cache | `model.generate(use_cache=True)` |
#
# The rule of the module: an optimisation must not change the output. Greedy generation with the
# cache must give **token for token** the ids of `TinyGPT.generate`, and a seeded sample the same
# sample. Then you measure what it buys.

# %% [markdown]
# ## Why it matters: how PyTorch does it
#
# ```python
# from transformers import AutoModelForCausalLM
# model = AutoModelForCausalLM.from_pretrained("gpt2")
# out = model.generate(ids, max_new_tokens=256, use_cache=True)     # the default
#
# # what happens inside, one step:
# logits, past = model(next_id, past_key_values=past)               # only the NEW token goes in
# ```
#
# In causal attention, position t attends to positions 0..t. Appending a token changes nothing
# before it: the keys `k_j = x_j W_k` and values `v_j = x_j W_v` of every earlier position, in every
# layer, are the same as one step ago. A **KV cache** keeps them. Each step then runs only the new
# token through the model: its q, k and v, attention of its one query over all cached keys, the
# MLP for one position, and the head for one position.
#
# ```
#  without cache, step t:  [x_0 x_1 ... x_t] ─► every layer on t+1 positions ─► logits of x_t
#  with cache,    step t:              [x_t] ─► every layer on 1 position ──► logits of x_t
#                                         q_t attends over  K = [k_0 ... k_t],  V = [v_0 ... v_t]
#                                                           └─ cached ─┘ new
# ```
#
# Per step, the work drops from O(t·d² + t²·d) to O(d² + t·d): for long generations this is the
# difference between quadratic and linear total cost. The price is memory: two arrays per layer
# that grow with the sequence.

# %% [markdown]
# ## Setup
#
# The first cell is exported into `tinytorch/memoization.py`. It imports modules 12 and 13 and
# gives you `choose_next(logits, temperature, top_k, rng)`, exactly the choice `TinyGPT.generate`
# makes from the last position's logits (greedy argmax, or temperature, top-k, float64 softmax and
# module 13's `sample_next`), so that both generators draw the same tokens.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import numpy as np
from tinytorch.attention import merge_heads, scaled_dot_product_attention, split_heads
from tinytorch.autograd import no_grad
from tinytorch.tensor import Tensor
from tinytorch.transformers import TinyGPT, sample_next

__all__ = ["cache_bytes", "KVCache", "attend_cached", "forward_cached", "choose_next", "generate_cached"]


def choose_next(logits, temperature, top_k, rng):
    """Given: next ids (N,) from the last position's logits (N, V), exactly as TinyGPT.generate chooses."""
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return logits.argmax(axis=-1).astype(np.int64)
    logits = logits / temperature
    if top_k is not None:
        kth = np.sort(logits, axis=-1)[:, -min(top_k, logits.shape[-1])][:, None]
        logits = np.where(logits < kth, -np.inf, logits)
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return sample_next(probs / probs.sum(axis=-1, keepdims=True), rng)


# %% [markdown]
# The test cells check your results with three small functions (`expect`, `expect_close`,
# `expect_raises`). When a check fails, it shows what your code returned next to what was expected.

# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · What the cache costs
#
# For every layer the cache holds one key and one value vector per head and per position, each
# `head_dim` float32 numbers (4 bytes):
#
# ```
# bytes = 2 (K and V) × num_layers × batch × num_heads × T × head_dim × 4
# ```
#
# Since `num_heads × head_dim = dim`, this is `8 · L · batch · T · dim` bytes: for the milestone's
# baby GPT (4 layers, dim 128) 4 KiB per token; for GPT-2 small (12 layers, dim 768) 72 KiB per
# token, 144 MiB for one 2,048-token conversation. Implement `cache_bytes` and return a Python `int`.

# %% nbgrader={"grade": false, "grade_id": "cache-bytes", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def cache_bytes(num_layers, num_heads, T, head_dim, batch=1):
    """Bytes of a float32 KV cache: keys and values for every layer, sequence, head and position."""
    ### BEGIN SOLUTION
    return int(2 * num_layers * batch * num_heads * T * head_dim * 4)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-cache-bytes", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
expect(cache_bytes(num_layers=4, num_heads=4, T=1, head_dim=32), 4096,
       "baby GPT: 2 (K and V) x 4 layers x 4 heads x 32 floats x 4 bytes per token")
expect(cache_bytes(num_layers=12, num_heads=12, T=2048, head_dim=64), 150994944,
       "GPT-2 small, 2,048 tokens: 144 MiB")
expect(cache_bytes(num_layers=2, num_heads=3, T=10, head_dim=5, batch=4), 9600, "the batch multiplies everything")
expect(type(cache_bytes(1, 1, 1, 1)).__name__, "int", "a Python int")
### BEGIN HIDDEN TESTS
_sizes = np.random.default_rng(17).integers(1, 9, (3, 5))
for _l, _h, _t, _d, _b in _sizes:
    expect(cache_bytes(_l, _h, _t, _d, batch=_b), int(8 * _l * _h * _t * _d * _b), "random sizes")
expect(cache_bytes(3, 2, 0, 8), 0, "an empty sequence takes no bytes")
### END HIDDEN TESTS
print("✅ Step 1: cache_bytes counts keys and values")

# %% [markdown]
# ## Step 2 · The cache: preallocated, appended, read as views
#
# Growing a list of arrays, or `np.concatenate` at every step, copies the whole cache each time:
# O(t) work per token again, and the memory allocator churns. Instead `KVCache` allocates **once**
# two float32 arrays of shape `(num_layers, batch, num_heads, max_len, head_dim)` and keeps a write
# position per layer. Given: the constructor, `length` (the positions stored in the last layer),
# `nbytes` (of both buffers) and `reset()`.
#
# Implement:
#
# - `append(layer, k, v)`: `k` and `v` have shape `(batch, num_heads, t, head_dim)` (t new
#   positions, t = the prompt length at the first call, then 1). Copy them into the buffers at
#   positions `lengths[layer] .. lengths[layer] + t` and advance `lengths[layer]`. Raise
#   `ValueError` if they would not fit in `max_len` (before writing anything).
# - `get(layer)`: the keys and values stored so far, `(batch, num_heads, length, head_dim)`, as
#   **views** of the buffers (a slice, no copy: reading the cache must cost nothing).

# %% nbgrader={"grade": false, "grade_id": "kv-cache", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class KVCache:
    """Preallocated keys and values (num_layers, batch, num_heads, max_len, head_dim) for generation."""

    def __init__(self, num_layers, batch, num_heads, max_len, head_dim):
        shape = (num_layers, batch, num_heads, max_len, head_dim)
        self.max_len = max_len
        self.keys = np.zeros(shape, dtype=np.float32)
        self.values = np.zeros(shape, dtype=np.float32)
        self.lengths = [0] * num_layers

    @property
    def length(self):
        """Given: positions stored so far (in the last layer: complete after a whole forward pass)."""
        return self.lengths[-1]

    @property
    def nbytes(self):
        """Given: bytes of the two buffers."""
        return int(self.keys.nbytes + self.values.nbytes)

    def reset(self):
        """Given: forget every position (the buffers are reused, not reallocated)."""
        self.lengths = [0] * len(self.lengths)

    def append(self, layer, k, v):
        """Store k, v (batch, num_heads, t, head_dim) after the positions already in `layer`."""
        ### BEGIN SOLUTION
        start, t = self.lengths[layer], k.shape[-2]
        if start + t > self.max_len:
            raise ValueError(f"the cache holds {self.max_len} positions; {start} + {t} do not fit")
        self.keys[layer, :, :, start:start + t] = k
        self.values[layer, :, :, start:start + t] = v
        self.lengths[layer] = start + t
        ### END SOLUTION

    def get(self, layer):
        """(keys, values) of `layer` so far, views of shape (batch, num_heads, length, head_dim)."""
        ### BEGIN SOLUTION
        n = self.lengths[layer]
        return self.keys[layer, :, :, :n], self.values[layer, :, :, :n]
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-kv-cache", "locked": true, "points": 16, "schema_version": 3, "solution": false, "task": false}
cache = KVCache(num_layers=2, batch=1, num_heads=2, max_len=4, head_dim=3)
expect([cache.keys.shape, str(cache.keys.dtype), cache.nbytes], [(2, 1, 2, 4, 3), "float32", 384],
       "two preallocated float32 buffers of 2 x 1 x 2 x 4 x 3 numbers")
k = np.arange(12, dtype=np.float32).reshape(1, 2, 2, 3)
cache.append(0, k, -k)
keys, values = cache.get(0)
expect(keys.shape, (1, 2, 2, 3), "after appending 2 positions to layer 0, get returns 2 positions")
expect(keys, k, "the keys as appended")
expect(values, -k, "the values as appended")
cache.append(0, np.full((1, 2, 1, 3), 7.0, np.float32), np.ones((1, 2, 1, 3), np.float32))
keys, values = cache.get(0)
expect(keys[0, :, :, 0], [[0.0, 3.0, 7.0], [6.0, 9.0, 7.0]],
       "a third position goes AFTER the first two, in every head")
expect(values[0, 1, :, 2], [-8.0, -11.0, 1.0], "values of head 1, last feature, positions 0..2")
expect(cache.get(1)[0].shape, (1, 2, 0, 3), "layer 1 has its own length (nothing appended yet)")
expect(np.shares_memory(cache.get(0)[0], cache.keys), True, "get returns a view of the buffer, not a copy")
with expect_raises(ValueError, "3 stored + 2 new positions do not fit in max_len = 4"):
    cache.append(0, np.zeros((1, 2, 2, 3), np.float32), np.zeros((1, 2, 2, 3), np.float32))
expect(cache.get(0)[0].shape, (1, 2, 3, 3), "a rejected append changes nothing")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(170)
_c = KVCache(3, 2, 4, 6, 5)
_ks = [_rng.standard_normal((2, 4, _t, 5)).astype(np.float32) for _t in (3, 1, 2)]
for _k in _ks:
    _c.append(2, _k, 2 * _k)
_k2, _v2 = _c.get(2)
expect_close(_k2, np.concatenate(_ks, axis=2), "three appends (3, 1 and 2 positions) to layer 2, batch 2",
             rtol=0, atol=0)
expect_close(_v2, 2 * np.concatenate(_ks, axis=2), "their values", rtol=0, atol=0)
expect([_c.length, _c.get(0)[0].shape[2], _c.get(1)[1].shape[2]], [6, 0, 0], "other layers stay empty")
expect(np.shares_memory(_c.get(2)[1], _c.values), True, "values are a view too")
with expect_raises(ValueError, "a full cache rejects one more position"):
    _c.append(2, _ks[1], _ks[1])
_c.reset()
_c.append(2, _ks[1], _ks[1])
expect_close(_c.get(2)[0], _ks[1], "after reset, appending starts at position 0 again", rtol=0, atol=0)
### END HIDDEN TESTS
print("✅ Step 2: KVCache appends and returns views")

# %% [markdown]
# ## Step 3 · Attention over the cache
#
# `attend_cached(attn, x, cache, layer)` replaces module 12's `MultiHeadAttention.forward` during
# generation. `x` holds only the **new** positions, `(N, t, d_model)`:
#
# 1. project the new positions to q, k, v with `attn.q_proj`, `attn.k_proj`, `attn.v_proj` and split
#    the heads (`split_heads(·, attn.n_heads)` → `(N, h, t, head_dim)`);
# 2. append k and v (their `.data`) to the cache, then `get` **all** keys and values of this layer;
# 3. `scaled_dot_product_attention(q, keys, values, causal=True)`: the queries are the last t
#    positions of the sequence, the keys all of them. Module 12 aligns the causal mask to the
#    **last** key, so new query i sees keys `0 .. (length − t) + i`: during the prompt (t > 1) the
#    prompt's own causal triangle, during a step (t = 1) every key;
# 4. merge the heads and apply `attn.out_proj`.
#
# ```
#  keys:     k_0  k_1  k_2  k_3 | k_4  k_5        cache length 6 after appending t = 2 new positions
#  query 4:   ✓    ✓    ✓    ✓  |  ✓    ✗         (causal, aligned to the last key)
#  query 5:   ✓    ✓    ✓    ✓  |  ✓    ✓
# ```

# %% nbgrader={"grade": false, "grade_id": "attend-cached", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def attend_cached(attn, x, cache, layer):
    """Causal multi-head attention of the new positions x (N, t, d) over every key in cache's `layer`."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    ### BEGIN SOLUTION
    q = split_heads(attn.q_proj(x), attn.n_heads)
    k = split_heads(attn.k_proj(x), attn.n_heads)
    v = split_heads(attn.v_proj(x), attn.n_heads)
    cache.append(layer, k.data, v.data)
    keys, values = cache.get(layer)
    out, _ = scaled_dot_product_attention(q, keys, values, causal=True)
    return attn.out_proj(merge_heads(out))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-attend-cached", "locked": true, "points": 18, "schema_version": 3, "solution": false, "task": false}
from tinytorch.attention import MultiHeadAttention

mha = MultiHeadAttention(4, 2, causal=True, rng=np.random.default_rng(0))
xs = np.random.default_rng(1).normal(size=(1, 5, 4)).astype(np.float32)
cache = KVCache(num_layers=1, batch=1, num_heads=2, max_len=8, head_dim=2)
with no_grad():
    full = mha(xs).data
    prompt_out = attend_cached(mha, xs[:, :3], cache, 0).data
    step_out = attend_cached(mha, xs[:, 3:4], cache, 0).data
    last_out = attend_cached(mha, xs[:, 4:5], cache, 0).data
expect_close(prompt_out, full[:, :3], "the prompt (3 positions at once) gives the first 3 outputs of the full pass",
             rtol=1e-5, atol=1e-6)
expect_close(step_out, full[:, 3:4], "one new position over 4 cached keys gives output 3", rtol=1e-5, atol=1e-6)
expect_close(last_out, full[:, 4:5], "and output 4", rtol=1e-5, atol=1e-6)
expect(cache.length, 5, "every position's key and value is in the cache")
expect_close(cache.get(0)[0][0, 1, :, 0], [-0.017853005, -0.45490286, 0.16337529, -0.012396834, -0.85753113],
             "the cached keys of head 1 are k_proj(x), split into heads", rtol=1e-4, atol=1e-6)
### BEGIN HIDDEN TESTS
_mha = MultiHeadAttention(6, 3, causal=True, rng=np.random.default_rng(5))
_x = np.random.default_rng(6).normal(size=(2, 7, 6)).astype(np.float32)
_c = KVCache(2, 2, 3, 7, 2)
with no_grad():
    _full = _mha(_x).data
    _parts = [attend_cached(_mha, _x[:, _a:_b], _c, 1).data for _a, _b in ((0, 4), (4, 5), (5, 7))]
expect_close(np.concatenate(_parts, axis=1), _full, "batch 2: a 4-token prompt, one step, then 2 positions at once",
             rtol=1e-4, atol=1e-6)
expect([_c.lengths[0], _c.lengths[1]], [0, 7], "only the given layer is written")
expect_close(_c.get(1)[1], split_heads(Tensor(_x) @ _mha.v_proj.weight + _mha.v_proj.bias, 3).data,
             "the cached values are v_proj(x) split into heads", rtol=1e-5, atol=1e-6)
### END HIDDEN TESTS
print("✅ Step 3: attention of new positions over the cache")

# %% [markdown]
# ## Step 4 · A forward pass for the new tokens only
#
# `forward_cached(model, idx_new, cache)` runs TinyGPT on the new ids `(N, t)` that come **after**
# the `cache.length` positions already cached, and returns their logits `(N, t, vocab)`:
#
# ```
# start = cache.length
# x = token_embedding(idx_new) + position_embedding.weight[start : start + t]     ← positions!
# for layer, block in enumerate(model.blocks):
#     x = x + attend_cached(block.attn, block.ln1(x), cache, layer)
#     x = x + block.mlp(block.ln2(x))
# logits = head(ln_f(x))
# ```
#
# The position embedding is the trap: `model.position_embedding(x)` adds `weight[:t]`, the
# positions of the **start** of a sequence. Token number 37 must get position 37. Raise
# `ValueError` when `start + t` exceeds `model.block_size` (there is no position embedding for it).
# (Dropout is skipped: generation runs in eval mode.)

# %% nbgrader={"grade": false, "grade_id": "forward-cached", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def forward_cached(model, idx_new, cache):
    """Logits (N, t, vocab) of the new ids (N, t) that follow the cache.length cached positions."""
    idx_new = np.asarray(idx_new, dtype=np.int64)
    start, t = cache.length, idx_new.shape[1]
    if start + t > model.block_size:
        raise ValueError(f"positions {start}..{start + t - 1} exceed block_size {model.block_size}")
    ### BEGIN SOLUTION
    x = model.token_embedding(idx_new) + model.position_embedding.weight[start:start + t]
    for layer, block in enumerate(model.blocks):
        x = x + attend_cached(block.attn, block.ln1(x), cache, layer)
        x = x + block.mlp(block.ln2(x))
    return model.head(model.ln_f(x))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-forward-cached", "locked": true, "points": 16, "schema_version": 3, "solution": false, "task": false}
gpt = TinyGPT(vocab_size=7, block_size=8, dim=8, num_layers=2, num_heads=2, rng=np.random.default_rng(0))
for i, (name, p) in enumerate(sorted(gpt.named_parameters(), key=lambda item: item[0])):
    p.data[...] = np.random.default_rng(i).normal(0.0, 0.5, p.shape)
ids = np.array([[1, 4, 2, 6, 0, 3]])
cache = KVCache(num_layers=2, batch=1, num_heads=2, max_len=8, head_dim=4)
with no_grad():
    full = gpt(ids).data
    prompt_logits = forward_cached(gpt, ids[:, :4], cache).data
    step_logits = forward_cached(gpt, ids[:, 4:5], cache).data
expect(prompt_logits.shape, (1, 4, 7), "4 new ids give logits (1, 4, vocab)")
expect_close(prompt_logits, full[:, :4], "the prompt's logits equal the full forward pass", rtol=1e-4, atol=1e-5)
expect_close(step_logits[0, 0], [0.51254058, -0.194902, -0.80709851, 1.2948599, 1.0244539, -1.0664417, -0.064090014],
             "the 5th id, alone, over the cache: the logits of position 4 of the full pass", rtol=1e-4, atol=1e-5)
expect([cache.lengths[0], cache.lengths[1], cache.length], [5, 5, 5], "every layer cached 5 positions")
with expect_raises(ValueError, "5 cached + 4 new positions exceed block_size 8"):
    forward_cached(gpt, ids[:, :4], cache)
### BEGIN HIDDEN TESTS
with no_grad():
    _last = forward_cached(gpt, ids[:, 5:6], cache).data
expect_close(_last, full[:, 5:6], "the 6th id over the cache", rtol=1e-4, atol=1e-5)
_g = TinyGPT(11, 6, 12, 3, 3, rng=np.random.default_rng(3))
_ids = np.random.default_rng(4).integers(0, 11, (3, 6))
_c = KVCache(3, 3, 3, 6, 4)
with no_grad():
    _f = _g(_ids).data
    _p = [forward_cached(_g, _ids[:, _a:_b], _c).data for _a, _b in ((0, 1), (1, 3), (3, 6))]
expect_close(np.concatenate(_p, axis=1), _f, "batch 3, 3 layers: 1, then 2, then 3 positions", rtol=1e-4, atol=1e-5)
### END HIDDEN TESTS
print("✅ Step 4: forward_cached computes only the new positions")

# %% [markdown]
# ## Step 5 · Generation with the cache
#
# `generate_cached(model, idx, max_new_tokens, temperature=0.0, top_k=None, seed=None)` must
# return **exactly** what `model.generate(idx, max_new_tokens, temperature, top_k, seed)` returns:
#
# ```
# rng = np.random.default_rng(seed)                       once, like generate
# cache = KVCache(L, N, heads, T + max_new_tokens, head_dim)
# logits = forward_cached(model, idx, cache)              the prompt, all positions at once ("prefill")
# repeat max_new_tokens times:
#     next = choose_next(logits[:, -1, :], temperature, top_k, rng)
#     idx = append next as a new column
#     logits = forward_cached(model, next as (N, 1), cache)    only the new token ("decode")
# ```
#
# (The last forward pass is not needed: skip it.) As in module 13: eval mode, `no_grad()`, the
# previous mode restored, an int64 array `(N, T + max_new_tokens)` that starts with `idx`.
# `generate` crops its context to `block_size` when the sequence grows longer; the cache cannot
# (the positions would shift), so raise `ValueError` when the model would have to read more than
# `block_size` positions. The last new token is never fed back, so that is when
# `T + max_new_tokens - 1 > model.block_size`.

# %% nbgrader={"grade": false, "grade_id": "generate-cached", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def generate_cached(model, idx, max_new_tokens, temperature=0.0, top_k=None, seed=None):
    """model.generate's tokens, computed with a KV cache. Returns int64 (N, T + max_new_tokens)."""
    idx = np.array(idx.data if isinstance(idx, Tensor) else idx, dtype=np.int64)
    n, t = idx.shape
    if t + max(max_new_tokens - 1, 0) > model.block_size:
        raise ValueError(f"{t} + {max_new_tokens} tokens exceed block_size {model.block_size} "
                         f"(the model reads all but the last one)")
    block = model.blocks[0].attn
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    cache = KVCache(model.num_layers, n, block.n_heads, t + max_new_tokens, block.head_dim)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            logits = forward_cached(model, idx, cache).data
            for step in range(max_new_tokens):
                next_ids = choose_next(logits[:, -1, :], temperature, top_k, rng)
                idx = np.concatenate([idx, next_ids[:, None]], axis=1)
                if step < max_new_tokens - 1:
                    logits = forward_cached(model, next_ids[:, None], cache).data
    finally:
        model.train(was_training)
    return idx
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-generate-cached", "locked": true, "points": 16, "schema_version": 3, "solution": false, "task": false}
gpt = TinyGPT(vocab_size=9, block_size=24, dim=16, num_layers=2, num_heads=2, rng=np.random.default_rng(1))
for i, (name, p) in enumerate(sorted(gpt.named_parameters(), key=lambda item: item[0])):
    p.data[...] = np.random.default_rng(i).normal(0.0, 0.5, p.shape)
prompt = np.array([[3, 1, 4]])
expect(generate_cached(gpt, prompt, 12).tolist(), [[3, 1, 4, 0, 7, 7, 7, 7, 6, 7, 7, 7, 7, 7, 7]],
       "greedy: exactly the tokens of gpt.generate(prompt, 12, temperature=0)")
expect(generate_cached(gpt, prompt, 12).tolist(), gpt.generate(prompt, 12, temperature=0).tolist(),
       "greedy with and without the cache: token for token identical")
expect(generate_cached(gpt, prompt, 10, temperature=1.0, seed=5).tolist(),
       gpt.generate(prompt, 10, temperature=1.0, seed=5).tolist(), "a seeded sample: the same draws from the same seed")
expect(str(generate_cached(gpt, prompt, 2).dtype), "int64", "int64 ids")
expect(generate_cached(gpt, prompt, 0).tolist(), [[3, 1, 4]], "max_new_tokens = 0 returns the prompt")
expect(generate_cached(gpt, prompt, 22).tolist(), gpt.generate(prompt, 22, temperature=0).tolist(),
       "3 + 22 tokens: the model reads 24 positions (never the last token), as many as block_size 24")
with expect_raises(ValueError, "3 + 23 tokens: the model would read 25 positions, block_size is 24"):
    generate_cached(gpt, prompt, 23)
### BEGIN HIDDEN TESTS
_p = np.random.default_rng(9).integers(0, 9, (3, 5))
expect(generate_cached(gpt, _p, 20).tolist(), gpt.generate(_p, 20, temperature=0).tolist(),
       "greedy, batch 3, filling the whole block")
expect(generate_cached(gpt, _p, 8, temperature=0.7, top_k=3, seed=11).tolist(),
       gpt.generate(_p, 8, temperature=0.7, top_k=3, seed=11).tolist(), "temperature 0.7, top-k 3, seed 11")
gpt.train()
generate_cached(gpt, prompt, 1)
expect(gpt.training, True, "the model's training mode is restored")
gpt.eval()
generate_cached(gpt, prompt, 1)
expect(gpt.training, False, "and so is eval mode")
expect(generate_cached(gpt, Tensor(np.array([[2, 2]])), 3).tolist(), gpt.generate(np.array([[2, 2]]), 3, temperature=0).tolist(),
       "a Tensor of ids as the prompt")
### END HIDDEN TESTS
print("✅ Step 5: generate_cached writes exactly what generate writes")

# %% [markdown]
# ## Systems analysis
#
# The timings use the course's `tinytorch_runtime.timing.measure` (warm-up, repeats, median and
# IQR, BLAS pinned to one thread). The model is small so that the notebook runs in seconds;
# `python benchmarks/kv_cache.py` measures the milestone's width and depth (dim 128, 4 layers,
# 4 heads) at 64, 128 and 256 generated tokens.
#
# ### 1. Time per token against position

# %% nbgrader={"grade": false, "grade_id": "analysis-per-token", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
from tinytorch_runtime.timing import measure

small = TinyGPT(vocab_size=65, block_size=160, dim=64, num_layers=2, num_heads=4, rng=np.random.default_rng(0)).eval()
start_ids = np.array([[1, 2, 3, 4]])
NEW = 150
tokens = generate_cached(small, start_ids, NEW)
profile_cache = KVCache(2, 1, 4, 4 + NEW, 16)


def uncached_step(position):
    """The logits at `position` without a cache: the whole context goes through the model again."""
    return lambda: small(tokens[:, :position + 1])


def cached_step(position):
    """The same logits with the cache: rewind it to `position` cached tokens, feed only the new one."""
    def step():
        profile_cache.lengths = [position] * len(profile_cache.lengths)
        forward_cached(small, tokens[:, position:position + 1], profile_cache)
    return step


positions = np.arange(5, 4 + NEW, 12)   # the position of the token fed in; 4 .. position - 1 are context
with no_grad():
    forward_cached(small, tokens[:, :4 + NEW - 1], profile_cache)    # fill the cache once
    uncached = [measure(uncached_step(p), repeats=5, warmup=1) for p in positions]
    cached = [measure(cached_step(p), repeats=5, warmup=1) for p in positions]


def median_and_iqr_ms(timings):
    """Medians and the (below, above) IQR error bars of a list of Timings, in ms."""
    medians = np.array([t.median for t in timings]) * 1e3
    return medians, [medians - np.array([t.q1 for t in timings]) * 1e3, np.array([t.q3 for t in timings]) * 1e3 - medians]


fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 3.5))
ax_t.errorbar(positions, *median_and_iqr_ms(uncached), fmt="o", ms=3, capsize=2, label="generate (whole context)")
ax_t.errorbar(positions, *median_and_iqr_ms(cached), fmt="o", ms=3, capsize=2, label="KV cache (new token only)")
ax_t.set(xlabel="position of the new token", ylabel="ms per token (median, IQR)", title="time per token")
ax_t.legend()
lengths = np.arange(0, 2049, 64)
for layers, dim, label in ((4, 128, "baby GPT (4 x 128)"), (12, 768, "GPT-2 small (12 x 768)")):
    ax_m.plot(lengths, [cache_bytes(layers, 4, T, dim // 4) / 2**20 for T in lengths], label=label)
ax_m.set(xlabel="cached positions T", ylabel="MiB (batch 1, float32)", title="cache memory, 8·L·T·d bytes",
         yscale="log")
ax_m.legend()
plt.tight_layout()
plt.show()
print(f"without cache: {uncached[0]} per token at position {positions[0]}, {uncached[-1]} at {positions[-1]}")
print(f"with cache:    {cached[0]} per token at position {positions[0]}, {cached[-1]} at {positions[-1]}")

# %% [markdown]
# Without the cache, the time per token grows with the position: the whole context goes through
# every layer again. With it, the time per token is almost flat: one position through the
# projections and the MLP, plus one query against t keys, a small term at these lengths. Each
# point is the median of 5 runs with its IQR. In seven runs on a shared 2-core machine (load 7–9)
# the uncached step at position 149 took 1.7–3.5 times as long as at position 5 in six runs (one
# run's medians were swamped by other programs), while the cached step stayed within noise
# (0.55–1.6 times). Under such load single medians still jump: look at the trend.
#
# ### 2. The speed-up of a whole generation

# %% nbgrader={"grade": false, "grade_id": "analysis-speedup", "locked": true, "schema_version": 3, "solution": false, "task": false}
for n_new in (32, 128):
    plain = measure(small.generate, start_ids, n_new, temperature=0, repeats=3, warmup=0)
    fast = measure(generate_cached, small, start_ids, n_new, repeats=3, warmup=0)
    same = small.generate(start_ids, n_new, temperature=0).tolist() == generate_cached(small, start_ids, n_new).tolist()
    print(f"{n_new:4d} new tokens: generate {plain}, generate_cached {fast}: "
          f"{plain.median / fast.median:.1f}x faster, identical tokens: {same}")
print(f"cache of this run: {KVCache(2, 1, 4, 4 + 128, 16).nbytes:,d} bytes "
      f"(= cache_bytes: {cache_bytes(2, 4, 132, 16):,d})")

# %% [markdown]
# The speed-up grows with the number of tokens: without the cache the total work is
# Σ_t O(t) ≈ O(n²) position-passes, with it O(n). In seven runs on a shared 2-core machine
# (load 7–9) this small model was 0.7–1.4x as fast with the cache at 32 tokens (median 1.2x) and
# 1.7–2.6x at 128 (plus one outlier run at 10x). That is far below the FLOP ratio: a cached step runs about 30 small Tensor operations per layer on one position,
# and each costs microseconds of Python and autograd bookkeeping whatever its size, so at small
# widths the cached step is overhead, not arithmetic. The wider the model and the longer the text,
# the more the uncached passes cost in arithmetic, and the larger the ratio:
# `benchmarks/kv_cache.py` (dim 128, 4 layers, 256 new tokens) measured 5.0–5.1x (see the README).
# On a GPU with large d the cached step's limit is memory
# bandwidth: every step reads the whole cache.

# %% [markdown]
# ## Integration test: a trained model writes the same text with and without the cache
#
# Train a one-layer TinyGPT to memorise a sentence (as in module 13's integration test), then let
# it write greedily and with seeded sampling, with and without the cache.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
from tinytorch.optimizers import Adam
from tinytorch.transformers import language_model_loss

text = "the cat sat on the mat. "
chars = sorted(set(text))
data = np.array([chars.index(c) for c in text * 3])
model = TinyGPT(len(chars), block_size=16, dim=32, num_layers=1, num_heads=2, rng=np.random.default_rng(0))
opt = Adam(model.parameters(), lr=1e-2)
windows = np.stack([data[i:i + 17] for i in range(len(text))])
for step in range(80):
    opt.zero_grad()
    loss = language_model_loss(model(windows[:, :-1]), windows[:, 1:])
    loss.backward()
    opt.step()
written = generate_cached(model, data[None, :5], max_new_tokens=11)
expect("".join(chars[i] for i in written[0]), "the cat sat on t", "the cached generator recites the text (16 = block_size)")
expect(written.tolist(), model.generate(data[None, :5], 11, temperature=0).tolist(), "the same ids as generate")
### BEGIN HIDDEN TESTS
expect(generate_cached(model, data[None, 8:12], 12, temperature=1.0, top_k=3, seed=2).tolist(),
       model.generate(data[None, 8:12], 12, temperature=1.0, top_k=3, seed=2).tolist(), "a seeded top-k sample")
### END HIDDEN TESTS
print("✅ Integration: the KV cache changes the speed, not the text")

# %% [markdown]
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences. Use numbers from your own runs
# where they help. These are graded by hand.

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-why-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q1 (6 points): why caching is allowed.** (a) Why are the keys and values of earlier positions
# unchanged when a token is appended? Name the property of the model it relies on. (b) Would a
# KV cache work for a bidirectional encoder such as BERT, generating one token at a time? (c) Why
# must the queries of earlier positions *not* be cached (or rather: why are they not needed)?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-why", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Causal attention: position j only attends to positions ≤ j, so
# the hidden state of position j in every layer (and therefore its k_j = h_j W_k and v_j = h_j W_v)
# is a function of tokens 0..j only; appending token t+1 cannot change it. Positions are absolute
# (learned position embedding of j does not depend on the length), which is also needed. (b) No:
# in a bidirectional encoder every position attends to every other, so appending a token changes
# the hidden states (and k, v) of all earlier positions in every layer above the first; everything
# must be recomputed. (c) A query is only used to compute the output at its own position; the
# outputs of earlier positions were already computed (and already fed into the cached k, v of the
# next layer), and only the new position's logits are needed for the next token.
# Grading: (a) 2 points (causality, k/v depend on the prefix only), (b) 2 points (no, with the
# reason), (c) 2 points (queries used once, only the last position's output matters).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-cost-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (6 points): what the cache buys.** Use your measurements. (a) How did the time per token
# grow with the position with and without the cache, and what speed-up did you measure at 32 and
# 128 tokens? (b) Count the work of step t for a model of width d and L layers without and with the
# cache (projections and MLP, and attention separately), and explain why the measured speed-up is
# smaller than that count suggests at these sizes.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-cost", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Without the cache the time per token grows about linearly with
# the position (whole context re-run; at these sizes the t·d² matmuls dominate the t²·d attention);
# with the cache it is nearly flat. Reference runs: 0.7–1.4x at 32 tokens, 1.7–2.6x at 128 (about 5x
# at 256 with dim 128 in the benchmark; students quote theirs; the ratio must grow with the length). (b) Without cache, step t: ≈ 12·L·d²·t
# multiply-adds for projections and MLP plus 2·L·t²·d for attention (scores and weighted sum); with
# the cache: 12·L·d² + 2·L·t·d. The FLOP ratio is about t (hundreds), but a cached step on one
# position is a few dozen tiny NumPy calls per layer (Python and call overhead of microseconds
# each), so its time is far above its FLOPs: the measured ratio is well below t. Larger d and batch
# would bring it closer.
# Grading: (a) 2 points (trend + numbers), (b) 2 points (counts), 2 points (overhead explanation).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflect-memory-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (6 points): the memory price.** (a) With `cache_bytes`, how big is the cache of GPT-2 small
# (12 layers, 12 heads, head_dim 64) for one 1,024-token sequence, and for a server holding 32 such
# conversations? Compare with its 124 M float32 parameters. (b) Name two ways production systems
# reduce the cache's memory, and what each one costs.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-memory", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) cache_bytes(12, 12, 1024, 64) = 75,497,472 B = 72 MiB per
# sequence; 32 conversations: 2.25 GiB, more than the 124 M × 4 B ≈ 496 MB (473 MiB) of weights.
# The cache, not the model, limits how many users a server holds. (b) Any two of: grouped-query /
# multi-query attention (several query heads share one K/V head: the cache shrinks by the group
# factor, a small quality loss, needs training that way); quantising the cache to int8/fp8 (2–4x
# smaller, a little precision lost); a sliding window / limited context (constant memory, forgets
# distant tokens); paged attention (vLLM: no waste from preallocating max_len per request, costs
# indirection/complexity); offloading to CPU memory (costs transfer time).
# Grading: (a) 3 points (72 MiB, ×32, comparison), (b) 3 points (two techniques with a cost each;
# 1.5 each).
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/memoization.py`.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("17_memoization");
