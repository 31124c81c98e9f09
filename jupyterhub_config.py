"""JupyterHub for the TinyTorch course: one file, two modes, chosen by environment.

TINYTORCH_HUB_MODE=local (default, "embedded"): no Docker engine needed. `tito hub setup`
  (run by scripts/main.sh) prepares TINYTORCH_HUB_ROOT (default /srv/tinytorch); `tito hub start`
  runs this file. Students and instructors are real system users (distinct uids, which is what
  nbgrader's exchange relies on), logging in with their passwords (PAM); servers are started
  by LocalProcessSpawner from the student environment built by docker/singleuser/install.sh.

TINYTORCH_HUB_MODE=docker (production): SystemUserSpawner (DockerSpawner) runs the
  single-user image from docker/ as the student's own uid, with per-user home volumes, the
  exchange volume and CPU/memory limits. See docker/README.md.

Both modes: the nbgrader exchange, the groups nbgrader-tinytorch (students) and
formgrade-tinytorch (instructors, TAs), formgrader as the hub service `tinytorch` run by the
grader account, and idle culling. Formgrader opens as a top-level page at
/services/tinytorch/formgrader: single-user servers keep JupyterHub's CSP
`frame-ancestors 'none'` (no iframes across the hub's origin), see docs/hub.md.

Settings (environment):
  TINYTORCH_HUB_IP / TINYTORCH_HUB_PORT     public address (default 127.0.0.1:8000)
  TINYTORCH_AUTHENTICATOR   pam (local default) | dummy (tests; loopback only) | any
                            JupyterHub authenticator entry point or class (github, generic-oauth,
                            ltiauthenticator.lti13.auth.LTI13Authenticator, ...),
                            configured further in TINYTORCH_HUB_EXTRA_CONFIG
  TINYTORCH_HUB_EXTRA_CONFIG  a Python config file loaded last (OAuth client ids and the like)
  TINYTORCH_CULL_TIMEOUT    seconds of inactivity before a server is stopped (default 3600)
  TINYTORCH_HUB_FORKSERVER  1 (default): students' servers are forked from a warm process that has
                            imported their Jupyter stack once (tito/hub/forkserver.py), ~10x cheaper
                            starts when a class logs in at once; 0: a fresh process per server
  TINYTORCH_MEM_LIMIT / TINYTORCH_CPU_LIMIT   per-student limits (docker mode; default 2G / 1.0)
"""
import ipaddress
import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

import sqlalchemy

c = get_config()  # noqa: F821 (provided by JupyterHub)

COURSE = "tinytorch"
GRADER = os.environ.get("TINYTORCH_GRADER", f"{COURSE}-grader")
REPO = Path(__file__).resolve().parent
MODE = os.environ.get("TINYTORCH_HUB_MODE", "local")
ROOT = Path(os.environ.get("TINYTORCH_HUB_ROOT", "/srv/tinytorch"))
IP = os.environ.get("TINYTORCH_HUB_IP", "127.0.0.1")
PORT = int(os.environ.get("TINYTORCH_HUB_PORT", "8000"))
AUTH = os.environ.get("TINYTORCH_AUTHENTICATOR", "pam")
SERVICE_PORT = int(os.environ.get("TINYTORCH_FORMGRADER_PORT", "9999"))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def roster() -> dict:
    path = ROOT / "roster.json"
    return json.loads(path.read_text()) if path.exists() else {"instructors": [], "students": []}


# --- network --------------------------------------------------------------------------
c.JupyterHub.bind_url = f"http://{IP}:{PORT}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("TINYTORCH_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('TINYTORCH_PROXY_API_PORT', '8001')}"
_chp = REPO / ".hub-node" / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(_chp) if _chp.exists() else "configurable-http-proxy"]
c.JupyterHub.db_url = f"sqlite:///{ROOT / 'state' / 'jupyterhub.sqlite'}"


@sqlalchemy.event.listens_for(sqlalchemy.engine.Engine, "connect")
def sqlite_synced_at_checkpoints(connection, _record) -> None:
    """The hub commits to its database inside its event loop, several times per login, spawn and
    stop; with SQLite's default journal every commit waits for the disk (fsync), and a class
    logging in at once stalled the hub for seconds (benchmarks/hub_load.py). In WAL mode with
    synchronous=NORMAL a commit is a write: a power cut may lose the last commits, never the
    database's consistency."""
    if isinstance(connection, sqlite3.Connection):
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")


