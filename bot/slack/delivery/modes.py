"""The ways a reply may stream (``STREAM_MODE``), listed once for settings and the streamer."""

from __future__ import annotations

from enum import StrEnum


class StreamMode(StrEnum):
    """``STREAM_MODE``: which delivery a reply prefers (see README "Streaming modes")."""

    AUTO = "auto"  # native in DM threads, edits elsewhere, native when edits run short
    NATIVE = "native"  # native in every thread
    EDIT = "edit"  # never native


STREAM_MODES: tuple[str, ...] = tuple(mode.value for mode in StreamMode)
