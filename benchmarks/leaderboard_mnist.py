"""Leaderboard submissions for the two MNIST categories, measured with 19_benchmarking's harness.

    TINYTORCH_DATA=/work/shared/data .venv/bin/python benchmarks/leaderboard_mnist.py [--epochs 5]

Trains MLPs of several widths with the instructor reference (after `tito build`), measures each with
the leaderboard protocol (docs/leaderboard.md: accuracy on the 10,000 test images; latency of ONE
image, BLAS on 1 thread, 3 warm-ups, 30 repeats, median; parameter bytes) and, in the same run, a
PyTorch model with the same weights through the same harness, and prints the ratio. Every
submission is validated; the script exits non-zero when a model that should qualify does not.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from reference_env import use_references  # noqa: E402

REPO = use_references()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--widths", default="256,128;64;32", help="hidden sizes per model, models separated by ';'")
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--out", help="write the submissions (a JSON list) here")
    args = p.parse_args(argv)

    import torch
    from threadpoolctl import threadpool_limits

    from tinytorch.activations import ReLU
    from tinytorch.autograd import no_grad
    from tinytorch.benchmarking import (benchmark, benchmark_model, compare, environment_info, leaderboard,
                                        make_submission, validate_submission)
    from tinytorch.dataloader import DataLoader, TensorDataset, load_mnist
    from tinytorch.layers import Linear, Sequential
    from tinytorch.losses import CrossEntropyLoss
    from tinytorch.optimizers import Adam
    from tinytorch.tensor import Tensor

    torch.set_num_threads(1)

    def prepare(images):
        return ((images.reshape(len(images), -1).astype(np.float32) / 255.0) - 0.1307) / 0.3081

    (train_x, train_y), (test_x, test_y) = load_mnist("train"), load_mnist("test")
    train_x, test_x = prepare(train_x), prepare(test_x)
    test_y = test_y.astype(np.int64)

    def train(hidden, seed=0):
        rng = np.random.default_rng(seed)
        sizes, layers = [784, *hidden, 10], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            layers += [Linear(fan_in, fan_out, init="he", rng=rng), ReLU()]
        model = Sequential(*layers[:-1])
        loader = DataLoader(TensorDataset(train_x, train_y.astype(np.int64)), batch_size=128, shuffle=True, seed=seed)
        loss_fn, opt = CrossEntropyLoss(), Adam(model.parameters(), lr=1e-3)
        for _ in range(args.epochs):
            for xb, yb in loader:
                opt.zero_grad()
                loss_fn(model(xb), yb).backward()
                opt.step()
        return model

    def accuracy(model):
        model.eval()
        with no_grad():
            pred = np.concatenate([model(Tensor(test_x[i:i + 1000])).data.argmax(axis=1) for i in range(0, 10000, 1000)])
        return float((pred == test_y).mean())

    def torch_copy(model):
        layers = []
        for layer in model:
            if isinstance(layer, Linear):
                lin = torch.nn.Linear(*layer.weight.shape)
                with torch.no_grad():
                    lin.weight.copy_(torch.tensor(layer.weight.data.T))
                    lin.bias.copy_(torch.tensor(layer.bias.data))
                layers.append(lin)
            else:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers).eval()

    one = test_x[:1]
    submissions, failures = [], []
    env = environment_info(threads=1)
    for spec in args.widths.split(";"):
        hidden = [int(h) for h in spec.split(",")]
        name = "mlp " + "-".join(map(str, [784, *hidden, 10]))
        started = time.monotonic()
        model = train(hidden)
        train_s = time.monotonic() - started
        acc = accuracy(model)
        with threadpool_limits(limits=1):
            report = benchmark_model(name, model, one, warmup=3, repeats=args.repeats)
            theirs = torch_copy(model)
            t_one = torch.tensor(one)
            with torch.no_grad():
                torch_result = benchmark(theirs, t_one, warmup=3, repeats=args.repeats)
                ours_result = benchmark(model, Tensor(one), warmup=3, repeats=args.repeats)
                torch_acc = float((theirs(torch.tensor(test_x)).argmax(1).numpy() == test_y).mean())
        report.add("accuracy", acc)
        verdict = compare(torch_result, ours_result)
        print(f"{name}: trained {args.epochs} epochs in {train_s:.0f} s; test accuracy {acc:.4f} (torch, same "
              f"weights: {torch_acc:.4f}); batch-1 latency {report.metrics['latency_ms'] * 1e3:.1f} µs "
              f"(same run, same harness: TinyTorch {ours_result.median * 1e6:.1f} µs, torch {torch_result.median * 1e6:.1f} µs, "
              f"TinyTorch/torch {1 / verdict.speedup:.2f}x, {verdict.reason}); "
              f"{report.metrics['size_bytes']:,} parameter bytes; peak {report.metrics['peak_bytes']:,} B")
        for category in ("mnist-fastest", "mnist-smallest"):
            sub = make_submission(report, category, "course-reference", environment=env)
            problems = validate_submission(sub)
            print(f"  {category}: {'valid' if not problems else problems}")
            if not problems:
                submissions.append(sub)
            elif acc >= 0.97:
                failures.append((name, category, problems))
    for category in ("mnist-fastest", "mnist-smallest"):
        print(f"\n{category}:")
        for row in leaderboard(submissions, category):
            print("  ", row)
    if args.out:
        Path(args.out).write_text(json.dumps(submissions, indent=2))
    if failures:
        print("qualifying models refused:", failures, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
