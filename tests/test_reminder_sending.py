"""Sending: the fan-out, what a crash leaves behind (at most once), blocked users, flood waits,
bounded retries with back-off, pacing, and the JobQueue jobs rebuilt at start-up."""

from __future__ import annotations

import logging
import time as wall
from datetime import timedelta

import pytest
from conftest import FakeClock
from fake_telegram import TOKEN, Failure, fake_request
from reminder_kit import FakeSender, local, sim_index, wire
from telegram import Bot

from bot.reminders.service import (
    BLOCKED,
    DUE_CHECK_JOB,
    FLOOD,
    MOVED,
    OK,
    REJECTED,
    STARTUP_JOB,
    TRANSIENT,
    UNCERTAIN,
    Pacer,
    SendResult,
)
from bot.reminders.store import FAILED, RETRY, SENT, UNCONFIRMED
from bot.replies import Origin, Reply
from bot.telegram.handlers import SERVICES
from bot.telegram.sender import TelegramSender

DUE = local(2027, 3, 24)  # the 7-day reminder of item 1's 2027-03-31
CHATS = list(range(3001, 3031))


class Killed(BaseException):
    """The process dies here (SIGKILL): nothing after this line runs."""


class DyingPacer(Pacer):
    """Lets `n` sends start, then the process dies before the next one is claimed."""

    def __init__(self, n: int) -> None:
        super().__init__(None)
        self.left = n

    async def wait(self) -> None:
        if self.left == 0:
            raise Killed
        self.left -= 1


def setup(store, chats=CHATS, **options):
    """Every chat subscribed to item 1 of the synthetic plan; the clock at DUE."""
    clock = FakeClock(local(2027, 3, 1))
    sender = FakeSender(clock)
    service, commands = wire(sim_index(), store, clock, sender, **options)
    for chat in chats:
        commands.subscribe("1", Origin(chat, chat))
    clock.set(DUE)
    return clock, sender, service, commands


def restart(store, clock, sender, **options):
    """A new process over the same database: start-up, then its first check."""
    service, _ = wire(sim_index(), store, clock, sender, **options)
    service.start_up()
    return service


def counts(sender) -> dict[int, int]:
    return {chat: len(sender.to(chat)) for chat in CHATS}


# ---- the fan-out and crashes ---------------------------------------------------------------------
async def test_a_fan_out_sends_each_chat_its_reminder_once(store):
    clock, sender, service, _ = setup(store, workers=4)
    report = await service.check()
    assert (report.due, report.sent) == (30, 30)
    assert counts(sender) == dict.fromkeys(CHATS, 1)
    report = await service.check()
    assert report.due == 0 and len(sender.sent) == 30


async def test_killed_between_two_sends_a_restart_continues_where_it_stopped(store):
    clock, sender, service, _ = setup(store, workers=1)
    service.pacer = DyingPacer(12)
    with pytest.raises(Killed):
        await service.check()
    assert len(sender.sent) == 12 and store.reminders.state_counts() == {SENT: 12}
    clock.advance(minutes=3)
    again = restart(store, clock, sender)
    report = await again.check()
    assert report.sent == 18
    assert counts(sender) == dict.fromkeys(CHATS, 1)  # no duplicates, nothing lost
    assert store.reminders.state_counts() == {SENT: 30}


async def test_killed_after_telegram_got_a_message_but_before_it_was_recorded_it_is_not_sent_again(store, caplog):
    clock, sender, service, _ = setup(store, workers=1)
    victim = CHATS[12]

    def die(chat):
        if chat == victim:
            raise Killed

    sender.after_send = die
    with pytest.raises(Killed):
        await service.check()
    sender.after_send = None
    with caplog.at_level(logging.WARNING, logger="bot.reminders.service"):
        again = restart(store, clock, sender)
    await again.check()
    assert counts(sender) == dict.fromkeys(CHATS, 1)  # the victim got it once, before the crash
    (d,) = store.reminders.deliveries(victim)
    assert d.state == UNCONFIRMED
    assert f"reminder {d.key} to chat {victim} was being sent when the last process stopped" in caplog.text


async def test_killed_between_the_claim_and_the_send_the_reminder_is_lost_not_doubled(store, caplog):
    """The price of at most once: Telegram cannot tell us whether a claimed send went out, so a claim
    left behind is never repeated. It is logged and recorded as unconfirmed."""
    clock, sender, service, _ = setup(store, workers=1)
    victim = CHATS[12]

    def die(chat):
        if chat == victim:
            raise Killed

    sender.before_send = die
    with pytest.raises(Killed):
        await service.check()
    sender.before_send = None
    with caplog.at_level(logging.WARNING, logger="bot.reminders.service"):
        again = restart(store, clock, sender)
    await again.check()
    assert counts(sender) == {**dict.fromkeys(CHATS, 1), victim: 0}
    assert store.reminders.state_counts() == {SENT: 29, UNCONFIRMED: 1}
    assert "not sent again (at most once)" in caplog.text


