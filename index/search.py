"""Rank items for a question: BM25 over passages and whole items fused with sentence-encoder cosines,
snippets, a calibrated confidence."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from corpus import Item, Passage, Plan, Section

from .bm25 import PositiveIdfBM25, SparseScorer
from .cache import DEFAULT, cached, fingerprint
from .confidence import HYBRID, WORDS, Calibration, Features, load_calibration
from .detail import asks_about_unnamed_school, detail_missing, school_name_pattern
from .embed import Encoder, EncoderFailed, Progress, load_encoder, passage_vectors
from .pinyin import PinyinWords
from .refs import RefError, parse_item_ref, parse_section_ref
from .taught import Taught, best_match
from .tokenize import BIGRAM, DATA, Tokenizer, _read_lines, default_tokenizer
from .typos import Homophones

log = logging.getLogger(__name__)
AUTO = "auto"  # Index.build's encoder argument meaning "load the shipped encoder if it can run here"

PLACES = DATA / "places.txt"
PREAMBLE_NAMES = frozenset({"总体要求", "前言", "preamble"})  # item references that name the preamble
MAX_QUERY_CHARS = 300  # longer questions are cut (voice messages run long; the topic comes early)
EXCERPT_CHARS = 90  # sentences longer than this are shown as their matching clauses
_CLAUSE_END = re.compile(r"[，；：。]")
_LATIN = re.compile(r"[a-z]{2}")
_TAG = re.compile(r"</?[a-z][a-z0-9]*(?:\s[^<>]*)?/?>", re.IGNORECASE)  # markup pasted from a web page
_YEAR = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?=\s*年)")  # a year, as in 2025年

# Query term weights. Words carry the meaning; bigrams rescue typos and odd cuts without dominating;
# words added by the synonym table count less than the user's own words.
WORD_WEIGHT = 1.0
BIGRAM_WEIGHT = 0.35
SYNONYM_WEIGHT = 0.6
# An item's score: its best passage, plus a share of the whole item's score (titles and context count).
ITEM_DOC_WEIGHT = 0.5
# Beside the best item, an item is shown only when its words match or its meaning stands out: its
# cosine at least this many standard deviations above the items' mean (a near item, not a filler).
RELATED_Z = 1.0



@dataclass(frozen=True)
class Match:
    """A passage that matched, with its score (BM25, fused with meaning when the encoder runs) and the
    character spans of matched terms."""

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


@dataclass(frozen=True)
class Prepared:
    """A question's scores before fusion: the words (BM25) and, with an encoder, the meaning (cosines)."""

    query: str
    truncated: bool
    nq: str  # normalised, typos read as meant
    corrections: tuple[tuple[str, str], ...]
    fired: list[tuple[str, str]]
    weights: dict[str, float]
    words: list[str]
    p_lex: np.ndarray  # BM25 per passage
    lex: np.ndarray  # BM25 per item: best passage plus a share of the whole item
    p_cos: np.ndarray | None  # cosine per passage
    cos: np.ndarray | None  # cosine per item: its best passage


def decisive(answer: "Answer", words: Calibration, cut: float) -> bool:
    """Words alone settle the question: answered by the words-only model with at least `cut`
    probability, and not mostly in Latin letters (whose words the plan's text cannot hold)."""
    f = answer.features
    return answer.answered and f is not None and f.latin == 0 and words.probability(f) >= cut


def _z(x: np.ndarray) -> np.ndarray:
    """Scores as z-scores over their own population (all zero when they are all equal)."""
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 1e-12 else np.zeros_like(x)


