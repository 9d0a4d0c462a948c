"""Timing, with a fake clock and a recording sender: two years of a synthetic plan simulated in about
a second — every reminder sent exactly once, at its local time, at each lead time; downtime; the 2021
plan seen from 2026 (nothing is ever sent)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, time, timedelta

import pytest
from conftest import LATE, FakeClock
from reminder_kit import TZ, FakeSender, local, sim_index, sim_plan, wire

from bot.reminders.store import SENT, SKIPPED
from bot.replies import Origin
from corpus.deadlines import extract

A, B, C, D, E, F = 2001, 2002, 2003, 2004, 2005, 2006
START = local(2027, 1, 1, 0, 0)
END = local(2029, 1, 1, 0, 0)


def how_far(lead: int) -> str:
    return {0: "今天", 1: "明天"}.get(lead, f"还有 {lead} 天")


def expected_sends(plan, who: dict[int, tuple[set[int], tuple[int, ...], time, datetime]]):
    """(chat, item, date, lead) → local due moment, computed straight from the plan's deadlines."""
    dates = sorted({(d.item, d.date) for d in extract(plan)[0]})
    out = {}
    for chat, (items, leads, at, since) in who.items():
        for item, day in dates:
            if item not in items:
                continue
            for lead in leads:
                moment = datetime.combine(day - timedelta(days=lead), at, tzinfo=TZ)
                if moment >= since:
                    out[(chat, item, day.isoformat(), lead)] = moment
    return out


async def simulate(service, clock: FakeClock, until: datetime, actions=(), sweep=timedelta(hours=12)) -> int:
    """Run the due check at every moment something falls due, at every sweep, and at each action's
    time (after running it); returns how many checks ran."""
    actions = sorted(actions, key=lambda a: a[0])
    checks = 0
    t = clock()
    while True:
        candidates = [service.schedule.next_due_at(t), t + sweep - timedelta(seconds=t.timestamp() % sweep.total_seconds())]
        candidates += [at for at, _ in actions if at > t]
        t = min(c for c in candidates if c is not None)
        if t >= until:
            return checks
        clock.set(t)
        for at, act in actions:
            if at == t:
                act()
        await service.check()
        checks += 1


async def test_two_years_every_reminder_once_at_its_local_time_and_lead(store):
    clock = FakeClock(START)
    sender = FakeSender(clock)
    service, commands = wire(sim_index(), store, clock, sender)
    me = lambda chat: Origin(chat, chat)  # noqa: E731
    commands.subscribe("1", me(A))
    commands.subscribe("二", me(B))
    commands.lead("3 0 20:30", me(B))
    commands.subscribe("all", me(C))
    commands.lead("1 8:00", me(C))
    assert "好的" in commands.remind("3 2027-05-20 14:00 交总结", me(E)).messages[0]
    commands.subscribe("1", me(F))
    commands.subscribe("all", me(F))
    subscribe_d = (local(2027, 12, 28, 12), lambda: commands.subscribe("2", me(D)))

    checks = await simulate(service, clock, END, [subscribe_d])

    nine, eight, evening = time(9), time(8), time(20, 30)
    expected = expected_sends(sim_plan(), {
        A: ({1}, (7, 1), nine, START), B: ({3}, (3, 0), evening, START), C: ({1, 2, 3}, (1,), eight, START),
        D: ({2}, (7, 1), nine, subscribe_d[0]), F: ({1, 2, 3}, (7, 1), nine, START),
    })
    assert len(expected) == 8 + 4 + 8 + 3 + 16
    deadline_sends = [s for s in sender.sent if s.chat_id != E]
    got = Counter((s.chat_id, *w) for s in deadline_sends for w in s.whats)
    assert max(got.values()) == 1  # exactly once: no chat got the same reminder twice
    assert sorted(got) == sorted((chat, item, day, how_far(lead)) for chat, item, day, lead in expected)
    for s in deadline_sends:  # at its own local time, on the day the lead time says
        for item, day, far in s.whats:
            lead = next(lead for (c, i, d, lead) in expected
                        if (c, i, d) == (s.chat_id, item, day) and how_far(lead) == far)
            assert s.at == expected[(s.chat_id, item, day, lead)]
    # one message per chat, date and lead: the reminders of one day come as one digest
    assert len({(s.chat_id, w[1], w[2]) for s in deadline_sends for w in s.whats}) == len(deadline_sends)
    assert any(len(s.whats) > 1 for s in deadline_sends)
    assert {s.at.astimezone(TZ).time() for s in sender.to(B)} == {evening}
    (personal,) = sender.to(E)
    assert personal.at == local(2027, 5, 20, 14) and "⏰ 你设的提醒：2027-05-20（周四）14:00" in personal.text
    assert "备注：交总结" in personal.text
    # one message per date for F, though both its subscriptions cover item 1; the button cancels the narrower
    # (a digest names each subscription it came by: item 1 directly, the others through `all`)
    for s in sender.to(F):
        items, buttons = {w[0] for w in s.whats}, dict(s.buttons)
        if len(s.whats) == 1:
            assert buttons["取消订阅"] == ("unsub:0:2:1" if items == {1} else "unsub:0:0:0")
        else:
            assert (buttons.get("取消订阅 1") == "unsub:0:2:1") == (1 in items)
            assert (buttons.get("取消订阅（全部）") == "unsub:0:0:0") == bool(items - {1})
            assert "取消订阅" not in buttons
    assert {d.state for d in store.reminders.deliveries()} == {SENT}
    assert len(store.reminders.deliveries()) == len(expected) + 1
    assert checks < 1600


