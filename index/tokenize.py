"""The one tokeniser for plan passages and questions: jieba words + CJK bigrams, synonyms, stopwords."""

from __future__ import annotations

import io
import logging
import math
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .cache import DEFAULT, cached, fingerprint

DATA = Path(__file__).resolve().parent / "data"
SMALL_DICT = DATA / "dict.txt"  # built by `python -m index.build_dict`
USER_DICT = DATA / "userdict.txt"
STOPWORDS = DATA / "stopwords.txt"
SYNONYMS = DATA / "synonyms.txt"
ENGLISH = DATA / "english.txt"  # English words → plan words, built by `python -m index.build_english`

BIGRAM = "~"  # prefix marking a character bigram token, so bigrams never collide with words
EVERYDAY_SURPRISAL = 7.0  # -log P of common words in jieba's frequencies (教育 7.7, 孩子 8.0)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_HAS_TOPIC = re.compile(f"[{_CJK}a-z0-9]")


def _import_jieba():  # type: ignore[no-untyped-def,unused-ignore]
    """Import jieba without pkg_resources: jieba only uses it to open its data files, and it costs 0.1 s
    and a deprecation warning on newer setuptools. With it hidden jieba falls back to plain open()."""
    hidden = "pkg_resources" not in sys.modules
    if hidden:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment,unused-ignore]
    try:
        import jieba
    finally:
        if hidden:
            del sys.modules["pkg_resources"]
    jieba.setLogLevel(logging.WARNING)
    return jieba