# ---- Telegram's answers --------------------------------------------------------------------------
async def test_a_user_who_blocked_the_bot_is_marked_inactive_and_gets_nothing_more(clocked_bot, fake, fake_clock, store):
    fake_clock.set(local(2021, 12, 20))
    alice, bob, carol = 4001, 4002, 4003
    for chat in (alice, bob, carol):
        await clocked_bot.say(chat, "/subscribe 15")
    service = clocked_bot.app.bot_data[SERVICES].reminders
    service.pacer = Pacer(None)
    fake.fail_next("sendMessage", status=403, description="Forbidden: bot was blocked by the user", retry_after=None)
    fake_clock.set(local(2021, 12, 24))
    since = fake.mark()
    report = await service.check()
    assert (report.sent, report.blocked) == (2, 1)
    assert sorted(c.chat_id for c in fake.replies(bob, since) + fake.replies(carol, since)) == [bob, carol]
    sent = fake.replies(bob, since)[0]
    assert sent.text.startswith("⏰ 还有 7 天截止：2021-12-31（周五）\n📌 三、建设高质量教育体系 › 15.")
    assert [label for label, _ in sent.buttons] == ["查看全文", "取消订阅"]
    assert not store.reminders.chat(alice).active
    assert store.reminders.deliveries(alice)[0].state == FAILED

    fake_clock.set(local(2021, 12, 30))
    since = fake.mark()
    await service.check()
    assert fake.find(lambda c: c.method == "sendMessage" and c.chat_id == alice, since) == []  # not even tried
    assert len(fake.replies(bob, since)) == 1

    await clocked_bot.say(alice, "/subscriptions")  # she unblocked the bot and wrote to it
    assert store.reminders.chat(alice).active
    fake_clock.set(local(2022, 12, 24))
    since = fake.mark()
    await service.check()
    assert "2022-12-31" in fake.replies(alice, since)[0].text


async def test_the_cancel_button_under_a_reminder_stops_that_subscription(clocked_bot, fake, fake_clock, store):
    fake_clock.set(local(2021, 12, 20))
    await clocked_bot.say(4001, "/subscribe 15")
    service = clocked_bot.app.bot_data[SERVICES].reminders
    service.pacer = Pacer(None)
    fake_clock.set(local(2021, 12, 24))
    since = fake.mark()
    await service.check()
    (reminder,) = fake.replies(4001, since)
    calls = await clocked_bot.press(reminder.message, dict(reminder.buttons)["取消订阅"])
    (ack,) = [c for c in calls if c.method == "answerCallbackQuery"]
    assert ack.params["text"] == "已取消订阅第15条。"
    assert store.reminders.subscriptions(4001) == []
    full = await clocked_bot.press(reminder.message, dict(reminder.buttons)["查看全文"])
    assert [c.text for c in full if c.method == "sendMessage"][0].startswith("📖 三、建设高质量教育体系 › 15.")


async def test_telegram_errors_become_outcomes(fake):
    chat = fake.private_chat(5001)["id"]
    bot = Bot(TOKEN, request=fake_request(fake))  # no rate limiter: Telegram's answer as it comes
    sender = TelegramSender(bot)
    reply = Reply(("<b>提醒</b>",))
    async with bot:
        assert (await sender.send(chat, reply)).outcome == OK
        fake.fail_next("sendMessage", retry_after=7)
        flood = await sender.send(chat, reply)
        assert (flood.outcome, flood.retry_after) == (FLOOD, 7.0)
        fake.fail_next("sendMessage", status=403, description="Forbidden: user is deactivated", retry_after=None)
        assert (await sender.send(chat, reply)).outcome == BLOCKED
        assert (await sender.send(999999, reply)).outcome == BLOCKED  # Bad Request: chat not found
        fake.fail_next("sendMessage", status=502, description="Bad Gateway", retry_after=None)
        assert (await sender.send(chat, reply)).outcome == TRANSIENT  # the server answered: nothing was sent
        fake.fail_next("sendMessage", status=400, description="Bad Request: message is too long", retry_after=None)
        assert (await sender.send(chat, reply)).outcome == REJECTED
        fake._failures.append(Failure("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat",
                                      {"migrate_to_chat_id": -1001234}, 1))
        moved = await sender.send(chat, reply)
        assert (moved.outcome, moved.new_chat_id) == (MOVED, -1001234)


