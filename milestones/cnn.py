"""Milestone 2: a convolutional network on Fashion-MNIST (or CIFAR-10), built only from TinyTorch modules.

    python milestones/cnn.py                         # with your own exports (~/.tinytorch)
    python milestones/cnn.py --reference             # with the instructor reference (after `tito build`)
    python milestones/cnn.py --dataset cifar10       # CIFAR-10 (needs $TINYTORCH_DATA/cifar-10-batches-py)

Uses tinytorch.spatial (Conv2d, BatchNorm2d, MaxPool2d, Flatten), tinytorch.layers (Linear,
Sequential), tinytorch.activations (ReLU), tinytorch.losses (CrossEntropyLoss), tinytorch.autograd,
tinytorch.optimizers (Adam), tinytorch.training (train_epoch, evaluate, CosineAnnealingLR) and
tinytorch.dataloader (load_mnist / load_cifar10, DataLoader). Data is read from $TINYTORCH_DATA.

Fashion-MNIST target: >= 91 % test accuracy in <= 10 minutes on 2 CPU cores with the reference.
CIFAR-10 is not available offline where this course was built: no CIFAR-10 figure has been
measured; the --dataset cifar10 path is tested on small files in CIFAR-10's pickle format only.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

# per-channel mean and std of the training images (after scaling to [0, 1])
STATS = {"fashion-mnist": ([0.2860], [0.3530]),
         "cifar10": ([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616])}
CLASSES = {"fashion-mnist": ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
                             "bag", "boot"],
           "cifar10": ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]}


def use_reference(folder: Path) -> None:
    os.environ.update(TINYTORCH_COURSE=str(REPO / "course.yml"), TINYTORCH_MODE="grading",
                      TINYTORCH_REFERENCE=str(folder))
    os.environ.pop("TINYTORCH_MODULE", None)


def load(dataset: str, checksums: dict | None):
    """((train_x, train_y), (test_x, test_y)) as float32 (N, C, H, W) normalised images and int64 labels."""
    from tinytorch.dataloader import load_cifar10, load_mnist

    if dataset == "fashion-mnist":
        splits = [load_mnist(s, kind="fashion-mnist", **({"checksums": checksums} if checksums else {}))
                  for s in ("train", "test")]
        splits = [(x[:, None], y) for x, y in splits]                      # (N, 28, 28) -> (N, 1, 28, 28)
    else:
        splits = [load_cifar10(s, download=False, **({"checksums": checksums} if checksums else {}))
                  for s in ("train", "test")]
        splits = [(x.transpose(0, 3, 1, 2), y) for x, y in splits]         # (N, 32, 32, 3) -> (N, 3, 32, 32)
    mean, std = (np.array(v, np.float32).reshape(1, -1, 1, 1) for v in STATS[dataset])
    return [(((x.astype(np.float32) / 255.0) - mean) / std, y.astype(np.int64)) for x, y in splits]


def build_model(in_channels: int, side: int, width: int, seed: int):
    """conv-bn-relu-pool x2, then a small MLP head."""
    from tinytorch.activations import ReLU
    from tinytorch.layers import Linear, Sequential
    from tinytorch.spatial import BatchNorm2d, Conv2d, Flatten, MaxPool2d

    rng = np.random.default_rng(seed)
    c1, c2 = width, 2 * width
    features = (side // 4) * (side // 4) * c2
    return Sequential(
        Conv2d(in_channels, c1, 3, padding=1, bias=False, rng=rng), BatchNorm2d(c1), ReLU(), MaxPool2d(2),
        Conv2d(c1, c2, 3, padding=1, bias=False, rng=rng), BatchNorm2d(c2), ReLU(), MaxPool2d(2),
        Flatten(), Linear(features, 128, init="he", rng=rng), ReLU(), Linear(128, 10, rng=rng))


def random_flip(seed: int):
    """A DataLoader transform: mirror a random half of the batch left-right (clothes and CIFAR objects
    stay what they are when mirrored)."""
    from tinytorch.tensor import Tensor

    rng = np.random.default_rng(seed)

    def transform(x):
        data = x.data.copy()
        flip = rng.random(len(data)) < 0.5
        data[flip] = data[flip, :, :, ::-1]
        return Tensor(data)

    return transform


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", nargs="?", const=str(REPO / "build" / "reference"), metavar="DIR",
                   help="use the instructor reference modules (default folder: build/reference)")
    p.add_argument("--dataset", choices=["fashion-mnist", "cifar10"], default="fashion-mnist")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--width", type=int, default=16, help="channels of the first convolution (the second has twice)")
    p.add_argument("--train-limit", type=int, help="use only the first N training images (a quick run)")
    p.add_argument("--test-limit", type=int, help="use only the first N test images")
    p.add_argument("--no-flip", action="store_true", help="no random left-right flips")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checksums", help="JSON file {file name: digest} overriding the loader's known checksums "
                                       "(for test files or a re-packed copy)")
    p.add_argument("--plot", default="cnn.png", help="where to save the loss/accuracy plot ('' for none)")
    p.add_argument("--json", help="also write the results as JSON here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.reference:
        use_reference(Path(args.reference))
    os.environ.setdefault("TINYTORCH_COURSE", str(REPO / "course.yml"))

    from tqdm import tqdm

    from tinytorch.dataloader import DataLoader, TensorDataset
    from tinytorch.losses import CrossEntropyLoss
    from tinytorch.optimizers import Adam
    from tinytorch.training import CosineAnnealingLR, evaluate, train_epoch

    checksums = json.loads(Path(args.checksums).read_text()) if args.checksums else None
    (train_x, train_y), (test_x, test_y) = load(args.dataset, checksums)
    train_x, train_y = train_x[:args.train_limit], train_y[:args.train_limit]
    test_x, test_y = test_x[:args.test_limit], test_y[:args.test_limit]
    print(f"{args.dataset}: {len(train_x)} training and {len(test_x)} test images of shape {train_x.shape[1:]}")

    train = DataLoader(TensorDataset(train_x, train_y), batch_size=args.batch_size, shuffle=True, seed=args.seed,
                       transform=None if args.no_flip else random_flip(args.seed))
    test = DataLoader(TensorDataset(test_x, test_y), batch_size=500)
    model = build_model(train_x.shape[1], train_x.shape[2], args.width, args.seed)
    optimizer = Adam(model.parameters(), lr=args.lr)
    schedule = CosineAnnealingLR(optimizer, T_max=args.epochs)
    cross_entropy = CrossEntropyLoss()
    history = {"step_loss": [], "test_accuracy": [], "epoch_seconds": []}

    def loss_fn(logits, labels):
        """Cross-entropy that also records every batch's loss for the plot and the progress bar."""
        loss = cross_entropy(logits, labels)
        history["step_loss"].append(loss.item())
        if len(history["step_loss"]) % 20 == 0 and bar is not None:
            bar.set_postfix(loss=f"{np.mean(history['step_loss'][-20:]):.3f}", lr=f"{optimizer.lr:.2g}")
        return loss

    print(f"model: {model.num_parameters():,} parameters")
    train_seconds, cpu_started = 0.0, time.process_time()
    for epoch in range(1, args.epochs + 1):
        started = time.monotonic()
        bar = None if args.quiet else tqdm(train, desc=f"epoch {epoch}/{args.epochs}", unit="batch", leave=False)
        mean_loss = train_epoch(model, bar if bar is not None else train, loss_fn, optimizer)
        schedule.step()
        train_seconds += time.monotonic() - started
        history["epoch_seconds"].append(round(time.monotonic() - started, 1))
        metrics = evaluate(model, test)
        history["test_accuracy"].append(metrics["accuracy"])
        print(f"epoch {epoch}: train loss {mean_loss:.4f}, test accuracy {metrics['accuracy']:.2%} "
              f"({train_seconds:.0f} s training so far)", flush=True)
    result = {"dataset": args.dataset, "test_accuracy": history["test_accuracy"][-1],
              "train_seconds": round(train_seconds, 1), "cpu_seconds": round(time.process_time() - cpu_started, 1),
              "epochs": args.epochs, "train_images": len(train_x),
              "test_images": len(test_x), "parameters": model.num_parameters(),
              "final_train_loss": float(np.mean(history["step_loss"][-len(train):]))}
    print(json.dumps(result))
    if args.plot:
        save_plot(history, args.plot, args.dataset)
    if args.json:
        Path(args.json).write_text(json.dumps(result))
    return result


def save_plot(history: dict, path: str, dataset: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.5))
    losses = np.array(history["step_loss"])
    window = max(1, min(25, len(losses) // 4))
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    ax_loss.plot(losses, alpha=0.3, label="per batch")
    ax_loss.plot(np.arange(len(smooth)) + window // 2, smooth, label="moving average")
    ax_loss.set(xlabel="step", ylabel="cross-entropy", yscale="log", title="training loss")
    ax_loss.legend()
    epochs = np.arange(1, len(history["test_accuracy"]) + 1)
    ax_acc.plot(epochs, 100 * np.array(history["test_accuracy"]), marker="o")
    if dataset == "fashion-mnist":
        ax_acc.axhline(91, color="gray", linestyle="--", label="target 91 %")
        ax_acc.legend()
    ax_acc.set(xlabel="epoch", ylabel="test accuracy (%)", title=f"{dataset} test accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot saved to {path}")


if __name__ == "__main__":
    main()
    sys.exit(0)
