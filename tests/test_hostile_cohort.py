"""A hostile cohort for 01_tensor through the real CLI, nbgrader and the grading sandbox.

Every hostile student hands in the correct solutions plus one extra cell of attack code
(inserted after the setup cell), so the expected score is full marks unless the attack
itself costs points; the table is checked exactly, and the attacks' effects are checked
on disk, in the gradebook and on a loopback server.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from tito import cohort
from tito.course_dir import CourseDir

from conftest import copy_course, tito

MODULE = "01_tensor"

ATTACKS = {
    "loop": "while True:\n    pass",
    "memory": "_hog = bytearray(16 * 1024**3)",
    # forks until the process cap refuses, then reaps its children so later cells can run
    "forks": ("import os, time\n_kids = []\ntry:\n    while len(_kids) < 100_000:\n        _pid = os.fork()\n"
              "        if _pid == 0:\n            time.sleep(2)\n            os._exit(0)\n        _kids.append(_pid)\n"
              "finally:\n    print('forked', len(_kids))\n    for _pid in _kids:\n        os.waitpid(_pid, 0)"),
    "crash": "import os\nos._exit(1)",
    "flood": "print('x' * 50_000_000)",
    "snoop": ("import glob, os\nprint('FOUND', sorted(glob.glob('../../../**', recursive=True)))\n"
              "for _p in ['../../../gradebook.db', '../../../source/01_tensor/01_tensor.ipynb',\n"
              "           '../../../build/reference/tinytorch/tensor.py', '/etc/shadow']:\n"
              "    try:\n        open(_p, 'rb').read(1)\n        print('READ', _p)\n"
              "    except OSError as _e:\n        print('DENIED', _p, type(_e).__name__)"),
    "gradebook": ("import sqlite3\ntry:\n    _db = sqlite3.connect('../../../gradebook.db')\n"
                  "    _db.execute('update grade set manual_score = 1000')\n    _db.commit()\n"
                  "    print('WROTE')\nexcept Exception as _e:\n    print('DENIED', type(_e).__name__)"),
    "plant": ("for _d in ['../../../source/01_tensor', '../../../release/01_tensor', '../../..']:\n"
              "    try:\n        open(_d + '/pwned.txt', 'w').write('x')\n        print('WROTE', _d)\n"
              "    except OSError as _e:\n        print('DENIED', _d, type(_e).__name__)"),
    "network": ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', PORT), timeout=3)\n"
                "    print('CONNECTED')\nexcept OSError as _e:\n    print('NO NETWORK', type(_e).__name__)"),
}


def attack_notebook(good, code: str):
    nb = nbformat.from_dict(json.loads(nbformat.writes(good)))
    setup = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(code))
    return nb


class LoopbackServer:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
                self.accepted += 1
                conn.close()
            except OSError:
                continue

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def outputs_text(course: Path, student: str) -> str:
    nb = nbformat.read(course / "autograded" / student / MODULE / f"{MODULE}.ipynb", as_version=4)
    return "\n".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream")


def built(folder: Path):
    """A fresh course with MODULE built: (root, source notebook, release notebook)."""
    root = copy_course(folder)
    tito("build", MODULE, cwd=root)
    cd = CourseDir(root)
    return (root, nbformat.read(cd.source_notebook(MODULE), as_version=4),
            nbformat.read(cd.release_notebook(MODULE), as_version=4))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root, source, release = built(tmp_path_factory.mktemp("hostile") / "course")
    good = cohort.make_notebook(source, release, cohort.Profile("correct"))
    server = LoopbackServer()
    students = {"correct": good, "untouched": release}
    for name, code in ATTACKS.items():
        students[name] = attack_notebook(good, code.replace("PORT", str(server.port)))
    traceback_hider = attack_notebook(release, "get_ipython().showtraceback = lambda *a, **k: None")
    students["hide-tracebacks"] = traceback_hider
    for name, nb in students.items():
        cohort.write_submission(root, name, MODULE, nb)
    started = time.monotonic()
    run = tito("autograde", MODULE, "--jobs", "2", "--no-progress", "--cell-timeout", "5", cwd=root, check=False)
    seconds = time.monotonic() - started
    server.close()
    full = sum(cohort.test_cells_of(source).values())
    return root, run, server, full, seconds


def scores(root: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "tinytorch") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(MODULE)}


def test_the_grade_table_is_exactly_as_expected(hostile):
    root, run, _, full, _ = hostile
    expected = {name: full for name in ATTACKS} | {"correct": full, "untouched": 0.0, "crash": 0.0,
                                                    "hide-tracebacks": 0.0}
    assert scores(root) == expected, run.stdout + run.stderr


def test_outcome_lines_say_what_happened(hostile):
    _, run, _, _, _ = hostile
    lines = {line.split()[1]: line for line in run.stdout.splitlines()
             if line.split() and line.split()[0] in ("graded", "crashed", "timed-out", "failed")}
    assert lines["loop"].startswith("graded") and "a cell timed out" in lines["loop"]
    assert "memory cap hit" in lines["memory"]
    assert "process cap hit" in lines["forks"]
    assert lines["crash"].startswith("crashed") and "the kernel died" in lines["crash"]
    assert "12 submissions: 1 crashed, 11 graded" in run.stdout


def sandbox_processes(course: Path) -> list[str]:
    """Command lines of live processes started for this course's grading."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, NotADirectoryError, PermissionError, ProcessLookupError):
            continue
        if str(course / ".tito") in cmdline:
            found.append(f"{entry.name}: {cmdline[:120]}")
    return found


