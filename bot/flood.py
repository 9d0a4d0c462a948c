"""Flood control and bounded retries for every Bot API call except getUpdates (PTB retries that itself).

`RetryingRateLimiter` is PTB's `AIORateLimiter` (Telegram's 30 messages/s overall and 20/min per
group; `RetryAfter` waited out and retried) plus a few retries, with exponential back-off, of network
failures. A request that may already have reached Telegram (a read timeout or a dropped connection
on a send*) is not repeated: a duplicate answer is worse than the error message the user then gets.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Coroutine

import httpx
from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

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
    """AIORateLimiter that also retries network failures a bounded number of times."""

    def __init__(self, *, max_retries: int = RETRY_AFTER_RETRIES, network_retries: int = NETWORK_RETRIES,
                 backoff: float = BACKOFF_SECONDS, **limits: Any) -> None:
        super().__init__(max_retries=max_retries, **limits)
        self.network_retries = network_retries
        self.backoff = backoff

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Rate-limit the call; retry RetryAfter (in the parent) and safe network failures (here)."""
        for attempt in range(self.network_retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except NetworkError as exc:
                if attempt == self.network_retries or not safe_to_retry(endpoint, exc):
                    raise
                delay = self.backoff * 2**attempt
                log.warning("%s failed (%s); retry %d/%d in %.1f s", endpoint, type(exc).__name__,
                            attempt + 1, self.network_retries, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
