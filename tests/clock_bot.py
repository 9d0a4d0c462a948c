"""`plan-bot run` with its clock starting at a given moment and running at real speed, for end-to-end
tests and benchmarks of reminders (the bot reads time only from the clock it is given):

    python tests/clock_bot.py 2021-12-24T09:00:30+08:00 [--unlimited]

Settings come from the environment as for `plan-bot run`. `--unlimited` turns off both the reminder
pacing and the Bot API rate limiter, to measure the bot's own throughput.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Coroutine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram.ext import BaseRateLimiter  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.telegram.app import run  # noqa: E402


class NoRateLimiter(BaseRateLimiter):
    """Passes every request straight through."""

    async def initialize(self) -> None:
        """Nothing to set up."""
        return None

    async def shutdown(self) -> None:
        """Nothing to clean up."""
        return None

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any,
                              kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
                              rate_limit_args: Any) -> Any:
        """Make the request now."""
        return await callback(*args, **kwargs)


def main(argv: list[str]) -> int:
    """Run the bot from `argv[0]` on."""
    start = datetime.fromisoformat(argv[0])
    t0 = time.monotonic()
    settings = Settings.from_env()
    limiter = None
    if "--unlimited" in argv:
        settings = replace(settings, reminder_rate=None)
        limiter = NoRateLimiter()
    return run(settings, clock=lambda: start + timedelta(seconds=time.monotonic() - t0), rate_limiter=limiter)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
