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

from tito import simulated_cohort
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

# Attacks on the grader around the sandbox (issue 11); CANARY is a root-owned 0600 host file the
# sandbox cannot see, but a link to it can be planted where a root process of the grader looks.
GRADER_ATTACKS = {
    # the IPC folder: the next kernel's launcher must not write its log (or chown) through a link
    "ipc-plant": ("import os, ipykernel\n_d = os.path.dirname(ipykernel.get_connection_file())\n"
                  "for _n in ['kernels.log', 'kernel.log']:\n"
                  "    try:\n        os.symlink('CANARY', os.path.join(_d, _n))\n    except OSError:\n        pass\n"
                  "os.makedirs(os.path.join(_d, 'policy.json'), exist_ok=True)\nprint('PLANTED', sorted(os.listdir(_d)))"),
    # the graded folder: nbgrader (root) writes the graded notebook there and chmods what is in it
    "workdir-link": ("import os\nos.symlink('CANARY', 'planted-link')\nos.mkfifo('planted-fifo')\n"
                     "os.remove('01_tensor.ipynb')\nos.symlink('CANARY', '01_tensor.ipynb')\nprint('PLANTED')"),
    # a signal-proof spin: the interrupt cannot stop it, only SIGKILL can
    "stubborn": ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                 "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass"),
    # every later cell (test cells too) ends with a number above the cell's points
    "partial-credit": "get_ipython().input_transformers_post.append(lambda lines: lines + ['\\n1000\\n'])",
    # /tmp is a size-capped tmpfs: 32 MiB files (under the file-size cap) until the disk is full
    "tmp-fill": ("import os\n_n = 0\ntry:\n    for _i in range(40):\n        with open(f'/tmp/fill{_i}', 'wb') as _f:\n"
                 "            _f.write(b'0' * 32 * 1024**2)\n        _n += 32\nfinally:\n"
                 "    print('TMP WROTE', _n, 'MiB')\n    for _i in range(40):\n"
                 "        if os.path.exists(f'/tmp/fill{_i}'):\n            os.remove(f'/tmp/fill{_i}')"),
    # the persistent export store: 100 MiB of junk left behind
    "store-fill": ("import os\n_s = os.environ['TINYTORCH_STORE']\nfor _i in range(3):\n"
                   "    with open(os.path.join(_s, f'junk{_i}.bin'), 'wb') as _f:\n"
                   "        _f.write(b'0' * 25 * 1024**2)\nprint('STORE FILLED')"),
}


def canary(path: Path) -> Path:
    path.write_text("canary\n")
    path.chmod(0o600)
    return path


def canary_state(path: Path) -> tuple:
    st = path.lstat()
    return path.read_text(), st.st_uid, oct(st.st_mode & 0o7777)


BROKEN = ("empty-file", "invalid-json", "renamed", "unflagged-test", "duplicated-test", "new-graded-cell")