async def test_a_flood_wait_is_waited_out_then_sent(store):
    waits = []

    async def sleep(seconds):
        waits.append(seconds)

    clock, sender, service, _ = setup(store, chats=[CHATS[0]], sleep=sleep)
    sender.script[CHATS[0]] = [SendResult(FLOOD, retry_after=3), SendResult(FLOOD, retry_after=3)]
    report = await service.check()
    assert waits == [3, 3] and report.sent == 1 and len(sender.sent) == 1


async def test_failures_that_delivered_nothing_are_retried_with_back_off_a_bounded_number_of_times(store):
    clock, sender, service, _ = setup(store, chats=CHATS[:2], max_attempts=5)
    ok_later, never = CHATS[0], CHATS[1]
    sender.script[ok_later] = [SendResult(TRANSIENT, error="Bad Gateway")] * 2
    sender.script[never] = [SendResult(TRANSIENT, error="Bad Gateway")] * 10
    for _ in range(60):  # a check every minute for an hour
        await service.check()
        clock.advance(minutes=1)
    tried = lambda chat: [at - DUE for c, at in sender.attempts if c == chat]  # noqa: E731
    assert tried(ok_later) == [timedelta(0), timedelta(minutes=1), timedelta(minutes=3)]  # back-off 1, then 2 min
    assert len(sender.to(ok_later)) == 1 and store.reminders.deliveries(ok_later)[0].state == SENT
    assert tried(never) == [timedelta(minutes=m) for m in (0, 1, 3, 7, 15)]
    (d,) = store.reminders.deliveries(never)
    assert (d.state, d.attempts) == (FAILED, 5) and "after 5 attempts" in d.error


async def test_a_retry_is_never_made_after_the_deadline(store):
    clock, sender, service, _ = setup(store, chats=[CHATS[0]])
    clock.set(local(2027, 3, 31, 23, 58))
    sender.script[CHATS[0]] = [SendResult(TRANSIENT, error="Bad Gateway")] * 3
    for _ in range(10):
        await service.check()
        clock.advance(minutes=1)
    assert len(sender.attempts) == 2  # 23:58 and 23:59; the next was due after midnight
    (d,) = [d for d in store.reminders.deliveries() if d.lead == 1]  # (lead 7 fell due unchecked: skipped)
    assert d.state == FAILED and "too late" in d.error


async def test_a_send_that_may_have_arrived_is_not_repeated(store):
    clock, sender, service, _ = setup(store, chats=[CHATS[0]])
    sender.script[CHATS[0]] = [SendResult(UNCERTAIN, error="timed out")]
    for _ in range(3):
        await service.check()
        clock.advance(minutes=5)
    assert len(sender.attempts) == 1 and store.reminders.deliveries()[0].state == UNCONFIRMED


async def test_a_run_of_failures_pauses_the_fan_out_until_the_next_check(store):
    clock, sender, service, _ = setup(store, chats=CHATS[:8], workers=1)
    for chat in CHATS[:8]:
        sender.script[chat] = [SendResult(TRANSIENT, error="Bad Gateway")]
    report = await service.check()
    assert report.paused and len(sender.attempts) == 5
    assert store.reminders.state_counts() == {RETRY: 5}
    clock.advance(minutes=1)
    await service.check()  # the five retries go out; the three not tried yet fail once each
    assert len(sender.sent) == 5 and store.reminders.state_counts() == {SENT: 5, RETRY: 3}
    clock.advance(minutes=1)
    await service.check()
    assert len(sender.sent) == 8 and store.reminders.state_counts() == {SENT: 8}


async def test_sends_are_paced_to_the_rate(store):
    clock, sender, service, _ = setup(store, chats=CHATS[:11], rate=100.0, workers=4)
    t0 = wall.monotonic()
    await service.check()
    assert len(sender.sent) == 11 and wall.monotonic() - t0 >= 0.1  # 10 gaps of 10 ms


# ---- jobs --------------------------------------------------------------------------------------
async def test_start_up_schedules_its_named_jobs_and_a_restart_replaces_them(bot):
    from bot.telegram.handlers import PRUNE_JOB

    await bot.app.post_init(bot.app)
    await bot.app.post_init(bot.app)
    names = sorted(j.name for j in bot.app.job_queue.jobs())
    assert names == sorted([STARTUP_JOB, DUE_CHECK_JOB, PRUNE_JOB])


