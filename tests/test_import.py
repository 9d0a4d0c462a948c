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
    ("plan.docx", b"PK\x03\x04 not really a zip", "not a readable Word"),
    ("plan.doc", b"\xd0\xcf\x11\xe0", "save it as .docx"),
    ("plan.pdf", b"%PDF-1.4 broken", "not a readable PDF"),
    ("plan.txt", "某市2026年工作要点\n发布时间：2026-01-05\n推进改革。坚持稳中求进。\n".encode(), "no sections"),
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


PARENS = """某市教育局2026年工作要点
发布时间：2026年01月10日
2026年是“十五五”开局之年。全市教育工作坚持稳中求进。
一、加强党的建设
（一）深化理论学习。组织全市教师开展专题学习，
每季度举办一次报告会。
（二）加强基层党组织建设。推进示范创建。
二、发展学前教育
（三）扩大普惠资源。2026年底前新增普惠性学位3000个。
"""

PARAGRAPHS = """某县教育局2026年度工作要点
2026-02-01
一、办好人民满意的教育
１．推进县域义务教育优质均衡。完成两所学校改扩建，年底前通过省级评估。
2. 加强教师队伍建设。实施乡村教师支持计划。
二、守牢安全底线
1.抓好校园安全。开展隐患排查整治。
"""


@pytest.mark.parametrize(("text", "shape", "titles"), [
    (PARENS, "（一）", ["深化理论学习", "加强基层党组织建设", "扩大普惠资源"]),
    (PARAGRAPHS, "numbered paragraphs", ["推进县域义务教育优质均衡", "加强教师队伍建设", "抓好校园安全"]),
])
def test_items_without_labels_become_one_part_items_numbered_through_the_plan(tmp_path: Path, text: str, shape: str,
                                                                               titles: list[str]) -> None:
    source = tmp_path / "plan.txt"
    source.write_text(text, encoding="utf-8")
    found = import_plan(source, plan_id="city-2026")
    assert shape in found.shape and found.plan.meta.year == 2026
    assert [found.plan.item(n).title for n in (1, 2, 3)] == titles
    first = found.plan.item(1)
    assert first.goal == "" and first.measures_label == "主要内容" and first.measures.startswith(("组织", "完成"))
    assert found.plan.preamble.goal.startswith("2026年是") or shape == "numbered paragraphs"
    written = tmp_path / "city-2026.txt"
    written.write_text(found.text, encoding="utf-8")
    (tmp_path / "city-2026.toml").write_text(found.toml(), encoding="utf-8")
    again = load_plan(written)  # the stored form loads as every shipped plan does
    assert [again.item(n).title for n in (1, 2, 3)] == titles


def test_a_one_part_item_reads_naturally_on_its_card(tmp_path: Path) -> None:
    from bot.render import TEXT, item_text

    source = tmp_path / "plan.txt"
    source.write_text(PARENS, encoding="utf-8")
    card = item_text(import_plan(source, plan_id="c").plan.item(3), TEXT)
    assert "目标任务" not in card and "主要内容" in card and "3000个" in card


def test_a_word_file_is_read_paragraph_by_paragraph(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    for line in PLAN.splitlines():
        document.add_paragraph(line)
    source = tmp_path / "yaodian.docx"
    document.save(str(source))
    found = import_plan(source, plan_id="from-word")
    assert found.plan.item_range == (1, 33) and found.plan.item(33).title == load_plan(
        PLANS_DIR / "nmg-edu-2021.txt").item(33).title


def test_a_scanned_pdf_is_refused_with_the_reason(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # a page with no text layer, as a scan has
    source = tmp_path / "scan.pdf"
    with source.open("wb") as f:
        writer.write(f)
    with pytest.raises(PlanImportError, match="scanned PDF"):
        import_plan(source)


def test_an_imported_plan_yields_its_deadlines(tmp_path: Path) -> None:
    source = tmp_path / "plan.txt"
    source.write_text(PARENS, encoding="utf-8")
    dates = import_plan(source, plan_id="c").as_json()["deadlines"]
    assert {"item": 3, "date": "2026-12-31"}.items() <= next(d for d in dates if d["item"] == 3).items()


@pytest.mark.parametrize(("name", "content", "says"), [
    ("photo.png", b"\x89PNG\r\n\x1a\n", "give a .txt"),
    ("skips.txt", PARENS.replace("（二）", "").encode(), None),  # still a plan: items renumbered through
    ("repeats.txt", PLAN.replace("\n2.切实铸牢", "\n1.切实铸牢").encode(), "repeats.txt:"),
])
def test_what_is_not_a_plan_exits_2_naming_the_file_and_writes_nothing(tmp_path: Path, name: str, content: bytes,
                                                                       says: str | None) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    out = tmp_path / "plans"
    done = cli("import", str(source), "--id", "x-2026", "--out", str(out), "--year", "2026", "--published", "2026-01-01")
    if says is None:
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2 and "Traceback" not in done.stderr and not out.exists()
    assert says in done.stderr