def broken_submissions(release) -> dict[str, bytes | None]:
    """Notebooks nbgrader cannot grade (file name -> bytes; None: no notebook at the expected name)."""
    def tampered(edit) -> bytes:
        nb = json.loads(nbformat.writes(release))
        edit(nb["cells"])
        return json.dumps(nb).encode()

    def unflag(cells):
        next(c for c in cells if c["metadata"].get("nbgrader", {}).get("grade"))["metadata"]["nbgrader"]["grade"] = False

    def duplicate(cells):
        first = next(c for c in cells if c["metadata"].get("nbgrader", {}).get("grade"))
        cells.append(json.loads(json.dumps(first)))

    def new_graded(cells):
        cells.append({"cell_type": "code", "execution_count": None, "outputs": [], "source": "pass",
                      "metadata": {"nbgrader": {"grade": True, "grade_id": "my-own-test", "locked": False,
                                                "points": 100, "schema_version": 3, "solution": False}}})

    return {"empty-file": b"", "invalid-json": b'{"cells": [', "renamed": None,
            "unflagged-test": tampered(unflag), "duplicated-test": tampered(duplicate),
            "new-graded-cell": tampered(new_graded)}


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
    good = simulated_cohort.make_notebook(source, release, simulated_cohort.Profile("correct"))
    server = LoopbackServer()
    students = {"correct": good, "untouched": release}
    for name, code in ATTACKS.items():
        students[name] = attack_notebook(good, code.replace("PORT", str(server.port)))
    traceback_hider = attack_notebook(release, "get_ipython().showtraceback = lambda *a, **k: None")
    students["hide-tracebacks"] = traceback_hider
    canaries = {name: canary(root / f"canary-{name}.txt") for name in
                ("ipc-plant", "workdir-link", "store-link")}
    for name, code in GRADER_ATTACKS.items():
        target = canaries.get(name)
        students[name] = attack_notebook(good, code.replace("CANARY", str(target) if target else ""))
    # the answer key through a link in the submission (collect or a TA's copy put it there)
    students["answer-link"] = attack_notebook(good, "try:\n    print('LEAK', open('answers.txt').read()[:300])\n"
                                                    "except OSError as _e:\n    print('NO LEAK', type(_e).__name__)")
    students["store-link"] = good
    for name, nb in students.items():
        simulated_cohort.write_submission(root, name, MODULE, nb)
    (root / "submitted" / "answer-link" / MODULE / "answers.txt").symlink_to(root / "source" / MODULE / f"{MODULE}.ipynb")
    (root / "submitted" / "answer-link" / MODULE / "notes.txt").write_text("an extra file")
    # a link left in a student's export store (by their code in an earlier module)
    store = root / "autograded" / "store-link" / ".tinytorch"
    store.mkdir(parents=True)
    (store / "planted").symlink_to(canaries["store-link"])
    for name, data in broken_submissions(release).items():
        folder = simulated_cohort.write_submission(root, name, MODULE, release)
        if data is None:
            (folder / f"{MODULE}.ipynb").rename(folder / "my-work.ipynb")
        else:
            (folder / f"{MODULE}.ipynb").write_bytes(data)
    before = {name: canary_state(path) for name, path in canaries.items()}
    started = time.monotonic()
    run = tito("autograde", MODULE, "--jobs", "2", "--no-progress", "--cell-timeout", "10", cwd=root, check=False,
               env={"TINYTORCH_KILL_GRACE": "8"})
    seconds = time.monotonic() - started
    server.close()
    full = sum(simulated_cohort.test_cells_of(source).values())
    return root, run, server, full, seconds, canaries, before


def scores(root: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "tinytorch") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(MODULE)}


def test_the_grade_table_is_exactly_as_expected(hostile):
    root, run, _, full, *_ = hostile
    expected = {name: full for name in ATTACKS} | {"correct": full, "untouched": 0.0, "crash": 0.0,
                                                    "hide-tracebacks": 0.0}
    expected |= {"ipc-plant": full, "workdir-link": full, "store-link": full, "answer-link": full,
                 "tmp-fill": full, "store-fill": full, "stubborn": 0.0, "partial-credit": full}
    expected |= {name: 0.0 for name in BROKEN}
    assert scores(root) == expected, run.stdout + run.stderr


def outcome_lines(run) -> dict[str, str]:
    return {line.split()[1]: line for line in run.stdout.splitlines()
            if line.split() and line.split()[0] in ("graded", "crashed", "timed-out", "rejected", "failed", "error")}


def test_outcome_lines_say_what_happened(hostile):
    _, run, *_ = hostile
    lines = outcome_lines(run)
    assert lines["loop"].startswith("graded") and "a cell timed out" in lines["loop"]
    assert "memory cap hit" in lines["memory"]
    assert "process cap hit" in lines["forks"]
    assert lines["crash"].startswith("crashed") and "the kernel died" in lines["crash"]
    assert "26 submissions: 1 crashed, 18 graded, 6 rejected, 1 timed-out" in run.stdout, run.stdout


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
    root, _, server, *_ = hostile
    assert server.accepted == 0
    assert "NO NETWORK" in outputs_text(root, "network")


def test_refuses_without_a_sandbox_unless_unsafe(tmp_path):
    root, _, release = built(tmp_path / "course")
    simulated_cohort.write_submission(root, "someone", MODULE, release)
    no_bwrap = {"PATH": os.path.dirname(sys.executable) + ":/nonexistent"}
    proc = tito("autograde", MODULE, "--no-progress", cwd=root, check=False, env=no_bwrap)
    assert proc.returncode == 2 and "cannot sandbox grading kernels: bubblewrap is not installed" in proc.stderr
    assert "--unsafe" in proc.stderr
    proc = tito("autograde", MODULE, "--no-progress", "--unsafe", cwd=root, env=no_bwrap)
    assert "1 submissions: 1 graded" in proc.stdout


