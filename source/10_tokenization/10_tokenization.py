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
# # Module 10 · Tokenization
#
# **Expected time:** 3–4 hours. **Difficulty:** ★★★☆☆ (plain Python, no tensors; the care goes into
# following BPE's rules exactly).
#
# A language model never sees text. It sees a sequence of integers, **token ids**, and it
# predicts the next id. The **tokenizer** is the translation in both directions:
#
# ```
# "To be, or not"  --encode-->  [33, 53, 1, 40, 43, 6, 1, 53, 56, 1, 52, 53, 58]  --decode-->  "To be, or not"
# ```
#
# How text is cut into tokens decides how long the sequences are (attention's cost grows with
# the square of the length, module 12), how big the embedding table is (module 11), and which
# strings the model can represent at all. In this module you build the two tokenizers every
# course on language models meets:
#
# - a **character tokenizer**: one token per character, the one the TinyGPT milestone trains on;
# - a **byte-level BPE** tokenizer (byte-pair encoding), the algorithm of GPT-2, GPT-4 and Llama 3:
#   it starts from the 256 byte values and learns to merge frequent pairs into new tokens, so it
#   can encode *any* string, in any language or emoji, and round-trips it exactly;
#
# plus **special tokens** and **batch encoding** with padding, truncation and an attention mask.

# %% [markdown]
# ## Why it matters: how real libraries do it
#
# OpenAI's `tiktoken` and Hugging Face's `tokenizers` are BPE implementations written in Rust:
#
# ```python
# import tiktoken
# enc = tiktoken.get_encoding("gpt2")          # 50,000 learned merges on top of 256 bytes
# enc.encode("hello world")                    # [31373, 995]: two tokens for 11 characters
# enc.decode([31373, 995])                     # 'hello world'
# enc.encode("<|endoftext|>", allowed_special="all")   # [50256]: a special token, one id
#
# from transformers import AutoTokenizer
# tok = AutoTokenizer.from_pretrained("gpt2"); tok.pad_token = tok.eos_token
# batch = tok(["a short one", "a much longer sentence"], padding=True, truncation=True, max_length=8)
# batch["input_ids"], batch["attention_mask"]  # padded ids and 1/0 masks
# ```
#
# You will build the same algorithm in readable Python. It is about a thousand times slower
# than tiktoken (you will measure it), and exactly as correct.
#
# | step | you build | real-world equivalent |
# |---|---|---|
# | 1-2 | `CharTokenizer`: `fit`, `encode`, `decode`, unknown characters | nanoGPT's `stoi`/`itos` |
# | 3-4 | `get_pair_counts`, `merge_pair` | the two primitives of BPE |
# | 5 | `BPETokenizer.train(text, vocab_size)` | `tokenizers`' `BpeTrainer` |
# | 6 | `encode_ordinary` (by merge rank), `decode` | `enc.encode_ordinary`, `enc.decode` |
# | 7 | `add_special_tokens`, `encode` | `allowed_special`, `<\|endoftext\|>` |
# | 8 | `pad_sequences` (padding, truncation, attention mask) | `tok(..., padding=True, truncation=True)` |

# %% [markdown]
# ## Setup
#
# This module needs no tensors: tokenizers work on Python strings, bytes and lists of ints. The
# first cell is exported into `tinytorch/tokenization.py`.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
import re

import numpy as np
from tinytorch_runtime import extend

__all__ = ["CharTokenizer", "get_pair_counts", "merge_pair", "BPETokenizer", "pad_sequences", "encode_batch"]

# %% nbgrader={"grade": false, "grade_id": "test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime.checks import expect, expect_close, expect_raises

# %% [markdown]
# ## Step 1 · A character vocabulary
#
# The simplest tokenizer gives every distinct character of a training text its own id. Sort the
# characters so the ids do not depend on the order of the text (`sorted` orders by Unicode code
# point: `"\n" < " " < "!" < "A" < "a"`):
#
# ```
# text  = "hello"          vocab = ['e', 'h', 'l', 'o']
# stoi  = {'e': 0, 'h': 1, 'l': 2, 'o': 3}        itos = {0: 'e', 1: 'h', 2: 'l', 3: 'o'}
# ```
#
# **Unknown characters.** Text met later may contain characters the training text did not
# (a "é" in a model trained on English). There are two policies, chosen when the tokenizer is
# made: by default `encode` refuses (Step 2); with `unk="�"` the tokenizer reserves one id for
# that replacement character and maps every unknown character to it. So when `unk` is given,
# `fit` adds it to the characters before sorting (once, even if the text contains it).
#
# Implement `fit(text)`: set `self.vocab` (sorted list of distinct characters, with `unk` when
# given), `self.stoi` (character → id) and `self.itos` (id → character), and return `self` so
# that `CharTokenizer().fit(text)` can be chained.

# %% nbgrader={"grade": false, "grade_id": "char-fit", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class CharTokenizer:
    """One token per character. Like nanoGPT's character-level `stoi`/`itos`."""

    def __init__(self, text=None, unk=None):
        """unk: None (unknown characters raise KeyError) or a character that stands for any unknown one."""
        self.unk = unk
        self.vocab, self.stoi, self.itos = [], {}, {}
        if text is not None:
            self.fit(text)

    @property
    def vocab_size(self):
        return len(self.vocab)

    def fit(self, text):
        """Build vocab (sorted distinct characters, plus unk), stoi and itos from `text`. Returns self."""
        ### BEGIN SOLUTION
        characters = set(text)
        if self.unk is not None:
            characters.add(self.unk)
        self.vocab = sorted(characters)
        self.stoi = {ch: i for i, ch in enumerate(self.vocab)}
        self.itos = {i: ch for i, ch in enumerate(self.vocab)}
        return self
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-char-fit", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
ct = CharTokenizer("hello world")
expect(ct.vocab, [" ", "d", "e", "h", "l", "o", "r", "w"], "vocab should be the sorted distinct characters")
expect(ct.vocab_size, 8, "8 distinct characters in 'hello world'")
expect(ct.stoi["l"], 4, "'l' is the 5th character of the sorted vocab")
expect(ct.itos[7], "w", "itos should invert stoi")
### BEGIN HIDDEN TESTS
_ct = CharTokenizer(unk="?").fit("b?a\nb")
expect(_ct.vocab, ["\n", "?", "a", "b"], "unk should be in the vocab once, sorted with the rest")
expect([_ct.stoi[_c] for _c in "\n?ab"], [0, 1, 2, 3], "stoi of a vocab with a newline and unk")
expect(CharTokenizer(unk="�").fit("ba").vocab, ["a", "b", "�"], "unk is added even when the text lacks it")
expect(CharTokenizer().fit("").vocab_size, 0, "an empty text gives an empty vocab")
expect(len(CharTokenizer("ünï😀ü").itos), 4, "non-ASCII characters are characters too")
### END HIDDEN TESTS
print("✅ Step 1: CharTokenizer.fit works")

