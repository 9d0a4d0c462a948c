"""The inbox: an update is stored when fetched, claimed before it is handled, done after; a copy is
never handled twice; a restart finds what was left unfinished."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from telegram import Update

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def update(update_id: int, text: str = "学前教育") -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "text": text,
                                                 "chat": {"id": 7, "type": "private"}}}


def test_a_stored_update_is_claimed_once_then_done_and_its_text_erased(store) -> None:  # type: ignore[no-untyped-def]
    store.inbox_add([update(1), update(2)], T0)
    assert store.inbox_claim(1) and not store.inbox_claim(1)  # a second claim (a re-sent copy) fails
    store.inbox_done(1)
    assert not store.inbox_claim(1)
    assert list(store.db.query("select body from inbox where update_id = 1")) == [{"body": None}]
    store.inbox_add([update(1, "again")], T0)  # Telegram sends it again: still done
    assert not store.inbox_claim(1)


def test_an_update_never_stored_is_handled(store) -> None:  # type: ignore[no-untyped-def]
    assert store.inbox_claim(99)


def test_a_restart_gets_back_what_was_new_or_cut_off_while_working(store) -> None:  # type: ignore[no-untyped-def]
    store.inbox_add([update(1), update(2), update(3)], T0)
    store.inbox_claim(1)
    store.inbox_done(1)
    store.inbox_claim(2)  # the process died while handling 2
    assert [u["update_id"] for u in store.inbox_pending()] == [2, 3]
    assert store.inbox_claim(2) and store.inbox_claim(3)


def test_ids_of_handled_updates_are_forgotten_after_a_day(store) -> None:  # type: ignore[no-untyped-def]
    store.inbox_add([update(1)], T0)
    store.inbox_add([update(2)], T0 + timedelta(days=2))
    for n in (1, 2):
        store.inbox_claim(n)
        store.inbox_done(n)
    assert store.prune_inbox(T0 + timedelta(days=1)) == 1


async def test_the_same_update_delivered_twice_is_answered_once(bot, fake, store) -> None:  # type: ignore[no-untyped-def]
    fake.message(1001, "学前教育")
    (body,) = fake.take_updates()
    store.inbox_add([body], T0)
    since = fake.mark()
    for _ in range(2):
        await bot.app.process_update(Update.de_json(body, bot.app.bot))
    assert len([c for c in fake.calls[since:] if c.method == "sendMessage"]) == 1


async def test_a_group_reply_still_queued_at_shut_down_leaves_its_update_to_be_handled_again(bot, fake, store):  # type: ignore[no-untyped-def]
    from bot.telegram.handlers import cancel_queued

    group = fake.group_chat(-7001)
    for n in range(25):  # more than Telegram's 20 a minute for a group: the last replies wait
        fake.message(group, "/item 15")
    bodies = fake.take_updates()
    store.inbox_add(bodies, T0)
    for body in bodies:
        await bot.app.process_update(Update.de_json(body, bot.app.bot))
    services = bot.app.bot_data["services"]
    waiting = len([t for t in services.queued if not t.done()])
    await cancel_queued(services)
    left = [u["update_id"] for u in store.inbox_pending()]
    assert waiting >= 1 and len(left) == waiting  # not sent, so not done: the next start handles them
    sent = [c for c in fake.calls if c.method == "sendMessage" and int(c.params["chat_id"]) == -7001]
    assert len(sent) + len(left) >= 21  # 20 answers and a notice: each either sent or still owed
