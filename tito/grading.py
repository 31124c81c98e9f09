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
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from .course_dir import CourseDir, CourseError
from .gradebook_merge import merge_submission, submission_score
from .nbgrader_apps import db_url, environment_with_tools, load_config


@dataclass
class Outcome:
    student: str
    status: str  # graded | skipped | failed
    score: float | None = None
    max_score: float | None = None
    seconds: float = 0.0
    detail: str = ""

    def line(self) -> str:
        score = f"{self.score:g}/{self.max_score:g}" if self.score is not None else "-"
        detail = f"  {self.detail}" if self.detail else ""
        return f"{self.status:8} {self.student:24} {score:>10}  {self.seconds:5.1f}s{detail}"


# ---------------------------------------------------------------- worker side

_worker: dict = {}


def _worker_init(root: str, module_id: str, work_dir: str) -> None:
    from nbgrader.apps import NbGraderAPI

    cd = CourseDir(Path(root))
    os.environ.update(environment_with_tools())
    private = Path(work_dir) / f"worker-{os.getpid()}.db"
    with sqlite3.connect(cd.gradebook) as live, sqlite3.connect(private) as copy:
        live.backup(copy)  # a consistent snapshot even while the coordinator writes
    cfg = load_config(cd, **{"CourseDirectory.db_url": db_url(private)})
    _worker.update(cd=cd, module=module_id, db=private, api=NbGraderAPI(config=cfg))


def _grade_in_worker(student: str) -> dict:
    cd, module = _worker["cd"], _worker["module"]
    os.environ.update(cd.grading_env(module, student))
    started = time.monotonic()
    result = _worker["api"].autograde(module, student, force=True, create=True)
    return {"student": student, "success": bool(result.get("success")), "log": result.get("log", ""),
            "error": result.get("error", ""), "seconds": time.monotonic() - started,
            "db": str(_worker["db"])}


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
              force: bool = False, progress: bool = True, log=print) -> list[Outcome]:
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

    work = cd.work_dir / "workers"
    work.mkdir(parents=True, exist_ok=True)
    logs = cd.work_dir / "logs" / module_id
    logs.mkdir(parents=True, exist_ok=True)
    bar = _progress(len(todo), progress)
    try:
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo))), initializer=_worker_init,
                                 initargs=(str(cd.root), module_id, str(work))) as pool:
            futures = [pool.submit(_grade_in_worker, s) for s in todo]
            for future in as_completed(futures):
                outcome = _collect(cd, module_id, future.result(), logs)
                if outcome.status == "graded":
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


def _collect(cd: CourseDir, module_id: str, result: dict, logs: Path) -> Outcome:
    student = result["student"]
    (logs / f"{student}.log").write_text(result["log"] + ("\n" + result["error"] if result["error"] else ""))
    if not result["success"]:
        return Outcome(student, "failed", seconds=result["seconds"],
                       detail=f"nbgrader: {_first_error_line(result['error'] or result['log'])}")
    course_id = cd.course.course_id
    merge_submission(db_url(Path(result["db"])), db_url(cd.gradebook), course_id, module_id, student)
    score, max_score, _ = submission_score(db_url(cd.gradebook), course_id, module_id, student)
    return Outcome(student, "graded", score, max_score, result["seconds"])


def summary(outcomes: list[Outcome]) -> str:
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    scores = [o.score for o in outcomes if o.score is not None]
    mean = f"; mean score {sum(scores) / len(scores):.1f}" if scores else ""
    return f"{len(outcomes)} submissions: {parts}{mean}"
