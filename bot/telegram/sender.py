"""Reminders through Telegram: the sender that turns Bot API errors into send outcomes, and the
JobQueue jobs that run the due checks (bot/reminders/service.py holds the Telegram-free rest)."""

from __future__ import annotations

import time
import warnings
from datetime import timedelta

from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.reminders.service import (
    BLOCKED,
    CHECK_INTERVAL,
    DUE_CHECK_JOB,
    FLOOD,
    MOVED,
    OK,
    REJECTED,
    STARTUP_JOB,
    TRANSIENT,
    UNCERTAIN,
    ReminderService,
    SendResult,
)
from bot.replies import Reply
from bot.telegram.flood import safe_to_retry
from bot.telegram.keyboards import keyboard


class TelegramSender:
    """Sends through a python-telegram-bot Bot (and so through the application's rate limiter)."""

    def __init__(self, bot: object) -> None:
        self.bot = bot

    async def send(self, chat_id: int, reply: Reply) -> SendResult:
        """sendMessage; Telegram's errors become outcomes."""
        try:
            message = await self.bot.send_message(chat_id, reply.messages[0],  # type: ignore[attr-defined]
                                                  reply_markup=keyboard(reply.buttons))
        except Forbidden as exc:
            return SendResult(BLOCKED, error=str(exc))
        except ChatMigrated as exc:
            return SendResult(MOVED, error=str(exc), new_chat_id=exc.new_chat_id)
        except RetryAfter as exc:
            return SendResult(FLOOD, error=str(exc), retry_after=retry_after_seconds(exc))
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                return SendResult(BLOCKED, error=str(exc))
            return SendResult(REJECTED, error=str(exc))
        except TimedOut as exc:  # the request may have reached Telegram
            return SendResult(UNCERTAIN, error=f"timed out: {exc}")
        except NetworkError as exc:
            outcome = TRANSIENT if safe_to_retry("sendMessage", exc) else UNCERTAIN
            return SendResult(outcome, error=str(exc))
        except TelegramError as exc:
            return SendResult(REJECTED, error=str(exc))
        return SendResult(OK, message_id=message.message_id)


def retry_after_seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after in seconds (an int today, a timedelta with PTB_TIMEDELTA; no warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def due_check(context: object) -> None:
    """The JobQueue callback: start a fan-out unless one is running."""
    service: ReminderService = context.job.data  # type: ignore[attr-defined]
    service.kick()


def schedule_jobs(job_queue: object, service: ReminderService, *, interval: float = CHECK_INTERVAL) -> None:
    """(Re)create the two jobs — a check at start-up and one every `interval` s, on the minute —
    replacing any with the same names."""
    for name in (STARTUP_JOB, DUE_CHECK_JOB):
        for job in job_queue.get_jobs_by_name(name):  # type: ignore[attr-defined]
            job.schedule_removal()
    late_ok = {"misfire_grace_time": None, "coalesce": True}  # a busy loop delays a check; never drops it
    job_queue.run_once(due_check, 0, name=STARTUP_JOB, data=service, job_kwargs=late_ok)  # type: ignore[attr-defined]
    first = interval - time.time() % interval  # on the minute (wall clock), so checks run at hh:mm:00
    job_queue.run_repeating(due_check, interval, first=first, name=DUE_CHECK_JOB,  # type: ignore[attr-defined]
                            data=service, job_kwargs=late_ok)
