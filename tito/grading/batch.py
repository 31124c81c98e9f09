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

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import stat
import threading
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path

from ..course_dir import CourseDir, CourseError
from ..nbgrader_apps import db_url, environment_with_tools, load_config
from . import sandbox, submission
from .gradebook_merge import merge_submission, record_zero, submission_score


@dataclass
class Outcome:
    student: str
    status: str  # graded | crashed | timed-out | rejected | failed | error | skipped
    score: float | None = None
    max_score: float | None = None
    seconds: float = 0.0
    detail: str = ""
    integrity: str = ""  # why the judge flagged it (docs/grading.md); "" when nothing to look at

    def line(self) -> str:
        score = f"{self.score:g}/{self.max_score:g}" if self.score is not None else "-"
        detail = f"  {self.detail}" if self.detail else ""
        flag = f"  integrity: {self.integrity}" if self.integrity else ""
        return f"{self.status:9} {self.student:24} {score:>10}  {self.seconds:5.1f}s{detail}{flag}"


# ---------------------------------------------------------------- worker side

_worker: dict = {}


def _worker_init(root: str, work_dir: str, sandboxed: bool, notebook_timeout: float, jobs: int) -> None:
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
        # Each kernel gets a fresh IPC folder (_grade_in_worker); its log and the launcher's status
        # file stay here, in the worker's own folder, which is never mounted into a sandbox.
        os.environ["JUPYTER_PATH"] = str(work / "jupyter")
        overrides.update({"Execute.kernel_name": sandbox.KERNEL_NAME, "KernelManager.transport": "ipc"})
        uid = None
        if os.geteuid() == 0:
            uid, _worker["uid_lease"] = sandbox.lease_uid()  # held until this worker ends
        _worker.update(uid=uid,
                       log_file=work / f"kernels-{os.getpid()}.log",
                       status_file=work / f"launcher-{os.getpid()}.status")
    cfg = load_config(cd, **overrides)
    _worker.update(cd=cd, db=private, api=NbGraderAPI(config=cfg), sandboxed=sandboxed,
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
    """Reference files of the modules this one `requires` or `extends` in course.yml, and of what
    those need in turn (a reference imports its own prerequisites): never this module's own answer
    key, nor that of an earlier module it does not need."""
    course = cd.course
    return [cd.reference_dir / "tinytorch" / f"{course.module(m).name}.py" for m in cd.prerequisites(module_id)]


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


def _sandbox_policy(cd: CourseDir, module: str, student: str, ipc: Path) -> Path:
    policy = sandbox_policy(cd, module, student, ipc, _worker["uid"], _worker["kernel_env"])
    policy.log_file = str(_worker["log_file"])
    policy.status_file = str(_worker["status_file"])
    path = _worker["work"] / f"policy-{os.getpid()}.json"
    policy.save(path)
    return path


def _reclaim_store(cd: CourseDir, student: str) -> list[str]:
    """The student's export store persists between gradings and the sandbox writes to it: no links or
    special files in it, and no more than its cap (before grading and after)."""
    return submission.reclaim_tree(
        cd.graded_exports(student), keep=lambda rel: rel.startswith("tinytorch/") and rel.endswith(".py"),
        cap=submission.STORE_CAP_BYTES, label="export store", owner=0)


def _grade_in_worker(module: str, student: str) -> dict:
    from . import preprocessors

    from .judge import judge_record_path

    cd = _worker["cd"]
    os.environ.update(cd.grading_env(module, student))
    judge_record_path(cd, module, student).unlink(missing_ok=True)  # never a previous grading's flags
    preprocessors.NOTES.clear()
    notes: list[str] = []
    started = time.monotonic()
    infra = ""
    with contextlib.ExitStack() as stack:
        if _worker["sandboxed"]:
            notes += _reclaim_store(cd, student)
            # a fresh root-made IPC folder for this kernel only, removed after it
            ipc = stack.enter_context(sandbox.private_folder(_worker["work"], owner=_worker["uid"]))
            _worker["api"].config.KernelManager.ip = str(ipc / "kernel")
            os.environ[sandbox.POLICY_ENV] = str(_sandbox_policy(cd, module, student, ipc))
            _worker["status_file"].unlink(missing_ok=True)
        watchdog = _Watchdog(_worker["notebook_timeout"], _worker.get("uid"))
        try:
            result = _worker["api"].autograde(module, student, force=True, create=True)
        finally:
            watchdog.cancel()
        if _worker["sandboxed"]:
            if _worker.get("uid") is not None:
                kill_processes_of(_worker["uid"])
            if _worker["status_file"].exists():
                infra = _worker["status_file"].read_text().strip().splitlines()[-1]
            notes += _reclaim_store(cd, student)
    notes = list(dict.fromkeys(preprocessors.NOTES + notes))
    return {"student": student, "success": bool(result.get("success")), "log": result.get("log", ""),
            "error": result.get("error", ""), "seconds": time.monotonic() - started,
            "db": str(_worker["db"]), "killed": watchdog.fired, "notes": notes, "infra": infra}


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
    """Hash of everything a student submitted for a module (names and bytes; links are hashed as
    links, never followed, and special files are never opened)."""
    h = hashlib.sha256()
    if not folder.is_dir() or folder.is_symlink():
        return h.hexdigest()
    entries = []
    for here, dirs, files, dir_fd in os.fwalk(folder, follow_symlinks=False):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(here, d))]:
            rel = os.path.relpath(os.path.join(here, name), folder)
            mode = os.lstat(name, dir_fd=dir_fd).st_mode
            if stat.S_ISREG(mode):
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
                with os.fdopen(fd, "rb") as fh:
                    data = fh.read()
            elif stat.S_ISLNK(mode):
                data = b"link:" + os.readlink(name, dir_fd=dir_fd).encode()
            else:
                data = f"special:{mode:o}".encode()
            entries.append((rel, data))
    for rel, data in sorted(entries):
        h.update(rel.encode() + b"\0" + data + b"\0")
    return h.hexdigest()