async def test_a_reminder_text_names_the_item_the_date_how_far_and_the_source_words(store):
    clock = FakeClock(START)
    sender = FakeSender(clock)
    service, commands = wire(sim_index(), store, clock, sender)
    commands.subscribe("1", Origin(A, A))
    clock.set(local(2027, 6, 23))
    await service.check()
    (s,) = sender.sent
    assert s.text.splitlines() == [
        "⏰ 还有 7 天截止：2027-06-30（周三）",
        "📌 一、第一部分 › 1. 季度调度",
        "时间节点：“6月底前”、第二季度 调度会",
        "原文：“6月底前完成中期评估”",
        "原文：“每季度召开1次调度会”",
        "来源：模拟市教育局2027年工作要点",
    ]
    assert [label for label, _ in s.buttons] == ["查看全文", "取消订阅"]


async def test_checks_every_minute_around_a_due_time_send_once(store):
    clock = FakeClock(local(2027, 3, 24, 8, 55))
    sender = FakeSender(clock)
    service, commands = wire(sim_index(), store, clock, sender)
    commands.subscribe("1", Origin(A, A))
    for _ in range(15):
        await service.check()
        clock.advance(minutes=1)
    (s,) = sender.sent
    assert s.at == local(2027, 3, 24, 9, 0) and s.what == (1, "2027-03-31", "还有 7 天")


async def test_a_subscription_made_after_a_lead_time_does_not_send_it_late(store):
    clock = FakeClock(local(2027, 3, 26, 12))  # the 7-day reminder of 03-31 fell due on 03-24
    sender = FakeSender(clock)
    service, commands = wire(sim_index(), store, clock, sender)
    commands.subscribe("1", Origin(A, A))
    await simulate(service, clock, local(2027, 4, 1, 0, 0))
    assert [(s.what, s.at) for s in sender.sent] == [((1, "2027-03-31", "明天"), local(2027, 3, 30))]


# ---- downtime ------------------------------------------------------------------------------------
async def test_a_reminder_due_while_the_bot_was_down_is_sent_once_at_start_up_if_still_in_time(store):
    clock = FakeClock(local(2027, 3, 1))
    sender = FakeSender(clock)
    service, commands = wire(sim_index(), store, clock, sender)
    commands.subscribe("1", Origin(A, A))
    await service.check()  # the bot runs on 03-01 …
    clock.set(local(2027, 3, 27, 15))  # … and is down from then until 03-27 15:00 (the 7-day reminder was 03-24)
    service.start_up()
    await service.check()
    await service.check()
    clock.set(local(2027, 3, 30, 9))
    await service.check()
    assert [(s.what, s.at) for s in sender.sent] == [
        ((1, "2027-03-31", "还有 4 天"), local(2027, 3, 27, 15)),  # late, once, saying how far it really is
        ((1, "2027-03-31", "明天"), local(2027, 3, 30, 9)),
    ]


async def test_when_both_lead_times_fell_due_during_downtime_only_the_latest_is_sent(store):
    clock = FakeClock(local(2027, 3, 1))
    sender = FakeSender(clock)
    service, commands = wire(sim_index(), store, clock, sender)
    commands.subscribe("1", Origin(A, A))
    await service.check()
    clock.set(local(2027, 3, 31, 7))  # down from 03-01 to the deadline day itself
    await service.check()
    assert [s.what for s in sender.sent] == [(1, "2027-03-31", "今天")]
    states = {d.lead: d.state for d in store.reminders.deliveries(A)}
    assert states == {1: SENT, 7: SKIPPED}


async def test_reminders_whose_deadline_passed_during_downtime_are_skipped_and_logged(store, caplog):
    clock = FakeClock(local(2027, 3, 1))
    sender = FakeSender(clock)
    service, commands = wire(sim_index(), store, clock, sender)
    commands.subscribe("1", Origin(A, A))
    commands.remind("3 2027-03-20 10:00", Origin(E, E))
    await service.check()
    clock.set(local(2027, 4, 2, 10))  # down for a month: 03-20 and 03-31 came and went
    with caplog.at_level(logging.WARNING, logger="bot.reminders.service"):
        report = await service.check()
    assert sender.sent == [] and report.skipped == 3
    assert {(d.chat_id, d.lead, d.state) for d in store.reminders.deliveries()} == \
        {(A, 7, SKIPPED), (A, 1, SKIPPED), (E, None, SKIPPED)}
    assert "skipped 3 reminder(s) that fell due while the bot was down" in caplog.text
    await simulate(service, clock, local(2027, 7, 1))
    assert [s.what for s in sender.sent] == [(1, "2027-06-30", "还有 7 天"), (1, "2027-06-30", "明天")]


