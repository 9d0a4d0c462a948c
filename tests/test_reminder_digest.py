"""Digests: a chat's reminders of one date at one lead time come as ONE message listing them (33 items
share the 2021 year end), with buttons that say what they do; each delivery row is still claimed before
the send and finished after it (at most once); a lone reminder keeps its own message."""

from __future__ import annotations

import re

import pytest
from conftest import FakeClock
from reminder_kit import FakeSender, local, sim_index, wire

from bot.reminders.service import BLOCKED, TRANSIENT, Pacer, SendResult
from bot.reminders.store import FAILED, SENT, UNCONFIRMED
from bot.render import TELEGRAM_LIMIT, split_message
from bot.replies import Origin, Reply
from bot.telegram.handlers import SERVICES

A, B, C = 5001, 5002, 5003
YEAR_END = local(2027, 12, 24)  # the 7-day reminders of 2027-12-31: items 1, 2 and 3 of the synthetic plan


class Killed(BaseException):
    """The process dies here (SIGKILL): nothing after this line runs."""


def sim(store, subs: dict[int, list[str]], **options):
    clock = FakeClock(local(2027, 12, 1))
    sender = FakeSender(clock)
    service, commands = wire(sim_index(), store, clock, sender, **options)
    for chat, args in subs.items():
        for arg in args:
            commands.subscribe(arg, Origin(chat, chat))
    clock.set(YEAR_END)
    return clock, sender, service, commands


async def test_a_chat_following_all_gets_one_message_for_a_date_and_every_row_is_sent(store):
    clock, sender, service, _ = sim(store, {A: ["all"]})
    report = await service.check()
    (digest,) = sender.to(A)
    assert digest.text.startswith("⏰ 还有 7 天截止：2027-12-31（周五） · 3 条\n")
    assert digest.whats == [(1, "2027-12-31", "还有 7 天"), (2, "2027-12-31", "还有 7 天"), (3, "2027-12-31", "还有 7 天")]
    assert "\n\n📌 1. 季度调度 · 年度任务、第四季度 调度会 · “每季度召开1次调度会”\n📌 2. 年度验收 · 年度任务\n" in digest.text
    assert [label for label, _ in digest.buttons] == ["查看全文 1", "查看全文 2", "查看全文 3", "取消订阅（全部）"]
    assert all(len(data.encode()) <= 64 for _, data in digest.buttons)
    assert (report.due, report.sent) == (3, 3)
    rows = store.reminders.deliveries(A)
    assert len(rows) == 3 and {r.state for r in rows} == {SENT}
    assert {r.message_id for r in rows} == {1}  # the one message
    assert (await service.check()).due == 0  # the next due check: nothing again
    service, _ = wire(sim_index(), store, clock, sender)  # a restart
    service.start_up()
    assert (await service.check()).due == 0
    assert len(sender.sent) == 1


async def test_two_chats_each_get_their_own_digest_and_a_lone_reminder_is_unchanged(store):
    _, sender, service, _ = sim(store, {A: ["all"], B: ["一"], C: ["2"]})
    await service.check()
    (a,) = sender.to(A)
    (b,) = sender.to(B)
    (c,) = sender.to(C)
    assert [w[0] for w in a.whats] == [1, 2, 3] and [w[0] for w in b.whats] == [1, 2]
    assert dict(b.buttons)["取消订阅 一"] == "unsub:0:1:1" and "取消订阅（全部）" not in dict(b.buttons)
    # one item: today's message, as before
    assert c.text.startswith("⏰ 还有 7 天截止：2027-12-31（周五）\n📌 一、第一部分 › 2. 年度验收\n")
    assert [label for label, _ in c.buttons] == ["查看全文", "取消订阅"]


async def test_a_digest_names_each_subscription_it_came_by(store):
    _, sender, service, commands = sim(store, {A: ["all", "3"]})
    await service.check()
    (digest,) = sender.to(A)
    buttons = dict(digest.buttons)
    assert buttons["取消订阅（全部）"] == "unsub:0:0:0" and buttons["取消订阅 3"] == "unsub:0:2:3"
    assert "取消订阅" not in buttons


async def test_a_digest_killed_after_telegram_got_it_is_not_sent_again(store, caplog):
    def die(chat):
        raise Killed

    clock, sender, service, _ = sim(store, {A: ["all"]})
    sender.after_send = die
    with pytest.raises(Killed):
        await service.check()
    assert len(sender.sent) == 1 and {r.state for r in store.reminders.deliveries(A)} == {"sending"}
    sender.after_send = None
    service, _ = wire(sim_index(), store, clock, sender)
    service.start_up()
    assert (await service.check()).due == 0
    assert len(sender.sent) == 1
    assert {r.state for r in store.reminders.deliveries(A)} == {UNCONFIRMED}


