"""Plans as files in a folder: every `*.txt` with a same-stem `*.toml` beside it is one plan."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from corpus import GOAL, MEASURES, PlanParseError, load_plan, load_plans, shipped_plans
from corpus.load import PLANS_DIR, PlanMetaError

REAL_ID = "nmg-edu-2021"
SECOND_ID = "moushi-edu-2022"
SECOND_DIR = Path(__file__).parent / "data" / "second-plan"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A plans folder holding the real 2021 plan and the fictional 2022 plan."""
    plans = tmp_path / "plans"
    plans.mkdir()
    for src in (PLANS_DIR / f"{REAL_ID}.txt", PLANS_DIR / f"{REAL_ID}.toml", *sorted(SECOND_DIR.iterdir())):
        shutil.copy(src, plans / src.name)
    return plans


def by_id(plans):
    return {p.id: p for p in plans}


# --- the shipped folder ----------------------------------------------------------------------------


def test_the_package_ships_exactly_the_2021_plan_with_its_metadata():
    (plan,) = shipped_plans()
    meta = plan.meta
    assert meta.id == REAL_ID
    assert meta.title == "内蒙古自治区党委高校工委、内蒙古自治区教育厅2021年工作要点"
    assert meta.short_title == "内蒙古教育厅2021年工作要点"
    assert meta.issuers == ("内蒙古自治区党委高校工委", "内蒙古自治区教育厅")
    assert meta.year == 2021
    assert meta.published == date(2021, 2, 26)
    assert meta.source


def test_shipped_plans_are_parsed_once_per_process():
    assert shipped_plans() is shipped_plans()


def test_load_plans_without_a_folder_reads_the_shipped_folder():
    assert load_plans() == shipped_plans()


# --- a second plan dropped into a folder -------------------------------------------------------------


def test_a_second_plan_is_loaded_alongside_the_real_one_ordered_by_id(folder):
    plans = load_plans(folder)
    assert [p.id for p in plans] == [SECOND_ID, REAL_ID]
    second = by_id(plans)[SECOND_ID]
    assert second.meta.title == "某市教育局2022年工作要点"
    assert second.meta.year == 2022
    assert second.meta.published == date(2022, 3, 1)
    assert second.meta.issuers == ("某市教育局",)


def test_the_real_plan_is_the_same_whichever_folder_it_is_loaded_from(folder):
    assert by_id(load_plans(folder))[REAL_ID] == shipped_plans()[0]


def test_the_second_plan_is_parsed_like_the_real_one(folder):
    plan = by_id(load_plans(folder))[SECOND_ID]
    assert [(s.numeral, s.title, s.items) for s in plan.sections] == [
        ("一", "加强教育系统党的建设", (1, 2)),
        ("二", "办好人民满意的教育", (3, 4)),
    ]
    assert [it.ref for it in plan.items] == [
        "一、加强教育系统党的建设 › 1. 深化党的创新理论学习",
        "一、加强教育系统党的建设 › 2. 加强基层党组织建设",
        "二、办好人民满意的教育 › 3. 推动学前教育普惠发展",
        "二、办好人民满意的教育 › 4. 维护校园安全稳定",
    ]
    assert [it.measures_label for it in plan.items] == ["主要措施", "工作措施", "工作措施", "工作措施"]
    assert [p.text for p in plan.preamble.passages] == [
        "2022年是实施“十四五”规划承上启下之年，做好全年教育工作意义重大。",
        "全市教育工作总体要求：坚持立德树人根本任务，推动教育高质量发展，办好人民满意的教育。",
    ]
    assert [p.text for p in plan.item(1).part_passages(MEASURES)] == [
        "制定年度理论学习计划；", "每月开展1次集中学习。", "组织全市教育系统专题读书班。",
    ]
    texts = [plan.preamble.goal] + [p.text for p in plan.passages()]
    for boilerplate in ("当前位置", "政策法规", "发布时间", "浏览次数", "来源", "2022-03-01", plan.meta.title):
        assert not any(boilerplate in t for t in texts), boilerplate


def test_plan_ids_stay_distinct_down_to_every_passage(folder):
    plans = by_id(load_plans(folder))
    for plan_id, plan in plans.items():
        assert {s.plan for s in plan.sections} == {plan_id}
        assert {it.plan for it in plan.all_items()} == {plan_id}
        assert {p.plan for p in plan.passages()} == {plan_id}
    # The same sentence in both plans gives two passages, told apart by their plan.
    same = [p for plan in plans.values() for p in plan.passages() if p.text == "推进平安校园建设。"]
    assert sorted((p.plan, p.item, p.part) for p in same) == [(SECOND_ID, 4, MEASURES), (REAL_ID, 31, MEASURES)]
    assert plans[SECOND_ID].item(1).goal != plans[REAL_ID].item(1).goal
    assert plans[SECOND_ID].item(1).part_passages(GOAL)[0].plan == SECOND_ID


