"""The reminder commands through the Telegram handlers (Application.process_update, in-process Bot
API): subscribe, unsubscribe, list, deadlines, personal reminders, lead times, calendars; the
subscribe buttons; the 2021 plan seen from 2026; bad input answered clearly with nothing stored."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone

import pytest
from conftest import LATE
from fake_telegram import no_errors, only
from icalendar import Calendar

from bot.reminders.store import ALL, ITEM, SECTION

ALICE = 1001
BOB = 1002
GROUP = -5001
REMINDER_TABLES = ("chats", "subscriptions", "personal_reminders", "deliveries")


def stored(store) -> dict[str, int]:
    return {t: store.db[t].count for t in REMINDER_TABLES}


def subs(store, chat=ALICE) -> list[tuple[str, int]]:
    return [(s.scope, s.number) for s in store.reminders.subscriptions(chat)]


# ---- subscribe / unsubscribe / subscriptions ------------------------------------------------------
async def test_subscribe_to_an_item_lists_its_dates_and_stores_the_chat(bot, store):
    call = only(no_errors(await bot.say(ALICE, "/subscribe 15")))
    text = call.text
    assert text.startswith("🔔 已订阅：三、建设高质量教育体系 › 15. 推动高等教育提质创新发展")
    assert "· 2021-12-31 年度任务（还有 305 天）" in text and "· 2022-12-31 “今明两年”（还有 670 天）" in text
    assert "会在截止日前 7 天、前 1 天的 09:00 提醒你" in text
    assert [label for label, _ in call.buttons] == ["全文 15", "取消订阅"]
    assert subs(store) == [(ITEM, 15)]
    assert store.reminders.chat(ALICE).chat_id == ALICE  # the real id: reminders are sent to it


@pytest.mark.parametrize(("arg", "expected"), [
    ("十五", (ITEM, 15)), ("第15条", (ITEM, 15)), ("3", (ITEM, 3)), ("第三条", (ITEM, 3)),
    ("三", (SECTION, 3)), ("第三部分", (SECTION, 3)), ("七", (SECTION, 7)), ("all", (ALL, 0)), ("全部", (ALL, 0)),
])
async def test_items_sections_and_all_as_people_write_them(bot, store, arg, expected):
    no_errors(await bot.say(ALICE, f"/subscribe {arg}"))
    assert subs(store) == [expected]


async def test_subscribing_to_a_section_or_everything_summarises_the_dates(bot, store):
    text = only(await bot.say(ALICE, "/subscribe 三")).text
    assert text.startswith("🔔 已订阅：第三部分 建设高质量教育体系") and "共 11 个时间节点" in text
    assert "· 2021-05-15 第14条 “职业教育活动周”（还有 75 天）" in text
    text = only(await bot.say(ALICE, "/subscribe all")).text
    assert "全部条目（包括以后加入的计划）" in text and "共 42 个时间节点" in text


async def test_subscribing_twice_says_so_and_stores_one(bot, store):
    await bot.say(ALICE, "/subscribe 15")
    assert only(await bot.say(ALICE, "/subscribe 十五")).text.startswith("🔔 你已经订阅过：")
    assert subs(store) == [(ITEM, 15)]


async def test_subscriptions_show_each_with_its_next_date_and_cancel_buttons(bot, store):
    for arg in ("15", "三", "all"):
        await bot.say(ALICE, f"/subscribe {arg}")
    call = only(no_errors(await bot.say(ALICE, "/subscriptions")))
    lines = call.text.splitlines()
    assert lines[:2] == ["你的订阅", "提醒时间：截止日前 7 天、前 1 天的 09:00（/lead 修改）"]
    assert "· 第15条 推动高等教育提质创新发展" in lines
    assert lines[lines.index("· 第15条 推动高等教育提质创新发展") + 1] == \
        "  下一个：2021-12-31 第15条 年度任务（还有 305 天）"
    assert "  下一个：2021-03-31 第4条 第一季度 专题报告会（还有 30 天）" in lines  # `all`
    assert [label for label, _ in call.buttons] == ["取消 全部", "取消 第三部分", "取消 15"]
    ack = only(await bot.press(call.message, dict(call.buttons)["取消 15"]), "answerCallbackQuery")
    assert ack.params["text"].startswith("已取消订阅第15条。你仍通过“全部条目")
    assert subs(store) == [(ALL, 0), (SECTION, 3)]


async def test_unsubscribe_one_then_all_forgets_the_chat(bot, store):
    await bot.say(ALICE, "/subscribe 15")
    await bot.say(ALICE, "/subscribe 16")
    assert only(await bot.say(ALICE, "/unsubscribe 15")).text == "已取消订阅第15条。"
    assert "你没有订阅第15条" in only(await bot.say(ALICE, "/unsubscribe 15")).text
    text = only(await bot.say(ALICE, "/unsubscribe all")).text
    assert text.startswith("已取消全部 1 个订阅") and "聊天编号" in text
    assert stored(store) == dict.fromkeys(REMINDER_TABLES, 0)
    assert "还没有订阅" in only(await bot.say(ALICE, "/subscriptions")).text


async def test_the_subscribe_button_under_an_answer_does_what_subscribe_does(bot, store):
    answer = only(await bot.say(ALICE, "学前教育有什么新政策？"))
    calls = no_errors(await bot.press(answer.message, dict(answer.buttons)["订阅提醒 11"]))
    ack = only(calls, "answerCallbackQuery")
    assert ack.params["text"] == "已订阅第 11 条的提醒" and not ack.params.get("show_alert")
    assert only(calls).text.startswith("🔔 已订阅：三、建设高质量教育体系 › 11. 推动学前教育普惠发展")
    assert subs(store) == [(ITEM, 11)]


async def test_the_subscribe_button_on_an_item_card_does_the_same(bot, store):
    card = only(await bot.say(ALICE, "/item 15"))
    calls = no_errors(await bot.press(card.message, dict(card.buttons)["🔔 订阅提醒"]))
    assert "你已经订阅过" not in only(calls).text
    assert subs(store) == [(ITEM, 15)]


async def test_a_group_subscribes_as_a_group(bot, fake, store):
    group = fake.group_chat(GROUP)
    no_errors(await bot.say(group, "/subscribe@PlanTestBot 15", user=fake.user(BOB)))
    assert subs(store, GROUP) == [(ITEM, 15)] and subs(store, BOB) == []


# ---- the 2021 plan seen from 2026 -----------------------------------------------------------------
async def test_subscribe_promises_only_the_reminders_still_to_come(clocked_bot, fake_clock, store):
    fake_clock.set(datetime(2021, 12, 27, 12, 0, tzinfo=timezone.utc))  # 7 days before 12-31 has passed
    text = only(no_errors(await clocked_bot.say(ALICE, "/subscribe 15"))).text
    assert "· 2021-12-31 年度任务（还有 4 天） ⚠️ 只剩前 1 天的提醒" in text
    assert "· 2022-12-31 “今明两年”（还有 369 天）\n" in text  # both lead times still ahead: no mark
    assert "会在截止日前 7 天、前 1 天的 09:00 提醒你（标了 ⚠️ 的日期只发还没过的提醒）" in text
    fake_clock.set(datetime(2021, 12, 31, 3, 0, tzinfo=timezone.utc))  # 11:00 on the day itself
    text = only(no_errors(await clocked_bot.say(BOB, "/subscribe 十五"))).text
    assert "· 2021-12-31 年度任务（今天） ⚠️ 提醒时间已过，这个日期不会再提醒" in text
    listing = only(no_errors(await clocked_bot.say(BOB, "/subscriptions"))).text
    assert ("最近的日期 2021-12-31 第15条 年度任务（今天） 提醒时间已过，不会再提醒；"
            "下一个提醒：2022-12-31 第15条 “今明两年”（还有 365 天）") in listing


async def test_subscribe_says_so_when_no_upcoming_date_will_bring_a_reminder(clocked_bot, fake_clock):
    fake_clock.set(datetime(2022, 12, 31, 3, 0, tzinfo=timezone.utc))  # the last date, after its reminders
    text = only(no_errors(await clocked_bot.say(ALICE, "/subscribe 15"))).text
    assert "这些日期的提醒时间都已过，不会再发提醒" in text and "会在截止日前" not in text


async def test_subscribing_to_a_past_item_says_plainly_that_its_dates_have_passed(clocked_bot, fake_clock, store):
    fake_clock.set(LATE)
    text = only(no_errors(await clocked_bot.say(ALICE, "/subscribe 15"))).text
    assert text.startswith("🔔 已订阅：三、建设高质量教育体系 › 15. 推动高等教育提质创新发展")
    assert "· 2021-12-31 年度任务（已过）\n· 2022-12-31 “今明两年”（已过）" in text
    assert "这一条的日期都已过去（最后一个是 2022-12-31），不会再发提醒。" in text
    assert "/remind 15 <日期>" in text
    assert "会在截止日前" not in text
    dates = re.findall(r"20\d\d-\d\d-\d\d", text)
    assert dates and max(dates) == "2022-12-31"  # no date is made up
    assert subs(store) == [(ITEM, 15)]  # recorded all the same


async def test_subscribing_to_everything_of_a_past_plan_says_so_too(clocked_bot, fake_clock, store):
    fake_clock.set(LATE)
    text = only(await clocked_bot.say(ALICE, "/subscribe all")).text
    assert "还没到的 0 个" in text and "日期都已过去，最后一个是 2023-12-31" in text
    assert "以后补充的日期和新加入的计划会按时提醒你" in text
    assert subs(store) == [(ALL, 0)]
    text = only(await clocked_bot.say(ALICE, "/subscribe 三")).text
    assert "这一部分以后补充的日期会按时提醒你" in text and "新加入的计划" not in text
    text = only(await clocked_bot.say(ALICE, "/subscriptions")).text
    assert text.count("日期都已过去，最后一个是 2023-12-31") == 2


async def test_deadlines_put_upcoming_first_and_mark_past_ones(clocked_bot, fake_clock):
    fake_clock.set(datetime(2021, 7, 1, 2, tzinfo=timezone.utc))
    lines = only(await clocked_bot.say(ALICE, "/deadlines 4")).text.splitlines()
    dated = [ln for ln in lines if ln.startswith("· ")]
    assert dated == [
        "· 2021-09-30 第三季度 专题报告会（还有 91 天）",
        "· 2021-12-31 年度任务、第四季度 专题报告会（还有 183 天）",
        "· 2022-12-31 内蒙古自治区干部教育培训规划收官（还有 548 天）",
        "· 2021-03-31 第一季度 专题报告会（已过）",
        "· 2021-06-30 第二季度 专题报告会（已过）",
    ]
    assert "  原文：“每季度举办1期专题报告会”" in lines
    whole = only(await clocked_bot.say(ALICE, "/deadlines")).text
    assert "· 2021-12-31 年度任务 — 第 1–3、5–33 条（还有 183 天）" in whole
    assert whole.index("还有") < whole.index("已过")
    fake_clock.set(LATE)
    assert "这份计划的日期都已过去。" in only(await clocked_bot.say(ALICE, "/deadlines")).text


# ---- personal reminders ---------------------------------------------------------------------------
async def test_remind_sets_a_personal_reminder_and_reminders_cancels_it(clocked_bot, fake_clock, store):
    fake_clock.set(LATE)
    call = only(no_errors(await clocked_bot.say(ALICE, "/remind 15 12月1日 9:30 交材料")))
    assert call.text.startswith("⏰ 好的：2026-12-01（周二）09:30 提醒你看 15. 推动高等教育提质创新发展（还有 7 天）")
    assert "备注：交材料" in call.text
    (r,) = store.reminders.pending_reminders(ALICE, LATE)
    assert (r.item, r.local_date.isoformat(), r.local_time, r.note) == (15, "2026-12-01", time(9, 30), "交材料")
    assert r.due_at == datetime(2026, 12, 1, 1, 30, tzinfo=timezone.utc)  # 09:30 in Asia/Shanghai
    no_errors(await clocked_bot.say(ALICE, "/remind 十五 2027/3/1"))  # no time: the chat's reminder time
    listing = only(await clocked_bot.say(ALICE, "/reminders"))
    assert "1. 2026-12-01（周二）09:30 · 15. 推动高等教育提质创新发展 · 备注：交材料" in listing.text
    assert "2. 2027-03-01（周一）09:00 · 15. 推动高等教育提质创新发展" in listing.text
    calls = no_errors(await clocked_bot.press(listing.message, dict(listing.buttons)["取消 1"]))
    assert only(calls, "answerCallbackQuery").params["text"] == "已取消这个提醒"
    edited = only(calls, "editMessageText")
    assert "1. 2027-03-01" in edited.text and "交材料" not in edited.text
    assert [x.local_date.isoformat() for x in store.reminders.pending_reminders(ALICE, LATE)] == ["2027-03-01"]


async def test_an_edited_reminder_command_is_not_applied_and_the_user_is_told(clocked_bot, fake, fake_clock, store):
    fake_clock.set(LATE)
    first = fake.message(ALICE, "/remind 15 12月1日 9:30 交材料")
    no_errors(await clocked_bot.deliver())
    for command in ("/remind 15 12月2日 9:30 交材料", "/subscribe 15", "/unsubscribe all", "/lead 3 1"):
        fake.edit(first, command)
        call = only(no_errors(await clocked_bot.deliver()))
        assert "修改过的命令不会生效：请把改好的命令重新发送一条。" in call.text
    assert [r.local_date.isoformat() for r in store.reminders.pending_reminders(ALICE, LATE)] == ["2026-12-01"]
    assert subs(store) == [] and store.reminders.chat(ALICE).custom is False


async def test_an_edited_read_only_command_is_answered_again(clocked_bot, fake):
    first = fake.message(ALICE, "/deadlines 14")
    await clocked_bot.deliver()
    fake.edit(first, "/deadlines 15")
    assert "15. 推动高等教育提质创新发展" in only(no_errors(await clocked_bot.deliver())).text


async def test_the_same_personal_reminder_is_not_stored_twice(clocked_bot, fake_clock, store):
    fake_clock.set(LATE)
    only(no_errors(await clocked_bot.say(ALICE, "/remind 15 12月1日 9:30 交材料")))
    again = only(no_errors(await clocked_bot.say(ALICE, "/remind 十五 2026-12-01 09:30 交材料")))
    assert again.text.startswith("⏰ 这个提醒已经设过了，不会重复发送：2026-12-01（周二）09:30")
    assert len(store.reminders.pending_reminders(ALICE, LATE)) == 1
    no_errors(await clocked_bot.say(ALICE, "/remind 15 12月1日 9:30 另一件事"))  # another note: another reminder
    assert len(store.reminders.pending_reminders(ALICE, LATE)) == 2


async def test_a_date_without_a_year_is_the_next_such_date(clocked_bot, fake_clock, store):
    fake_clock.set(LATE)
    assert "2027-11-01" in only(await clocked_bot.say(ALICE, "/remind 15 11月1日")).text


@pytest.mark.parametrize(("command", "answer"), [
    ("/subscribe 99", "“99”不是有效的条目编号：请输入 1–33"),
    ("/subscribe abc", "“abc”不是有效的条目编号"),
    ("/subscribe", "用法：/subscribe 15"),
    ("/subscribe 总体要求", "总体要求没有单独的时间节点"),
    ("/subscribe 第九部分", "不是有效的部分"),
    ("/unsubscribe 99", "“99”不是有效的条目编号"),
    ("/remind 15 2019-01-01", "2019-01-01 已经过去了（今天是 2026-11-24），请写今天以后的日期。"),
    ("/remind 15 2026-13-45", "“2026-13-45”不是有效的日期"),
    ("/remind 15", "请写上日期，例如 /remind 15 12月1日"),
    ("/remind", "用法：/remind 15 <日期>"),
    ("/remind 99 12月1日", "“99”不是有效的条目编号"),
    ("/remind 15 下周五", "没看懂日期“下周五”"),
    ("/remind 15 12月1日 25:00", "“25:00”不是有效的时间"),
    ("/remind 15 今天 8:00", "今天 08:00 已经过了"),
    ("/remind 15 2099-01-01", "最多只能提前 5 年"),
    ("/lead -1", "“-1”不是有效的提前天数：请写 0–90 之间的整数"),
    ("/lead abc", "“abc”不是有效的提前天数"),
    ("/lead 91", "“91”不是有效的提前天数"),
    ("/lead 7 6 5 4 3 2", "最多设 5 个提前天数"),
    ("/lead 7 25:00", "“25:00”不是有效的时间"),
])
async def test_bad_input_is_answered_clearly_and_nothing_is_stored(clocked_bot, fake_clock, store, command, answer):
    fake_clock.set(LATE)
    call = only(no_errors(await clocked_bot.say(ALICE, command)))
    assert answer in call.text
    assert stored(store) == dict.fromkeys(REMINDER_TABLES, 0)


async def test_lead_changes_the_days_and_time_of_this_chat_only(bot, store):
    assert "现在：在截止日前 7 天、前 1 天的 09:00（Asia/Shanghai）提醒" in only(await bot.say(ALICE, "/lead")).text
    text = only(await bot.say(ALICE, "/lead 3 1 08:30")).text
    assert text.startswith("好的，在截止日前 3 天、前 1 天的 08:30（Asia/Shanghai）提醒。")
    assert "截止日前 7 天、前 1 天的 09:00" in only(await bot.say(BOB, "/lead")).text
    only(await bot.say(ALICE, "/lead 0"))
    chat = store.reminders.chat(ALICE)
    assert (chat.leads, chat.at) == ((0,), time(8, 30))
    assert "当天的 08:30" in only(await bot.say(ALICE, "/subscribe 15")).text


async def test_lead_days_may_be_written_with_tian(bot, store):
    assert only(no_errors(await bot.say(ALICE, "/lead 3天 1日 08:30"))).text.startswith(
        "好的，在截止日前 3 天、前 1 天的 08:30")
    assert store.reminders.chat(ALICE).leads == (3, 1)


async def test_too_late_today_near_midnight_suggests_tomorrow(clocked_bot, fake_clock):
    fake_clock.set(datetime(2026, 11, 24, 15, 30, tzinfo=timezone.utc))  # 23:30 in Shanghai
    text = only(no_errors(await clocked_bot.say(ALICE, "/remind 15 今天 23:00"))).text
    assert "今天 23:00 已经过了" in text and "/remind 15 明天 00:30" in text
    fake_clock.set(datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc))  # 14:00: an hour later is still today
    assert "/remind 15 今天 15:00" in only(await clocked_bot.say(ALICE, "/remind 15 今天 13:00")).text


# ---- calendars ------------------------------------------------------------------------------------
async def test_calendar_sends_an_ics_file_of_an_item_or_of_the_subscriptions(bot, store):
    doc = only(no_errors(await bot.say(ALICE, "/calendar 15")), "sendDocument")
    ((name, data),) = doc.files.values()
    assert name == "plan-bot-nmg-edu-2021-15.ics"
    events = Calendar.from_ical(data).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["15. 推动高等教育提质创新发展：年度任务", "15. 推动高等教育提质创新发展：今明两年"]  # noqa: E501
    assert "2 个时间节点" in doc.message["caption"]
    assert "还没有订阅" in only(await bot.say(ALICE, "/calendar")).text
    await bot.say(ALICE, "/subscribe 三")
    await bot.say(ALICE, "/subscribe 15")  # in section 三 already: its dates are not repeated
    await bot.say(ALICE, "/subscribe 4")
    doc = only(no_errors(await bot.say(ALICE, "/calendar")), "sendDocument")
    ((name, data),) = doc.files.values()
    events = Calendar.from_ical(data).walk("VEVENT")
    assert name == "plan-bot-subscriptions.ics" and len(events) == 11 + 6  # section 三, then item 4 (two on 12-31)
    assert len({str(e["uid"]) for e in events}) == 17


@pytest.mark.parametrize("note, shown", [
    ("很长的备注" * 40, f"备注：{('很长的备注' * 5)[:23]}…\n"),  # cut, and 50 of them still fit
    ("<&>" * 40, "备注太长，这里省略"),  # escaped they would not fit: left out of the list
])
async def test_fifty_reminders_on_the_longest_item_list_in_one_message_that_a_cancel_rewrites(
        clocked_bot, fake_clock, store, note, shown):
    fake_clock.set(LATE)
    for day in range(1, 51):  # item 1 has the plan's longest title
        store.reminders.add_reminder(ALICE, "nmg-edu-2021", 1, (LATE + timedelta(days=day)).date(), time(9, 30),
                                     LATE + timedelta(days=day), LATE + timedelta(days=day + 1), note, LATE)
    listing = only(no_errors(await clocked_bot.say(ALICE, "/reminders")))  # one message, not two or three
    assert "50. " in listing.text and shown in listing.text
    edited = only(no_errors(await clocked_bot.press(listing.message, dict(listing.buttons)["取消 1"])),
                  "editMessageText")
    assert "49. " in edited.text and "50. " not in edited.text
