"""Isolation on the embedded hub: students are separate system users, and nothing of one
student or of the instructors is reachable by another student through the filesystem, the
exchange, the hub API or another user's server URL. Also: dummy auth never leaves loopback."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import requests

from hub_harness import GRADER, INSTRUCTOR, OTHER, REPO, STUDENT

NO_HUB_AUTH = ["--Authenticator.plugin_class=nbgrader.auth.NoAuthPlugin", "--course=tinytorch"]
# Bob's notebook also tries to read instructor files when it is graded.
SNOOP = """import os
for p in ['../../../source/01_tensor/01_tensor.py', '../../../gradebook.db', '../../../../.bash_history',
          os.path.expanduser('~/course/gradebook.db')]:
    try:
        open(p, 'rb').read(1); print('SNOOP-READ', p)
    except OSError as e:
        print('SNOOP-DENIED', p, type(e).__name__)
"""
ADD_CELL = ("import nbformat, sys; nb = nbformat.read(sys.argv[1], 4); "
            "nb.cells.insert(0, nbformat.v4.new_code_cell(sys.argv[2])); nbformat.write(nb, sys.argv[1])")


@pytest.fixture(scope="module")
def bob_submitted(hub) -> Path:
    """tt-bob fetches and submits 01_tensor with the student environment's nbgrader; his folder in inbound."""
    home = Path(f"/home/{OTHER}")
    r = hub.as_user(OTHER, "nbgrader", "fetch_assignment", "01_tensor", *NO_HUB_AUTH, cwd=str(home))
    assert r.returncode == 0, r.stdout + r.stderr
    hub.as_user(OTHER, "python", "-c", ADD_CELL, f"{home}/tinytorch/01_tensor/01_tensor.ipynb", SNOOP, check=True)
    r = hub.as_user(OTHER, "nbgrader", "submit", "01_tensor", *NO_HUB_AUTH, cwd=str(home))
    assert r.returncode == 0, r.stdout + r.stderr
    hub.as_user(OTHER, "/bin/sh", "-c", f"echo bob-secret > {home}/secret.txt", check=True)
    inbound = hub.root / "exchange" / "tinytorch" / "inbound"
    (submission,) = [p for p in inbound.iterdir() if p.name.startswith(f"{OTHER}+01_tensor+")]
    return submission


def denied(result: subprocess.CompletedProcess) -> bool:
    out = result.stderr + result.stdout
    return result.returncode != 0 and ("Permission denied" in out or "Operation not permitted" in out)


def test_students_are_distinct_system_users(hub):
    uids = {hub.as_user(u, "id", "-u", check=True).stdout.strip() for u in (STUDENT, OTHER, INSTRUCTOR, GRADER)}
    assert len(uids) == 4 and "0" not in uids


def test_a_student_cannot_read_another_students_home(hub, bob_submitted):
    assert denied(hub.as_user(STUDENT, "ls", f"/home/{OTHER}"))
    assert denied(hub.as_user(STUDENT, "cat", f"/home/{OTHER}/secret.txt"))
    assert denied(hub.as_user(STUDENT, "cat", f"/home/{OTHER}/tinytorch/01_tensor/01_tensor.ipynb"))
    assert hub.as_user(OTHER, "cat", f"/home/{OTHER}/secret.txt").stdout.strip() == "bob-secret"


def test_a_student_cannot_find_read_or_replace_another_submission(hub, bob_submitted):
    inbound = bob_submitted.parent
    assert denied(hub.as_user(STUDENT, "ls", str(inbound)))  # cannot list who submitted what
    r = hub.as_user(STUDENT, "nbgrader", "list", "--inbound", *NO_HUB_AUTH)
    assert OTHER not in r.stdout + r.stderr
    # Even knowing the random folder name, alice can neither read nor replace nor remove it.
    notebook = bob_submitted / "01_tensor.ipynb"
    assert denied(hub.as_user(STUDENT, "cat", str(notebook)))
    assert denied(hub.as_user(STUDENT, "ls", str(bob_submitted)))
    assert denied(hub.as_user(STUDENT, "cp", "/etc/hostname", str(notebook)))
    assert denied(hub.as_user(STUDENT, "mv", str(bob_submitted), str(inbound / f"{STUDENT}+stolen")))
    assert denied(hub.as_user(STUDENT, "rm", "-rf", str(bob_submitted)))
    assert notebook.exists()
    # The instructors' side still collects it (the grader reads through the inbound folder's group).
    r = subprocess.run(["/usr/sbin/runuser", "-u", GRADER, "--", "cat", str(notebook)], capture_output=True)
    assert r.returncode == 0 and b"cells" in r.stdout


