"""Log lines, one per record, carrying the id of the request being handled.

`LOG_FORMAT=text` gives key=value lines (`msg` and `exc_info` quoted and escaped, so a
message with quotes or newlines stays on its line); `json` gives one JSON object per line
(`time`, `level`, `logger`, `message`, `request_id` where there is one, `exc_info`).
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

NO_REQUEST = "-"
LOG_FORMATS = ("text", "json")

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NO_REQUEST)


def bind_request_id(value: str | None = None) -> str:
    """Give the current task (one Slack request) an id that every log line will carry."""
    rid = value or uuid.uuid4().hex[:12]
    request_id.set(rid)
    return rid


class OneLineFailures(logging.Filter):
    """Turns a record's traceback into a short suffix: for libraries that log every retry
    of a connection with a full traceback (slack-sdk's Socket Mode client)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} [{type(error).__name__}]"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def _timestamp(created: float) -> str:
    """ISO 8601 in UTC with milliseconds: one token, sortable."""
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _quoted(text: str) -> str:
    """Double-quoted with quotes, backslashes, newlines and control characters escaped."""
    return json.dumps(text, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time=… level=… logger=… rid=… msg="…"`, plus `exc_info="…"` for a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """Render one record on one line."""
        line = (
            f"time={_timestamp(record.created)} level={record.levelname} logger={record.name}"
            f" rid={getattr(record, 'request_id', NO_REQUEST)} msg={_quoted(record.getMessage())}"
        )
        if record.exc_info:
            line += f" exc_info={_quoted(self.formatException(record.exc_info))}"
        if record.stack_info:
            line += f" stack_info={_quoted(self.formatStack(record.stack_info))}"
        return line


class JsonLineFormatter(JsonFormatter):
    """One JSON object per record, on one line, with the contract's field names."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """The record's time as ISO 8601 in UTC."""
        return _timestamp(record.created)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        """Leave out `request_id` outside a request."""
        if log_data.get("request_id") == NO_REQUEST:
            del log_data["request_id"]
        return log_data


def configure_logging(level: str, *, log_format: str = "text", stream: object = None) -> None:
    """Send one line per record to stderr at level (called once, by the entry point)."""
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(JsonLineFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
