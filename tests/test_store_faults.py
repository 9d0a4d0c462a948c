"""Storage faults and privacy: a database that cannot be used stops the bot with one line naming
PLAN_BOT_DB; answering never waits on a write; the id-hashing key never lives in the database; the
files are private to their owner."""

from __future__ import annotations

import logging
import sqlite3
import stat
from pathlib import Path

import pytest

from bot.config import Settings
from bot.logic import Logic, Origin
from bot.render import HTML
from bot.store import LEGACY_SALT, Store, StoreError
from bot.telegram.app import EXIT_FAILED, run

ME = Origin(chat_id=5, user_id=5)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---- a database that cannot be used -----------------------------------------------------------

def test_a_folder_as_database_path_is_named_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=rf"PLAN_BOT_DB={tmp_path}: is a folder"):
        Store.open(tmp_path)


def test_a_database_path_under_a_file_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    with pytest.raises(StoreError, match="PLAN_BOT_DB=.*plain/bot.sqlite3: cannot create"):
        Store.open(tmp_path / "plain" / "bot.sqlite3")


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "bot.sqlite3"
    junk.write_bytes(b"this is not sqlite at all " * 200)
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        Store.open(junk)


def test_a_damaged_database_is_refused_by_its_quick_check(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = Store.open(path)
    for n in range(400):
        store.log_question(n, "学前教育" * 20, [11], True, "p", __import__("datetime").datetime.now())
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    raw = bytearray(path.read_bytes())
    page = 4096
    raw[3 * page + 8 : 3 * page + 300] = b"\xff" * 292  # scribble over a b-tree page's cells
    path.write_bytes(bytes(raw))
    with pytest.raises(StoreError, match="PLAN_BOT_DB=.*(damaged|not a usable)"):
        Store.open(path)


def test_a_database_that_refuses_writes_is_refused_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As root a 0444 file is still writable, so the read-only answer SQLite gives is simulated.
    Store.open(tmp_path / "bot.sqlite3").close()
    import sqlite_utils.db

    def readonly(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(sqlite_utils.db.Table, "upsert", readonly)
    with pytest.raises(StoreError, match="read-only for this user"):
        Store.open(tmp_path / "bot.sqlite3")


def test_the_bot_stops_with_one_line_naming_the_database_and_no_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(Settings(token="123456:" + "A" * 35, db_path=tmp_path))
    err = capsys.readouterr().err
    assert code == EXIT_FAILED
    assert f"PLAN_BOT_DB={tmp_path}: is a folder" in err and "Traceback" not in err
    from bot.logs import HANDLER_NAME

    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(handler)


# ---- answering never waits on a write -----------------------------------------------------------

def test_a_question_is_answered_when_nothing_can_be_written(index, store, clock, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "log_question", full)
    monkeypatch.setattr(store.reminders, "reactivate", full)
    logic = Logic(index, store, clock, HTML)
    with caplog.at_level(logging.ERROR, logger="bot.logic"):
        replies = [logic.ask(ME, "学前教育普及普惠") for _ in range(5)]
        card = logic.command("item", "15", ME)
    assert all("学前教育" in r.messages[0] for r in replies) and "15" in card.messages[0]
    labels = [b.label for row in replies[0].buttons for b in row]
    assert labels and not any(x in label for label in labels for x in ("👍", "👎", "更多"))  # they need the log
    failures = [r.getMessage() for r in caplog.records if "answering anyway" in r.getMessage()]
    assert len(failures) == 2  # once a minute for each kind of write, not once per message


# ---- privacy --------------------------------------------------------------------------------------

def test_the_database_its_journal_and_the_key_file_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bot.sqlite3"
    store = Store.open(path)
    store.log_question(1, "学前教育", [11], True, "p", __import__("datetime").datetime.now())
    wal, shm, key = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", ".key"))
    assert mode(path) == 0o600 and mode(key) == 0o600
    assert all(mode(f) == 0o600 for f in (wal, shm) if f.exists())
    store.close()


def test_the_hashing_key_is_kept_out_of_the_database_and_hashes_stay_stable(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    first = Store.open(path)
    hashed = first.hash_id(42)
    assert not list(first.db.query("select * from meta where key = ?", [LEGACY_SALT]))
    first.close()
    assert Store.open(path).hash_id(42) == hashed
    assert bytes.fromhex((tmp_path / "bot.sqlite3.key").read_text().strip()).hex() not in path.read_bytes().hex()


def test_a_salt_an_older_database_kept_moves_to_the_key_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    old = Store.open(path)
    salt = "ab" * 32
    old.db["meta"].insert({"key": LEGACY_SALT, "value": salt})
    old.close()
    (tmp_path / "bot.sqlite3.key").unlink()
    store = Store.open(path)
    assert (tmp_path / "bot.sqlite3.key").read_text().strip() == salt
    assert not list(store.db.query("select * from meta where key = ?", [LEGACY_SALT]))
    store.close()
    assert salt.encode() not in path.read_bytes()  # overwritten, not just unlinked from the table


def test_a_secret_from_the_environment_keys_the_hashes_and_no_key_file_is_written(tmp_path: Path) -> None:
    a = Store.open(tmp_path / "a.sqlite3", secret="s3cret-value")
    b = Store.open(tmp_path / "b.sqlite3", secret="s3cret-value")
    c = Store.open(tmp_path / "c.sqlite3", secret="another")
    assert a.hash_id(7) == b.hash_id(7) != c.hash_id(7)
    assert not list(tmp_path.glob("*.key"))


def test_settings_read_the_secret_and_the_log_days() -> None:
    s = Settings.from_env({"PLAN_BOT_SECRET": "xyz", "PLAN_BOT_LOG_DAYS": "30"}, dotenv=False)
    assert s.secret == "xyz" and s.log_days == 30 and "xyz" not in repr(s)


# ---- the question log is pruned -------------------------------------------------------------------

def test_old_questions_are_pruned_but_their_daily_counts_are_kept(store) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime, timedelta, timezone

    now = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
    old = store.log_question(1, "很久以前的问题", [11], True, "p", now - timedelta(days=200))
    store.log_question(2, "也很久", [], False, "p", now - timedelta(days=200))
    store.record_feedback(old.id, 1, 1, now - timedelta(days=200))
    recent = store.log_question(3, "最近的问题", [9], True, "p", now - timedelta(days=3))
    before = store.questions_per_day()
    assert store.prune_questions(now - timedelta(days=180)) == 2
    assert [q.id for q in store.recent_questions()] == [recent.id]
    assert store.feedback(old.id) == []
    assert store.questions_per_day() == before  # the counts per day survive the rows
    assert store.prune_questions(now - timedelta(days=180)) == 0
    assert store.questions_per_day() == before  # pruning twice counts nothing twice


def test_an_older_databases_salt_is_erased_when_a_secret_keys_the_hashes(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    old = Store.open(path)
    old.db["meta"].insert({"key": LEGACY_SALT, "value": "cd" * 32})
    old.close()
    store = Store.open(path, secret="from-the-environment")
    assert not list(store.db.query("select * from meta where key = ?", [LEGACY_SALT]))
    store.close()


def test_a_damaged_key_file_is_refused_and_a_readable_one_made_private(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    Store.open(path).close()
    key = tmp_path / "bot.sqlite3.key"
    key.chmod(0o644)
    Store.open(path).close()
    assert mode(key) == 0o600
    key.write_text("")  # a crash while it was written, in an older version
    with pytest.raises(StoreError, match="key file .* is damaged"):
        Store.open(path)


# ---- migrations by sqlite-utils ------------------------------------------------------------------

def test_a_database_made_by_the_hand_written_migration_runner_keeps_working(tmp_path: Path) -> None:
    import shutil

    from bot.store import MIGRATIONS

    made_before = Path(__file__).parent / "data" / "legacy" / "plan-bot-before-sqlite-utils-migrations.sqlite3"
    path = tmp_path / "bot.sqlite3"
    shutil.copy(made_before, path)
    store = Store.open(path, secret="legacy-test-secret")
    assert store.migrations() == [m.__name__ for m in MIGRATIONS]  # its history, moved over; nothing re-run
    assert "migrations" not in store.db.table_names()
    (logged,) = store.recent_questions()
    assert logged.question == "学前教育有什么新政策" and [f.vote for f in store.feedback(logged.id)] == [1]
    assert store.taught()[0][1:] == ("nmg-edu-2021", 25, "退休老师可以去农村支教吗")
    assert logged.chat == store.hash_id(1)  # the same key, the same hashes
    store.close()
    assert Store.open(path, secret="legacy-test-secret").migrations() == [m.__name__ for m in MIGRATIONS]
