"""Item and section references as people type them, and the errors that say what is valid."""

from __future__ import annotations

import re

import pytest

from index import Index, RefError, parse_item_ref, parse_section_ref

VALID_RANGE = re.compile(r"[01]–33")  # 1–33 today; 0–33 if item 0 (总体要求) becomes addressable


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize("text, number", [
    ("15", 15), ("１５", 15), ("十五", 15), ("第15条", 15), ("第十五项", 15), ("第15项", 15),
    ("item 15", 15), ("Item 15", 15), (" 15 ", 15), ("三十三", 33), ("1", 1), ("一", 1), ("二十", 20),
])
def test_item_references_people_type(text: str, number: int) -> None:
    assert parse_item_ref(text) == number


@pytest.mark.parametrize("text", ["abc", "", "   ", "第条", "15abc", "学前教育", "1.5"])
def test_text_that_is_no_item_reference(text: str) -> None:
    assert parse_item_ref(text) is None


@pytest.mark.parametrize("text, number", [
    ("三", 3), ("3", 3), ("３", 3), ("第三部分", 3), ("三、", 3), ("第3部分", 3), ("七", 7), ("一", 1),
])
def test_section_references_people_type(text: str, number: int) -> None:
    assert parse_section_ref(text) == number


@pytest.mark.parametrize("text", ["abc", "", "第部分", "建设高质量教育体系"])
def test_text_that_is_no_section_reference(text: str) -> None:
    assert parse_section_ref(text) is None


# ---------------------------------------------------------------- Index.item


@pytest.mark.parametrize("ref", [15, "15", "十五", "第15条", "第十五项", "item 15", "１５"])
def test_index_item_finds_item_15_by_any_reference(index: Index, ref) -> None:
    item = index.item(ref)
    assert (item.number, item.title, item.section) == (15, "推动高等教育提质创新发展", "三")


def test_the_first_and_last_items(index: Index) -> None:
    assert index.item(1).title == "深入学习习近平新时代中国特色社会主义思想和党的十九届五中全会精神"
    assert index.item("三十三").title == "扎实做好组织建设和干部队伍建设"


@pytest.mark.parametrize("ref", [34, "34", "abc", "", "第三十四条", -1, "100"])
def test_a_reference_outside_the_plan_raises_ref_error_naming_the_valid_range(index: Index, ref) -> None:
    with pytest.raises(RefError) as err:
        index.item(ref)
    assert VALID_RANGE.search(str(err.value)), str(err.value)


def test_ref_error_is_a_value_error_quoting_what_was_typed(index: Index) -> None:
    with pytest.raises(ValueError, match="abc"):
        index.item("abc")
    with pytest.raises(RefError, match="（空）"):
        index.item("  ")


@pytest.mark.parametrize("ref", ["总体要求", " 总体要求 ", "preamble"])
def test_the_preamble_is_named_总体要求(index: Index, ref) -> None:
    item = index.item(ref)
    assert item.is_preamble and item.title == "总体要求"


@pytest.mark.parametrize("ref", [0, "0", "零"], ids=["int-0", "str-0", "零"])
def test_item_0_is_out_of_range(index: Index, ref) -> None:
    with pytest.raises(RefError, match="1–33"):
        index.item(ref)


# ---------------------------------------------------------------- Index.section


@pytest.mark.parametrize("ref", ["三", "3", "第三部分", "三、", 3])
def test_index_section_finds_section_three(index: Index, ref) -> None:
    s = index.section(ref)
    assert (s.numeral, s.title, s.items) == ("三", "建设高质量教育体系", tuple(range(11, 19)))


@pytest.mark.parametrize("ref", ["八", "8", "0", "abc", ""])
def test_a_section_outside_the_plan_raises_ref_error_naming_the_valid_range(index: Index, ref: str) -> None:
    with pytest.raises(RefError) as err:
        index.section(ref)
    assert "一–七" in str(err.value) and "1–7" in str(err.value)


def test_an_unknown_plan_id_raises_ref_error_listing_the_plans(index: Index) -> None:
    with pytest.raises(RefError, match="nmg-edu-2021"):
        index.item(15, plan_id="no-such-plan")


@pytest.mark.parametrize("text", ["❸", "⓵", "二十零", "1" * 5000, "一十零"])
def test_odd_numerals_are_not_references_rather_than_errors(text: str) -> None:
    assert parse_item_ref(text) is None
    assert parse_section_ref(text) is None
