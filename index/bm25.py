"""BM25 over pre-tokenised documents: rank-bm25's Okapi model with a positive IDF, scored sparsely."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from rank_bm25 import BM25Okapi


class PositiveIdfBM25(BM25Okapi):
    """BM25Okapi with the Lucene/BM25+ style IDF  log(1 + (N - n + 0.5) / (n + 0.5)).

    rank-bm25's BM25Okapi gives terms found in half or more of the documents a negative IDF and then
    floors it to epsilon × mean IDF. On a plan of a few hundred passages that flattens frequent but
    meaningful words (教育, 学校, 建设) to one arbitrary constant and, with a small corpus, can rank a
    document *down* for containing a query word. This IDF is always positive and still decreasing in n,
    so common words count a little and rare words a lot. Documents are tokenised by the caller (passing
    `tokenizer=` to rank-bm25 would start a process pool).
    """

    def _calc_idf(self, nd: dict[str, int]) -> None:
        """Set `self.idf` for every term from its document frequency."""
        n = self.corpus_size
        self.idf = {term: math.log(1.0 + (n - df + 0.5) / (df + 0.5)) for term, df in nd.items()}
        self.average_idf = sum(self.idf.values()) / max(len(self.idf), 1)

    def unseen_idf(self) -> float:
        """The IDF a term would have if it occurred in no document."""
        return math.log(1.0 + (self.corpus_size + 0.5) / 0.5)


_NO_IDS = np.empty(0, dtype=np.int64)
_NO_SCORES = np.empty(0)


class SparseScorer:
    """Scores of single terms over all documents, computed from the postings of that term only.

    rank-bm25's `get_scores` loops in Python over every document for every query term; the same
    formula evaluated on the documents that contain the term is exact and scales to 100k passages.
    `tests/test_bm25.py` checks that both give the same numbers.

    Several models (passages, whole items) can share one scorer: their documents are numbered one
    after another and each model's scores are multiplied by its weight, so a question costs one pass
    over its terms and one bincount, whatever the number of models.
    """

    def __init__(self, *models: PositiveIdfBM25, weights: tuple[float, ...] | None = None) -> None:
        self.models = models
        self.model = models[0]
        self.weights = weights or (1.0,) * len(models)
        offsets = np.cumsum([0] + [m.corpus_size for m in models])
        self.n_docs = int(offsets[-1])
        # Every (term, document) pair once, scored in one vectorised pass, then grouped by term: a
        # term's postings are a slice, so a question never computes a score.
        self._terms: dict[str, int] = {}
        term_of, doc_of, tf_of, model_of = [], [], [], []
        for n, model in enumerate(models):
            for doc_id, freqs in enumerate(model.doc_freqs):
                for term, tf in freqs.items():
                    term_of.append(self._terms.setdefault(term, len(self._terms)))
                    doc_of.append(doc_id + int(offsets[n]))
                    tf_of.append(tf)
                    model_of.append(n)
        t = np.asarray(term_of, dtype=np.int64)
        d = np.asarray(doc_of, dtype=np.int64)
        tf = np.asarray(tf_of, dtype=np.float64)
        mo = np.asarray(model_of, dtype=np.int64)
        idf = np.asarray([[m.idf.get(term, 0.0) for term in self._terms] for m in models]).reshape(len(models), -1)
        doc_len = np.concatenate([np.asarray(m.doc_len, dtype=np.float64) for m in models])
        k1 = np.asarray([m.k1 for m in models])[mo]
        b = np.asarray([m.b for m in models])[mo]
        avgdl = np.asarray([m.avgdl for m in models])[mo]
        norm = k1 * (1 - b + b * doc_len[d] / avgdl)
        score = np.asarray(self.weights)[mo] * idf[mo, t] * tf * (k1 + 1) / (tf + norm)
        order = np.argsort(t, kind="stable")
        self._ids, self._scores = d[order], score[order]
        self._starts = np.searchsorted(t[order], np.arange(len(self._terms) + 1))
        self._starts_list = self._starts.tolist()  # Python ints: cheaper to index and slice with per question

    def __contains__(self, term: str) -> bool:
        return term in self._terms

    @property
    def vocabulary(self) -> Mapping[str, int]:
        """Every term some document has, read-only (`term in scorer.vocabulary` without a method call)."""
        return self._terms

    def idf(self, term: str) -> float:
        """IDF of a term in the first model (the unseen-term IDF for a term no document has)."""
        idf = self.model.idf.get(term)
        return self.model.unseen_idf() if idf is None else idf

    def term(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(document ids, weighted scores) of one term; empty arrays if no document has it."""
        t = self._terms.get(term)
        if t is None:
            return _NO_IDS, _NO_SCORES
        a, b = self._starts[t], self._starts[t + 1]
        return self._ids[a:b], self._scores[a:b]

    def scores(self, weighted_terms: dict[str, float]) -> np.ndarray:
        """Σ weight × BM25(term, doc) for every document (one bincount over all postings)."""
        ids, vals, weights, lengths = [], [], [], []
        terms, starts, all_ids, all_scores = self._terms, self._starts_list, self._ids, self._scores
        for term, w in weighted_terms.items():
            t = terms.get(term)
            if t is not None:  # most bigrams of a question occur in no passage
                a, b = starts[t], starts[t + 1]
                ids.append(all_ids[a:b])
                vals.append(all_scores[a:b])
                weights.append(w)
                lengths.append(b - a)
        if not ids:
            return np.zeros(self.n_docs)
        scaled = np.concatenate(vals) * np.repeat(weights, lengths)
        return np.bincount(np.concatenate(ids), scaled, minlength=self.n_docs)
