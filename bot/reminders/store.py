"""Reminder bookkeeping in the bot's SQLite database: chats, subscriptions, personal reminders, deliveries.

Unlike the question log, these tables hold the real chat id: a reminder has to be sent to it. Only
chats that subscribe, set a reminder or change their lead times get a row, and `/unsubscribe all`
with no personal reminder left and default /lead settings deletes it again (`forget_chat_if_idle`;
delivery rows of dates not yet over stay, so a resubscription cannot resend a reminder).

A delivery row exists per (chat, key) — the key names a deadline and a lead time (`d:<uid>:7`) or a
personal reminder (`r:12`) — so a reminder is sent at most once. Its state moves
claimed `sending` → `sent`, or → `retry` (certainly not delivered; tried again later, a bounded
number of times) / `failed` / `unconfirmed` (the send may or may not have reached Telegram; never
repeated), and `skipped` for reminders that fell due while the bot was down and can no longer be sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable

import sqlite_utils

# Scopes of a subscription: every plan (now and added later), a section of a plan, an item of a plan.
ALL, SECTION, ITEM = "all", "section", "item"
SCOPES = (ALL, SECTION, ITEM)  # narrowest last
ANY_PLAN = ""

DEFAULT_LEADS: tuple[int, ...] = (7, 1)
DEFAULT_AT = time(9, 0)

# Delivery kinds and states.
DEADLINE, PERSONAL = "deadline", "personal"
SENDING, SENT, RETRY, FAILED, UNCONFIRMED, SKIPPED = "sending", "sent", "retry", "failed", "unconfirmed", "skipped"
CHECKED_AT = "reminders_checked_at"


def iso(moment: datetime) -> str:
    """An aware datetime as stored: UTC ISO 8601 with milliseconds (sorts as text)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# ---- migrations (appended to bot.store.MIGRATIONS) ---------------------------------------------
def m004_chats(db: sqlite_utils.Database) -> None:
    """Chats that use reminders: the real chat id, whether it can be sent to, its lead days and time."""
    db.table("chats").create(
        {"chat_id": int, "active": int, "lead_days": str, "remind_at": str, "created_at": str,
         "updated_at": str, "inactive_since": str, "inactive_reason": str},
        pk="chat_id", not_null={"active", "created_at", "updated_at"}, defaults={"active": 1},
    )


def m005_subscriptions(db: sqlite_utils.Database) -> None:
    """Which items, sections or whole plans a chat follows."""
    db.table("subscriptions").create(
        {"chat_id": int, "plan": str, "scope": str, "number": int, "created_at": str},
        pk=("chat_id", "plan", "scope", "number"), foreign_keys=[("chat_id", "chats", "chat_id")],
        not_null={"created_at"},
    )
    db.table("subscriptions").create_index(["scope", "plan", "number"])


def m006_personal_reminders(db: sqlite_utils.Database) -> None:
    """Reminders a chat set for an item on a day of its choosing."""
    db.table("personal_reminders").create(
        {"id": int, "chat_id": int, "plan": str, "item": int, "local_date": str, "local_time": str,
         "due_at": str, "expires_at": str, "note": str, "created_at": str, "cancelled_at": str},
        pk="id", foreign_keys=[("chat_id", "chats", "chat_id")],
        not_null={"chat_id", "plan", "item", "local_date", "local_time", "due_at", "expires_at", "created_at"},
    )
    db.table("personal_reminders").create_index(["due_at"])
    db.table("personal_reminders").create_index(["chat_id"])


def m007_deliveries(db: sqlite_utils.Database) -> None:
    """One row per reminder sent (or being sent, or given up): the unique key makes sends at most once."""
    db.table("deliveries").create(
        {"chat_id": int, "key": str, "kind": str, "plan": str, "item": int, "deadline": str, "lead": int,
         "due_at": str, "state": str, "attempts": int, "next_attempt_at": str, "claimed_at": str,
         "finished_at": str, "message_id": int, "error": str},
        pk=("chat_id", "key"), not_null={"kind", "state", "attempts", "due_at"},
    )
    db.table("deliveries").create_index(["state"])
    db.table("deliveries").create_index(["key"])


