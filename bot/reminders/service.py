"""Sending reminders: the due check, the fan-out, and the bookkeeping that makes each send happen once.

Scheduling. python-telegram-bot does not persist jobs, and the reminders live in SQLite anyway, so
the JobQueue holds just two jobs with fixed names, re-created (never duplicated) at every start: a
check at start-up and one every minute. Each check asks `Schedule` what is due at the injected
clock's "now" and sends it; a check that finds a fan-out still running leaves it to pick up the
rest when it is done. Reminders whose deadline passed while the bot was down are recorded as
skipped and logged, never sent late.

Digests. A chat's reminders due at the same moment for the same date and lead time (a chat that
follows `all` or a section, when many items share a date) go out as ONE message listing them (split
into parts only past Telegram's 4096 characters); a lone reminder keeps its own message. Every
delivery row of a digest is claimed before the send and finished after it, together.

Fan-out. Messages go out through the application's rate limiter (Telegram's 30/s overall), paced
here to at most `rate` per second (default 25, leaving room for answers), a few chats at a time.
Every send is recorded as it happens, so a restart continues where the last process stopped.
`Forbidden` (the user blocked the bot) and "chat not found" mark the chat inactive: no more
reminders until it writes to the bot again. `RetryAfter` is waited out (a bounded number of times);
other failures that certainly did not deliver are retried later with exponential back-off, at most
`max_attempts` times and never after the deadline; a run of such failures pauses the fan-out until
the next check.

Crash policy: at most once. A delivery row is committed in state `sending` *before* the message is
sent and set to `sent` after. A claim still `sending` at start-up belonged to a process that died
between the two: the message may or may not have reached Telegram, and Telegram offers no way to
ask. It becomes `unconfirmed` and is NOT sent again — a duplicate cannot be taken back, while a lost
reminder is covered by the next lead time (7 days, then 1 day) and by /deadlines; the window is one
HTTP round trip per worker. The same reasoning keeps a send that timed out from being repeated
(bot/flood.py never repeats a send that may have arrived either).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

from bot.metrics import REMINDERS
from bot.reminders.schedule import Due, Schedule, digest_groups
from bot.reminders.store import FAILED, RETRY, SENT, UNCONFIRMED, ReminderStore
from bot.replies import Clock, Reply

log = logging.getLogger(__name__)

STARTUP_JOB = "reminders:start-up"
DUE_CHECK_JOB = "reminders:due-check"
CHECK_INTERVAL = 60  # seconds
RATE = 25.0  # reminder messages per second at most
WORKERS = 4  # chats sent to at the same time (sustains the rate with a round trip up to 160 ms)
MAX_ATTEMPTS = 5  # sends of one reminder that certainly failed, before it is given up
RETRY_BASE = timedelta(minutes=1)  # back-off after the first failure; doubled after each
RETRY_AFTER_WAITS = 3  # flood waits sat out for one message before it is deferred to a later check
BREAKER = 5  # consecutive failures that pause a fan-out until the next check
MAX_PASSES = 20  # checks in a row while reminders keep falling due

# What became of one send.
OK, BLOCKED, MOVED, FLOOD, TRANSIENT, UNCERTAIN, REJECTED = (
    "ok", "blocked", "moved", "flood", "transient", "uncertain", "rejected")


@dataclass(frozen=True)
class SendResult:
    """The outcome of one send: ok (with the message id), or why not."""

    outcome: str
    message_id: int | None = None
    error: str = ""
    retry_after: float = 0.0  # FLOOD: seconds Telegram asked us to wait
    new_chat_id: int | None = None  # MOVED: the supergroup's id


class Sender(Protocol):
    """Sends one rendered reminder to one chat."""

    async def send(self, chat_id: int, reply: Reply) -> SendResult:
        """Send, and say what happened (never raises for Telegram errors)."""
        ...


@dataclass
class Report:
    """What one check did."""

    due: int = 0
    sent: int = 0
    retry: int = 0
    failed: int = 0
    blocked: int = 0
    unconfirmed: int = 0
    skipped: int = 0  # fell due while the bot was down and can no longer be sent
    paused: bool = False  # stopped early: shutting down, or too many failures in a row

    def __str__(self) -> str:
        return (f"{self.due} due: {self.sent} sent, {self.retry} to retry, {self.failed} failed, "
                f"{self.blocked} blocked, {self.unconfirmed} unconfirmed; {self.skipped} skipped as too late"
                + (" (paused)" if self.paused else ""))


class Pacer:
    """At most `rate` starts per second, evenly spaced, shared by concurrent callers (None: no limit)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1 / rate if rate else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        """Return when the next slot has come."""
        if not self.interval:
            return
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


