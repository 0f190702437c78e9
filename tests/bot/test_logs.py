from __future__ import annotations

import asyncio
import io
import logging

from bot.logs import bind_request_id, configure_logging


async def test_log_lines_are_key_value_and_carry_the_request_id() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        configure_logging("INFO", stream=stream)

        async def handle(rid: str) -> None:
            bind_request_id(rid)
            await asyncio.sleep(0)
            logging.getLogger("bot.test").info("answered")

        await asyncio.gather(handle("Ev1"), handle("Ev2"))
        logging.getLogger("bot.test").debug("hidden")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert {line.split(" rid=")[1].split()[0] for line in lines} == {"Ev1", "Ev2"}
    assert all("level=INFO logger=bot.test" in line and 'msg="answered"' in line for line in lines)
