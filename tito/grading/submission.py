"""What a submission may contain, enforced before any grader process (root on a grading host) reads it.

A student owns their exchange folder and, while grading, their autograded folder and export store:
whatever is there may be a link to a host file, a FIFO, a device, a folder where a file is expected
or gigabytes of junk. Everything here looks with lstat / O_NOFOLLOW through directory descriptors
and never follows a link. What is taken: the module's notebook and the other files of its release
(regular files, under a size cap), plus nbgrader's timestamp.txt. What is dropped is reported and,
for a submission, kept aside under .tito/dropped/ (nothing the student handed in is lost).
"""
from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

from ..course_dir import CourseDir

MAX_FILE_BYTES = 20 * 1024**2   # one file of a submission
STORE_CAP_BYTES = 64 * 1024**2  # a student's export store (autograded/<student>/.tinytorch)
WORKDIR_CAP_BYTES = 64 * 1024**2  # what a kernel may leave in its graded folder besides the notebook
ALWAYS_ALLOWED = ("timestamp.txt", "submission_secret.txt")  # both written by nbgrader submit


def _mb(n: int) -> str:
    return f"{n / 1024**2:.0f} MiB" if n >= 1024**2 else f"{n:,} bytes"


def allowed_files(cd: CourseDir, module_id: str) -> set[str]:
    """Relative paths a submission of module_id may contain: the files of its release + timestamp.txt."""
    release = cd.release_notebook(module_id).parent
    names = {f"{module_id}.ipynb", *ALWAYS_ALLOWED}
    if release.is_dir():
        for folder, _, files in os.walk(release):
            names.update(str((Path(folder) / f).relative_to(release)) for f in files)
    return names


