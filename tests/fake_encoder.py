"""A stand-in sentence encoder for tests that must not depend on the shipped model."""

from __future__ import annotations

import numpy as np


class CountingEncoder:
    """A stand-in encoder: a character-hash bag of words, counting the passages and questions it encodes."""

    dim = 16

    def __init__(self, name: str = "counting/1") -> None:
        self.name = name
        self.encoded = 0
        self.asked: list[str] = []

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for ch in text:
            v[ord(ch) % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v + 1 / np.sqrt(self.dim)

    def queries(self, texts: list[str]) -> np.ndarray:
        self.asked += texts
        return np.vstack([self._vec(t) for t in texts])

    def passages(self, texts: list[str]) -> np.ndarray:
        self.encoded += len(texts)
        return np.vstack([self._vec(t) for t in texts])
