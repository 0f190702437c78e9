"""Small helpers shared by the tests."""

from __future__ import annotations

import asyncio
import atexit
import functools
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

REPO_ROOT = Path(__file__).resolve().parent.parent


class FakeClock:
    """A clock the test moves by hand: deterministic time, no sleeping."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@functools.cache
def _empty_directory() -> Path:
    path = Path(tempfile.mkdtemp(prefix="docsbot-test-cwd-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


async def start_bot_module(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> asyncio.subprocess.Process:
    """Start `python -m bot ARGS` with exactly env (plus the repository on PYTHONPATH), piping
    output.

    The bot reads `.env` from its working directory: by default that is an empty directory, so
    a developer's `.env` in the repository never leaks into a test.
    """
    pythonpath = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd or _empty_directory(),
        env={**env, "PYTHONPATH": pythonpath},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_until(
    predicate: Callable[[], bool],
    timeout: float,  # noqa: ASYNC109 - a polling deadline, part of the fakes' API
    describe: Callable[[], str],
) -> None:
    """Poll `predicate` every 10 ms until it is true; AssertionError after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() >= deadline:
            name = getattr(predicate, "__name__", repr(predicate))
            raise AssertionError(f"condition {name} not met within {timeout}s; {describe()}")
        await asyncio.sleep(0.01)


async def serve_locally(app: web.Application) -> tuple[web.AppRunner, int]:
    """Serve app on 127.0.0.1 on a free port; return its runner (to clean up) and the port."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, int(runner.addresses[0][1])
