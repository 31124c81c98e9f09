"""Load test of the embedded hub on loopback: N students log in, start their servers, run a cell, stop.

    python benchmarks/hub_load.py [--users 30] [--root /tmp/hubload] [--ramp SECONDS] [--deadline 600]
                                  [--extra-config FILE] [--prefix tt-load]

Run as root with the course environment's Python (.venv/bin/python; JupyterHub and the proxy from
scripts/setup.sh). A script, not a unit test. What it does:

1. builds a scratch copy of the course and prepares a hub in --root with the students
   <prefix>01 .. <prefix>NN (tests/hub_harness.py: `tito hub setup`, PAM accounts, 01_tensor released).
   --root is kept between runs so its student and grader environments are reused.
2. one thread per student, arrivals spread evenly over --ramp seconds (0 = all at once). Each student
   logs in through the login form, makes an API token for its own server, POSTs
   /hub/api/users/<name>/server and follows the spawn progress stream until the server is ready
   (spawn = from the POST to ready), starts a kernel through the server's REST API, waits for its
   kernel_info reply over the kernel websocket (kernel), runs
   `import tinytorch_runtime, numpy; print(numpy.ones(3).sum())` and checks the output is 3.0 (cell),
   then DELETEs the server and waits until the hub no longer lists it (stop).
3. --deadline bounds the load phase: a student not done by then is a failure at the stage it was in.
4. prints one table (latencies, wall time, failures by stage with the first error, the hub's own
   start/stop durations and event-loop stalls from its log, CPU seconds per student, the load average)
   and exits 1 on any failure. Target: no failure, spawn p95 <= 5 s at --ramp 0 and <= 3 s with a ramp.
5. stops the hub and removes the system users it made, also on Ctrl-C, SIGTERM or an error.

Only loopback is contacted. The grader account is tt-load-grader and the students are <prefix>NN, so
the script can run beside the test suite's hub (tt-test-grader, tt-alice, ...) and a live hub.
--extra-config passes a JupyterHub config file loaded after jupyterhub_config.py
(TINYTORCH_HUB_EXTRA_CONFIG) to measure a candidate setting without editing the course's config.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import hub_harness  # noqa: E402
import requests  # noqa: E402
import websocket  # noqa: E402  (websocket-client, a dependency of jupyter_server)
from hub_harness import Hub, missing_requirements  # noqa: E402
from tito.scratch import copy_course, run_tito  # noqa: E402

# Our own grader account, not the tests' (tt-test-grader) nor a live hub's: the harness creates
# and removes the account named here (tito.hub.embedded reads the variable, Hub.cleanup the module's GRADER).
GRADER = hub_harness.GRADER = os.environ["TINYTORCH_GRADER"] = "tt-load-grader"

CODE = "import tinytorch_runtime, numpy; print(numpy.ones(3).sum())"
EXPECTED = "3.0"
STAGES = ("waiting", "login", "token", "spawn", "kernel", "cell", "stop")
TIMED = ("login", "spawn", "kernel", "cell", "stop")


class Deadline(Exception):
    pass


@dataclass
class Student:
    name: str
    password: str
    arrive_at: float  # monotonic
    stage: str = "waiting"
    times: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    done: bool = False
    span: tuple[float, float] | None = None  # spawn POST .. stopped, for the concurrency figure


class Run:
    def __init__(self, hub: Hub, deadline: float):
        self.hub = hub
        self.deadline = deadline  # monotonic
        self.stop_now = threading.Event()

    def remaining(self, cap: float = 60.0) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0 or self.stop_now.is_set():
            raise Deadline("deadline passed")
        return min(left, cap)

    # --- one student ---------------------------------------------------------------------
    def student(self, st: Student) -> None:
        try:
            while (wait := st.arrive_at - time.monotonic()) > 0:
                self.remaining()
                time.sleep(min(0.2, wait))
            self.journey(st)
            st.done = True
        except Deadline as e:
            st.error = st.error or str(e)
        except Exception as e:  # noqa: BLE001 (every failure is reported with its stage)
            st.error = f"{type(e).__name__}: {e}"[:400]

    def journey(self, st: Student) -> None:
        hub_url = self.hub.url
        s = requests.Session()

        st.stage = "login"
        t = time.monotonic()
        page = s.get(f"{hub_url}/hub/login", timeout=self.remaining())
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        r = s.post(f"{hub_url}/hub/login?next=", data={"username": st.name, "password": st.password,
                                                        "_xsrf": xsrf}, allow_redirects=False,
                   timeout=self.remaining())
        if r.status_code != 302:
            raise RuntimeError(f"login answered {r.status_code}")
        st.times["login"] = time.monotonic() - t
        # JupyterHub >= 4.1: cookie-authenticated API requests (GETs too) carry the _xsrf cookie's value.
        api = {"X-XSRFToken": [c.value for c in s.cookies if c.name == "_xsrf"][-1]}
        user_api = f"{hub_url}/hub/api/users/{st.name}"

        st.stage = "token"
        r = s.post(f"{user_api}/tokens", headers=api, timeout=self.remaining(),
                   json={"note": "hub_load", "expires_in": 3600, "scopes": [f"access:servers!user={st.name}"]})
        r.raise_for_status()
        token = {"Authorization": f"token {r.json()['token']}"}

        st.stage = "spawn"
        t = time.monotonic()
        r = s.post(f"{user_api}/server", headers=api, timeout=self.remaining())
        if r.status_code not in (201, 202):
            raise RuntimeError(f"POST server answered {r.status_code}: {r.text[:200]}")
        url = self.wait_ready(s, api, user_api)
        st.times["spawn"] = time.monotonic() - t
        st.span = (t, math.inf)
        server = f"{hub_url}{url}"

        st.stage = "kernel"
        t = time.monotonic()
        r = requests.post(f"{server}api/kernels", json={"name": "python3"}, headers=token,
                          timeout=self.remaining())
        r.raise_for_status()
        kernel_id = r.json()["id"]
        ws_url = f"{server.replace('http://', 'ws://', 1)}api/kernels/{kernel_id}/channels"
        ws = websocket.create_connection(ws_url, header=[f"Authorization: {token['Authorization']}"],
                                         timeout=self.remaining(90))  # > the server's kernel_info_timeout
        try:
            session = uuid.uuid4().hex
            self.kernel_info(ws, session)
            st.times["kernel"] = time.monotonic() - t

            st.stage = "cell"
            t = time.monotonic()
            out = self.execute(ws, session, CODE)
            if out.strip() != EXPECTED:
                raise RuntimeError(f"the cell printed {out!r}, expected {EXPECTED!r}")
            st.times["cell"] = time.monotonic() - t
        finally:
            ws.close()

        st.stage = "stop"
        t = time.monotonic()
        r = s.delete(f"{user_api}/server", headers=api, timeout=self.remaining())
        if r.status_code not in (202, 204):
            raise RuntimeError(f"DELETE server answered {r.status_code}: {r.text[:200]}")
        while True:
            model = s.get(user_api, headers=api, timeout=self.remaining()).json()
            if "" not in model.get("servers", {}) and not model.get("pending"):
                break
            time.sleep(0.25)
        st.times["stop"] = time.monotonic() - t
        st.span = (st.span[0], time.monotonic())
        st.stage = "done"

    def wait_ready(self, s: requests.Session, api: dict, user_api: str) -> str:
        """Follow the spawn progress stream until the server is ready; its URL path."""
        with s.get(f"{user_api}/server/progress", headers=api, stream=True, timeout=self.remaining()) as r:
            r.raise_for_status()
            for line in r.iter_lines(decode_unicode=True):
                self.remaining()
                if not line or not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                if event.get("ready"):
                    return event["url"]
                if event.get("failed"):
                    raise RuntimeError(f"spawn failed: {event.get('message')}")
        raise RuntimeError("the progress stream ended without a ready event")

    def kernel_info(self, ws, session: str) -> None:
        """Ask until the kernel answers (a request sent while it is still starting can be lost)."""
        while True:
            msg_id = send(ws, session, "shell", "kernel_info_request", {})
            until = time.monotonic() + 3
            while time.monotonic() < until:
                ws.settimeout(self.remaining(1.0))
                try:
                    msg = json.loads(ws.recv())
                except websocket.WebSocketTimeoutException:
                    continue
                if msg.get("msg_type") == "kernel_info_reply" and msg["parent_header"].get("msg_id") == msg_id:
                    return

    def execute(self, ws, session: str, code: str) -> str:
        msg_id = send(ws, session, "shell", "execute_request",
                      {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                       "allow_stdin": False, "stop_on_error": True})
        out, replied, idle = [], None, False
        while replied is None or not idle:
            ws.settimeout(self.remaining(5.0))
            try:
                msg = json.loads(ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                raise RuntimeError(f"the cell raised {content['ename']}: {content['evalue']}")
            elif kind == "execute_reply":
                replied = content
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        if replied.get("status") != "ok":
            raise RuntimeError(f"execute_reply status {replied.get('status')}")
        return "".join(out)


def send(ws, session: str, channel: str, msg_type: str, content: dict) -> str:
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "hub_load", "session": session, "msg_type": msg_type,
                   "version": "5.3", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": []}))
    return msg_id


# --- figures ---------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def fmt(values: list[float]) -> str:
    if not values:
        return "    -        -        -   (n=0)"
    return (f"{percentile(values, 50):7.2f}  {percentile(values, 95):7.2f}  {max(values):7.2f}"
            f"   (n={len(values)})")


def peak_concurrency(students: list[Student], end: float) -> int:
    edges = []
    for st in students:
        if st.span:
            edges += [(st.span[0], 1), (min(st.span[1], end), -1)]
    now = peak = 0
    for _, step in sorted(edges, key=lambda e: (e[0], e[1])):
        now += step
        peak = max(peak, now)
    return peak


def hub_log_figures(log: Path | None) -> tuple[list[float], list[float], int, list[float]]:
    """The hub's own start and stop durations, how often a server waited in vain for a new kernel,
    and the stalls of the hub's event loop (JupyterHub warns of each one of a second or more)."""
    text = log.read_text(errors="replace") if log and log.exists() else ""
    starts = [float(x) for x in re.findall(r"User \S+ took ([\d.]+) seconds to start", text)]
    stops = [float(x) for x in re.findall(r"User \S+ server took ([\d.]+) seconds to stop", text)]
    stalls = [float(x) for x in re.findall(r"Event loop was unresponsive for at least ([\d.]+)s", text)]
    return starts, stops, text.count("Timeout waiting for kernel_info reply"), stalls


