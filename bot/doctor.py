"""`plan-bot doctor`: check a set-up in plain words — configuration, database, plans, the search's
caches and the encoder, the token — each ✓ or ✗ with what to do. It reads; it never writes, and never
touches a file it reports as broken (the database is opened read-only, no key file is made)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.config import ConfigError, Settings


@dataclass(frozen=True)
class Check:
    """One finding: passed or not, what was checked, and (when it failed) what to do."""

    ok: bool
    what: str
    advice: str = ""

    def line(self) -> str:
        """`✓ what` or `✗ what — advice`."""
        return f"{'✓' if self.ok else '✗'} {self.what}" + (f" — {self.advice}" if self.advice and not self.ok else "")


def run_checks(environ: dict[str, str] | None = None, *, dotenv: bool = True,
               get: Callable[[str], httpx.Response] | None = None) -> list[Check]:
    """Every check, in order (a broken configuration stops the rest: they depend on it)."""
    try:
        settings = Settings.from_env(environ, dotenv=dotenv)
    except ConfigError as exc:
        return [Check(False, f"configuration: {exc}", "fix the variable in .env or the environment (.env.example explains each)")]
    checks = [Check(True, "configuration: every variable is valid")]
    checks += list(database(settings.db_path))
    plans = list(plan_checks(settings))
    checks += plans
    if all(c.ok for c in plans):
        checks += list(search_checks(settings))
    if settings.token:
        checks.append(token_check(settings, get))
    return checks


def database(path: Path) -> Iterator[Check]:
    """The database: there or not yet, intact, up to date, writable, private; the key file."""
    from bot.store import MIGRATIONS

    if path.is_dir():
        yield Check(False, f"database {path}: is a folder", "point PLAN_BOT_DB at a file (e.g. data/plan-bot.sqlite3)")
        return
    if not path.exists():
        parent = next((p for p in path.parents if p.exists()), Path("/"))
        writable = parent.is_dir() and os.access(parent, os.W_OK)
        yield Check(writable, f"database {path}: not created yet (the bot creates it at its first start)",
                    f"{parent} is not a writable folder for this user")
        return
    try:  # on a copy: even a read-only open of a WAL database leaves -wal/-shm files beside it
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / path.name
            shutil.copyfile(path, copy)
            wal = path.with_name(path.name + "-wal")
            if wal.exists():
                shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
            conn = sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)
            try:
                result = conn.execute("PRAGMA integrity_check").fetchone()[0]
                tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
                done = {r[0] for r in conn.execute(
                    "select name from _sqlite_migrations where migration_set = 'plan-bot'")} \
                    if "_sqlite_migrations" in tables else set()
                if "migrations" in tables:  # from before sqlite-utils' runner (moved over at the next start)
                    done |= {r[0] for r in conn.execute("select name from migrations")}
            finally:
                conn.close()
    except (sqlite3.Error, OSError) as exc:
        yield Check(False, f"database {path}: cannot be read ({exc})",
                    "restore it from a backup (sqlite3 .backup), or move it aside and let the bot make a new one")
        return
    if result != "ok":
        yield Check(False, f"database {path}: damaged (integrity_check: {result})",
                    "restore it from a backup; the damaged file is left as it is")
        return
    yield Check(True, f"database {path}: intact")
    missing = [m.__name__ for m in MIGRATIONS if m.__name__ not in done]
    yield Check(True, f"database schema: up to date ({len(done)} migrations)") if not missing else Check(
        True, f"database schema: {len(missing)} migrations to apply at the next start ({', '.join(missing)})")
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    yield Check(writable, "database: writable by this user", f"give this user write access to {path} and its folder")
    mode = stat.S_IMODE(path.stat().st_mode)
    yield Check(not mode & 0o077, f"database: private to its owner (mode {mode:o})", f"chmod 600 {path}")
    key = path.with_name(path.name + ".key")
    if key.exists():
        text = key.read_text(encoding="ascii", errors="replace").strip()
        sound = len(text) == 64 and all(c in "0123456789abcdef" for c in text.lower())
        yield Check(sound, f"id-hashing key {key}: " + ("present" if sound else "damaged"),
                    "restore it from the backup made with the database, or set PLAN_BOT_SECRET")


def plan_checks(settings: Settings) -> Iterator[Check]:
    """Every plan: parses, metadata valid, deadlines found."""
    from corpus import PlanParseError
    from corpus.deadlines import extract
    from corpus.load import PlanMetaError, plans_with

    try:
        plans = plans_with(settings.plans_dir)
    except (PlanParseError, PlanMetaError) as exc:
        yield Check(False, f"plans: {exc}", "fix that file (the line is named), or remove it from the folder")
        return
    for plan in plans:
        found, _ = extract(plan)
        lo, hi = plan.item_range
        yield Check(True, f"plan {plan.id}: 《{plan.meta.title}》 {plan.meta.year}, {len(plan.sections)} sections, "
                          f"items {lo}–{hi}, {len(found)} dates")


def search_checks(settings: Settings) -> Iterator[Check]:
    """The sentence encoder and the passage-vector cache (nothing is computed)."""
    from corpus.load import plans_with
    from index.embed import load_encoder, vector_cache_state

    encoder = load_encoder()
    if encoder is None:
        yield Check(False, "sentence encoder: cannot run here (the log says why); answers go by words only",
                    "reinstall (./dev plan-bot --help) on a processor with AVX2 and FMA")
        return
    yield Check(True, f"sentence encoder: {encoder.name}")
    texts = [p.text for plan in plans_with(settings.plans_dir) for it in plan.all_items() for p in it.passages]
    state = vector_cache_state(encoder, texts)
    yield Check(True, {"cached": f"passage vectors: cached ({len(texts)} passages)",
                       "missing": f"passage vectors: not cached yet (the first question computes {len(texts)}, a few s)",
                       "damaged": "passage vectors: the cached file is damaged (it is recomputed at the next start)"}[state])


def token_check(settings: Settings, get: Callable[[str], httpx.Response] | None = None) -> Check:
    """getMe with the token: Telegram knows the bot (the token never appears in the result)."""
    base = settings.api_base_url or "https://api.telegram.org/bot"
    fetch = get or (lambda url: httpx.get(url, timeout=10))
    try:
        reply = fetch(f"{base}{settings.token}/getMe")
        body = reply.json()
    except (httpx.HTTPError, ValueError) as exc:
        return Check(False, f"Telegram: not reachable ({type(exc).__name__})",
                     "check the network, or TELEGRAM_API_BASE_URL for a self-hosted Bot API server")
    if reply.status_code == 401 or not body.get("ok"):
        return Check(False, "Telegram: the token was rejected", "copy the token again from @BotFather into .env")
    return Check(True, f"Telegram: the token belongs to @{body['result'].get('username', '?')}")
