"""No command lost to a crash: every fetched update is stored before Telegram is told it arrived.

Long polling confirms a batch of updates by asking for the next one; PTB asks at once, while the batch
is still being handled, so a crash used to lose whatever was fetched but not yet handled. Here the
getUpdates request itself (`InboxRequest`) stores each update in the database's inbox before PTB sees
the response, so before the next getUpdates can confirm it. `InboxApplication` claims an update before
handling it and marks it done after; at start-up, `replay` queues what a previous process fetched but
did not finish. A copy Telegram sends again (a batch the crash left unconfirmed) finds its id already
claimed or done and is not handled twice. If the inbox cannot be written, updates are still handled
(at most once, as before), and the failure is logged once a minute.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.logic import ANSWERED
from bot.logs import Throttle
from bot.store import Store

log = logging.getLogger(__name__)

_failures = Throttle(60.0)


def _failed(what: str, exc: Exception) -> None:
    """Log an inbox failure, once a minute per kind."""
    held = _failures.allow(what)
    if held is not None:
        log.error("inbox: could not %s (%s: %s)%s; updates are still handled", what, type(exc).__name__, exc,
                  f", {held} more since" if held else "")


class InboxRequest(BaseRequest):
    """A request object that stores the updates of every getUpdates response before returning it."""

    def __init__(self, inner: BaseRequest, store: Store, clock: Callable[[], datetime]) -> None:
        self.inner, self.store, self.clock = inner, store, clock

    @property
    def read_timeout(self) -> float | None:
        """The inner request's read timeout."""
        return self.inner.read_timeout

    async def initialize(self) -> None:
        """Initialise the inner request."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Shut the inner request down."""
        await self.inner.shutdown()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None, connect_timeout: Any = None,
                         pool_timeout: Any = None) -> tuple[int, bytes]:
        """The inner request; a getUpdates answer's updates are stored first."""
        code, payload = await self.inner.do_request(url, method, request_data, read_timeout=read_timeout,
                                                    write_timeout=write_timeout, connect_timeout=connect_timeout,
                                                    pool_timeout=pool_timeout)
        if code == 200 and url.rstrip("/").endswith("/getUpdates"):
            try:
                updates = json.loads(payload).get("result") or []
                if updates:
                    self.store.inbox_add(updates, self.clock())
            except (sqlite3.Error, ValueError, AttributeError) as exc:
                _failed("store fetched updates", exc)
        return code, payload


class InboxApplication(Application):
    """An Application that handles each stored update once: claimed before, done after."""

    store: Store | None = None  # set by build_application
    deferred: set[int]  # updates whose reply was queued: done when it has been sent

    def defer(self, update_id: int) -> None:
        """The update's reply is queued: it is done when `finish` is called, not when its handler ends
        (a crash or a shut-down before the send leaves it to be handled again)."""
        self.deferred.add(update_id)

    def finish(self, update_id: int) -> None:
        """A deferred update's reply went out: it is done."""
        self.deferred.discard(update_id)
        self._done(update_id)

    def _done(self, update_id: int) -> None:
        if self.store is None:
            return
        try:
            self.store.inbox_done(update_id)
        except sqlite3.Error as exc:
            _failed("mark an update done", exc)

    async def process_update(self, update: object) -> None:
        """Handle the update unless it is being or has been handled already; one INFO line for it."""
        started, answered = time.perf_counter(), ANSWERED.set(None)
        try:
            await self._process_once(update)
        finally:
            if isinstance(update, Update) and self.store is not None:
                log_update(update, self.store, ANSWERED.get(), time.perf_counter() - started)
            ANSWERED.reset(answered)

    async def _process_once(self, update: object) -> None:
        store, update_id = self.store, getattr(update, "update_id", None)
        if store is None or not isinstance(update, Update) or update_id is None:
            await super().process_update(update)
            return
        try:
            if not store.inbox_claim(update_id):
                log.info("update %s was handled already: not handled again", update_id)
                return
        except sqlite3.Error as exc:
            _failed("claim an update", exc)
        try:
            await super().process_update(update)
        finally:
            if update_id not in self.deferred:
                self._done(update_id)


KINDS = ("message", "edited_message", "callback_query", "inline_query")
updates_log = logging.getLogger("bot.updates")


def log_update(update: Update, store: Store, answered: bool | None, seconds: float) -> None:
    """One structured line per update: channel, kind, chat type and hashed id, answered, latency —
    never a chat id in clear, never text."""
    kind = next((k for k in KINDS if getattr(update, k, None) is not None), "other")
    chat, user = update.effective_chat, update.effective_user
    who = chat.id if chat is not None else user.id if user is not None else None
    hashed = store.hash_id(who) if who is not None else "-"
    updates_log.info("channel=telegram kind=%s chat_type=%s chat=%s answered=%s latency_ms=%.1f", kind,
                     chat.type if chat is not None else "-", hashed, "-" if answered is None else str(answered).lower(),
                     1000 * seconds)


async def replay(application: Application, store: Store) -> int:
    """Queue the updates a previous process fetched but did not finish; how many."""
    try:
        pending = store.inbox_pending()
    except sqlite3.Error as exc:
        _failed("read the inbox", exc)
        return 0
    for body in pending:
        try:
            update = Update.de_json(body, application.bot)
        except (KeyError, TypeError, ValueError) as exc:  # a damaged row must not stop every start
            log.error("inbox: update %s cannot be read back (%s); skipped", body.get("update_id"), exc)
            store.inbox_done(int(body.get("update_id", -1)))
            continue
        await application.update_queue.put(update)
    if pending:
        log.info("inbox: %d updates fetched before the last stop are handled now", len(pending))
    return len(pending)
