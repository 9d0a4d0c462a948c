"""Questions typed in pinyin: `zuoye tai duo` is 作业太多, `gaokao` is 高考.

Someone without a Chinese keyboard writes the sounds. Every word of the plans (two characters or more)
is keyed by its toneless reading, syllables run together (作业 → `zuoye`); a question's Latin words,
alone or two to four in a row (`zuo ye`), that spell such a key add the plan's word, as a synonym rule
would. A reading that spells several plan words adds none of them: it says nothing certain.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from .typos import readings

MAX_SYLLABLE_WORDS = 4  # `zhi ye jiao yu`: a word's syllables typed apart
MAX_WORDS_PER_KEY = 1
_LATIN_WORD = re.compile(r"[a-z]+")
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")


class PinyinWords:
    """Toneless readings of the plans' words, for reading pinyin in a question."""

    def __init__(self, words: Iterable[str]) -> None:
        read = readings()
        keys: dict[str, set[str]] = defaultdict(set)
        for w in words:
            if _CJK_WORD.fullmatch(w) and all(ch in read for ch in w):
                keys["".join(read[ch] for ch in w)].add(w)
        self._words = {k: next(iter(v)) for k, v in keys.items() if len(v) <= MAX_WORDS_PER_KEY}

    def __len__(self) -> int:
        return len(self._words)

    def found(self, text: str) -> list[tuple[str, str]]:
        """(pinyin as typed, plan word) for each run of Latin words in `text` that spells a plan word."""
        latin = _LATIN_WORD.findall(text)
        out: dict[str, str] = {}
        for i in range(len(latin)):
            for n in range(1, MAX_SYLLABLE_WORDS + 1):
                if i + n > len(latin):
                    break
                key = "".join(latin[i : i + n])
                word = self._words.get(key)
                if word is not None:
                    out.setdefault(" ".join(latin[i : i + n]), word)
        return list(out.items())
