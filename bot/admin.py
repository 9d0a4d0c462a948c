"""The operators' commands, front-end-free: /stats, /teach, /taught (the Telegram package wires them
for PLAN_BOT_ADMIN_IDS only)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.chart import bars_png
from bot.logic import Clock
from bot.replies import Button, Reply
from bot.report import stats
from bot.store import Store
from index import Index, RefError

FORGET = "taught:forget:"  # button data: FORGET + taught id
MAX_TAUGHT_CHARS = 300
USAGE = "用法：/teach 15 退休老师可以去农村支教吗（第 15 条回答这个问题）；其他计划：/teach 计划ID 15 问题"


class AdminCommands:
    """What an operator can ask of the bot."""

    def __init__(self, index: Index, store: Store, clock: Clock) -> None:
        self.index, self.store, self.clock = index, store, clock

    def stats(self, arg: str) -> tuple[Reply, bytes]:
        """The figures of the last N days (default 7) and a chart of answered vs not per day."""
        raw = arg.strip()
        days = int(raw) if raw.isascii() and raw.isdecimal() and 1 <= int(raw) <= 3650 else 7
        now = self.clock()
        figures = stats(self.store, now, days)
        per_day = [figures.per_day.get((now - timedelta(days=d)).date().isoformat(), (0, 0)) for d in range(days - 1, -1, -1)]
        chart = bars_png([(answered, asked - answered) for asked, answered in per_day])
        return Reply((figures.text(),)), chart

    def teach(self, arg: str, at: datetime) -> Reply:
        """`/teach [计划ID] N 问题`: item N answers this question, from now on."""
        parts = arg.split(maxsplit=1)
        plan = None
        if len(parts) == 2 and parts[0] in {p.id for p in self.index.plans}:  # a plan named first
            plan, parts = parts[0], parts[1].split(maxsplit=1)
        if len(parts) < 2 or not parts[1].strip():
            return Reply((USAGE,))
        question = parts[1].strip()
        if len(question) > MAX_TAUGHT_CHARS:
            return Reply((f"问题有 {len(question)} 个字，太长了：请教不超过 {MAX_TAUGHT_CHARS} 个字的问题。",))
        try:
            item = self.index.item(parts[0], plan)
        except RefError as exc:
            return Reply((str(exc),))
        tid = self.store.teach(item.plan, item.number, question, at)
        self.relearn()
        return Reply((f"记住了（#{tid}）：“{question}” → {item.number}. {item.title}。类似的问题现在会先给出这一条。",))

    def taught(self) -> Reply:
        """The taught questions, each with a remove button."""
        rows = self.store.taught()
        if not rows:
            return Reply(("还没有教过问题。" + USAGE,))
        lines = [f"#{tid} · {plan} 第 {item} 条 · {q}" for tid, plan, item, q in rows[:40]]
        buttons = tuple((Button(f"删除 #{tid}", f"{FORGET}{tid}"),) for tid, *_ in rows[:40])
        return Reply(("教过的问题：\n" + "\n".join(lines),), buttons)

    def forget(self, data: str) -> Reply:
        """A remove button."""
        raw = data.removeprefix(FORGET)
        if not raw.isdigit() or not self.store.forget(int(raw)):
            return Reply(notice="这条已经删除了。", alert=True)
        self.relearn()
        return Reply(notice=f"已删除 #{raw}。")

    def relearn(self) -> None:
        """Give the search every taught question now."""
        self.index.teach([(plan, item, q) for _, plan, item, q in self.store.taught()])
