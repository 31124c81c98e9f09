"""The grading sandbox's own cost: start a kernel and run one cell, plain vs sandboxed.

    python benchmarks/sandbox_kernel_start.py [--repeats 8]

Same process, alternating rounds; prints medians and the difference (target < 0.5 s).
Needs root or unprivileged user namespaces, like `tito autograde`.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tito.grading import sandbox  # noqa: E402


def run_once(kernel: str, workdir: Path, ipc: Path | None) -> float:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import numpy\n1 + 1")])
    cfg = Config()
    if ipc:
        cfg.KernelManager.transport = "ipc"
        cfg.KernelManager.ip = str(ipc / "kernel")
    started = time.monotonic()
    NotebookClient(nb, kernel_name=kernel, config=cfg, resources={"metadata": {"path": str(workdir)}}).execute()
    return time.monotonic() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=8)
    args = p.parse_args()
    problem = sandbox.probe()
    if problem:
        sys.exit(f"no sandbox here: {problem}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        workdir, ipc = tmp / "work", tmp / "ipc"
        workdir.mkdir()
        ipc.mkdir()
        sandbox.write_kernelspec(tmp / "jupyter")
        os.environ["JUPYTER_PATH"] = str(tmp / "jupyter")
        policy = sandbox.Policy(workdir=str(workdir), ipc_dir=str(ipc), uid=sandbox.UID_BASE + 999,
                                parent_pid=os.getpid())
        policy.save(tmp / "policy.json")
        os.environ[sandbox.POLICY_ENV] = str(tmp / "policy.json")
        plain, boxed = [], []
        for _ in range(args.repeats):
            plain.append(run_once("python3", workdir, None))
            boxed.append(run_once(sandbox.KERNEL_NAME, workdir, ipc))
    a, b = statistics.median(plain), statistics.median(boxed)
    print(f"kernel start + one cell: plain {a:.3f} s, sandboxed {b:.3f} s, sandbox overhead {b - a:+.3f} s "
          f"({args.repeats} rounds, medians)")


if __name__ == "__main__":
    main()