async def test_a_digest_to_a_chat_that_blocked_the_bot_marks_it_inactive(store):
    _, sender, service, _ = sim(store, {A: ["all"], B: ["all"]})
    sender.script[A] = [SendResult(BLOCKED, error="Forbidden: bot was blocked by the user")]
    report = await service.check()
    assert report.blocked == 3 and report.sent == 3
    assert not store.reminders.chat(A).active and store.reminders.chat(B).active
    assert {r.state for r in store.reminders.deliveries(A)} == {FAILED}
    assert [len(s.whats) for s in sender.sent] == [3]
    assert len(sender.attempts) == 2  # one send per chat


async def test_the_year_end_of_the_shipped_plan_is_one_digest_whose_cancel_button_cancels_all(
        clocked_bot, fake, fake_clock, store):
    fake_clock.set(local(2021, 12, 20))
    await clocked_bot.say(4001, "/subscribe all")
    await clocked_bot.say(4002, "/subscribe 三")
    await clocked_bot.say(4002, "/subscribe 15")
    service = clocked_bot.app.bot_data[SERVICES].reminders
    service.pacer = Pacer(None)
    fake_clock.set(local(2021, 12, 24))
    since = fake.mark()
    report = await service.check()
    parts = fake.replies(4001, since)
    assert 1 <= len(parts) <= 2 and all(len(p.text) <= TELEGRAM_LIMIT for p in parts)
    assert parts[0].text.startswith("⏰ 还有 7 天截止：2021-12-31（周五） · ")
    rows = store.reminders.deliveries(4001)
    assert len(rows) >= 30 and {r.state for r in rows} == {SENT}  # 33 items, one digest
    assert report.sent == len(rows) + len(store.reminders.deliveries(4002))
    last = parts[-1]
    labels = [label for label, _ in last.buttons]
    assert labels == [f"查看全文 {n}" for n in range(1, 9)] + ["取消订阅（全部）"]
    items = [int(n) for n in re.findall(r"^📌 (\d+)\. ", "\n".join(p.text for p in parts), re.MULTILINE)]
    assert items == sorted(items) and len(items) == len(rows)
    assert "/deadlines" in "".join(p.text for p in parts)
    assert all(not p.buttons for p in parts[:-1])

    (section,) = fake.replies(4002, since)
    buttons = dict(section.buttons)
    assert "取消订阅 三" in buttons and "取消订阅 15" in buttons
    calls = await clocked_bot.press(section.message, buttons["取消订阅 三"])
    (ack,) = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "三" in ack.params["text"]
    assert [(s.scope, s.number) for s in store.reminders.subscriptions(4002)] == [("item", 15)]

    calls = await clocked_bot.press(last.message, dict(last.buttons)["取消订阅（全部）"])
    (ack,) = [c for c in calls if c.method == "answerCallbackQuery"]
    assert ack.params["text"] == "已取消订阅全部条目。"
    assert store.reminders.subscriptions(4001) == []
    since = fake.mark()
    assert (await service.check()).due == 0
    assert fake.replies(4001, since) == []


class CountingPacer(Pacer):
    def __init__(self) -> None:
        super().__init__(None)
        self.waits = 0

    async def wait(self) -> None:
        self.waits += 1


def split_small(service):
    """Render digests split into short parts (as a digest of hundreds of items would be)."""
    whole = service.digest

    def digest(group):
        reply = whole(group)
        return Reply(tuple(split_message("\n".join(reply.messages), 80)), reply.buttons)

    service.digest = digest


async def test_a_long_digest_goes_out_in_parts_each_paced_the_buttons_under_the_last(store):
    _, sender, service, _ = sim(store, {A: ["all"]})
    split_small(service)
    service.pacer = CountingPacer()
    report = await service.check()
    parts = sender.to(A)
    assert len(parts) > 1 and all(len(p.text) <= 80 for p in parts)
    assert all(not p.buttons for p in parts[:-1]) and dict(parts[-1].buttons)["取消订阅（全部）"] == "unsub:0:0:0"
    assert service.pacer.waits == len(parts)  # pacing counts messages
    assert report.sent == 3 and {r.state for r in store.reminders.deliveries(A)} == {SENT}
    assert (await service.check()).due == 0 and len(sender.sent) == len(parts)


async def test_a_digest_whose_later_part_failed_is_not_repeated(store):
    clock, sender, service, _ = sim(store, {A: ["all"]})
    split_small(service)

    def fail_the_next(chat):  # the first part arrived; the second fails (nothing delivered)
        sender.script[A] = [SendResult(TRANSIENT, error="502 Bad Gateway")]
        sender.after_send = None

    sender.after_send = fail_the_next
    report = await service.check()
    assert len(sender.sent) == 1 and len(sender.attempts) == 2 and report.unconfirmed == 3
    assert {r.state for r in store.reminders.deliveries(A)} == {UNCONFIRMED}
    clock.advance(minutes=30)
    assert (await service.check()).due == 0
    assert len(sender.sent) == 1
