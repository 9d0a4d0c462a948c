"""Logging for the bot process: one stderr handler whose filter blanks out the bot token everywhere.

python-telegram-bot logs the API URL (token included) at DEBUG, httpx logs every request URL at INFO,
and PTB's InvalidToken message quotes the token: the filter rewrites the message, the exception text
and the stack text of every record before any handler formats it.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from collections.abc import Callable, Hashable
from typing import TextIO

REDACTED = "<TOKEN>"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HANDLER_NAME = "plan-bot"


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` (and of its id-less half) replaced."""
    if not secret:
        return text
    text = text.replace(secret, REDACTED)
    _, _, key = secret.partition(":")
    return text.replace(key, REDACTED) if len(key) >= 16 else text


class RedactToken(logging.Filter):
    """A handler filter that removes the token from a record's message, exception and stack text."""

    def __init__(self, token: str | None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        if not self.token:
            return True
        record.msg = redact(record.getMessage(), self.token)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"), self.token)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text, self.token)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.token)
        return True


def configure_logging(level: str, token: str | None, stream: TextIO | None = None) -> logging.Handler:
    """Log to stderr at `level` with the token redacted; httpx and httpcore only from WARNING."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactToken(token))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


class Throttle:
    """Lets one event of each kind through per `period` seconds and counts the ones it holds back:
    one log line a minute for a failing disk, one admin report an hour for a repeated error."""

    def __init__(self, period: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.period = period
        self.clock = clock
        self._last: dict[Hashable, float] = {}
        self._held: dict[Hashable, int] = {}

    def allow(self, key: Hashable) -> int | None:
        """None to hold this event back; else how many of its kind were held back since the last one."""
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.period:
            self._held[key] = self._held.get(key, 0) + 1
            return None
        self._last[key] = now
        return self._held.pop(key, 0)
