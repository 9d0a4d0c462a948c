"""BM25: a positive IDF that still decreases with document frequency (unlike rank-bm25's floored Okapi
IDF), and a sparse scorer that gives exactly rank-bm25's own scores on the plan's passages."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from index import Index
from index.bm25 import PositiveIdfBM25, SparseScorer

# t1 in 1 document, t2 in 2, t3 in 3, t4 in all 4
TINY = [["t1", "t2", "t3", "t4"], ["t2", "t3", "t4"], ["t3", "t4"], ["t4"]]
N = len(TINY)


def lucene_idf(df: int, n: int = N) -> float:
    """The IDF the class docstring promises: log(1 + (N - n + 0.5) / (n + 0.5))."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


# ---------------------------------------------------------------- IDF


def test_idf_is_the_documented_formula() -> None:
    model = PositiveIdfBM25(TINY)
    for term, df in {"t1": 1, "t2": 2, "t3": 3, "t4": 4}.items():
        assert model.idf[term] == pytest.approx(lucene_idf(df))


def test_idf_is_positive_even_for_a_term_in_every_document() -> None:
    model = PositiveIdfBM25(TINY)
    assert model.idf["t4"] > 0
    assert all(v > 0 for v in model.idf.values())


def test_idf_strictly_decreases_with_document_frequency() -> None:
    model = PositiveIdfBM25(TINY)
    by_df = [model.idf[t] for t in ("t1", "t2", "t3", "t4")]
    assert by_df == sorted(by_df, reverse=True)
    assert len(set(by_df)) == 4


def test_an_unseen_term_would_be_rarer_than_any_seen_term() -> None:
    model = PositiveIdfBM25(TINY)
    assert model.unseen_idf() == pytest.approx(lucene_idf(0))
    assert model.unseen_idf() > max(model.idf.values())


def test_rank_bm25_okapi_flattens_and_negates_common_terms_on_the_same_corpus() -> None:
    # The contrast that motivates PositiveIdfBM25 (ARCHITECTURE.md, "Known traps").
    okapi = BM25Okapi(TINY)
    raw_t4 = math.log((N - 4 + 0.5) / (4 + 0.5))
    assert raw_t4 < 0  # Okapi's raw IDF for a term in every document is negative ...
    assert okapi.average_idf < 0
    # ... and rank-bm25 floors it to epsilon × mean IDF, which here is itself negative
    assert okapi.idf["t4"] == pytest.approx(okapi.epsilon * okapi.average_idf)
    assert okapi.idf["t4"] < 0
    # df 3 and df 4 get one and the same value: frequency no longer matters
    assert okapi.idf["t3"] == okapi.idf["t4"]
    positive = PositiveIdfBM25(TINY)
    assert positive.idf["t3"] > positive.idf["t4"] > 0


def test_okapi_ranks_a_document_down_for_containing_the_query_word_and_the_positive_idf_does_not() -> None:
    # document 3 lacks t3; the three documents that contain t3 must not score below it
    okapi = BM25Okapi(TINY).get_scores(["t3"])
    assert okapi[3] == 0 and (okapi[:3] < 0).all()
    positive = PositiveIdfBM25(TINY).get_scores(["t3"])
    assert positive[3] == 0 and (positive[:3] > 0).all()


# ---------------------------------------------------------------- the sparse scorer on the real passages


@pytest.fixture(scope="module")
def model() -> PositiveIdfBM25:
    ix = Index.build()
    return PositiveIdfBM25([ix.tokenizer.tokens(p.text) for p in ix.passages])


@pytest.fixture(scope="module")
def tokens():
    from index.tokenize import default_tokenizer

    return default_tokenizer().tokens


QUERIES = [
    "控辍保学",
    "乡镇寄宿志学校",
    "学前教育普惠性资源",
    "高校毕业生就业创业",
    "蒙语授课学校的校园文化",
    "PE传统特色学校",
    "教育信息化2.0行动计划",
    "一个计划里没有的词：火星探测器",
]


@pytest.mark.parametrize("query", QUERIES)
def test_sparse_scores_equal_rank_bm25_get_scores(model: PositiveIdfBM25, tokens, query: str) -> None:
    q = tokens(query)
    expected = model.get_scores(q)
    got = SparseScorer(model).scores(dict(Counter(q)))  # get_scores counts a repeated term once per repeat
    assert got.shape == (len(model.doc_len),)
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert expected.max() > 0 or query.startswith("一个计划里没有")


def test_sparse_scores_are_linear_in_the_term_weights(model: PositiveIdfBM25) -> None:
    scorer = SparseScorer(model)
    got = scorer.scores({"控辍保学": 1.0, "~寄宿": 0.35, "学前教育": 0.6})
    expected = (model.get_scores(["控辍保学"]) + 0.35 * model.get_scores(["~寄宿"])
                + 0.6 * model.get_scores(["学前教育"]))
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_a_term_no_document_has_scores_zero_everywhere(model: PositiveIdfBM25) -> None:
    scorer = SparseScorer(model)
    assert "火星探测器" not in scorer
    ids, scores = scorer.term("火星探测器")
    assert len(ids) == len(scores) == 0
    assert not scorer.scores({"火星探测器": 1.0}).any()
    assert scorer.idf("火星探测器") == pytest.approx(model.unseen_idf())


def test_a_terms_postings_are_exactly_the_documents_containing_it(model: PositiveIdfBM25) -> None:
    scorer = SparseScorer(model)
    ids, scores = scorer.term("控辍保学")
    containing = [i for i, f in enumerate(model.doc_freqs) if "控辍保学" in f]
    assert ids.tolist() == containing and len(containing) >= 1
    assert (scores > 0).all()


def test_two_models_share_one_scorer_with_their_weights(model: PositiveIdfBM25) -> None:
    """Passages then items in one document space: each model's part is its own scores times its weight."""
    other = PositiveIdfBM25([["控辍保学", "学校"], ["学校"]])
    scorer = SparseScorer(model, other, weights=(1.0, 0.5))
    query = {"控辍保学": 1.0, "学校": 0.35}
    both = scorer.scores(query)
    assert np.allclose(both[: model.corpus_size], SparseScorer(model).scores(query))
    assert np.allclose(both[model.corpus_size :], 0.5 * np.asarray(other.get_scores(["控辍保学"]))
                       + 0.5 * 0.35 * np.asarray(other.get_scores(["学校"])))
