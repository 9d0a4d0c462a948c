"""Flood control and bounded retries for every Bot API call except getUpdates (PTB retries that itself).

`RetryingRateLimiter` keeps PTB's `AIORateLimiter` pacing (Telegram's 30 messages/s overall and 20/min
per group) but waits out a `RetryAfter` for the chat it concerns only — AIORateLimiter pauses every
send while one chat is told to wait, so a 429 in one busy group delayed everyone — and retries, with
exponential back-off, a few network failures. A request that may already have reached Telegram (a
read timeout or a dropped connection on a send*) is not repeated: a duplicate answer is worse than the
error message the user then gets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Hashable
from typing import Any, Callable, Coroutine

import httpx
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter

from bot.metrics import TELEGRAM_ERRORS

log = logging.getLogger(__name__)

RETRY_AFTER_RETRIES = 3
NETWORK_RETRIES = 3
BACKOFF_SECONDS = 0.5
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_NOT_IDEMPOTENT = ("send", "forward", "copy")


def safe_to_retry(endpoint: str, exc: NetworkError) -> bool:
    """True when repeating the request cannot post something twice."""
    if isinstance(exc, BadRequest):
        return False
    cause = exc.__cause__
    if cause is None or isinstance(cause, _NOT_SENT):  # the server answered 5xx, or nothing was sent
        return True
    return not endpoint.startswith(_NOT_IDEMPOTENT)


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter's pacing; flood waits per chat; bounded retries of network failures."""

    def __init__(self, *, max_retries: int = RETRY_AFTER_RETRIES, network_retries: int = NETWORK_RETRIES,
                 backoff: float = BACKOFF_SECONDS, **limits: Any) -> None:
        super().__init__(max_retries=max_retries, **limits)
        self.retry_after_retries = max_retries
        self.network_retries = network_retries
        self.backoff = backoff
        self._resume_at: dict[Hashable, float] = {}  # chat id → loop time its flood wait ends

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Pace the call as AIORateLimiter does; wait out a RetryAfter for this chat only; retry safe
        network failures."""
        chat_id = data.get("chat_id")
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        group = chat_id if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str) else False
        key: Hashable = chat_id if chat_id is not None else endpoint
        floods = network = 0
        loop = asyncio.get_running_loop()
        while True:
            wait = self._resume_at.get(key, 0.0) - loop.time()
            if wait > 0:  # this chat was told to wait: only its own sends wait
                await asyncio.sleep(wait)
            elif key in self._resume_at:
                del self._resume_at[key]  # its wait is over: forget it
            try:
                # AIORateLimiter's pacing (overall, per group, paid broadcasts), without its global pause
                return await self._run_request(
                    chat=chat_id is not None, group=group,
                    allow_paid_broadcast=data.get("allow_paid_broadcast", False),
                    callback=callback, args=args, kwargs=kwargs)
            except RetryAfter as exc:
                TELEGRAM_ERRORS.labels(kind="RetryAfter").inc()
                floods += 1
                if floods > (rate_limit_args or self.retry_after_retries):
                    raise
                delay = exc._retry_after.total_seconds()  # the timedelta PTB keeps; the property warns in v22
                self._resume_at[key] = max(self._resume_at.get(key, 0.0), loop.time() + float(delay) + 0.1)
                log.info("flood wait of %.1f s for %s (other chats go on)", float(delay), endpoint)
            except NetworkError as exc:
                TELEGRAM_ERRORS.labels(kind=type(exc).__name__).inc()
                if network == self.network_retries or not safe_to_retry(endpoint, exc):
                    raise
                delay = self.backoff * 2**network
                network += 1
                log.warning("%s failed (%s); retry %d/%d in %.1f s", endpoint, type(exc).__name__,
                            network, self.network_retries, delay)
                await asyncio.sleep(delay)