def _kind(mode: int) -> str | None:
    """Why an entry of this mode is refused (None for a regular file or a folder)."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "a special file"


def _walk(top: Path, allowed: set[str], max_file_bytes: int):
    """Yield (rel, dir_fd, name, reason) for every entry of top: reason None = take the file, else why it
    is dropped. Folders no allowed path lies under are dropped whole. Never follows a link: the top
    folder itself must be a real folder (else one ('.', ...) entry)."""
    st = os.lstat(top)
    if not stat.S_ISDIR(st.st_mode):
        yield ".", None, str(top), f"the submission folder is {_kind(st.st_mode) or 'a file'}"
        return
    prefixes = {str(Path(a).parent) for a in allowed} | {"."}
    for folder, dirs, files, dir_fd in os.fwalk(top, follow_symlinks=False):
        here = Path(folder).relative_to(top)
        for name in sorted(dirs):
            rel = str(here / name)
            why = _kind(os.lstat(name, dir_fd=dir_fd).st_mode)
            if why is None and not any(p == rel or p.startswith(rel + "/") for p in prefixes):
                why = "not part of the module"
            if why:
                dirs.remove(name)
                yield rel + ("" if why == "a symbolic link" else "/"), dir_fd, name, why
        for name in sorted(files):
            rel = str(here / name)
            st = os.lstat(name, dir_fd=dir_fd)
            why = _kind(st.st_mode)
            if why is None and rel not in allowed:
                why = "not part of the module"
            if why is None and st.st_size > max_file_bytes:
                why = f"{_mb(st.st_size)}, over the {_mb(max_file_bytes)} cap"
            yield rel, dir_fd, name, why


def copy_submission(src: Path, dest: Path, allowed: set[str], max_file_bytes: int = MAX_FILE_BYTES) -> list[str]:
    """Copy the allowed regular files of src (student-owned) into dest (a new folder); return what was
    dropped, as 'name (why)'. Files are opened with O_NOFOLLOW and checked again after opening."""
    dropped = []
    taken = []
    for rel, dir_fd, name, why in _walk(src, allowed, max_file_bytes):
        if why:
            dropped.append(f"{rel} ({why})")
            continue
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        except OSError as e:
            dropped.append(f"{rel} (unreadable: {e.strerror})")
            continue
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                dropped.append(f"{rel} (a special file)")
                continue
            data = fh.read(max_file_bytes + 1)
        if len(data) > max_file_bytes:
            dropped.append(f"{rel} (over the {_mb(max_file_bytes)} cap)")
            continue
        taken.append((rel, data))
    dest.mkdir(parents=True, exist_ok=True)
    for rel, data in taken:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return dropped


def sanitise_in_place(folder: Path, allowed: set[str], keep_aside: Path | None,
                      max_file_bytes: int = MAX_FILE_BYTES) -> list[str]:
    """Move what is not an allowed regular file out of folder (a grader-owned copy, e.g. submitted/...)
    into keep_aside (or delete it when keep_aside is None); return what was dropped, as 'name (why)'."""
    dropped = []
    for rel, dir_fd, name, why in _walk(folder, allowed, max_file_bytes):  # acts while the fds are open
        if not why:
            continue
        dropped.append(f"{rel.rstrip('/')} ({why})")
        if keep_aside is not None:
            target = keep_aside / ("submission-folder" if rel == "." else rel.rstrip("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            remove_entry(target)
            os.rename(name, target, src_dir_fd=dir_fd)
        else:
            remove_entry(Path(name), dir_fd)
    return dropped


def remove_entry(path: Path, dir_fd: int | None = None) -> None:
    """Remove a file, link or folder without following links."""
    try:
        st = os.lstat(path, dir_fd=dir_fd)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path, dir_fd=dir_fd)
    else:
        os.unlink(path, dir_fd=dir_fd)


# ------------------------------------------------------------------ drop reports

def dropped_folder(cd: CourseDir, module_id: str, student: str) -> Path:
    return cd.work_dir / "dropped" / module_id / student


def record_dropped(cd: CourseDir, module_id: str, student: str, dropped: list[str], when: str) -> None:
    if not dropped:
        return
    folder = dropped_folder(cd, module_id, student)
    folder.mkdir(parents=True, exist_ok=True)
    report = folder / "dropped.json"
    try:
        previous = json.loads(report.read_text())
    except (FileNotFoundError, ValueError):
        previous = {}
    previous[when] = dropped
    report.write_text(json.dumps(previous, indent=1))


def dropped_report(cd: CourseDir, module_id: str, student: str) -> list[str]:
    try:
        report = json.loads((dropped_folder(cd, module_id, student) / "dropped.json").read_text())
    except (FileNotFoundError, ValueError):
        return []
    seen: list[str] = []
    for entries in report.values():
        seen += [e for e in entries if e not in seen]
    return seen


def summarise(dropped: list[str], limit: int = 3) -> str:
    more = f" and {len(dropped) - limit} more" if len(dropped) > limit else ""
    return "dropped from the submission: " + ", ".join(dropped[:limit]) + more


# ------------------------------------------------------------------ notebook pre-flight

def _nbmeta(cell: dict) -> dict:
    meta = cell.get("metadata", {})
    return meta.get("nbgrader", {}) if isinstance(meta, dict) else {}


GRADING_FLAGS = ("grade", "solution", "locked")


def _flags(cell: dict) -> tuple:
    meta = _nbmeta(cell)
    points = meta.get("points")
    try:
        points = float(points) if points is not None else None
    except (TypeError, ValueError):
        points = "invalid"
    return (cell.get("cell_type"), *(bool(meta.get(f)) for f in GRADING_FLAGS), points if meta.get("grade") else None)


def notebook_problem(path: Path, release_notebook: Path) -> str | None:
    """None when nbgrader can grade the notebook, else a one-line reason an instructor understands."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        others = sorted(p.name for p in path.parent.glob("*.ipynb")) if path.parent.is_dir() else []
        found = f" (found: {', '.join(others[:3])})" if others else ""
        return f"no {path.name} in the submission{found}"
    if not stat.S_ISREG(st.st_mode):
        return f"{path.name} is not a regular file"
    raw = path.read_bytes()
    if not raw.strip():
        return "not a notebook (empty file)"
    try:
        nb = json.loads(raw)
    except ValueError:
        return "not a notebook (invalid JSON)"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or \
            not all(isinstance(c, dict) for c in nb["cells"]):
        return "not a notebook (no list of cells)"
    try:
        import nbformat

        nbformat.reads(raw.decode("utf-8"), as_version=4)  # what nbgrader does (it only warns on schema)
    except Exception as e:
        return f"not a notebook ({type(e).__name__}: {(str(e).splitlines() or [''])[0][:80]})"
    release = json.loads(release_notebook.read_text())
    expected = {_nbmeta(c)["grade_id"]: _flags(c) for c in release["cells"] if _nbmeta(c).get("grade_id")}
    tampered, seen = [], set()
    for cell in nb["cells"]:
        meta = _nbmeta(cell)
        if not isinstance(meta, dict) or not meta:
            continue
        gid = meta.get("grade_id")
        graded = any(meta.get(f) for f in GRADING_FLAGS)
        if gid is None:
            if graded:
                tampered.append("a graded cell without an id")
            continue
        if gid in seen:
            tampered.append(f"{gid} (duplicated)")
        seen.add(gid)
        if gid in expected and _flags(cell) != expected[gid]:
            tampered.append(f"{gid} (metadata changed)")
        elif gid not in expected and graded:
            tampered.append(f"{gid} (not in the release)")
    if tampered:
        return "graded cells tampered: " + ", ".join(dict.fromkeys(tampered))[:180]
    return None


