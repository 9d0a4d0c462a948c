"""Same-sounding typos of the plans' words, corrected in the question: 寄宿志 → 寄宿制, 心里健康 → 心理健康.

People type with pinyin keyboards, so their typos are homophones: one character of a word replaced by
another with the same toneless reading. A question's character pair that the plans do not contain
is a candidate when it reads like a pair they do contain (each character's main reading, toneless),
with one character changed. The
change is made only when the corrected pair with two neighbouring characters (four in all) occurs
in the plans, and the change completes a dictionary word there (录取批此 → 录取批次, 年青干部 →
年轻干部) whose typed form is no word and does not cut through a word of the question (我在县教育局
does not become 在线教育: 教育局 is a word).

Everything is decided from the plans' own text and the dictionary, so it applies to any plan.
Readings come from index/data/pinyin.txt (built by `python -m index.build_pinyin`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable, Iterable

PINYIN = Path(__file__).resolve().parent / "data" / "pinyin.txt"
NEAR_CACHE = 20_000  # question pairs whose same-sounding plan pairs are remembered (a few MB at most)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


@cache
def readings() -> dict[str, str]:
    """Character → its main toneless reading."""
    out: dict[str, str] = {}
    for line in PINYIN.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            reading, _, chars = line.partition(" ")
            out.update(dict.fromkeys(chars, reading))
    return out


@dataclass(frozen=True)
class Correction:
    """One typed character replaced: `typed` (the word as typed) read as `meant`."""

    at: int  # position of the replaced character in the question
    char: str  # the character meant
    typed: str
    meant: str


class Homophones:
    """Finds and corrects same-sounding typos of the plans' words in normalised questions."""

    def __init__(self, plan_text: str, is_word: Callable[[str], bool]) -> None:
        self._table = readings()
        self._is_word = is_word
        runs = _CJK_RUN.findall(plan_text)
        self._pairs = {run[i : i + 2] for run in runs for i in range(len(run) - 1)}
        self._grams4 = {run[i : i + 4] for run in runs for i in range(len(run) - 3)}
        self._near: dict[str, tuple[str, ...]] = {}
        self._by_key: dict[str, list[str]] = defaultdict(list)
        for pair in self._pairs:
            key = self._key(pair)
            if key is not None:
                self._by_key[key].append(pair)

    def _near_pairs(self, pair: str) -> tuple[str, ...]:
        """Plan pairs that read like `pair` with exactly one character changed (remembered per pair)."""
        key = self._key(pair)
        near = tuple(  # exactly one character changed: with both changed it is another word, not a typo
            meant for meant in (self._by_key.get(key, ()) if key is not None else ())
            if (meant[0] == pair[0]) != (meant[1] == pair[1])
        )
        if len(self._near) < NEAR_CACHE:
            self._near[pair] = near
        return near

    def _key(self, pair: str) -> str | None:
        """The reading of a two-character string (None if a character has no known reading)."""
        first, second = self._table.get(pair[0]), self._table.get(pair[1])
        return f"{first} {second}" if first and second else None

    def corrections(self, text: str, words: Callable[[str], Iterable[str]] = lambda _: ()) -> list[Correction]:
        """The typos in `text`; `words(text)` gives the question's words (a correction may not cut
        through one), called only when a candidate is found."""
        spans: list[tuple[int, int]] | None = None
        out: dict[int, Correction] = {}
        for m in _CJK_RUN.finditer(text):
            run, base = m.group(), m.start()
            for i in range(len(run) - 1):
                pair = run[i : i + 2]
                if pair in self._pairs:
                    continue
                near = self._near.get(pair)
                if near is None:
                    near = self._near_pairs(pair)
                for meant in near:
                    at = i if meant[0] != pair[0] else i + 1
                    if base + at in out:
                        continue
                    fixed = run[:at] + meant[at - i] + run[at + 1 :]
                    found = self._in_context(run, fixed, i, at)
                    if found is None:
                        continue
                    start, word = found
                    if spans is None:
                        spans = _word_spans(text, words(text))
                    if not self._cuts_a_word(text, base + start, base + start + len(word), spans):
                        out[base + at] = Correction(base + at, fixed[at], run[start : start + len(word)], word)
        return sorted(out.values(), key=lambda c: c.at)

    def _cuts_a_word(self, text: str, lo: int, hi: int, spans: list[tuple[int, int]]) -> bool:
        """Whether text[lo:hi] cuts through a word of the question (one of `spans`, or a dictionary word
        of two characters across either end: 这种|小学校)."""
        if any(a < lo < b or a < hi < b for a, b in spans):
            return True
        return (lo > 0 and self._is_word(text[lo - 1 : lo + 1])) or (hi < len(text) and self._is_word(text[hi - 1 : hi + 1]))

    def _in_context(self, run: str, fixed: str, i: int, at: int) -> tuple[int, str] | None:
        """(start, meant word) when the corrected pair at `i` has plan context of four characters and
        the change completes a dictionary word (2–4 characters) whose typed form is no word."""
        for lo in (i - 1, i - 2, i):
            if lo < 0 or lo + 4 > len(fixed) or fixed[lo : lo + 4] not in self._grams4:
                continue
            for n in (4, 3, 2):
                for start in range(max(lo, at - n + 1), min(at, lo + 4 - n) + 1):
                    meant = fixed[start : start + n]
                    if self._is_word(meant) and not self._is_word(run[start : start + n]):
                        return start, meant
        return None

    def correct(self, text: str, words: Callable[[str], Iterable[str]] = lambda _: ()) -> tuple[str, list[Correction]]:
        """`text` with its typos corrected, and the corrections made."""
        fixes = self.corrections(text, words)
        if not fixes:
            return text, fixes
        chars = list(text)
        for c in fixes:
            chars[c.at] = c.char
        return "".join(chars), fixes


def _word_spans(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """Where each word of two or more characters occurs in `text`."""
    spans = []
    for w in dict.fromkeys(words):
        if len(w) > 1:
            start = text.find(w)
            while start >= 0:
                spans.append((start, start + len(w)))
                start = text.find(w, start + 1)
    return spans