def test_no_sandbox_process_outlives_grading(hostile):
    assert sandbox_processes(hostile[0]) == []


def test_fork_storm_hits_the_process_cap(hostile):
    out = outputs_text(hostile[0], "forks")
    forked = int(out.split("forked")[1].split()[0])
    assert 0 < forked < 256


def test_huge_output_is_cut(hostile):
    root = hostile[0]
    graded = root / "autograded" / "flood" / MODULE / f"{MODULE}.ipynb"
    assert graded.stat().st_size < 1_000_000
    assert "output cut: 50,000,001 characters" in outputs_text(root, "flood")


def test_snooping_finds_no_solutions_gradebook_or_other_students(hostile):
    root = hostile[0]
    out = outputs_text(root, "snoop")
    found = next(line for line in out.splitlines() if line.startswith("FOUND"))
    for secret in ("source", "gradebook", "release", "correct", "untouched", "tensor.py", "submitted"):
        assert secret not in found, found
    assert "READ" not in out and out.count("DENIED") == 4


def test_writing_the_gradebook_changes_nothing(hostile):
    root = hostile[0]
    assert "WROTE" not in outputs_text(root, "gradebook")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "tinytorch") as gb:
        manual = [g.manual_score for s in gb.assignment_submissions(MODULE) for nb in s.notebooks for g in nb.grades]
    assert all(m is None for m in manual)


def test_nothing_is_planted_in_the_course(hostile):
    root = hostile[0]
    assert "WROTE" not in outputs_text(root, "plant")
    assert not list(root.rglob("pwned.txt"))


def test_no_network_from_the_sandbox(hostile):
    root, _, server, _, _ = hostile
    assert server.accepted == 0
    assert "NO NETWORK" in outputs_text(root, "network")


def test_refuses_without_a_sandbox_unless_unsafe(tmp_path):
    root, _, release = built(tmp_path / "course")
    cohort.write_submission(root, "someone", MODULE, release)
    no_bwrap = {"PATH": os.path.dirname(sys.executable) + ":/nonexistent"}
    proc = tito("autograde", MODULE, "--no-progress", cwd=root, check=False, env=no_bwrap)
    assert proc.returncode == 2 and "cannot sandbox grading kernels: bubblewrap is not installed" in proc.stderr
    assert "--unsafe" in proc.stderr
    proc = tito("autograde", MODULE, "--no-progress", "--unsafe", cwd=root, env=no_bwrap)
    assert "1 submissions: 1 graded" in proc.stdout


