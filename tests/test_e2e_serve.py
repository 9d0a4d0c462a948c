"""End to end: `plan-bot serve` with the Telegram webhook (setWebhook with a secret, updates posted
with and without it, replies sent, no polling), and serving the page while polling."""

from __future__ import annotations

import socket
import time

import httpx
from conftest import BotProcess, plan_bot_command

SECRET = "e2e-hook-secret"
TIMEOUT = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base}/healthz never answered 200")


def test_the_webhook_takes_only_updates_with_the_secret_and_never_polls(telegram_server, tmp_path):
    tg = telegram_server.fake
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    bot = BotProcess(telegram_server, tmp_path / "data" / "bot.sqlite3", tmp_path, log_level="INFO",
                     command=[*plan_bot_command(), "serve", "--listen", f"127.0.0.1:{port}"])
    bot.env.update(PLAN_BOT_WEBHOOK_URL=base, PLAN_BOT_WEBHOOK_SECRET=SECRET)
    since = tg.mark()
    bot.start(ready=False)
    try:
        (hook,) = tg.wait_for(lambda c: c.method == "setWebhook", since=since, timeout=TIMEOUT)
        assert hook.params["url"] == f"{base}/telegram" and hook.params["secret_token"] == SECRET
        wait_healthy(base)
        tg.message(401, "学前教育有什么新政策？")
        (update,) = tg.take_updates()
        refused = httpx.post(f"{base}/telegram", json=update, timeout=5)
        assert refused.status_code == 403
        time.sleep(0.5)
        assert tg.replies(401, since) == []  # nothing processed
        taken = httpx.post(f"{base}/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                           timeout=5)
        assert taken.status_code == 200
        (reply,) = tg.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == 401, since=since, timeout=TIMEOUT)
        assert reply.text.startswith("📌")
        again = httpx.post(f"{base}/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                           timeout=5)  # Telegram retrying a delivery
        assert again.status_code == 200
        time.sleep(0.5)
        assert len(tg.replies(401, since)) == 1  # the same update is answered once
        assert not tg.find(lambda c: c.method == "getUpdates", since, pending=True)
        page = httpx.get(f"{base}/", params={"q": "高校毕业生就业"}, timeout=5)
        assert page.status_code == 200 and "高校毕业生就业" in page.text
    finally:
        started = time.monotonic()
        code = bot.stop(timeout=20)
    assert code == 0 and time.monotonic() - started < 10, bot.log[-3000:]


def test_serve_with_a_token_and_no_webhook_polls_and_serves_the_page(telegram_server, tmp_path):
    tg = telegram_server.fake
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    bot = BotProcess(telegram_server, tmp_path / "data" / "bot.sqlite3", tmp_path, log_level="INFO",
                     command=[*plan_bot_command(), "serve", "--listen", f"127.0.0.1:{port}"]).start()
    try:
        wait_healthy(base)
        since = tg.mark()
        tg.message(402, "/item 15")
        (reply,) = tg.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == 402, since=since, timeout=TIMEOUT)
        assert "15." in reply.text
        assert httpx.get(f"{base}/item/15", timeout=5).status_code == 200
        assert httpx.post(f"{base}/telegram", json={"update_id": 1}, timeout=5).status_code == 404
    finally:
        assert bot.stop(timeout=20) == 0, bot.log[-3000:]
