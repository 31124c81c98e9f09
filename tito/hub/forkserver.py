"""Fork server for the embedded hub: start students' Jupyter servers by forking a warm process.

    <student-env>/bin/python -I tito/hub/forkserver.py SOCKET

Run as root by tito.hub.spawners.ForkServerSpawner (never by hand), with the students' Python, so
that it can import the students' Jupyter stack once. A fresh `jupyterhub-singleuser` spends
~1.4 CPU s importing that stack (JupyterLab also runs node once); a fork of this process
starts the same server with ~0.06 CPU s of its own work, and stops in milliseconds (leave()).
On two cores a class that logs in at once waits for the sum of everyone's start-up, so this
is the difference between ~30 s and a few seconds (benchmarks/hub_load.py).

Protocol, one connection per server: the hub connects to SOCKET (root-only: the socket lives
in the hub's 0700 state folder and the peer's uid is checked), sends one JSON line
{"user": name, "cmd": [...], "env": {...}} and reads one JSON line back: {"pid": N} once the
child runs as that user, or {"error": "..."}. The child then becomes the server.

What the design protects:
- This process forks *before* reading a request, so only the child ever holds a student's
  API token; nothing one student sent can be found in another student's server memory.
- Children drop to the student's uid, gid and groups (as JupyterHub's LocalProcessSpawner
  does), start a new session, get exactly the environment the hub computed, and reset the
  signal handlers and random state they inherited.
- Only standard library code runs before the fork; the preloaded modules are the students'
  own environment (root-owned, read-only to students), imported with -I (no user site,
  no PYTHON* variables).
It exits when the hub closes its stdin (the hub stopped or died).
"""
from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import pwd
import random
import select
import signal
import socket
import struct
import sys
import threading
import traceback

# The students' server stack, heaviest first. Everything that reads per-user settings does so
# when the server is configured (in the child), not at import.
PRELOAD = (
    "jupyter_server.serverapp",
    "jupyterhub.singleuser",
    "jupyterhub.singleuser.extension",
    "jupyterlab.labapp",
    "notebook.app",
    "notebook_shim.shim",
    "jupyter_server_terminals",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.validate_assignment",
    "jupyter_client.provisioning",
    "ipywidgets",
    # what a server still imported after the fork, while setting up its routes
    *(f"jupyter_server.{part}" for part in (
        "kernelspecs.handlers", "nbconvert.handlers", "view.handlers", "services.api.handlers",
        "services.config.handlers", "services.contents.handlers", "services.events.handlers",
        "services.kernels.handlers", "services.kernelspecs.handlers", "services.nbconvert.handlers",
        "services.security.handlers", "services.sessions.handlers", "services.shutdown")),
    "notebook_shim.nbserver",
    "jinja2.ext",
    "tornado.platform.asyncio",
)
# Read by jupyterhub.singleuser at import: a request must agree with what was imported.
IMPORT_TIME_ENV = ("JUPYTERHUB_SINGLEUSER_APP", "JUPYTERHUB_SINGLEUSER_EXTENSION")
imported_with: dict[str, str | None] = {}
MAX_REQUEST = 1 << 20
SERVER_ENTRYPOINT = "jupyterhub-singleuser"


def preload() -> list[str]:
    failed = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - an optional part missing: the child imports what it needs itself
            failed.append(name)
    return failed


