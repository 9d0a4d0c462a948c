"""`plan-bot reminders due --at T [--json]`: what the bot would send at T, read from PLAN_BOT_DB
as the bot reads it, without writing to it."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone

import pytest

import bot.cli as cli
from bot.reminders.store import ALL, ITEM
from bot.store import Store

PLAN = "nmg-edu-2021"
SUBSCRIBED = datetime(2021, 3, 1, 1, 0, tzinfo=timezone.utc)
KEYS = {"chat_id", "kind", "key", "plan", "item", "title", "due_at", "attempt", "date"}


@pytest.fixture
def db(tmp_path, monkeypatch):
    """A bot database with a few chats, named by PLAN_BOT_DB; the CLI runs in an empty folder."""
    path = tmp_path / "data" / "plan-bot.sqlite3"
    store = Store.open(path)
    book = store.reminders
    book.subscribe(101, PLAN, ITEM, 15, SUBSCRIBED)
    book.subscribe(102, PLAN, ALL, 0, SUBSCRIBED)
    book.subscribe(103, PLAN, ITEM, 15, SUBSCRIBED)
    book.set_settings(103, (3, 1), time(9), SUBSCRIBED)  # not due on the 24th
    book.add_reminder(104, PLAN, 7, date(2021, 12, 24), time(9), datetime(2021, 12, 24, 1, tzinfo=timezone.utc),
                      datetime(2021, 12, 24, 16, tzinfo=timezone.utc), "看推普周总结", SUBSCRIBED)
    store.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLAN_BOT_DB", str(path))
    monkeypatch.setenv("PLAN_BOT_TZ", "Asia/Shanghai")
    return path


def run(capsys, *argv):
    code = cli.main(["reminders", "due", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_due_json_lists_what_would_be_sent_at_that_moment(db, capsys):
    before = db.read_bytes()
    code, out, err = run(capsys, "--at", "2021-12-24T09:00+08:00", "--json")
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert all(KEYS <= set(r) for r in rows)
    by_chat = {}
    for r in rows:
        by_chat.setdefault(r["chat_id"], []).append(r)
    assert sorted(by_chat) == [101, 102, 104]
    (a,) = by_chat[101]
    assert a == {
        "chat_id": 101, "kind": "deadline", "key": "d:nmg-edu-2021:15:2021-12-31:7", "plan": PLAN, "item": 15,
        "title": "推动高等教育提质创新发展", "due_at": "2021-12-24T09:00:00+08:00", "attempt": 1,
        "date": "2021-12-31", "lead": 7, "labels": ["年度任务"],
        "phrases": ["内蒙古自治区党委高校工委、内蒙古自治区教育厅2021年工作要点"], "subscription": "item:nmg-edu-2021:15",
        "message": a["message"],
    }
    assert len(by_chat[102]) == 33 and {r["subscription"] for r in by_chat[102]} == {"all"}  # every item's year end
    # 102's 33 year ends are due together for one date and lead: one digest message; others a message each
    assert len({r["message"] for r in by_chat[102]}) == 1
    assert sorted({r["message"] for r in rows}) == list(range(1, 4))
    (p,) = by_chat[104]
    assert (p["kind"], p["item"], p["note"], p["date"]) == ("personal", 7, "看推普周总结", "2021-12-24")
    assert db.read_bytes() == before  # a dry run


def test_due_text_and_other_moments(db, capsys):
    code, out, _ = run(capsys, "--at", "2021-12-28 09:00")  # no offset: PLAN_BOT_TZ
    assert code == 0
    lines = out.splitlines()
    # 103's 3-day reminder, and the 7-day ones of 101 and 102 that no bot has sent from this database yet
    assert lines[0] == "35 reminder(s) due at 2021-12-28T09:00:00+08:00 (Asia/Shanghai):"
    assert len({ln.split()[:2][1] for ln in lines if "chat 102" in ln}) == 1  # 102's year ends: one digest
    assert [ln for ln in lines if "chat 103" in ln][0].split()[2:] == ["chat", "103", "第15条", "推动高等教育提质创新发展", "2021-12-31", "年度任务（提前", "3", "天）",  # noqa: E501
                                "attempt", "1"]
    _, out, _ = run(capsys, "--at", "2021-12-24T08:59+08:00", "--json")
    assert json.loads(out) == []  # a minute early
    _, out, _ = run(capsys, "--at", "2026-11-24T09:00+08:00", "--json")
    assert json.loads(out) == []  # every 2021 date has passed


def test_bad_moments_and_a_missing_database_exit_2(db, capsys, monkeypatch, tmp_path):
    code, _, err = run(capsys, "--at", "明天早上")
    assert code == 2 and "--at '明天早上' is not a date and time" in err
    monkeypatch.setenv("PLAN_BOT_DB", str(tmp_path / "nowhere.sqlite3"))
    code, _, err = run(capsys, "--at", "2021-12-24T09:00+08:00")
    assert code == 2 and "no database at" in err
    assert not (tmp_path / "nowhere.sqlite3").exists()