async def test_the_due_check_job_runs_one_fan_out_at_a_time(clocked_bot, fake, fake_clock):
    fake_clock.set(local(2021, 12, 20))
    for chat in (4001, 4002):
        await clocked_bot.say(chat, "/subscribe 15")
    app = clocked_bot.app
    service = app.bot_data[SERVICES].reminders
    service.pacer = Pacer(None)
    await app.post_init(app)
    fake_clock.set(local(2021, 12, 24))
    since = fake.mark()
    (job,) = app.job_queue.get_jobs_by_name(DUE_CHECK_JOB)
    await job.run(app)
    await service.wait_idle()
    assert sorted(c.chat_id for c in fake.find(lambda c: c.method == "sendMessage", since)) == [4001, 4002]
    service.kick()
    first = service._task
    service.kick()  # a check while a fan-out runs starts no second one
    assert service._task is first and not first.done()
    await service.wait_idle()
    await service.stop()
    assert len(fake.find(lambda c: c.method == "sendMessage", since)) == 2


async def test_a_fan_out_that_runs_past_the_deadline_stops_sending_it(store):
    clock, sender, service, _ = setup(store, chats=CHATS[:6], workers=1)
    clock.set(local(2027, 3, 31, 23, 59))

    def slow(chat):  # each send takes an hour of the fake clock
        clock.advance(minutes=60)

    sender.after_send = slow
    report = await service.check()
    assert (report.sent, report.skipped) == (1, 5)  # the first went out at 23:59; the rest would be late
    assert store.reminders.state_counts() == {SENT: 1, "skipped": 5 + 1}  # + the first chat's 7-day one, superseded


async def test_a_reminder_that_cannot_be_rendered_is_recorded_as_failed_and_the_rest_go_out(store, caplog):
    clock, sender, service, _ = setup(store, chats=CHATS[:3], workers=1)
    compose = service.compose

    def broken(due):
        if due.chat_id == CHATS[1]:
            raise KeyError("no such item")
        return compose(due)

    service.compose = broken
    with caplog.at_level(logging.ERROR, logger="bot.reminders.service"):
        report = await service.check()
    assert (report.sent, report.failed) == (2, 1) and "could not be rendered" in caplog.text
    assert store.reminders.deliveries(CHATS[1])[0].state == FAILED


# ---- leaving and coming back ---------------------------------------------------------------------
async def test_unsubscribing_all_and_subscribing_again_does_not_resend_a_sent_reminder(store):
    clock, sender, service, commands = setup(store, chats=[3001])
    await service.check()
    assert len(sender.to(3001)) == 1
    me = Origin(3001, 3001)
    assert "聊天编号" in commands.unsubscribe("all", me).messages[0]  # forgotten: no settings of its own
    commands.subscribe("1", me)  # in the same minute as the reminder it already had
    assert (await service.check()).due == 0
    assert len(sender.to(3001)) == 1


async def test_unsubscribing_one_item_or_cancelling_a_reminder_keeps_the_chats_settings(store):
    clock, sender, service, commands = setup(store, chats=[3001])
    me = Origin(3001, 3001)
    commands.lead("3 1 08:30", me)
    commands.remind("2 2027-05-01", me)
    commands.unsubscribe("1", me)
    (r,) = store.reminders.pending_reminders(3001, clock())
    commands.cancel_press(me, r.id)
    chat = store.reminders.chat(3001)
    assert chat is not None and (chat.leads, chat.at.strftime("%H:%M")) == ((3, 1), "08:30")
    text = commands.unsubscribe("all", me).messages[0]  # nothing left, but /lead was changed: kept
    assert "你没有任何订阅" in text and store.reminders.chat(3001).custom
    commands.subscribe("1", me)
    assert "本聊天的 /lead 设置保留" in commands.unsubscribe("all", me).messages[0]
    commands.lead("7 1 09:00", me)
    commands.subscribe("1", me)
    assert "聊天编号" in commands.unsubscribe("all", me).messages[0]
    assert store.reminders.chat(3001) is None


async def test_a_group_moved_to_a_supergroup_that_already_uses_the_bot_is_merged_into_it(store):
    group, supergroup = -3001, -1003001
    clock, sender, service, commands = setup(store, chats=[group])
    commands.subscribe("3", Origin(supergroup, 1))  # the supergroup had subscribed on its own (another item)
    commands.remind("2 2027-05-01", Origin(group, 1))
    sender.script[group] = [SendResult(MOVED, error="Group migrated to supergroup", new_chat_id=supergroup)]
    report = await service.check()
    assert report.retry == 1 and sender.to(supergroup) == []
    assert store.reminders.chat(group) is None and store.reminders.deliveries(group) == []
    assert [(s.scope, s.number) for s in store.reminders.subscriptions(supergroup)] == [("item", 1), ("item", 3)]
    assert len(store.reminders.pending_reminders(supergroup, clock())) == 1
    (d,) = store.reminders.deliveries(supergroup)
    assert d.state == RETRY  # not left `sending`: the next check sends it to the supergroup
    await service.check()
    assert [s.what[:2] for s in sender.to(supergroup)] == [(1, "2027-03-31")]
    assert store.reminders.deliveries(supergroup)[0].state == SENT
