"""`tito autograde`: nbgrader's Autograde for every submission of a module, in worker processes.

Shape (so sandboxing, limits and scheduling can change without a rewrite):

  coordinator (this process)        the only writer of gradebook.db; skips what is already
                                    graded (resumable), merges each finished submission,
                                    records it done, shows progress and outcome lines
  workers (--jobs N processes)      each starts nbgrader once, grades submissions one at a
                                    time into a private gradebook copy (NbGraderAPI.autograde)
  kernels                           started by nbgrader's Execute preprocessor with the
                                    grading environment of tinytorch_runtime
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from . import sandbox
from .course_dir import CourseDir, CourseError
from .gradebook_merge import merge_submission, record_zero, submission_score
from .nbgrader_apps import db_url, environment_with_tools, load_config


@dataclass
class Outcome:
    student: str
    status: str  # graded | crashed | timed-out | skipped | failed
    score: float | None = None
    max_score: float | None = None
    seconds: float = 0.0
    detail: str = ""

    def line(self) -> str:
        score = f"{self.score:g}/{self.max_score:g}" if self.score is not None else "-"
        detail = f"  {self.detail}" if self.detail else ""
        return f"{self.status:9} {self.student:24} {score:>10}  {self.seconds:5.1f}s{detail}"


# ---------------------------------------------------------------- worker side

_worker: dict = {}


def _worker_init(root: str, module_id: str, work_dir: str, sandboxed: bool, notebook_timeout: float,
                 jobs: int) -> None:
    from nbgrader.apps import NbGraderAPI
    from sqlalchemy.exc import SAWarning

    warnings.simplefilter("ignore", SAWarning)  # nbgrader's own autoflush warnings

    cd = CourseDir(Path(root))
    os.environ.update(environment_with_tools())
    work = Path(work_dir)
    private = work / f"worker-{os.getpid()}.db"
    with sqlite3.connect(cd.gradebook) as live, sqlite3.connect(private) as copy:
        live.backup(copy)  # a consistent snapshot even while the coordinator writes
    # The worker writes each kernel's sandbox policy itself (SandboxPolicy is for formgrader's button).
    overrides = {"CourseDirectory.db_url": db_url(private), "SandboxPolicy.enabled": False,
                 "Execute.kernel_name": os.environ.get("TINYTORCH_GRADING_KERNEL", "python3"),
                 "KernelManager.transport": "tcp",
                 "KernelManager.ip": "127.0.0.1"}
    if sandboxed:
        ipc = work / f"ipc-{os.getpid()}"
        ipc.mkdir()
        os.environ["JUPYTER_PATH"] = str(work / "jupyter")
        overrides.update({"Execute.kernel_name": sandbox.KERNEL_NAME, "KernelManager.transport": "ipc",
                          "KernelManager.ip": str(ipc / "kernel")})
        _worker.update(ipc=ipc, uid=sandbox.UID_BASE + os.getpid() % 1000)
    cfg = load_config(cd, **overrides)
    _worker.update(cd=cd, module=module_id, db=private, api=NbGraderAPI(config=cfg), sandboxed=sandboxed,
                   work=work, notebook_timeout=notebook_timeout, kernel_env=kernel_environment(jobs))


def kernel_environment(jobs: int) -> dict[str, str]:
    """Performance settings for grading kernels (the sandbox starts from an empty environment):
    BLAS threads shared out between parallel kernels instead of oversubscribing the cores, and
    glibc malloc thresholds that stop NumPy timings swinging up to 3x (DESIGN.md §8)."""
    threads = str(max(1, (os.cpu_count() or 1) // max(1, jobs)))
    env = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "1073741824",
           "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
    return {k: os.environ.get(k, v) for k, v in env.items()}


def prerequisite_references(cd: CourseDir, module_id: str) -> list[Path]:
    """Reference files of the modules before this one: never this module's own answer key."""
    course = cd.course
    index = course.module(module_id).index
    return [cd.reference_dir / "tinytorch" / f"{m.name}.py" for m in course.modules[:index]]