def test_a_student_cannot_reach_the_course_grader_or_gradebook(hub):
    grader_home = hub.root / "grader"
    assert denied(hub.as_user(STUDENT, "ls", str(grader_home)))
    assert denied(hub.as_user(STUDENT, "cat", str(grader_home / "course" / "gradebook.db")))
    assert denied(hub.as_user(STUDENT, "cat", str(hub.course / "source/01_tensor/01_tensor.py")))
    # The student environment has the runtime but no course sources or references.
    env = hub.root / "student-env"
    assert not list(env.rglob("01_tensor.py")) and not list(env.rglob("reference"))


def test_hub_api_and_server_urls_are_per_user(hub, bob_submitted):
    alice = hub.login(STUDENT)
    bob = hub.login(OTHER)
    hub.spawn(bob, OTHER)
    assert bob.get(f"{hub.url}/user/{OTHER}/lab", timeout=60).status_code == 200  # OAuth: bob's own server
    assert bob.get(f"{hub.url}/user/{OTHER}/api/contents/secret.txt", timeout=60).status_code == 200
    base = hub.url
    assert alice.get(f"{base}/hub/api/users/{OTHER}", timeout=30).status_code in (403, 404)
    assert alice.get(f"{base}/hub/api/users/{STUDENT}", timeout=30).status_code == 200
    r = alice.post(f"{base}/hub/api/users/{OTHER}/server", timeout=30,
                   headers={"X-XSRFToken": alice.cookies.get("_xsrf", "")})
    assert r.status_code in (403, 404)
    # Bob's server URL: the hub's OAuth refuses alice a token for it.
    assert alice.get(f"{base}/user/{OTHER}/lab", timeout=60).status_code == 403
    r = alice.get(f"{base}/user/{OTHER}/api/contents/secret.txt", timeout=60)
    assert r.status_code == 403 and "bob-secret" not in r.text


# Alice's side: subscribe to every loopback port bob's uid listens on (/proc/net/tcp is world-readable),
# looking again every 0.1 s for new ones, and print whatever is published there. A kernel's iopub
# socket is a ZeroMQ PUB socket: its messages are signed, not encrypted, so over TCP anyone on the
# machine could read the code a kernel runs and what it prints.
EAVESDROP = """import sys, time, zmq
uid, seconds = int(sys.argv[1]), float(sys.argv[2])
sub = zmq.Context().socket(zmq.SUB)
sub.setsockopt(zmq.SUBSCRIBE, b'')
ports = set()
end = time.time() + seconds
print('LISTENING', flush=True)
while time.time() < end:
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        for line in open(table).read().splitlines()[1:]:
            f = line.split()
            port = int(f[1].rsplit(':', 1)[1], 16)
            if f[3] == '0A' and int(f[7]) == uid and port not in ports:
                ports.add(port)
                sub.connect(f'tcp://127.0.0.1:{port}')
                print('PORT', port, flush=True)
    while sub.poll(100):
        print('HEARD', sub.recv_multipart(), flush=True)
"""


