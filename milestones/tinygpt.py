"""Milestone 3: a character-level GPT on Tiny Shakespeare, built only from TinyTorch modules.

    python milestones/tinygpt.py                  # with your own exports (~/.tinytorch)
    python milestones/tinygpt.py --reference      # with the instructor reference (after `tito build`)
    python milestones/tinygpt.py --reference --ci # a short run (about a minute) for the test suite

nanoGPT's CPU "baby" configuration: 4 layers, 4 heads, 128 dims, block 64, batch 12, 2,000
iterations, dropout 0, AdamW (lr 1e-3, betas (0.9, 0.99), weight decay 0.1 on matrices only),
100 warm-up iterations then cosine decay to 1e-4, gradient clipping at norm 1. The first 90 % of
the text trains, the last 10 % validates. PyTorch reaches a validation loss of 1.88 nats/char
with this configuration; a character bigram model gets about 2.49, a uniform guess ln(65) = 4.17.

Uses tinytorch.tokenization (CharTokenizer), tinytorch.transformers (TinyGPT, language_model_loss,
generate), tinytorch.optimizers (AdamW), tinytorch.training (clip_grad_norm) and tinytorch.autograd.
The text is read from $TINYTORCH_DATA/tinyshakespeare/input.txt.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
BABY = dict(num_layers=4, num_heads=4, dim=128, block_size=64, batch_size=12, iters=2000, warmup=100,
            eval_interval=250)
CI = dict(num_layers=2, num_heads=4, dim=64, block_size=32, batch_size=16, iters=400, warmup=40,
          eval_interval=100)


def use_reference(folder: Path) -> None:
    os.environ.update(TINYTORCH_COURSE=str(REPO / "course.yml"), TINYTORCH_MODE="grading",
                      TINYTORCH_REFERENCE=str(folder))
    os.environ.pop("TINYTORCH_MODULE", None)


def data_file() -> Path:
    root = Path(os.environ.get("TINYTORCH_DATA", Path.home() / ".tinytorch" / "data"))
    path = root / "tinyshakespeare" / "input.txt"
    if not path.is_file():
        raise SystemExit(f"Tiny Shakespeare not found at {path}: set TINYTORCH_DATA to the folder that holds "
                         "tinyshakespeare/input.txt (https://raw.githubusercontent.com/karpathy/char-rnn/master/"
                         "data/tinyshakespeare/input.txt)")
    return path


def learning_rate(it: int, lr: float, min_lr: float, warmup: int, decay_iters: int) -> float:
    """nanoGPT's schedule: linear warm-up, then cosine decay from lr to min_lr."""
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    if it > decay_iters:
        return min_lr
    ratio = (it - warmup) / (decay_iters - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


def bigram_loss(train: np.ndarray, val: np.ndarray, vocab: int) -> float:
    """Validation loss of the best character bigram model (counts from train, add-one smoothing)."""
    counts = np.ones((vocab, vocab))
    np.add.at(counts, (train[:-1], train[1:]), 1)
    probs = counts / counts.sum(axis=1, keepdims=True)
    return float(-np.log(probs[val[:-1], val[1:]]).mean())


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", nargs="?", const=str(REPO / "build" / "reference"), metavar="DIR",
                   help="use the instructor reference modules (default folder: build/reference)")
    p.add_argument("--ci", action="store_true", help="a short run with a smaller model (for the test suite)")
    p.add_argument("--iters", type=int, help="training iterations (default 2000; --ci: 400)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr", type=float, default=1e-4)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--grad-clip", type=float, default=1.0)
    p.add_argument("--eval-batches", type=int, default=20, help="batches per validation estimate during training")
    p.add_argument("--final-eval-batches", type=int, default=200, help="batches for the final validation loss")
    p.add_argument("--sample-chars", type=int, default=500)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--plot", default="tinygpt.png", help="where to save the loss curve ('' for none)")
    p.add_argument("--json", help="also write the results as JSON here")
    args = p.parse_args(argv)
    if args.reference:
        use_reference(Path(args.reference))
    os.environ.setdefault("TINYTORCH_COURSE", str(REPO / "course.yml"))
    cfg = dict(CI if args.ci else BABY)
    if args.iters:
        cfg["iters"] = args.iters

    from tqdm import tqdm

    from tinytorch.autograd import no_grad
    from tinytorch.optimizers import AdamW
    from tinytorch.tokenization import CharTokenizer
    from tinytorch.training import clip_grad_norm
    from tinytorch.transformers import TinyGPT, language_model_loss

    run_started = time.monotonic()
    text = data_file().read_text(encoding="utf-8")
    tokenizer = CharTokenizer(text)
    data = np.array(tokenizer.encode(text), dtype=np.int64)
    split = int(0.9 * len(data))
    train, val = data[:split], data[split:]
    vocab, block, batch = tokenizer.vocab_size, cfg["block_size"], cfg["batch_size"]
    rng = np.random.default_rng(args.seed)

    def get_batch(source: np.ndarray, generator: np.random.Generator) -> np.ndarray:
        starts = generator.integers(0, len(source) - block - 1, batch)
        return np.stack([source[s:s + block + 1] for s in starts])

    model = TinyGPT(vocab, block, cfg["dim"], cfg["num_layers"], cfg["num_heads"], rng=rng)
    matrices = [q for q in model.parameters() if q.ndim >= 2]
    vectors = [q for q in model.parameters() if q.ndim < 2]
    optimizers = [AdamW(matrices, lr=args.lr, betas=(0.9, 0.99), weight_decay=args.weight_decay),
                  AdamW(vectors, lr=args.lr, betas=(0.9, 0.99), weight_decay=0.0)]

    def estimate_val(batches: int, seed: int) -> float:
        generator = np.random.default_rng(seed)
        model.eval()
        with no_grad():
            losses = [float(language_model_loss(model(b[:, :-1]), b[:, 1:]).data)
                      for b in (get_batch(val, generator) for _ in range(batches))]
        model.train()
        return float(np.mean(losses))

    print(f"TinyGPT: {model.num_parameters():,d} parameters, vocab {vocab}, {len(train):,d} train / {len(val):,d} val "
          f"characters; bigram baseline val loss {bigram_loss(train, val, vocab):.3f}, uniform {math.log(vocab):.3f}")
    history = {"iter": [], "train_loss": [], "val_iter": [], "val_loss": []}
    train_seconds = train_cpu_seconds = 0.0     # wall time and CPU time of the training steps (no evaluation)
    bar = tqdm(range(cfg["iters"]), desc="training", unit="it")
    for it in bar:
        if it % cfg["eval_interval"] == 0 and it > 0:
            history["val_iter"].append(it)
            history["val_loss"].append(estimate_val(args.eval_batches, seed=it))
            tqdm.write(f"iter {it}: val loss {history['val_loss'][-1]:.4f} ({train_seconds:.0f} s training)")
        started, cpu_started = time.monotonic(), time.process_time()
        lr = learning_rate(it, args.lr, args.min_lr, cfg["warmup"], cfg["iters"])
        for opt in optimizers:
            opt.lr = lr
            opt.zero_grad()
        b = get_batch(train, rng)
        loss = language_model_loss(model(b[:, :-1]), b[:, 1:])
        loss.backward()
        clip_grad_norm(model.parameters(), args.grad_clip)
        for opt in optimizers:
            opt.step()
        train_seconds += time.monotonic() - started
        train_cpu_seconds += time.process_time() - cpu_started
        history["iter"].append(it)
        history["train_loss"].append(float(loss.data))
        if it % 20 == 0:
            bar.set_postfix(loss=f"{np.mean(history['train_loss'][-20:]):.3f}", lr=f"{lr:.1e}")
    bar.close()
    val_loss = estimate_val(args.final_eval_batches, seed=0)
    history["val_iter"].append(cfg["iters"])
    history["val_loss"].append(val_loss)

    prompt = np.array([tokenizer.encode("\n")])
    sample = tokenizer.decode(model.generate(prompt, args.sample_chars, temperature=0.8, top_k=20, seed=0)[0].tolist())
    print("-" * 60 + "\n" + sample.strip() + "\n" + "-" * 60)
    result = {"val_loss": round(val_loss, 4), "train_seconds": round(train_seconds, 1),
              "train_cpu_seconds": round(train_cpu_seconds, 1), "wall_seconds": round(time.monotonic() - run_started, 1),
              "iters": cfg["iters"],
              "parameters": model.num_parameters(), "bigram_val_loss": round(bigram_loss(train, val, vocab), 4),
              "config": "ci" if args.ci else "baby"}
    print(json.dumps(result))
    if args.plot:
        save_plot(history, args.plot, result)
    if args.json:
        Path(args.json).write_text(json.dumps(result))
    return result


def save_plot(history: dict, path: str, result: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    losses = np.array(history["train_loss"])
    k = min(50, len(losses))
    smooth = np.convolve(losses, np.ones(k) / k, mode="valid")
    ax.plot(history["iter"], losses, alpha=0.25, label="train (per batch)")
    ax.plot(np.arange(len(smooth)) + k // 2, smooth, label=f"train (moving average of {k})")
    ax.plot(history["val_iter"], history["val_loss"], "o-", label="validation")
    ax.axhline(result["bigram_val_loss"], color="gray", ls=":", label=f"bigram baseline {result['bigram_val_loss']:.2f}")
    ax.axhline(1.88, color="k", ls="--", lw=0.8, label="nanoGPT (PyTorch) 1.88")
    ax.set(xlabel="iteration", ylabel="cross-entropy (nats/char)", ylim=(1.0, 4.5),
           title=f"TinyGPT on Tiny Shakespeare: val {result['val_loss']:.3f} in {result['train_seconds']:.0f} s")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"loss curve saved to {path}")


if __name__ == "__main__":
    main()
