"""Milestone 1: a multi-layer perceptron on real MNIST, built only from TinyTorch modules.

    python milestones/mnist_mlp.py                # with your own exports (~/.tinytorch)
    python milestones/mnist_mlp.py --reference    # with the instructor reference (after `tito build`)

Uses tinytorch.layers (Linear, Sequential), tinytorch.activations (ReLU), tinytorch.losses
(CrossEntropyLoss), tinytorch.autograd (gradients), tinytorch.optimizers (Adam) and
tinytorch.dataloader (load_mnist, DataLoader). MNIST is read from $TINYTORCH_DATA/mnist.
The course promises >= 95 % test accuracy; the reference reaches >= 97 %.
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


def use_reference(folder: Path) -> None:
    os.environ.update(TINYTORCH_COURSE=str(REPO / "course.yml"), TINYTORCH_MODE="grading",
                      TINYTORCH_REFERENCE=str(folder))
    os.environ.pop("TINYTORCH_MODULE", None)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", nargs="?", const=str(REPO / "build" / "reference"), metavar="DIR",
                   help="use the instructor reference modules (default folder: build/reference)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", default="mnist_mlp.png", help="where to save the loss/accuracy plot ('' for none)")
    p.add_argument("--json", help="also write the results as JSON here")
    args = p.parse_args(argv)
    if args.reference:
        use_reference(Path(args.reference))
    os.environ.setdefault("TINYTORCH_COURSE", str(REPO / "course.yml"))

    from tqdm import tqdm

    from tinytorch.activations import ReLU
    from tinytorch.autograd import no_grad
    from tinytorch.dataloader import DataLoader, TensorDataset, load_mnist
    from tinytorch.layers import Linear, Sequential
    from tinytorch.losses import CrossEntropyLoss
    from tinytorch.optimizers import Adam
    from tinytorch.tensor import Tensor

    def prepare(images):
        x = images.reshape(len(images), -1).astype(np.float32) / 255.0
        return (x - 0.1307) / 0.3081

    (train_x, train_y), (test_x, test_y) = load_mnist("train"), load_mnist("test")
    train = DataLoader(TensorDataset(prepare(train_x), train_y.astype(np.int64)), batch_size=args.batch_size,
                       shuffle=True, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    sizes = [784, *args.hidden, 10]
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [Linear(fan_in, fan_out, init="he", rng=rng), ReLU()]
    model = Sequential(*layers[:-1])
    loss_fn, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=args.lr)

    def accuracy(x, y) -> float:
        model.eval()
        with no_grad():
            correct = sum(int((model(Tensor(x[i:i + 1000])).data.argmax(axis=1) == y[i:i + 1000]).sum())
                          for i in range(0, len(x), 1000))
        model.train()
        return correct / len(x)

    history = {"step_loss": [], "test_accuracy": []}
    started = time.monotonic()
    for epoch in range(1, args.epochs + 1):
        optimizer.lr = args.lr * 0.5 ** (epoch - 1)  # halve the step size each epoch: settles into a minimum
        bar = tqdm(train, desc=f"epoch {epoch}/{args.epochs}", unit="batch", leave=False)
        for xb, yb in bar:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            history["step_loss"].append(float(loss.data))
            if len(history["step_loss"]) % 50 == 0:
                bar.set_postfix(loss=f"{np.mean(history['step_loss'][-50:]):.3f}")
        train_seconds = time.monotonic() - started
        history["test_accuracy"].append(accuracy(prepare(test_x), test_y))
        print(f"epoch {epoch}: loss {np.mean(history['step_loss'][-len(train):]):.4f}, "
              f"test accuracy {history['test_accuracy'][-1]:.2%} ({train_seconds:.1f} s training so far)")
        started = time.monotonic() - train_seconds  # evaluation time is not training time
    result = {"test_accuracy": history["test_accuracy"][-1], "train_seconds": round(train_seconds, 1),
              "epochs": args.epochs, "parameters": sum(p.size for p in model.parameters())}
    print(json.dumps(result))
    if args.plot:
        save_plot(history, args.plot)
    if args.json:
        Path(args.json).write_text(json.dumps(result))
    return result


def save_plot(history: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.5))
    losses = np.array(history["step_loss"])
    smooth = np.convolve(losses, np.ones(25) / 25, mode="valid")
    ax_loss.plot(losses, alpha=0.3, label="per batch")
    ax_loss.plot(np.arange(len(smooth)) + 12, smooth, label="moving average")
    ax_loss.set(xlabel="step", ylabel="cross-entropy", yscale="log", title="training loss")
    ax_loss.legend()
    epochs = np.arange(1, len(history["test_accuracy"]) + 1)
    ax_acc.plot(epochs, 100 * np.array(history["test_accuracy"]), marker="o")
    ax_acc.axhline(95, color="gray", linestyle="--", label="course target 95 %")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy (%)", title="MNIST test accuracy")
    ax_acc.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot saved to {path}")


if __name__ == "__main__":
    main()
    sys.exit(0)
