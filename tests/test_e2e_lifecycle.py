"""End to end across process lifetimes: a restart keeps the question log and does not answer anything
twice; a token Telegram rejects stops the bot with a clear message that does not contain the token."""

from __future__ import annotations

import sqlite3

from conftest import BotProcess
from fake_telegram import TOKEN

from bot.store import MIGRATIONS

TIMEOUT = 10
ALICE = 301


def test_a_restart_with_the_same_database_keeps_the_log_and_answers_nothing_twice(telegram_server, tmp_path):
    tg = telegram_server.fake
    db = tmp_path / "data" / "plan-bot.sqlite3"
    first = BotProcess(telegram_server, db, tmp_path).start()
    since = tg.mark()
    tg.message(ALICE, "学前教育有什么新政策？")
    (answer,) = tg.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == ALICE, since=since, timeout=TIMEOUT)
    assert first.stop() == 0
    assert tg.pending_updates() == 0  # the last update was confirmed on the way out

    second = BotProcess(telegram_server, db, tmp_path).start()
    since = tg.mark()
    more = dict(answer.buttons)["更多结果 ›"]
    tg.press(answer.message, more)  # a button from before the restart: the question is looked up by id
    (page2,) = tg.wait_for(lambda c: c.method == "editMessageText" and c.chat_id == ALICE, since=since,
                           timeout=TIMEOUT)
    assert page2.text.startswith("第 2 页") and not page2.error
    tg.press(answer.message, dict(answer.buttons)["👍"])
    tg.wait_for(lambda c: c.method == "answerCallbackQuery", since=since, count=2, timeout=TIMEOUT)
    assert second.stop() == 0

    assert tg.replies(ALICE, since) == []  # the old question was not answered again
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from questions").fetchone() == (1,)
        assert conn.execute("select vote from feedback").fetchall() == [(1,)]
        assert [r[0] for r in conn.execute("select name from _sqlite_migrations order by id")] == [
            m.__name__ for m in MIGRATIONS]


def test_a_rejected_token_stops_with_a_clear_message_and_never_prints_the_token(telegram_server, tmp_path):
    wrong = TOKEN.replace("AAH", "BBH")
    bot = BotProcess(telegram_server, tmp_path / "db.sqlite3", tmp_path, token=wrong).start(ready=False)
    assert bot.wait() == 1
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in bot.log
    assert wrong not in bot.log and wrong.split(":")[1] not in bot.log
