"""Post-training INT8 quantisation of the MNIST MLP: bytes and test accuracy vs float32 (module 15).

    TINYTORCH_DATA=/work/shared/data python benchmarks/quantization.py [--epochs 3] [--json out.json]

Trains the milestone's MLP (784-256-128-10, ReLU, Adam, the milestone's schedule) with the instructor
reference of 03-08, quantises it with tinytorch.quantization.quantize_model (int8 weights per output
channel, int32 accumulation, input qparams calibrated on 1,000 training images), and prints in one run:
the float32 and int8 model bytes and their ratio, the test accuracy of both and the difference in
points, the share of test predictions that change, and each layer's weight and output error.
Baseline in the same process: torch.ao.quantization.quantize_dynamic on the same weights (its accuracy).
Promises (issue 15): ~4x smaller in bytes, accuracy within 0.5 points of float32.
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


def use_reference() -> None:
    os.environ.update(TINYTORCH_COURSE=str(REPO / "course.yml"), TINYTORCH_MODE="grading",
                      TINYTORCH_REFERENCE=str(REPO / "build" / "reference"))
    os.environ.pop("TINYTORCH_MODULE", None)


def prepare(images):
    x = images.reshape(len(images), -1).astype(np.float32) / 255.0
    return (x - 0.1307) / 0.3081


def train_mlp(train_x, train_y, epochs: int, seed: int):
    from tinytorch.activations import ReLU
    from tinytorch.dataloader import DataLoader, TensorDataset
    from tinytorch.layers import Linear, Sequential
    from tinytorch.losses import CrossEntropyLoss
    from tinytorch.optimizers import Adam

    rng = np.random.default_rng(seed)
    model = Sequential(Linear(784, 256, init="he", rng=rng), ReLU(), Linear(256, 128, init="he", rng=rng), ReLU(),
                       Linear(128, 10, init="he", rng=rng))
    loader = DataLoader(TensorDataset(train_x, train_y.astype(np.int64)), batch_size=128, shuffle=True, seed=seed)
    loss_fn, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        optimizer.lr = 1e-3 * 0.5 ** epoch
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        print(f"  epoch {epoch + 1}/{epochs}: last batch loss {float(loss.data):.4f}", flush=True)
    return model


def predict(model, x):
    from tinytorch.autograd import no_grad
    from tinytorch.tensor import Tensor

    with no_grad():
        return np.concatenate([model(Tensor(x[i:i + 1000])).data.argmax(axis=1) for i in range(0, len(x), 1000)])


def torch_dynamic_accuracy(model, test_x, test_y):
    """quantize_dynamic of torch on the same weights: (accuracy, bytes of the state dict's tensors) or None."""
    try:
        import torch
    except ImportError:
        return None
    from tinytorch.layers import Linear
    from tinytorch.quantization import leaf_layers

    layers = []
    for layer in leaf_layers(model):
        if isinstance(layer, Linear):
            t = torch.nn.Linear(layer.in_features, layer.out_features)
            with torch.no_grad():
                t.weight.copy_(torch.from_numpy(layer.weight.data.T.copy()))
                t.bias.copy_(torch.from_numpy(layer.bias.data.copy()))
            layers.append(t)
        else:
            layers.append(torch.nn.ReLU())
    float_model = torch.nn.Sequential(*layers).eval()
    qmodel = torch.ao.quantization.quantize_dynamic(float_model, {torch.nn.Linear}, dtype=torch.qint8)
    with torch.no_grad():
        pred = qmodel(torch.from_numpy(test_x)).argmax(dim=1).numpy()
    return float((pred == test_y).mean())


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--calibration", type=int, default=1000, help="training images used to calibrate")
    p.add_argument("--json")
    args = p.parse_args(argv)
    use_reference()
    if "TINYTORCH_DATA" not in os.environ:
        sys.exit("set TINYTORCH_DATA to the folder holding mnist/")

    from tinytorch.dataloader import load_mnist
    from tinytorch.layers import Linear
    from tinytorch.quantization import QuantizedLinear, leaf_layers, model_bytes, quantize_model
    from tinytorch.tensor import Tensor

    (train_x, train_y), (test_x, test_y) = load_mnist("train"), load_mnist("test")
    train_x, test_x = prepare(train_x), prepare(test_x)
    test_y = test_y.astype(np.int64)

    started = time.monotonic()
    model = train_mlp(train_x, train_y, args.epochs, args.seed)
    train_seconds = time.monotonic() - started

    calib = train_x[np.random.default_rng(args.seed + 1).choice(len(train_x), args.calibration, replace=False)]
    started = time.monotonic()
    qmodel = quantize_model(model, [calib[i:i + 100] for i in range(0, len(calib), 100)])
    quantize_seconds = time.monotonic() - started

    started = time.monotonic()
    float_pred = predict(model, test_x)
    float_eval = time.monotonic() - started
    started = time.monotonic()
    int8_pred = predict(qmodel, test_x)
    int8_eval = time.monotonic() - started
    float_acc, int8_acc = float((float_pred == test_y).mean()), float((int8_pred == test_y).mean())
    float_bytes, int8_bytes = model_bytes(model), model_bytes(qmodel)

    print(f"float32 model {float_bytes:,} B, int8 model {int8_bytes:,} B: {float_bytes / int8_bytes:.3f}x smaller")
    print(f"test accuracy: float32 {float_acc:.2%}, int8 {int8_acc:.2%} "
          f"(difference {100 * (float_acc - int8_acc):+.2f} points; promise: within 0.5)")
    print(f"predictions changed by quantisation: {int((float_pred != int8_pred).sum())} of {len(test_y)}")
    errors = []
    x = Tensor(test_x[:1000])
    for layer, qlayer in zip(leaf_layers(model), leaf_layers(qmodel)):
        if isinstance(layer, Linear):
            w = layer.weight.data
            from tinytorch.quantization import dequantize
            w_err = float(np.linalg.norm(dequantize(qlayer.weight_q, qlayer.weight_qparams) - w) / np.linalg.norm(w))
            out_err = float(np.linalg.norm(qlayer(x).data - layer(x).data) / np.linalg.norm(layer(x).data))
            errors.append({"layer": f"{layer.in_features}x{layer.out_features}", "weight_error": w_err,
                           "output_error": out_err})
            print(f"  layer {layer.in_features}x{layer.out_features}: weight error {w_err:.3%}, output error {out_err:.3%}")
        x = layer(x)
    torch_acc = torch_dynamic_accuracy(model, test_x, test_y)
    if torch_acc is not None:
        print(f"baseline torch quantize_dynamic (qint8) on the same weights: test accuracy {torch_acc:.2%} "
              f"(ours - torch: {100 * (int8_acc - torch_acc):+.2f} points)")
    print(f"wall time: training {train_seconds:.0f} s, quantising {quantize_seconds:.1f} s, "
          f"test set forward float32 {float_eval:.1f} s vs int8 {int8_eval:.1f} s ({int8_eval / float_eval:.1f}x)")
    result = {"float_bytes": float_bytes, "int8_bytes": int8_bytes, "size_ratio": round(float_bytes / int8_bytes, 3),
              "float_accuracy": float_acc, "int8_accuracy": int8_acc,
              "accuracy_drop_points": round(100 * (float_acc - int8_acc), 3), "torch_dynamic_accuracy": torch_acc,
              "layers": errors, "epochs": args.epochs, "train_seconds": round(train_seconds, 1)}
    print(json.dumps(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