def sandbox_policy(cd: CourseDir, module: str, student: str, ipc_dir: Path, uid: int | None,
                   kernel_env: dict[str, str]) -> sandbox.Policy:
    """What the grading kernel of one student's notebook may see: its own folders, the course file and
    the references of earlier modules."""
    store = cd.graded_exports(student)
    store.mkdir(parents=True, exist_ok=True)
    return sandbox.Policy(
        workdir=str(cd.autograded(student, module)), writable=[str(store)],
        readable=[str(p) for p in prerequisite_references(cd, module)] + [str(cd.root / "course.yml")],
        ipc_dir=str(ipc_dir), uid=uid, parent_pid=os.getpid(),
        env={**kernel_env, **cd.grading_env(module, student)})


def _sandbox_policy(cd: CourseDir, module: str, student: str) -> Path:
    policy = sandbox_policy(cd, module, student, _worker["ipc"], _worker["uid"], _worker["kernel_env"])
    path = _worker["work"] / f"policy-{os.getpid()}.json"
    policy.save(path)
    return path


def _grade_in_worker(student: str) -> dict:
    cd, module = _worker["cd"], _worker["module"]
    os.environ.update(cd.grading_env(module, student))
    if _worker["sandboxed"]:
        os.environ[sandbox.POLICY_ENV] = str(_sandbox_policy(cd, module, student))
    started = time.monotonic()
    watchdog = _Watchdog(_worker["notebook_timeout"], _worker.get("uid"))
    try:
        result = _worker["api"].autograde(module, student, force=True, create=True)
    finally:
        watchdog.cancel()
    return {"student": student, "success": bool(result.get("success")), "log": result.get("log", ""),
            "error": result.get("error", ""), "seconds": time.monotonic() - started,
            "db": str(_worker["db"]), "killed": watchdog.fired}


class _Watchdog:
    """Per-notebook wall-clock cap: past it, kill every process of the sandbox's uid; the kernel's
    death ends nbgrader's run for this notebook."""

    def __init__(self, seconds: float, uid: int | None):
        self.fired = False
        self.uid = uid
        self.timer = threading.Timer(seconds, self._fire) if uid is not None else None
        if self.timer:
            self.timer.daemon = True
            self.timer.start()

    def _fire(self) -> None:
        self.fired = True
        kill_processes_of(self.uid)

    def cancel(self) -> None:
        if self.timer:
            self.timer.cancel()


def kill_processes_of(uid: int) -> int:
    killed = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return killed


# ---------------------------------------------------------------- coordinator side

