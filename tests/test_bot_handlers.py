"""The Telegram handlers, driven through Application.process_update with an in-process Bot API.

Every message the bot sends goes through the fake's checks (Telegram HTML, 4096 characters, 64-byte
callback data, known chats and messages), so "no error" below means Telegram would have accepted it.
"""

from __future__ import annotations

import logging

import pytest
from fake_telegram import BOT_ID, BOT_USERNAME, TOKEN, no_errors, only
from telegram.error import Conflict, NetworkError, TimedOut

from bot.commands import COMMANDS
from bot.render import ERROR_TEXT, NON_TEXT_HINT

ALICE = 1001
BOB = 1002
GROUP = -5001


# ---- start-up and commands ------------------------------------------------------------------------
async def test_start_up_publishes_the_command_menu_in_chinese(bot, fake):
    await bot.app.post_init(bot.app)
    (call,) = fake.find(lambda c: c.method == "setMyCommands")
    assert [c["command"] for c in call.params["commands"]] == [c.name for c in COMMANDS]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c["description"]) for c in call.params["commands"])


async def test_start_greets_with_the_plan_title_and_year_and_how_to_ask(bot):
    text = only(await bot.say(ALICE, "/start")).text
    assert text.startswith("你好")
    assert "内蒙古自治区党委高校工委、内蒙古自治区教育厅2021年工作要点" in text and "2021 年" in text
    assert "/item 15" in text and "/help" in text


async def test_a_start_deep_link_opens_the_item(bot):
    call = only(await bot.say(ALICE, "/start item_15"))
    assert "15. 推动高等教育提质创新发展" in call.text


async def test_help_lists_every_command(bot):
    text = only(await bot.say(ALICE, "/help")).text
    for c in COMMANDS:
        assert f"{c.usage} — {c.description}" in text


@pytest.mark.parametrize("arg", ["15", "十五", "第15条"])
async def test_item_accepts_digits_chinese_numerals_and_第N条(bot, arg):
    call = only(await bot.say(ALICE, f"/item {arg}"))
    assert call.text.startswith("📖 三、建设高质量教育体系 › 15. 推动高等教育提质创新发展")
    assert [label for label, _ in call.buttons] == ["‹ 14", "🔔 订阅提醒", "16 ›"]


async def test_item_with_an_ideographic_space_before_its_argument_shows_the_item(bot):
    call = only(await bot.say(ALICE, "/item\u300015"))
    assert "15. 推动高等教育提质创新发展" in call.text


async def test_a_slash_before_chinese_text_is_a_question_not_a_command(bot, store):
    text = only(await bot.say(ALICE, "/学前教育")).text
    assert "没有" not in text.split("\n")[0] and "11. 推动学前教育普惠发展" in text
    assert store.recent_questions()[0].question == "/学前教育"


@pytest.mark.parametrize("text", ["15", "第15条", "十五"])
async def test_an_item_reference_sent_as_a_message_shows_the_item(bot, text):
    call = only(await bot.say(ALICE, text))
    assert call.text.startswith("📖 三、建设高质量教育体系 › 15. 推动高等教育提质创新发展")


async def test_item_with_a_bad_number_names_the_valid_range(bot):
    assert "1–33" in only(await bot.say(ALICE, "/item 99")).text


async def test_item_without_a_number_answers_with_its_usage(bot):
    text = only(await bot.say(ALICE, "/item")).text
    assert text.startswith("用法：/item 15 查看第 15 条全文（1–33") and "（空）" not in text


async def test_item_navigation_edits_the_card_in_place(bot, fake):
    card = only(await bot.say(ALICE, "/item 15"))
    calls = no_errors(await bot.press(card.message, dict(card.buttons)["16 ›"]))
    edited = only(calls, "editMessageText")
    assert edited.params["message_id"] == card.message["message_id"]
    assert edited.text.startswith("📖 三、建设高质量教育体系 › 16. 推动民办教育规范发展")
    assert only(calls, "answerCallbackQuery")


async def test_a_long_item_is_split_into_messages_with_the_buttons_under_the_last(long_item_bot):
    calls = no_errors(await long_item_bot.say(ALICE, "/item 4"))
    sent = [c for c in calls if c.method == "sendMessage"]
    assert len(sent) >= 3
    assert all(len(c.params["text"]) <= 4096 for c in sent)
    assert [bool(c.buttons) for c in sent] == [False] * (len(sent) - 1) + [True]
    assert "第259项措施" in sent[-1].text