class ReminderService:
    """Checks what is due, sends it, and keeps the books; one per process."""

    def __init__(self, schedule: Schedule, clock: Clock, compose: Callable[[Due], Reply], sender: Sender, *,
                 digest: Callable[[Sequence[Due]], Reply] | None = None,
                 rate: float | None = RATE, workers: int = WORKERS, max_attempts: int = MAX_ATTEMPTS,
                 retry_base: timedelta = RETRY_BASE,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.schedule = schedule
        self.book: ReminderStore = schedule.book
        self.clock = clock
        self.compose = compose
        self.digest = digest  # several reminders of one chat, date and lead → one message (None: one each)
        self.sender = sender
        self.pacer = Pacer(rate)
        self.workers = max(1, workers)
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.sleep = sleep
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def tz(self) -> tzinfo:
        """The time zone reminders are timed in."""
        return self.schedule.tz

    # ---- life cycle ---------------------------------------------------------------------------
    def start_up(self) -> None:
        """Before the first check: claims left `sending` by a dead process become `unconfirmed`."""
        self._stopping = False
        for d in self.book.release_unfinished(self.clock()):
            log.warning("reminder %s to chat %s was being sent when the last process stopped: "
                        "not sent again (at most once); marked unconfirmed", d.key, d.chat_id)

    def kick(self) -> None:
        """Start a fan-out in the background unless one is running (the job callback)."""
        if self._task is not None and not self._task.done():
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="reminders:fan-out")

    async def wait_idle(self) -> None:
        """Wait for the fan-out in progress (if any) to end."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        """Finish the sends in flight, start no new ones, and wait for the fan-out to end."""
        self._stopping = True
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        try:
            for _ in range(MAX_PASSES):
                report = await self.check()
                if self._stopping or report.paused or not report.due:
                    return
        except Exception:
            log.exception("reminder check failed")

    # ---- one check ------------------------------------------------------------------------------
    async def check(self) -> Report:
        """Record what can no longer be sent, then send everything due now."""
        now = self.clock()
        report = Report()
        report.skipped = self._skip_missed(now)
        self.book.expire_retries(now, now.astimezone(self.tz).date())
        self.book.set_checked_at(now)
        due = self.schedule.due(now)
        report.due = len(due)
        moment = now.astimezone(self.tz).isoformat(timespec="seconds")
        if due:
            await self._fan_out(due, report)
            log.info("reminders at %s: %s", moment, report)
        else:
            log.debug("reminders at %s: nothing due", moment)
        return report

    def _skip_missed(self, now: datetime) -> int:
        since = self.book.checked_at()
        if since is None or since >= now:
            return 0
        missed = self.schedule.missed(since, now)
        if not missed:
            return 0
        n = self.book.skip(missed, "its deadline passed while the bot was down", now)
        log.warning("skipped %d reminder(s) that fell due while the bot was down and whose deadline has passed: %s",
                    n, ", ".join(f"{c.key}→{c.chat_id}" for c in missed[:20]) + (" …" if len(missed) > 20 else ""))
        return n

    def groups(self, due: Sequence[Due]) -> list[list[Due]]:
        """Sending order and messages: digests (see `digest_groups`), or one message each without a composer."""
        return digest_groups(due) if self.digest is not None else [[d] for d in due]

    async def _fan_out(self, due: list[Due], report: Report) -> None:
        by_chat: dict[int, list[Due]] = {}
        for d in due:
            by_chat.setdefault(d.chat_id, []).append(d)
        queue = [self.groups(ds) for ds in by_chat.values()]
        queue.reverse()
        failures = 0

        async def worker() -> None:
            """Take the next chat's reminders and send them in order, until none are left."""
            nonlocal failures
            while queue and not self._stopping and not report.paused:
                for group in queue.pop():
                    if self._stopping or report.paused:
                        return
                    outcome = await (self._deliver(group[0], report) if len(group) == 1
                                     else self._deliver_digest(group, report))
                    failures = failures + 1 if outcome in (TRANSIENT, FLOOD) else 0
                    if failures >= BREAKER:
                        log.warning("%d reminder sends in a row failed: pausing until the next check", failures)
                        report.paused = True
                    if outcome in (BLOCKED, MOVED):
                        break  # the chat's other reminders: not to this id, not now

        await asyncio.gather(*(worker() for _ in range(min(self.workers, len(queue)))))
        report.paused = report.paused or self._stopping

    async def _deliver(self, due: Due, report: Report) -> str:
        """Claim, send, record. Returns the send's outcome ("" if the claim was not ours)."""
        await self.pacer.wait()
        now = self.clock()
        if now >= due.expires_at:  # a long fan-out ran past the deadline: too late now
            report.skipped += self.book.skip([due.claim], "its deadline passed before its turn in the fan-out", now)
            return ""
        error = ""
        try:
            reply: Reply | None = self.compose(due)  # before the claim: the claim-to-send window stays short
        except Exception as exc:  # a bug: recorded below as a failed send, and the fan-out goes on
            log.exception("reminder %s to chat %s could not be rendered", due.key, due.chat_id)
            reply, error = None, f"{type(exc).__name__}: {exc}"
        if not self.book.claim(due.claim, now, due.stale):
            return ""
        if reply is None:
            result = SendResult(REJECTED, error=error)
        else:
            result = await self._send(due.chat_id, reply, due.key)
        self._record(due, result, report)
        return result.outcome

    async def _deliver_digest(self, group: list[Due], report: Report) -> str:
        """Several reminders of one chat, date and lead as one message (or its parts): claim every row,
        send, and record every row with the one outcome. Returns the outcome ("" if no claim was ours)."""
        await self.pacer.wait()
        now = self.clock()
        first = group[0]
        if now >= first.expires_at:  # the same date: all too late now
            report.skipped += self.book.skip([d.claim for d in group],
                                             "its deadline passed before its turn in the fan-out", now)
            return ""
        assert self.digest is not None
        error = ""
        try:
            reply: Reply | None = self.digest(group)  # before the claims, as for one reminder
        except Exception as exc:
            log.exception("reminder digest %s… (%d) to chat %s could not be rendered",
                          first.key, len(group), first.chat_id)
            reply, error = None, f"{type(exc).__name__}: {exc}"
        claimed = [d for d in group if self.book.claim(d.claim, now, d.stale)]
        if not claimed:
            return ""
        if claimed != group and reply is not None:  # another attempt holds some rows: list only ours
            try:
                reply = self.digest(claimed) if len(claimed) > 1 else self.compose(claimed[0])
            except Exception as exc:
                log.exception("reminder digest to chat %s could not be rendered", first.chat_id)
                reply, error = None, f"{type(exc).__name__}: {exc}"
        if reply is None:
            result = SendResult(REJECTED, error=error)
        else:
            result = SendResult(OK)
            parts = reply.messages or ("",)
            for i, part in enumerate(parts):
                if i:
                    await self.pacer.wait()  # pacing counts messages: each part is one
                last = i == len(parts) - 1
                one = Reply((part,), reply.buttons if last else ())
                got = await self._send(first.chat_id, one, first.key)
                if got.outcome != OK and i:  # earlier parts arrived: never repeat them (at most once)
                    if got.outcome != BLOCKED:
                        got = SendResult(UNCERTAIN, error=f"part {i + 1} of {len(parts)}: {got.error}")
                    result = got
                    break
                result = got if got.outcome != OK or last else result
                if got.outcome != OK:
                    break
        for d in claimed:
            self._record(d, result, report, quiet=d is not claimed[0])
        return result.outcome

    async def _send(self, chat_id: int, reply: Reply, key: str) -> SendResult:
        """One message, a flood wait sat out a bounded number of times; never raises."""
        try:
            result = await self.sender.send(chat_id, reply)
            for _ in range(RETRY_AFTER_WAITS):
                if result.outcome != FLOOD:
                    break
                await self.sleep(result.retry_after)
                result = await self.sender.send(chat_id, reply)
        except Exception as exc:  # a bug in the sender: recorded, and the fan-out goes on
            log.exception("reminder %s to chat %s failed", key, chat_id)
            result = SendResult(UNCERTAIN, error=f"{type(exc).__name__}: {exc}")
        return result

    def _record(self, due: Due, result: SendResult, report: Report, *, quiet: bool = False) -> None:
        """Finish one claimed row; `quiet` for the other rows of a digest (the chat's state changes and the
        logs happen once, for its first row)."""
        now = self.clock()
        chat, key = due.chat_id, due.key
        if not quiet:  # a digest is one message however many rows it finishes
            REMINDERS.labels(outcome="sent" if result.outcome == OK else "failed").inc()
        if result.outcome == BLOCKED and quiet:
            self.book.finish(chat, key, FAILED, now, error=result.error)
            report.blocked += 1
            return
        if result.outcome == MOVED and quiet and result.new_chat_id is not None:  # the chat has moved already
            self.book.finish(result.new_chat_id, key, RETRY, now, error=result.error, retry_at=now, claimed_only=True)
            report.retry += 1
            return
        if result.outcome == OK:
            self.book.finish(chat, key, SENT, now, message_id=result.message_id)
            report.sent += 1
        elif result.outcome == BLOCKED:
            self.book.finish(chat, key, FAILED, now, error=result.error)
            self.book.deactivate(chat, result.error or "blocked", now)
            log.info("chat %s cannot be reached (%s): marked inactive, its reminders stop", chat, result.error)
            report.blocked += 1
        elif result.outcome == MOVED and result.new_chat_id is not None:
            self.book.move_chat(chat, result.new_chat_id, now)
            self.book.finish(result.new_chat_id, key, RETRY, now, error=result.error, retry_at=now, claimed_only=True)
            report.retry += 1
        elif result.outcome in (FLOOD, TRANSIENT):
            attempts = due.attempts + 1
            if attempts >= self.max_attempts:
                self.book.finish(chat, key, FAILED, now, error=f"{result.error} (after {attempts} attempts)")
                report.failed += 1
            else:
                wait = max(self.retry_base * 2 ** (attempts - 1), timedelta(seconds=result.retry_after))
                self.book.finish(chat, key, RETRY, now, error=result.error, retry_at=now + wait)
                report.retry += 1
        elif result.outcome == UNCERTAIN:
            self.book.finish(chat, key, UNCONFIRMED, now, error=result.error)
            log.warning("reminder %s to chat %s may or may not have arrived (%s): not repeated", key, chat, result.error)
            report.unconfirmed += 1
        else:
            self.book.finish(chat, key, FAILED, now, error=result.error)
            log.warning("reminder %s to chat %s was refused: %s", key, chat, result.error)
            report.failed += 1


# ---- Telegram ------------------------------------------------------------------------------------
