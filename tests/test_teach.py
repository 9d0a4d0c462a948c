"""Teaching the search: an operator states that an item answers a question; that question and close
paraphrases then rank the item first and are answered, still with the plan's own sentences."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus import shipped_plans
from index import Index

ROOT = Path(__file__).resolve().parent.parent
TAUGHT = "退休老师可以去农村学校支教吗"


@pytest.fixture
def taught_index(tmp_path: Path) -> Index:
    ix = Index.build(shipped_plans())
    ix.teach([("nmg-edu-2021", 26, TAUGHT)])
    yield ix
    ix.teach([])


def items(answer) -> list[int]:  # type: ignore[no-untyped-def]
    return [h.item.number for h in answer.hits]


def test_the_taught_question_and_a_paraphrase_rank_the_item_first(taught_index: Index) -> None:
    for q in (TAUGHT, "退了休的老教师还能去农村学校上课吗"):
        answer = taught_index.search(q)
        assert answer.answered and items(answer)[0] == 26
        assert answer.hits[0].matches and answer.hits[0].matches[0].passage.item == 26  # the plan's own sentence


def test_an_unrelated_question_is_not_pulled_to_the_taught_item(taught_index: Index) -> None:
    assert items(taught_index.search("学前教育普惠性幼儿园有什么目标"))[0] == 11
    assert not taught_index.search("今天天气怎么样").answered


def test_by_words_alone_the_same_question_still_finds_its_item() -> None:
    words = Index.build(shipped_plans(), encoder=None)
    words.teach([("nmg-edu-2021", 25, "这个问题的说法很特别")])
    answer = words.search("这个问题的说法很特别")
    assert answer.answered and items(answer)[0] == 25


def cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAN_BOT_")}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env={**env, "PLAN_BOT_DB": str(db)},
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_teach_list_and_remove_on_the_command_line_and_ask_uses_it(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    taught = cli("teach", "第26条", "这个问题的说法很特别", db=db)
    assert taught.returncode == 0 and "item 26" in taught.stdout, taught.stderr
    asked = json.loads(cli("ask", "--json", "这个问题的说法很特别", db=db).stdout)
    assert asked["answered"] and asked["results"][0]["item"] == 26
    listed = cli("teach", "--list", db=db)
    tid = listed.stdout.split("\t")[0]
    assert "这个问题的说法很特别" in listed.stdout and cli("teach", "--remove", tid, db=db).returncode == 0
    assert cli("teach", "--list", db=db).stdout == ""
    for bad in (("teach", "34", "问题"), ("teach", "15", "  "), ("teach", "15", "啊" * 2000), ("teach", "--remove", "999")):
        done = cli(*bad, db=db)
        assert done.returncode == 2 and done.stderr.startswith("plan-bot:"), bad


@pytest.mark.parametrize("question", [
    "退休了想在家门口的大学或职校上个老年班，教育部门支持不？",  # item 18: education for the elderly
    "我是乡镇老师听说以后老师都归县里统一管然后学校再来聘这是真的吗",  # item 27
    "公费定向培养的师范生毕业后要在乡村服务几年？",  # a detail the plan does not give
])
def test_a_nearby_but_different_question_is_not_pinned_to_the_taught_item(taught_index: Index, question: str) -> None:
    plain = Index.build(shipped_plans()).search(question)
    taught = taught_index.search(question)
    assert (items(taught), taught.answered) == (items(plain), plain.answered)
