"""Same-sounding typos of the plan's words are read as the words meant, and ordinary wording is left alone."""

from __future__ import annotations

import pytest

from bot.render import TEXT, answer_json, answer_text
from corpus import shipped_plans
from index.typos import readings


@pytest.fixture(scope="module")
def homophones(index):
    return index._homophones


@pytest.mark.parametrize("question, typed, meant", [
    ("乡镇寄宿志学校今年还建不建", "寄宿志", "寄宿制"),
    ("录取批此要取消吗", "录取批此", "录取批次"),
    ("孩子压力大，心里健康这块有人管吗", "心里健康", "心理健康"),
    ("厅里的年青干部有没有机会被提拔", "年青干部", "年轻干部"),
    ("普通学校里有资原教室吗", "资原教室", "资源教室"),
])
def test_a_same_sounding_character_in_a_plan_word_is_corrected(index, homophones, question, typed, meant):
    nq = index.tokenizer.normalize(question)
    fixed, fixes = homophones.correct(nq, index.tokenizer.words)
    assert [(c.typed, c.meant) for c in fixes] == [(typed, meant)]
    assert fixed == nq.replace(typed, meant)


@pytest.mark.parametrize("question", [
    "我在县教育局工作，县域义务教育优质均衡今年启动吗",  # 在县 reads like 在线, but 教育局 is a word
    "我们这种小学校也算吗",  # 种小 reads like 中小, but 这种 is a word
    "中小学以后是书记说了算还是校长说了算",  # 学以 reads like 学艺 (中小学艺术), but 以后 is a word
    "孩子心里有事不跟家长说",  # 心里 is a word, and no plan word follows
    "当幼儿园老师需要什么专业学历",  # 历 reads li; 位 only in a rare reading
    "学校建有健全的安全制度吗",  # 有 reads you; wei (建立) only in a rare reading
    "学前教育有什么新政策",
    "高校毕业生就业有哪些措施",
])
def test_ordinary_wording_is_not_corrected(index, homophones, question):
    assert homophones.corrections(index.tokenizer.normalize(question), index.tokenizer.words) == []


def test_the_answer_says_how_the_typo_was_read(index):
    answer = index.search("乡镇寄宿志学校今年还建不建")
    assert answer.answered and answer.hits[0].item.number == 12
    assert answer.corrections == (("寄宿志", "寄宿制"),)
    assert "按“寄宿制”理解了“寄宿志”。" in answer_text(answer, index.plans, TEXT)
    assert answer_json(answer)["corrections"] == [{"typed": "寄宿志", "meant": "寄宿制"}]
    assert "corrections" not in answer_json(index.search("乡镇寄宿制学校今年还建不建"))


def test_every_character_of_the_shipped_plan_has_a_reading():
    table = readings()
    text = "".join(it.title + it.goal + it.measures for p in shipped_plans() for it in p.all_items())
    assert {ch for ch in text if "\u4e00" <= ch <= "\u9fff" and ch not in table} == set()


def test_a_typo_repeated_in_a_long_message_is_reported_once(index):
    answer = index.search("乡镇寄宿志学校今年还建不建。" * 200)
    assert answer.corrections == (("寄宿志", "寄宿制"),)


def test_a_refusal_also_says_how_the_typo_was_read(index):
    answer = index.search("寄宿志学校建设的具体时间是哪天")
    assert not answer.answered and "按“寄宿制”理解了“寄宿志”。" in answer_text(answer, index.plans, TEXT)
