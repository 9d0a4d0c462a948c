"""Shared by the reminder tests: a synthetic plan with dates in the future of a fake clock, a sender
that records instead of sending, and the service wired as the bot wires it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from fake_telegram import parse_html

from bot.reminders.logic import ReminderCommands
from bot.reminders.schedule import Schedule
from bot.reminders.service import OK, ReminderService, SendResult
from bot.render import HTML
from bot.replies import Reply
from corpus import Plan, PlanMeta, parse_plan
from index import Index

TZ = ZoneInfo("Asia/Shanghai")
SIM_TEXT = """一、第一部分
1.季度调度
目标任务:按季度推进重点工作。
工作措施:每季度召开1次调度会。6月底前完成中期评估。
2.年度验收
目标任务:完成年度验收。
工作措施:今明两年完成全部验收。
二、第二部分
3.活动安排
目标任务:办好教育活动。
工作措施:9月30日前完成活动总结。
"""
SIM_META = PlanMeta(id="sim-2027", title="模拟市教育局2027年工作要点", short_title="模拟要点2027",
                    issuers=("模拟市教育局",), year=2027, published=date(2027, 1, 5), source="tests")


def sim_plan() -> Plan:
    """Three items, two sections; due dates from 2027-03-31 to 2028-12-31."""
    return parse_plan(SIM_TEXT, SIM_META)


@cache
def sim_index() -> Index:
    """The index over the synthetic plan (built once per test session)."""
    return Index.build((sim_plan(),))


def local(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    """A moment in Asia/Shanghai, as aware UTC."""
    return datetime(y, m, d, h, mi, tzinfo=TZ).astimezone(timezone.utc)


@dataclass(frozen=True)
class Sent:
    """One message the fake sender delivered."""

    chat_id: int
    text: str
    buttons: tuple[tuple[str, str], ...]
    at: datetime

    @property
    def what(self) -> tuple[int, str, str]:
        """(item, date, how far) read back from the text of a deadline reminder."""
        m = re.search(r"⏰ (.+?)截止：(\d{4}-\d\d-\d\d)", self.text)
        item = re.search(r"› (\d+)\. ", self.text)
        assert m and item, self.text
        return int(item.group(1)), m.group(2), m.group(1)

    @property
    def whats(self) -> list[tuple[int, str, str]]:
        """(item, date, how far) of every reminder in the message: one, or each line of a digest."""
        m = re.search(r"⏰ (.+?)截止：(\d{4}-\d\d-\d\d)（[^）]+）( · \d+ 条)?", self.text)
        assert m, self.text
        if not m.group(3):
            return [self.what]
        return [(int(n), m.group(2), m.group(1)) for n in re.findall(r"^📌 (\d+)\. ", self.text, re.MULTILINE)]


@dataclass
class FakeSender:
    """Records what would be sent; `script[chat]` lists results to give (instead of sending) first."""

    clock: Any
    sent: list[Sent] = field(default_factory=list)
    attempts: list[tuple[int, datetime]] = field(default_factory=list)
    script: dict[int, list[SendResult]] = field(default_factory=dict)
    before_send: Any = None  # called with (chat_id) before delivering: raise to simulate a crash
    after_send: Any = None  # called with (chat_id) after delivering, before returning

    async def send(self, chat_id: int, reply: Reply) -> SendResult:
        """Deliver (record), or give the next scripted failure for this chat."""
        self.attempts.append((chat_id, self.clock()))
        queued = self.script.get(chat_id)
        if queued:
            return queued.pop(0)
        if self.before_send:
            self.before_send(chat_id)
        buttons = tuple((b.label, b.data) for row in reply.buttons for b in row)
        text, _ = parse_html(reply.messages[0])  # as the user reads it (and Telegram would accept it)
        self.sent.append(Sent(chat_id, text, buttons, self.clock()))
        if self.after_send:
            self.after_send(chat_id)
        return SendResult(OK, message_id=len(self.sent))

    def to(self, chat_id: int) -> list[Sent]:
        """What one chat received."""
        return [s for s in self.sent if s.chat_id == chat_id]


def wire(index: Index, store: Any, clock: Any, sender: Any, **options: Any) -> tuple[ReminderService, ReminderCommands]:
    """The service and the commands, wired as build_application wires them (no pacing unless asked)."""
    commands = ReminderCommands(index, store.reminders, clock, TZ, HTML)
    schedule = Schedule(commands.catalogue, store.reminders, TZ)
    options.setdefault("rate", None)
    options.setdefault("digest", commands.compose_digest)
    return ReminderService(schedule, clock, commands.compose, sender, **options), commands
