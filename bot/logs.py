"""Structured log lines (key=value) carrying the id of the request being handled."""

from __future__ import annotations

import contextvars
import logging
import sys
import uuid

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def bind_request_id(value: str | None = None) -> str:
    """Give the current task (one Slack request) an id that every log line will carry."""
    rid = value or uuid.uuid4().hex[:12]
    request_id.set(rid)
    return rid


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_logging(level: str, *, stream: object = None) -> None:
    """Send key=value lines to stderr at level (called once, by the entry point)."""
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(
        logging.Formatter(
            "time=%(asctime)s level=%(levelname)s logger=%(name)s"
            ' rid=%(request_id)s msg="%(message)s"'
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
