"""How much one chat (or one web client) may ask per minute: a sliding window per sender."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable


class ChatBudget:
    """How many updates a chat may send the bot per minute. Beyond `per_minute`: one notice, then the
    rest are dropped until the minute has passed (never queued: a flood must not delay anyone)."""

    WINDOW = 60.0

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.dropped = 0  # updates dropped since start (a figure for logs and metrics)
        self._seen: dict[Hashable, deque[float]] = {}
        self._noticed: dict[Hashable, float] = {}
        self._swept = 0.0

    def retry_after(self, chat: Hashable) -> int:
        """Whole seconds until `chat` may send again (its oldest update of the minute leaves the window)."""
        seen = self._seen.get(chat)
        if not seen:
            return 0
        return max(1, int(self.WINDOW - (self.clock() - seen[0])) + 1)

    def check(self, chat: Hashable) -> str:
        """"ok" to handle the update, "notice" to tell the chat to slow down (once), "drop" to ignore it."""
        now = self.clock()
        seen = self._seen.setdefault(chat, deque())
        while seen and now - seen[0] >= self.WINDOW:
            seen.popleft()
        if len(self._seen) > 10_000 and now - self._swept >= self.WINDOW:  # forget quiet chats, once a minute
            self._swept = now
            for quiet in [c for c, q in self._seen.items() if not q or now - q[-1] >= self.WINDOW]:
                self._seen.pop(quiet, None)
                self._noticed.pop(quiet, None)
            seen = self._seen.setdefault(chat, seen)
        if len(seen) < self.per_minute:
            seen.append(now)
            return "ok"
        self.dropped += 1
        if now - self._noticed.get(chat, -self.WINDOW) >= self.WINDOW:
            self._noticed[chat] = now
            return "notice"
        return "drop"