# %% [markdown]
# ## Step 2 · Encode and decode
#
# `encode(text)` maps each character to its id and returns a **list of Python ints**;
# `decode(ids)` maps ids back and joins them into a string. For every text made of known
# characters, `decode(encode(text)) == text`.
#
# Unknown characters in `encode`:
#
# - `unk is None`: raise `KeyError` with a message that **names the character** (the default
#   `KeyError` of a dict lookup shows only the character, not what to do about it);
# - otherwise: use the id of `unk`.
#
# `decode` must accept any sequence of integers, including a NumPy array (what a model's
# `argmax` returns): convert each one with `int(...)`. An id outside the vocabulary raises `KeyError`.

# %% nbgrader={"grade": false, "grade_id": "char-encode", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(CharTokenizer)
def encode(self, text):
    """List of ids, one per character; unknown characters raise KeyError or map to unk."""
    ### BEGIN SOLUTION
    ids = []
    for ch in text:
        if ch in self.stoi:
            ids.append(self.stoi[ch])
        elif self.unk is not None:
            ids.append(self.stoi[self.unk])
        else:
            raise KeyError(f"character {ch!r} is not in the vocabulary (build the tokenizer with unk=... "
                           f"to map unknown characters)")
    return ids
    ### END SOLUTION


@extend(CharTokenizer)
def decode(self, ids):
    """The string of the ids (any sequence of ints, NumPy arrays included)."""
    ### BEGIN SOLUTION
    return "".join(self.itos[int(i)] for i in ids)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-char-encode", "locked": true, "points": 9, "schema_version": 3, "solution": false, "task": false}
ct = CharTokenizer("hello world")
expect(ct.encode("hello"), [3, 2, 4, 4, 5], "encode should map each character to its id")
expect(ct.decode([7, 5, 6, 4, 1]), "world", "decode should map ids back to characters")
expect(ct.decode(ct.encode("low red door")), "low red door", "decode(encode(text)) should give the text back")
with expect_raises(KeyError, "an unknown character should raise KeyError without unk"):
    ct.encode("hello!")
safe = CharTokenizer("hello", unk="?")
expect(safe.encode("hi!"), [2, 0, 0], "with unk='?', unknown characters should map to the id of '?'")
### BEGIN HIDDEN TESTS
expect(ct.decode(np.array([3, 2], dtype=np.int64)), "he", "decode should accept a NumPy array of ids")
expect(ct.encode(""), [], "an empty text encodes to an empty list")
expect(type(ct.encode("he")[0]).__name__, "int", "ids should be Python ints")
with expect_raises(KeyError, "an id outside the vocabulary should raise KeyError"):
    ct.decode([8])
_uni = CharTokenizer("naïve café 😀")
expect(_uni.decode(_uni.encode("café 😀 naïve")), "café 😀 naïve", "round trip of non-ASCII characters")
expect(_uni.encode("😀é"), [9, 7], "ids of non-ASCII characters")
expect(CharTokenizer("ab", unk="~").encode("abc"), [0, 1, 2], "unk sorted after 'b' gets id 2")
### END HIDDEN TESTS
print("✅ Step 2: CharTokenizer encodes and decodes")

# %% [markdown]
# ## Byte-pair encoding
#
# A character tokenizer has two problems. Every character is one token, so sequences are long.
# And its vocabulary is closed: a model trained on Shakespeare has never seen "€" or "你".
#
# **Byte-level BPE** fixes both. It starts from the UTF-8 **bytes** of the text: every string,
# in any script, is a sequence of values 0-255, so 256 base tokens cover everything
# ("é" is the two bytes `[195, 169]`, "😀" four). Then it **learns merges**: find the most
# frequent adjacent pair of tokens in the training text, give it a new id (256, 257, ...), replace
# every occurrence, and repeat until the vocabulary has the requested size. Frequent words end
# up as single tokens; rare ones stay split into pieces, but never become unknown.
#
# The classic example, `"aaabdaaabac"` (bytes: a = 97, b = 98, c = 99, d = 100):
#
# ```
# ids                                              most frequent pair        new token
# [97 97 97 98 100 97 97 97 98 97 99]              (97, 97) "aa", 4 times    256 = "aa"
# [256 97 98 100 256 97 98 97 99]                  (97, 98) "ab", 2 times    257 = "ab"
# [256 257 100 256 257 97 99]                      (256, 257) "aaab", twice  258 = "aaab"
# [258 100 258 97 99]
# ```
#
# In the second line `(256, 97)` also occurs twice. Ties need a rule that everyone implements the
# same way, or two tokenizers trained on the same text disagree: **among pairs with the highest
# count, take the smallest pair** (compare as tuples: `(97, 98) < (256, 97)`).
#
# You build it from two small functions.
#
# ## Step 3 · Counting adjacent pairs
#
# `get_pair_counts(ids)` returns a dict `{(a, b): count}` over every adjacent pair
# `(ids[i], ids[i + 1])`. Pairs overlap: `[97, 97, 97]` contains `(97, 97)` **twice**
# (positions 0-1 and 1-2), and that is how it is counted (as in GPT-2's and minbpe's trainers).
# `zip(ids, ids[1:])` walks the pairs.

