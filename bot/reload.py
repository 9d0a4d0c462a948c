"""/reload: re-read the plans (shipped and PLAN_BOT_PLANS_DIR) and rebuild the index in a worker thread
while the old index keeps answering, then swap it in with one assignment. A plan that does not parse
leaves the old index in place; two reloads at once: the second is told one is running."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from bot.logic import Logic
from corpus import Plan, PlanParseError
from corpus.load import PlanMetaError, plans_with
from index import Index

log = logging.getLogger(__name__)


class Reloader:
    """Rebuilds and swaps the index of one Logic (and the reminder schedule that reads its plans)."""

    def __init__(self, logic: Logic, plans_dir: Path | None, on_swap: Callable[[Logic], None] = lambda logic: None,
                 build: Callable[[tuple[Plan, ...]], Index] | None = None) -> None:
        self.logic, self.plans_dir, self.on_swap = logic, plans_dir, on_swap
        # the running index's encoder: a reload does not load a second copy of the model
        self.build = build or (lambda plans: Index.build(plans, encoder=self.logic.index.encoder))
        self._lock = asyncio.Lock()

    async def reload(self) -> str:
        """Rebuild and swap; what is loaded now and what changed (or why nothing changed)."""
        if self._lock.locked():
            return "已经在重新加载了，请等它完成。"
        async with self._lock:
            try:
                plans = await asyncio.to_thread(plans_with, self.plans_dir)
                new = await asyncio.to_thread(self.build, plans)
            except (PlanParseError, PlanMetaError) as exc:
                log.error("reload refused: %s", exc)
                return f"没有重新加载：{exc}\n仍在使用原来的计划。"
            taught = [(plan, item, q) for _, plan, item, q in self.logic.store.taught()]  # the store: this thread
            await asyncio.to_thread(new.teach, taught)
            old = self.logic.index
            self.logic.swap_index(new)  # one assignment: questions from now on use the new index
            self.on_swap(self.logic)
        return describe(old.plans, new.plans)


def describe(before: tuple[Plan, ...], after: tuple[Plan, ...]) -> str:
    """The plans loaded now, and what changed."""
    was = {p.id: p for p in before}
    lines = ["已重新加载，现在的计划："]
    for p in after:
        lo, hi = p.item_range
        change = "（新增）" if p.id not in was else "" if p == was[p.id] else "（有改动）"
        lines.append(f"· {p.meta.title}（{p.id}，第 {lo}–{hi} 条）{change}")
    gone = [pid for pid in was if pid not in {p.id for p in after}]
    if gone:
        lines.append("已移除：" + "、".join(gone))
    return "\n".join(lines)