async def test_sections_and_section_list_items_as_buttons(bot):
    toc = only(await bot.say(ALICE, "/sections"))
    assert "三、建设高质量教育体系（第 11–18 条，/section 三）" in toc.text
    section = only(await bot.say(ALICE, "/section 三"))
    assert [label for label, _ in section.buttons][:2] == ["11. 推动学前教育普惠发展", "12. 推动义务教育城乡一体化发展"]


async def test_an_unknown_command_in_a_private_chat_points_to_help(bot):
    assert "/help" in only(await bot.say(ALICE, "/frobnicate")).text


# ---- questions -----------------------------------------------------------------------------------
async def test_a_question_gets_three_items_with_matched_terms_in_bold_and_buttons(bot, fake, store):
    call = only(no_errors(await bot.say(ALICE, "学前教育有什么新政策？")))
    assert call.text.startswith("📌 三、建设高质量教育体系 › 11. 推动学前教育普惠发展")
    assert call.text.count("📌") == 3
    assert "<b>学前教育</b>" in call.params["text"]
    (logged,) = store.recent_questions()
    assert logged.question == "学前教育有什么新政策？" and logged.items[0] == 11 and logged.answered
    labels = [label for label, _ in call.buttons]
    assert labels[:3] == [f"全文 {n}" for n in logged.items[:3]]
    assert {"订阅提醒 11", "更多结果 ›", "👍", "👎"} <= set(labels)
    assert logged.chat == store.hash_id(ALICE) and str(ALICE) not in logged.chat


async def test_a_question_the_plan_does_not_answer_says_so_and_suggests_sections(bot):
    text = only(await bot.say(ALICE, "周末去哪里滑雪比较好？")).text
    assert "没有找到" in text and "/sections" in text and "你可能想看" in text


async def test_html_in_a_question_is_escaped_in_the_reply(bot):
    calls = no_errors(await bot.say(ALICE, "<script>红烧肉怎么做</script> & <b>"))
    call = only(calls)
    assert "&lt;script&gt;" in call.params["text"] and "<script>" in call.text


async def test_a_very_long_question_is_answered_with_a_note_that_it_was_cut(bot, store):
    call = only(no_errors(await bot.say(ALICE, "高校毕业生就业" + "啊" * 5000)))
    assert "问题过长" in call.text
    assert len(store.recent_questions()[0].question) == 1000


async def test_an_edited_question_is_answered_again_quoting_the_new_text(bot, fake, store):
    first = fake.message(ALICE, "学前教育")
    await bot.deliver()
    fake.edit(first, "高校毕业生就业")
    call = only(no_errors(await bot.deliver()))
    assert call.params["reply_parameters"]["message_id"] == first["message_id"]
    assert "15. 推动高等教育提质创新发展" in call.text
    assert [q.question for q in store.recent_questions()] == ["高校毕业生就业", "学前教育"]


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "document"])
async def test_non_text_messages_in_a_private_chat_get_a_hint_to_write(bot, fake, kind):
    media = {
        "sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
                    "is_animated": False, "is_video": False},
        "photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}],
        "voice": {"file_id": "v", "file_unique_id": "v", "duration": 3},
        "document": {"file_id": "d", "file_unique_id": "d"},
    }[kind]
    fake.message(ALICE, None, **{kind: media})
    assert only(await bot.deliver()).text == NON_TEXT_HINT


async def test_an_item_card_shared_through_inline_mode_is_not_taken_for_a_question(bot, fake, store):
    fake.message(ALICE, "📖 三、建设高质量教育体系 › 15. …", via_bot=fake.bot)
    assert await bot.deliver() == []
    assert store.question_count() == 0


# ---- buttons -------------------------------------------------------------------------------------
async def test_full_text_button_sends_the_item_as_a_new_message(bot):
    answer = only(await bot.say(ALICE, "学前教育有什么新政策？"))
    calls = no_errors(await bot.press(answer.message, dict(answer.buttons)["全文 11"]))
    assert only(calls).text.startswith("📖 三、建设高质量教育体系 › 11. 推动学前教育普惠发展")