class Index:
    """Search over one or more plans. Build once per process: `Index.build(plans)`."""

    def __init__(self, plans: tuple[Plan, ...], tokenizer: Tokenizer, calibration: Calibration,
                 cache_dir: Path | str | None = None, encoder: Encoder | None = None,
                 progress: Progress | None = None) -> None:
        self.plans = plans
        self.tokenizer = tokenizer
        self.calibration = calibration
        self.encoder = encoder
        self._cache_dir = cache_dir
        self._taught: list[Taught] = []  # operators' taught questions (see teach)
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
        names = [w for ln in _read_lines(PLACES) for w in ln.split()]
        gazetteer = [w for w in names if "=" not in w]
        english = [w.split("=", 1) for w in names if "=" in w]  # english=中文 (_ for a space)
        # Places of elsewhere: on the gazetteer, absent from every plan's text and region. One pattern
        # for all of them: a question is searched once, not once per place.
        self._elsewhere = tuple(w for w in gazetteer if w not in home and w not in plan_text)
        away = set(self._elsewhere)
        alternatives = [re.escape(w) for w in self._elsewhere]
        alternatives += [rf"(?<![a-z]){re.escape(en.replace('_', ' '))}(?![a-z])" for en, zh in english if zh in away]
        self._elsewhere_re = re.compile("|".join(alternatives)) if alternatives else None
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
        # Meaning: one unit vector per passage (cached on disk, keyed by the model and the texts).
        self._vectors = None if encoder is None else passage_vectors(
            encoder, [p.text for p in self.passages], cache_dir, progress)

    @property
    def mode(self) -> str:
        """HYBRID (words and meaning) or WORDS (no sentence encoder here)."""
        return WORDS if self.encoder is None else HYBRID

    @cached_property
    def _homophones(self) -> Homophones:
        """Same-sounding typos of the plans' words (built at the first question)."""
        return Homophones(self._plan_text, self.tokenizer.is_word)

    @cached_property
    def _pinyin(self) -> PinyinWords:
        """The plans' words by their toneless reading (built at the first question in Latin letters)."""
        return PinyinWords(w for w in self._scorer.vocabulary if not w.startswith(BIGRAM))

    @classmethod
    def build(cls, plans: tuple[Plan, ...] | None = None, tokenizer: Tokenizer | None = None,
              cache_dir: Path | str | None = DEFAULT, encoder: Encoder | str | None = AUTO,
              progress: Progress | None = None) -> "Index":
        """Index the given plans (default: the shipped ones); start-up work is cached in `cache_dir`.

        `encoder`: AUTO loads the shipped sentence encoder (None when it cannot run here: words only),
        None searches by words alone, or pass an Encoder. `progress(done, total)` is called while
        passage vectors are computed (only when they are not cached).
        """
        if plans is None:
            from corpus import shipped_plans

            plans = shipped_plans()
        enc = load_encoder() if encoder == AUTO else encoder
        assert enc is None or not isinstance(enc, str), f"unknown encoder {enc!r}"
        tokenizer = tokenizer or default_tokenizer()
        if enc is not None:
            try:
                return cls(plans, tokenizer, load_calibration(HYBRID), cache_dir, enc, progress)
            except EncoderFailed as exc:
                log.warning("%s; answering by words only", exc)
        return cls(plans, tokenizer, load_calibration(WORDS), cache_dir, None, progress)

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
            raise RefError(f"“{shown}”不是有效的部分：请输入 一–{last.numeral}（或 1–{len(plan.sections)}），"
                           "例如 三 或 第三部分。")
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

    def prepare(self, query: str) -> Prepared | None:
        """A question's word scores (None when it has nothing to search); `with_meaning` adds cosines."""
        truncated = len(query) > MAX_QUERY_CHARS
        q = _TAG.sub(" ", query[:MAX_QUERY_CHARS])  # <script>, </b>: markup, not words of the question
        nq, fixes = self._homophones.correct(self.tokenizer.normalize(q), self.tokenizer.words)
        corrections = tuple(dict.fromkeys((c.typed, c.meant) for c in fixes))  # each typo once
        fired = self.tokenizer.fired(nq)
        if _LATIN.search(nq):
            fired += self._pinyin.found(nq)  # zuoye → 作业: read as the synonym table's rules are
        weights, words = self._weighted_terms(nq, fired)
        if not weights:
            return None
        scores = self._scorer.scores(weights)
        p_lex = scores[: self._n_passages]
        lex = self._best_passage_scores(p_lex) + scores[self._n_passages :]
        return Prepared(query, truncated, nq, corrections, fired, weights, words, p_lex, lex, None, None)

    def with_meaning(self, prep: Prepared) -> Prepared:
        """The question's cosines with every passage and item added (unchanged without an encoder, or
        when its vector is broken: that question goes by words)."""
        if self.encoder is None or self._vectors is None:
            return prep
        qv = self.encoder.queries([prep.nq])[0]
        if not np.isfinite(qv).all():
            return prep
        p_cos = self._vectors @ qv
        cos = np.full(len(self.items), -1.0)
        if len(p_cos):
            cos[self._nonempty] = np.maximum.reduceat(p_cos, self._nonempty_starts)
        return replace(prep, p_cos=p_cos, cos=cos)

    def search(self, query: str, k: int = 3) -> Answer:
        """Rank items for a question; `answered` is False when the plan does not address it.

        Words first: a Chinese question the words-only model answers with a probability of at least
        the fitted `cascade` cut is answered so; any other question is encoded and ranked by words and
        meaning together."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        prep = self.prepare(query)
        if prep is None:
            return Answer(query, False, (), len(query) > MAX_QUERY_CHARS, reason="empty")
        words = self.words_calibration
        if self._taught:  # an operator's taught question takes precedence when this one is close to it
            meant = self.with_meaning(prep) if self.encoder is not None else prep
            taught = best_match(self._taught, frozenset(prep.weights), self._query_vector(meant))
            if taught is not None:
                return self.answer(meant, k, self.calibration if meant.cos is not None else words, pin=taught.item)
        by_words = self.answer(prep, k, words)
        if self.encoder is None or decisive(by_words, words, self.calibration.cascade):
            return by_words
        prep = self.with_meaning(prep)
        return self.answer(prep, k, self.calibration) if prep.cos is not None else by_words

    def teach(self, entries: Sequence[tuple[str, int, str]]) -> int:
        """Use these taught questions (plan id, item number, question) from now on, replacing any
        before; unknown plans or items are skipped. How many are in use."""
        where = {(it.plan, it.number): i for i, it in enumerate(self.items)}
        kept = [(where[(plan, number)], q) for plan, number, q in entries if (plan, number) in where]
        normalized = [self.tokenizer.normalize(q[:MAX_QUERY_CHARS]) for _, q in kept]
        vectors: Sequence[np.ndarray | None] = [None] * len(kept)
        if self.encoder is not None and normalized:  # cached on disk like the passages': starts stay fast
            vectors = list(passage_vectors(self.encoder, normalized, self._cache_dir, as_questions=True))
        self._taught = [Taught(i, q, frozenset(self._weighted_terms(n, self.tokenizer.fired(n))[0]), v)
                        for (i, q), n, v in zip(kept, normalized, vectors)]
        return len(self._taught)

    def _query_vector(self, prep: Prepared) -> np.ndarray | None:
        """The question's vector (from the encoder's cache: `with_meaning` just computed it)."""
        if self.encoder is None or prep.cos is None:
            return None
        return self.encoder.queries([prep.nq])[0]

    @cached_property
    def words_calibration(self) -> Calibration:
        """The words-only model: for every question without an encoder, for the cascade's first step,
        and for a question whose vector could not be computed."""
        return self.calibration if self.encoder is None else load_calibration(WORDS)

    def fused(self, prep: Prepared, weight: float) -> np.ndarray:
        """Item scores: BM25 alone without an encoder; else z-scored BM25 plus `weight` × z-scored cosine."""
        if prep.cos is None:
            return prep.lex
        return _z(prep.lex) + weight * _z(prep.cos)

    def answer(self, prep: Prepared, k: int, calibration: Calibration, pin: int | None = None) -> Answer:
        """Rank, pick the matching sentences, and decide whether the plan answers (one calibration).
        `pin`: an item an operator taught for this question — first, and answered."""
        query, truncated, corrections = prep.query, prep.truncated, prep.corrections
        item_scores = self.fused(prep, calibration.fusion_weight)
        order = np.argsort(-item_scores, kind="stable").tolist()
        if pin is not None:
            order.remove(pin)
            order.insert(0, pin)
        cos_z = None if prep.cos is None else _z(prep.cos)
        if cos_z is None:
            top = [i for n, i in enumerate(order[: k + 2]) if item_scores[i] > 0 or (n == 0 and pin is not None)]
        else:
            top = [i for n, i in enumerate(order) if n == 0 or prep.lex[i] > 0 or cos_z[i] >= RELATED_Z][: k + 2]
        if not top:
            return Answer(query, False, (), truncated, reason="off-topic", corrections=corrections)

        words_only = [t for t in prep.weights if not t.startswith(BIGRAM)]
        highlight = (frozenset(w[i : i + 2] for w in words_only if not w.isascii() for i in range(len(w) - 1)),
                     tuple(w for w in words_only if w.isascii() and len(w) > 1))
        p_rank = prep.p_lex if prep.p_cos is None else (
            _z(prep.p_lex) + calibration.fusion_weight * _z(prep.p_cos))
        best_passages = {i: self._best_passages(i, p_rank, prep.p_lex) for i in top[:k]}
        features = self._features(prep, top, best_passages[top[0]], cos_z)
        confidence = calibration.probability(features)
        hits = []
        passages, best_score = self.passages, float(item_scores[top[0]])
        floor = min(0.0, float(item_scores.min()))
        for rank, i in enumerate(top[:k]):
            score = float(item_scores[i])
            conf = confidence * ((score - floor) / (best_score - floor) if best_score > floor else 1.0) if rank else confidence
            matches = tuple(Match(passages[j], float(p_rank[j]), _spans(passages[j].text, *highlight))
                            for j in best_passages[i])
            hits.append(Hit(self.items[i], score, round(float(conf), 3), matches))
        # However well its words match, a question is not answered by this plan when it asks for a
        # detail the matched sentence lacks (index/detail.py), or is about another province or city
        # (the plan's own region is listed in its metadata).
        answered = pin is not None or (confidence >= calibration.threshold and not features.vetoed())
        reason = "" if answered else (
            "detail-not-in-plan" if features.detail_missing else "elsewhere" if features.elsewhere else "off-topic")
        return Answer(query, answered, tuple(hits), truncated, reason, corrections=corrections, features=features)

    def _best_passage_scores(self, p_scores: np.ndarray) -> np.ndarray:
        """Each item's best passage score (0 for an item without passages)."""
        out = np.zeros(len(self.items))
        if len(p_scores):
            out[self._nonempty] = np.maximum.reduceat(p_scores, self._nonempty_starts)
        return out

    def _best_passages(self, item_index: int, p_rank: np.ndarray, p_lex: np.ndarray) -> list[int]:
        """The item's best passage (by `p_rank`), and the runner-up if its words score at least half as
        much as the item's best by words (by words alone, `p_rank` is `p_lex`)."""
        r = self._item_passages[item_index]
        if not len(r):
            return []
        # The first two places of a stable descending sort, in Python: an item has a handful of
        # passages, too few for numpy's per-call overhead to pay.
        local = p_rank[r.start : r.stop].tolist()
        first = local.index(max(local))  # the first of equal maxima, as a stable sort puts it
        chosen = [r.start + first]
        if len(local) > 1:
            lex = p_lex[r.start : r.stop].tolist()
            best_lex = max(lex)
            local[first] = -math.inf
            second = local.index(max(local))
            if lex[second] > 0 and lex[second] >= 0.5 * best_lex:
                chosen.append(r.start + second)
        return chosen

    def _features(self, prep: Prepared, top: list[int], best_passages: list[int],
                  cos_z: np.ndarray | None) -> Features:
        """The signals the not-found decision is calibrated on (see index/confidence.py)."""
        tok = self.tokenizer
        nq, words, fired = prep.nq, prep.words, prep.fired
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

        known_share = share(idf, known)
        # Words: the best and runner-up items by BM25 alone (the fused order may differ).
        lex_order = np.argsort(-prep.lex, kind="stable")[:2]
        best = max(float(prep.lex[lex_order[0]]), 0.0)
        second = max(float(prep.lex[lex_order[1]]), 0.0) if len(lex_order) > 1 else 0.0
        idf_total = sum(idf) or 1.0
        dense_best = dense_z = dense_margin = 0.0
        agree = False
        letters = [ch for ch in nq if ch.isalpha()]
        latin = sum(ch.isascii() for ch in letters) / len(letters) if letters else 0.0
        if prep.cos is not None and cos_z is not None and len(prep.cos) > 1:
            cos_order = np.argsort(-prep.cos, kind="stable")[:2]
            dense_best = float(prep.cos[cos_order[0]])
            dense_margin = dense_best - float(prep.cos[cos_order[1]])
            dense_z = float(cos_z[top[0]])
            agree = best > 0 and int(cos_order[0]) == int(lex_order[0])
        return Features(
            coverage=share(idf, in_item),
            coverage_general=share(general, in_item),
            passage_coverage=share(general, in_passage),
            known=known_share,
            score=math.log1p(best),
            score_per_idf=best / idf_total,
            margin=(best - second) / best if best else 0.0,
            detail_missing=detail_missing(nq, self.passages[best_passages[0]].text if best_passages else "")
            or asks_about_unnamed_school(nq, self._school_names, self._plan_text),
            elsewhere=(self._elsewhere_re is not None and self._elsewhere_re.search(nq) is not None)
            or any(y not in self._years for y in _YEAR.findall(nq)),
            dense_best=dense_best,
            dense_z=dense_z,
            dense_margin=dense_margin,
            agree=agree,
            latin=latin,
            dense_z_latin=dense_z * latin,
            unrecognised=latin >= 0.5 and known_share == 0,
        )