RETRY = ("failed", "error")  # outcomes recorded (with a zero score) but graded again by the next run


def reason(outcome: Outcome) -> str:
    """The one-line reason shown next to a score in `tito status` and the grade exports ("" when the
    submission was graded without anything to say)."""
    if outcome.status in ("graded", "skipped") and not outcome.detail:
        return ""
    return f"{outcome.status}: {outcome.detail}" if outcome.detail else outcome.status


class DoneRecords:
    """What has been graded and merged, kept outside every student-writable folder."""

    def __init__(self, cd: CourseDir, module_id: str):
        self.folder = cd.work_dir / "graded" / module_id

    def path(self, student: str) -> Path:
        return self.folder / f"{student}.json"

    def is_done(self, student: str, fingerprint: str) -> bool:
        try:
            record = json.loads(self.path(student).read_text())
        except (FileNotFoundError, ValueError):
            return False
        return record.get("fingerprint") == fingerprint and record.get("status") not in RETRY

    def outcome(self, student: str) -> Outcome | None:
        try:
            record = json.loads(self.path(student).read_text())
            record.pop("fingerprint", None)
            return Outcome(**record)
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def outcomes(self) -> list[Outcome]:
        found = [self.outcome(p.stem) for p in sorted(self.folder.glob("*.json"))] if self.folder.is_dir() else []
        return [o for o in found if o is not None]

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
    return autograde_modules(cd, [module_id], students, jobs, force, progress, unsafe, notebook_timeout,
                             log)[module_id]


def _prepare(cd: CourseDir, module_id: str, students: list[str] | None, force: bool, log,
             prefix: str) -> tuple[list[str], list[Outcome], DoneRecords, dict[str, str]]:
    """Sanitise one module's submissions and decide what to grade: (to grade, outcomes already known,
    done records, fingerprints)."""
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
    # Before any grader process reads a submission: only the module's regular files, no links.
    allowed = submission.allowed_files(cd, module_id)
    for s in submitted:
        dropped = submission.sanitise_in_place(cd.submitted(s, module_id), allowed,
                                               submission.dropped_folder(cd, module_id, s) / "files")
        dropped += _drop_bad_timestamp(cd, s, module_id)
        submission.record_dropped(cd, module_id, s, dropped, "autograde")
    fingerprints = {s: submission_fingerprint(cd.submitted(s, module_id)) for s in submitted}
    todo = [s for s in submitted if force or not done.is_done(s, fingerprints[s])]
    outcomes = [Outcome(s, "skipped", detail="already graded (use --force to regrade)")
                for s in submitted if s not in todo]
    for o in outcomes:
        o.score, o.max_score, _ = submission_score(db_url(cd.gradebook), course.course_id, module_id, o.student)

    # What nbgrader cannot grade at all gets 0 and says why, without starting a kernel.
    for s in list(todo):
        problem = submission.notebook_problem(cd.submitted(s, module_id) / f"{module_id}.ipynb",
                                              cd.release_notebook(module_id))
        if problem:
            outcome = _recorded_zero(cd, module_id, s, "rejected", _with_drops(cd, module_id, s, [problem]), 0.0,
                                     keep_existing=False)
            done.record(s, fingerprints[s], outcome)
            outcomes.append(outcome)
            log(prefix + outcome.line())
            todo.remove(s)
    return todo, outcomes, done, fingerprints


