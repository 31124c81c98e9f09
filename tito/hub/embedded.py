"""The embedded hub: JupyterHub on this machine, one system user per student.

`tito hub setup` prepares everything `jupyterhub_config.py` expects (as root):

  <root>/student-env/     the students' Python (docker/singleuser/install.sh, same as the image)
  <root>/course.yml       what student runtimes read; <root>/provided/ the references course.yml
                          lists under provided_references (normally none)
  <root>/exchange/        nbgrader's exchange (1777: students are told apart by uid)
  <root>/grader/course/   the grader account's private course folder (sources, gradebook, submissions)
  <root>/state/           hub database, cookie secret (root only)
  <root>/roster.json      who is an instructor and who is a student (read by jupyterhub_config.py)

The checkout remembers its hub in .tito/hub.json: `tito status` and `tito doctor` run in the
checkout report on the hub's course, where the submissions and grades are.

The course checkout itself becomes readable only by root and the staff group (grader and
instructors): students are real users of this machine and must not read `source/`.
"""
from __future__ import annotations

import hashlib
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..course_dir import CourseDir, CourseError

COURSE_ID = "tinytorch"
DEFAULT_ROOT = "/srv/tinytorch"
REPO = Path(__file__).resolve().parents[2]
REPORT_SERVER_CONFIG = REPO / "tito" / "reporting" / "report_server.json"
DEMO_INSTRUCTORS = ["tt-instructor"]
DEMO_STUDENTS = ["tt-student1", "tt-student2"]
DEMO_NAMES = {"tt-instructor": "Demo Instructor", "tt-student1": "Ada Lovelace", "tt-student2": "Alan Turing"}
HUB_LINK = "hub.json"  # in the checkout's .tito/: which hub root it was installed into


def grader_account() -> str:
    """The system user that runs formgrader and owns the course's grading files."""
    return os.environ.get("TINYTORCH_GRADER", f"{COURSE_ID}-grader")


def hub_root() -> Path:
    return Path(os.environ.get("TINYTORCH_HUB_ROOT", DEFAULT_ROOT))


@dataclass
class Roster:
    instructors: list[str] = field(default_factory=list)
    students: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path) -> "Roster":
        path = root / "roster.json"
        return cls(**json.loads(path.read_text())) if path.exists() else cls()

    def save(self, root: Path) -> None:
        (root / "roster.json").write_text(json.dumps({"instructors": sorted(set(self.instructors)),
                                                      "students": sorted(set(self.students))}, indent=1))


