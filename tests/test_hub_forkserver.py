"""The embedded hub's fork server (tito/hub/forkserver.py, tito/hub/spawners.py): students' servers are
forked from a warm root process. Each must be exactly what LocalProcessSpawner would start (the
student's uid, groups, home and environment), hold nothing of another student, and the fork
server must answer root only."""
from __future__ import annotations

import asyncio
import os
import pwd
import re
import subprocess
from pathlib import Path

import pytest

from hub_harness import OTHER, STUDENT

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def proc_environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def status_field(pid: int, name: str) -> list[str]:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split()[1:]
    raise KeyError(name)


def parent(pid: int) -> int:
    return int(status_field(pid, "PPid")[0])


def server_pid(user: str) -> int:
    """The running server of user, found through /proc as root. A forked server keeps the fork
    server's command line and initial environment block; its uid and its name are its own."""
    uid = str(pwd.getpwnam(user).pw_uid)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            if (b"jupyterhub-singleuser" in cmdline or b"forkserver.py" in cmdline) and \
                    status_field(int(entry.name), "Uid")[0] == uid:
                return int(entry.name)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    raise LookupError(f"no server of {user} is running")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and parent(int(entry.name)) == pid:
                found.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def kernel_environment(hub, user: str, server: int) -> dict[str, str]:
    """The environment the server hands its processes: that of a kernel started through its API."""
    session, base, headers, kernel_id = hub.start_kernel(user)
    try:  # the id is in its connection file's name, on its command line
        (kernel,) = [pid for pid in children(server) if kernel_id.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()]
        return proc_environ(kernel)
    finally:
        session.delete(f"{base}/api/kernels/{kernel_id}", headers=headers, timeout=60)


def memory_contains(pid: int, needle: bytes) -> bool:
    """Whether needle is anywhere in the process's readable, writable memory (heap, stacks, ...)."""
    found = False
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("rw"):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                found = found or needle in mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
    return found


@pytest.fixture(scope="module")
def two_servers(hub):
    """bob's server first, then alice's: alice's is forked after the fork server served bob."""
    bob, alice = hub.login(OTHER), hub.login(STUDENT)
    hub.spawn(bob, OTHER)
    hub.spawn(alice, STUDENT)
    return {OTHER: server_pid(OTHER), STUDENT: server_pid(STUDENT)}


def test_servers_are_forked_and_run_as_their_student(hub, two_servers):
    forkserver = parent(two_servers[STUDENT])
    assert b"forkserver.py" in Path(f"/proc/{forkserver}/cmdline").read_bytes()  # not a classic spawn
    assert parent(two_servers[OTHER]) == forkserver
    for user, pid in two_servers.items():
        entry = pwd.getpwnam(user)
        assert status_field(pid, "Uid") == [str(entry.pw_uid)] * 4  # real, effective, saved, filesystem
        assert status_field(pid, "Gid") == [str(entry.pw_gid)] * 4
        assert sorted(map(int, status_field(pid, "Groups"))) == sorted(set(os.getgrouplist(user, entry.pw_gid)))
        assert status_field(pid, "CapEff") == ["0000000000000000"]
        assert os.readlink(f"/proc/{pid}/cwd") == entry.pw_dir
        env = kernel_environment(hub, user, pid)
        assert env["JUPYTERHUB_USER"] == user and env["HOME"] == entry.pw_dir and env["USER"] == user
        assert env["TINYTORCH_MODE"] == "student" and "VIRTUAL_ENV" not in env
        assert env["PATH"].startswith(str(hub.root / "student-env" / "bin"))
        assert os.getsid(pid) == pid  # a session of its own, like LocalProcessSpawner's
        assert Path(f"/proc/{pid}/comm").read_text().strip() == "jupyterhub-sing"  # as ps and top show it
    # Each works as its student's: contents, and JupyterLab saving a workspace into the student's
    # home (a default that JupyterLab computes at import, i.e. in the fork server).
    alice, _, headers = hub.server_session(STUDENT)
    assert alice.get(f"{hub.url}/user/{STUDENT}/api/contents", timeout=60).status_code == 200
    workspace = {"data": {}, "metadata": {"id": "fork-check"}}
    r = alice.put(f"{hub.url}/user/{STUDENT}/lab/api/workspaces/fork-check", json=workspace,
                  headers=headers, timeout=60)
    assert r.status_code == 204, r.text
    saved = list(Path(pwd.getpwnam(STUDENT).pw_dir, ".jupyter", "lab", "workspaces").glob("fork-check*"))
    assert saved and saved[0].stat().st_uid == pwd.getpwnam(STUDENT).pw_uid


def test_no_student_token_leaks_into_the_fork_server_or_another_server(hub, two_servers):
    bob_token = kernel_environment(hub, OTHER, two_servers[OTHER])["JUPYTERHUB_API_TOKEN"].encode()
    alice_token = kernel_environment(hub, STUDENT, two_servers[STUDENT])["JUPYTERHUB_API_TOKEN"].encode()
    assert len(bob_token) >= 32 and bob_token != alice_token
    assert memory_contains(two_servers[OTHER], bob_token)  # the search finds a token where it is
    forkserver = parent(two_servers[STUDENT])
    assert not memory_contains(forkserver, bob_token)
    assert not memory_contains(forkserver, alice_token)
    assert not memory_contains(two_servers[STUDENT], bob_token)


