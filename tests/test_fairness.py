"""Fairness: one chat cannot stall the others — a per-chat budget for what it sends us, and a flood
wait from Telegram for one chat delays that chat only."""

from __future__ import annotations

import asyncio
import time

from fake_telegram import no_errors
from telegram import Update

from bot.limits import ChatBudget

ALICE, BOB = 1001, 1002


def test_a_chat_gets_its_budget_then_one_notice_then_nothing_until_the_minute_is_over() -> None:
    now = [0.0]
    budget = ChatBudget(3, clock=lambda: now[0])
    assert [budget.check(ALICE) for _ in range(6)] == ["ok", "ok", "ok", "notice", "drop", "drop"]
    assert budget.check(BOB) == "ok"  # another chat has its own budget
    now[0] = 61.0
    assert budget.check(ALICE) == "ok" and budget.dropped == 3


async def test_a_flood_from_one_chat_is_cut_off_and_another_chat_is_still_answered(bot, fake):
    calls = []
    for n in range(25):
        calls += await bot.say(ALICE, f"学前教育 {n}")
    to_alice = [c for c in calls if c.method == "sendMessage"]
    assert len(to_alice) == 21 and "太快" in to_alice[-1].text  # 20 answers and one notice; 4 dropped
    answer = no_errors(await bot.say(BOB, "学前教育"))
    assert len(answer) == 1 and answer[0].text.startswith("📌")


async def test_group_chatter_not_addressed_to_the_bot_does_not_spend_the_budget(bot, fake):
    group = fake.group_chat(-5001)
    for n in range(30):
        await bot.say(group, f"今天谁接孩子 {n}")
    calls = await bot.say(group, "/item 15")
    assert any("15." in c.text for c in calls if c.method == "sendMessage")


async def test_a_flood_wait_for_one_chat_does_not_delay_another(bot, fake):
    fake.fail_next("sendMessage", retry_after=2, chat_id=ALICE)
    fake.message(ALICE, "学前教育")
    fake.message(BOB, "近视防控")
    alice_update, bob_update = (Update.de_json(u, bot.app.bot) for u in fake.take_updates())
    started = time.monotonic()
    alice = asyncio.create_task(bot.app.process_update(alice_update))
    await asyncio.sleep(0.2)  # Alice's answer has met its flood wait
    await bot.app.process_update(bob_update)
    bob_done = time.monotonic() - started
    await alice
    alice_done = time.monotonic() - started
    sent = [c for c in fake.calls if c.method == "sendMessage" and not c.error]
    assert {int(c.params["chat_id"]) for c in sent} == {ALICE, BOB}
    assert bob_done < 1.0 <= 2.0 <= alice_done  # Bob at once; Alice after her 2 s wait


async def test_a_busy_group_waiting_for_its_pacing_holds_up_no_one_and_shut_down_drops_its_queue(bot, fake):
    from bot.telegram.handlers import cancel_queued

    group = fake.group_chat(-5002)
    for n in range(25):  # 20 answers and a slow-down notice: Telegram paces a group to 20 messages a minute
        fake.message(group, "/item 15" if n % 2 else "/sections")
    started = time.monotonic()
    await bot.deliver(queued=False)
    handled = time.monotonic() - started
    fake.message(BOB, "学前教育")
    answer = [c for c in no_errors(await bot.deliver(queued=False)) if int(c.params["chat_id"]) == BOB]
    assert answer[0].text.startswith("📌") and time.monotonic() - started < 2.0 and handled < 2.0
    services = bot.app.bot_data["services"]
    assert services.queued  # group replies still waiting for their turn …
    dropped = await cancel_queued(services)
    assert dropped > 0 and not services.queued  # … are dropped at shut-down, not waited for


async def test_a_chats_flood_wait_is_forgotten_once_it_is_over(bot, fake):
    fake.fail_next("sendMessage", retry_after=1, chat_id=ALICE)
    await bot.say(ALICE, "学前教育")
    await bot.say(ALICE, "近视")
    assert bot.app.bot.rate_limiter._resume_at == {}
