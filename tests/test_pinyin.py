"""Questions typed in pinyin reach the plan's words."""

from __future__ import annotations

from index.pinyin import PinyinWords


def test_a_word_typed_in_pinyin_finds_the_plan_word_whole_or_by_syllables() -> None:
    pinyin = PinyinWords(["作业", "职业教育", "校园", "安全"])
    assert pinyin.found("zuoye tai duo le") == [("zuoye", "作业")]
    assert ("zhi ye jiao yu", "职业教育") in pinyin.found("zhi ye jiao yu")
    assert pinyin.found("xiaoyuan anquan") == [("xiaoyuan", "校园"), ("anquan", "安全")]


def test_a_reading_shared_by_two_plan_words_adds_neither() -> None:
    pinyin = PinyinWords(["教育", "交易", "作业"])  # jiaoyu, jiaoyi, zuoye: three readings
    twins = PinyinWords(["公式", "公示"])  # both gongshi
    assert pinyin.found("jiaoyu") == [("jiaoyu", "教育")]
    assert twins.found("gongshi") == []


def test_english_words_and_chinese_text_spell_nothing() -> None:
    pinyin = PinyinWords(["作业", "学前教育"])
    assert pinyin.found("homework policy") == []
    assert pinyin.found("学前教育") == []
