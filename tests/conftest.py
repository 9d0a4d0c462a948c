"""Shared fixtures.

- the index (built once), a fresh in-memory store per test, a clock stopped at NOW, the fake Bot API;
- `bot`: the real Application driven through `process_update` with an in-process request object;
- end to end: `telegram_server` (a Bot API server on 127.0.0.1 per module) and `bot_process` (the real
  `plan-bot run` polling it); `BotProcess` for tests that start and stop the bot themselves.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import pytest
from fake_telegram import TOKEN, Call, FakeTelegram, fake_request

from corpus import load_plan, parse_plan
from index import Index

NOW = datetime(2021, 3, 1, 9, 30, tzinfo=timezone.utc)
LATE = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai: every 2021 date has passed
SECOND_PLAN = Path(__file__).parent / "data" / "second-plan" / "moushi-edu-2022.txt"


def build_index(plans=None) -> Index:  # type: ignore[no-untyped-def]
    """Index.build over the given plans (default: the shipped ones)."""
    return Index.build(plans)


@pytest.fixture(scope="session")
def index() -> Index:
    """The shipped plan's index (built once per test session)."""
    return build_index()


@pytest.fixture(scope="session")
def long_item_index() -> Index:
    """A small fictional plan whose item 4 is far longer than one Telegram message."""
    plan = load_plan(SECOND_PLAN)
    measures = "".join(f"第{i}项措施：开展校园安全隐患排查整治并建立长效机制，落实责任到人。" for i in range(1, 260))
    text = SECOND_PLAN.read_text(encoding="utf-8").replace("工作措施:开展安全隐患排查。推进平安校园建设。",
                                                           f"工作措施:{measures}")
    return build_index((parse_plan(text, plan.meta),))


@pytest.fixture(scope="session")
def two_plan_index() -> Index:
    """The fictional 2022 plan (first, so the default) and the shipped 2021 plan in one index."""
    from corpus import shipped_plans

    return build_index((load_plan(SECOND_PLAN), *shipped_plans()))


@pytest.fixture
def store() -> Iterator[Any]:
    """A fresh in-memory store."""
    from bot.store import Store

    s = Store.open()
    yield s
    s.close()


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    """A clock stopped at NOW."""
    return lambda: NOW


