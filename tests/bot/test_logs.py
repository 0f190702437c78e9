from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Callable, Iterator

import pytest

from bot.logs import bind_request_id, configure_logging, request_id

Capture = Callable[[str], io.StringIO]


@pytest.fixture
def capture() -> Iterator[Capture]:
    """Configure logging into a buffer in the given format; restore the root logger after."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level

    def configure(log_format: str) -> io.StringIO:
        stream = io.StringIO()
        configure_logging("INFO", log_format=log_format, stream=stream)
        return stream

    try:
        yield configure
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


@pytest.fixture
def in_request() -> Iterator[str]:
    token = request_id.set("Ev0REQUEST")
    try:
        yield "Ev0REQUEST"
    finally:
        request_id.reset(token)


def _log_failure(message: str) -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        logging.getLogger("bot.test").exception(message)


async def test_log_lines_are_key_value_and_carry_the_request_id(capture: Capture) -> None:
    stream = capture("text")

    async def handle(rid: str) -> None:
        bind_request_id(rid)
        await asyncio.sleep(0)
        logging.getLogger("bot.test").info("answered")

    await asyncio.gather(handle("Ev1"), handle("Ev2"))
    logging.getLogger("bot.test").debug("hidden")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert {line.split(" rid=")[1].split()[0] for line in lines} == {"Ev1", "Ev2"}
    assert all("level=INFO logger=bot.test" in line and 'msg="answered"' in line for line in lines)
    assert all(re.match(r"time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", line) for line in lines)


def test_a_text_message_with_quotes_and_newlines_stays_on_one_line(capture: Capture) -> None:
    stream = capture("text")
    logging.getLogger("bot.test").warning('he said "hi"\nlevel=ERROR forged')
    (line,) = stream.getvalue().splitlines()
    assert line.endswith(r'rid=- msg="he said \"hi\"\nlevel=ERROR forged"')


def test_a_text_traceback_is_escaped_on_the_line_of_its_message(capture: Capture) -> None:
    stream = capture("text")
    _log_failure("it failed")
    (line,) = stream.getvalue().splitlines()
    assert ' msg="it failed" exc_info="Traceback (most recent call last):\\n' in line
    assert line.endswith('ValueError: bad\\nvalue"')


def test_json_lines_carry_the_contract_fields(capture: Capture, in_request: str) -> None:
    stream = capture("json")
    logging.getLogger("bot.test").info('answered "%s"\nin %d ms', "q", 12)
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record == {
        "time": record["time"],
        "level": "INFO",
        "logger": "bot.test",
        "message": 'answered "q"\nin 12 ms',
        "request_id": in_request,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"])


def test_json_lines_outside_a_request_have_no_request_id(capture: Capture) -> None:
    stream = capture("json")
    logging.getLogger("bot.test").info("ready")
    record = json.loads(stream.getvalue())
    assert "request_id" not in record
    assert record["message"] == "ready"


def test_a_json_traceback_is_exc_info_on_the_same_line(capture: Capture, in_request: str) -> None:
    stream = capture("json")
    _log_failure("it failed")
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert (record["level"], record["message"], record["request_id"]) == (
        "ERROR",
        "it failed",
        in_request,
    )
    assert record["exc_info"].startswith("Traceback (most recent call last):\n")
    assert record["exc_info"].endswith("ValueError: bad\nvalue")
