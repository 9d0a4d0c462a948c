"""Words and meaning together: fusion, the fallback to words alone, English and Taiwan/Hong Kong wording."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from fake_encoder import CountingEncoder

from corpus import shipped_plans
from index import Index
from index.confidence import HYBRID, WORDS


@pytest.fixture(scope="module")
def words_index() -> Index:
    """The shipped plan searched by words alone, as when the encoder cannot load."""
    return Index.build(encoder=None)


@pytest.fixture(scope="module")
def hybrid(index: Index) -> Index:
    """The session index, which must have the shipped encoder for these tests."""
    if index.encoder is None:
        pytest.skip("the shipped sentence encoder cannot run on this machine")
    return index


def items(answer) -> list[int]:  # type: ignore[no-untyped-def]
    """The item numbers of an answer, best first."""
    return [h.item.number for h in answer.hits]


# ---- fusion mechanics, with a stand-in encoder ------------------------------------------------------

def test_an_items_meaning_is_its_best_passage_and_a_heavy_weight_ranks_by_meaning(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ix = Index.build(shipped_plans(), cache_dir=tmp_path, encoder=CountingEncoder())
    prep = ix.with_meaning(ix.prepare("学前教育普及普惠"))  # type: ignore[arg-type]
    assert prep.cos is not None and prep.p_cos is not None
    for i, item in enumerate(ix.items):
        if item.passages:
            own = [j for j, p in enumerate(ix.passages) if (p.plan, p.item) == (item.plan, item.number)]
            assert prep.cos[i] == pytest.approx(float(prep.p_cos[own].max()))
    by_meaning = ix.items[int(np.argmax(prep.cos))].number
    by_words = ix.items[int(np.argmax(prep.lex))].number
    assert by_meaning != by_words  # the stand-in encoder disagrees with the words here
    ranked = items(ix.answer(prep, 3, replace(ix.calibration, fusion_weight=100.0)))
    assert ranked[0] == by_meaning
    ranked = items(ix.answer(prep, 3, replace(ix.calibration, fusion_weight=0.0)))
    assert ranked[0] == by_words


def test_with_weight_zero_the_ranking_is_the_ranking_by_words(tmp_path, words_index: Index) -> None:  # type: ignore[no-untyped-def]
    ix = Index.build(shipped_plans(), cache_dir=tmp_path, encoder=CountingEncoder())
    for q in ("学前教育普及普惠", "高校毕业生就业", "近视防控"):
        by_words = items(words_index.search(q, k=3))
        fused = items(ix.answer(ix.with_meaning(ix.prepare(q)), 3, replace(ix.calibration, fusion_weight=0.0)))  # type: ignore[arg-type]
        assert fused[: len(by_words)] == by_words


def test_a_question_with_nothing_to_search_is_empty_with_or_without_meaning(hybrid: Index) -> None:
    for q in ("😀😀", "？？？", "what is it"):
        assert hybrid.search(q).reason == "empty"


def test_a_question_words_settle_is_answered_without_encoding_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    enc = CountingEncoder()
    ix = Index.build(shipped_plans(), cache_dir=tmp_path, encoder=enc)
    assert ix.calibration.cascade < 1  # the fitted model has a cascade cut
    settled = ix.search("学前教育普及普惠，今年普惠性幼儿园覆盖率有什么目标？")
    assert settled.answered and items(settled)[0] == 11 and enc.asked == []
    ix.search("What is being done about bullying in schools?")  # English: never settled by words alone
    ix.search("今天天气怎么样")  # words find nothing: meaning is asked
    assert len(enc.asked) == 2


# ---- the fallback ------------------------------------------------------------------------------------

def test_without_the_encoder_the_search_answers_by_words_with_its_own_model(words_index: Index) -> None:
    assert words_index.mode == WORDS and words_index.calibration.fusion_weight == 0.0
    answer = words_index.search("孩子近视越来越严重，今年有什么目标？")
    assert answer.answered and items(answer)[0] == 9
    assert "近视" in answer.hits[0].snippet()


def test_with_the_encoder_the_hybrid_model_and_its_fitted_weight_are_used(hybrid: Index) -> None:
    assert hybrid.mode == HYBRID and hybrid.calibration.fusion_weight > 0


# ---- questions whose words are not the plan's words ----------------------------------------------------

@pytest.mark.parametrize(("question", "item"), [
    ("How will schools stop bullying?", 31),
    ("kindergarten places for young children", 11),
    ("Are there measures against myopia in children?", 9),
    ("Is there help for university graduates looking for jobs?", 15),
])
def test_english_questions_about_what_the_plan_covers_are_answered(hybrid: Index, question: str, item: int) -> None:
    answer = hybrid.search(question)
    assert answer.answered and item in items(answer)[:3]
    best = answer.hits[items(answer).index(item)]
    assert best.matches and best.item.section_title  # still the plan's own sentences, with the section


@pytest.mark.parametrize("question", [
    "What's the weather like in Hohhot tomorrow?",
    "how do I cook rice",
    "hello how are you",
])
def test_english_questions_the_plan_does_not_cover_are_refused(hybrid: Index, question: str) -> None:
    assert not hybrid.search(question).answered


def test_taiwan_wording_is_read_as_the_mainland_words(hybrid: Index) -> None:
    # 國中 is 初中 and 資訊 is 信息: not a character conversion, a vocabulary one (the synonym table)
    assert any("信息技术" in add for _, add in hybrid.tokenizer.fired(hybrid.tokenizer.normalize("資訊教育")))
    assert hybrid.tokenizer.normalize("學校建立文件") == "学校建立文件"  # mainland words left as they are
    answer = hybrid.search("國中畢業生升學考試有什麼改變")
    assert answer.answered and {13, 22} & set(items(answer)[:3])  # 高中阶段招生; 统筹做好中高考


def test_markup_pasted_into_a_question_is_not_searched_as_words(hybrid: Index) -> None:
    plain, marked = hybrid.search("学前教育"), hybrid.search("<b>学前教育</b>")
    assert items(marked) == items(plain) and marked.query == "<b>学前教育</b>"


def test_an_english_question_about_another_province_is_about_elsewhere(hybrid: Index) -> None:
    assert hybrid.search("How are kindergartens funded in Guangdong?").reason == "elsewhere"
    assert hybrid.search("Xi'an Jiaotong University admission").reason == "elsewhere"
    assert hybrid.search("preschool places in Ordos").reason != "elsewhere"  # a league of the plan's region


def test_a_question_typed_in_pinyin_is_answered_by_the_plan_words_it_spells(hybrid: Index) -> None:
    answer = hybrid.search("zuoye tai duo le")
    assert answer.answered and items(answer)[0] == 10 and "作业" in answer.hits[0].snippet()


@pytest.mark.parametrize("question", ["lorem ipsum dolor sit amet", "a" * 300, "qwertyuiop asdf"])
def test_latin_letters_the_plans_recognise_nothing_of_are_not_a_question_it_answers(hybrid: Index,
                                                                                  question: str) -> None:
    answer = hybrid.search(question)
    assert not answer.answered and answer.features is not None and answer.features.unrecognised


def test_a_broken_emoji_half_does_not_break_the_encoder(hybrid: Index) -> None:
    answer = hybrid.search("\ud83d 今天天气怎么样")  # a lone surrogate, as a cut message can leave
    assert not answer.answered and answer.reason == "off-topic"