# ---- the 2021 plan at a 2026 clock -----------------------------------------------------------------
async def test_past_plan_subscriptions_are_kept_and_nothing_is_ever_sent(index, store):
    clock = FakeClock(LATE)
    sender = FakeSender(clock)
    service, commands = wire(index, store, clock, sender)
    for chat, arg in ((A, "15"), (B, "三"), (C, "all")):
        text = commands.subscribe(arg, Origin(chat, chat)).messages[0]
        assert "都已过去" in text
    assert service.schedule.next_due_at(LATE) is None  # there is no future date to wake up for
    await simulate(service, clock, LATE + timedelta(days=800), sweep=timedelta(days=1))
    assert sender.sent == [] and sender.attempts == []
    assert store.reminders.deliveries() == []
    assert len(store.reminders.subscriptions(A) + store.reminders.subscriptions(B) + store.reminders.subscriptions(C)) == 3


async def test_the_2021_plan_in_2021_reminds_of_its_dates(index, store):
    clock = FakeClock(local(2021, 12, 24, 8, 59))
    sender = FakeSender(clock)
    service, commands = wire(index, store, clock, sender)
    commands.subscribe("15", Origin(A, A))
    clock.set(local(2021, 12, 24, 9))
    await service.check()
    (s,) = sender.sent
    assert s.text.startswith("⏰ 还有 7 天截止：2021-12-31（周五）\n📌 三、建设高质量教育体系 › 15. 推动高等教育提质创新发展")
    assert "时间节点：年度任务" in s.text and "原文" not in s.text  # the annual default has no words of its own


@pytest.mark.parametrize(("moment", "sent"), [
    (local(2027, 3, 31, 23, 59), ["今天"]),  # the last minute of the deadline day: still in time
    (local(2027, 4, 1, 0, 0), []),  # the deadline has passed
    (local(2027, 4, 2, 9, 0), []),
])
async def test_a_deadline_is_never_reminded_of_after_its_day(store, moment, sent):
    clock = FakeClock(local(2027, 3, 1))
    sender = FakeSender(clock)
    service, commands = wire(sim_index(), store, clock, sender)
    commands.subscribe("1", Origin(A, A))
    clock.set(moment)
    await service.check()
    assert [s.what[2] for s in sender.sent] == sent


async def test_a_personal_reminder_goes_out_at_its_time_with_its_note_escaped(store):
    clock = FakeClock(local(2027, 5, 1))
    sender = FakeSender(clock)
    service, commands = wire(sim_index(), store, clock, sender)
    commands.remind("3 5月20日 下午2点 <script>&交总结</script>", Origin(E, E))
    await simulate(service, clock, local(2027, 6, 1))
    (s,) = sender.sent  # parse_html in the fake sender: Telegram would accept it
    assert s.at == local(2027, 5, 20, 14) and "备注：<script>&交总结</script>" in s.text
    assert [label for label, _ in s.buttons] == ["查看全文"]
    assert store.reminders.pending_reminders(E, clock()) == []


async def test_a_lead_time_added_later_does_not_repeat_a_date_already_reminded_of(store):
    clock = FakeClock(local(2027, 3, 1))
    sender = FakeSender(clock)
    service, commands = wire(sim_index(), store, clock, sender)
    commands.subscribe("1", Origin(A, A))
    await simulate(service, clock, local(2027, 3, 25))  # the 7-day reminder of 03-31 went out on 03-24
    commands.lead("10 3", Origin(A, A))  # 10 days before 03-31 was 03-21: farther out than what was sent
    await simulate(service, clock, local(2027, 4, 1))
    assert [(s.what, s.at) for s in sender.sent] == [
        ((1, "2027-03-31", "还有 7 天"), local(2027, 3, 24)), ((1, "2027-03-31", "还有 3 天"), local(2027, 3, 28)),
    ]


def test_a_reminder_of_a_dated_event_names_the_event_not_a_deadline(index):
    from bot.reminders import render as rr
    from bot.reminders.schedule import Catalogue
    from bot.render import TEXT
    from corpus.deadlines import NAMED_EVENT

    plan = index.plan()
    dd = next(d for d in Catalogue((plan,)).dates if all(x.rule == NAMED_EVENT for x in d.deadlines))
    text = rr.deadline_reminder_text(plan.item(dd.item), plan, dd, dd.date - timedelta(days=1), TEXT)
    assert text.startswith(f"⏰ 明天活动结束：{dd.date.isoformat()}")
    assert "截止" not in text and "（这一天是活动日期的最后一天）" in text