def _run(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def _require_root() -> None:
    if os.geteuid() != 0:
        raise CourseError("the embedded hub creates one system user per student: run `tito hub` as root")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def ensure_user(name: str, home: Path | None = None, password: str | None = None,
                groups: list[str] = (), full_name: str | None = None) -> bool:
    """Create a system user with a private home (0700); True if it was created now.
    full_name goes into the account's GECOS field, where the gradebook takes student names from."""
    created = not _user_exists(name)
    if created:
        args = ["useradd", "--create-home", "--shell", "/bin/bash"]
        if home:
            args += ["--home-dir", str(home)]
        _run(*args, name)
    elif home and pwd.getpwnam(name).pw_dir != str(home):
        home.mkdir(parents=True, exist_ok=True)
        _run("usermod", "--home", str(home), name)
    if full_name is not None:
        _run("usermod", "--comment", _gecos_safe(full_name), name)
    for g in groups:
        _run("usermod", "--append", "--groups", g, name)
    os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
    if password is not None:
        _run("chpasswd", input=f"{name}:{password}\n")
    return created


def _gecos_safe(full_name: str) -> str:
    """GECOS fields are separated by commas and lines by colons: neither may appear in a name."""
    cleaned = " ".join(full_name.replace(",", " ").replace(":", " ").split())
    if not cleaned.isprintable():
        raise CourseError(f"not a usable full name: {full_name!r}")
    return cleaned


def remove_user(name: str) -> None:
    if _user_exists(name):
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        _run("userdel", "--remove", name)


def _fingerprint(*paths: Path) -> str:
    h = hashlib.sha256()
    for top in paths:
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()
                                                    and "__pycache__" not in p.parts and ".egg-info" not in str(p))
        for f in files:
            h.update(str(f.relative_to(top.parent)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _python_for_everyone() -> str:
    """A Python interpreter that every user of this machine may run (pyenv under /root is not one)."""
    base = Path(sys.base_prefix)
    if all(os.stat(p).st_mode & 0o001 for p in (base, *base.parents)):
        return str(base / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}")
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(candidate, os.X_OK):
            return candidate
    raise CourseError(f"the Python in {base} is not readable by other users and no system python3 exists")


def _venv(path: Path, stamp: str, install) -> Path:
    """A virtual environment at path, (re)installed by install(python) when stamp changed."""
    marker = path / ".tinytorch-stamp"
    if marker.exists() and marker.read_text() == stamp:
        return path
    print(f"hub: installing {path.name} ...", flush=True)
    if not (path / "bin" / "python").exists():
        _run(_python_for_everyone(), "-m", "venv", str(path))
    install(str(path / "bin" / "python"))
    marker.write_text(stamp)
    return path


def build_student_env(root: Path) -> Path:
    """The students' Python, installed by the same script as the Docker image."""
    script = REPO / "docker" / "singleuser" / "install.sh"
    runtime = REPO / "tinytorch_runtime"
    stamp = _fingerprint(script.parent, runtime / "src", runtime / "pyproject.toml")
    return _venv(root / "student-env", stamp, lambda python: subprocess.run(
        ["bash", str(script), python, str(runtime)], check=True))


def build_grader_env(root: Path) -> Path:
    """The grader account's Python: the student environment's packages plus tito (formgrader stays on)."""
    runtime = REPO / "tinytorch_runtime"
    singleuser = REPO / "docker" / "singleuser"
    stamp = _fingerprint(singleuser / "requirements.txt", singleuser / "jupyter_server_config.py",
                         singleuser / "overrides.json", runtime / "src", REPO / "tito", REPO / "pyproject.toml")

    def install(python: str) -> None:
        pip = [python, "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "-r", str(singleuser / "requirements.txt")], check=True)
        subprocess.run([*pip, str(runtime), str(REPO)], check=True)
        subprocess.run([python, "-m", "pip", "uninstall", "--yes", "--quiet", "rfc3987-syntax"], check=True)  # as install.sh
        # Kernels an instructor starts in the grader's server: Unix sockets too, never loopback TCP.
        config = Path(python).parent.parent / "etc" / "jupyter"
        config.mkdir(parents=True, exist_ok=True)
        shutil.copy2(singleuser / "jupyter_server_config.py", config / "jupyter_server_config.py")
        # The cohort report in the formgrader service (tito/reporting/report_server.py), enabled as extensions are.
        (config / "jupyter_server_config.d").mkdir(exist_ok=True)
        shutil.copy2(REPORT_SERVER_CONFIG, config / "jupyter_server_config.d" / "tito-report.json")
        # The students' JupyterLab settings (no news pop-up) in the grader service's JupyterLab too.
        settings = Path(python).parent.parent / "share" / "jupyter" / "lab" / "settings"
        settings.mkdir(parents=True, exist_ok=True)
        shutil.copy2(singleuser / "overrides.json", settings / "overrides.json")

    return _venv(root / "grader-env", stamp, install)


def _copy_tree(src: Path, dst: Path) -> None:
    if src.exists():
        shutil.copytree(src, dst, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))


def install_grader_course(cd: CourseDir, root: Path) -> Path:
    """Copy the course into the grader's private folder; grades and submissions already there stay."""
    course = root / "grader" / "course"
    course.mkdir(parents=True, exist_ok=True)
    for name in ("course.yml", "nbgrader_config.py"):
        shutil.copy2(cd.root / name, course / name)
    for folder in ("source", "release", "build/reference"):
        _copy_tree(cd.root / folder, course / folder)
    if (cd.root / "build" / "manifest.json").is_file():  # what the build was made from (`tito status`)
        shutil.copy2(cd.root / "build" / "manifest.json", course / "build" / "manifest.json")
    return course


def publish_student_files(cd: CourseDir, root: Path) -> None:
    """course.yml and the provided references: the only course files students may read."""
    shutil.copy2(cd.root / "course.yml", root / "course.yml")
    os.chmod(root / "course.yml", 0o644)
    provided = root / "provided" / "tinytorch"
    shutil.rmtree(provided, ignore_errors=True)
    provided.mkdir(parents=True)
    course = cd.course
    for module_id in course.provided_references:
        name = module_id.split("_", 1)[1]
        ref = cd.root / "build" / "reference" / "tinytorch" / f"{name}.py"
        if not ref.exists():
            raise CourseError(f"{module_id} is a provided reference but {ref} is missing: run `tito build`")
        shutil.copy2(ref, provided / ref.name)
    for folder, _, files in os.walk(root / "provided"):
        os.chmod(folder, 0o755)
        for f in files:
            os.chmod(Path(folder) / f, 0o644)


def _chown_tree(top: Path, user: str) -> None:
    info = pwd.getpwnam(user)
    for folder, _, files in os.walk(top):
        os.chown(folder, info.pw_uid, info.pw_gid)
        for f in files:
            os.chown(Path(folder) / f, info.pw_uid, info.pw_gid)


def make_checkout_private(cd: CourseDir) -> None:
    """Students are users of this machine: nobody but the checkout's owner and group may enter it,
    nor the course a workshop folder was written from (`tito workshop`: it holds every solution)."""
    from .workshop import origin

    for folder in (cd.root, *origin(cd)):
        mode = folder.stat().st_mode & 0o777
        if mode & 0o007:
            os.chmod(folder, mode & ~0o007)
            print(f"hub: {folder} was open to every user of this machine (solutions!); now {oct(mode & ~0o007)}")


def install_grader_kernel(root: Path) -> None:
    """The grading sandbox kernelspec, where the grader's formgrader (nbgrader in-process) finds it."""
    from ..grading.sandbox import write_kernelspec

    jupyter_dir = root / "grader" / ".local" / "share" / "jupyter"
    write_kernelspec(jupyter_dir, python=str(root / "grader-env" / "bin" / "python"))


def setup(cd: CourseDir, root: Path, demo: bool = False) -> dict[str, str]:
    """Prepare the embedded hub; returns {user: password} for accounts created now."""
    _require_root()
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    closed = [p for p in (root, *root.parents) if not os.stat(p).st_mode & 0o001]
    if closed:
        raise CourseError(f"students could not reach {root}: {closed[0]} is closed to other users; "
                          "choose a hub root every user can traverse (default /srv/tinytorch)")
    ensure_user(grader_account(), home=root / "grader")
    _run("passwd", "--lock", grader_account())  # the grader account never logs in; it runs the formgrader service
    make_checkout_private(cd)
    build_student_env(root)
    build_grader_env(root)
    publish_student_files(cd, root)
    exchange = root / "exchange"
    exchange.mkdir(exist_ok=True)
    os.chmod(exchange, 0o1777)
    state = root / "state"
    state.mkdir(exist_ok=True)
    os.chmod(state, 0o700)
    install_grader_course(cd, root)
    install_grader_kernel(root)
    _chown_tree(root / "grader", grader_account())
    link_checkout(cd, root)
    passwords: dict[str, str] = {}
    if demo:
        roster = Roster.load(root)
        for name in DEMO_INSTRUCTORS + DEMO_STUDENTS:
            if not _user_exists(name):
                passwords[name] = add_user(root, name, instructor=name in DEMO_INSTRUCTORS, roster=roster,
                                           full_name=DEMO_NAMES[name])
        roster.save(root)
    return passwords


def add_user(root: Path, name: str, instructor: bool = False, password: str | None = None,
             roster: Roster | None = None, full_name: str | None = None) -> str:
    """A login for the hub: a system user with a password, in the roster as instructor or student."""
    _require_root()
    own_roster = roster is None
    roster = roster or Roster.load(root)
    password = password or secrets.token_urlsafe(9)
    ensure_user(name, password=password, full_name=full_name)
    if instructor:  # a student made instructor stops being a student
        roster.students = [s for s in roster.students if s != name]
        roster.instructors.append(name)
    elif name not in roster.instructors + roster.students:  # adding again (a new password) keeps the role
        roster.students.append(name)
    if own_roster:
        roster.save(root)
    return password


def run_as_grader(root: Path, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    """Run `python -m <args>` as the grader account in its course folder, with the grader's Python."""
    course = root / "grader" / "course"
    python = root / "grader-env" / "bin" / "python"
    env = {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(root / "grader"),
           "TINYTORCH_EXCHANGE": str(root / "exchange"), "LANG": "C.UTF-8"}
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return subprocess.run([runuser, "-u", grader_account(), "--", str(python), "-m", *args], cwd=course, env=env,
                          check=True, capture_output=capture, text=True)


def grader_course(root: Path) -> Path:
    return root / "grader" / "course"


def link_checkout(cd: CourseDir, root: Path) -> None:
    """Remember which hub this checkout feeds, for `tito status` and `tito doctor`."""
    cd.work_dir.mkdir(exist_ok=True)
    (cd.work_dir / HUB_LINK).write_text(json.dumps({"root": str(root.resolve())}) + "\n")


def _linked_root(checkout: CourseDir) -> Path | None:
    try:
        return Path(json.loads((checkout.work_dir / HUB_LINK).read_text())["root"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def hub_course_for(checkout: CourseDir) -> Path | None:
    """The hub's grader course this checkout was installed into (`tito hub setup`), if there is one.
    Hubs set up before the link existed: the default hub root, for the checkout tito runs from."""
    roots = [_linked_root(checkout)] + ([hub_root()] if checkout.root == REPO else [])
    for root in filter(None, roots):
        course = grader_course(root)
        if course != checkout.root and (root / "exchange").is_dir() and (root / "grader").is_dir():
            return course
    return None


def course_to_report(checkout: CourseDir, explicit: bool) -> tuple[CourseDir, str]:
    """`tito status`/`doctor`: the course given explicitly, else the hub's course when this checkout
    feeds a hub (the submissions and grades are there); with one line saying which and why."""
    if explicit:
        return checkout, f"course: {checkout.root}"
    course = hub_course_for(checkout)
    if course is None:
        return checkout, f"course: {checkout.root} (no hub set up from it)"
    if not os.access(course, os.R_OK | os.X_OK) or not os.access(course / "course.yml", os.R_OK):
        return checkout, (f"course: {checkout.root} (the hub's course {course} is not readable by you: "
                          f"run as root or {grader_account()}, or pass --course)")
    return CourseDir(course), f"course: {course} (the hub's; --course DIR for another)"


def hub_root_of(cd: CourseDir) -> Path | None:
    """The hub root when cd is a hub's grader course (<root>/grader/course)."""
    root = cd.root.parent.parent
    if cd.root == grader_course(root) and (root / "exchange").is_dir():
        return root
    return None


def exchange_of(cd: CourseDir) -> Path | None:
    """The exchange the hub gives its grader course (None: not a hub course; nbgrader_config.py decides)."""
    root = hub_root_of(cd)
    return root / "exchange" if root else None


def hub_students(cd: CourseDir) -> list[str]:
    """The roster's students when cd is a hub's grader course."""
    root = hub_root_of(cd)
    return sorted(set(Roster.load(root).students)) if root else []


def register_in_gradebook(root: Path) -> None:
    """Deadlines and student names into the grader's gradebook, as the grader (tito/grading/registration.py)."""
    run_as_grader(root, "tito.grading.registration", capture=True)


def release(root: Path, module_id: str) -> None:
    """Put a module in the grader's gradebook (formgrader lists and grades from it) and release it."""
    run_as_grader(root, "nbgrader", "generate_assignment", module_id, "--force", "--log-level=WARN")
    run_as_grader(root, "tito", "release", module_id)
    # Sticky inbound: a student may add a submission but never rename or delete another's.
    inbound = root / "exchange" / COURSE_ID / "inbound"
    os.chmod(inbound, inbound.stat().st_mode | 0o1000)


def hub_environment(root: Path, ip: str, port: int) -> dict[str, str]:
    return {**os.environ, "TINYTORCH_HUB_ROOT": str(root), "TINYTORCH_HUB_IP": ip,
            "TINYTORCH_HUB_PORT": str(port), "TINYTORCH_HUB_MODE": "local"}


def start(root: Path, ip: str, port: int) -> None:
    """Run JupyterHub in the foreground with the course's jupyterhub_config.py."""
    _require_root()
    if not (root / "student-env" / "bin" / "jupyterhub-singleuser").exists():
        raise CourseError(f"{root} is not set up: run `tito hub setup` first")
    try:
        register_in_gradebook(root)
    except subprocess.CalledProcessError as e:  # the hub still starts; formgrader then shows fewer details
        why = (e.stderr or e.stdout or "").strip().splitlines()
        print(f"hub: could not register due dates and student names in the gradebook: "
              f"{why[-1] if why else f'exit {e.returncode}'} (re-run `tito hub setup`?)")
    command = [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(REPO / "jupyterhub_config.py")]
    os.chdir(root / "state")
    os.execve(command[0], command, hub_environment(root, ip, port))