# %% nbgrader={"grade": false, "grade_id": "pair-counts", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def get_pair_counts(ids):
    """{(a, b): number of times b directly follows a in ids} (overlapping pairs all count)."""
    ### BEGIN SOLUTION
    counts = {}
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-pair-counts", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
expect(sorted(get_pair_counts([1, 2, 3, 1, 2]).items()), [((1, 2), 2), ((2, 3), 1), ((3, 1), 1)],
       "counts of adjacent pairs, as sorted (pair, count) items")
expect(sorted(get_pair_counts([97, 97, 97]).items()), [((97, 97), 2)], "overlapping pairs both count")
### BEGIN HIDDEN TESTS
expect(len(get_pair_counts([5])), 0, "one token has no pairs")
expect(len(get_pair_counts([])), 0, "no tokens, no pairs")
_ids = list(np.random.default_rng(0).integers(0, 4, 200))
_pc = get_pair_counts(_ids)
expect(sum(_pc.values()), 199, "200 tokens have 199 adjacent pairs")
expect(_pc[(1, 2)], 9, "count of one pair in a random sequence")
### END HIDDEN TESTS
print("✅ Step 3: pair counts work")

# %% [markdown]
# ## Step 4 · Merging a pair
#
# `merge_pair(ids, pair, new_id)` returns a **new list** in which every occurrence of `pair` is
# replaced by `new_id`, scanning **left to right without overlaps**: when a pair is merged, the
# scan jumps past both of its tokens.
#
# ```
# merge_pair([97, 97, 97, 98], (97, 97), 256)   ->  [256, 97, 98]     (not [97, 256, 98], not [256, 256])
# merge_pair([1, 2, 1, 2, 3], (1, 2), 9)        ->  [9, 9, 3]
# ```
#
# Write it with a `while` loop over an index `i`: if `ids[i], ids[i + 1]` is the pair, append
# `new_id` and advance by 2, else append `ids[i]` and advance by 1. Do not modify the input list.

# %% nbgrader={"grade": false, "grade_id": "merge-pair", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def merge_pair(ids, pair, new_id):
    """A new list with each non-overlapping occurrence of `pair` (left to right) replaced by new_id."""
    ### BEGIN SOLUTION
    merged, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-merge-pair", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
expect(merge_pair([1, 2, 1, 2, 3], (1, 2), 9), [9, 9, 3], "every occurrence should be merged")
expect(merge_pair([97, 97, 97, 98], (97, 97), 256), [256, 97, 98], "overlaps: merge left to right, then skip both")
original = [4, 5, 4]
expect(merge_pair(original, (5, 4), 7), [4, 7], "a pair at the end")
expect(original, [4, 5, 4], "the input list must not change")
### BEGIN HIDDEN TESTS
expect(merge_pair([3, 3, 3, 3, 3], (3, 3), 8), [8, 8, 3], "five equal tokens give two merges and one left over")
expect(merge_pair([1, 2], (2, 1), 5), [1, 2], "no occurrence: the same ids")
expect(merge_pair([], (1, 2), 5), [], "empty input")
expect(merge_pair([7], (7, 7), 9), [7], "a single token cannot be merged")
_r = list(np.random.default_rng(1).integers(0, 3, 300))
expect(len(merge_pair(_r, (1, 2), 3)), 269, "length after merging one pair in a random sequence")
### END HIDDEN TESTS
print("✅ Step 4: merge_pair works")

# %% [markdown]
# ## Step 5 · Training BPE
#
# The `BPETokenizer` class below is given. Its state:
#
# - `merges`: the ordered list of learned pairs; merge number `k` created token id `256 + k`;
# - `vocab`: `{id: bytes}`, starting with the 256 single bytes; a merged token's bytes are the
#   concatenation of its pair's bytes (`vocab[256] = vocab[97] + vocab[97] = b"aa"`);
# - `special_tokens`: `{string: id}` (Step 7).
#
# Implement `train(text, vocab_size)`:
#
# 1. `vocab_size < 256` → `ValueError` (the 256 bytes are always there).
# 2. Start afresh: no merges, the 256 byte tokens, no special tokens; `ids = list(text.encode("utf-8"))`.
# 3. For each new id `256, 257, ..., vocab_size - 1`: count the pairs; **stop early** if there are
#    none (the text became one token); pick the pair with the highest count, ties to the smallest
#    pair; merge it in `ids`; append it to `merges`; add its bytes to `vocab`.
# 4. Return `self`.
#
# For step 3, `max(counts, key=lambda p: (counts[p], ...))` needs a key that prefers the
# *smaller* pair on a tie; `min(counts, key=lambda p: (-counts[p], p))` does both at once.

# %% nbgrader={"grade": false, "grade_id": "bpe-class", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
class BPETokenizer:
    """Byte-level byte-pair encoding, like GPT-2's tokenizer (without its regex pre-split)."""

    def __init__(self):
        self.merges = []                                      # merge k creates token 256 + k
        self.vocab = {i: bytes([i]) for i in range(256)}      # id -> the bytes it stands for
        self.special_tokens = {}                              # e.g. {"<|endoftext|>": 300}

    @property
    def vocab_size(self):
        return len(self.vocab)

    def __repr__(self):
        return f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, special={list(self.special_tokens)})"