def test_a_killed_batch_resumes_to_the_same_table(tmp_path):
    root, source, release = built(tmp_path / "course")
    profiles = {"correct": simulated_cohort.Profile("c"), "untouched": simulated_cohort.Profile("u", solve=False),
                "partial": simulated_cohort.Profile("p", leave_stubs=("tensor-matmul",))}
    students = {f"s{i:02d}": profiles[kind] for i, kind in enumerate(["correct", "untouched", "partial"] * 4)}
    for student, profile in students.items():
        nb = simulated_cohort.make_notebook(source, release, profile)
        simulated_cohort.write_submission(root, student, MODULE, nb)

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
        nb = simulated_cohort.make_notebook(source, release, profile)
        simulated_cohort.write_submission(fresh, student, MODULE, nb)
    tito("autograde", MODULE, "-j", "2", "--no-progress", cwd=fresh)
    assert interrupted == scores(fresh)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "tinytorch") as gb:
        assert len(gb.assignment_submissions(MODULE)) == len(students)  # nothing lost or duplicated


def test_the_per_notebook_cap_stops_a_slow_notebook(tmp_path):
    """Each cell stays under the cell timeout, but together they pass the notebook cap."""
    root, source, release = built(tmp_path / "course")
    good = simulated_cohort.make_notebook(source, release, simulated_cohort.Profile("correct"))
    slow = good
    for _ in range(7):  # 28 s of sleeping, no cell over its 5 s timeout; a correct notebook (judged) takes < 15 s
        slow = attack_notebook(slow, "import time\ntime.sleep(4)")
    simulated_cohort.write_submission(root, "slow", MODULE, slow)
    simulated_cohort.write_submission(root, "fine", MODULE, good)
    run = tito("autograde", MODULE, "--no-progress", "--cell-timeout", "5", "--notebook-timeout", "20", cwd=root,
               check=False)
    slow_line = next(line for line in run.stdout.splitlines() if " slow " in line)
    assert slow_line.startswith("timed-out") and "per-notebook time cap" in slow_line, run.stdout
    full = sum(simulated_cohort.test_cells_of(source).values())
    assert scores(root) == {"slow": 0.0, "fine": full}


def test_killing_the_grader_mid_notebook_leaves_no_kernel(tmp_path):
    root, source, release = built(tmp_path / "course")
    good = simulated_cohort.make_notebook(source, release, simulated_cohort.Profile("correct"))
    simulated_cohort.write_submission(root, "sleeper", MODULE, attack_notebook(good, "import time\ntime.sleep(120)"))
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


# ---------------------------------------------------------------- the grader around the sandbox (issue 11)

def test_no_root_write_or_chown_through_links_left_by_students(hostile):
    """ipc-plant: links in its IPC folder for the next kernel's launcher; workdir-link: links at the
    graded notebook's path and beside it; store-link: a link in its export store (handed over at the
    next grading). None may change the host files they point to."""
    root, run, _, _, _, canaries, before = hostile
    after = {name: canary_state(path) for name, path in canaries.items()}
    assert after == before, run.stdout
    lines = outcome_lines(run)
    assert "PLANTED" in outputs_text(root, "ipc-plant")
    assert lines["workdir-link"].startswith("graded") and "graded folder: removed" in lines["workdir-link"]
    assert "export store: removed 1 link(s)" in lines["store-link"]
    graded = root / "autograded" / "workdir-link" / MODULE
    assert not {"planted-link", "planted-fifo"} & {p.name for p in graded.iterdir()}
    assert not (graded / f"{MODULE}.ipynb").is_symlink()
    assert not any(p.is_symlink() for p in (root / "autograded").rglob("*"))
    assert not list((root / ".tito").glob("workers*")), "worker folders (IPC, logs) must not outlive the batch"


def test_links_in_a_submission_are_dropped_not_followed(hostile):
    root, run, *_ = hostile
    out = outputs_text(root, "answer-link")
    assert "NO LEAK" in out and "LEAK {" not in out and "BEGIN SOLUTION" not in out
    line = outcome_lines(run)["answer-link"]
    assert line.startswith("graded") and "dropped from the submission: answers.txt (a symbolic link)" in line
    assert "notes.txt (not part of the module)" in line
    kept = root / ".tito" / "dropped" / MODULE / "answer-link" / "files"
    assert (kept / "answers.txt").is_symlink() and (kept / "notes.txt").read_text() == "an extra file"
    assert not (root / "autograded" / "answer-link" / MODULE / "answers.txt").exists()


