"""A PyTorch re-implementation of tinytorch.transformers.TinyGPT (same architecture, same parameter
names mapped one to one), for the step benchmark and the torch agreement tests.

    model = TorchGPT(vocab_size, block_size, dim, num_layers, num_heads)
    copy_weights(tinygpt, model)               # TinyTorch Linear weights are (in, out): transposed here
    grads = tinytorch_named_grads(model)       # torch gradients under TinyTorch's parameter names
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class TorchBlock(nn.Module):
    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)

    def forward(self, x):
        n, t, d = x.shape
        h = self.ln1(x)
        q, k, v = (proj(h).view(n, t, self.num_heads, d // self.num_heads).transpose(1, 2)
                   for proj in (self.q, self.k, self.v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o(y.transpose(1, 2).reshape(n, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class TorchGPT(nn.Module):
    def __init__(self, vocab_size: int, block_size: int, dim: int, num_layers: int, num_heads: int):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, dim)
        self.pos = nn.Parameter(torch.zeros(block_size, dim))
        self.blocks = nn.ModuleList(TorchBlock(dim, num_heads) for _ in range(num_layers))
        self.ln_f = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab_size)

    def forward(self, idx):
        x = self.tok(idx) + self.pos[: idx.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


_LINEARS = {"attn.q_proj": "q", "attn.k_proj": "k", "attn.v_proj": "v", "attn.out_proj": "o",
            "mlp.fc1": "fc1", "mlp.fc2": "fc2"}


def name_map(num_layers: int) -> dict[str, tuple[str, bool]]:
    """TinyTorch parameter name -> (torch parameter name, transposed?)."""
    names = {"token_embedding.weight": ("tok.weight", False), "position_embedding.weight": ("pos", False),
             "ln_f.weight": ("ln_f.weight", False), "ln_f.bias": ("ln_f.bias", False),
             "head.weight": ("head.weight", True), "head.bias": ("head.bias", False)}
    for i in range(num_layers):
        for ln in ("ln1", "ln2"):
            for kind in ("weight", "bias"):
                names[f"blocks.{i}.{ln}.{kind}"] = (f"blocks.{i}.{ln}.{kind}", False)
        for ours, theirs in _LINEARS.items():
            names[f"blocks.{i}.{ours}.weight"] = (f"blocks.{i}.{theirs}.weight", True)
            names[f"blocks.{i}.{ours}.bias"] = (f"blocks.{i}.{theirs}.bias", False)
    return names


def copy_weights(tinygpt, model: TorchGPT) -> None:
    theirs = dict(model.named_parameters())
    mapping = name_map(len(model.blocks))
    ours = dict(tinygpt.named_parameters())
    assert set(ours) == set(mapping), sorted(set(ours) ^ set(mapping))
    with torch.no_grad():
        for name, p in ours.items():
            target, transposed = mapping[name]
            theirs[target].copy_(torch.tensor(p.data.T if transposed else p.data))


def tinytorch_named_grads(model: TorchGPT) -> dict[str, np.ndarray]:
    theirs = dict(model.named_parameters())
    out = {}
    for name, (target, transposed) in name_map(len(model.blocks)).items():
        g = theirs[target].grad.numpy()
        out[name] = g.T if transposed else g
    return out
