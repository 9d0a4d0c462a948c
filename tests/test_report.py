"""The operators' loop on the command line: `feedback export` turns what people asked into evaluation
cases that `plan-bot eval` reads; `stats` gives the period's figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.report import asked, stats
from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


def filled(store: Store) -> None:
    """Five questions: one asked twice and voted down, one unanswered, one old."""
    a = store.log_question(1, "学前教育有什么新政策", [11, 23], True, "p", NOW - timedelta(hours=3))
    store.log_question(2, "学前教育有什么新政策", [11, 23], True, "p", NOW - timedelta(hours=2))
    store.record_feedback(a.id, 1, -1, NOW)
    store.log_question(3, "今天天气怎么样", [], False, "p", NOW - timedelta(days=1))
    store.log_question(4, "近视防控", [9], True, "p", NOW - timedelta(days=2))
    store.log_question(5, "很久以前的问题", [], False, "p", NOW - timedelta(days=30))


def cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAN_BOT_")}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env={**env, "PLAN_BOT_DB": str(db)},
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_distinct_questions_with_counts_votes_and_what_was_returned(store) -> None:  # type: ignore[no-untyped-def]
    filled(store)
    cases = asked(store, NOW - timedelta(days=7))
    assert [(a.q, a.count, a.down) for a in cases][0] == ("学前教育有什么新政策", 2, 1)
    assert [a.q for a in asked(store, NOW - timedelta(days=7), unanswered=True)] == ["今天天气怎么样"]
    assert [a.q for a in asked(store, NOW - timedelta(days=7), down=True)] == ["学前教育有什么新政策"]


def test_stats_of_a_week(store) -> None:  # type: ignore[no-untyped-def]
    filled(store)
    week = stats(store, NOW, 7)
    assert (week.questions, week.today, week.answered, week.up, week.down) == (4, 2, 3, 0, 1)
    assert [a.q for a in week.unanswered] == ["今天天气怎么样"] and "75%" in week.text()


def test_export_round_trips_through_plan_bot_eval(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    store = Store.open(db)
    filled(store)
    store.close()
    done = cli("feedback", "export", "--since", "2026-12-01", db=db)
    assert done.returncode == 0, done.stderr
    cases = [json.loads(line) for line in done.stdout.splitlines()]
    assert {c["q"] for c in cases} == {"学前教育有什么新政策", "今天天气怎么样", "近视防控"}
    assert all(c["gold"] == [] and "returned" in c and "votes" in c for c in cases)
    cases[0]["gold"] = [11]  # a person fills in what the answer should have been
    export = tmp_path / "cases.jsonl"
    export.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n", encoding="utf-8")
    scored = cli("eval", str(export), db=db)
    assert scored.returncode == 0 and "overall (3 questions)" in scored.stdout, scored.stderr
    unanswered = cli("feedback", "export", "--unanswered", db=db)
    assert [json.loads(line)["q"] for line in unanswered.stdout.splitlines()] == ["今天天气怎么样", "很久以前的问题"]


def test_stats_and_export_without_a_database_say_so(tmp_path: Path) -> None:
    for args in (("stats",), ("feedback", "export")):
        done = cli(*args, db=tmp_path / "none.sqlite3")
        assert done.returncode == 2 and "no database" in done.stderr
    bad = cli("feedback", "export", "--since", "yesterday", db=tmp_path / "none.sqlite3")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_stats_can_write_the_chart(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    store = Store.open(db)
    store.log_question(1, "学前教育", [11], True, "p", datetime.now(timezone.utc))
    store.close()
    chart = tmp_path / "week.png"
    done = cli("stats", "--png", str(chart), db=db)
    assert done.returncode == 0 and "1 个问题" in done.stdout and chart.read_bytes().startswith(b"\x89PNG")
