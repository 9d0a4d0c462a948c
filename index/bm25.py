"""BM25 over pre-tokenised documents: rank-bm25's Okapi model with a positive IDF, scored sparsely."""

from __future__ import annotations

import math
from collections import defaultdict

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
    """

    def __init__(self, model: PositiveIdfBM25) -> None:
        self.model = model
        self.n_docs = model.corpus_size
        postings: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for doc_id, freqs in enumerate(model.doc_freqs):
            for term, tf in freqs.items():
                ids, tfs = postings[term]
                ids.append(doc_id)
                tfs.append(tf)
        self._postings = dict(postings)
        self._doc_len = np.asarray(model.doc_len, dtype=np.float64)
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __contains__(self, term: str) -> bool:
        return term in self._postings

    def idf(self, term: str) -> float:
        """IDF of a term (the unseen-term IDF for a term no document has)."""
        return self.model.idf.get(term, self.model.unseen_idf())

    def term(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(document ids, scores) of one term; empty arrays if no document has it."""
        hit = self._cache.get(term)
        if hit is not None:
            return hit
        if term not in self._postings:
            return _NO_IDS, _NO_SCORES
        ids, tfs = self._postings[term]
        m = self.model
        tf = np.asarray(tfs, dtype=np.float64)
        ids_arr = np.asarray(ids, dtype=np.int64)
        norm = m.k1 * (1 - m.b + m.b * self._doc_len[ids_arr] / m.avgdl)
        scores = m.idf[term] * tf * (m.k1 + 1) / (tf + norm)
        if len(self._cache) < 50_000:
            self._cache[term] = (ids_arr, scores)
        return ids_arr, scores

    def scores(self, weighted_terms: dict[str, float]) -> np.ndarray:
        """Σ weight × BM25(term, doc) for every document (one bincount over all postings)."""
        ids, vals, weights, lengths = [], [], [], []
        postings = self._postings
        for term, w in weighted_terms.items():
            if term in postings:  # most bigrams of a question occur in no passage
                t_ids, t_scores = self.term(term)
                ids.append(t_ids)
                vals.append(t_scores)
                weights.append(w)
                lengths.append(len(t_ids))
        if not ids:
            return np.zeros(self.n_docs)
        scaled = np.concatenate(vals) * np.repeat(weights, lengths)
        return np.bincount(np.concatenate(ids), scaled, minlength=self.n_docs)