def reap(*_) -> None:
    """Collect exited children, so that the hub's kill(pid, 0) sees them gone."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def read_request(conn: socket.socket) -> dict | None:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REQUEST:
            raise ValueError("request too large")
    if not data:
        return None
    request = json.loads(data)
    if not isinstance(request, dict) or not isinstance(request.get("user"), str) \
            or not isinstance(request.get("env"), dict) or not isinstance(request.get("cmd"), list):
        raise TypeError("a request is {user, cmd, env}")
    if not request["cmd"] or os.path.basename(request["cmd"][0]) != SERVER_ENTRYPOINT:
        raise ValueError(f"only {SERVER_ENTRYPOINT} can be forked")
    for key in IMPORT_TIME_ENV:
        if request["env"].get(key) != imported_with[key]:
            raise ValueError(f"{key} differs from the fork server's; start this server the classic way")
    return request


def become(user: str, env: dict) -> None:
    """Drop to user for good: groups, gid, uid (in that order), new session, home, environment."""
    entry = pwd.getpwnam(user)
    if entry.pw_uid == 0:
        raise PermissionError("refusing to start a server as root")
    groups = os.getgrouplist(user, entry.pw_gid)
    os.setsid()
    os.setgroups(groups)
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    if os.getuid() != entry.pw_uid or os.geteuid() != entry.pw_uid or set(os.getgroups()) - set(groups):
        raise PermissionError(f"could not drop privileges to {user}")
    try:
        os.setuid(0)
    except PermissionError:
        pass
    else:
        raise PermissionError("privileges were not dropped")
    os.chdir(entry.pw_dir)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in env.items()})


def name_process(name: str) -> None:
    """What ps and top show (the kernel keeps 15 bytes); the command line stays the fork server's."""
    try:
        with open("/proc/self/comm", "w") as comm:
            comm.write(name[:15])
    except OSError:
        pass


def recomputed_defaults() -> list[str]:
    """Command-line settings for the few defaults that a preloaded class computed at import from
    the importing user's home (here the fork server's, which no student can write)."""
    labapp = sys.modules.get("jupyterlab.labapp")
    if labapp is None:
        return []
    return [f"--LabApp.workspaces_dir={labapp.get_workspaces_dir()}"]


def child(conn: socket.socket) -> None:
    """In the forked child: read the request, become the student, answer, run the server."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    conn.settimeout(30)  # a client that connects and says nothing does not keep a root child
    try:
        if peer_uid(conn) != 0:
            raise PermissionError("only root may ask for a server")
        request = read_request(conn)
        if request is None:
            os._exit(0)  # the hub only checked that we are up
        name_process(SERVER_ENTRYPOINT)  # while root: a process that changed uid cannot
        become(request["user"], request["env"])
    except Exception as error:  # noqa: BLE001 - every failure is answered, the hub falls back
        try:
            conn.sendall(json.dumps({"error": f"{type(error).__name__}: {error}"}).encode() + b"\n")
        finally:
            os._exit(1)
    random.seed()
    conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
    conn.close()
    sys.argv = [*request["cmd"], *recomputed_defaults()]
    from jupyterhub.singleuser import main

    try:
        status = main()
    except SystemExit as stop:
        status = stop.code
    leave(status)


def leave(status) -> None:
    """End a stopped server without tearing its interpreter down: that teardown frees, object by
    object, everything inherited from the fork server, copying each shared page first (2-3 s per
    server, all of it while the hub waits for the stop). The exit handlers still run."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status if isinstance(status, int) else 0 if status is None else 1)


def serve(path: str) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(path):
        os.unlink(path)
    old_umask = os.umask(0o177)
    listener.bind(path)
    os.umask(old_umask)
    listener.listen(64)
    signal.signal(signal.SIGCHLD, reap)
    hub = sys.stdin.fileno()
    while True:
        ready, _, _ = select.select([listener, hub], [], [])
        if hub in ready and not os.read(hub, 4096):
            return  # the hub closed our stdin: it is gone
        if listener not in ready:
            continue
        conn, _ = listener.accept()
        if threading.active_count() != 1:  # forking a threaded process copies locks mid-use
            conn.sendall(b'{"error": "fork server has threads"}\n')
            conn.close()
            continue
        if os.fork() == 0:
            try:
                listener.close()
                os.close(hub)
                os.open(os.devnull, os.O_RDONLY)  # takes fd 0 again: the server's stdin
                child(conn)  # leaves through leave()
            except Exception:  # noqa: BLE001 - never fall back into this loop as a student
                traceback.print_exc()
            os._exit(1)
        conn.close()


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    if os.getuid() != 0:
        sys.exit("forkserver: must run as root (it starts servers as the students)")
    imported_with.update({key: os.environ.get(key) for key in IMPORT_TIME_ENV})
    failed = preload()
    if failed:
        print(f"forkserver: not preloaded (imported per server instead): {', '.join(failed)}",
              file=sys.stderr, flush=True)
    # What the imports built stays put: a child's garbage collections skip it instead of writing to
    # (and so copying) every shared page of it.
    gc.collect()
    gc.freeze()
    serve(sys.argv[1])


if __name__ == "__main__":
    main()
