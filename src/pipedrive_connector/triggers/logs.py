"""Structured logs: one JSON object per line, with the key of the event being handled.

The receiver and the dispatcher put the event key in ``current_event_key`` (a context variable)
while they work on an event, so every line logged meanwhile carries it, the handlers' own lines
included, without each call passing it along.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

current_event_key: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pipedrive_event_key", default=None
)
LOG_FORMATS = ("text", "json")


@contextmanager
def event_context(event_key: str) -> Iterator[None]:
    token = current_event_key.set(event_key)
    try:
        yield
    finally:
        current_event_key.reset(token)


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "event_key"?, "exc"?}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        key = getattr(record, "event_key", None) or current_event_key.get()
        if key:
            document["event_key"] = key
        if record.exc_info:
            document["exc"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """``json``: this package's logs go to stderr as JSON lines from ``level`` up. ``text`` leaves
    logging as it is (Python's default: warnings and errors as plain lines)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"--log-format must be text or json, not {log_format!r}")
    if log_format == "text":
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("pipedrive_connector")
    logger.handlers = [handler]
    logger.setLevel(level)
    logger.propagate = False