def _read_lines(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


@dataclass(frozen=True)
class SynonymRule:
    """Question wording (any of `when`) that adds plan wording (`add`) to the question."""

    when: tuple[str, ...]
    add: str


def load_synonyms(path: Path = SYNONYMS) -> tuple[SynonymRule, ...]:
    """Read the synonym table: `a|b|c = plan words`."""
    rules = []
    for line in _read_lines(path):
        left, _, right = line.partition("=")
        when = tuple(w.strip().lower() for w in left.split("|") if w.strip())
        if when and right.strip():
            rules.append(SynonymRule(when, right.strip()))
    return tuple(rules)


class Tokenizer:
    """Normalise (NFKC, lower case, traditional → simplified), expand synonyms, cut, drop stopwords, add bigrams."""

    def __init__(self, dictionary: Path = SMALL_DICT, cache_dir: Path | str | None = DEFAULT) -> None:
        jieba = _import_jieba()
        self._jieba = jieba.Tokenizer(dictionary=str(dictionary))
        # jieba's own cache lives in /tmp under a name derived from the path and is checked by mtime;
        # ours is keyed by the dictionary's content and lives in `cache_dir` (None: no cache at all).
        raw = dictionary.read_bytes()
        self._jieba.FREQ, self._jieba.total = cached(
            cache_dir, "jieba-prefix", fingerprint(raw), lambda: self._jieba.gen_pfdict(io.BytesIO(raw)),
            valid=lambda v: isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], dict) and isinstance(v[1], int),
        )
        self._jieba.initialized = True
        with open(USER_DICT, "rb") as f:
            self._jieba.load_userdict(f)
        stop_text = STOPWORDS.read_text(encoding="utf-8")
        self.stopwords = frozenset(w for ln in _read_lines(STOPWORDS) for w in ln.split())
        # Everything that decides how a passage is cut: the key of cached passage tokens.
        self.signature = fingerprint(raw, USER_DICT.read_bytes(), stop_text)
        self.synonyms = load_synonyms() + (load_synonyms(ENGLISH) if ENGLISH.exists() else ())
        # Chinese wording matches as a substring (indexed by first character: one pass over the
        # question); ASCII wording only as whole words, so `pe` does not fire inside `recipe`.
        self._by_first: dict[str, list[tuple[str, int]]] = {}
        ascii_words: dict[str, int] = {}
        for rule_no, rule in enumerate(self.synonyms):
            for w in rule.when:
                if w.isascii():
                    ascii_words.setdefault(w, rule_no)
                else:
                    self._by_first.setdefault(w[0], []).append((w, rule_no))
        self._ascii_rule = ascii_words
        alternatives = "|".join(re.escape(w) for w in sorted(ascii_words, key=len, reverse=True))
        self._ascii_re = re.compile(rf"(?<![a-z])(?:{alternatives})(?![a-z])") if ascii_words else None
        self._t2s: Any = None
        self._rule_words: dict[str, list[str]] = {}
        self._traditional: frozenset[str] | None = None

    def _to_simplified(self, text: str) -> str:
        """Traditional → simplified via OpenCC, loaded on first need; text with no traditional character
        (the common case) skips OpenCC, whose phrase matcher costs more than the whole search. Taiwan
        wording (資訊, 軟體) is the synonym table's job: OpenCC's tw2sp also rewrites 建立 and 文件."""
        if self._traditional is None:
            self._traditional = _traditional_chars()
        if self._traditional.isdisjoint(text):
            return text
        if self._t2s is None:
            from opencc import OpenCC

            self._t2s = OpenCC("t2s")
        return self._t2s.convert(text)

    def normalize(self, text: str) -> str:
        """NFKC (full-width letters and digits to ASCII), lower case, simplified characters."""
        return self._to_simplified(unicodedata.normalize("NFKC", text).lower())

    def fired(self, text: str) -> list[tuple[str, str]]:
        """(question wording found, plan wording added) for every synonym rule that fires on `text`."""
        hits: dict[int, str] = {}
        for i, ch in enumerate(text):
            for word, rule_no in self._by_first.get(ch, ()):
                if rule_no not in hits and text.startswith(word, i):
                    hits[rule_no] = word
        if self._ascii_re is not None:
            for m in self._ascii_re.finditer(text):
                hits.setdefault(self._ascii_rule[m.group(0)], m.group(0))
        return [(hits[r], self.synonyms[r].add) for r in sorted(hits)]

    def rule_words(self, add: str) -> list[str]:
        """The words a synonym rule adds (cut once, then remembered): whole words, not search-mode parts —
        a rule adding 儿童青少年 adds one word, not four (儿童, 青少, 少年, 青少年) that would each score
        and let an everyday rule (孩子 → 儿童青少年) outweigh a topic rule (欺负 → 学生欺凌)."""
        words = self._rule_words.get(add)
        if words is None:
            words = self._rule_words[add] = [
                w for w in (w.strip() for w in self._jieba.cut(add, HMM=False))
                if w and w not in self.stopwords and _HAS_TOPIC.search(w)
            ]
        return words

    def is_word(self, word: str) -> bool:
        """Whether the dictionary (small dictionary and user dictionary) has the word."""
        return bool(self._jieba.FREQ.get(word))

    def surprisal(self, word: str) -> float:
        """-log P(word) in everyday Chinese (jieba's word frequencies); rare or unknown words score high."""
        freq = self._jieba.FREQ.get(word) or 0
        return math.log(self._jieba.total / (freq + 1))

    def salience(self, word: str) -> float:
        """How much a word says about the topic: its surprisal above that of everyday words.

        Everyday words (孩子 8.0, 严重 8.6, 学校 8.1) sit near the baseline and weigh little; topic words
        (近视 12.9, 滑雪 12.2, 防晒 17.8) weigh several times more, whether or not the plan has them.
        """
        return max(self.surprisal(word) - EVERYDAY_SURPRISAL, 0.5)

    def words(self, text: str) -> list[str]:
        """jieba words (search mode: long words and their parts), without stopwords and punctuation.

        jieba's HMM new-word discovery is off: it glues unknown characters into invented words that then
        match nothing, while character bigrams already cover unknown words — and it halves the cost.
        """
        out = []
        for w in self._jieba.cut_for_search(text, HMM=False):
            w = w.strip()
            if w and w not in self.stopwords and _HAS_TOPIC.search(w):
                out.append(w)
        return out

    def bigrams(self, text: str) -> list[str]:
        """Character bigrams of every run of Chinese characters: tolerant of typos and odd cuts."""
        out: list[str] = []
        for run in _CJK_RUN.findall(text):
            out.extend(BIGRAM + run[i : i + 2] for i in range(len(run) - 1))
        return out

    def tokens(self, text: str) -> list[str]:
        """Tokens for BM25, the same for passages and questions: words then bigrams."""
        text = self.normalize(text)
        return self.words(text) + self.bigrams(text)



def _traditional_chars() -> frozenset[str]:
    """Characters OpenCC's t2s conversion changes (from its character table)."""
    import opencc

    table = Path(opencc.__file__).resolve().parent / "dictionary" / "TSCharacters.txt"
    out = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        if key and values.split(" ")[0] != key:
            out.add(key)
    return frozenset(out)


@cache
def default_tokenizer() -> Tokenizer:
    """The process-wide tokeniser (jieba initialised once)."""
    return Tokenizer()
