"""Taught questions: an operator states that an item answers a question (`plan-bot teach 15 "…"`).

The same question, or a close paraphrase, then ranks that item first and is answered — still with the
plan's own sentences. Close means: most of the words shared (Jaccard of the word and bigram sets at
least WORDS_CUT), or, with the sentence encoder, a cosine of at least COSINE_CUT together with some
words shared (Jaccard at least SHARED_CUT). Cosine alone is not enough: multilingual-e5-small gives
most Chinese questions on one broad topic 0.90–0.92. Measured by teaching 退休老师可以去农村学校支教吗
and asking our 1,132 development questions: every question at or above both cuts was about that item
(paraphrases 0.92–0.95 with 0.21–0.30 shared), while other questions reached cosines of 0.91–0.93 with
0.02–0.17 shared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

WORDS_CUT = 0.6
COSINE_CUT = 0.92
SHARED_CUT = 0.2


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
        if vector is not None and t.vector is not None and words >= SHARED_CUT:
            score = max(score, float(vector @ t.vector) / COSINE_CUT)
        if score >= 1.0 and score > strength:
            best, strength = t, score
    return best
