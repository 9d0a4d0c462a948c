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

from .cache import DEFAULT_DIR as DEFAULT_CACHE_DIR
from .cache import cached, fingerprint

DATA = Path(__file__).resolve().parent / "data"
SMALL_DICT = DATA / "dict.txt"  # built by `python -m index.build_dict`
USER_DICT = DATA / "userdict.txt"
STOPWORDS = DATA / "stopwords.txt"
SYNONYMS = DATA / "synonyms.txt"

BIGRAM = "~"  # prefix marking a character bigram token, so bigrams never collide with words

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_ASCII_WORD = re.compile(r"[a-z0-9][a-z0-9+#.\-]*[a-z0-9+#]|[a-z0-9]")
_HAS_TOPIC = re.compile(f"[{_CJK}a-z0-9]")


def _import_jieba():  # type: ignore[no-untyped-def]
    """Import jieba without pkg_resources: jieba only uses it to open its data files, and it costs 0.1 s
    and a deprecation warning on newer setuptools. With it hidden jieba falls back to plain open()."""
    hidden = "pkg_resources" not in sys.modules
    if hidden:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]
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


def _matcher(words: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """A function returning the first of `words` found in a text, or None.

    Chinese words match as substrings (a plain `in`, cheap at start-up); ASCII words only as whole
    words, so `pe` does not fire inside `recipe`.
    """
    cjk = [w for w in words if not w.isascii()]
    ascii_re = re.compile("|".join(rf"(?<![a-z]){re.escape(w)}(?![a-z])" for w in words if w.isascii()) or "(?!)")

    def find(text: str) -> str | None:
        for w in cjk:
            if w in text:
                return w
        m = ascii_re.search(text)
        return m.group(0) if m else None

    return find


class Tokenizer:
    """Normalise (NFKC, lower case, traditional → simplified), expand synonyms, cut, drop stopwords, add bigrams."""

    def __init__(self, dictionary: Path = SMALL_DICT, cache_dir: Path | None = DEFAULT_CACHE_DIR) -> None:
        jieba = _import_jieba()
        self._jieba = jieba.Tokenizer(dictionary=str(dictionary))
        # jieba's own cache lives in /tmp under a name derived from the path and is checked by mtime;
        # ours is keyed by the dictionary's content and lives in `cache_dir` (None: no cache at all).
        raw = dictionary.read_bytes()
        self._jieba.FREQ, self._jieba.total = cached(
            cache_dir, "jieba-prefix", fingerprint(raw), lambda: self._jieba.gen_pfdict(io.BytesIO(raw))
        )
        self._jieba.initialized = True
        self._jieba.load_userdict(str(USER_DICT))
        stop_text = STOPWORDS.read_text(encoding="utf-8")
        self.stopwords = frozenset(w for ln in _read_lines(STOPWORDS) for w in ln.split())
        # Everything that decides how a passage is cut: the key of cached passage tokens.
        self.signature = fingerprint(raw, USER_DICT.read_bytes(), stop_text)
        self.synonyms = load_synonyms()
        self._synonym_matchers = [(_matcher(r.when), r.add) for r in self.synonyms]
        self._t2s = None

    def _to_simplified(self, text: str) -> str:
        """Traditional → simplified via OpenCC, loaded on first use and only for non-ASCII text."""
        if text.isascii():
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
        out = []
        for find, add in self._synonym_matchers:
            said = find(text)
            if said:
                out.append((said, add))
        return out

    def expansion(self, text: str) -> str:
        """The plan wording of every synonym rule whose question wording occurs in normalised `text`."""
        return " ".join(add for _, add in self.fired(text))

    def surprisal(self, word: str) -> float:
        """-log P(word) in everyday Chinese (jieba's word frequencies); rare or unknown words score high."""
        freq = self._jieba.FREQ.get(word) or 0
        return math.log(self._jieba.total / (freq + 1))

    def words(self, text: str) -> list[str]:
        """jieba words (search mode: long words and their parts), without stopwords and punctuation."""
        out = []
        for w in self._jieba.cut_for_search(text):
            w = w.strip()
            if w and w not in self.stopwords and _HAS_TOPIC.search(w):
                out.append(w)
        return out

    def bigrams(self, text: str) -> list[str]:
        """Character bigrams of every run of Chinese characters: tolerant of typos and odd cuts."""
        out = []
        for run in _CJK_RUN.findall(text):
            out.extend(BIGRAM + run[i : i + 2] for i in range(len(run) - 1))
        return out

    def tokens(self, text: str) -> list[str]:
        """Tokens for BM25, the same for passages and questions: words then bigrams."""
        text = self.normalize(text)
        return self.words(text) + self.bigrams(text)



@cache
def default_tokenizer() -> Tokenizer:
    """The process-wide tokeniser (jieba initialised once)."""
    return Tokenizer()
