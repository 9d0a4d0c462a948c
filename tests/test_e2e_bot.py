"""End to end: the real `plan-bot run` (python-telegram-bot, httpx, long polling) against a Bot API
server on 127.0.0.1. Users are simulated by injecting updates; every wait is for an event, with a
timeout. All tests share one bot process; each uses its own chats."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from fake_telegram import BOT_USERNAME, TOKEN

from bot.commands import COMMANDS
from bot.logs import REDACTED

TIMEOUT = 10


@pytest.fixture
def tg(bot_process):
    """The module's fake Telegram; after each test, nothing the bot sent may have been refused."""
    fake = bot_process.server.fake
    since = fake.mark()
    yield fake
    refused = [(c.method, c.error) for c in fake.errors(since) if "not modified" not in c.error]
    assert refused == []


def reply(tg, chat_id, since, method="sendMessage", count=1):
    """Wait for the bot's `count` accepted `method` calls to `chat_id` after `since`."""
    found = tg.wait_for(lambda c: c.method == method and c.chat_id == chat_id and not c.error,
                        since=since, count=count, timeout=TIMEOUT)
    return found[0] if count == 1 else found


def ask(tg, chat, text, **fields):
    """A user sends `text`; the bot's reply."""
    since = tg.mark()
    message = tg.message(chat, text, **fields)
    return reply(tg, message["chat"]["id"], since)


def press(tg, message, label, method):
    """A user presses the button labelled `label` under `message`; the bot's `method` call."""
    since = tg.mark()
    data = dict(message_buttons(tg, message))[label]
    tg.press(message, data)
    tg.wait_for(lambda c: c.method == "answerCallbackQuery", since=since, timeout=TIMEOUT)
    if method == "answerCallbackQuery":
        return tg.find(lambda c: c.method == method, since)[0]
    return reply(tg, message["chat"]["id"], since, method)


def message_buttons(tg, message):
    current = tg.message_now(message["chat"]["id"], message["message_id"])
    return [(b["text"], b["callback_data"]) for row in current["reply_markup"]["inline_keyboard"] for b in row]


def test_start_up_gets_me_publishes_the_menu_drops_the_webhook_then_long_polls(bot_process, tg):
    methods = [c.method for c in tg.calls]
    first_poll = methods.index("getUpdates")
    assert methods.index("getMe") < methods.index("setMyCommands") < first_poll
    assert "deleteWebhook" in methods[:first_poll]
    assert [c["command"] for c in tg.commands] == [c.name for c in COMMANDS]
    poll = next(c for c in tg.calls if c.method == "getUpdates")
    assert poll.params["timeout"] > 0
    assert set(poll.params["allowed_updates"]) == {"message", "edited_message", "callback_query", "inline_query"}


def test_a_question_round_trip(tg):
    t0 = time.monotonic()
    answer = ask(tg, 101, "学前教育有什么新政策？")
    assert time.monotonic() - t0 < 3
    assert answer.text.startswith("📌 三、建设高质量教育体系 › 11. 推动学前教育普惠发展")
    assert {"type": "bold", "offset": 3, "length": len("三、建设高质量教育体系 › 11. 推动学前教育普惠发展")} \
        in answer.message["entities"]
    labels = [label for label, _ in answer.buttons]
    assert labels[0] == "全文 11" and {"更多结果 ›", "👍", "👎"} <= set(labels)


def test_item_card_and_its_navigation(tg):
    card = ask(tg, 102, "/item 十五")
    assert card.text.startswith("📖 三、建设高质量教育体系 › 15. 推动高等教育提质创新发展")
    edited = press(tg, card.message, "‹ 14", "editMessageText")
    assert edited.params["message_id"] == card.message["message_id"]
    assert "14. 推动职业教育融合发展" in edited.text
    assert "1–33" in ask(tg, 102, "/item 99").text


def test_buttons_full_text_more_results_and_feedback(tg, bot_process):
    answer = ask(tg, 103, "高校毕业生就业有哪些措施？")
    first = answer.buttons[0][0]
    full = press(tg, answer.message, first, "sendMessage")
    assert full.text.startswith("📖 ") and f"{first.split()[-1]}. " in full.text.splitlines()[0]
    page2 = press(tg, answer.message, "更多结果 ›", "editMessageText")
    assert page2.text.startswith("第 2 页") and page2.params["message_id"] == answer.message["message_id"]
    ack = press(tg, answer.message, "👍", "answerCallbackQuery")
    assert "谢谢" in ack.params["text"]
    with sqlite3.connect(bot_process.db) as db:
        question_id, votes = db.execute(
            "select q.id, group_concat(f.vote) from questions q join feedback f on f.question_id = q.id "
            "where q.question = ?", ["高校毕业生就业有哪些措施？"]).fetchone()
    assert question_id and votes == "1"