def test_a_killed_batch_resumes_to_the_same_table(tmp_path):
    root, source, release = built(tmp_path / "course")
    profiles = {"correct": cohort.Profile("c"), "untouched": cohort.Profile("u", solve=False),
                "partial": cohort.Profile("p", leave_stubs=("tensor-matmul",))}
    students = {f"s{i:02d}": profiles[kind] for i, kind in enumerate(["correct", "untouched", "partial"] * 4)}
    for student, profile in students.items():
        cohort.write_submission(root, student, MODULE, cohort.make_notebook(source, release, profile))

    proc = subprocess.Popen([sys.executable, "-m", "tito", "autograde", MODULE, "-j", "2", "--no-progress"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    done = root / ".tito" / "graded" / MODULE
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(done.glob("*.json"))) < 4:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the TA's laptop dies mid-batch
    proc.wait()
    deadline = time.monotonic() + 10
    while sandbox_processes(root) and time.monotonic() < deadline:
        time.sleep(0.2)  # the kill travels down worker -> launcher/bwrap -> bwrap -> kernel
    assert sandbox_processes(root) == [], "orphaned grading kernels after the batch was killed"
    finished_before = len(list(done.glob("*.json")))
    assert 4 <= finished_before < len(students)

    resumed = tito("autograde", MODULE, "-j", "2", "--no-progress", cwd=root)
    assert f"{finished_before} skipped" in resumed.stdout
    interrupted = scores(root)

    fresh, _, _ = built(tmp_path / "fresh")
    for student, profile in students.items():
        cohort.write_submission(fresh, student, MODULE, cohort.make_notebook(source, release, profile))
    tito("autograde", MODULE, "-j", "2", "--no-progress", cwd=fresh)
    assert interrupted == scores(fresh)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "tinytorch") as gb:
        assert len(gb.assignment_submissions(MODULE)) == len(students)  # nothing lost or duplicated


def test_the_per_notebook_cap_stops_a_slow_notebook(tmp_path):
    """Each cell stays under the cell timeout, but together they pass the notebook cap."""
    root, source, release = built(tmp_path / "course")
    good = cohort.make_notebook(source, release, cohort.Profile("correct"))
    slow = good
    for _ in range(4):
        slow = attack_notebook(slow, "import time\ntime.sleep(3)")
    cohort.write_submission(root, "slow", MODULE, slow)
    cohort.write_submission(root, "fine", MODULE, good)
    run = tito("autograde", MODULE, "--no-progress", "--cell-timeout", "5", "--notebook-timeout", "8", cwd=root,
               check=False)
    slow_line = next(line for line in run.stdout.splitlines() if " slow " in line)
    assert slow_line.startswith("timed-out") and "per-notebook time cap" in slow_line, run.stdout
    full = sum(cohort.test_cells_of(source).values())
    assert scores(root) == {"slow": 0.0, "fine": full}


def test_killing_the_grader_mid_notebook_leaves_no_kernel(tmp_path):
    root, source, release = built(tmp_path / "course")
    good = cohort.make_notebook(source, release, cohort.Profile("correct"))
    cohort.write_submission(root, "sleeper", MODULE, attack_notebook(good, "import time\ntime.sleep(120)"))
    proc = subprocess.Popen([sys.executable, "-m", "tito", "autograde", MODULE, "--no-progress"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any("ipykernel_launcher" in p for p in sandbox_processes(root)):
        time.sleep(0.2)
    assert any("ipykernel_launcher" in p for p in sandbox_processes(root)), "the kernel never started"
    time.sleep(2)  # well inside the sleeping cell
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while sandbox_processes(root) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sandbox_processes(root) == []