def eavesdropper(hub, victim: str, seconds: float) -> subprocess.Popen:
    """Alice listening on every TCP port the victim's uid opens; her output when communicate() ends."""
    uid = hub.as_user(victim, "id", "-u", check=True).stdout.strip()
    alice = subprocess.Popen(["/usr/sbin/runuser", "-u", STUDENT, "--", str(hub.root / "student-env" / "bin" / "python"),
                              "-c", EAVESDROP, uid, str(seconds)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd="/")
    assert alice.stdout.readline().strip() == "LISTENING"
    time.sleep(1)  # the victim's server port is subscribed to
    return alice


def test_a_student_cannot_listen_in_on_another_students_kernel(hub, bob_submitted):
    from jupyter_client import BlockingKernelClient

    hub.spawn(hub.login(OTHER), OTHER)
    session, base, headers, kernel_id = hub.start_kernel(OTHER)
    (connection,) = Path(f"/home/{OTHER}/.local/share/jupyter/runtime").glob(f"kernel-{kernel_id}.json")
    assert json.loads(connection.read_text())["transport"] == "ipc"
    alice = eavesdropper(hub, OTHER, 8)
    bob = BlockingKernelClient(connection_file=str(connection))
    bob.load_connection_file()
    bob.start_channels()
    try:
        bob.wait_for_ready(timeout=60)
        reply = bob.execute_interactive("for _ in range(20): print('bob-kernel-secret', flush=True)", timeout=60)
        assert reply["content"]["status"] == "ok"
    finally:
        bob.stop_channels()
        session.delete(f"{base}/api/kernels/{kernel_id}", headers=headers, timeout=60)
    heard, _ = alice.communicate(timeout=60)
    assert "PORT" in heard, heard  # alice found bob's server port: her script works
    assert "bob-kernel" not in heard, heard[:2000]


def test_a_student_cannot_listen_in_on_another_students_validation(hub, bob_submitted):
    """The Validate button runs bob's whole notebook in a kernel of its own."""
    hub.spawn(hub.login(OTHER), OTHER)
    session, base, headers = hub.server_session(OTHER)
    alice = eavesdropper(hub, OTHER, 20)
    r = session.post(f"{base}/assignments/validate", data={"path": "tinytorch/01_tensor/01_tensor.ipynb"},
                     headers=headers, timeout=300)
    heard, _ = alice.communicate(timeout=60)
    assert r.status_code == 200 and r.json()["success"], r.text[:2000]
    assert "PORT" in heard, heard
    assert "HEARD" not in heard, heard[:2000]
    assert "SNOOP" not in heard  # bob's first cell prints SNOOP-...
    leftovers = hub.as_user(OTHER, "find", f"/home/{OTHER}", "-name", "validate-*", check=True).stdout.split()
    assert not leftovers, leftovers  # its kernel's sockets are gone once it stopped


def test_a_student_cannot_reach_formgrader(hub):
    alice = hub.login(STUDENT)
    r = alice.get(f"{hub.url}/services/tinytorch/formgrader", timeout=60)
    assert r.status_code == 403, r.status_code
    assert "Manage Assignments" not in r.text
    r = alice.get(f"{hub.url}/services/tinytorch/formgrader/api/assignments", timeout=60)
    assert r.status_code == 403
    prof = hub.login(INSTRUCTOR)
    assert prof.get(f"{hub.url}/services/tinytorch/formgrader", timeout=60).status_code == 200
    # The grader account cannot log in at all (locked, not in the roster).
    page = requests.get(f"{hub.url}/hub/login", timeout=30)
    assert page.status_code == 200
    hub.passwords.setdefault(GRADER, "whatever")
    with pytest.raises(AssertionError):
        hub.login(GRADER)
    hub.passwords.pop(GRADER)


def test_dummy_authentication_refuses_a_public_address(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "TINYTORCH_AUTHENTICATOR": "dummy", "TINYTORCH_HUB_IP": "0.0.0.0",
           "TINYTORCH_HUB_ROOT": str(tmp_path)}
    (tmp_path / "state").mkdir()
    r = subprocess.run([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(REPO / "jupyterhub_config.py")],
                       cwd=tmp_path / "state", env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "refusing to start: dummy authentication on 0.0.0.0" in r.stdout + r.stderr


def test_formgrader_grades_in_the_sandbox(hub, bob_submitted):
    """The instructor's autograde button (formgrader's API) runs bob's code where the course,
    the gradebook and the grader's home do not exist."""
    prof = hub.login(INSTRUCTOR)
    base = f"{hub.url}/services/tinytorch/formgrader"
    assert prof.get(base, timeout=60).status_code == 200  # OAuth into the service; sets its _xsrf cookie
    headers = {"X-XSRFToken": prof.cookies.get("_xsrf", path="/services/tinytorch/") or ""}
    r = prof.post(f"{base}/api/assignment/01_tensor/collect", headers=headers, timeout=120)
    assert r.status_code == 200 and r.json()["success"], r.text
    r = prof.post(f"{base}/api/submission/01_tensor/{OTHER}/autograde", headers=headers, timeout=300)
    assert r.status_code == 200 and r.json()["success"], r.text
    graded = hub.root / "grader" / "course" / "autograded" / OTHER / "01_tensor" / "01_tensor.ipynb"
    outputs = "".join(o.get("text", "") for c in nbformat.read(graded, 4).cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    assert outputs.count("SNOOP-DENIED") == 4 and "SNOOP-READ" not in outputs, outputs