class FakeClock:
    """A clock tests move by hand: `clock()` is "now"; `set(t)`, `advance(days=…, minutes=…)`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        """Jump to `now` (aware)."""
        self.now = now

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta's keyword arguments; the new now."""
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock at NOW that the test can move."""
    return FakeClock(NOW)


@pytest.fixture
def fake() -> FakeTelegram:
    """A fresh fake Bot API."""
    return FakeTelegram()


class BotUnderTest:
    """The real Application, fed updates from the fake through `process_update`."""

    def __init__(self, app: Any, fake: FakeTelegram) -> None:
        self.app = app
        self.fake = fake

    async def deliver(self, *, queued: bool = True) -> list[Call]:
        """Process every update the fake holds; the API calls the bot made meanwhile (with `queued`,
        after the group replies it queued have gone out too)."""
        import asyncio

        from telegram import Update

        since = self.fake.mark()
        for update in self.fake.take_updates():
            await self.app.process_update(Update.de_json(update, self.app.bot))
        if queued:
            await asyncio.gather(*self.app.bot_data["services"].queued)
        return [c for c in self.fake.calls[since:] if c.method != "getUpdates"]

    async def say(self, chat: Any, text: str, **fields: Any) -> list[Call]:
        """A user sends text; the calls the bot made in response."""
        self.fake.message(chat, text, **fields)
        return await self.deliver()

    async def press(self, message: dict[str, Any], data: str, **fields: Any) -> list[Call]:
        """A user presses a button under `message`; the calls the bot made in response."""
        self.fake.press(message, data, **fields)
        return await self.deliver()

    async def inline(self, user_id: int, query: str, offset: str = "") -> list[Call]:
        """A user types an inline query; the calls the bot made in response."""
        self.fake.inline_query(user_id, query, offset)
        return await self.deliver()


async def _running(fake: FakeTelegram, index: Index, store: Any, clock: Any, **settings: Any) -> AsyncIterator[BotUnderTest]:
    from bot.config import Settings
    from bot.telegram.app import build_application

    app = build_application(replace(Settings(token=TOKEN), **settings), index, store, clock, request=fake_request(fake))
    async with app:
        yield BotUnderTest(app, fake)


@pytest.fixture
async def bot(fake: FakeTelegram, index: Index, store: Any, clock: Any) -> AsyncIterator[BotUnderTest]:
    """The bot over the shipped plan, initialised (getMe done), not polling."""
    async for b in _running(fake, index, store, clock):
        yield b


@pytest.fixture
async def clocked_bot(fake: FakeTelegram, index: Index, store: Any, fake_clock: FakeClock) -> AsyncIterator[BotUnderTest]:
    """The bot over the shipped plan with a clock the test moves (`fake_clock`)."""
    async for b in _running(fake, index, store, fake_clock):
        yield b


@pytest.fixture
async def bot_with_admin(fake: FakeTelegram, index: Index, store: Any, clock: Any) -> AsyncIterator[BotUnderTest]:
    """The bot with one admin (user 999, who has a private chat with it) for error reports."""
    fake.private_chat(999)
    async for b in _running(fake, index, store, clock, admin_ids=frozenset({999})):
        yield b


@pytest.fixture
async def long_item_bot(fake: FakeTelegram, long_item_index: Index, store: Any, clock: Any) -> AsyncIterator[BotUnderTest]:
    """The bot over a plan with an item longer than one message."""
    async for b in _running(fake, long_item_index, store, clock):
        yield b


# ---- end to end: the real `plan-bot run` against FakeTelegramServer -------------------------------
class BotProcess:
    """`plan-bot run` in a subprocess, talking HTTP to a FakeTelegramServer; log captured to a file."""

    def __init__(self, server: Any, db: Path, workdir: Path, *, token: str = TOKEN, log_level: str = "DEBUG",
                 command: list[str] | None = None) -> None:
        self.server, self.db, self.workdir = server, db, workdir
        self.command = command or [*plan_bot_command(), "run"]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PLAN_BOT_"))}
        self.env.update(TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL=server.base_url, PLAN_BOT_DB=str(db),
                        PLAN_BOT_LOG_LEVEL=log_level, PYTHONUNBUFFERED="1")
        self.log_path = workdir / "bot.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, ready: bool = True, timeout: float = 30) -> "BotProcess":
        """Start the process; with `ready`, wait until its first long poll of getUpdates arrives."""
        since = self.server.fake.mark()
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.command, cwd=self.workdir, env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        if ready:
            try:
                self.server.fake.wait_for(lambda c: c.method == "getUpdates" and bool(c.params.get("timeout")),
                                          since=since, timeout=timeout, pending=True)
            except TimeoutError:
                self.stop()
                raise AssertionError(f"plan-bot run did not start polling:\n{self.log}") from None
        return self

    def wait(self, timeout: float = 30) -> int:
        """Wait for the process to exit by itself; its exit code."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"plan-bot run did not exit within {timeout} s:\n{self.log[-4000:]}") from None
        finally:
            self._log.close()

    def kill(self) -> int:
        """SIGKILL (a crash, a power cut): no clean-up at all; the exit code."""
        assert self.proc is not None
        self.proc.kill()
        return self.wait()

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM (as systemd or Ctrl-C would) and wait; the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    @property
    def log(self) -> str:
        """Everything the process logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def plan_bot_command() -> list[str]:
    """The installed `plan-bot` console script (or `python -m bot.cli`)."""
    script = Path(sys.executable).with_name("plan-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


@pytest.fixture(scope="module")
def telegram_server() -> Iterator[Any]:
    """A Bot API server on 127.0.0.1 for one test module."""
    from fake_telegram import FakeTelegramServer

    with FakeTelegramServer() as server:
        yield server


@pytest.fixture(scope="module")
def bot_process(telegram_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    """`plan-bot run` polling the module's server (DEBUG logging, so token redaction is exercised)."""
    workdir = tmp_path_factory.mktemp("plan-bot")
    process = BotProcess(telegram_server, workdir / "data" / "plan-bot.sqlite3", workdir).start()
    yield process
    assert process.stop() == 0, process.log