def test_every_student_gets_a_score_and_a_reason(hostile):
    root, run, *_ = hostile
    lines = outcome_lines(run)
    expected = {"empty-file": "rejected", "invalid-json": "rejected", "renamed": "rejected",
                "unflagged-test": "rejected", "duplicated-test": "rejected", "new-graded-cell": "rejected",
                "stubborn": "timed-out", "partial-credit": "graded"}  # partial-credit: the judge scores it
    for student, status in expected.items():
        assert lines[student].split()[0] == status and lines[student].split()[2] != "-", lines[student]
    assert "not a notebook (empty file)" in lines["empty-file"]
    assert "not a notebook (invalid JSON)" in lines["invalid-json"]
    assert f"no {MODULE}.ipynb in the submission" in lines["renamed"] and "my-work.ipynb" in lines["renamed"]
    assert "graded cells tampered: test-tensor-init (metadata changed)" in lines["unflagged-test"]
    assert "graded cells tampered: test-tensor-init (duplicated)" in lines["duplicated-test"]
    assert "graded cells tampered: my-own-test (not in the release)" in lines["new-graded-cell"]
    assert "kernel did not stop after the cell timeout: killed" in lines["stubborn"]
    assert "invalid partial credit in test-tensor-init, test-tensor-dtype" in lines["partial-credit"]
    assert "failed" not in run.stdout.split("submissions:")[-1]


def test_exports_and_status_carry_every_student_and_reason(hostile, tmp_path):
    root, run, *_ = hostile
    import csv

    tito("grades", "--out", str(tmp_path), cwd=root)
    lms = {row["student_id"]: row for row in csv.DictReader(open(tmp_path / "grades_lms.csv"))}
    nbg = {row["student_id"]: row for row in csv.DictReader(open(tmp_path / "grades.csv"))}
    submitted = {p.name for p in (root / "submitted").iterdir()}
    assert set(lms) == submitted and set(nbg) == submitted
    assert lms["invalid-json"]["notes"] == f"{MODULE}: rejected: not a notebook (invalid JSON)"
    assert nbg["invalid-json"]["note"] == "rejected: not a notebook (invalid JSON)" and nbg["invalid-json"]["score"] == "0.0"
    assert "kernel did not stop after the cell timeout" in lms["stubborn"]["notes"]
    assert lms["correct"]["notes"] == "" and nbg["correct"]["note"] == ""
    status = tito("status", cwd=root).stdout
    assert "invalid-json" in status and "not a notebook (invalid JSON)" in status
    assert "dropped from the submission: answers.txt (a symbolic link)" in status


def test_tmp_and_the_export_store_are_capped(hostile):
    root, run, *_ = hostile
    out = outputs_text(root, "tmp-fill")
    assert int(out.split("TMP WROTE")[1].split()[0]) <= 256
    lines = outcome_lines(run)
    assert "disk cap hit" in lines["tmp-fill"]
    assert "STORE FILLED" in outputs_text(root, "store-fill")
    assert "export store over its 64 MiB cap (75 MiB): cleared" in lines["store-fill"]
    store = root / "autograded" / "store-fill" / ".tinytorch"
    assert sum(p.stat().st_size for p in store.rglob("*") if p.is_file()) < 64 * 1024**2


def test_an_infrastructure_failure_is_not_the_students_outcome(hostile, tmp_path):
    """The launcher failing twice (retried once by the batch) is reported as the grader's error, not
    as the student's crash, and keeps an earlier grade."""
    from tito.grading import batch

    root, *_ = hostile
    cd = CourseDir(root)
    before = scores(root)["correct"]
    result = {"student": "correct", "success": False, "log": "DeadKernelError: Kernel died", "error": "",
              "seconds": 1.0, "db": "", "killed": False, "notes": [],
              "infra": "sandbox launcher failed: IsADirectoryError: [Errno 21] Is a directory"}
    outcome = batch._collect(cd, MODULE, result, tmp_path)
    assert outcome.status == "error" and "grading infrastructure failed" in outcome.detail
    assert "IsADirectoryError" in outcome.detail and outcome.score == before