c.JupyterHub.cookie_secret_file = str(ROOT / "state" / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(ROOT / "state" / "jupyterhub.pid")

# --- who may log in ---------------------------------------------------------------------
people = roster()
if AUTH == "dummy":
    if not is_loopback(IP):
        sys.exit(f"jupyterhub_config.py: refusing to start: dummy authentication on {IP}, a non-loopback "
                 "address, would let anyone log in as anyone. Use TINYTORCH_AUTHENTICATOR=pam or OAuth.")
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = os.environ.get("TINYTORCH_DUMMY_PASSWORD", "")
    c.Authenticator.allow_all = True
elif AUTH == "pam":
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.open_sessions = False
else:
    c.JupyterHub.authenticator_class = AUTH
if AUTH != "dummy":
    c.Authenticator.allowed_users = set(people["instructors"]) | set(people["students"])
c.Authenticator.admin_users = set()

# --- groups and roles (nbgrader's JupyterHub conventions) ------------------------------
c.JupyterHub.load_groups = {
    f"formgrade-{COURSE}": {"users": people["instructors"]},
    f"nbgrader-{COURSE}": {"users": people["students"]},
}
c.JupyterHub.load_roles = [
    {"name": f"formgrade-{COURSE}", "groups": [f"formgrade-{COURSE}"],
     "scopes": [f"access:services!service={COURSE}", "list:services", f"read:services!service={COURSE}"]},
    {"name": f"nbgrader-{COURSE}", "groups": [f"nbgrader-{COURSE}"],
     "scopes": ["list:services", f"read:services!service={COURSE}"]},
    # A student's server asks the hub which nbgrader-<course> groups its owner is in (assignment list).
    {"name": "server", "scopes": ["users:activity!user", "access:servers!user",
                                  "read:users:name!user", "read:users:groups!user"]},
    {"name": "idle-culler", "services": ["idle-culler"],
     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
]

# --- student servers --------------------------------------------------------------------
student_env = {
    "TINYTORCH_COURSE": str(ROOT / "course.yml") if MODE == "local" else "/srv/tinytorch/course.yml",
    "TINYTORCH_MODE": "student",
    "TINYTORCH_REFERENCE": str(ROOT / "provided") if MODE == "local" else "/srv/tinytorch/provided",
    "TINYTORCH_EXCHANGE": str(ROOT / "exchange") if MODE == "local" else "/srv/nbgrader/exchange",
    "MALLOC_MMAP_THRESHOLD_": "33554432",
    "MALLOC_TRIM_THRESHOLD_": "1073741824",
    # one BLAS thread per student kernel: many kernels share few cores, and timings stay steady
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
}
c.Spawner.default_url = "/lab"  # students land on the assignment list there (tinytorch-lab)
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120  # a class arriving at once on a small machine (benchmarks/hub_load.py)

if MODE == "local":
    from tito.hub.spawners import ForkServerSpawner, PromptLocalProcessSpawner

    bin_dir = ROOT / "student-env" / "bin"
    c.Spawner.cmd = [str(bin_dir / "jupyterhub-singleuser")]
    c.Spawner.env_keep = ["LANG", "LC_ALL"]  # nothing of the hub's own environment (its venv) leaks in
    c.Spawner.environment = {**student_env, "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin"}
    if os.environ.get("TINYTORCH_HUB_FORKSERVER", "1") == "1":
        c.JupyterHub.spawner_class = ForkServerSpawner
        c.ForkServerSpawner.forkserver_python = str(bin_dir / "python")
        c.ForkServerSpawner.forkserver_socket = str(ROOT / "state" / "forkserver.sock")
        c.ForkServerSpawner.forkserver_environment = {  # HOME: what a module caches at import is nobody's
            # plain strings only: per-user values (callables, set below) are the spawner's, per server
            **{k: v for k, v in c.Spawner.environment.items() if isinstance(v, str)}, "HOME": "/nonexistent",
            **{k: os.environ[k] for k in c.Spawner.env_keep if k in os.environ}}
    else:
        c.JupyterHub.spawner_class = PromptLocalProcessSpawner
elif MODE == "docker":
    from dockerspawner import SystemUserSpawner

    image = os.environ.get("TINYTORCH_SINGLEUSER_IMAGE", "tinytorch/singleuser:latest")
    c.JupyterHub.spawner_class = SystemUserSpawner
    # Start as root so the image's start script can create the student's account and home,
    # then drop to the student's own uid for good (docker/singleuser/start.sh).
    c.SystemUserSpawner.run_as_root = True
    c.JupyterHub.hub_ip = "0.0.0.0"  # containers reach the hub API over the Docker network
    c.JupyterHub.hub_connect_ip = os.environ.get("TINYTORCH_HUB_CONNECT_IP", "hub")
    c.DockerSpawner.network_name = os.environ.get("TINYTORCH_DOCKER_NETWORK", "tinytorch")
    c.DockerSpawner.image = image
    c.DockerSpawner.allowed_images = {"TinyTorch": image}
    c.DockerSpawner.remove = True
    c.DockerSpawner.environment = student_env
    # The student's own host home (SystemUserSpawner's default) plus the shared exchange volume.
    c.SystemUserSpawner.host_homedir_format_string = os.environ.get("TINYTORCH_HOMES", "/home") + "/{username}"
    c.DockerSpawner.volumes = {os.environ.get("TINYTORCH_EXCHANGE_VOLUME", "tinytorch-exchange"):
                               "/srv/nbgrader/exchange",
                               os.environ.get("TINYTORCH_STUDENT_FILES", "/srv/tinytorch/public"):
                               {"bind": "/srv/tinytorch", "mode": "ro"}}
    c.DockerSpawner.mem_limit = os.environ.get("TINYTORCH_MEM_LIMIT", "2G")
    c.DockerSpawner.cpu_limit = float(os.environ.get("TINYTORCH_CPU_LIMIT", "1.0"))
else:
    sys.exit(f"jupyterhub_config.py: TINYTORCH_HUB_MODE={MODE!r}: expected local or docker")

# --- where each role lands ---------------------------------------------------------------
# Students: their server's JupyterLab, which opens on nbgrader's assignment list (the tinytorch-lab
# extension, docker/singleuser). Instructors: formgrader, where their work starts; their own server's
# Launcher has Formgrader and Cohort report entries (the addresses reach instructors' servers only).
FORMGRADER_URL = f"/services/{COURSE}/formgrader"
REPORT_URL = f"/services/{COURSE}/report"  # tito/reporting/report_server.py in the formgrader service


def is_instructor(user) -> bool:
    return user is not None and user.name in people["instructors"]


def landing_page(handler) -> str:
    """JupyterHub.default_url: "" sends the person to their own server (JupyterHub's default)."""
    return FORMGRADER_URL if is_instructor(handler.current_user) else ""


def for_instructors(url: str):
    """A spawner environment value: `url` in an instructor's server, "" in a student's."""
    return lambda spawner: url if is_instructor(spawner.user) else ""


c.JupyterHub.default_url = landing_page
server_environment = (c.DockerSpawner if MODE == "docker" else c.Spawner).environment
server_environment["TINYTORCH_FORMGRADER_URL"] = for_instructors(FORMGRADER_URL)
server_environment["TINYTORCH_REPORT_URL"] = for_instructors(REPORT_URL)

# --- formgrader: the grader account's server, as a hub service --------------------------
grader_home = ROOT / "grader" if MODE == "local" else Path(f"/home/{GRADER}")
grader_python_bin = ROOT / "grader-env" / "bin" if MODE == "local" else Path(sys.executable).parent
c.JupyterHub.services = [
    {
        "name": COURSE,
        "display": True,
        "url": f"http://127.0.0.1:{SERVICE_PORT}",
        # The grader's environment also enables tito.reporting.report_server: the cohort report at
        # /services/tinytorch/report (tito/reporting/report_server.json; tito hub setup, docker/hub/Dockerfile).
        "command": [str(grader_python_bin / "jupyterhub-singleuser"), "--ServerApp.terminals_enabled=True"],
        "user": GRADER,
        "cwd": str(grader_home / "course"),
        "oauth_no_confirm": True,
        "environment": {
            "JUPYTERHUB_DEFAULT_URL": "/formgrader",
            "HOME": str(grader_home),
            "PATH": f"{grader_python_bin}:/usr/bin:/bin",
            "TINYTORCH_EXCHANGE": student_env["TINYTORCH_EXCHANGE"],
            # formgrader's autograde button runs student code in the grading sandbox (tito.grading.sandbox),
            # whose kernel talks over IPC sockets in this folder (nbgrader_config.py)
            "TINYTORCH_FORMGRADER_SANDBOX": str(grader_home / ".tito-sandbox"),
        },
    },
    {
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                    f"--timeout={os.environ.get('TINYTORCH_CULL_TIMEOUT', '3600')}"],
    },
]

extra = os.environ.get("TINYTORCH_HUB_EXTRA_CONFIG")
if extra:
    load_subconfig(extra)  # noqa: F821 (provided by traitlets)

# A hub started in the background (nohup, `cmd &`) inherits SIGINT ignored, and so would the fork
# server and the services it starts before it installs its own handlers: they would then ignore
# the SIGINT that JupyterHub stops them with, and every stop would wait out its timeouts.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

if MODE == "local" and c.JupyterHub.spawner_class is ForkServerSpawner:
    ForkServerSpawner.warm_up(c.ForkServerSpawner.forkserver_python, c.ForkServerSpawner.forkserver_socket,
                              c.ForkServerSpawner.forkserver_environment)
