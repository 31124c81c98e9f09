"""Spawners of the embedded hub (jupyterhub_config.py, TINYTORCH_HUB_MODE=local).

PromptLocalProcessSpawner: JupyterHub's LocalProcessSpawner whose start() returns once the
  server accepts connections, so the hub's readiness check succeeds at its first try.
ForkServerSpawner: the same, but the server is forked from a warm process that has already
  imported the students' Jupyter stack (tito/hub/forkserver.py), ~10x less CPU per start. Any
  trouble with the fork server (not startable, an error reply) falls back to the classic start.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
from pathlib import Path
from typing import ClassVar

from jupyterhub.spawner import LocalProcessSpawner
from jupyterhub.utils import random_port
from traitlets import Dict, Unicode

FORKSERVER_SCRIPT = Path(__file__).resolve().with_name("forkserver.py")


class PromptLocalProcessSpawner(LocalProcessSpawner):
    """start() returns once the server accepts connections: the hub's own readiness check backs
    off up to 5 s between tries, this saves ~1.5 s per spawn."""

    async def start(self):
        ip, port = await super().start()
        await self.wait_until_accepting(ip, port)
        return ip, port

    async def stop(self, now: bool = False) -> None:
        """SIGTERM first, then LocalProcessSpawner's own escalation. A server without a terminal
        on stdin installs no SIGINT handler (jupyter_server's init_signal), so the SIGINT that
        LocalProcessSpawner sends first only breaks its event loop: its kernels are never shut
        down (they exit later, when they notice their parent is gone). On SIGTERM the server shuts
        its kernels down and exits."""
        if not now and await self.poll() is None:
            await self._signal(signal.SIGTERM)
            await self.wait_for_death(self.term_timeout)
        await super().stop(now=True)  # still running: SIGTERM again, then SIGKILL

    async def wait_until_accepting(self, ip: str, port: int) -> None:
        while await self.poll() is None:
            try:
                _, writer = await asyncio.open_connection(ip or "127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            return


class ForkServerError(RuntimeError):
    pass


class ForkServer:
    """The hub's handle on one fork server process, started on first use and again if it died."""

    def __init__(self, python: str, socket_path: str, environment: dict[str, str]):
        self.python, self.socket_path, self.environment = python, socket_path, environment
        self.proc: subprocess.Popen | None = None
        self.lock = asyncio.Lock()

    async def ensure_running(self, timeout: float = 60) -> None:
        async with self.lock:
            if self.proc is not None and self.proc.poll() is None:
                return
            if os.path.exists(self.socket_path):
                os.unlink(self.socket_path)
            # stdin is our lifeline: the fork server exits when the hub closes it (or dies).
            command = [self.python, "-I", str(FORKSERVER_SCRIPT), self.socket_path]
            try:  # Popen returns at once; the wait below does not block the hub
                self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, env=self.environment,  # noqa: ASYNC220
                                             start_new_session=True, cwd="/")
            except OSError as error:
                raise ForkServerError(f"the fork server could not be started: {error}") from error
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while not await self._accepting():
                if self.proc.poll() is not None:
                    raise ForkServerError(f"the fork server exited with status {self.proc.returncode}")
                if loop.time() > deadline:
                    self.stop()
                    raise ForkServerError(f"the fork server was not ready after {timeout:.0f} s")
                await asyncio.sleep(0.1)
            logging.getLogger("JupyterHub").info("Fork server ready: pid %d, %s", self.proc.pid, self.socket_path)

    async def _accepting(self) -> bool:
        try:
            _, writer = await asyncio.open_unix_connection(self.socket_path)
        except OSError:
            return False
        writer.close()  # the fork server's child sees an empty request and exits
        return True

    async def spawn(self, user: str, cmd: list[str], env: dict[str, str], timeout: float = 30) -> int:
        await self.ensure_running()
        request = json.dumps({"user": user, "cmd": cmd, "env": env}).encode() + b"\n"
        try:
            reader, writer = await asyncio.open_unix_connection(self.socket_path)
            writer.write(request)
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), timeout)
            writer.close()
        except (OSError, asyncio.TimeoutError) as error:
            raise ForkServerError(f"no answer from the fork server: {error!r}") from error
        try:
            answer = json.loads(line)
        except ValueError:
            raise ForkServerError(f"unreadable answer from the fork server: {line[:200]!r}") from None
        if "pid" not in answer:
            raise ForkServerError(answer.get("error", "no pid in the answer"))
        return int(answer["pid"])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class ForkServerSpawner(PromptLocalProcessSpawner):
    """Forks each student's server from a warm fork server run with `forkserver_python`."""

    forkserver_python = Unicode(config=True, help="The students' Python, which runs the fork server.")
    forkserver_socket = Unicode(config=True, help="Unix socket path in a folder only root can enter.")
    forkserver_environment = Dict(config=True, help="Environment the fork server imports under.")

    _servers: ClassVar[dict[tuple, ForkServer]] = {}  # one per hub process, shared by all spawners

    _warming: ClassVar[set[asyncio.Task]] = set()

    @classmethod
    def _server_for(cls, python: str, socket_path: str, environment: dict[str, str]) -> ForkServer:
        if (python, socket_path) not in cls._servers:
            cls._servers[python, socket_path] = ForkServer(python, socket_path, dict(environment))
        return cls._servers[python, socket_path]

    def forkserver(self) -> ForkServer:
        return self._server_for(self.forkserver_python, self.forkserver_socket, self.forkserver_environment)

    @classmethod
    def warm_up(cls, python: str, socket_path: str, environment: dict[str, str]) -> None:
        """Start the fork server in the background while the hub starts (from jupyterhub_config.py,
        which the hub reads inside its event loop), so the first students need not wait for its
        imports. Without a running loop, or if it fails, the first spawn starts it as usual."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(cls._server_for(python, socket_path, environment).ensure_running())
        cls._warming.add(task)
        task.add_done_callback(cls._warmed)

    @classmethod
    def _warmed(cls, task: asyncio.Task) -> None:
        cls._warming.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logging.getLogger("JupyterHub").warning("Fork server: not started ahead (%s); the first spawn "
                                                    "tries again", task.exception())

    async def start(self):
        if not (self.forkserver_python and self.forkserver_socket) or self.shell_cmd or self.popen_kwargs:
            return await super().start()
        if self.port == 0:
            self.port = random_port()
        cmd = [*self.cmd, *self.get_args()]
        try:
            pid = await self.forkserver().spawn(self.user.name, cmd, self.get_env())
        except ForkServerError as error:
            self.log.warning("Fork server: %s; starting %s's server the classic way", error, self.user.name)
            return await super().start()
        self.log.info("Forked the server of %s: pid %d", self.user.name, pid)
        self.proc, self.pid = None, pid
        ip = self.ip or "127.0.0.1"
        await self.wait_until_accepting(ip, self.port)
        return ip, self.port