# ------------------------------------------------------------------ trees the sandbox wrote to

def tree_size(top: Path) -> int:
    total = 0
    try:
        walker = os.fwalk(top, follow_symlinks=False)
        for _, dirs, files, dir_fd in walker:
            for name in files + dirs:
                total += os.lstat(name, dir_fd=dir_fd).st_size
    except FileNotFoundError:
        pass
    return total


def reclaim_tree(top: Path, keep: callable, cap: int, label: str, owner: int | None = None) -> list[str]:
    """After a sandbox wrote to top (its processes gone): drop links and special files, and when the
    tree is over `cap` bytes, whatever `keep(rel)` does not keep, then (still over) everything. Files
    go back to `owner` (root) without following links. Returns notes for the outcome line."""
    notes = []
    try:
        st = os.lstat(top)
    except FileNotFoundError:
        return notes
    if not stat.S_ISDIR(st.st_mode):
        remove_entry(top)
        return [f"{label} was {_kind(st.st_mode) or 'a file'}: removed"]
    odd = []
    for folder, dirs, files, dir_fd in os.fwalk(top, follow_symlinks=False):
        for name in list(dirs) + files:
            why = _kind(os.lstat(name, dir_fd=dir_fd).st_mode)
            if why:
                odd.append(str(Path(folder).relative_to(top) / name))
                if name in dirs:
                    dirs.remove(name)
                os.unlink(name, dir_fd=dir_fd)
            elif owner is not None and os.geteuid() == 0:
                os.chown(name, owner, owner, dir_fd=dir_fd, follow_symlinks=False)
        if owner is not None and os.geteuid() == 0:
            os.chown(dir_fd, owner, owner)
    if odd:
        notes.append(f"{label}: removed {len(odd)} link(s)/special file(s)")
    size = tree_size(top)
    if size > cap:
        for folder, dirs, files, dir_fd in os.fwalk(top, follow_symlinks=False):
            rel_here = Path(folder).relative_to(top)
            for name in files:
                if not keep(str(rel_here / name)):
                    os.unlink(name, dir_fd=dir_fd)
        after = tree_size(top)
        if after > cap:
            for entry in list(top.iterdir()):
                remove_entry(entry)
        notes.append(f"{label} over its {_mb(cap)} cap ({_mb(size)}): cleared")
    return notes
