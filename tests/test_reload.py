"""/reload: new plans are picked up without a restart; the old index answers while the new one is built;
a broken plan changes nothing; two reloads at once do not both run."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

from bot.logic import Logic, Origin
from bot.reload import Reloader
from bot.render import HTML
from index import Index

SECOND = Path(__file__).parent / "data" / "second-plan"
ME = Origin(5, 5)


def words_index(plans):  # type: ignore[no-untyped-def]
    return Index.build(plans, encoder=None)


async def test_a_plan_dropped_in_is_loaded_and_answered(index, store, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    logic = Logic(index, store, clock, HTML)
    reloader = Reloader(logic, tmp_path, build=words_index)
    for src in SECOND.iterdir():
        shutil.copy(src, tmp_path / src.name)
    text = await reloader.reload()
    assert "某市教育局2022年工作要点" in text and "（新增）" in text
    assert {p.id for p in logic.index.plans} == {"nmg-edu-2021", "moushi-edu-2022"}
    assert logic.index.plan().id == "moushi-edu-2022" and logic.reminders.catalogue.by_id.keys() == {
        "nmg-edu-2021", "moushi-edu-2022"}


async def test_a_broken_plan_leaves_the_old_index_and_names_the_line(index, store, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    logic = Logic(index, store, clock, HTML)
    shutil.copy(SECOND / "moushi-edu-2022.toml", tmp_path / "moushi-edu-2022.toml")
    (tmp_path / "moushi-edu-2022.txt").write_text("不是计划。\n", encoding="utf-8")
    text = await Reloader(logic, tmp_path, build=words_index).reload()
    assert "没有重新加载" in text and "moushi-edu-2022.txt:" in text and logic.index is index


async def test_questions_are_answered_during_a_reload_and_a_second_reload_is_told_to_wait(
        index, store, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    logic = Logic(index, store, clock, HTML)
    release = threading.Event()

    def slow_build(plans):  # type: ignore[no-untyped-def]
        release.wait(10)
        return words_index(plans)

    reloader = Reloader(logic, None, build=slow_build)
    first = asyncio.create_task(reloader.reload())
    await asyncio.sleep(0.1)
    reply = logic.ask(ME, "学前教育有什么新政策")  # the old index answers meanwhile
    assert "学前教育" in reply.messages[0]
    assert "已经在重新加载" in await reloader.reload()
    release.set()
    assert "已重新加载" in await first and logic.index is not index
