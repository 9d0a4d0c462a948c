"""Small faults fixed together: lengths measured as Telegram measures them (UTF-16 code units), invalid
times after /remind refused rather than kept as the note, a cut note said to be cut, two /lead times
refused, and a command addressed to another bot not run by the console."""

from __future__ import annotations

import io
from datetime import time, timedelta

import pytest
from conftest import LATE
from fake_telegram import no_errors, only

from bot.commands import command_for_me
from bot.console import run_console
from bot.logic import Logic
from bot.reminders.dates import DateError, parse_time
from bot.reminders.logic import MAX_NOTE_CHARS
from bot.render import TELEGRAM_LIMIT, TEXT, cut, split_message, utf16_len

ALICE = 1001
REMINDER_TABLES = ("chats", "subscriptions", "personal_reminders", "deliveries")
ITEM_15 = "📖 【三、建设高质量教育体系 › 15. 推动高等教育提质创新发展】"


def nothing_stored(store) -> bool:
    return all(store.db[t].count == 0 for t in REMINDER_TABLES)


# ---- 1. lengths in UTF-16 code units ------------------------------------------------------------
def test_utf16_len_counts_an_emoji_as_two_units_and_a_chinese_character_as_one():
    assert utf16_len("学前教育") == 4 and utf16_len("🎉") == 2 and utf16_len("备注🎉") == 4


def test_cut_keeps_within_the_limit_in_utf16_units_and_never_halves_an_emoji():
    assert cut("🎉" * 10, 5) == "🎉🎉…"
    assert utf16_len(cut("a🎉" * 10, 8)) <= 8
    assert cut("学前教育", 4) == "学前教育" and cut("学前教育。", 4) == "学前教…"


@pytest.mark.parametrize("text", [
    "🎉" * 3000,  # 3000 characters, 6000 units: more than one message
    "\n".join(["备注：📌交材料🎉🎉"] * 500),
    "\n\n".join(["<b>📖 第15条</b>\n" + "🎓高校。" * 100] * 8),
])
def test_split_message_never_produces_a_part_over_4096_utf16_units(text):
    parts = split_message(text)
    assert len(parts) > 1
    assert all(0 < utf16_len(p) <= TELEGRAM_LIMIT for p in parts), [utf16_len(p) for p in parts]
    assert "".join(p.replace("<b>", "").replace("</b>", "") for p in parts).replace("\n", "") \
        == text.replace("<b>", "").replace("</b>", "").replace("\n", "")


async def test_fifty_reminders_with_emoji_notes_list_in_one_message_within_telegrams_utf16_limit(
        clocked_bot, fake_clock, store):
    fake_clock.set(LATE)
    for day in range(1, 51):  # item 1 has the plan's longest title
        store.reminders.add_reminder(ALICE, "nmg-edu-2021", 1, (LATE + timedelta(days=day)).date(), time(9, 30),
                                     LATE + timedelta(days=day), LATE + timedelta(days=day + 1), "🎉" * 40, LATE)
    listing = only(no_errors(await clocked_bot.say(ALICE, "/reminders")))  # the fake refuses > 4096 units
    assert "50. " in listing.text and utf16_len(listing.text) <= TELEGRAM_LIMIT
    assert f"备注：{'🎉' * 11}…\n" in listing.text  # 24 units: eleven emoji and the ellipsis


# ---- 2. an invalid time is refused, not kept as the note ------------------------------------------
@pytest.mark.parametrize("text", ["-1:00", "25:00", "9:61", "9:5", "24:00", "12:345", "-3点"])
def test_an_invalid_clock_time_is_an_error_that_shows_a_valid_one(text):
    with pytest.raises(DateError, match=f"“{text}”不是有效的时间") as info:
        parse_time(text)
    assert "例如 9:30" in str(info.value)


@pytest.mark.parametrize("when", ["明天 -1:00", "明天 25:00", "明天 9:61", "12月1日 9:5 交材料"])
async def test_remind_with_an_invalid_time_is_refused_with_an_example_and_nothing_is_stored(
        clocked_bot, fake_clock, store, when):
    fake_clock.set(LATE)
    text = only(no_errors(await clocked_bot.say(ALICE, f"/remind 15 {when}"))).text
    assert "不是有效的时间" in text and "例如 9:30" in text and "/remind 15 12月1日 9:30 交材料" in text
    assert "好的" not in text and nothing_stored(store)


# ---- 3. a cut note is said to be cut --------------------------------------------------------------
async def test_a_note_over_200_characters_is_stored_cut_and_the_reply_says_so(clocked_bot, fake_clock, store):
    fake_clock.set(LATE)
    text = only(no_errors(await clocked_bot.say(ALICE, "/remind 15 12月1日 9:30 " + "交材料" * 100))).text
    assert f"备注超过 {MAX_NOTE_CHARS} 个字，已截短为前 {MAX_NOTE_CHARS} 个字" in text
    (r,) = store.reminders.pending_reminders(ALICE, LATE)
    assert r.note == ("交材料" * 100)[:MAX_NOTE_CHARS]


async def test_a_note_of_200_characters_is_kept_whole_without_a_cut_notice(clocked_bot, fake_clock, store):
    fake_clock.set(LATE)
    text = only(no_errors(await clocked_bot.say(ALICE, "/remind 15 12月1日 9:30 " + "材" * MAX_NOTE_CHARS))).text
    assert "截短" not in text and "材" * MAX_NOTE_CHARS in text


# ---- 4. /lead takes one time ----------------------------------------------------------------------
@pytest.mark.parametrize("arg", ["08:30 09:30", "3 1 08:30 08:30", "7 9:00 下午3点"])
async def test_lead_with_two_times_is_refused_with_a_one_time_example_and_nothing_is_stored(bot, store, arg):
    text = only(no_errors(await bot.say(ALICE, f"/lead {arg}"))).text
    assert "只能写一个提醒时间" in text and "/lead 3 1 08:30" in text
    assert nothing_stored(store)


# ---- 5. a command addressed to another bot --------------------------------------------------------
@pytest.mark.parametrize(("text", "mine"), [
    ("/item 15", True), ("/item@PlanBot 15", True), ("/item@planbot\u300015", True), ("/help@PlanBot", True),
    ("/item@OtherBot 15", False), ("/item@PlanBot2 15", False), ("/学前教育", False), ("学前教育", False), ("", False),
])
def test_command_for_me_is_true_for_an_unaddressed_command_or_one_addressed_to_this_bot(text, mine):
    assert command_for_me(text, "PlanBot") is mine


def test_an_addressed_command_is_another_bots_when_this_bot_has_no_known_username():
    assert command_for_me("/item 15", "") and not command_for_me("/item@PlanBot 15", "")


def test_the_console_does_not_run_a_command_addressed_to_another_bot_and_says_so(index, store, clock):
    out = io.StringIO()
    lines = "/item@OtherBot 15\n/subscribe@OtherBot 15\n/item@PlanBot 15\n"
    assert run_console(Logic(index, store, clock, TEXT), io.StringIO(lines), out) == 0
    text = out.getvalue()
    assert "/item@OtherBot 是发给 @OtherBot 的命令，不是发给我（@PlanBot）的，没有执行。要我执行，请发送 /item 15" in text
    assert "/subscribe@OtherBot 是发给 @OtherBot 的命令" in text and "已订阅" not in text
    assert text.count(ITEM_15) == 1  # only the command addressed to this bot ran
    assert list(store.reminders.subscriptions(0)) == []