def test_files_that_are_not_plan_texts_are_ignored(folder):
    (folder / "README.md").write_text("说明文件。\n", encoding="utf-8")
    (folder / "notes.toml").write_text('id = "notes"\n', encoding="utf-8")
    assert [p.id for p in load_plans(folder)] == [SECOND_ID, REAL_ID]


# --- bad folders ------------------------------------------------------------------------------------------


def test_a_text_without_metadata_fails_naming_the_missing_file(folder):
    (folder / f"{SECOND_ID}.toml").unlink()
    with pytest.raises(PlanMetaError, match="metadata file missing") as err:
        load_plans(folder)
    assert f"{SECOND_ID}.toml" in str(err.value)


def test_metadata_without_required_keys_fails_naming_them(folder):
    toml = folder / f"{SECOND_ID}.toml"
    toml.write_text('id = "moushi-edu-2022"\ntitle = "某市教育局2022年工作要点"\n', encoding="utf-8")
    with pytest.raises(PlanMetaError, match="missing year, published") as err:
        load_plans(folder)
    assert toml.name in str(err.value)


def test_optional_metadata_has_defaults_and_published_may_be_a_string(folder):
    toml = folder / f"{SECOND_ID}.toml"
    toml.write_text(
        'id = "moushi-edu-2022"\ntitle = "某市教育局2022年工作要点"\nyear = 2022\npublished = "2022-03-01"\n',
        encoding="utf-8",
    )
    meta = load_plan(folder / f"{SECOND_ID}.txt").meta
    assert meta.published == date(2022, 3, 1)
    assert meta.short_title == meta.title
    assert meta.issuers == ()
    assert meta.source == ""


def test_duplicate_plan_ids_fail(folder):
    shutil.copy(folder / f"{REAL_ID}.txt", folder / "copy-of-2021.txt")
    shutil.copy(folder / f"{REAL_ID}.toml", folder / "copy-of-2021.toml")
    with pytest.raises(PlanMetaError, match="duplicate plan ids") as err:
        load_plans(folder)
    assert REAL_ID in str(err.value)


def test_a_malformed_plan_in_a_folder_fails_naming_its_file_and_line(folder):
    text = folder / f"{SECOND_ID}.txt"
    lines = text.read_text(encoding="utf-8").splitlines()
    n = lines.index("4.维护校园安全稳定")
    lines[n] = "5.维护校园安全稳定"
    text.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(PlanParseError, match="item 4 is missing") as err:
        load_plans(folder)
    assert str(err.value).startswith(f"{SECOND_ID}.txt:{n + 1}: ")


# ---- the operator's folder: PLAN_BOT_PLANS_DIR ----------------------------------------------------

def plan_bot(*args: str, env: dict[str, str], stdin: str | None = None):  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    base = {k: v for k, v in os.environ.items() if not k.startswith("PLAN_BOT_")}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env={**base, **env}, input=stdin,
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).parent.parent)


def test_plans_dropped_in_the_folder_are_loaded_with_the_shipped_ones(tmp_path: Path) -> None:
    from corpus.load import plans_with

    for src in sorted(SECOND_DIR.iterdir()):
        shutil.copy(src, tmp_path / src.name)
    assert [p.id for p in plans_with(tmp_path)] == sorted([REAL_ID, SECOND_ID])
    env = {"PLAN_BOT_PLANS_DIR": str(tmp_path)}
    item = plan_bot("item", "1", "--plan", SECOND_ID, env=env)
    assert item.returncode == 0 and "深化党的创新理论学习" in item.stdout, item.stderr
    answer = plan_bot("ask", "--json", "深化党的创新理论学习", env=env)
    assert answer.returncode == 0 and any(r["plan"] == SECOND_ID for r in __import__("json").loads(answer.stdout)["results"])


def test_a_missing_folder_a_broken_plan_and_a_reused_id_are_named(tmp_path: Path) -> None:
    missing = plan_bot("ask", "学前教育", env={"PLAN_BOT_PLANS_DIR": str(tmp_path / "nope")})
    assert missing.returncode == 2 and "PLAN_BOT_PLANS_DIR" in missing.stderr and "no such folder" in missing.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(SECOND_DIR / f"{SECOND_ID}.toml", broken / f"{SECOND_ID}.toml")
    (broken / f"{SECOND_ID}.txt").write_text("这不是一份计划。\n", encoding="utf-8")
    bad = plan_bot("ask", "学前教育", env={"PLAN_BOT_PLANS_DIR": str(broken)})
    assert bad.returncode == 2 and f"{SECOND_ID}.txt:" in bad.stderr
    twin = tmp_path / "twin"
    twin.mkdir()
    for suffix in (".txt", ".toml"):
        shutil.copy(PLANS_DIR / f"{REAL_ID}{suffix}", twin / f"copy{suffix}")
    clash = plan_bot("ask", "学前教育", env={"PLAN_BOT_PLANS_DIR": str(twin)})
    assert clash.returncode == 2 and REAL_ID in clash.stderr and "shipped" in clash.stderr
