"""The machine and the process: what it is, how much CPU and memory the run took, its logs."""

from __future__ import annotations

import logging
import os
import platform
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

_PACKAGES = ("slack-bolt", "slack-sdk", "aiohttp", "httpx", "httpx-sse", "redis")


def machine_info() -> dict[str, Any]:
    """Where the run happened: platform, CPUs, Python and the packages on the answer path."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "packages": {name: _version(name) for name in _PACKAGES},
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
        "code": code_version(),
    }


def code_version() -> dict[str, Any]:
    """The commit the bot was measured at and its uncommitted files (read-only git calls)."""
    root = Path(__file__).resolve().parent.parent
    head = (_git(root, "rev-parse", "HEAD") or "").strip() or None
    # --no-optional-locks: status must not refresh (write) the index.
    status = _git(root, "--no-optional-locks", "status", "--porcelain", "--", "bot", "handlers")
    changed = [line[3:] for line in (status or "").splitlines() if line.strip()]
    return {"commit": head, "uncommitted": changed}


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return ""
    for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return ""


@dataclass(frozen=True, slots=True)
class Usage:
    """CPU seconds (user + system) of the calling thread and of the process, and wall time."""

    thread_cpu_s: float
    process_cpu_s: float
    wall_s: float

    @classmethod
    def now(cls) -> Usage:
        """Now, for the calling thread (the bot's, when called from the main loop)."""
        own = resource.getrusage(resource.RUSAGE_SELF)
        return cls(time.thread_time(), own.ru_utime + own.ru_stime, time.monotonic())

    @classmethod
    def zero(cls) -> Usage:
        return cls(0.0, 0.0, 0.0)

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.thread_cpu_s - other.thread_cpu_s,
            self.process_cpu_s - other.process_cpu_s,
            self.wall_s - other.wall_s,
        )


def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return round(peak / scale, 1)


def current_rss_mb() -> float | None:
    """The process's resident set size now, in MB (Linux only)."""
    statm = Path("/proc/self/statm")
    if not statm.exists():
        return None
    pages = int(statm.read_text(encoding="ascii").split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024), 1)


class LogCounter(logging.Handler):
    """Counts log records at WARNING and above by logger, level and message template."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, str] = {}  # the first record of each kind, formatted

    def emit(self, record: logging.LogRecord) -> None:
        kind = f"{record.levelname} {record.name}: {record.msg}"
        self.counts[kind] += 1
        if kind not in self.examples:
            self.examples[kind] = _first_line(record)


def _first_line(record: logging.LogRecord) -> str:
    try:
        text = record.getMessage()
    except (TypeError, ValueError):
        text = str(record.msg)
    if record.exc_info and record.exc_info[1] is not None:
        text += f" [{record.exc_info[1]!r}]"
    return text[:300]


@contextmanager
def counted_logs() -> Iterator[LogCounter]:
    """Count (instead of printing) what the bot logs at WARNING and above during the run."""
    counter = LogCounter()
    root = logging.getLogger()
    root.addHandler(counter)
    try:
        yield counter
    finally:
        root.removeHandler(counter)


class Deadline:
    """The time left of the run's budget."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def remaining(self, reserve: float = 0.0) -> float:
        """Seconds left, keeping reserve seconds back (never negative)."""
        return max(0.0, self._end - time.monotonic() - reserve)
