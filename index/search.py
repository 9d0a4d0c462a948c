"""Rank items for a question: BM25 over passages and whole items, snippets, a calibrated confidence."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from corpus import Item, Passage, Plan, Section

from .bm25 import PositiveIdfBM25, SparseScorer
from .confidence import Calibration, Features, load_calibration
from .detail import asks_about_unnamed_school, detail_missing, school_name_pattern
from .refs import RefError, parse_item_ref, parse_section_ref
from .cache import DEFAULT, cached, fingerprint
from .tokenize import BIGRAM, DATA, Tokenizer, _read_lines, default_tokenizer
from .typos import Homophones

PLACES = DATA / "places.txt"
PREAMBLE_NAMES = frozenset({"总体要求", "前言", "preamble"})  # item references that name the preamble
MAX_QUERY_CHARS = 300  # longer questions are cut (voice messages run long; the topic comes early)
EXCERPT_CHARS = 90  # sentences longer than this are shown as their matching clauses
_CLAUSE_END = re.compile(r"[，；：。]")
_YEAR = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?=\s*年)")  # a year, as in 2025年

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

    def pieces(self, max_chars: int = EXCERPT_CHARS) -> list[tuple[str, bool]]:
        """The sentence as (text, matched) pieces; a long sentence is cut to its matching clauses.

        Clauses (split after ，；：) without a match are left out and shown as “…”, so a 300-character
        sentence becomes the part that answers the question.
        """
        text, spans = self.passage.text, self.spans
        if len(text) > max_chars and spans:
            keep, start = [], 0
            for m in _CLAUSE_END.finditer(text + "。"):
                end = min(m.end(), len(text))
                if any(a < end and b > start for a, b in spans):
                    keep.append((start, end))
                start = end
            if keep and sum(b - a for a, b in keep) < len(text):
                out: list[tuple[str, bool]] = []
                for n, (a, b) in enumerate(keep):
                    if n == 0 and a > 0 or n > 0 and a != keep[n - 1][1]:
                        out.append(("…", False))
                    out += _split(text, spans, a, b)
                if keep[-1][1] < len(text):
                    out.append(("…", False))
                return out
        return _split(text, spans, 0, len(text))

    def marked(self, open_: str = "【", close: str = "】") -> str:
        """The (excerpted) sentence with matched spans wrapped in the given marks."""
        return "".join(f"{open_}{t}{close}" if hit else t for t, hit in self.pieces())


def _split(text: str, spans: tuple[tuple[int, int], ...], a: int, b: int) -> list[tuple[str, bool]]:
    """text[a:b] as (text, matched) pieces."""
    out, pos = [], a
    for s, e in spans:
        s, e = max(s, a), min(e, b)
        if s >= e:
            continue
        if s > pos:
            out.append((text[pos:s], False))
        out.append((text[s:e], True))
        pos = e
    if pos < b:
        out.append((text[pos:b], False))
    return out


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
    reason: str = ""  # why it was not answered: empty / off-topic / detail-not-in-plan / elsewhere
    corrections: tuple[tuple[str, str], ...] = ()  # same-sounding typos read as the plan's words (typed, meant)
    features: Features | None = field(default=None, repr=False, compare=False)


def _spans(text: str, bigrams: frozenset[str], ascii_words: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Merged character spans of `text` covered by the query's word bigrams or ASCII words.

    Every word of two or more characters is a chain of its bigrams, so marking matched bigrams marks
    matched words. Each term is found with str.find (in C), and the covered intervals are merged;
    intervals that touch merge too, as adjacent marked characters do.
    """
    covered = []
    for bg in bigrams:
        start = text.find(bg)
        while start >= 0:
            covered.append((start, start + 2))
            start = text.find(bg, start + 1)
    if ascii_words:
        low = text.lower()
        for w in ascii_words:
            start = low.find(w)
            while start >= 0:
                covered.append((start, min(start + len(w), len(text))))
                start = low.find(w, start + 1)
    if not covered:
        return ()
    covered.sort()
    spans = []
    a, b = covered[0]
    for s, e in covered[1:]:
        if s <= b:
            if e > b:
                b = e
        else:
            spans.append((a, b))
            a, b = s, e
    spans.append((a, b))
    return tuple(spans)