# %% nbgrader={"grade": false, "grade_id": "bpe-train", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(BPETokenizer)
def train(self, text, vocab_size):
    """Learn vocab_size - 256 merges from text (most frequent pair, ties to the smallest pair). Returns self."""
    ### BEGIN SOLUTION
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be at least 256 (the byte tokens), got {vocab_size}")
    self.merges = []
    self.vocab = {i: bytes([i]) for i in range(256)}
    self.special_tokens = {}
    ids = list(text.encode("utf-8"))
    for new_id in range(256, vocab_size):
        counts = get_pair_counts(ids)
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        ids = merge_pair(ids, pair, new_id)
        self.merges.append(pair)
        self.vocab[new_id] = self.vocab[pair[0]] + self.vocab[pair[1]]
    return self
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-bpe-train", "locked": true, "points": 13, "schema_version": 3, "solution": false, "task": false}
bpe = BPETokenizer().train("aaabdaaabac", 259)
expect(bpe.merges, [(97, 97), (97, 98), (256, 257)], "the three merges of the classic example (tie -> smaller pair)")
expect(bpe.vocab_size, 259, "256 bytes + 3 merges")
expect(bpe.vocab[258].decode("ascii"), "aaab", "token 258 stands for the bytes 'aaab'")
with expect_raises(ValueError, "a vocab_size below 256 should raise ValueError"):
    BPETokenizer().train("abc", 200)
### BEGIN HIDDEN TESTS
_b = BPETokenizer().train("the cat sat on the mat; the hat", 266)
expect(_b.merges, [(97, 116), (101, 32), (104, 257), (116, 258), (32, 259), (256, 32), (59, 260), (99, 261),
                   (104, 256), (109, 256)], "merges learned from a short sentence (ties to the smaller pair)")
expect([_b.vocab[_i].decode("ascii") for _i in range(256, 266)], ["at", "e ", "he ", "the ", " the ", "at ", "; the ",
                                                                  "cat ", "hat", "mat"], "bytes of the merged tokens")
expect(len(BPETokenizer().train("ab", 300).merges), 1, "training stops when the text is one token")
_e = BPETokenizer().train("日本日本日本", 258)
expect(_e.merges, [(151, 165), (156, 172)], "merges work on the UTF-8 bytes of any script (five pairs tie)")
expect(list(_e.vocab[256]), [0x97, 0xA5], "a merged token may be part of a character")
_f = BPETokenizer().train("xyxy", 257)
expect(_f.special_tokens, {}, "training starts without special tokens")
expect(BPETokenizer().train("anything", 256).merges, [], "vocab_size 256 means no merges")
### END HIDDEN TESTS
print("✅ Step 5: BPE training works")

# %% [markdown]
# ## Step 6 · Encoding by merge rank, and decoding
#
# Encoding a **new** text must reproduce the merges exactly as training learned them. The rule
# (GPT-2's): start from the text's bytes and repeatedly merge the adjacent pair with the **lowest
# rank** (the earliest learned merge) among the pairs present, until no present pair is in
# `merges`. Frequency plays no role any more.
#
# ```
# merges: (97, 97) -> 256, (97, 98) -> 257, (256, 257) -> 258          text "aaab"
# [97 97 97 98]   pairs present: (97,97) rank 0, (97,98) rank 1       -> merge rank 0
# [256 97 98]     pairs: (256,97) not a merge, (97,98) rank 1          -> merge rank 1
# [256 257]       pairs: (256,257) rank 2                              -> merge rank 2
# [258]           done: one token
# ```
#
# Build a dict `rank = {pair: k}` from `self.merges` once per call; in the loop, take
# `min(pairs present, key=lambda p: rank.get(p, float("inf")))`, stop when that pair has no rank,
# else `merge_pair` it into id `256 + rank[pair]`.
#
# `decode(ids)`: join the bytes of every id (`self.vocab[int(i)]`) and decode them as UTF-8 with
# `errors="replace"`. A sequence that a model generated may cut a multi-byte character in half;
# `"replace"` turns the broken bytes into "�" instead of crashing. For ids from `encode` the round
# trip is exact for every string. An id not in `vocab` raises `KeyError`.

# %% nbgrader={"grade": false, "grade_id": "bpe-encode", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(BPETokenizer)
def encode_ordinary(self, text):
    """Token ids of text: its UTF-8 bytes, merged by lowest merge rank first (no special tokens)."""
    ### BEGIN SOLUTION
    rank = {pair: k for k, pair in enumerate(self.merges)}
    ids = list(text.encode("utf-8"))
    while len(ids) >= 2:
        pair = min(set(zip(ids, ids[1:])), key=lambda p: rank.get(p, float("inf")))
        if pair not in rank:
            break
        ids = merge_pair(ids, pair, 256 + rank[pair])
    return ids
    ### END SOLUTION


@extend(BPETokenizer)
def decode(self, ids):
    """The text of the ids: their bytes joined and decoded as UTF-8 (broken characters become '�')."""
    ### BEGIN SOLUTION
    return b"".join(self.vocab[int(i)] for i in ids).decode("utf-8", errors="replace")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-bpe-encode", "locked": true, "points": 13, "schema_version": 3, "solution": false, "task": false}
bpe = BPETokenizer().train("aaabdaaabac", 259)
expect(bpe.encode_ordinary("aaab"), [258], "'aaab' should become one token by merge rank")
expect(bpe.encode_ordinary("aaabdaaabac"), [258, 100, 258, 97, 99], "the training text itself")
expect(bpe.encode_ordinary("caaaab"), [99, 256, 256, 98], "'aaaa' is two (97, 97) merges; no merge joins them further")
expect(bpe.decode([258, 100, 258, 97, 99]), "aaabdaaabac", "decode joins the bytes of every token")
text = "naïve café, 日本語 and 😀!"
expect(bpe.decode(bpe.encode_ordinary(text)), text, "the round trip must be exact for any Unicode text")
### BEGIN HIDDEN TESTS
_b = BPETokenizer().train("the cat sat on the mat; the hat", 266)
expect(_b.encode_ordinary("the hat sat"), [259, 104, 261, 115, 256], "encoding a new sentence by merge rank")
expect(_b.encode_ordinary(""), [], "an empty text encodes to an empty list")
expect(_b.decode([]), "", "no ids decode to the empty string")
expect(_b.decode(np.array([258, 101])), "he e", "decode should accept a NumPy array of ids")
expect(_b.decode([0xE6, 0x97]), "�", "a cut multi-byte character decodes to a replacement character")
_mix = "Ünïcödé 😀🎉 Ελληνικά русский 中文 \n\t\x00 end"
_b2 = BPETokenizer().train(_mix * 3, 300)
expect(_b2.decode(_b2.encode_ordinary(_mix + "x😀")), _mix + "x😀", "round trip with a tokenizer trained on mixed scripts")
expect(len(_b2.encode_ordinary(_mix)), 20, "a tokenizer trained on a text compresses that text")
with expect_raises(KeyError, "an id outside the vocabulary should raise KeyError"):
    _b.decode([266])