def test_inline_query_pages(tg):
    since = tg.mark()
    tg.inline_query(104, "教育改革")
    first = tg.wait_for(lambda c: c.method == "answerInlineQuery", since=since, timeout=TIMEOUT)[0]
    assert len(first.params["results"]) == 10 and first.params["next_offset"] == "10"
    since = tg.mark()
    tg.inline_query(104, "")
    empty = tg.wait_for(lambda c: c.method == "answerInlineQuery", since=since, timeout=TIMEOUT)[0]
    assert "三、建设高质量教育体系" in [r["title"] for r in empty.params["results"]]


def test_group_rules(tg):
    group = tg.group_chat(-1001, supergroup=True)
    member = tg.user(105)
    since = tg.mark()
    chatter = tg.message(group, "今天中午吃什么？", user=member)
    other_bot = tg.message(group, "/item@SomeOtherBot 15", user=member)
    command = ask(tg, group, f"/item@{BOT_USERNAME} 15", user=member)
    assert "15. 推动高等教育提质创新发展" in command.text
    mention = ask(tg, group, f"@{BOT_USERNAME} 学前教育有什么新政策？", user=member)
    assert mention.text.startswith("📌 三、建设高质量教育体系 › 11.")
    follow_up = ask(tg, group, "那高校毕业生就业呢？", user=member, reply_to=mention.message)
    assert "推动高等教育提质创新发展" in follow_up.text
    answered = {c.params.get("reply_parameters", {}).get("message_id") for c in tg.replies(group["id"], since)}
    assert chatter["message_id"] not in answered and other_bot["message_id"] not in answered
    assert len(tg.replies(group["id"], since)) == 3


def test_a_sticker_gets_a_hint(tg):
    since = tg.mark()
    tg.sticker(106)
    assert "文字" in reply(tg, 106, since).text


def test_html_laden_input_is_escaped(tg):
    answer = ask(tg, 107, "<b>高考</b> & <script>")  # accepted by Telegram: the tg fixture checks
    assert "深化考试招生制度改革" in answer.text  # the 高考 item, as an answer or as "you may mean"
    refusal = ask(tg, 107, "<script>红烧肉怎么做</script> & <b>")
    assert "<script>红烧肉怎么做</script> & <b>" in refusal.text  # shown literally, because it was escaped


def test_a_5000_character_message_is_answered_with_a_note(tg):
    answer = ask(tg, 108, "高校毕业生就业" + "的" * 4993)
    assert "问题过长" in answer.text and len(answer.params["text"]) <= 4096


def test_an_edited_question_is_answered_again(tg):
    first = tg.message(109, "学前教育")
    since = tg.mark()
    reply(tg, 109, since)
    since = tg.mark()
    tg.edit(first, "高校毕业生就业")
    again = reply(tg, 109, since)
    assert again.params["reply_parameters"]["message_id"] == first["message_id"]
    assert "推动高等教育提质创新发展" in again.text


def test_thirty_users_asking_at_once_are_all_answered_once(tg, bot_process):
    since = tg.mark()
    users = range(2001, 2031)
    threads = [threading.Thread(target=tg.message, args=(u, "高校毕业生就业有哪些措施？")) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    replies = tg.wait_for(lambda c: c.method == "sendMessage" and c.chat_id in users and not c.error,
                          since=since, count=30, timeout=20)
    assert sorted(c.chat_id for c in replies) == list(users)
    ask(tg, 2001, "/help")  # a later update, processed after any re-delivered one would have been
    others = tg.find(lambda c: c.method == "sendMessage" and c.chat_id in users and c.text != replies[0].text
                     and "/help" not in c.text, since)
    errors = [line for line in bot_process.log.splitlines() if " ERROR " in line or line.startswith("httpx.")]
    assert replies[0].text.startswith("📌") and [(c.chat_id, c.text[:40]) for c in others] == [], errors
    answers = tg.find(lambda c: c.method == "sendMessage" and c.chat_id in users and c.text == replies[0].text, since)
    assert sorted(c.chat_id for c in answers) == list(users)  # once each: none answered twice


def test_a_flood_wait_from_telegram_is_waited_out(tg):
    tg.fail_next("sendMessage", retry_after=1)
    t0 = time.monotonic()
    answer = ask(tg, 110, "学前教育")
    assert answer.text.startswith("📌") and time.monotonic() - t0 >= 1


def test_the_token_never_appears_in_the_log(tg, bot_process):
    ask(tg, 111, "学前教育")
    log = bot_process.log
    assert f"Set Bot API URL: {bot_process.server.base_url}{REDACTED}" in log  # PTB logs it at DEBUG
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