def submission_fingerprint(folder: Path) -> str:
    """Hash of everything a student submitted for a module (names and bytes)."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


class DoneRecords:
    """What has been graded and merged, kept outside every student-writable folder."""

    def __init__(self, cd: CourseDir, module_id: str):
        self.folder = cd.work_dir / "graded" / module_id

    def path(self, student: str) -> Path:
        return self.folder / f"{student}.json"

    def is_done(self, student: str, fingerprint: str) -> bool:
        try:
            return json.loads(self.path(student).read_text())["fingerprint"] == fingerprint
        except (FileNotFoundError, ValueError, KeyError):
            return False

    def record(self, student: str, fingerprint: str, outcome: Outcome) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.path(student).with_suffix(".tmp")
        tmp.write_text(json.dumps({"fingerprint": fingerprint, **asdict(outcome)}))
        os.replace(tmp, self.path(student))


def _first_error_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "unknown error"


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="nb", disable=not enabled, dynamic_ncols=True, leave=False)


def autograde(cd: CourseDir, module_id: str, students: list[str] | None = None, jobs: int = 1,
              force: bool = False, progress: bool = True, unsafe: bool = False, notebook_timeout: float = 600,
              log=print) -> list[Outcome]:
    course = cd.course
    course.module(module_id)  # unknown module -> clear error
    if not cd.gradebook.is_file() or not cd.release_notebook(module_id).is_file():
        raise CourseError(f"{module_id} is not built: run `tito build {module_id}` first")
    submitted = cd.students_submitted(module_id)
    if students:
        unknown = sorted(set(students) - set(submitted))
        if unknown:
            raise CourseError(f"no submission of {module_id} from: {', '.join(unknown)}")
        submitted = [s for s in submitted if s in students]

    done = DoneRecords(cd, module_id)
    fingerprints = {s: submission_fingerprint(cd.submitted(s, module_id)) for s in submitted}
    todo = [s for s in submitted if force or not done.is_done(s, fingerprints[s])]
    outcomes = [Outcome(s, "skipped", detail="already graded (use --force to regrade)")
                for s in submitted if s not in todo]
    for o in outcomes:
        o.score, o.max_score, _ = submission_score(db_url(cd.gradebook), course.course_id, module_id, o.student)
    if not todo:
        return outcomes

    if not unsafe:
        problem = sandbox.probe()
        if problem:
            raise CourseError(f"cannot sandbox grading kernels: {problem}. Student code would run as you, "
                              f"able to read solutions and rewrite grades; fix that, or pass --unsafe.")
    work = cd.work_dir / "workers"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if not unsafe:
        sandbox.write_kernelspec(work / "jupyter")
    logs = cd.work_dir / "logs" / module_id
    logs.mkdir(parents=True, exist_ok=True)
    bar = _progress(len(todo), progress)
    try:
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo))), initializer=_worker_init,
                                 initargs=(str(cd.root), module_id, str(work), not unsafe, notebook_timeout, jobs)) as pool:
            futures = [pool.submit(_grade_in_worker, s) for s in todo]
            for future in as_completed(futures):
                outcome = _collect(cd, module_id, future.result(), logs)
                if outcome.status != "failed":
                    done.record(outcome.student, fingerprints[outcome.student], outcome)
                outcomes.append(outcome)
                bar.update(1)
                if progress:
                    bar.write(outcome.line())
                else:
                    log(outcome.line())
    finally:
        bar.close()
        shutil.rmtree(work, ignore_errors=True)
    return sorted(outcomes, key=lambda o: o.student)


CAPS = {"CellTimeoutError": "a cell timed out", "MemoryError": "memory cap hit",
        "BlockingIOError": "process cap hit"}


def _caps_hit(notebook: Path) -> list[str]:
    """What limits the student's code ran into, read off the graded notebook's errors."""
    try:
        nb = json.loads(notebook.read_text())
    except (FileNotFoundError, ValueError):
        return []
    names = {o.get("ename") for c in nb.get("cells", []) for o in c.get("outputs", []) if o.get("output_type") == "error"}
    return [text for ename, text in CAPS.items() if ename in names]


def _collect(cd: CourseDir, module_id: str, result: dict, logs: Path) -> Outcome:
    student = result["student"]
    (logs / f"{student}.log").write_text(result["log"] + ("\n" + result["error"] if result["error"] else ""))
    course_id = cd.course.course_id
    if result["success"]:
        merge_submission(db_url(Path(result["db"])), db_url(cd.gradebook), course_id, module_id, student)
        status, detail = "graded", "; ".join(_caps_hit(cd.autograded(student, module_id) / f"{module_id}.ipynb"))
    elif result["killed"] or "DeadKernelError" in result["error"] + result["log"]:
        # the student's code ended its own kernel (or ran past the notebook cap): tests not run score zero
        record_zero(db_url(cd.gradebook), course_id, module_id, student, submission_timestamp(cd, student, module_id))
        status = "timed-out" if result["killed"] else "crashed"
        detail = ("ran past the per-notebook time cap" if result["killed"] else
                  "the kernel died (os._exit, a segfault or the memory cap); tests not run score 0")
    else:
        return Outcome(student, "failed", seconds=result["seconds"],
                       detail=f"nbgrader: {_first_error_line(result['error'] or result['log'])}")
    score, max_score, _ = submission_score(db_url(cd.gradebook), course_id, module_id, student)
    return Outcome(student, status, score, max_score, result["seconds"], detail)


def submission_timestamp(cd: CourseDir, student: str, module_id: str) -> str | None:
    stamp = cd.submitted(student, module_id) / "timestamp.txt"
    return stamp.read_text().strip() if stamp.is_file() else None


def summary(outcomes: list[Outcome]) -> str:
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    scores = [o.score for o in outcomes if o.score is not None]
    mean = f"; mean score {sum(scores) / len(scores):.1f}" if scores else ""
    return f"{len(outcomes)} submissions: {parts}{mean}"