TICK = os.sysconf("SC_CLK_TCK")


def machine_cpu() -> float:
    """CPU seconds this machine spent busy since boot (all processes, not only this test's)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / TICK  # minus idle and iowait


def process_cpu(pid: int) -> tuple[float, float]:
    """(own, reaped children) CPU seconds of a process: the hub and the servers it has reaped."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    return (int(fields[11]) + int(fields[12])) / TICK, (int(fields[13]) + int(fields[14])) / TICK


def servers_cpu(hub_pid: int) -> float:
    """CPU seconds of the stopped (reaped) servers and their kernels: reaped by the hub, or by the
    fork server (tito/hub/forkserver.py) that the hub runs as its child when servers are forked."""
    total = process_cpu(hub_pid)[1]
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            forked = b"forkserver.py" in (entry / "cmdline").read_bytes()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if forked and ppid == hub_pid:
            total += process_cpu(int(entry.name))[1]
    return total


def report(args, students: list[Student], wall: float, end: float, hub: Hub, load: tuple,
           cpu: dict[str, float]) -> int:
    forked = hub.env.get("TINYTORCH_HUB_FORKSERVER", "1") == "1"
    failed = [st for st in students if not st.done]
    lines = [
        "",
        f"hub load test: {len(students)} users, ramp {args.ramp:g} s "
        f"(arrivals every {args.ramp / max(1, len(students) - 1):.2f} s), "
        f"peak concurrent servers {peak_concurrency(students, end)}, deadline {args.deadline:g} s"
        + (f", extra config {args.extra_config}" if args.extra_config else ""),
        (f"load average 1 min: {load[0]:.2f} before, {load[1]:.2f} after; CPU seconds during the load phase: "
         f"machine {cpu['machine']:.0f}, hub {cpu['hub']:.0f}, stopped servers and their kernels "
         f"{cpu['servers']:.0f} ({cpu['servers'] / max(1, len(students)):.2f} per student)"),
        (f"{os.cpu_count()} cores; servers {'forked' if forked else 'started the classic way'}; "
         f"CPU seconds per student: hub {cpu['hub'] / max(1, len(students)):.2f}, "
         f"server and kernel {cpu['servers'] / max(1, len(students)):.2f}"),
        "",
        f"{'seconds':<34}{'p50':>7}  {'p95':>7}  {'max':>7}",
    ]
    labels = {"login": "login (form POST, PAM)", "spawn": "spawn (POST .. ready)",
              "kernel": "kernel (POST .. kernel_info)", "cell": "cell (execute .. idle)",
              "stop": "stop (DELETE .. gone)"}
    for key in TIMED:
        lines.append(f"{labels[key]:<34}{fmt([st.times[key] for st in students if key in st.times])}")
    both = [st.times["kernel"] + st.times["cell"] for st in students if "cell" in st.times]
    lines.append(f"{'execute (kernel + cell)':<34}{fmt(both)}")
    starts, stops, late_kernels, stalls = hub_log_figures(hub.log)
    lines.append(f"{'hub log: took .. to start':<34}{fmt(starts)}")
    lines.append(f"{'hub log: took .. to stop':<34}{fmt(stops)}")
    if stalls:
        lines.append(f"hub log: event loop unresponsive {len(stalls)} x, {sum(stalls):.1f} s in all, "
                     f"longest {max(stalls):.1f} s")
    if late_kernels:
        lines.append(f"server log: {late_kernels} x 'Timeout waiting for kernel_info reply' (the websocket opened "
                     "only after the server's 60 s kernel_info_timeout)")
    lines += ["", f"total wall time {wall:.1f} s (first arrival .. last student done)",
              f"succeeded {len(students) - len(failed)}/{len(students)}, failures {len(failed)}"]
    by_stage: dict[str, list[Student]] = {}
    for st in failed:
        by_stage.setdefault(st.stage, []).append(st)
    for stage in STAGES:
        if stage in by_stage:
            first = by_stage[stage][0]
            lines.append(f"  {stage:<8} {len(by_stage[stage]):3d}  first: {first.name}: {first.error}")
    spawn = [st.times["spawn"] for st in students if "spawn" in st.times]
    target = 5.0 if args.ramp == 0 else 3.0  # issue 16: all at once, or arriving over 15 s
    verdict = "PASS" if not failed and spawn and percentile(spawn, 95) <= target else "target missed"
    lines.append(f"target (no failure, spawn p95 <= {target:g} s): {verdict}")
    print("\n".join(lines), flush=True)
    return 1 if failed else 0