### END HIDDEN TESTS
print("✅ Step 6: BPE encodes by merge rank and decodes exactly")

# %% [markdown]
# ## Step 7 · Special tokens
#
# Models need a few ids that no text can produce: `<|endoftext|>` between documents, `<pad>`
# for padding, `<|user|>` in a chat format. A **special token** is a string that gets its own id,
# **after** the learned vocabulary, and that `encode` recognises as a whole instead of splitting
# it into bytes:
#
# ```
# bpe = BPETokenizer().train("aaabdaaabac", 259)  # the example above: "ab" is token 257
# bpe.add_special_tokens(["<|endoftext|>"])       # id = vocab_size before adding: 259
# bpe.encode("ab<|endoftext|>ab")                 # [257, 259, 257], not the 13 bytes of '<|endoftext|>'
# ```
#
# Implement
#
# - `add_special_tokens(tokens)`: for each string not yet special, id = the current `vocab_size`;
#   record it in `self.special_tokens` and put its UTF-8 bytes in `self.vocab` (then `decode` needs
#   no change). Returns `self`.
# - `encode(text)`: split the text around special tokens with a regular expression that captures
#   them, `re.split("(" + "|".join(re.escape(t) for t in specials) + ")", text)`, map each special
#   piece to its id and encode every other piece with `encode_ordinary`. Put the **longer** special
#   tokens first in the pattern: the regex takes the first alternative that matches, so with
#   `<|end|>` listed before `<|end|>\n` (a chat format's "end of turn and newline") the longer one
#   would never match. With no special tokens, `encode` is `encode_ordinary`.

# %% nbgrader={"grade": false, "grade_id": "special-tokens", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
@extend(BPETokenizer)
def add_special_tokens(self, tokens):
    """Give each new special token string the next id after the vocabulary. Returns self."""
    ### BEGIN SOLUTION
    for token in tokens:
        if token not in self.special_tokens:
            new_id = self.vocab_size
            self.special_tokens[token] = new_id
            self.vocab[new_id] = token.encode("utf-8")
    return self
    ### END SOLUTION


@extend(BPETokenizer)
def encode(self, text):
    """Token ids of text, with each special token string encoded as its single id."""
    ### BEGIN SOLUTION
    if not self.special_tokens:
        return self.encode_ordinary(text)
    specials = sorted(self.special_tokens, key=len, reverse=True)
    pattern = "(" + "|".join(re.escape(t) for t in specials) + ")"
    ids = []
    for piece in re.split(pattern, text):
        if piece in self.special_tokens:
            ids.append(self.special_tokens[piece])
        elif piece:
            ids.extend(self.encode_ordinary(piece))
    return ids
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-special-tokens", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
bpe = BPETokenizer().train("aaabdaaabac", 259).add_special_tokens(["<|endoftext|>"])
expect(bpe.special_tokens, {"<|endoftext|>": 259}, "the first special token gets the id after the vocabulary")
expect(bpe.encode("ab<|endoftext|>aaab"), [257, 259, 258], "a special token should be one id")
expect(bpe.decode(bpe.encode("x<|endoftext|>")), "x<|endoftext|>", "special tokens decode to their text")
expect(bpe.vocab_size, 260, "the vocabulary grows by one")
### BEGIN HIDDEN TESTS
_b = BPETokenizer().train("hello", 258).add_special_tokens(["<|end|>", "<|end|>\n", "<|end|>"])
expect(_b.special_tokens, {"<|end|>": 258, "<|end|>\n": 259}, "a repeated special token is added once")
expect(_b.encode("<|end|>\nhello<|end|><|end|>"), [259, 257, 108, 111, 258, 258],
       "the longer special token must win over its prefix")
expect(_b.encode("hello"), [257, 108, 111], "text without specials encodes as before")
expect(BPETokenizer().train("ab", 256).encode("ab"), [97, 98], "no special tokens: encode is encode_ordinary")
expect(_b.encode("a.b<|end|>"), [97, 46, 98, 258], "regex characters in the text are not special")
### END HIDDEN TESTS
print("✅ Step 7: special tokens work")

# %% [markdown]
# ## Step 8 · Batches: padding, truncation and the attention mask
#
# A batch is a rectangular array, but texts have different lengths. `pad_sequences` makes them
# rectangular:
#
# ```
# seqs = [[5, 6, 7], [8], [1, 2, 3, 4, 9]]     max_len = 4, pad_id = 0, truncate="right"
#
# ids  = [[5, 6, 7, 0],        mask = [[ True,  True,  True, False],
#         [8, 0, 0, 0],                [ True, False, False, False],
#         [1, 2, 3, 4]]                [ True,  True,  True,  True]]
# ```
#
# - The length `L` is `max_len`, or the longest sequence when `max_len` is None.
# - Longer sequences are **truncated**: `truncate="right"` keeps the first `L` ids,
#   `truncate="left"` keeps the **last** `L` (what a chat model does to keep the most recent
#   context). Any other value → `ValueError`.
# - Shorter ones are **padded on the right** with `pad_id`.
# - The **attention mask** is `True` at real tokens, `False` at padding. Attention (module 12)
#   uses it so that no token attends to padding, and losses skip padded positions.
#
# Return `(ids, mask)`: `ids` an int64 array `(N, L)`, `mask` a bool array `(N, L)`. The given
# `encode_batch(tokenizer, texts, ...)` below encodes texts with any tokenizer and calls it.