MIGRATIONS = (m004_chats, m005_subscriptions, m006_personal_reminders, m007_deliveries)


# ---- domain objects ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chat:
    """A chat that uses reminders: its id, whether messages reach it, its lead days and local time."""

    chat_id: int
    active: bool
    leads: tuple[int, ...]
    at: time
    custom: bool  # lead days or time set with /lead


@dataclass(frozen=True)
class Subscription:
    """A chat follows an item (`item`, plan, number), a section (`section`, plan, number) or `all`."""

    chat_id: int
    plan: str
    scope: str
    number: int
    created_at: datetime


@dataclass(frozen=True)
class PersonalReminder:
    """`/remind 15 2026-12-01 09:30 note`: an item, a local day and time, and when that is in UTC."""

    id: int
    chat_id: int
    plan: str
    item: int
    local_date: date
    local_time: time
    due_at: datetime
    expires_at: datetime  # the end of the local day: a reminder is never sent later
    note: str
    created_at: datetime
    cancelled_at: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    """The record of one reminder to one chat."""

    chat_id: int
    key: str
    kind: str
    plan: str
    item: int
    deadline: date | None
    lead: int | None
    due_at: datetime
    state: str
    attempts: int
    next_attempt_at: datetime | None
    claimed_at: datetime | None
    finished_at: datetime | None
    message_id: int | None
    error: str


@dataclass(frozen=True)
class Claim:
    """What a delivery row is created with when a reminder is about to be sent."""

    chat_id: int
    key: str
    kind: str
    plan: str
    item: int
    deadline: date | None
    lead: int | None
    due_at: datetime


def _leads(raw: str | None) -> tuple[int, ...]:
    return tuple(json.loads(raw)) if raw else DEFAULT_LEADS


def _at(raw: str | None) -> time:
    return time.fromisoformat(raw) if raw else DEFAULT_AT


def settings_of(lead_days: str | None, remind_at: str | None) -> tuple[tuple[int, ...], time]:
    """Stored settings (NULL = the default) → lead days and local time."""
    return _leads(lead_days), _at(remind_at)


def _chat(row: dict) -> Chat:
    return Chat(int(row["chat_id"]), bool(row["active"]), _leads(row["lead_days"]), _at(row["remind_at"]),
                bool(row["lead_days"] or row["remind_at"]))


def _subscription(row: dict) -> Subscription:
    return Subscription(int(row["chat_id"]), row["plan"], row["scope"], int(row["number"]),
                        datetime.fromisoformat(row["created_at"]))


def _reminder(row: dict) -> PersonalReminder:
    return PersonalReminder(
        id=int(row["id"]), chat_id=int(row["chat_id"]), plan=row["plan"], item=int(row["item"]),
        local_date=date.fromisoformat(row["local_date"]), local_time=time.fromisoformat(row["local_time"]),
        due_at=datetime.fromisoformat(row["due_at"]), expires_at=datetime.fromisoformat(row["expires_at"]),
        note=row["note"] or "", created_at=datetime.fromisoformat(row["created_at"]),
        cancelled_at=_dt(row["cancelled_at"]),
    )


def _delivery(row: dict) -> Delivery:
    return Delivery(
        chat_id=int(row["chat_id"]), key=row["key"], kind=row["kind"], plan=row["plan"] or "",
        item=int(row["item"] or 0), deadline=date.fromisoformat(row["deadline"]) if row["deadline"] else None,
        lead=row["lead"], due_at=datetime.fromisoformat(row["due_at"]), state=row["state"],
        attempts=int(row["attempts"]), next_attempt_at=_dt(row["next_attempt_at"]),
        claimed_at=_dt(row["claimed_at"]), finished_at=_dt(row["finished_at"]),
        message_id=row["message_id"], error=row["error"] or "",
    )