# --- setup and main -----------------------------------------------------------------------------
def build_course(scratch: Path) -> Path:
    """A built copy of the course (as tests/conftest.py's built_course)."""
    course = copy_course(scratch / "course")
    run_tito("build", cwd=course)
    return course


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=30)
    p.add_argument("--root", type=Path, default=Path("/tmp/hubload"))
    p.add_argument("--ramp", type=float, default=0.0, help="spread arrivals over this many seconds")
    p.add_argument("--deadline", type=float, default=600.0, help="seconds for the whole load phase")
    p.add_argument("--prefix", default="tt-load", help="student account names: <prefix>01 ..")
    p.add_argument("--extra-config", type=Path, help="JupyterHub config loaded after jupyterhub_config.py")
    args = p.parse_args()
    if not 1 <= args.users <= 99:
        p.error("--users: 1 .. 99")
    why = missing_requirements()
    if why:
        sys.exit(f"hub_load: {why}")
    root = args.root.resolve()
    if root.exists() and any(root.iterdir()) and \
            not any((root / name).exists() for name in ("student-env", "state", "roster.json")):
        sys.exit(f"hub_load: {root} is not empty and not a hub folder: the hub's preparation empties it")

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    names = [f"{args.prefix}{i:02d}" for i in range(1, args.users + 1)]
    scratch = Path(tempfile.mkdtemp(prefix="hub-load-"))
    hub = Hub(root=root, course=scratch / "course")
    run: Run | None = None
    try:
        t = time.monotonic()
        build_course(scratch)
        hub.prepare(students=names, instructors=[])
        extra = {"TINYTORCH_HUB_EXTRA_CONFIG": str(args.extra_config.resolve())} if args.extra_config else {}
        hub.start(**extra)
        print(f"hub_load: hub at {hub.url} with {len(names)} students, ready after {time.monotonic() - t:.0f} s "
              f"(log {hub.log})", flush=True)

        load_before = os.getloadavg()[0]
        machine0, hub0, servers0 = machine_cpu(), process_cpu(hub.process.pid)[0], servers_cpu(hub.process.pid)
        begin = time.monotonic() + 0.5
        step = args.ramp / max(1, len(names) - 1)
        students = [Student(n, hub.passwords[n], begin + i * step) for i, n in enumerate(names)]
        run = Run(hub, deadline=begin + args.deadline)
        threads = [threading.Thread(target=run.student, args=(st,), daemon=True, name=st.name)
                   for st in students]
        for th in threads:
            th.start()
        for th in threads:
            while th.is_alive() and time.monotonic() < run.deadline + 5:
                th.join(0.5)
        run.stop_now.set()
        end = time.monotonic()
        hub1, servers1 = process_cpu(hub.process.pid)[0], servers_cpu(hub.process.pid)
        cpu = {"machine": machine_cpu() - machine0, "hub": hub1 - hub0, "servers": servers1 - servers0}
        for st in students:
            if not st.done and not st.error:
                st.error = "deadline passed"
        last = max((st.span[1] for st in students if st.span and st.span[1] != math.inf), default=end)
        wall = (last if all(st.done for st in students) else end) - begin
        return report(args, students, wall, end, hub, (load_before, os.getloadavg()[0]), cpu)
    except KeyboardInterrupt:
        print("hub_load: interrupted; stopping the hub and removing its users", flush=True)
        return 130
    finally:
        if run:
            run.stop_now.set()
        try:
            hub.cleanup()
        finally:
            from tito.hub import embedded as tito_hub

            for name in [*names, GRADER]:
                tito_hub.remove_user(name)
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