# %% nbgrader={"grade": false, "grade_id": "pad-sequences", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def pad_sequences(seqs, max_len=None, pad_id=0, truncate="right"):
    """(ids int64 (N, L), mask bool (N, L)): right-padded with pad_id, truncated on the `truncate` side."""
    ### BEGIN SOLUTION
    if truncate not in ("right", "left"):
        raise ValueError(f"truncate must be 'right' or 'left', got {truncate!r}")
    length = max((len(s) for s in seqs), default=0) if max_len is None else max_len
    ids = np.full((len(seqs), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(seqs), length), dtype=bool)
    for row, seq in enumerate(seqs):
        seq = list(seq)
        kept = seq[:length] if truncate == "right" else seq[max(len(seq) - length, 0):]
        ids[row, :len(kept)] = kept
        mask[row, :len(kept)] = True
    return ids, mask
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "encode-batch", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| export
def encode_batch(tokenizer, texts, max_len=None, pad_id=0, truncate="right"):
    """Given: encode every text with `tokenizer` and pad/truncate them into (ids, mask)."""
    return pad_sequences([tokenizer.encode(t) for t in texts], max_len=max_len, pad_id=pad_id, truncate=truncate)


# %% nbgrader={"grade": true, "grade_id": "test-pad-sequences", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
ids, mask = pad_sequences([[5, 6, 7], [8], [1, 2, 3, 4, 9]], max_len=4)
expect(ids, np.array([[5, 6, 7, 0], [8, 0, 0, 0], [1, 2, 3, 4]]), "right padding with 0, right truncation to 4")
expect(mask, np.array([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]], dtype=bool), "mask: True at real tokens")
expect(str(ids.dtype), "int64", "ids should be int64")
expect(str(mask.dtype), "bool", "the mask should be bool")
left, _ = pad_sequences([[1, 2, 3, 4, 9]], max_len=3, truncate="left")
expect(left, np.array([[3, 4, 9]]), "truncate='left' keeps the last ids")
### BEGIN HIDDEN TESTS
_i, _m = pad_sequences([[1], [2, 3, 4]], pad_id=-1)
expect(_i, np.array([[1, -1, -1], [2, 3, 4]]), "without max_len, pad to the longest, with pad_id")
expect(_m.sum(axis=1), np.array([1, 3]), "the mask counts real tokens")
_i2, _m2 = pad_sequences([np.array([7, 8, 9]), []], max_len=2, pad_id=5, truncate="left")
expect(_i2, np.array([[8, 9], [5, 5]]), "NumPy and empty sequences, left truncation")
expect(_m2, np.array([[True, True], [False, False]]), "an empty sequence has an all-False mask")
with expect_raises(ValueError, "an unknown truncate side should raise ValueError"):
    pad_sequences([[1]], truncate="middle")
expect(pad_sequences([], max_len=3)[0].shape, (0, 3), "no sequences give an empty (0, L) batch")
### END HIDDEN TESTS
print("✅ Step 8: pad_sequences works")

# %% [markdown]
# ## Systems analysis
#
# ### 1. Characters per token against vocabulary size, on Tiny Shakespeare
#
# The cell below reads Tiny Shakespeare (1.1 MB) from `$TINYTORCH_DATA/tinyshakespeare/input.txt`
# (or `~/.tinytorch/data/...`). Without the file it uses a short built-in passage, so the notebook
# runs anywhere, with less meaningful numbers.
#
# A tokenizer trained to `256 + k` merges is exactly the first `k` merges of a longer training
# run (training is greedy and never revisits a merge). So **one** training run gives every
# vocabulary size: keep `merges[:k]`. We train on the first 10,000 characters and measure the
# compression, **characters per token**, on the next 2,000 (text the tokenizer never saw).

# %% nbgrader={"grade": false, "grade_id": "analysis-data", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
from tinytorch_runtime.timing import measure

FALLBACK_TEXT = """From fairest creatures we desire increase,
That thereby beauty's rose might never die,
But as the riper should by time decease,
His tender heir might bear his memory:
But thou contracted to thine own bright eyes,
Feed'st thy light's flame with self-substantial fuel,
Making a famine where abundance lies,
Thy self thy foe, to thy sweet self too cruel:
Thou that art now the world's fresh ornament,
And only herald to the gaudy spring,
Within thine own bud buriest thy content,
And, tender churl, mak'st waste in niggarding:
Pity the world, or else this glutton be,
To eat the world's due, by the grave and thee.
When forty winters shall besiege thy brow,
And dig deep trenches in thy beauty's field,
Thy youth's proud livery so gazed on now,
Will be a totter'd weed of small worth held:
Then being asked, where all thy beauty lies,
Where all the treasure of thy lusty days;
To say, within thine own deep sunken eyes,
Were an all-eating shame, and thriftless praise.
"""


def load_shakespeare():
    """Tiny Shakespeare from the data folder, or the built-in passage (and where it came from)."""
    root = Path(os.environ.get("TINYTORCH_DATA") or Path.home() / ".tinytorch" / "data")
    path = root / "tinyshakespeare" / "input.txt"
    if path.is_file():
        return path.read_text(encoding="utf-8"), str(path)
    return FALLBACK_TEXT, "the built-in passage (no Tiny Shakespeare file found)"


corpus, source = load_shakespeare()
n_train = min(10_000, int(len(corpus) * 0.8))
train_text, heldout_text = corpus[:n_train], corpus[n_train:n_train + 2_000]
print(f"text: {source}, {len(corpus):,} characters; training on {len(train_text):,}, measuring on {len(heldout_text):,}")
char_tok = CharTokenizer(corpus)
print(f"character vocabulary: {char_tok.vocab_size} symbols: {''.join(char_tok.vocab)!r}")

