"""Sandboxed grading kernels: bubblewrap around ipykernel, with resource limits.

nbgrader runs student code as the grader, in autograded/<student>/<module>, from where
`../../..` reaches source/, the gradebook and every other student. Grading kernels here
are started through the `tinytorch-sandbox` kernelspec, whose launcher (`python -m
tito.grading.sandbox`) runs the kernel under bwrap:

  * a filesystem made only of the system, the Python environment, the runtime, the
    instructor references (read-only) and the student's own grading folders (writable);
    source/, release/, gradebook.db and other students do not exist in it;
  * no network (a private network namespace with nothing in it) and its own PID namespace;
  * a dedicated unprivileged uid when the grader is root (so process limits apply),
    CPU-time, address-space, process-count and file-size limits;
  * the kernel talks to nbgrader over IPC sockets in a fresh folder made for that one kernel
    (`private_folder`) and removed after it; the kernel's log and the launcher's own status
    live outside every folder mounted into a sandbox.

The launcher runs as root (a real grading host) next to folders the student's code could write
to: it never follows a link there (O_NOFOLLOW, lchown through directory descriptors) and a
failure of its own is reported as an infrastructure error, never as the student's outcome.
"""
from __future__ import annotations

import json
import os
import contextlib
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

KERNEL_NAME = "tinytorch-sandbox"
POLICY_ENV = "TITO_SANDBOX_POLICY"
UID_BASE = 61000
UID_COUNT = 1000  # grading kernels use UID_BASE + n; the judge of the same worker UID_BASE + UID_COUNT + n
UID_LEASES = Path("/run/tinytorch-grading-uids")
LAUNCHER_FAILED = 70  # the launcher's exit status when it could not start a sandbox (EX_SOFTWARE)


@dataclass
class Limits:
    cpu_seconds: int = 120
    memory_bytes: int = 3 * 1024**3
    processes: int = 256  # counts threads too; BLAS and ipykernel start a few dozen
    file_bytes: int = 64 * 1024**2
    open_files: int = 1024
    tmp_bytes: int = 256 * 1024**2  # the sandbox's /tmp (a tmpfs of this size, not half the RAM)


@dataclass
class Policy:
    """What one grading kernel may see and use."""
    workdir: str                                       # the notebook's folder (writable)
    writable: list[str] = field(default_factory=list)  # also writable (the student's export store)
    readable: list[str] = field(default_factory=list)  # extra read-only paths (references, course.yml)
    ipc_dir: str = ""                                  # where the kernel's IPC sockets live
    uid: int | None = None                             # switch to this uid (grader running as root)
    parent_pid: int | None = None                      # the grading worker: the sandbox dies with it
    env: dict = field(default_factory=dict)            # environment inside the sandbox
    limits: Limits = field(default_factory=Limits)
    log_file: str = ""     # the kernel's stdout/stderr (outside every mounted folder; "" = discarded)
    status_file: str = ""  # the launcher writes why it failed here (an infrastructure error)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: str) -> "Policy":
        raw = json.loads(Path(path).read_text())
        raw["limits"] = Limits(**raw["limits"])
        return cls(**raw)


def python_paths() -> list[str]:
    """What the kernel's Python needs: the interpreter's prefix, the environment, and the
    folders of packages installed in editable mode (the runtime when developing)."""
    paths = {sys.base_prefix, sys.prefix}
    import tinytorch_runtime

    paths.add(str(Path(tinytorch_runtime.__file__).resolve().parents[1]))
    return sorted(paths)


SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64")
SYSTEM_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "passwd", "group",
              "nsswitch.conf", "localtime", "hosts", "fonts", "ssl")


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[:i + 1]) for i in range(len(parts))]


