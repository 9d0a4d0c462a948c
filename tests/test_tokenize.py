"""The one tokeniser: the same tokens for plan passages and questions, domain words whole, question words
dropped, bigrams marked, traditional and full-width input normalised, the synonym table applied."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import warnings
from collections import Counter
from pathlib import Path

import pytest

from index import Index
from index.tokenize import BIGRAM, Tokenizer, default_tokenizer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tok(index: Index) -> Tokenizer:
    return index.tokenizer


def words(tok: Tokenizer, text: str) -> list[str]:
    """The word tokens (not bigrams) of a text."""
    return [t for t in tok.tokens(text) if not t.startswith(BIGRAM)]


# ---------------------------------------------------------------- one tokeniser for both sides


def test_the_index_uses_the_process_wide_tokeniser(index: Index) -> None:
    assert index.tokenizer is default_tokenizer()
    assert default_tokenizer() is default_tokenizer()  # jieba is initialised once


def test_a_tokeniser_built_without_the_cache_gives_the_same_tokens_as_the_shared_one(tok: Tokenizer) -> None:
    fresh = Tokenizer(cache_dir=None)
    for text in ["常态化开展控辍保学工作，巩固控辍保学成果。", "蒙语授课学校的校园文化", "PE传统特色学校"]:
        assert fresh.tokens(text) == tok.tokens(text)


def test_each_passage_is_indexed_with_the_tokens_a_question_of_that_text_gets(index: Index, tok: Tokenizer) -> None:
    # Search by the very words of a passage: the question is tokenised like the passage was, so every
    # passage's own item comes first.
    wrong = []
    for p in index.passages:
        top = index.search(p.text, k=1).hits[0].item.number
        if top != p.item:
            wrong.append((p.item, top, p.text[:30]))
    assert wrong == []


# ---------------------------------------------------------------- domain words, stopwords, bigrams


@pytest.mark.parametrize("word, sentence", [
    ("控辍保学", "常态化开展控辍保学工作"),
    ("县管校聘", "扩大义务教育教师县管校聘改革试点范围"),
    ("三科统编教材", "积极稳慎推进三科统编教材使用"),
    ("课程思政", "研究制定我区推进高校课程思政建设实施方案"),
    ("立德树人", "全面落实立德树人根本任务"),
    ("双一流", "支持内蒙古大学双一流建设"),
])
def test_domain_words_of_the_user_dictionary_stay_whole(tok: Tokenizer, word: str, sentence: str) -> None:
    assert word in words(tok, word)
    assert word in words(tok, sentence)


QUESTION_WORDS = ["吗", "什么", "怎么", "今年", "有没有", "那个", "就是说"]


@pytest.mark.parametrize("word", QUESTION_WORDS)
def test_a_question_word_alone_gives_no_word_token(tok: Tokenizer, word: str) -> None:
    assert words(tok, word) == []


def test_question_words_are_dropped_and_the_topic_kept(tok: Tokenizer) -> None:
    got = words(tok, "就是说今年那个学前教育有没有什么变化吗")
    assert not set(QUESTION_WORDS) & set(got)
    assert "学前教育" in got


def test_punctuation_gives_no_tokens(tok: Tokenizer) -> None:
    assert tok.tokens("？？！！。，、") == []
    assert tok.tokens("   ") == []


def test_bigrams_of_every_chinese_run_are_added_with_a_prefix(tok: Tokenizer) -> None:
    got = tok.tokens("学前教育 and 特殊教育")
    bigrams = [t for t in got if t.startswith(BIGRAM)]
    assert bigrams == [BIGRAM + b for b in ["学前", "前教", "教育", "特殊", "殊教", "教育"]]
    # words come first, then bigrams; a word and the bigram of the same characters stay distinct tokens
    first_bigram = got.index(bigrams[0])
    assert not any(t.startswith(BIGRAM) for t in got[:first_bigram])
    assert "教育" in got and BIGRAM + "教育" in got


def test_a_typo_still_shares_bigrams_with_the_right_word(tok: Tokenizer) -> None:
    typo, right = set(tok.tokens("乡镇寄宿志学校")), set(tok.tokens("乡镇寄宿制学校"))
    assert {BIGRAM + "乡镇", BIGRAM + "镇寄", BIGRAM + "寄宿", BIGRAM + "学校"} <= typo & right


# ---------------------------------------------------------------- normalisation


@pytest.mark.parametrize("traditional, simplified", [
    ("學校", "学校"),
    ("少數民族高層次骨幹人才", "少数民族高层次骨干人才"),
    ("義務教育優質均衡發展", "义务教育优质均衡发展"),
])
def test_traditional_characters_give_the_simplified_tokens(tok: Tokenizer, traditional: str, simplified: str) -> None:
    assert tok.tokens(traditional) == tok.tokens(simplified)
    assert tok.normalize(traditional) == simplified


def test_full_width_and_upper_case_ascii_is_normalised(tok: Tokenizer) -> None:
    assert tok.normalize("ＳＴＥＭ教育") == "stem教育"
    assert tok.tokens("ＳＴＥＭ") == tok.tokens("STEM") == tok.tokens("stem") == ["stem"]
    assert tok.tokens("教育信息化２．０") == tok.tokens("教育信息化2.0")


# ---------------------------------------------------------------- synonyms


def test_mongolian_language_wording_expands_to_the_plans_wording(tok: Tokenizer) -> None:
    for said in ["蒙语", "蒙古语", "蒙授"]:
        assert "民族语言" in " ".join(add for _, add in tok.fired(tok.normalize(f"{said}授课学校"))).split()


def test_every_synonym_rule_has_question_words_and_plan_words(tok: Tokenizer) -> None:
    assert tok.synonyms
    for rule in tok.synonyms:
        assert rule.when and all(w == w.strip().lower() and w for w in rule.when)
        assert rule.add.strip()


@pytest.mark.parametrize("text", ["PE课", "pe课", "ＰＥ课", "上PE的时间", "pe"])
def test_an_ascii_key_fires_as_a_whole_word(tok: Tokenizer, text: str) -> None:
    assert "体育" in " ".join(add for _, add in tok.fired(tok.normalize(text))).split()


@pytest.mark.parametrize("text", ["recipe", "open day", "pen", "type"])
def test_an_ascii_key_does_not_fire_inside_another_word(tok: Tokenizer, text: str) -> None:
    assert tok.fired(tok.normalize(text)) == []


def test_ascii_keys_ai_and_app_fire_only_on_whole_words(tok: Tokenizer) -> None:
    assert tok.fired("said apple") == []
    fired = dict(tok.fired("ai app"))
    assert set(fired) == {"ai", "app"}


def test_a_chinese_key_fires_as_a_substring(tok: Tokenizer) -> None:
    # Chinese has no spaces: 辍学 inside 孩子辍学了 must fire
    assert ("辍学", "控辍保学") in tok.fired("孩子辍学了怎么办")


# ---------------------------------------------------------------- jieba and pkg_resources


def test_no_none_entry_for_pkg_resources_lingers_after_jieba_is_imported(tok: Tokenizer) -> None:
    from index.tokenize import _import_jieba

    _import_jieba()
    assert sys.modules.get("pkg_resources", "absent") is not None


def test_a_fresh_interpreter_imports_jieba_without_touching_pkg_resources(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import importlib.util, sys
        before = importlib.util.find_spec("pkg_resources") is not None
        from index.tokenize import Tokenizer
        t = Tokenizer()
        assert "控辍保学" in t.tokens("控辍保学"), t.tokens("控辍保学")
        assert "jieba" in sys.modules
        assert "pkg_resources" not in sys.modules, "jieba pulled in pkg_resources"
        after = importlib.util.find_spec("pkg_resources") is not None
        assert before == after, (before, after)
        if after:
            import pkg_resources  # still importable: no None entry was left behind
        print("ok")
    """)
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning", "HOME": str(tmp_path)}  # cold cache
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"
    assert "Building prefix dict" not in run.stderr  # jieba's start-up log is silenced
    assert "pkg_resources" not in run.stderr


def test_building_a_tokenizer_leaves_no_file_open() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Tokenizer(cache_dir=None)
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []


def test_tokens_count_repeated_words(tok: Tokenizer) -> None:
    counts = Counter(tok.tokens("常态化开展控辍保学工作，巩固控辍保学成果。"))
    assert counts["控辍保学"] == 2
