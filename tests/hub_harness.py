"""A real embedded hub for tests: `tito hub setup` on a scratch course, JupyterHub with
configurable-http-proxy on loopback ports, PAM logins for throwaway system users.

Needs root (system users), Debian's chromium for the browser tests, and the proxy from
`npm` (scripts/setup.sh installs it into .hub-node/). TINYTORCH_TEST_HUB_ROOT keeps the
hub folder between runs (its two Python environments are reused; everything else is reset).
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
KEEP = {"student-env", "grader-env"}
# The test hub's system users are machine-wide: TINYTORCH_TEST_USERS (default "tt") prefixes their
# names, so that two checkouts on one machine can run hub tests at once without removing each other's.
USERS = os.environ.get("TINYTORCH_TEST_USERS", "tt")
GRADER = f"{USERS}-test-grader"  # not the real hub's grader account: tests may run beside a live hub
os.environ["TINYTORCH_GRADER"] = GRADER
STUDENT, OTHER, INSTRUCTOR = f"{USERS}-alice", f"{USERS}-bob", f"{USERS}-prof"
# One-module workshops (tests/test_workshop.py). TINYTORCH_WORKSHOPS: "ci" (default), "all" or ids
# separated by commas.
WORKSHOP_MODULES = ("05_autograd", "12_attention", "14_profiling", "15_quantization", "16_compression",
                    "17_memoization", "18_acceleration", "19_benchmarking")
CI_WORKSHOPS = ("05_autograd", "12_attention", "19_benchmarking")


def workshop_modules() -> list[str]:
    chosen = os.environ.get("TINYTORCH_WORKSHOPS", "ci")
    return list(WORKSHOP_MODULES if chosen == "all" else CI_WORKSHOPS if chosen == "ci" else chosen.split(","))


def workshop_student(module_id: str) -> str:
    """A student who never did an earlier module; in the roster before the hub starts (hub groups)."""
    return f"{USERS}-wshop{module_id[:2]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_requirements() -> str | None:
    if os.geteuid() != 0:
        return "the embedded hub needs root (one system user per student)"
    if not (REPO / ".hub-node" / "node_modules" / ".bin" / "configurable-http-proxy").exists() \
            and shutil.which("configurable-http-proxy") is None:
        return "configurable-http-proxy is not installed (scripts/setup.sh installs it)"
    return None


@dataclass
class Hub:
    root: Path
    course: Path
    url: str = ""
    passwords: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    log: Path | None = None
    env: dict = field(default_factory=dict)

    # --- lifecycle ---------------------------------------------------------------------
    def prepare(self, students: list[str], instructors: list[str]) -> None:
        from tito.course_dir import CourseDir
        from tito.hub import embedded

        if self.root.exists():
            for child in self.root.iterdir():
                if child.name not in KEEP:
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
        for name in students + instructors:
            embedded.remove_user(name)
        embedded.setup(CourseDir(self.course), self.root)
        for name in students + instructors:
            self.passwords[name] = embedded.add_user(self.root, name, instructor=name in instructors)
        embedded.release(self.root, "01_tensor")

    def start(self, **extra_env: str) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "TINYTORCH_HUB_ROOT": str(self.root), "TINYTORCH_HUB_IP": "127.0.0.1",
                    "TINYTORCH_HUB_PORT": str(port), "TINYTORCH_HUB_API_PORT": str(free_port()),
                    "TINYTORCH_PROXY_API_PORT": str(free_port()),
                    "TINYTORCH_FORMGRADER_PORT": str(free_port()), **extra_env}
        self.log = self.root / "hub.log"
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(REPO / "jupyterhub_config.py")],
            cwd=self.root / "state", env=self.env, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub exited {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/hub/health", timeout=2).status_code == 200 and \
                        self.service_ready():
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the hub did not come up in 60 s:\n{self.log_tail()}")

    def service_ready(self) -> bool:
        return "Adding service tinytorch to proxy" in self.log.read_text() and \
            "JupyterHub is now running" in self.log.read_text()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)

    def cleanup(self) -> None:
        from tito.hub import embedded

        self.stop()
        for name in [*self.passwords, GRADER]:
            embedded.remove_user(name)

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text().splitlines()[-lines:]) if self.log and self.log.exists() else ""

    # --- acting as people ---------------------------------------------------------------
    def login(self, user: str) -> requests.Session:
        """A requests session logged in through the hub's login form (PAM)."""
        s = requests.Session()
        page = s.get(f"{self.url}/hub/login", timeout=30)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        r = s.post(f"{self.url}/hub/login?next=", data={"username": user, "password": self.passwords[user],
                                                         "_xsrf": xsrf}, allow_redirects=False, timeout=60)
        assert r.status_code == 302, f"login of {user} failed: {r.status_code}"
        return s

    def spawn(self, session: requests.Session, user: str, timeout: float = 120) -> None:
        """Start the user's server through the hub API (cookie auth + XSRF header) and wait until ready."""
        headers = {"X-XSRFToken": session.cookies.get("_xsrf", path="/hub/") or ""}
        r = session.post(f"{self.url}/hub/api/users/{user}/server", headers=headers, timeout=60)
        assert r.status_code in (201, 202, 400), (r.status_code, r.text)  # 400: already running
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = session.get(f"{self.url}/hub/api/users/{user}", headers=headers, timeout=30).json()
            if model.get("servers", {}).get("", {}).get("ready"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{user}'s server was not ready in {timeout} s:\n{self.log_tail()}")

    def server_session(self, user: str) -> tuple[requests.Session, str, dict]:
        """Logged in and through OAuth to the user's running server: (session, its URL, XSRF headers)."""
        session = self.login(user)
        base = f"{self.url}/user/{user}"
        assert session.get(f"{base}/lab", timeout=60).status_code == 200  # OAuth; sets the server's _xsrf
        return session, base, {"X-XSRFToken": session.cookies.get("_xsrf", path=f"/user/{user}/") or ""}

    def start_kernel(self, user: str) -> tuple[requests.Session, str, dict, str]:
        """A kernel started through the user's running server: server_session(user) + its id."""
        session, base, headers = self.server_session(user)
        r = session.post(f"{base}/api/kernels", json={"name": "python3"}, headers=headers, timeout=60)
        assert r.status_code == 201, r.text
        return session, base, headers, r.json()["id"]

    def as_user(self, user: str, *cmd: str, check: bool = False, cwd: str = "/", **kw) -> subprocess.CompletedProcess:
        """Run a command as that system user (a login shell's environment, minimal PATH)."""
        env = {"PATH": f"{self.root / 'student-env' / 'bin'}:/usr/bin:/bin", "HOME": f"/home/{user}",
               "TINYTORCH_EXCHANGE": str(self.root / "exchange"), "LANG": "C.UTF-8"}
        return subprocess.run(["/usr/sbin/runuser", "-u", user, "--", *cmd], capture_output=True, text=True,
                              env=env, cwd=cwd, check=check, **kw)


def new_password() -> str:
    return secrets.token_urlsafe(9)