async def test_more_results_edits_the_answer_to_the_next_page_and_back(bot, store):
    answer = only(await bot.say(ALICE, "学前教育有什么新政策？"))
    page2 = only(no_errors(await bot.press(answer.message, dict(answer.buttons)["更多结果 ›"])), "editMessageText")
    assert page2.params["message_id"] == answer.message["message_id"]
    fourth = store.recent_questions()[0].items[3]
    assert page2.text.startswith("第 2 页\n\n📌") and f" › {fourth}. " in page2.text.split("\n")[2]
    assert "‹ 上一页" in dict(page2.buttons)
    page1 = only(no_errors(await bot.press(page2.message, dict(page2.buttons)["‹ 上一页"])), "editMessageText")
    assert page1.text == answer.text


async def test_pressing_the_same_page_twice_is_harmless(bot):
    answer = only(await bot.say(ALICE, "学前教育有什么新政策？"))
    more = dict(answer.buttons)["更多结果 ›"]
    await bot.press(answer.message, more)
    calls = await bot.press(answer.message, more)  # a double tap: Telegram says "not modified"
    (edit,) = [c for c in calls if c.method == "editMessageText"]
    assert "message is not modified" in edit.error
    assert only(calls, "answerCallbackQuery").params.get("show_alert") is not True
    assert [c for c in calls if c.method == "sendMessage"] == []  # no "something went wrong"


async def test_feedback_is_recorded_against_the_logged_question_one_vote_per_person(bot, store):
    answer = only(await bot.say(ALICE, "学前教育有什么新政策？"))
    up, down = dict(answer.buttons)["👍"], dict(answer.buttons)["👎"]
    ack = only(await bot.press(answer.message, up), "answerCallbackQuery")
    assert "谢谢" in ack.params["text"]
    await bot.press(answer.message, down)
    (question,) = store.recent_questions()
    assert [(f.vote, f.voter) for f in store.feedback(question.id)] == [(-1, store.hash_id(ALICE))]


async def test_a_button_this_bot_did_not_make_gets_an_alert_not_silence(bot):
    answer = only(await bot.say(ALICE, "学前教育有什么新政策？"))
    ack = only(await bot.press(answer.message, "page:99999:1"), "answerCallbackQuery")
    assert ack.params["show_alert"] is True and "重新提问" in ack.params["text"]
    ack = only(await bot.press(answer.message, "rm -rf"), "answerCallbackQuery")
    assert "失效" in ack.params["text"]


# ---- inline mode ---------------------------------------------------------------------------------
async def test_inline_query_returns_ten_item_articles_and_the_next_offset(bot, index):
    call = only(no_errors(await bot.inline(ALICE, "教育改革")), "answerInlineQuery")
    results = call.params["results"]
    assert len(results) == 10 and call.params["next_offset"] == "10"
    first = results[0]
    assert first["type"] == "article" and first["title"].startswith(("一、", "二、", "三、", "四、", "五、", "六、", "七、"))
    assert "<b>" in first["input_message_content"]["message_text"]
    assert first["input_message_content"]["parse_mode"] == "HTML"
    nxt = only(await bot.inline(ALICE, "教育改革", "10"), "answerInlineQuery")
    assert {r["id"] for r in nxt.params["results"]}.isdisjoint(r["id"] for r in results)
    assert nxt.params["next_offset"] == "20"


async def test_inline_results_for_a_question_the_plan_does_not_answer_are_marked_as_maybe(bot):
    call = only(await bot.inline(ALICE, "周末去哪里滑雪比较好？"), "answerInlineQuery")
    results = call.params["results"]
    assert results and all(r["title"].startswith("可能相关：") for r in results)


async def test_an_empty_inline_query_lists_the_sections(bot):
    call = only(await bot.inline(ALICE, ""), "answerInlineQuery")
    titles = [r["title"] for r in call.params["results"]]
    assert titles[0].startswith("目录") and "三、建设高质量教育体系" in titles


# ---- groups --------------------------------------------------------------------------------------
async def test_in_groups_commands_work_also_addressed_to_this_bot(bot, fake):
    group = fake.group_chat(GROUP)
    call = only(await bot.say(group, f"/item@{BOT_USERNAME} 15", user=fake.user(BOB)))
    assert "15. 推动高等教育提质创新发展" in call.text
    assert await bot.say(group, "/item@SomeOtherBot 15", user=fake.user(BOB)) == []


async def test_in_groups_a_mention_is_a_question_with_the_mention_stripped(bot, fake, store):
    group = fake.group_chat(GROUP, supergroup=True)
    asked = fake.message(group, f"@{BOT_USERNAME} 学前教育有什么新政策？", user=fake.user(BOB))
    call = only(await bot.deliver())
    assert call.params["reply_parameters"]["message_id"] == asked["message_id"]
    assert store.recent_questions()[0].question == "学前教育有什么新政策？"


