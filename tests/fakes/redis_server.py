"""A real `redis-server` on a free port, for tests (no persistence, private data directory).

Usage::

    with RedisServer() as server:          # server.url == "redis://127.0.0.1:<port>/0"
        ...
        server.stop()                      # Redis goes away mid-test
        server.start()                     # back, on the same port, empty

`start()`/`stop()` block for the few milliseconds a local redis-server needs; `astart()`/`astop()`
run them in a thread, for use inside a running event loop.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.support import free_port

__all__ = ["RedisServer", "RedisServerError", "redis_server_path"]

_START_TIMEOUT = 10.0


class RedisServerError(RuntimeError):
    """Raised when redis-server is missing or does not answer PING in time."""


def redis_server_path() -> str | None:
    """The `redis-server` executable on PATH, or None."""
    return shutil.which("redis-server")


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process; the port is chosen on the first `start()` and then kept."""

    def __init__(self, executable: str | None = None) -> None:
        found = executable or redis_server_path()
        if found is None:
            raise RedisServerError("redis-server is not on PATH")
        self.executable = found
        self.port: int | None = None
        self._dir = Path(tempfile.mkdtemp(prefix="redis-test-"))
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def url(self) -> str:
        if self.port is None:
            raise RedisServerError("RedisServer was never started")
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start redis-server (on the same port as before, if it ran before) and wait for PING."""
        if self.running:
            return
        attempts = 3 if self.port is None else 5  # a fresh port may be taken; ours may linger
        for _ in range(attempts):
            port = self.port or free_port()
            if self._launch(port):
                self.port = port
                return
        raise RedisServerError(f"redis-server did not start; log: {self._log_tail()}")

    def stop(self) -> None:
        """Terminate redis-server and wait for it to exit."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def pause(self) -> None:
        """SIGSTOP the server: it keeps its connections open but answers nothing (a hang)."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT a paused server."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        """Stop and remove the data directory."""
        self.resume()  # a stopped process would not act on SIGTERM
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    def _launch(self, port: int) -> bool:
        args = [self.executable, "--port", str(port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self._dir)]
        args += ["--logfile", str(self._dir / "redis.log"), "--daemonize", "no"]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._process = process
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:  # exited: the port was probably taken
                self._process = None
                return False
            if _answers_ping(port):
                return True
            time.sleep(0.01)
        self.stop()
        return False

    def _log_tail(self) -> str:
        try:
            return (self._dir / "redis.log").read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"
