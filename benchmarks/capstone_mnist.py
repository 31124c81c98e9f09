"""The capstone workflow (module 20) once on real MNIST: baseline vs optimised, a budget, a submission.

    TINYTORCH_DATA=/work/shared/data .venv/bin/python benchmarks/capstone_mnist.py [--epochs 3] [--out run.json]

Uses the instructor references (after `tito build`). Trains the reference MLP (784-256-128-10, Adam
with the step size halved each epoch, all 60,000 training images), then runs tinytorch.capstone's
`optimise` with the reference recipe `capstone_steps` (remove 25 % of the hidden neurons, fine-tune
2 epochs, int8 weights, the NumPy fast path), re-measuring after every step: bytes as stored
(15's model_bytes), accuracy on the 10,000 test images, and batch-1 latency (19's benchmark: one
thread, 5 warm-ups, --repeats repeats, median and IQR). In the same run it measures the fast path
of the float model alone and torch with the final float weights (same harness), and prints
baseline vs optimised with ratios, the budget check, the capstone report and a validated
mnist-smallest submission. Exits non-zero when the submission or the report is refused.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from reference_env import use_references  # noqa: E402

REPO = use_references()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--max-bytes", type=int, default=200_000)
    p.add_argument("--max-latency-ms", type=float, default=0.5)
    p.add_argument("--out", help="write the capstone report and the submission (JSON) here")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")

    from threadpoolctl import threadpool_limits

    from tinytorch.autograd import no_grad
    from tinytorch.benchmarking import benchmark, compare, make_submission, validate_submission
    from tinytorch.capstone import (Budget, capstone_report, capstone_steps, check_budget, compare_reports,
                                    comparison_table, evaluate_model, fast_path, make_mlp, optimise,
                                    validate_capstone_report)
    from tinytorch.dataloader import DataLoader, TensorDataset, load_mnist
    from tinytorch.layers import Linear
    from tinytorch.losses import CrossEntropyLoss
    from tinytorch.optimizers import Adam
    from tinytorch.quantization import QuantizedLinear, leaf_layers
    from tinytorch.tensor import Tensor

    def prepare(images):
        return ((images.reshape(len(images), -1).astype(np.float32) / 255.0) - 0.1307) / 0.3081

    (train_x, train_y), (test_x, test_y) = load_mnist("train"), load_mnist("test")
    train_x, test_x = prepare(train_x), prepare(test_x)
    train_y, test_y = train_y.astype(np.int64), test_y.astype(np.int64)

    started = time.monotonic()
    model = make_mlp([784, 256, 128, 10], seed=0)
    loader = DataLoader(TensorDataset(train_x, train_y), batch_size=128, shuffle=True, seed=0)
    loss_fn, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        optimizer.lr = 1e-3 * 0.5 ** epoch
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    model.eval()
    print(f"baseline trained: {args.epochs} epochs in {time.monotonic() - started:.0f} s")

    one = Tensor(test_x[:1])
    timings, stages = {}, {}

    def measure(name, m):
        stages[name] = m
        report = evaluate_model(name, m, test_x, test_y)
        with threadpool_limits(limits=1), no_grad():
            timings[name] = benchmark(m, one, warmup=5, repeats=args.repeats)
        return report.add("latency_ms", timings[name].median * 1e3)

    started = time.monotonic()
    optimised, history = optimise(model, capstone_steps(train_x, train_y), measure)
    print(f"optimise: {len(history) - 1} steps in {time.monotonic() - started:.0f} s (incl. measuring)\n")
    for name, report in history:
        m = report.metrics
        print(f"  {name:<32} {m['size_bytes']:>9,} B  accuracy {m['accuracy']:.4f}  latency {timings[name]}")

    # the same run: the fast path of the float baseline, and torch with the final float weights
    fast_report = measure("baseline + fast path only", fast_path(model))
    print(f"  {'baseline + fast path only':<32} {fast_report.metrics['size_bytes']:>9,} B  accuracy "
          f"{fast_report.metrics['accuracy']:.4f}  latency {timings['baseline + fast path only']}")
    # the last float stage of the recipe (before int8), run by torch with the same weights
    float_name = [n for n, _ in history if all(not isinstance(layer, QuantizedLinear)
                                                for layer in leaf_layers(stages[n]))][-1]
    float_model = stages[float_name]
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
        layers = []
        for layer in leaf_layers(float_model):
            if isinstance(layer, Linear):
                lin = torch.nn.Linear(*layer.weight.shape)
                with torch.no_grad():
                    lin.weight.copy_(torch.tensor(layer.weight.data.T))
                    lin.bias.copy_(torch.tensor(layer.bias.data))
                layers.append(lin)
            else:
                layers.append(torch.nn.ReLU())
        theirs = torch.nn.Sequential(*layers).eval()
        with torch.no_grad():
            torch_acc = float((theirs(torch.tensor(test_x)).argmax(1).numpy() == test_y).mean())
            with threadpool_limits(limits=1):
                torch_timing = benchmark(theirs, torch.tensor(test_x[:1]), warmup=5, repeats=args.repeats)
        print(f"  {'torch, weights of ' + float_name[:14]:<32} {'':>11}  accuracy {torch_acc:.4f}  latency {torch_timing}")
        tq = torch.ao.quantization.quantize_dynamic(theirs, {torch.nn.Linear}, dtype=torch.qint8)
        with torch.no_grad():
            tq_acc = float((tq(torch.tensor(test_x)).argmax(1).numpy() == test_y).mean())
            with threadpool_limits(limits=1):
                tq_timing = benchmark(tq, torch.tensor(test_x[:1]), warmup=5, repeats=args.repeats)
        print(f"  {'torch quantize_dynamic, same':<32} {'':>11}  accuracy {tq_acc:.4f}  latency {tq_timing}")

    base, final = history[0][1], history[-1][1]
    print("\nbaseline vs optimised (factor = times better):")
    print(comparison_table(compare_reports(base, final)))
    verdict = compare(timings["baseline"], timings[history[-1][0]])
    print(f"latency baseline -> optimised: {verdict.speedup:.2f}x ({verdict.reason}); "
          f"fast path alone on the float model: {compare(timings['baseline'], timings['baseline + fast path only']).speedup:.2f}x "
          f"({compare(timings['baseline'], timings['baseline + fast path only']).reason})")

    budget = Budget(max_latency_ms=args.max_latency_ms, max_bytes=args.max_bytes,
                    min_accuracy=round(base.metrics["accuracy"] - 0.01, 4))
    print(f"\n{budget}\nviolations: {check_budget(final, budget) or 'none: the budget is met'}")

    report = capstone_report("course-reference", "mlp 784-256-128-10 -> " + ", ".join(n for n, _ in history[1:]),
                             history, budget)
    submission = make_submission(final, "mnist-smallest", "course-reference",
                                 model="mlp 784-192-96-10, int8 weights (capstone recipe)")
    report_problems, submission_problems = validate_capstone_report(report), validate_submission(submission)
    print("\ncapstone report:", "valid" if not report_problems else report_problems)
    print(json.dumps(report, indent=2))
    print("leaderboard submission:", "valid" if not submission_problems else submission_problems)
    print(json.dumps(submission, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps({"report": report, "submission": submission}, indent=2))
    return 1 if report_problems or submission_problems else 0


if __name__ == "__main__":
    sys.exit(main())
