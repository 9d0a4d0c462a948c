"""Taught questions: an operator states that an item answers a question (`plan-bot teach 15 "…"`).

The same question, or a close paraphrase, then ranks that item first and is answered — still with the
plan's own sentences. Close means: most of the words shared (Jaccard of the word and bigram sets at
least WORDS_CUT), or, with the sentence encoder, a cosine of at least COSINE_CUT (paraphrases of one
question measured 0.91–0.94 with multilingual-e5-small; different questions on nearby topics 0.84–0.89).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

WORDS_CUT = 0.6
COSINE_CUT = 0.91


@dataclass(frozen=True)
class Taught:
    """One taught question: the item it belongs to (its index in the Index), its terms, its vector."""

    item: int
    question: str
    terms: frozenset[str]
    vector: np.ndarray | None


def best_match(taught: Sequence[Taught], terms: frozenset[str], vector: np.ndarray | None) -> Taught | None:
    """The taught question closest to a question's terms (and vector), if it is close enough."""
    best, strength = None, 0.0
    for t in taught:
        union = len(terms | t.terms)
        words = len(terms & t.terms) / union if union else 0.0
        score = words / WORDS_CUT
        if vector is not None and t.vector is not None:
            score = max(score, float(vector @ t.vector) / COSINE_CUT)
        if score >= 1.0 and score > strength:
            best, strength = t, score
    return best