def bwrap_args(policy: Policy) -> list[str]:
    args = ["bwrap", "--die-with-parent", "--unshare-net", "--unshare-pid", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "grader", "--clearenv"]
    if os.geteuid() != 0:
        args.append("--unshare-user")
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    for name in SYSTEM_ETC:
        if os.path.exists(f"/etc/{name}"):
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(policy.limits.tmp_bytes),
             "--tmpfs", "/tmp"]
    binds = [(p, "--ro-bind") for p in python_paths() + policy.readable]
    binds += [(p, "--bind") for p in [policy.workdir, *policy.writable, policy.ipc_dir] if p]
    made: set[str] = set()
    for path, how in binds:
        if not os.path.exists(path):
            continue
        for parent in _ancestors(path):  # world-traversable parents (bwrap makes them 0700)
            if parent not in made and parent not in ("/tmp", "/proc", "/dev") and not parent.startswith(SYSTEM_DIRS):
                args += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        args += [how, path, path]
    for key, value in {"PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8",
                       "MPLCONFIGDIR": "/tmp/matplotlib", **policy.env}.items():
        args += ["--setenv", key, value]
    args += ["--chdir", policy.workdir]
    return args


def drop_privileges(policy: Policy) -> list[str]:
    if os.geteuid() != 0 or policy.uid is None:
        return []
    uid = str(policy.uid)
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all", "--"]