def autograde_modules(cd: CourseDir, module_ids: list[str], students: list[str] | None = None, jobs: int = 1,
                      force: bool = False, progress: bool = True, unsafe: bool = False,
                      notebook_timeout: float = 600, log=print) -> dict[str, list[Outcome]]:
    """Grade several modules' submissions in one batch: one pool of workers for all of them, so
    workers start once and stay busy across module boundaries. Outcomes per module, by student."""
    several = len(module_ids) > 1
    prefixes = {m: f"{m:16} " if several else "" for m in module_ids}
    todo: list[tuple[str, str]] = []
    outcomes: dict[str, list[Outcome]] = {}
    done: dict[str, DoneRecords] = {}
    fingerprints: dict[str, dict[str, str]] = {}
    for m in module_ids:
        # with several modules, --student picks those of the students who submitted each module
        wanted = [s for s in students if s in cd.students_submitted(m)] if students and several else students
        if students and several and not wanted:
            outcomes[m] = []
            continue
        module_todo, outcomes[m], done[m], fingerprints[m] = _prepare(cd, m, wanted, force, log, prefixes[m])
        todo += [(m, s) for s in module_todo]
    if todo:
        _grade_batch(cd, todo, jobs, progress, unsafe, notebook_timeout, log, prefixes, outcomes, done,
                     fingerprints)
    return {m: sorted(found, key=lambda o: o.student) for m, found in outcomes.items()}


def _grade_batch(cd: CourseDir, todo: list[tuple[str, str]], jobs: int, progress: bool, unsafe: bool,
                 notebook_timeout: float, log, prefixes: dict[str, str], outcomes: dict[str, list[Outcome]],
                 done: dict[str, DoneRecords], fingerprints: dict[str, dict[str, str]]) -> None:
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
    for m in {m for m, _ in todo}:
        (cd.work_dir / "logs" / m).mkdir(parents=True, exist_ok=True)
    bar = _progress(len(todo), progress)
    try:
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo))), initializer=_worker_init,
                                 initargs=(str(cd.root), str(work), not unsafe, notebook_timeout, jobs)) as pool:
            pending = {pool.submit(_grade_in_worker, m, s): (m, s) for m, s in todo}
            retried: set[tuple[str, str]] = set()
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    module, student = task = pending.pop(future)
                    result = future.result()
                    if result.get("infra") and task not in retried:
                        # the launcher failed, not the student's code: grade again, once
                        retried.add(task)
                        pending[pool.submit(_grade_in_worker, module, student)] = task
                        continue
                    outcome = _collect(cd, module, result, cd.work_dir / "logs" / module)
                    done[module].record(student, fingerprints[module][student], outcome)
                    outcomes[module].append(outcome)
                    bar.update(1)
                    if progress:
                        bar.write(prefixes[module] + outcome.line())
                    else:
                        log(prefixes[module] + outcome.line())
    finally:
        bar.close()
        shutil.rmtree(work, ignore_errors=True)


CAPS = {"CellTimeoutError": "a cell timed out", "MemoryError": "memory cap hit",
        "BlockingIOError": "process cap hit"}
CAP_MESSAGES = {"No space left on device": "disk cap hit (/tmp or the export store)",
                "File too large": "file-size cap hit"}


def _caps_hit(notebook: Path) -> list[str]:
    """What limits the student's code ran into, read off the graded notebook's errors."""
    try:
        nb = json.loads(notebook.read_text())
    except (FileNotFoundError, ValueError):
        return []
    errors = [o for c in nb.get("cells", []) for o in c.get("outputs", []) if o.get("output_type") == "error"]
    names = {o.get("ename") for o in errors}
    text = "\n".join(str(o.get("evalue", "")) + "\n".join(o.get("traceback", [])) for o in errors)
    return ([note for ename, note in CAPS.items() if ename in names]
            + [note for message, note in CAP_MESSAGES.items() if message in text])


def _with_drops(cd: CourseDir, module_id: str, student: str, notes: list[str]) -> str:
    dropped = submission.dropped_report(cd, module_id, student)
    return "; ".join([*notes, *([submission.summarise(dropped)] if dropped else [])])


def _recorded_zero(cd: CourseDir, module_id: str, student: str, status: str, detail: str, seconds: float,
                   keep_existing: bool = True) -> Outcome:
    """An outcome with a score in the gradebook: 0 for the autograded tests, unless keep_existing and
    the student already has a grade there (an infrastructure failure does not wipe an earlier grade)."""
    url, course_id = db_url(cd.gradebook), cd.course.course_id
    existing = None
    if keep_existing:
        try:
            existing = submission_score(url, course_id, module_id, student)
        except Exception:  # nbgrader's MissingEntry: not graded before
            existing = None
    if existing is None:
        record_zero(url, course_id, module_id, student, submission_timestamp(cd, student, module_id))
    score, max_score, _ = submission_score(url, course_id, module_id, student)
    return Outcome(student, status, score, max_score, seconds, detail)


