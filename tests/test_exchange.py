"""release -> fetch -> submit -> collect through nbgrader's exchange (one local user)."""
from __future__ import annotations

import getpass
import os
import subprocess
import sys

from conftest import copy_course, tito


def nbgrader(*args, cwd, env):
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env={**os.environ, **env},
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_release_fetch_submit_collect(tmp_path):
    root = copy_course(tmp_path / "course")
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    os.chmod(exchange, 0o777)
    env = {"TINYTORCH_EXCHANGE": str(exchange)}
    tito("build", "01_tensor", cwd=root)
    tito("release", "01_tensor", cwd=root, env=env)

    home = tmp_path / "student"
    home.mkdir()
    opts = ["--course=tinytorch", f"--Exchange.root={exchange}"]
    nbgrader("fetch_assignment", "01_tensor", *opts, cwd=home, env=env)
    fetched = home / "01_tensor" / "01_tensor.ipynb"
    assert fetched.is_file() and "BEGIN SOLUTION" not in fetched.read_text()
    nbgrader("submit", "01_tensor", *opts, cwd=home, env=env)

    out = tito("collect", "01_tensor", cwd=root, env=env).stdout
    assert "1 submission(s) of 01_tensor" in out
    assert (root / "submitted" / getpass.getuser() / "01_tensor" / "01_tensor.ipynb").is_file()
