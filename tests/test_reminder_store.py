"""The reminder tables: new named migrations after the old ones, real chat ids only for chats that
use reminders, one delivery row per (chat, key) — the claim that makes every send happen at most once."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta, timezone

import pytest

from bot.reminders.store import (
    ALL,
    DEADLINE,
    DEFAULT_AT,
    DEFAULT_LEADS,
    ITEM,
    SECTION,
    SENDING,
    SENT,
    UNCONFIRMED,
    Claim,
    ReminderStore,
)
from bot.store import MIGRATIONS, Store, StoreError

T0 = datetime(2027, 1, 1, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def book(store) -> ReminderStore:
    return store.reminders


def claim(chat: int, key: str = "d:p:1:2027-03-31:7") -> Claim:
    return Claim(chat, key, DEADLINE, "p", 1, date(2027, 3, 31), 7, T0)


def test_reminder_tables_come_from_named_migrations_after_the_existing_ones(store):
    names = store.migrations()
    assert names[:3] == ["m001_questions", "m002_feedback", "m003_salt"]
    assert names[3:7] == ["m004_chats", "m005_subscriptions", "m006_personal_reminders", "m007_deliveries"]
    assert names == [m.__name__ for m in MIGRATIONS]
    assert {"chats", "subscriptions", "personal_reminders", "deliveries"} <= set(store.db.table_names())


def test_an_old_database_is_upgraded_once_in_wal_mode_keeping_its_rows(tmp_path):
    path = tmp_path / "bot.sqlite3"
    old = sqlite3.connect(path)
    old.close()
    first = Store.open(path)
    first.db.execute("delete from _sqlite_migrations where name >= 'm004'")  # as if made by the code before reminders
    for table in ("deliveries", "personal_reminders", "subscriptions", "chats", "question_days", "inbox", "taught"):
        first.db[table].drop()
    first.log_question(1, "学前教育", [11], True, "p", T0)
    first.close()
    again = Store.open(path)
    assert again.db.journal_mode == "wal"
    assert again.migrations() == [m.__name__ for m in MIGRATIONS]
    assert again.question_count() == 1
    again.close()


def test_subscriptions_store_the_real_chat_id_with_default_settings(book):
    sub, new = book.subscribe(123456789, "p", ITEM, 15, T0)
    assert new and (sub.chat_id, sub.plan, sub.scope, sub.number, sub.created_at) == (123456789, "p", ITEM, 15, T0)
    assert book.subscribe(123456789, "p", ITEM, 15, T0 + timedelta(days=1)) == (sub, False)  # kept, not renewed
    chat = book.chat(123456789)
    assert chat.active and chat.leads == DEFAULT_LEADS == (7, 1) and chat.at == DEFAULT_AT == time(9) and not chat.custom
    book.subscribe(123456789, "ignored", ALL, 99, T0)
    book.subscribe(123456789, "p", SECTION, 3, T0)
    assert [(s.scope, s.plan, s.number) for s in book.subscriptions(123456789)] == \
        [(ALL, "", 0), (SECTION, "p", 3), (ITEM, "p", 15)]


def test_a_chat_is_forgotten_when_nothing_is_left_to_remind_it_of(book):
    book.subscribe(5, "p", ITEM, 15, T0)
    r = book.add_reminder(5, "p", 15, date(2027, 2, 1), time(9), T0 + timedelta(days=31), T0 + timedelta(days=32), "", T0)
    assert book.unsubscribe(5, "p", ITEM, 15) and not book.unsubscribe(5, "p", ITEM, 15)
    assert not book.forget_chat_if_idle(5, T0)  # a personal reminder is pending
    assert book.cancel_reminder(5, r.id, T0) and not book.cancel_reminder(5, r.id, T0)
    assert book.forget_chat_if_idle(5, T0)
    assert book.chat(5) is None
    assert all(book.db[t].count == 0 for t in ("chats", "subscriptions", "personal_reminders", "deliveries"))


def test_settings_default_to_null_and_a_blocked_chat_is_reactivated(book):
    book.set_settings(7, (3, 1), time(8, 30), T0)
    assert book.chat(7).custom and book.chat(7).leads == (3, 1)
    assert book.db.execute("select lead_days, remind_at from chats").fetchone() == ("[3, 1]", "08:30")
    book.set_settings(7, DEFAULT_LEADS, DEFAULT_AT, T0)
    assert book.db.execute("select lead_days, remind_at from chats").fetchone() == (None, None)
    book.deactivate(7, "Forbidden: bot was blocked by the user", T0)
    assert not book.chat(7).active
    assert book.reactivate(7, T0) and book.chat(7).active and not book.reactivate(7, T0)


def test_a_delivery_is_claimed_once_and_a_retry_reclaims_it(book):
    book.subscribe(1, "p", ITEM, 1, T0)
    assert book.claim(claim(1), T0)
    assert not book.claim(claim(1), T0)  # the unique (chat, key): never a second send
    (d,) = book.deliveries(1)
    assert (d.state, d.attempts, d.claimed_at) == (SENDING, 1, T0)
    book.finish(1, d.key, "retry", T0, error="Bad Gateway", retry_at=T0 + timedelta(minutes=1))
    assert book.claim(claim(1), T0 + timedelta(minutes=1))
    (d,) = book.deliveries(1)
    assert (d.state, d.attempts) == (SENDING, 2)
    book.finish(1, d.key, SENT, T0, message_id=42)
    assert not book.claim(claim(1), T0)
    assert book.deliveries(1)[0].message_id == 42


def test_claims_left_sending_by_a_dead_process_become_unconfirmed(book):
    book.subscribe(1, "p", ITEM, 1, T0)
    book.claim(claim(1), T0)
    (left,) = book.release_unfinished(T0 + timedelta(minutes=5))
    assert left.state == SENDING
    (d,) = book.deliveries(1)
    assert d.state == UNCONFIRMED and "stopped between claiming and recording" in d.error
    assert not book.claim(claim(1), T0)  # and never sent again


def test_a_group_that_became_a_supergroup_keeps_its_subscriptions(tmp_path):
    s = Store.open(tmp_path / "bot.sqlite3")  # a file database: foreign keys enforced
    s.reminders.subscribe(-100, "p", ITEM, 15, T0)
    s.reminders.claim(claim(-100), T0)
    s.reminders.move_chat(-100, -1001234, T0)
    assert s.reminders.chat(-100) is None and s.reminders.chat(-1001234) is not None
    assert [x.chat_id for x in s.reminders.subscriptions(-1001234)] == [-1001234]
    assert [d.chat_id for d in s.reminders.deliveries()] == [-1001234]
    s.close()


def test_a_dry_run_opens_the_database_read_only(tmp_path):
    path = tmp_path / "bot.sqlite3"
    with pytest.raises(StoreError, match="no database"):
        Store.open_readonly(path)
    Store.open(path).close()
    ro = Store.open_readonly(path)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro.reminders.subscribe(1, "p", ITEM, 1, T0)
    ro.close()
    old = Store.open(path)
    old.db.execute("delete from _sqlite_migrations where name >= 'm004'")  # as if made by the code before reminders
    old.close()
    with pytest.raises(StoreError, match="lacks m004_chats, .*: start the bot once to upgrade it"):
        Store.open_readonly(path)
