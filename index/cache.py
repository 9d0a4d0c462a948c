"""A small on-disk cache for start-up work (jieba's prefix dictionary, tokenised passages).

Entries are keyed by a hash of everything they are computed from, written atomically with marshal,
and silently recomputed when missing, stale, unreadable or when the folder is not writable: the cache
only ever saves time, it never changes an answer.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

DEFAULT_DIR = Path.home() / ".cache" / "plan-bot"
VERSION = "4"  # bump when what is cached changes shape or meaning for the same inputs


def fingerprint(*parts: str | bytes) -> str:
    """A short hash of the inputs (and the Python version, since marshal's format follows it)."""
    h = hashlib.sha256(f"{VERSION}|{sys.version_info[:2]}".encode())
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:24]


def cached(directory: Path | None, name: str, key: str, compute: Callable[[], Any]) -> Any:
    """Return the cached value for (name, key), computing and storing it on a miss."""
    if directory is None:
        return compute()
    path = directory / f"{name}-{key}.marshal"
    try:
        with open(path, "rb") as f:
            return marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    value = compute()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}-")
        with os.fdopen(fd, "wb") as f:
            marshal.dump(value, f)
        os.replace(tmp, path)
        for old in directory.glob(f"{name}-*.marshal"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # read-only home, full disk: run without the cache
    return value