class ReminderStore:
    """Queries and updates of the reminder tables; shares the `Store`'s connection (and its thread)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    # ---- chats --------------------------------------------------------------------------------
    def chat(self, chat_id: int) -> Chat | None:
        """The chat's reminder settings, or None if it never used reminders."""
        rows = list(self.db.query("select * from chats where chat_id = ?", [chat_id]))
        return _chat(rows[0]) if rows else None

    def ensure_chat(self, chat_id: int, now: datetime) -> Chat:
        """The chat's row, created with default settings if needed; an inactive chat is active again."""
        self.db.execute(
            "insert into chats (chat_id, active, created_at, updated_at) values (?, 1, ?, ?) "
            "on conflict (chat_id) do update set active = 1, inactive_since = null, inactive_reason = null, "
            "updated_at = excluded.updated_at where active = 0",
            [chat_id, iso(now), iso(now)],
        )
        chat = self.chat(chat_id)
        assert chat is not None
        return chat

    def reactivate(self, chat_id: int, now: datetime) -> bool:
        """A chat that had blocked the bot wrote to it again: send its reminders again. True if it changed."""
        cur = self.db.execute(
            "update chats set active = 1, inactive_since = null, inactive_reason = null, updated_at = ? "
            "where chat_id = ? and active = 0", [iso(now), chat_id])
        return cur.rowcount > 0

    def deactivate(self, chat_id: int, reason: str, now: datetime) -> None:
        """Stop sending to a chat (it blocked the bot, or it no longer exists)."""
        self.db.execute("update chats set active = 0, inactive_since = ?, inactive_reason = ?, updated_at = ? "
                        "where chat_id = ?", [iso(now), reason, iso(now), chat_id])

    def set_settings(self, chat_id: int, leads: tuple[int, ...], at: time, now: datetime) -> Chat:
        """Store a chat's lead days and local time (the defaults are stored as NULL)."""
        self.ensure_chat(chat_id, now)
        lead_days = None if leads == DEFAULT_LEADS else json.dumps(list(leads))
        remind_at = None if at == DEFAULT_AT else at.strftime("%H:%M")
        self.db.execute("update chats set lead_days = ?, remind_at = ?, updated_at = ? where chat_id = ?",
                        [lead_days, remind_at, iso(now), chat_id])
        chat = self.chat(chat_id)
        assert chat is not None
        return chat

    def move_chat(self, old: int, new: int, now: datetime) -> None:
        """A group became a supergroup with a new id: carry its settings, subscriptions and reminders over.
        If the supergroup already uses reminders, the group's subscriptions, reminders and delivery rows
        are merged into it (what the supergroup already has wins) and the group's row is deleted."""
        if self.chat(old) is None or old == new:
            return
        with self.db.atomic():
            self.db.execute("PRAGMA defer_foreign_keys = ON")  # children follow within this transaction
            if self.chat(new) is None:
                self.db.execute("update chats set chat_id = ?, updated_at = ? where chat_id = ?", [new, iso(now), old])
                for table in ("subscriptions", "personal_reminders", "deliveries"):
                    self.db.execute(f"update {table} set chat_id = ? where chat_id = ?", [new, old])
                return
            self.db.execute("insert or ignore into subscriptions (chat_id, plan, scope, number, created_at) "
                            "select ?, plan, scope, number, created_at from subscriptions where chat_id = ?", [new, old])
            self.db.execute("update personal_reminders set chat_id = ? where chat_id = ?", [new, old])
            cols = ("key, kind, plan, item, deadline, lead, due_at, state, attempts, next_attempt_at, claimed_at, "
                    "finished_at, message_id, error")
            self.db.execute(f"insert or ignore into deliveries (chat_id, {cols}) select ?, {cols} from deliveries "
                            "where chat_id = ?", [new, old])
            for table in ("subscriptions", "deliveries", "chats"):
                self.db.execute(f"delete from {table} where chat_id = ?", [old])
            self.db.execute("update chats set updated_at = ? where chat_id = ?", [iso(now), new])

    def forget_chat_if_idle(self, chat_id: int, now: datetime, today: date | None = None) -> bool:
        """After `/unsubscribe all`: delete the chat's row (its real id, its settings), subscriptions and
        reminders when it has no subscription, no pending reminder and default /lead settings.
        Delivery rows of deadlines not yet over (local `today` or later; without `today`, any from the
        day before `now` on) are kept, so a resubscription cannot send a reminder a second time."""
        chat = self.chat(chat_id)
        if chat is None or chat.custom:
            return False
        busy = self.db.execute(
            "select (select count(*) from subscriptions where chat_id = :c) + "
            "(select count(*) from personal_reminders where chat_id = :c and cancelled_at is null "
            " and expires_at > :now and not exists (select 1 from deliveries d where d.chat_id = :c "
            " and d.key = 'r:' || personal_reminders.id))",
            {"c": chat_id, "now": iso(now)}).fetchone()[0]
        if busy:
            return False
        keep_from = (today or (now.astimezone(timezone.utc).date() - timedelta(days=1))).isoformat()
        with self.db.atomic():
            self.db.execute("delete from deliveries where chat_id = ? and (kind != 'deadline' or deadline < ?)",
                            [chat_id, keep_from])
            for table in ("personal_reminders", "subscriptions", "chats"):
                self.db.execute(f"delete from {table} where chat_id = ?", [chat_id])
        return True

    def settings_in_use(self) -> list[tuple[str | None, str | None]]:
        """The distinct stored (lead_days, remind_at) pairs of active chats that have subscriptions."""
        return [(r["lead_days"], r["remind_at"]) for r in self.db.query(
            "select distinct lead_days, remind_at from chats c where active = 1 "
            "and exists (select 1 from subscriptions s where s.chat_id = c.chat_id)")]

    # ---- subscriptions ------------------------------------------------------------------------
    def subscribe(self, chat_id: int, plan: str, scope: str, number: int, now: datetime) -> tuple[Subscription, bool]:
        """Follow an item, a section or everything; the subscription and whether it is new."""
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        plan, number = (ANY_PLAN, 0) if scope == ALL else (plan, number)
        with self.db.atomic():
            self.ensure_chat(chat_id, now)
            cur = self.db.execute(
                "insert or ignore into subscriptions (chat_id, plan, scope, number, created_at) values (?, ?, ?, ?, ?)",
                [chat_id, plan, scope, number, iso(now)])
        row = next(self.db.query("select * from subscriptions where chat_id = ? and plan = ? and scope = ? and number = ?",
                                 [chat_id, plan, scope, number]))
        return _subscription(row), cur.rowcount > 0

    def unsubscribe(self, chat_id: int, plan: str, scope: str, number: int) -> bool:
        """Stop following one thing; True if the chat followed it."""
        plan, number = (ANY_PLAN, 0) if scope == ALL else (plan, number)
        cur = self.db.execute("delete from subscriptions where chat_id = ? and plan = ? and scope = ? and number = ?",
                              [chat_id, plan, scope, number])
        return cur.rowcount > 0

    def unsubscribe_everything(self, chat_id: int) -> int:
        """Stop following anything; how many subscriptions there were."""
        return self.db.execute("delete from subscriptions where chat_id = ?", [chat_id]).rowcount

    def subscriptions(self, chat_id: int) -> list[Subscription]:
        """The chat's subscriptions: everything first, then sections, then items."""
        rows = self.db.query("select * from subscriptions where chat_id = ? order by "
                             "case scope when 'all' then 0 when 'section' then 1 else 2 end, plan, number", [chat_id])
        return [_subscription(r) for r in rows]

    def covering(self, plan: str, item: int, section: int, leads: str | None, at: str | None,
                 key: str, now: datetime, deadline: date, lead: int) -> list[tuple[int, list[Subscription], int]]:
        """Active chats with these settings that follow this item (directly, by section or all), have no
        delivery row for `key` (or one due for a retry) and were not already reminded of this date at a
        shorter lead time (after a /lead change): (chat, its covering subscriptions, attempts)."""
        rows = self.db.query(
            "select s.*, coalesce(d.attempts, 0) as attempts from chats c "
            "join subscriptions s on s.chat_id = c.chat_id "
            "left join deliveries d on d.chat_id = c.chat_id and d.key = :key "
            "where c.active = 1 and c.lead_days is :leads and c.remind_at is :at "
            "and (s.scope = 'all' or (s.plan = :plan and ((s.scope = 'item' and s.number = :item) "
            "     or (s.scope = 'section' and s.number = :section)))) "
            "and (d.chat_id is null or (d.state = 'retry' and d.next_attempt_at <= :now)) "
            "and not exists (select 1 from deliveries e where e.chat_id = c.chat_id and e.kind = 'deadline' "
            "    and e.plan = :plan and e.item = :item and e.deadline = :deadline and e.lead < :lead) "
            "order by c.chat_id",
            {"key": key, "leads": leads, "at": at, "plan": plan, "item": item, "section": section, "now": iso(now),
             "deadline": deadline.isoformat(), "lead": lead})
        out: dict[int, tuple[list[Subscription], int]] = {}
        for r in rows:
            subs, _ = out.setdefault(int(r["chat_id"]), ([], int(r["attempts"])))
            subs.append(_subscription(r))
        return [(chat, subs, attempts) for chat, (subs, attempts) in out.items()]

    def followed_items(self) -> list[tuple[str, str, int]]:
        """Distinct (plan, scope, number) followed by active chats."""
        return [(r["plan"], r["scope"], int(r["number"])) for r in self.db.query(
            "select distinct s.plan, s.scope, s.number from subscriptions s join chats c on c.chat_id = s.chat_id "
            "where c.active = 1")]

    # ---- personal reminders -------------------------------------------------------------------
    def add_reminder(self, chat_id: int, plan: str, item: int, local_date: date, local_time: time,
                     due_at: datetime, expires_at: datetime, note: str, now: datetime) -> PersonalReminder:
        """Record a personal reminder."""
        with self.db.atomic():
            self.ensure_chat(chat_id, now)
            rid = self.db.table("personal_reminders").insert({
                "chat_id": chat_id, "plan": plan, "item": item, "local_date": local_date.isoformat(),
                "local_time": local_time.strftime("%H:%M"), "due_at": iso(due_at), "expires_at": iso(expires_at),
                "note": note, "created_at": iso(now), "cancelled_at": None,
            }).last_pk
        assert rid is not None  # the insert just made gave the row its id
        return self.reminder(int(rid))

    def reminder(self, reminder_id: int) -> PersonalReminder:
        """A personal reminder by id; KeyError if there is none."""
        rows = list(self.db.query("select * from personal_reminders where id = ?", [reminder_id]))
        if not rows:
            raise KeyError(reminder_id)
        return _reminder(rows[0])

    def pending_reminders(self, chat_id: int, now: datetime) -> list[PersonalReminder]:
        """The chat's reminders not cancelled, not sent and not yet past, soonest first."""
        rows = self.db.query(
            "select r.* from personal_reminders r where r.chat_id = ? and r.cancelled_at is null "
            "and r.expires_at > ? and not exists (select 1 from deliveries d where d.chat_id = r.chat_id "
            "and d.key = 'r:' || r.id and d.state != 'retry') order by r.due_at, r.id", [chat_id, iso(now)])
        return [_reminder(r) for r in rows]

    def cancel_reminder(self, chat_id: int, reminder_id: int, now: datetime) -> bool:
        """Cancel one of the chat's pending reminders; False if it has no such reminder."""
        cur = self.db.execute("update personal_reminders set cancelled_at = ? where id = ? and chat_id = ? "
                              "and cancelled_at is null", [iso(now), reminder_id, chat_id])
        return cur.rowcount > 0

    def due_reminders(self, now: datetime) -> list[tuple[PersonalReminder, int]]:
        """Personal reminders of active chats due at `now` and not past their day, unsent (or due for a
        retry): (reminder, attempts so far)."""
        rows = self.db.query(
            "select r.*, coalesce(d.attempts, 0) as attempts from personal_reminders r "
            "join chats c on c.chat_id = r.chat_id "
            "left join deliveries d on d.chat_id = r.chat_id and d.key = 'r:' || r.id "
            "where c.active = 1 and r.cancelled_at is null and r.due_at <= :now and r.expires_at > :now "
            "and (d.chat_id is null or (d.state = 'retry' and d.next_attempt_at <= :now)) "
            "order by r.due_at, r.id", {"now": iso(now)})
        return [(_reminder(r), int(r["attempts"])) for r in rows]

    def missed_reminders(self, since: datetime, now: datetime) -> list[PersonalReminder]:
        """Personal reminders whose day ended in (since, now] without a delivery row (the bot was down)."""
        rows = self.db.query(
            "select r.* from personal_reminders r join chats c on c.chat_id = r.chat_id "
            "where c.active = 1 and r.cancelled_at is null and r.expires_at > ? and r.expires_at <= ? "
            "and not exists (select 1 from deliveries d where d.chat_id = r.chat_id and d.key = 'r:' || r.id)",
            [iso(since), iso(now)])
        return [_reminder(r) for r in rows]

    def next_reminder_at(self, after: datetime) -> datetime | None:
        """The earliest due time after `after` of a pending personal reminder of an active chat."""
        row = self.db.execute(
            "select min(r.due_at) from personal_reminders r join chats c on c.chat_id = r.chat_id "
            "where c.active = 1 and r.cancelled_at is null and r.due_at > ?", [iso(after)]).fetchone()
        return _dt(row[0])

    # ---- deliveries ---------------------------------------------------------------------------
    def claim(self, claim: Claim, now: datetime, skipped: Iterable[Claim] = ()) -> bool:
        """Record, before sending, that this reminder is being sent (committed at once). False if another
        attempt holds it already. Earlier leads of the same deadline that were missed are marked skipped."""
        with self.db.atomic():
            cur = self.db.execute(
                "insert into deliveries (chat_id, key, kind, plan, item, deadline, lead, due_at, state, attempts, "
                "claimed_at, error) values (?, ?, ?, ?, ?, ?, ?, ?, 'sending', 1, ?, '') "
                "on conflict (chat_id, key) do update set state = 'sending', attempts = attempts + 1, "
                "claimed_at = excluded.claimed_at, next_attempt_at = null where state = 'retry'",
                [*_claim_row(claim), iso(now)])
            if cur.rowcount and skipped:
                self.db.conn.executemany(
                    "insert or ignore into deliveries (chat_id, key, kind, plan, item, deadline, lead, due_at, state, "
                    "attempts, finished_at, error) values (?, ?, ?, ?, ?, ?, ?, ?, 'skipped', 0, ?, ?)",
                    [[*_claim_row(s), iso(now), "a later lead time was due already"] for s in skipped])
        return cur.rowcount > 0

    def skip(self, claims: Iterable[Claim], reason: str, now: datetime) -> int:
        """Record reminders that will never be sent (their deadline passed while the bot was down)."""
        with self.db.atomic():
            cur = self.db.conn.executemany(
                "insert or ignore into deliveries (chat_id, key, kind, plan, item, deadline, lead, due_at, state, "
                "attempts, finished_at, error) values (?, ?, ?, ?, ?, ?, ?, ?, 'skipped', 0, ?, ?)",
                [[*_claim_row(c), iso(now), reason] for c in claims])
        return cur.rowcount

    def finish(self, chat_id: int, key: str, state: str, now: datetime, *, message_id: int | None = None,
               error: str = "", retry_at: datetime | None = None, claimed_only: bool = False) -> None:
        """Record how a claimed send ended: sent, retry (at `retry_at`), failed or unconfirmed
        (`claimed_only`: only if the row is still `sending` — not a row another send already finished)."""
        self.db.execute(
            "update deliveries set state = ?, finished_at = ?, message_id = ?, error = ?, next_attempt_at = ? "
            "where chat_id = ? and key = ?" + (" and state = 'sending'" if claimed_only else ""),
            [state, iso(now), message_id, error, iso(retry_at) if retry_at else None, chat_id, key])

    def release_unfinished(self, now: datetime) -> list[Delivery]:
        """At start-up: claims a previous process left in `sending` become `unconfirmed` (never resent)."""
        rows = [_delivery(r) for r in self.db.query("select * from deliveries where state = 'sending'")]
        if rows:
            self.db.execute("update deliveries set state = 'unconfirmed', finished_at = ?, "
                            "error = 'the process stopped between claiming and recording this send' "
                            "where state = 'sending'", [iso(now)])
        return rows

    def expire_retries(self, now: datetime, today: date) -> int:
        """Retries whose deadline (before local `today`) or reminder day has passed are given up."""
        return self.db.execute(
            "update deliveries set state = 'failed', finished_at = :now, error = error || ' (gave up: too late)' "
            "where state = 'retry' and ((kind = 'deadline' and deadline < :today) or (kind = 'personal' and "
            "exists (select 1 from personal_reminders r where 'r:' || r.id = deliveries.key and r.expires_at <= :now)))",
            {"now": iso(now), "today": today.isoformat()}).rowcount

    def next_retry_at(self, after: datetime) -> datetime | None:
        """The earliest retry time after `after`."""
        row = self.db.execute("select min(next_attempt_at) from deliveries where state = 'retry' "
                              "and next_attempt_at > ?", [iso(after)]).fetchone()
        return _dt(row[0])

    def deliveries(self, chat_id: int | None = None, state: str | None = None) -> list[Delivery]:
        """Delivery rows, optionally of one chat and/or one state, in claim order."""
        where: list[str] = []
        args: list[int | str] = []
        if chat_id is not None:
            where.append("chat_id = ?")
            args.append(chat_id)
        if state is not None:
            where.append("state = ?")
            args.append(state)
        sql = "select * from deliveries" + (f" where {' and '.join(where)}" if where else "") + " order by rowid"
        return [_delivery(r) for r in self.db.query(sql, args)]

    def state_counts(self) -> dict[str, int]:
        """How many delivery rows are in each state."""
        return {r["state"]: r["n"] for r in self.db.query("select state, count(*) as n from deliveries group by state")}

    # ---- bookkeeping ----------------------------------------------------------------------------
    def checked_at(self) -> datetime | None:
        """When the last due check ran (to tell what fell due while the bot was down)."""
        rows = list(self.db.query("select value from meta where key = ?", [CHECKED_AT]))
        return _dt(rows[0]["value"]) if rows else None

    def set_checked_at(self, moment: datetime) -> None:
        """Remember the time of this due check."""
        self.db.execute("insert into meta (key, value) values (?, ?) on conflict (key) do update set value = excluded.value",
                        [CHECKED_AT, iso(moment)])


def _claim_row(c: Claim) -> list[object]:
    return [c.chat_id, c.key, c.kind, c.plan, c.item, c.deadline.isoformat() if c.deadline else None, c.lead,
            iso(c.due_at)]