# %% nbgrader={"grade": false, "grade_id": "analysis-compression", "locked": true, "schema_version": 3, "solution": false, "task": false}
def with_merges(tokenizer, k):
    """A tokenizer holding only the first k merges of `tokenizer` (= trained to vocab size 256 + k)."""
    small = BPETokenizer()
    small.merges = tokenizer.merges[:k]
    for new_id, (a, b) in enumerate(small.merges, start=256):
        small.vocab[new_id] = small.vocab[a] + small.vocab[b]
    return small


start = time.perf_counter()
big = BPETokenizer().train(train_text, 256 + 200)
train_seconds = time.perf_counter() - start
print(f"trained {len(big.merges)} merges on {len(train_text):,} characters in {train_seconds:.1f} s "
      f"(wall clock, one run)")
print("first merges:", [big.vocab[256 + k].decode("utf-8", "replace") for k in range(12)])
print("last merges: ", [big.vocab[256 + k].decode("utf-8", "replace") for k in range(len(big.merges) - 8, len(big.merges))])

sizes = [256, 272, 288, 320, 352, 384, 456]
chars_per_token = []
for size in sizes:
    ids = with_merges(big, size - 256).encode_ordinary(heldout_text)
    chars_per_token.append(len(heldout_text) / len(ids))
print(f"{'vocab size':>10}{'chars/token (held out)':>25}")
for size, cpt in zip(sizes, chars_per_token):
    print(f"{size:>10}{cpt:>25.2f}")

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(sizes, chars_per_token, "o-", label="byte-level BPE (held-out text)")
ax.scatter([char_tok.vocab_size], [1.0], color="tab:red", zorder=3, label=f"characters ({char_tok.vocab_size} symbols)")
ax.set_xlabel("vocabulary size")
ax.set_ylabel("characters per token")
ax.set_title("compression grows with the vocabulary")
ax.legend()
plt.show()

# %% [markdown]
# The first merges are the commonest pairs of English: a letter followed by a space, "th", "he",
# "ou"; later merges build whole short words (" the", " and") and names that recur in the play.
# Every merge shortens the sequences, but each new token saves less than the one before it (the
# curve flattens): GPT-2 needs 50,000 merges to reach about 4 characters per token on English
# web text. Shorter sequences make attention cheaper (its cost grows with T²); a larger
# vocabulary makes the embedding table and the output layer bigger (module 11) and leaves each
# token with fewer training examples. On Tiny Shakespeare's 1 MB, a character-level model is
# the sensible choice, which is what the TinyGPT milestone uses.
#
# ### 2. Encode throughput
#
# How fast are the tokenizers? Encode the held-out text with each and count characters per
# second. The character tokenizer does one dict lookup per character. Your BPE `encode_ordinary`
# rescans the whole sequence for every merge it applies: its cost grows with the length of the
# text **times** the number of merges used, which is why production tokenizers first split the
# text into words (a regular expression), encode each distinct word once and cache it, and are
# written in Rust.

# %% nbgrader={"grade": false, "grade_id": "analysis-throughput", "locked": true, "schema_version": 3, "solution": false, "task": false}
sample = heldout_text[:1_000]
encoders = {"CharTokenizer": char_tok.encode}
for size in (288, 352, 456):
    encoders[f"BPE, vocab {size}"] = with_merges(big, size - 256).encode_ordinary
# measure(): the median of 3 runs (and their IQR), fast calls looped so each run lasts a few ms
timings = {name: measure(encode, sample, repeats=3, warmup=0) for name, encode in encoders.items()}
throughput = {name: len(sample) / t.median for name, t in timings.items()}
for name, rate in throughput.items():
    print(f"{name:<18}{rate:>14,.0f} characters/s   ({timings[name]} for {len(sample):,} characters)")
print(f"Tiny Shakespeare (1.1 M characters) with the largest BPE would take about "
      f"{1_115_394 / throughput[f'BPE, vocab {sizes[-1]}']:.0f} s to encode")

fig, ax = plt.subplots(figsize=(7, 3))
spread = [[rate - len(sample) / timings[name].q3 for name, rate in throughput.items()],
          [len(sample) / timings[name].q1 - rate for name, rate in throughput.items()]]
ax.barh(list(throughput), list(throughput.values()), xerr=spread, capsize=3,
        color=["tab:red"] + ["tab:blue"] * (len(throughput) - 1))
ax.set_xscale("log")
ax.set_xlabel("characters per second (log scale; median, IQR)")
ax.set_title("encode throughput")
fig.tight_layout()
plt.show()

# %% [markdown]
# The character tokenizer encodes millions of characters per second; your BPE is two to three
# orders of magnitude slower, and slower again as the vocabulary grows (more merges to apply,
# each a pass over the text). Three runs on a shared 2-core machine (load 8) measured 5–24
# million characters per second for the characters, 39,000–88,000 for BPE at vocab 288 and
# 10,000–29,000 at vocab 456: 130–830× slower. tiktoken, with 100,000 merges, encodes millions of characters per second.
# Tokenising a large corpus is therefore done **once**, before training, and the ids are saved
# (nanoGPT writes them to a `train.bin` file of uint16).

# %% [markdown]
# ## Integration test: a batch for a language model
#
# Train a BPE on a small text, add `<pad>` and `<|endoftext|>`, encode a batch of documents with
# the end-of-text marker, pad it with the `<pad>` id, and decode every row back (without the
# padding) to the original documents.

# %% nbgrader={"grade": true, "grade_id": "test-integration", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
docs = ["to be or not to be", "that is the question", "be"]
tok = BPETokenizer().train(" ".join(docs) * 3, 280).add_special_tokens(["<pad>", "<|endoftext|>"])
pad, eot = tok.special_tokens["<pad>"], tok.special_tokens["<|endoftext|>"]
expect((pad, eot), (280, 281), "the special tokens come after the 280 learned ids")
batch, batch_mask = encode_batch(tok, [d + "<|endoftext|>" for d in docs], pad_id=pad)
expect(batch.shape, (3, 9), "three documents padded to the longest one")
expect(batch_mask.sum(axis=1), np.array([5, 9, 3]), "tokens per document, end-of-text included")
expect([tok.decode(row[m]) for row, m in zip(batch, batch_mask)], [d + "<|endoftext|>" for d in docs],
       "every row decodes back to its document")
