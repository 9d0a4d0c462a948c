"""Rank items for a question: BM25 over passages and whole items, snippets, a calibrated confidence."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corpus import Item, Passage, Plan, Section

from .bm25 import PositiveIdfBM25, SparseScorer
from .confidence import Calibration, Features, load_calibration
from .detail import detail_missing
from .refs import RefError, parse_item_ref, parse_section_ref
from .cache import DEFAULT_DIR as DEFAULT_CACHE_DIR
from .cache import cached, fingerprint
from .tokenize import BIGRAM, Tokenizer, default_tokenizer

MAX_QUERY_CHARS = 300  # longer questions are cut (voice messages run long; the topic comes early)

# Query term weights. Words carry the meaning; bigrams rescue typos and odd cuts without dominating;
# words added by the synonym table count less than the user's own words.
WORD_WEIGHT = 1.0
BIGRAM_WEIGHT = 0.35
SYNONYM_WEIGHT = 0.6
# An item's score: its best passage, plus a share of the whole item's score (titles and context count).
ITEM_DOC_WEIGHT = 0.5



@dataclass(frozen=True)
class Match:
    """A passage that matched, with its BM25 score and the character spans of matched terms."""

    passage: Passage
    score: float
    spans: tuple[tuple[int, int], ...]

    def marked(self, open_: str = "【", close: str = "】") -> str:
        """The passage text with matched spans wrapped in the given marks."""
        text, out, last = self.passage.text, [], 0
        for a, b in self.spans:
            out += [text[last:a], open_, text[a:b], close]
            last = b
        out.append(text[last:])
        return "".join(out)


@dataclass(frozen=True)
class Hit:
    """One ranked item: the item, the part that matched best, its matching passages, score, confidence."""

    item: Item
    score: float
    confidence: float
    matches: tuple[Match, ...]

    @property
    def part(self) -> str:
        """The part (目标任务 / 工作措施 / 总体要求) of the best matching passage."""
        return self.matches[0].passage.part if self.matches else self.item.measures_label

    def snippet(self, open_: str = "【", close: str = "】", sep: str = " … ") -> str:
        """The matching sentences with matched terms marked."""
        return sep.join(m.marked(open_, close) for m in self.matches)


@dataclass(frozen=True)
class Answer:
    """The result of a question: ranked hits, whether the plan answers it, and notes for the reader."""

    query: str
    answered: bool
    hits: tuple[Hit, ...]
    truncated: bool = False
    reason: str = ""  # why it was not answered: empty / off-topic / detail-not-in-plan
    features: Features | None = field(default=None, repr=False, compare=False)


def _spans(text: str, terms: list[str]) -> tuple[tuple[int, int], ...]:
    """Merged character spans of every occurrence of `terms` (≥ 2 characters, or ASCII) in `text`."""
    low = text.lower()
    marks = [False] * len(text)
    for t in terms:
        if len(t) < 2 and not t.isascii():
            continue
        start = low.find(t)
        while start >= 0:
            for i in range(start, start + len(t)):
                marks[i] = True
            start = low.find(t, start + 1)
    spans, i = [], 0
    while i < len(marks):
        if marks[i]:
            j = i
            while j < len(marks) and marks[j]:
                j += 1
            spans.append((i, j))
            i = j
        else:
            i += 1
    return tuple(spans)


class Index:
    """Search over one or more plans. Build once per process: `Index.build(plans)`."""

    def __init__(self, plans: tuple[Plan, ...], tokenizer: Tokenizer, calibration: Calibration,
                 cache_dir: Path | None = None) -> None:
        self.plans = plans
        self.tokenizer = tokenizer
        self.calibration = calibration
        self.items: list[Item] = [it for p in plans for it in p.all_items()]
        self.passages: list[Passage] = [ps for it in self.items for ps in it.passages]
        item_pos = {(it.plan, it.number): i for i, it in enumerate(self.items)}
        self._passage_item = np.asarray([item_pos[(p.plan, p.item)] for p in self.passages], dtype=np.int64)
        item_docs = [f"{it.title}。{it.goal}{it.measures}" for it in self.items]
        key = fingerprint(tokenizer.signature, *(p.text for p in self.passages), *item_docs)
        passage_tokens, item_tokens, self._item_text = cached(cache_dir, "tokens", key, lambda: (
            [tokenizer.tokens(p.text) for p in self.passages],
            [tokenizer.tokens(d) for d in item_docs],
            [tokenizer.normalize(d) for d in item_docs],
        ))
        self._passages = SparseScorer(PositiveIdfBM25(passage_tokens))
        self._items = SparseScorer(PositiveIdfBM25(item_tokens))

    @classmethod
    def build(cls, plans: tuple[Plan, ...] | None = None, tokenizer: Tokenizer | None = None,
              cache_dir: Path | None = DEFAULT_CACHE_DIR) -> "Index":
        """Index the given plans (default: the shipped ones); start-up work is cached in `cache_dir`."""
        if plans is None:
            from corpus import shipped_plans

            plans = shipped_plans()
        return cls(plans, tokenizer or default_tokenizer(), load_calibration(), cache_dir)

    # ---- lookup -------------------------------------------------------------------------------
    def plan(self, plan_id: str | None = None) -> Plan:
        """A plan by id; the first plan when no id is given."""
        if plan_id is None:
            return self.plans[0]
        for p in self.plans:
            if p.id == plan_id:
                return p
        raise RefError(f"没有编号为 {plan_id} 的计划（现有：{'、'.join(p.id for p in self.plans)}）")

    def item(self, ref: str | int, plan_id: str | None = None) -> Item:
        """The item a reference names (`15`, `十五`, `第15条`); RefError naming the valid range."""
        plan = self.plan(plan_id)
        lo, hi = plan.item_range
        number = ref if isinstance(ref, int) else parse_item_ref(str(ref))
        if number is None or not lo <= number <= hi:
            shown = str(ref).strip()[:20] or "（空）"
            raise RefError(f"“{shown}”不是有效的条目编号：请输入 {lo}–{hi} 之间的数字，例如 15、十五 或 第15条。")
        return plan.item(number)

    def section(self, ref: str | int, plan_id: str | None = None) -> Section:
        """The section a reference names (`三`, `3`, `第三部分`); RefError naming the valid range."""
        plan = self.plan(plan_id)
        number = ref if isinstance(ref, int) else parse_section_ref(str(ref))
        last = plan.sections[-1]
        if number is None or not 1 <= number <= len(plan.sections):
            shown = str(ref).strip()[:20] or "（空）"
            raise RefError(f"“{shown}”不是有效的部分：请输入 一–{last.numeral}（或 1–{len(plan.sections)}），例如 三 或 第三部分。")
        return plan.section(number)

    # ---- search -------------------------------------------------------------------------------
    def _weighted_terms(self, nq: str) -> tuple[dict[str, float], list[str]]:
        """Query terms with weights, and the user's own content words (for coverage and highlighting)."""
        tok = self.tokenizer
        weights: dict[str, float] = {}
        own = tok.tokens(nq)
        for t in own:
            weights[t] = BIGRAM_WEIGHT if t.startswith(BIGRAM) else WORD_WEIGHT
        expansion = tok.expansion(nq)
        if expansion:
            for t in tok.words(expansion):
                weights.setdefault(t, SYNONYM_WEIGHT)
        return weights, [t for t in own if not t.startswith(BIGRAM)]

    def search(self, query: str, k: int = 3) -> Answer:
        """Rank items for a question; `answered` is False when the plan does not address it."""
        truncated = len(query) > MAX_QUERY_CHARS
        q = query[:MAX_QUERY_CHARS]
        nq = self.tokenizer.normalize(q)
        weights, words = self._weighted_terms(nq)
        if not weights:
            return Answer(query, False, (), truncated, reason="empty")
        p_scores = self._passages.scores(weights)
        best_passage = np.zeros(len(self.items))
        np.maximum.at(best_passage, self._passage_item, p_scores)
        item_scores = best_passage + ITEM_DOC_WEIGHT * self._items.scores(weights)
        order = np.argsort(-item_scores, kind="stable")
        top = [int(i) for i in order[: max(k, 1) + 2] if item_scores[i] > 0]
        if not top:
            return Answer(query, False, (), truncated, reason="off-topic")

        highlight = sorted({t.removeprefix(BIGRAM) for t in weights}, key=len, reverse=True)
        features = self._features(nq, words, item_scores, top, p_scores)
        confidence = self.calibration.probability(features)
        hits = []
        for rank, i in enumerate(top[:k]):
            rel = item_scores[i] / item_scores[top[0]]
            conf = confidence * rel if rank else confidence
            hits.append(Hit(self.items[i], float(item_scores[i]), round(float(conf), 3),
                            self._matches(i, p_scores, highlight)))
        answered = confidence >= self.calibration.threshold
        reason = "" if answered else ("detail-not-in-plan" if features.detail_missing else "off-topic")
        return Answer(query, answered, tuple(hits), truncated, reason, features)

    def _matches(self, item_index: int, p_scores: np.ndarray, highlight: list[str]) -> tuple[Match, ...]:
        """The item's best passages (up to two), in reading order, with matched spans."""
        ids = np.flatnonzero(self._passage_item == item_index)
        ranked = sorted(ids, key=lambda j: -p_scores[j])
        if not len(ranked) or p_scores[ranked[0]] <= 0:
            chosen = ranked[:1]
        else:
            chosen = [j for j in ranked[:2] if p_scores[j] >= 0.5 * p_scores[ranked[0]]]
        return tuple(
            Match(self.passages[j], float(p_scores[j]), _spans(self.passages[j].text, highlight))
            for j in chosen
        )

    def _features(self, nq: str, words: list[str], item_scores: np.ndarray, top: list[int],
                  p_scores: np.ndarray) -> Features:
        """The signals the not-found decision is calibrated on (see index/confidence.py)."""
        tok = self.tokenizer
        best_i = top[0]
        item_text = self._item_text[best_i]
        ids = np.flatnonzero(self._passage_item == best_i)
        ranked = sorted(ids, key=lambda j: -p_scores[j])
        best_passage = tok.normalize(self.passages[ranked[0]].text) if len(ranked) else ""
        content = [w for w in dict.fromkeys(words) if len(w) >= 2 or w.isascii()]
        fired = tok.fired(nq)

        def explained(w: str, text: str) -> bool:
            """The word occurs in the text, or a synonym rule it belongs to adds a word that does."""
            return w in text or any(
                (w in said or said in w) and any(a in text for a in add.split()) for said, add in fired
            )

        def share(weight, text: str) -> float:  # type: ignore[no-untyped-def]
            total = sum(weight(w) for w in content)
            return sum(weight(w) for w in content if explained(w, text)) / total if total else 0.0

        best = float(item_scores[best_i])
        second = float(item_scores[top[1]]) if len(top) > 1 else 0.0
        idf_total = sum(self._passages.idf(w) for w in content) or 1.0
        known = sum(self._passages.idf(w) for w in content if w in self._passages or w in self._items)
        return Features(
            coverage=share(self._passages.idf, item_text),
            coverage_general=share(tok.surprisal, item_text),
            passage_coverage=share(tok.surprisal, best_passage),
            known=known / idf_total,
            score=math.log1p(best),
            score_per_idf=best / idf_total,
            margin=(best - second) / best if best else 0.0,
            detail_missing=detail_missing(nq, "".join(self.passages[j].text for j in ranked[:1])),
        )
