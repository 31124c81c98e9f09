"""The grader's own root operations on student-writable places (issue 11), piece by piece.

The end-to-end attacks run in the hostile-cohort batch (tests/test_hostile_cohort.py); these check
the pieces without starting nbgrader, except the collect test (nbgrader's real exchange).
"""
from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tito.course_dir import CourseDir
from tito.grading import sandbox, submission
from tito.grading.batch import prerequisite_references

from conftest import REPO, copy_course, tito

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another uid needs root")
OTHER_UID = 61999


def root_file(path: Path) -> Path:
    path.write_text("root's\n")
    path.chmod(0o600)
    return path


def test_a_module_mounts_only_the_references_it_needs():
    cd = CourseDir(REPO)
    assert [p.name for p in prerequisite_references(cd, "05_autograd")] == ["tensor.py", "activations.py"]
    assert [p.name for p in prerequisite_references(cd, "04_losses")] == ["tensor.py"]
    assert prerequisite_references(cd, "01_tensor") == []


def test_the_sandbox_tmp_is_a_capped_tmpfs():
    args = sandbox.bwrap_args(sandbox.Policy(workdir="/nonexistent"))
    i = args.index("/tmp", args.index("--tmpfs"))
    assert args[i - 3:i + 1] == ["--size", str(sandbox.Limits().tmp_bytes), "--tmpfs", "/tmp"]
    assert sandbox.Limits().tmp_bytes <= 512 * 1024**2


@root_only
def test_hand_over_never_follows_a_link(tmp_path):
    secret = root_file(tmp_path / "secret")
    secret_dir = tmp_path / "secret-dir"
    secret_dir.mkdir(mode=0o700)
    store = tmp_path / "store"
    (store / "sub").mkdir(parents=True)
    (store / "sub" / "file").write_text("x")
    (store / "link").symlink_to(secret)
    (store / "sub" / "dirlink").symlink_to(secret_dir)
    os.mkfifo(store / "fifo")
    sandbox.hand_over_tree(str(store), OTHER_UID)
    assert secret.stat().st_uid == 0 and secret_dir.stat().st_uid == 0
    assert (store / "sub" / "file").stat().st_uid == OTHER_UID
    assert (store / "link").lstat().st_uid == OTHER_UID
    # a top folder that is itself a link is refused
    (tmp_path / "top-link").symlink_to(secret_dir)
    with pytest.raises(OSError):
        sandbox.hand_over_tree(str(tmp_path / "top-link"), OTHER_UID)
    assert secret_dir.stat().st_uid == 0


@root_only
def test_private_folder_is_fresh_owned_and_removed(tmp_path):
    with sandbox.private_folder(tmp_path, owner=OTHER_UID) as first:
        assert first.stat().st_uid == OTHER_UID and list(first.iterdir()) == []
        (first / "planted").symlink_to(root_file(tmp_path / "secret"))
    with sandbox.private_folder(tmp_path, owner=OTHER_UID) as second:
        assert second != first and list(second.iterdir()) == []
    assert not first.exists() and not second.exists() and (tmp_path / "secret").exists()


def run_launcher(tmp_path: Path, policy: sandbox.Policy) -> subprocess.CompletedProcess:
    conn = tmp_path / "kernel-abc.json"
    conn.write_text("{}")
    path = tmp_path / "policy.json"
    policy.save(path)
    return subprocess.run([sys.executable, "-m", "tito.grading.sandbox", "-f", str(conn)], capture_output=True,
                          text=True, env={**os.environ, sandbox.POLICY_ENV: str(path)}, timeout=60)


def test_a_launcher_failure_is_reported_as_the_launchers(tmp_path):
    """What a student left where the launcher writes (here a folder at the connection file's name)
    makes the launcher fail with its own status and a line in the worker's status file."""
    ipc = tmp_path / "ipc"
    (ipc / "kernel-abc.json").mkdir(parents=True)
    status = tmp_path / "launcher.status"
    proc = run_launcher(tmp_path, sandbox.Policy(workdir=str(tmp_path), ipc_dir=str(ipc), status_file=str(status)))
    assert proc.returncode == sandbox.LAUNCHER_FAILED, proc.stderr
    assert status.read_text().startswith("sandbox launcher failed: ")