def test_the_fork_server_answers_root_only(hub, two_servers):
    socket_path = hub.root / "state" / "forkserver.sock"
    assert socket_path.is_socket() and socket_path.stat().st_uid == 0
    assert socket_path.stat().st_mode & 0o777 == 0o600
    assert (hub.root / "state").stat().st_mode & 0o077 == 0
    connect = f"import socket; s = socket.socket(socket.AF_UNIX); s.connect({str(socket_path)!r})"
    r = hub.as_user(STUDENT, "python", "-c", connect)
    assert r.returncode != 0 and "PermissionError" in r.stderr


def test_the_fork_server_starts_with_the_hub(hub, two_servers):
    """Started while the hub starts, not by the first spawn (whose student would wait for its imports)."""
    log = hub.log.read_text()
    assert log.count("Fork server ready") == 1, log
    assert log.index("Fork server ready") < log.index("Creating oauth client jupyterhub-user-")


def test_a_stopped_server_is_reaped(hub, two_servers):
    """Stopped, the server shuts its kernels down (SIGTERM, not an interrupt that orphans them),
    exits and is reaped; the next start forks again."""
    bob, _, _, kernel_id = hub.start_kernel(OTHER)
    headers = {"X-XSRFToken": bob.cookies.get("_xsrf", path="/hub/") or ""}
    r = bob.delete(f"{hub.url}/hub/api/users/{OTHER}/server", headers=headers, timeout=60)
    assert r.status_code in (202, 204)
    for _ in range(120):
        if not Path(f"/proc/{two_servers[OTHER]}").exists():
            break
        asyncio.run(asyncio.sleep(0.25))
    assert not Path(f"/proc/{two_servers[OTHER]}").exists()  # gone, not a zombie of the fork server
    assert f"Kernel shutdown: {kernel_id}" in hub.log.read_text()
    hub.spawn(bob, OTHER)  # and forked again
    assert parent(server_pid(OTHER)) == parent(two_servers[STUDENT])


@pytest.fixture
def forkserver(hub, tmp_path):
    """A second fork server of our own, on a socket in a root-only folder, to send it requests."""
    from tito.hub.spawners import ForkServer

    tmp_path.chmod(0o700)
    server = ForkServer(str(hub.root / "student-env" / "bin" / "python"), str(tmp_path / "fs.sock"),
                        {"PATH": "/usr/bin:/bin"})
    yield server
    server.stop()


def test_the_fork_server_refuses_what_is_not_a_students_server(forkserver):
    from tito.hub.spawners import ForkServerError

    singleuser = "/x/bin/jupyterhub-singleuser"
    with pytest.raises(ForkServerError, match="only jupyterhub-singleuser"):
        asyncio.run(forkserver.spawn(STUDENT, ["/bin/sh", "-c", "id"], {}))
    with pytest.raises(ForkServerError, match="as root"):
        asyncio.run(forkserver.spawn("root", [singleuser], {}))
    with pytest.raises(ForkServerError, match="KeyError"):
        asyncio.run(forkserver.spawn("tt-nobody-here", [singleuser], {}))
    with pytest.raises(ForkServerError, match="JUPYTERHUB_SINGLEUSER_APP"):
        asyncio.run(forkserver.spawn(STUDENT, [singleuser], {"JUPYTERHUB_SINGLEUSER_APP": "notebook"}))


def test_a_fork_server_that_cannot_start_is_reported(tmp_path):
    from tito.hub.spawners import ForkServer, ForkServerError

    for python in (str(tmp_path / "missing-python"), "/bin/false"):
        server = ForkServer(python, str(tmp_path / "fs.sock"), {})
        with pytest.raises(ForkServerError, match=re.escape("fork server")):
            asyncio.run(server.spawn(STUDENT, ["jupyterhub-singleuser"], {}))


def test_the_spawner_falls_back_to_a_classic_start(hub, tmp_path):
    """With its fork server broken, the hub still starts servers, the LocalProcessSpawner way."""
    from hub_harness import Hub

    broken = Hub(root=hub.root, course=hub.course, passwords=hub.passwords)
    extra = tmp_path / "broken_forkserver.py"
    extra.write_text("c.ForkServerSpawner.forkserver_python = '/bin/false'\n")
    extra.chmod(0o644)
    hub.stop()
    try:
        broken.start(TINYTORCH_HUB_EXTRA_CONFIG=str(extra))
        alice = broken.login(STUDENT)
        broken.spawn(alice, STUDENT)
        pid = server_pid(STUDENT)
        assert b"forkserver.py" not in Path(f"/proc/{parent(pid)}/cmdline").read_bytes()
        assert status_field(pid, "Uid")[0] == str(pwd.getpwnam(STUDENT).pw_uid)
        assert f"starting {STUDENT}'s server the classic way" in broken.log.read_text()
    finally:
        broken.stop()
        subprocess.run(["pkill", "-u", STUDENT, "-f", "jupyterhub-singleuser"], check=False)
        hub.start()
