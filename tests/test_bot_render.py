"""Rendering: not-found texts that say why, one truncation note, and message splitting that keeps
every part within the limit and valid Telegram HTML."""

from __future__ import annotations

import html
import random
import re

import pytest
from fake_telegram import parse_html

from bot.render import HTML, TEXT, TRUNCATED_NOTE, answer_page_text, answer_text, split_message

TAG = re.compile(r"</?[bi]>")
ENTITY = re.compile(r"&(?:amp|lt|gt);")


# ---- not found, and why -------------------------------------------------------------------------
def test_a_detail_the_plan_does_not_give_names_the_item_without_claiming_nothing_was_found(index):
    answer = index.search("人民满意的教育具体有多少名额")
    assert answer.reason == "detail-not-in-plan" and answer.hits[0].item.is_preamble
    text = answer_text(answer, index.plans, TEXT)
    assert text.startswith("计划在 总体要求 提到了相关工作，但没有给出你问的具体数字、日期、名单或办理细节。")
    assert "没有找到" not in text and "第 0 条" not in text


def test_a_detail_in_a_numbered_item_is_named_by_its_short_reference(index):
    answer = index.search("学前教育补助标准是多少钱")
    assert answer.reason == "detail-not-in-plan"
    first = answer.hits[0].item
    assert answer_text(answer, index.plans, HTML).startswith(f"计划在 {first.number}. {first.title} 提到了相关工作")


@pytest.mark.parametrize("question", ["北京市学前教育有什么政策", "2025年高考改革有什么变化"])
def test_a_question_about_another_place_or_year_says_the_plan_is_about_its_own(index, question):
    answer = index.search(question)
    assert answer.reason == "elsewhere"
    text = answer_text(answer, index.plans, TEXT)
    assert text.startswith("《内蒙古教育厅2021年工作要点》讲的是本地区当年的工作；")
    assert f"你的问题“{question}”提到了别的地方或年份" in text and "你可能想看：" in text


@pytest.mark.parametrize("question", ["学前教育有什么新政策？" * 30, "红烧肉怎么做好吃？" * 40])
def test_a_cut_question_carries_the_truncation_note_once_found_or_not(index, question):
    answer = index.search(question)
    assert answer.truncated
    for style in (HTML, TEXT):
        assert answer_page_text(answer, index.plans, style).count(TRUNCATED_NOTE) == 1


# ---- splitting ----------------------------------------------------------------------------------
def assert_valid_parts(parts: list[str], limit: int) -> None:
    """Each part within the limit, with balanced <b>/<i> and only whole entities."""
    for part in parts:
        assert 0 < len(part) <= limit, part
        parse_html(part)  # the fake Bot API's parser: raises on unbalanced or unknown tags
        stack = []
        for tag in TAG.findall(part):
            if tag.startswith("</"):
                assert stack and stack.pop() == tag[2:-1], part
            else:
                stack.append(tag[1:-1])
        assert stack == [], part
        assert "&" not in ENTITY.sub("", part), part  # every & begins a whole entity


def plain(text: str) -> str:
    """What the reader sees, without markup or line breaks."""
    return html.unescape(TAG.sub("", text)).replace("\n", "")


def test_a_hard_cut_inside_bold_closes_it_and_reopens_it_in_the_next_part():
    parts = split_message("<b>" + "近视" * 30 + "</b>" + "防控。" * 5, 50)
    assert_valid_parts(parts, 50)
    assert parts[0].endswith("</b>") and parts[1].startswith("<b>")
    assert "".join(map(plain, parts)) == "近视" * 30 + "防控。" * 5


def test_a_hard_cut_never_splits_an_entity():
    raw = ("近视" * 19 + "&") * 5 + "<高考>" * 10
    parts = split_message(html.escape(raw, quote=False), 40)
    assert_valid_parts(parts, 40)
    assert "".join(map(plain, parts)) == raw


def test_paragraphs_that_fit_are_kept_whole_and_long_ones_are_cut_at_line_ends():
    first, second = "甲" * 40, "乙" * 20 + "\n" + "乙" * 20
    long_para = "\n".join(["丙" * 20] * 5)
    parts = split_message(f"{first}\n\n{second}\n\n{long_para}", 70)
    assert parts[:2] == [first, f"{second}\n\n{'丙' * 20}"]  # not first + "\n\n" + half of second
    assert [len(line) for part in parts[2:] for line in part.split("\n")] == [20] * 4


def test_a_long_line_is_cut_at_sentence_ends_without_adding_line_breaks():
    parts = split_message("学前教育。" * 30, 52)
    assert parts[0] == "学前教育。" * 10 and "".join(parts) == "学前教育。" * 30


@pytest.mark.parametrize("seed", range(40))
def test_random_html_splits_into_parts_within_the_limit_with_balanced_tags_and_whole_entities(seed):
    rng = random.Random(seed)
    words = ["近视", "防控", "A&B", "<x>", "学前教育", "。", "，", "\n", "\n\n", "&amp;", "高校" * 15]
    runs = []
    for _ in range(rng.randint(5, 80)):
        escaped = html.escape("".join(rng.choices(words, k=rng.randint(1, 12))), quote=False)
        tag = rng.choice(["", "", "b", "i"])
        runs.append(f"<{tag}>{escaped}</{tag}>" if tag else escaped)
    text = "".join(runs)
    limit = rng.choice([40, 64, 100, 300])
    parts = split_message(text, limit)
    assert_valid_parts(parts, limit)
    assert "".join(map(plain, parts)) == plain(text)