async def test_in_groups_a_reply_to_the_bot_is_a_question_and_other_chatter_is_ignored(bot, fake):
    group = fake.group_chat(GROUP)
    assert await bot.say(group, "今天中午吃什么？", user=fake.user(BOB)) == []
    answer = only(await bot.say(group, f"@{BOT_USERNAME} 学前教育", user=fake.user(BOB)))
    follow_up = only(await bot.say(group, "那高校毕业生就业呢？", user=fake.user(BOB), reply_to=answer.message))
    assert "15. 推动高等教育提质创新发展" in follow_up.text
    reply_to_a_person = fake.message(group, "我也想问", user=fake.user(ALICE))
    assert await bot.say(group, "同意", user=fake.user(BOB), reply_to=reply_to_a_person) == []
    fake.sticker(group, user=fake.user(BOB))
    assert await bot.deliver() == []


# ---- errors, flood control -----------------------------------------------------------------------
class BrokenIndex:
    """An index whose search fails, to exercise the error handler."""

    def __init__(self, real):
        self.real = real
        self.plans = real.plans

    def __getattr__(self, name):
        return getattr(self.real, name)

    def search(self, query, k=3):
        raise RuntimeError("index exploded")


async def test_an_error_is_logged_without_the_text_the_user_told_and_admins_sent_the_traceback(
        bot_with_admin, fake, caplog):
    logic = bot_with_admin.app.bot_data["services"].logic
    logic.index = BrokenIndex(logic.index)
    with caplog.at_level(logging.ERROR, logger="bot.telegram.handlers"):
        calls = await bot_with_admin.say(ALICE, "学前教育")
    assert only(calls).text == ERROR_TEXT
    report = only(calls, "sendDocument")
    assert report.chat_id == 999 and report.message["caption"] == "plan-bot 出错：RuntimeError"
    (name, body), = report.files.values()
    assert name.startswith("error-") and b"index exploded" in body and TOKEN.encode() not in body
    (record,) = [r for r in caplog.records if r.name == "bot.telegram.handlers"]
    hashed = logic.store.hash_id(ALICE)
    shown = record.getMessage()
    assert "message" in shown and "private chat" in shown and hashed in shown and record.exc_info[1].args == ("index exploded",)
    for private in ("学前教育", f'"id": {ALICE}', "测试用户"):  # the text, the id, the name: not logged or reported
        assert private not in shown and private.encode() not in body


async def test_a_repeated_error_reaches_admins_once_an_hour_with_a_count(bot_with_admin, fake):
    services = bot_with_admin.app.bot_data["services"]
    services.logic.index = BrokenIndex(services.logic.index)
    now = [0.0]
    services.reports.clock = lambda: now[0]
    reports = []
    for minute in (0, 1, 2, 61):
        now[0] = minute * 60.0
        reports += [c for c in await bot_with_admin.say(ALICE, "学前教育") if c.method == "sendDocument"]
    assert len(reports) == 2  # at 0 and after the hour; the two in between were counted
    (_, body), = reports[1].files.values()
    assert b"2 more times" in body


@pytest.mark.parametrize("error", [
    Conflict("Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"),
    NetworkError("httpx.ConnectError: [Errno 101] Network is unreachable"),
    TimedOut("Timed out"),
])
async def test_polling_errors_are_one_warning_line_each_and_never_sent_to_admins(bot_with_admin, fake, caplog, error):
    since = fake.mark()
    with caplog.at_level(logging.DEBUG, logger="bot.telegram.handlers"):
        for _ in range(3):
            await bot_with_admin.app.process_error(None, error)
    assert fake.calls[since:] == []
    records = [r for r in caplog.records if r.name == "bot.telegram.handlers"]
    assert [r.levelno for r in records] == [logging.WARNING] * 3
    assert all(r.exc_info is None and type(error).__name__ in r.getMessage() for r in records)


async def test_other_errors_without_an_update_are_logged_with_their_traceback_and_not_sent_to_admins(
        bot_with_admin, fake, caplog):
    since = fake.mark()
    with caplog.at_level(logging.DEBUG, logger="bot.telegram.handlers"):
        await bot_with_admin.app.process_error(None, RuntimeError("background task exploded"))
    assert fake.calls[since:] == []
    (record,) = [r for r in caplog.records if r.name == "bot.telegram.handlers"]
    assert record.levelno == logging.ERROR and record.exc_info[1].args == ("background task exploded",)