def _nbgrader_reason(result: dict) -> str:
    """The exception nbgrader hit, from its log (its own error says only 'see the above traceback')."""
    text = result["log"] + "\n" + result["error"]
    found = re.findall(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception|Exit)): (.+)$", text, re.M)
    found = [(name, msg) for name, msg in found if name != "NbGraderException"]
    if found:
        name, msg = found[-1]
        return f"{name}: {msg.strip()}"[:200]
    return _first_error_line(result["error"] or result["log"])


def _collect(cd: CourseDir, module_id: str, result: dict, logs: Path) -> Outcome:
    student = result["student"]
    (logs / f"{student}.log").write_text(result["log"] + ("\n" + result["error"] if result["error"] else ""))
    course_id = cd.course.course_id
    notes = list(result.get("notes", []))
    seconds = result["seconds"]
    if result.get("infra"):
        return _recorded_zero(cd, module_id, student, "error", _with_drops(cd, module_id, student, [
            f"grading infrastructure failed twice, not the student's code ({result['infra']}); "
            f"re-run tito autograde"]), seconds)
    if result["success"]:
        merge_submission(db_url(Path(result["db"])), db_url(cd.gradebook), course_id, module_id, student)
        caps = _caps_hit(cd.autograded(student, module_id) / f"{module_id}.ipynb")
        score, max_score, _ = submission_score(db_url(cd.gradebook), course_id, module_id, student)
        return Outcome(student, "graded", score, max_score, seconds,
                       _with_drops(cd, module_id, student, list(dict.fromkeys(caps + notes))),
                       integrity=integrity_flags(cd, module_id, student))
    killed_after_timeout = any("did not stop after the cell timeout" in n for n in notes)
    if result["killed"] or killed_after_timeout or "DeadKernelError" in result["error"] + result["log"]:
        # the student's code ended (or wedged) its own kernel, or ran past the notebook cap: tests not run score 0
        if result["killed"]:
            status, why = "timed-out", "ran past the per-notebook time cap; tests not run score 0"
        elif killed_after_timeout:
            status, why = "timed-out", "kernel did not stop after the cell timeout: killed; tests not run score 0"
        else:
            status, why = "crashed", "the kernel died (os._exit, a segfault or the memory cap); tests not run score 0"
        rest = [n for n in notes if "did not stop after the cell timeout" not in n]
        return _recorded_zero(cd, module_id, student, status, _with_drops(cd, module_id, student, [why, *rest]),
                              seconds, keep_existing=False)
    return _recorded_zero(cd, module_id, student, "failed", _with_drops(
        cd, module_id, student, [f"nbgrader could not grade it ({_nbgrader_reason(result)}); scored 0", *notes]),
        seconds, keep_existing=False)


def integrity_flags(cd: CourseDir, module_id: str, student: str) -> str:
    """What the judge flagged in this grading (written by tito.grading.judge.Judge in the worker)."""
    from .judge import judge_record_path

    try:
        flags = json.loads(judge_record_path(cd, module_id, student).read_text()).get("flags", [])
    except (FileNotFoundError, ValueError, AttributeError):
        return ""
    text = "; ".join(str(f) for f in flags)
    return text if len(text) <= 400 else text[:397] + "..."


def _drop_bad_timestamp(cd: CourseDir, student: str, module_id: str) -> list[str]:
    """nbgrader fails on a timestamp.txt it cannot parse (the file comes from the student's side)."""
    stamp = cd.submitted(student, module_id) / "timestamp.txt"
    if stamp.is_symlink() or not stamp.is_file():
        return []
    if submission_timestamp(cd, student, module_id) is None:
        aside = submission.dropped_folder(cd, module_id, student) / "files"
        aside.mkdir(parents=True, exist_ok=True)
        os.replace(stamp, aside / "timestamp.txt")
        return ["timestamp.txt (not a timestamp)"]
    return []


def submission_timestamp(cd: CourseDir, student: str, module_id: str) -> str | None:
    """The submission's timestamp.txt when it is a regular file holding a time nbgrader can parse."""
    from nbgrader.utils import parse_utc

    stamp = cd.submitted(student, module_id) / "timestamp.txt"
    if stamp.is_symlink() or not stamp.is_file() or stamp.stat().st_size > 1000:
        return None
    text = stamp.read_text(errors="replace").strip()
    try:
        parse_utc(text)
    except Exception:
        return None
    return text


def summary(outcomes: list[Outcome]) -> str:
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    scores = [o.score for o in outcomes if o.score is not None]
    mean = f"; mean score {sum(scores) / len(scores):.1f}" if scores else ""
    return f"{len(outcomes)} submissions: {parts}{mean}"