class Index:
    """Search over one or more plans. Build once per process: `Index.build(plans)`."""

    def __init__(self, plans: tuple[Plan, ...], tokenizer: Tokenizer, calibration: Calibration,
                 cache_dir: Path | str | None = None) -> None:
        self.plans = plans
        self.tokenizer = tokenizer
        self.calibration = calibration
        self.items: list[Item] = [it for p in plans for it in p.all_items()]
        self.passages: list[Passage] = [ps for it in self.items for ps in it.passages]
        item_pos = {(it.plan, it.number): i for i, it in enumerate(self.items)}
        self._passage_item = np.asarray([item_pos[(p.plan, p.item)] for p in self.passages], dtype=np.int64)
        # Passages are stored item by item, so an item's passages are one contiguous range.
        ends = np.cumsum([len(it.passages) for it in self.items])
        self._item_passages = [range(int(e) - len(it.passages), int(e)) for it, e in zip(self.items, ends)]
        item_docs = [f"{it.title}。{it.goal}{it.measures}" for it in self.items]
        key = fingerprint(tokenizer.signature, *(p.text for p in self.passages), *item_docs)
        sizes = (len(self.passages), len(item_docs), len(self.passages), len(item_docs))
        passage_tokens, item_tokens, self._passage_text, self._item_text = cached(cache_dir, "tokens", key, lambda: (
            [tokenizer.tokens(p.text) for p in self.passages],
            [tokenizer.tokens(d) for d in item_docs],
            [tokenizer.normalize(p.text) for p in self.passages],
            [tokenizer.normalize(d) for d in item_docs],
        ), valid=lambda v: isinstance(v, tuple) and tuple(map(len, v)) == sizes)
        # Every plan's normalised text, an item a line (nothing matches across two items).
        self._plan_text = plan_text = "\n".join(self._item_text)
        home = {place for p in plans for place in p.meta.region}
        gazetteer = [w for ln in _read_lines(PLACES) for w in ln.split()]
        # Places of elsewhere: on the gazetteer, absent from every plan's text and region. One pattern
        # for all of them: a question is searched once, not once per place.
        self._elsewhere = tuple(w for w in gazetteer if w not in home and w not in plan_text)
        self._elsewhere_re = re.compile("|".join(map(re.escape, self._elsewhere))) if self._elsewhere else None
        self._school_names = school_name_pattern(gazetteer + sorted(home))
        # Years the plans speak of (their own year, and years in their text such as 2018-2022年).
        self._years = {str(p.meta.year) for p in plans} | set(_YEAR.findall(plan_text))
        # One scorer over passages then whole items (the items' scores pre-multiplied by their weight).
        self._scorer = SparseScorer(PositiveIdfBM25(passage_tokens), PositiveIdfBM25(item_tokens),
                                    weights=(1.0, ITEM_DOC_WEIGHT))
        self._n_passages = len(self.passages)
        self._rule_cache: dict[str, list[str]] = {}
        # For _best_passage_scores: where each item's passages start, and which items have any.
        self._nonempty = np.asarray([len(r) > 0 for r in self._item_passages], dtype=bool)
        self._nonempty_starts = np.asarray([r.start for r in self._item_passages], dtype=np.int64)[self._nonempty]

    @cached_property
    def _homophones(self) -> Homophones:
        """Same-sounding typos of the plans' words (built at the first question)."""
        return Homophones(self._plan_text, self.tokenizer.is_word)

    @classmethod
    def build(cls, plans: tuple[Plan, ...] | None = None, tokenizer: Tokenizer | None = None,
              cache_dir: Path | str | None = DEFAULT) -> "Index":
        """Index the given plans (default: the shipped ones); start-up work is cached in `cache_dir`."""
        if plans is None:
            from corpus import shipped_plans

            plans = shipped_plans()
        return cls(plans, tokenizer or default_tokenizer(), load_calibration(), cache_dir)

    # ---- lookup -------------------------------------------------------------------------------
    def plan(self, plan_id: str | None = None) -> Plan:
        """A plan by id; without one, the newest plan (by year, then publish date): the one in force."""
        if plan_id is None:
            return max(self.plans, key=lambda p: (p.meta.year, p.meta.published))
        for p in self.plans:
            if p.id == plan_id:
                return p
        raise RefError(f"没有编号为 {plan_id} 的计划（现有：{'、'.join(p.id for p in self.plans)}）")

    def item(self, ref: str | int, plan_id: str | None = None) -> Item:
        """The item a reference names (`15`, `十五`, `第15条`); RefError naming the valid range."""
        plan = self.plan(plan_id)
        if isinstance(ref, str) and ref.strip() in PREAMBLE_NAMES:
            return plan.preamble
        lo, hi = plan.item_range
        number = ref if isinstance(ref, int) else parse_item_ref(str(ref))
        if number is None or not lo <= number <= hi:
            shown = str(ref).strip()[:20] or "（空）"
            raise RefError(f"“{shown}”不是有效的条目编号：请输入 {lo}–{hi} 之间的数字，例如 15、十五 或 第15条"
                           f"（总体要求：输入“总体要求”）。")
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
    def _rule_terms(self, add: str) -> list[str]:
        """The index terms a synonym rule adds: its whole words, or the parts of a word the index only
        holds in parts (民族语言 sits inside 民族语言授课学校, cut into 民族, 语言 …)."""
        terms = self._rule_cache.get(add)
        if terms is None:
            vocabulary, tok = self._scorer.vocabulary, self.tokenizer
            terms = list(dict.fromkeys(
                part for w in tok.rule_words(add) for part in ([w] if w in vocabulary else tok.words(w))
            ))
            self._rule_cache[add] = terms
        return terms

    def _weighted_terms(self, nq: str, fired: list[tuple[str, str]]) -> tuple[dict[str, float], list[str]]:
        """Query terms with weights, and the user's own content words (for coverage and highlighting)."""
        tok = self.tokenizer
        weights: dict[str, float] = {}
        own = tok.tokens(nq)
        for t in own:
            weights[t] = BIGRAM_WEIGHT if t.startswith(BIGRAM) else WORD_WEIGHT
        for _, add in fired:
            for t in self._rule_terms(add):
                weights.setdefault(t, SYNONYM_WEIGHT)
        return weights, [t for t in own if not t.startswith(BIGRAM)]

    def search(self, query: str, k: int = 3) -> Answer:
        """Rank items for a question; `answered` is False when the plan does not address it."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        truncated = len(query) > MAX_QUERY_CHARS
        q = query[:MAX_QUERY_CHARS]
        nq, fixes = self._homophones.correct(self.tokenizer.normalize(q), self.tokenizer.words)
        corrections = tuple(dict.fromkeys((c.typed, c.meant) for c in fixes))  # each typo once
        fired = self.tokenizer.fired(nq)
        weights, words = self._weighted_terms(nq, fired)
        if not weights:
            return Answer(query, False, (), truncated, reason="empty")
        scores = self._scorer.scores(weights)
        p_scores = scores[: self._n_passages]
        item_scores = self._best_passage_scores(p_scores) + scores[self._n_passages :]
        order = np.argsort(-item_scores, kind="stable")[: k + 2].tolist()
        top = [i for i in order if item_scores[i] > 0]
        if not top:
            return Answer(query, False, (), truncated, reason="off-topic", corrections=corrections)

        words_only = [t for t in weights if not t.startswith(BIGRAM)]
        highlight = (frozenset(w[i : i + 2] for w in words_only if not w.isascii() for i in range(len(w) - 1)),
                     tuple(w for w in words_only if w.isascii() and len(w) > 1))
        best_passages = {i: self._best_passages(i, p_scores) for i in top[:k]}
        features = self._features(nq, words, fired, item_scores, top, best_passages[top[0]])
        confidence = self.calibration.probability(features)
        hits = []
        passages, best_score = self.passages, float(item_scores[top[0]])
        for rank, i in enumerate(top[:k]):
            score = float(item_scores[i])
            conf = confidence * (score / best_score) if rank else confidence
            matches = tuple(Match(passages[j], float(p_scores[j]), _spans(passages[j].text, *highlight))
                            for j in best_passages[i])
            hits.append(Hit(self.items[i], score, round(float(conf), 3), matches))
        # However well its words match, a question is not answered by this plan when it asks for a
        # detail the matched sentence lacks (index/detail.py), or is about another province or city
        # (the plan's own region is listed in its metadata).
        answered = confidence >= self.calibration.threshold and not features.detail_missing and not features.elsewhere
        reason = "" if answered else (
            "detail-not-in-plan" if features.detail_missing else "elsewhere" if features.elsewhere else "off-topic")
        return Answer(query, answered, tuple(hits), truncated, reason, corrections=corrections, features=features)

    def _best_passage_scores(self, p_scores: np.ndarray) -> np.ndarray:
        """Each item's best passage score (0 for an item without passages)."""
        out = np.zeros(len(self.items))
        if len(p_scores):
            out[self._nonempty] = np.maximum.reduceat(p_scores, self._nonempty_starts)
        return out

    def _best_passages(self, item_index: int, p_scores: np.ndarray) -> list[int]:
        """The item's best passage, and the runner-up if it scores at least half as much."""
        r = self._item_passages[item_index]
        if not len(r):
            return []
        # The first two places of a stable descending sort, in Python: an item has a handful of
        # passages, too few for numpy's per-call overhead to pay.
        local = p_scores[r.start : r.stop].tolist()
        best = max(local)
        first = local.index(best)  # the first of equal maxima, as a stable sort puts it
        chosen = [r.start + first]
        if len(local) > 1:
            local[first] = -math.inf
            runner_up = max(local)
            if runner_up > 0 and runner_up >= 0.5 * best:
                chosen.append(r.start + local.index(runner_up))
        return chosen

    def _features(self, nq: str, words: list[str], fired: list[tuple[str, str]], item_scores: np.ndarray,
                  top: list[int], best_passages: list[int]) -> Features:
        """The signals the not-found decision is calibrated on (see index/confidence.py)."""
        tok = self.tokenizer
        item_text = self._item_text[top[0]]
        passage_text = self._passage_text[best_passages[0]] if best_passages else ""
        content = [w for w in dict.fromkeys(words) if len(w) >= 2 or w.isascii()]
        if not content:  # a question cut into single characters: judge it by its bigrams
            content = list(dict.fromkeys(b.removeprefix(BIGRAM) for b in tok.bigrams(nq)))

        rules = [(said, add.split()) for said, add in fired]  # each rule's added words, split once
        vocabulary = self._scorer.vocabulary

        def explained(w: str, text: str | Mapping[str, int]) -> bool:
            """The word occurs in the text (or the plans' vocabulary), or a synonym rule it belongs to
            adds a word that does."""
            if w in text:
                return True
            for said, adds in rules:
                if (w in said or said in w) and any(a in text for a in adds):
                    return True
            return False

        idf = [self._scorer.idf(w) for w in content]
        general = [tok.salience(w) for w in content]
        in_item = [explained(w, item_text) for w in content]
        in_passage = [explained(w, passage_text) for w in content]
        known = [explained(w, vocabulary) for w in content]

        def share(weights: list[float], hit: list[bool]) -> float:
            total = sum(weights)
            return sum(x for x, h in zip(weights, hit) if h) / total if total else 0.0

        best = float(item_scores[top[0]])
        second = float(item_scores[top[1]]) if len(top) > 1 else 0.0
        idf_total = sum(idf) or 1.0
        return Features(
            coverage=share(idf, in_item),
            coverage_general=share(general, in_item),
            passage_coverage=share(general, in_passage),
            known=share(idf, known),
            score=math.log1p(best),
            score_per_idf=best / idf_total,
            margin=(best - second) / best if best else 0.0,
            detail_missing=detail_missing(nq, self.passages[best_passages[0]].text if best_passages else "")
            or asks_about_unnamed_school(nq, self._school_names, self._plan_text),
            elsewhere=(self._elsewhere_re is not None and self._elsewhere_re.search(nq) is not None)
            or any(y not in self._years for y in _YEAR.findall(nq)),
        )