### BEGIN HIDDEN TESTS
_ids, _m = encode_batch(CharTokenizer("abc "), ["ab", "c a b", ""], max_len=3, pad_id=9, truncate="left")
expect(_ids, np.array([[1, 2, 9], [1, 0, 2], [9, 9, 9]]), "encode_batch with a CharTokenizer and left truncation")
expect(_m, np.array([[True, True, False], [True, True, True], [False, False, False]]), "its mask")
expect(batch[2], np.array([98, 101, 281, 280, 280, 280, 280, 280, 280]),
       "the short document: 'b', 'e', end of text, then padding")
expect(len(tok.encode(" ".join(docs))), 10, "the training text compresses (38 characters)")
### END HIDDEN TESTS
print("✅ Integration: a padded batch round-trips")

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Reflection questions
#
# Answer each question in the cell below it, in a few sentences. Use numbers from your own runs
# where they help. These are graded by hand.
#
# **Q1 (6 points): choosing a vocabulary.** From your compression plot: (a) how many characters
# per token do you get at vocabulary 256, 320 and 456? Why is it about 1.0 at 256 for this text?
# (b) A TinyGPT with block size 64 reads 64 tokens. How many characters of Shakespeare does it see
# with the character tokenizer and with your largest BPE? Name one cost of the larger vocabulary
# (use module 11's table memory or the training data per token).

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-vocabulary", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Numbers from the student's plot; on Tiny Shakespeare
# typically 1.0 at 256, about 1.5 at 320 and about 1.85 at 456 (10,000 training characters). At 256 there are no merges:
# one token per byte, and the text is plain ASCII, so one byte per character (1.0 exactly; a text
# with accents or emoji would give *fewer* than 1 character per token). (b) Character level:
# 64 characters; with ~1.85 characters per token about 118 characters: the same attention cost
# (T = 64) covers almost twice the text, or the same text needs about half the T (about a quarter
# of the attention matrix). Costs: a larger embedding table and output layer (V x D each, 4 copies while training
# with Adam), a larger softmax over V per position, and each token is seen less often in a small
# corpus (rare merged tokens are poorly trained), plus slower tokenisation.
# Grading: (a) 3 points (three numbers from their plot 1.5; no merges + ASCII = 1 byte per
# character 1.5), (b) 3 points (64 vs about 1.8x more characters 1.5; one valid cost 1.5).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q2", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q2 (6 points): why bytes?** (a) Your character tokenizer was fitted on Shakespeare. What
# happens when a user types "naïve 😀"? Compare both unknown-character policies with what your
# BPE does. (b) Why must `decode` use `errors="replace"` for ids *generated* by a model, although
# `decode(encode(text))` never needs it? Give a two-token example.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-bytes", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) "ï" and "😀" are not in the Shakespeare vocabulary. With the
# default policy `encode` raises KeyError: the model cannot take the input at all. With
# `unk="�"` both become the same unk id: the text is accepted but the information is lost
# (decode gives "na�ve �", every unknown character is indistinguishable). Byte-level BPE has all
# 256 bytes as base tokens, so every string is representable: "ï" is two bytes, "😀" four; they
# may be split into several tokens (inefficient for rare scripts) but the round trip is exact.
# (b) Tokens are byte sequences, and merges may split a multi-byte character between tokens (or
# a model may emit byte tokens in any order). E.g. "😀" is F0 9F 98 80: if a model generates the
# token for F0 9F followed by the token for "a", the joined bytes are not valid UTF-8 and a
# strict decode raises UnicodeDecodeError; "replace" prints "�a". Ids from encode are always the
# complete byte sequence of a valid string, so they always decode cleanly.
# Grading: (a) 3 points (KeyError 1, unk loses information 1, bytes always representable 1),
# (b) 3 points (split multi-byte character 1.5, concrete example 1.5).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "reflection-q3", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Q3 (6 points): cost of BPE.** (a) Using your throughput measurement, how long would your BPE
# take to encode all of Tiny Shakespeare, and why does it get slower as the vocabulary grows?
# (b) What is the time complexity of your `train` in terms of the text length n and the number of
# merges M? Describe one change that makes training or encoding much faster without changing the
# result.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflect-bpe-cost", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) Read from their run: 1.1 M characters divided by the BPE
# throughput (typically tens of thousands of characters/s, so tens of seconds to a few minutes,
# against well under a second for the character tokenizer). Each applied merge is one more pass
# (building the pair set, finding the min-rank pair, merge_pair) over the sequence, and a larger
# vocabulary means more merges apply per text. (b) Each merge counts all pairs (O(n)) and merges
# (O(n)): O(n·M) for training (and O(n·M) worst case for encoding a text of length n). Faster with
# the same result: pre-split the text into words (regex) and count each distinct word once with
# its frequency (GPT-2 / HF tokenizers; changes which merges are possible across word boundaries,
# so it is the same only if the split is part of the definition); update pair counts incrementally
# after each merge instead of recounting (only pairs next to merged positions change), with a
# priority queue for the max; for encoding, cache the encoding of each distinct word, or a
# vectorised/compiled merge loop.
# Grading: (a) 2 points (estimate from their numbers; more merges to apply), (b) 4 points
# (O(n·M) 2; one valid speed-up with why 2).
# ### END SOLUTION

# %% [markdown]
# ## Export
#
# Save the notebook (Ctrl+S), then run the cell below. It writes every `#| export` cell to
# `tinytorch/tokenization.py` in your store and checks that it imports, so that the TinyGPT
# milestone can `from tinytorch.tokenization import CharTokenizer`.

# %% nbgrader={"grade": false, "grade_id": "export", "locked": true, "schema_version": 3, "solution": false, "task": false}
from tinytorch_runtime import export_module
export_module("10_tokenization");