def apply_limits(limits: Limits) -> None:
    for which, value in ((resource.RLIMIT_CPU, limits.cpu_seconds), (resource.RLIMIT_AS, limits.memory_bytes),
                         (resource.RLIMIT_NPROC, limits.processes), (resource.RLIMIT_FSIZE, limits.file_bytes),
                         (resource.RLIMIT_NOFILE, limits.open_files), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(which, (value, value))


def _hand_over(policy: Policy, paths: list[str]) -> None:
    """Give the sandbox uid its writable folders, never following a link: the folders may hold
    whatever an earlier run of the student's code left there (links to host files included)."""
    if os.geteuid() != 0 or policy.uid is None:
        return
    for top in paths:
        hand_over_tree(top, policy.uid)


def hand_over_tree(top: str, uid: int) -> None:
    """chown a tree to uid without following links (directory descriptors, lchown); a link or a
    non-directory at `top` itself is refused."""
    try:
        fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return
    os.close(fd)
    for folder, dirs, files, dir_fd in os.fwalk(top, follow_symlinks=False):
        os.chown(dir_fd, uid, uid)
        for name in files + [d for d in dirs if stat.S_ISLNK(os.lstat(d, dir_fd=dir_fd).st_mode)]:
            os.chown(name, uid, uid, dir_fd=dir_fd, follow_symlinks=False)


def lease_uid(folder: Path = UID_LEASES) -> tuple[int, int]:
    """A sandbox uid no other grading process on this host holds: an exclusive flock on
    `<folder>/<uid>.lock`, held through the returned descriptor for the worker's lifetime (the kernel
    releases it when the process ends, however it ends). Two workers sharing a uid could signal,
    ptrace or kill each other's students. Returns (uid, descriptor); root only."""
    import fcntl

    folder.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise RuntimeError(f"{folder} must be a root-owned folder that only root can write")
    for n in range(UID_COUNT):
        uid = UID_BASE + n
        fd = os.open(folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return uid, fd
    raise RuntimeError(f"all {UID_COUNT} grading uids are in use on this host")


@contextlib.contextmanager
def private_folder(parent: str | os.PathLike | None = None, owner: int | None = None, prefix: str = "ipc-"):
    """A fresh folder made by this process (root on a grading host) for one kernel: nobody else has
    had a chance to put anything in it. Given to `owner` (the sandbox uid) when running as root;
    removed afterwards without following links (shutil.rmtree works on directory descriptors)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        if owner is not None and os.geteuid() == 0:
            os.chown(path, owner, owner)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _write_private(path: Path, data: bytes, uid: int | None) -> None:
    """Create `path` anew (no link followed, nothing overwritten in place) and give it to uid."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, data)
        if uid is not None and os.geteuid() == 0:
            os.fchown(fd, uid, uid)
    finally:
        os.close(fd)


def _open_log(policy: Policy) -> int:
    if not policy.log_file:
        return os.open(os.devnull, os.O_WRONLY)
    return os.open(policy.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)


def sandboxed_command(policy: Policy, argv: list[str]) -> list[str]:
    return [*bwrap_args(policy), *drop_privileges(policy), *argv]


def launch_kernel(connection_file: str, extra: list[str]) -> None:
    """Kernelspec entry point: start ipykernel inside the sandbox described by $TITO_SANDBOX_POLICY."""
    policy_file = os.environ.get(POLICY_ENV)
    if not policy_file:
        sys.exit(f"{KERNEL_NAME}: {POLICY_ENV} is not set; this kernel is only for `tito autograde`")
    policy = None
    try:
        policy = Policy.load(policy_file)
        # The connection file is private to the grader; the kernel gets its own copy.
        inside = Path(policy.ipc_dir) / Path(connection_file).name
        _write_private(inside, Path(connection_file).read_bytes(), policy.uid)
        _hand_over(policy, [policy.workdir, *policy.writable])
        argv = [f"{sys.prefix}/bin/python", "-m", "ipykernel_launcher", "-f", str(inside), *extra]
        log = _open_log(policy)
    except Exception as e:  # an infrastructure error: say so where the grader looks, never blame the kernel
        report_launcher_failure(policy, e)
        sys.exit(LAUNCHER_FAILED)
    os.dup2(log, 1)  # the kernel's banner and crash messages go to the worker's log, not the TA's screen
    os.dup2(log, 2)
    apply_limits(policy.limits)
    supervise(sandboxed_command(policy, argv), policy.parent_pid)


def report_launcher_failure(policy: Policy | None, error: BaseException) -> None:
    line = f"sandbox launcher failed: {type(error).__name__}: {error}"
    print(f"{KERNEL_NAME}: {line}", file=sys.stderr)
    if policy is not None and policy.status_file:
        try:
            fd = os.open(policy.status_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
            os.write(fd, (line + "\n").encode())
            os.close(fd)
        except OSError:
            pass


def supervise(command: list[str], parent_pid: int | None) -> None:
    """Run the sandbox as a child and stay as its supervisor.

    jupyter_client starts this launcher in a new process group and kills the kernel by killing
    that group, which reaches bwrap and the kernel too. If the grading worker dies instead (a
    killed batch), the parent-death signal (armed here, in a process that never changes its
    credentials, unlike bwrap) makes this supervisor kill the whole group."""
    import ctypes
    import signal

    signal.signal(signal.SIGTERM, lambda *_: os.killpg(0, signal.SIGKILL))
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if parent_pid is not None and os.getppid() != parent_pid:
        sys.exit("the grading worker is gone")  # it died before the signal was armed
    child = subprocess.Popen(command)
    sys.exit(child.wait())


def write_kernelspec(jupyter_dir: Path, python: str | None = None) -> Path:
    """The `tinytorch-sandbox` kernelspec under jupyter_dir/kernels (put jupyter_dir on JUPYTER_PATH);
    `python` is the interpreter of the grading environment (default: this one)."""
    folder = jupyter_dir / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [python or sys.executable, "-m", "tito.grading.sandbox", "-f", "{connection_file}"],
            "display_name": "TinyTorch grading sandbox", "language": "python",
            "interrupt_mode": "message", "metadata": {"debugger": False}}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


def probe() -> str | None:
    """None when sandboxes work on this machine, else why not (one line)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "setpriv (util-linux) is not installed"
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        policy = Policy(workdir=tmp, uid=UID_BASE, ipc_dir="")
        os.chmod(tmp, 0o777)
        cmd = sandboxed_command(policy, [f"{sys.prefix}/bin/python", "-c", "import numpy, tinytorch_runtime"])
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"bwrap could not start: {e}"
        if proc.returncode != 0:
            return f"bwrap could not start a sandbox: {(proc.stderr.strip().splitlines() or ['?'])[-1]}"
    return None


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] != "-f":
        sys.exit("usage: python -m tito.grading.sandbox -f CONNECTION_FILE [kernel args...]")
    launch_kernel(argv[1], argv[2:])


if __name__ == "__main__":
    main(sys.argv[1:])