def test_the_launcher_writes_nothing_through_links(tmp_path):
    """The connection file's copy and the kernel log are opened without following links."""
    secret = root_file(tmp_path / "secret")
    ipc = tmp_path / "ipc"
    ipc.mkdir()
    (ipc / "kernel-abc.json").symlink_to(secret)
    log = tmp_path / "kernels.log"
    log.symlink_to(secret)
    status = tmp_path / "launcher.status"
    policy = sandbox.Policy(workdir=str(tmp_path / "nowhere"), ipc_dir=str(ipc), log_file=str(log),
                            status_file=str(status), parent_pid=1)
    proc = run_launcher(tmp_path, policy)
    assert secret.read_text() == "root's\n"
    assert not (ipc / "kernel-abc.json").is_symlink() and (ipc / "kernel-abc.json").read_text() == "{}"
    assert proc.returncode == sandbox.LAUNCHER_FAILED and "kernels.log" in status.read_text()


def test_copying_a_submission_takes_only_the_modules_regular_files(tmp_path):
    src = tmp_path / "inbound"
    src.mkdir()
    (src / "01_tensor.ipynb").write_text("{}")
    (src / "timestamp.txt").write_text("2027-01-20 12:00:00.000000 UTC")
    (src / "answers.txt").symlink_to(root_file(tmp_path / "secret"))
    (src / "linked-dir").symlink_to(tmp_path)
    (src / ".ipynb_checkpoints").mkdir()
    (src / ".ipynb_checkpoints" / "x.ipynb").write_text("{}")
    os.mkfifo(src / "pipe")
    (src / "big.ipynb").write_bytes(b"0" * 2048)
    dest = tmp_path / "submitted"
    dropped = submission.copy_submission(src, dest, {"01_tensor.ipynb", "timestamp.txt", "big.ipynb"},
                                         max_file_bytes=1024)
    assert sorted(p.name for p in dest.iterdir()) == ["01_tensor.ipynb", "timestamp.txt"]
    assert sorted(dropped) == [".ipynb_checkpoints/ (not part of the module)", "answers.txt (a symbolic link)",
                               "big.ipynb (2,048 bytes, over the 1,024 bytes cap)", "linked-dir (a symbolic link)",
                               "pipe (a special file)"]
    linked = tmp_path / "linked-inbound"
    linked.symlink_to(src)
    assert submission.copy_submission(linked, tmp_path / "d2", {"01_tensor.ipynb"}) == [
        ". (the submission folder is a symbolic link)"]
    assert not (tmp_path / "d2").exists() or list((tmp_path / "d2").iterdir()) == []


def test_collect_drops_links_added_to_the_inbound_folder(tmp_path):
    """A student adds a link to the answer key to their inbound submission after submitting: nbgrader's
    own collect (copytree) copied the key into submitted/; tito's collect drops and reports the link."""
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
    for app in ("fetch_assignment", "submit"):
        proc = subprocess.run([sys.executable, "-m", "nbgrader", app, "01_tensor", *opts], cwd=home,
                              env={**os.environ, **env}, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    [inbound] = (exchange / "tinytorch" / "inbound").iterdir()
    (inbound / "answers.ipynb").symlink_to(root / "source" / "01_tensor" / "01_tensor.ipynb")
    (inbound / "gradebook").symlink_to(root / "gradebook.db")

    out = tito("collect", "01_tensor", cwd=root, env=env).stdout
    me = getpass.getuser()
    got = root / "submitted" / me / "01_tensor"
    names = {p.name for p in got.iterdir()}
    assert {"01_tensor.ipynb", "timestamp.txt"} <= names and not names & {"answers.ipynb", "gradebook"}, out
    assert not any(p.is_symlink() for p in got.rglob("*"))
    report = json.loads((root / ".tito" / "dropped" / "01_tensor" / me / "dropped.json").read_text())
    assert {"answers.ipynb (a symbolic link)", "gradebook (a symbolic link)"} <= set(report["collect"])
    assert "dropped" in out and "answers.ipynb (a symbolic link)" in out


@pytest.mark.skipif(os.geteuid() != 0, reason="uid leases are taken by a root grader")
def test_concurrent_workers_never_share_a_sandbox_uid(tmp_path):
    """Worker uids were pid % 1000: two workers whose pids differ by 1000 graded two students under one
    uid (each could signal or kill the other's kernel). A lease is exclusive while held, reused after."""
    leases = tmp_path / "uids"
    first_uid, first = sandbox.lease_uid(leases)
    second_uid, second = sandbox.lease_uid(leases)
    assert first_uid != second_uid
    # another process (another tito autograde on this host) skips both held uids
    other = subprocess.run([sys.executable, "-c", f"from tito.grading import sandbox; from pathlib import Path; "
                            f"print(sandbox.lease_uid(Path({str(leases)!r}))[0])"],
                           capture_output=True, text=True, check=True)
    assert int(other.stdout) not in (first_uid, second_uid)
    os.close(first)
    assert sandbox.lease_uid(leases)[0] == first_uid
    os.chmod(leases, 0o777)
    with pytest.raises(RuntimeError, match="only root can write"):
        sandbox.lease_uid(leases)
