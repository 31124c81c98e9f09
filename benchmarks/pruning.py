"""Magnitude pruning, masked fine-tuning, CSR bytes and distillation on MNIST (module 16).

    TINYTORCH_DATA=/work/shared/data python benchmarks/pruning.py [--epochs 3] [--finetune 3] [--json out.json]

Trains the milestone's MLP (784-256-128-10, ReLU, Adam) with the instructor reference, prunes 80 % of its
Linear weights globally by magnitude (tinytorch.compression), fine-tunes with MaskedOptimizer for up to
--finetune epochs, and prints in one run: test accuracy dense / pruned / after each fine-tune epoch (and the
difference in points), the sparsity after fine-tuning, dense and CSR bytes of the weights; then a small
student (784-32-10) trained alone vs distilled from the dense teacher (same init, data and epochs).
Baseline in the same process: torch.nn.utils.prune.global_unstructured at the same amount on the same
weights (its mask must equal ours up to ties; the number of differing entries is printed).
Promises (issue 15): 80 % sparsity with <= 0.5 points accuracy loss after <= 3 fine-tune epochs.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def use_reference() -> None:
    os.environ.update(TINYTORCH_COURSE=str(REPO / "course.yml"), TINYTORCH_MODE="grading",
                      TINYTORCH_REFERENCE=str(REPO / "build" / "reference"))
    os.environ.pop("TINYTORCH_MODULE", None)


def prepare(images):
    x = images.reshape(len(images), -1).astype(np.float32) / 255.0
    return (x - 0.1307) / 0.3081


def mlp(sizes, seed):
    from tinytorch.activations import ReLU
    from tinytorch.layers import Linear, Sequential
    rng = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [Linear(a, b, init="he", rng=rng)] + ([ReLU()] if i < len(sizes) - 2 else [])
    return Sequential(*layers)


def run_epochs(model, x, y, epochs, make_opt, loss_fn, seed, lr0=1e-3, decay=0.5, on_epoch=None):
    from tinytorch.tensor import Tensor
    opt = make_opt(lr0)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        opt_lr = lr0 * decay ** epoch
        inner = getattr(opt, "optimizer", opt)
        inner.lr = opt_lr
        order = rng.permutation(len(x))
        for start in range(0, len(x), 128):
            idx = order[start:start + 128]
            opt.zero_grad()
            loss = loss_fn(model(Tensor(x[idx])), y[idx], idx)
            loss.backward()
            opt.step()
        print(f"  epoch {epoch + 1}/{epochs}: last batch loss {float(loss.data):.4f}", flush=True)
        if on_epoch:
            on_epoch(epoch)


def accuracy(model, x, y):
    from tinytorch.autograd import no_grad
    from tinytorch.tensor import Tensor
    with no_grad():
        preds = np.concatenate([model(Tensor(x[i:i + 1000])).data.argmax(axis=1) for i in range(0, len(x), 1000)])
    return float((preds == y).mean())


def torch_mask_difference(weights, masks, amount):
    try:
        import torch
        import torch.nn.utils.prune as prune
    except ImportError:
        return None
    mods = []
    for w in weights:
        m = torch.nn.Linear(w.shape[0], w.shape[1], bias=False)
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(w.T.copy()))
        mods.append(m)
    prune.global_unstructured([(m, "weight") for m in mods], pruning_method=prune.L1Unstructured, amount=amount)
    return int(sum((m.weight_mask.numpy().T.astype(bool) != mask).sum() for m, mask in zip(mods, masks)))


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--finetune", type=int, default=3)
    p.add_argument("--sparsity", type=float, default=0.8)
    p.add_argument("--student-epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json")
    args = p.parse_args(argv)
    if not os.environ.get("TINYTORCH_DATA"):
        sys.exit("set TINYTORCH_DATA to the folder holding mnist/")
    use_reference()
    from tinytorch.compression import (MaskedOptimizer, csr_bytes, distillation_loss, global_magnitude_prune,
                                       prunable_weights, sparsity)
    from tinytorch.dataloader import load_mnist
    from tinytorch.losses import CrossEntropyLoss
    from tinytorch.optimizers import Adam

    (train_x, train_y), (test_x, test_y) = load_mnist("train"), load_mnist("test")
    train_x, test_x = prepare(train_x), prepare(test_x)
    train_y, test_y = train_y.astype(np.int64), test_y.astype(np.int64)
    ce = lambda logits, yb, idx: CrossEntropyLoss()(logits, yb)
    out = {}

    print(f"training 784-256-128-10 for {args.epochs} epochs", flush=True)
    model = mlp([784, 256, 128, 10], args.seed)
    run_epochs(model, train_x, train_y, args.epochs, lambda lr: Adam(model.parameters(), lr=lr), ce, args.seed)
    out["dense_accuracy"] = accuracy(model, test_x, test_y)
    weights = prunable_weights(model)
    dense_w_bytes = int(sum(w.data.nbytes for w in weights))
    masks = global_magnitude_prune(weights, args.sparsity)
    out["torch_mask_entries_differing"] = torch_mask_difference([w.data for w in weights], masks, args.sparsity)
    teacher_logits = np.concatenate([model(__import__("tinytorch.tensor", fromlist=["Tensor"]).Tensor(
        train_x[i:i + 2000])).data for i in range(0, len(train_x), 2000)])
    masked = MaskedOptimizer(Adam(weights, lr=1e-3), masks)
    out["pruned_accuracy"] = accuracy(model, test_x, test_y)
    out["per_layer_kept"] = [int(m.sum()) for m in masks]
    out["finetune_accuracy"] = []
    run_epochs(model, train_x, train_y, args.finetune, lambda lr: masked, ce, args.seed + 1, lr0=5e-4,
               on_epoch=lambda e: out["finetune_accuracy"].append(accuracy(model, test_x, test_y)))
    out["sparsity"] = sparsity(weights)
    out["dense_weight_bytes"] = dense_w_bytes
    out["csr_weight_bytes"] = int(sum(csr_bytes(w) for w in weights))
    print(f"dense {out['dense_accuracy']:.4f}  pruned {args.sparsity:.0%} (no fine-tune) {out['pruned_accuracy']:.4f}  "
          f"fine-tuned per epoch {[round(a, 4) for a in out['finetune_accuracy']]}")
    print(f"loss after fine-tuning: {100 * (out['dense_accuracy'] - out['finetune_accuracy'][-1]):+.2f} points; "
          f"sparsity {out['sparsity']:.4f}; kept per layer {out['per_layer_kept']}")
    print(f"weights: dense {dense_w_bytes:,} B, CSR {out['csr_weight_bytes']:,} B, "
          f"ratio {dense_w_bytes / out['csr_weight_bytes']:.2f}x; torch global_unstructured mask differs in "
          f"{out['torch_mask_entries_differing']} entries")

    print(f"students 784-32-10, {args.student_epochs} epochs: alone vs distilled (T=4, alpha=0.7)", flush=True)
    alone = mlp([784, 32, 10], args.seed + 7)
    run_epochs(alone, train_x, train_y, args.student_epochs, lambda lr: Adam(alone.parameters(), lr=lr), ce, args.seed)
    student = mlp([784, 32, 10], args.seed + 7)
    run_epochs(student, train_x, train_y, args.student_epochs, lambda lr: Adam(student.parameters(), lr=lr),
               lambda logits, yb, idx: distillation_loss(logits, teacher_logits[idx], yb, temperature=4.0, alpha=0.7),
               args.seed)
    out["student_alone_accuracy"] = accuracy(alone, test_x, test_y)
    out["student_distilled_accuracy"] = accuracy(student, test_x, test_y)
    print(f"teacher {out['dense_accuracy']:.4f}; student alone {out['student_alone_accuracy']:.4f}, "
          f"distilled {out['student_distilled_accuracy']:.4f}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