async def test_a_flood_wait_is_waited_out_and_the_message_delivered(bot, fake):
    fake.fail_next("sendMessage", status=429, retry_after=1)
    calls = await bot.say(ALICE, "学前教育")
    assert [c.error[:17] for c in calls if c.method == "sendMessage"] == ["Too Many Requests", ""]
    assert calls[-1].text.startswith("📌")  # the answer itself, not the apology


async def test_server_errors_are_retried_a_bounded_number_of_times(bot, fake):
    fake.fail_next("sendMessage", status=502, description="Bad Gateway", retry_after=None, times=1)
    calls = await bot.say(ALICE, "学前教育")
    assert [c.error for c in calls if c.method == "sendMessage"] == ["Bad Gateway", ""]
    bot.app.bot.rate_limiter.backoff = 0.001  # our limiter, not the frozen Bot: keep the test fast
    fake.fail_next("sendMessage", status=502, description="Bad Gateway", retry_after=None, times=10)
    calls = await bot.say(ALICE, "学前教育")
    assert len([c for c in calls if c.method == "sendMessage"]) == 4 + 4  # the answer, then the error notice


async def test_a_bad_request_is_not_retried_and_the_user_hears_of_it_in_the_chat(bot, fake):
    answer = only(await bot.say(ALICE, "学前教育有什么新政策？"))
    fake.fail_next("editMessageText", status=400, description="Bad Request: message to edit not found",
                   retry_after=None)
    calls = await bot.press(answer.message, dict(answer.buttons)["更多结果 ›"])
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText", "answerCallbackQuery", "sendMessage"]
    assert "query is too old" in calls[2].error  # the query was answered already …
    assert calls[3].text == ERROR_TEXT  # … so the apology goes to the chat


async def test_a_press_too_old_to_answer_still_edits_the_message(bot, fake):
    answer = only(await bot.say(ALICE, "学前教育有什么新政策？"))
    fake.fail_next("answerCallbackQuery", status=400, retry_after=None,
                   description="Bad Request: query is too old and response timeout expired or query ID is invalid")
    calls = await bot.press(answer.message, dict(answer.buttons)["更多结果 ›"])
    assert only(calls, "editMessageText").text.startswith("第 2 页")
    assert [c.method for c in calls if c.method == "sendMessage"] == []


async def test_the_bot_talks_to_the_fake_with_its_real_id(bot):
    assert bot.app.bot.id == BOT_ID and bot.app.bot.username == BOT_USERNAME


async def test_a_lone_surrogate_in_a_message_is_replaced_before_it_is_answered_and_logged(bot, store):
    calls = no_errors(await bot.say(ALICE, "学前教育\ud83d"))  # half an emoji
    assert "学前教育" in only(calls).text
    assert store.recent_questions()[0].question == "学前教育\ufffd"


async def test_a_command_for_another_bot_in_a_private_chat_says_so(bot):
    call = only(no_errors(await bot.say(ALICE, "/item@OtherBot 15")))
    assert "@OtherBot" in call.text and "不是发给我" in call.text and "没有执行" in call.text and "/item 15" in call.text


async def test_the_daily_job_prunes_questions_older_than_the_log_days(bot, store):
    from datetime import timedelta

    from bot.telegram.handlers import PRUNE_JOB

    logic = bot.app.bot_data["services"].logic
    store.log_question(ALICE, "很久以前", [11], True, "p", logic.clock() - timedelta(days=181))
    store.log_question(ALICE, "昨天", [11], True, "p", logic.clock() - timedelta(days=1))
    await bot.app.post_init(bot.app)
    (job,) = bot.app.job_queue.get_jobs_by_name(PRUNE_JOB)
    await job.run(bot.app)
    assert [q.question for q in store.recent_questions()] == ["昨天"]


async def test_each_update_is_one_structured_log_line_without_ids_or_text(bot, store, caplog):
    with caplog.at_level(logging.INFO, logger="bot.updates"):
        await bot.say(ALICE, "学前教育有什么新政策")
        await bot.say(ALICE, "/item 15")
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.updates"]
    assert len(lines) == 2
    assert lines[0].startswith("channel=telegram kind=message chat_type=private chat=" + store.hash_id(ALICE))
    assert "answered=true" in lines[0] and "answered=-" in lines[1] and "latency_ms=" in lines[0]
    assert not any(str(ALICE) in ln or "学前教育" in ln for ln in lines)
