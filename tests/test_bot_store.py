"""The SQLite store: migrations once each, WAL, hashed ids, the question log and feedback as dataclasses."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.store import MIGRATIONS, LoggedQuestion, Store, UnknownQuestion

T0 = datetime(2021, 3, 1, 9, 0, tzinfo=timezone.utc)


def test_a_fresh_database_applies_every_migration_in_order(store):
    assert store.migrations() == [m.__name__ for m in MIGRATIONS]
    assert {"questions", "feedback", "_sqlite_migrations", "meta"} <= set(store.db.table_names())


def test_reopening_a_file_database_applies_nothing_twice_and_keeps_rows_and_salt(tmp_path):
    path = tmp_path / "sub" / "bot.sqlite3"
    first = Store.open(path)
    logged = first.log_question(42, "学前教育", [11, 28], True, "nmg-edu-2021", T0)
    hashed = first.hash_id(42)
    first.close()
    again = Store.open(path)
    assert again.migrations() == [m.__name__ for m in MIGRATIONS]
    assert again.question(logged.id) == logged
    assert again.hash_id(42) == hashed
    again.close()


def test_file_databases_use_write_ahead_logging(tmp_path):
    s = Store.open(tmp_path / "bot.sqlite3")
    assert s.db.journal_mode == "wal"
    s.close()


def test_a_question_is_logged_with_a_salted_hash_of_the_chat_never_the_id(store):
    logged = store.log_question(123456789, "高校毕业生就业", [15, 28, 26], True, "nmg-edu-2021", T0)
    assert isinstance(logged, LoggedQuestion)
    assert logged.asked_at == T0 and logged.items == (15, 28, 26) and logged.answered is True
    assert logged.chat == store.hash_id(123456789) and "123456789" not in logged.chat
    assert store.hash_id(123456789) != store.hash_id(123456780)
    raw = store.db.execute("select * from questions").fetchall()
    assert "123456789" not in repr(raw)


def test_salts_differ_between_databases(tmp_path):
    a, b = Store.open(), Store.open()
    assert a.hash_id(1) != b.hash_id(1)


def test_recent_questions_are_newest_first(store):
    for i, q in enumerate(["一", "二", "三"]):
        store.log_question(1, q, [], False, "p", T0 + timedelta(minutes=i))
    assert [q.question for q in store.recent_questions(2)] == ["三", "二"]
    assert store.question_count() == 3


def test_feedback_is_one_vote_per_person_per_question_and_can_change(store):
    q = store.log_question(1, "学前教育", [11], True, "p", T0)
    store.record_feedback(q.id, 7, 1, T0)
    store.record_feedback(q.id, 8, 1, T0)
    store.record_feedback(q.id, 7, -1, T0 + timedelta(seconds=5))
    votes = {f.voter: f.vote for f in store.feedback(q.id)}
    assert votes == {store.hash_id(7): -1, store.hash_id(8): 1}


def test_feedback_on_an_unknown_question_or_with_a_bad_vote_is_refused(store):
    with pytest.raises(UnknownQuestion):
        store.record_feedback(999, 7, 1, T0)
    q = store.log_question(1, "学前教育", [11], True, "p", T0)
    with pytest.raises(ValueError):
        store.record_feedback(q.id, 7, 2, T0)


def test_the_connection_refuses_use_from_another_thread(store):
    errors = []

    def use() -> None:
        try:
            store.question_count()
        except sqlite3.ProgrammingError as exc:
            errors.append(exc)

    t = threading.Thread(target=use)
    t.start()
    t.join()
    assert errors and "thread" in str(errors[0])
