"""A small on-disk cache for start-up work (jieba's prefix dictionary, tokenised passages).

Entries are keyed by a hash of everything they are computed from and written atomically with
marshal, with a checksum of the payload. A missing, stale, unreadable, corrupt or wrongly shaped entry
is recomputed, and an unwritable folder means running without the cache: the cache only ever saves
time, it never changes an answer.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

VERSION = "5"  # bump when what is cached changes shape or meaning for the same inputs
KEEP = 8  # entries kept per name (several plan sets, e.g. the test suite's and the shipped plan, alternate)


DEFAULT = "default"  # the cache_dir argument meaning "the user's cache folder"


def resolve(directory: Path | str | None) -> Path | None:
    """The folder to use: DEFAULT → ~/.cache/plan-bot (None when there is no home directory)."""
    if directory != DEFAULT:
        return Path(directory) if directory is not None else None
    try:
        return Path.home() / ".cache" / "plan-bot"
    except RuntimeError:
        return None


def fingerprint(*parts: str | bytes) -> str:
    """A short hash of the inputs (and the Python version, since marshal's format follows it)."""
    h = hashlib.sha256(f"{VERSION}|{sys.version_info[:2]}".encode())
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:24]


def _load(path: Path, valid: Callable[[Any], bool]) -> tuple[bool, Any]:
    """(True, value) for an intact entry that passes `valid`, else (False, None)."""
    try:
        raw = path.read_bytes()
        digest, payload = raw[:32], raw[32:]
        if hashlib.sha256(payload).digest() != digest:
            return False, None
        value = marshal.loads(payload)
        return (True, value) if valid(value) else (False, None)
    except Exception:  # unreadable, truncated, foreign format: recompute
        return False, None


def _store(directory: Path, name: str, path: Path, value: Any) -> None:
    """Write atomically, then drop all but the KEEP most recent entries of this name."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        payload = marshal.dumps(value)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}-")
        with os.fdopen(fd, "wb") as f:
            f.write(hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)
        entries = sorted(directory.glob(f"{name}-*.marshal"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except (OSError, ValueError):
        pass  # read-only home, full disk, a concurrent cleanup: run without the cache


def cached(directory: Path | str | None, name: str, key: str, compute: Callable[[], Any],
           valid: Callable[[Any], bool] = lambda v: True) -> Any:
    """Return the cached value for (name, key), computing and storing it on a miss."""
    directory = resolve(directory)
    if directory is None:
        return compute()
    path = directory / f"{name}-{key}.marshal"
    ok, value = _load(path, valid)
    if ok:
        return value
    value = compute()
    _store(directory, name, path, value)
    return value


def peek(directory: Path | str | None, name: str, key: str, valid: Callable[[Any], bool] = lambda v: True) -> str:
    """What the cache holds for (name, key), without computing or writing: "cached", "missing" or
    "damaged" (it would be recomputed)."""
    directory = resolve(directory)
    if directory is None:
        return "missing"
    path = directory / f"{name}-{key}.marshal"
    if not path.exists():
        return "missing"
    ok, _ = _load(path, valid)
    return "cached" if ok else "damaged"
