"""`plan-bot import`: a plan as published (text, a saved web page, hard-wrapped lines) becomes the
folder format every command loads; what cannot be read is refused with the reason."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from corpus.importer import PlanImportError, import_plan, join_wraps
from corpus.load import PLANS_DIR, load_plan, plans_with

ROOT = Path(__file__).resolve().parent.parent
PLAN = (PLANS_DIR / "nmg-edu-2021.txt").read_text(encoding="utf-8")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PLAN_BOT_")}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env={**base, **(env or {})}, capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


def test_the_published_text_is_recognised_with_its_title_year_date_and_items(tmp_path: Path) -> None:
    source = tmp_path / "gongzuo-yaodian-2021.txt"
    source.write_text(PLAN, encoding="utf-8")
    found = import_plan(source)
    assert found.plan.id == "gongzuo-yaodian-2021" and found.plan.meta.year == 2021
    assert found.plan.meta.title == "内蒙古自治区党委高校工委、内蒙古自治区教育厅2021年工作要点"
    assert found.plan.meta.published.isoformat() == "2021-02-27" and found.plan.item_range == (1, 33)
    data = found.as_json()
    assert len(data["sections"]) == 7 and data["deadlines"] and data["sections"][0]["items"][0]["number"] == 1


def test_a_saved_web_page_loses_its_furniture(tmp_path: Path) -> None:
    body = "".join(f"<p>{html.escape(line)}</p>\n" for line in PLAN.splitlines())
    page = (f"<html><head><title>x</title><script>var views = 123;</script></head><body><nav>首页 | 政务公开</nav>"
            f"<div class='content'>{body}</div><footer>版权所有 © 内蒙古自治区教育厅</footer></body></html>")
    source = tmp_path / "page.html"
    source.write_text(page, encoding="utf-8")
    found = import_plan(source, plan_id="from-html")
    assert found.plan.item_range == (1, 33) and "版权所有" not in found.text and "var views" not in found.text
    assert found.plan.item(15).title == load_plan(PLANS_DIR / "nmg-edu-2021.txt").item(15).title


def test_hard_wrapped_lines_are_joined_back(tmp_path: Path) -> None:
    wrapped = "\n".join(part for line in PLAN.splitlines() for part in (textwrap.wrap(line, 38) or [""]))
    source = tmp_path / "wrapped.txt"
    source.write_text(wrapped, encoding="utf-8")
    original = load_plan(PLANS_DIR / "nmg-edu-2021.txt")
    found = import_plan(source, plan_id="wrapped")
    for n in (1, 15, 33):
        assert (found.plan.item(n).goal, found.plan.item(n).measures) == (original.item(n).goal, original.item(n).measures)
    assert join_wraps("一、总则\n1.标题\n目标任务:第一句没有\n写完。") == "一、总则\n1.标题\n目标任务:第一句没有写完。"


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("plan.docx", b"PK\x03\x04", "Word and PDF"),
    ("plan.txt", "一、总体\n（一）推进改革。坚持稳中求进。\n".encode(), "（一）"),
    ("plan.txt", "2026年1月\n一、总体\n1.推进改革\n目标任务:做好。\n工作措施:做好。\n".encode(), "--year"),
])
def test_what_cannot_be_read_is_refused_with_the_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    with pytest.raises(PlanImportError, match=reason):
        import_plan(source)


def test_import_writes_the_folder_format_every_command_loads_and_never_overwrites(tmp_path: Path) -> None:
    source = tmp_path / "yaodian.txt"
    source.write_text(PLAN.replace("2021年工作要点", "2026年工作要点"), encoding="utf-8")
    folder = tmp_path / "plans"
    dry = cli("import", str(source), "--dry-run", "--id", "nmg-2026", "--out", str(folder))
    assert dry.returncode == 0 and "格式" in dry.stdout and not folder.exists()
    done = cli("import", str(source), "--id", "nmg-2026", "--out", str(folder), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["year"] == 2026 and (folder / "nmg-2026.toml").exists()
    assert [p.id for p in plans_with(folder)] == ["nmg-2026", "nmg-edu-2021"]
    item = cli("item", "15", env={"PLAN_BOT_PLANS_DIR": str(folder)})  # the newest plan: the imported one
    assert item.returncode == 0 and "推动高等教育提质创新发展" in item.stdout
    again = cli("import", str(source), "--id", "nmg-2026", "--out", str(folder))
    assert again.returncode == 2 and "--force" in again.stderr
    assert cli("import", str(source), "--id", "nmg-2026", "--out", str(folder), "--force").returncode == 0
