"""The bot's SQLite database (sqlite-utils): the question log, 👍/👎 feedback, and (through
`Store.reminders`, see bot/reminder_store.py) chats, subscriptions, personal reminders and deliveries.

- WAL mode for file databases; schema changes are named migration functions, applied once each by
  sqlite-utils' `Migrations` (recorded in `_sqlite_migrations`; a database made by the hand-written
  runner before it keeps its history, moved over from its `migrations` table).
- In the question log and feedback, chat and user ids are never stored: only an HMAC keyed by
  `PLAN_BOT_SECRET`, or else by a random key kept in a file of its own beside the database (mode 0600,
  `<database>.key`), never in the database: the reminder tables hold the real id of chats that use
  reminders (reminders are sent to it), and a key stored next to them would link the hashes back.
- The database is created 0600 (SQLite gives its -wal and -shm files the same mode). Opening a file
  database checks it (`quick_check` and a test write) and turns any failure into one StoreError that
  names PLAN_BOT_DB and what is wrong.
- One connection per `Store`, used by the thread that opened it (sqlite3's check_same_thread stays on).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.reminders import store as reminder_store
from bot.reminders.store import ReminderStore

MEMORY = ":memory:"
HASH_CHARS = 24
LEGACY_SALT = "id_salt"  # where databases made before the key file kept the key (moved out at open)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoggedQuestion:
    """One question as logged: when, which chat (hashed), the text, the items returned, answered or not."""

    id: int
    asked_at: datetime
    chat: str
    question: str
    items: tuple[int, ...]
    answered: bool
    plan: str


@dataclass(frozen=True)
class Feedback:
    """A 👍 (+1) or 👎 (-1) from one person (hashed) on one logged question."""

    question_id: int
    voter: str
    vote: int
    at: datetime


class StoreError(RuntimeError):
    """The database cannot be used as asked (missing, or from an older version for a read-only open)."""


class UnknownQuestion(LookupError):
    """Feedback or paging for a question id the log does not hold."""


# ---- migrations: append only; never edit one that has shipped --------------------------------
def m001_questions(db: sqlite_utils.Database) -> None:
    """The question log."""
    db.table("questions").create(
        {"id": int, "asked_at": str, "chat": str, "question": str, "items": str, "answered": int, "plan": str},
        pk="id", not_null={"asked_at", "chat", "question", "items", "answered"},
    )
    db.table("questions").create_index(["asked_at"])


def m002_feedback(db: sqlite_utils.Database) -> None:
    """👍/👎 against a logged question, one vote per person per question."""
    db.table("feedback").create(
        {"question_id": int, "voter": str, "vote": int, "at": str},
        pk=("question_id", "voter"), foreign_keys=[("question_id", "questions", "id")],
        not_null={"vote", "at"},
    )


def m003_salt(db: sqlite_utils.Database) -> None:
    """The meta table. (It once also held the id-hashing salt; `Store.open` now moves any such salt
    to the key file and deletes it.)"""
    db.table("meta").create({"key": str, "value": str}, pk="key")


def m008_question_days(db: sqlite_utils.Database) -> None:
    """Questions asked and answered per day, kept when the questions themselves are pruned."""
    db.table("question_days").create({"day": str, "asked": int, "answered": int}, pk="day")


def m009_inbox(db: sqlite_utils.Database) -> None:
    """Updates fetched from Telegram, stored before Telegram is told they were received: `new`,
    `working` while handled, `done` (its body erased) once handled."""
    db.table("inbox").create({"update_id": int, "received_at": str, "state": str, "body": str}, pk="update_id",
                       not_null={"received_at", "state"})


def m010_taught(db: sqlite_utils.Database) -> None:
    """Questions an operator taught the search: this item answers this question."""
    db.table("taught").create({"id": int, "plan": str, "item": int, "question": str, "created_at": str}, pk="id",
                              not_null={"plan", "item", "question", "created_at"})


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    m001_questions, m002_feedback, m003_salt, *reminder_store.MIGRATIONS, m008_question_days, m009_inbox,
    m010_taught,
)


MIGRATION_SET = "plan-bot"
LEGACY_MIGRATIONS = "migrations"  # the table of the hand-written runner this replaced


def migration_set() -> Migrations:
    """sqlite-utils' migration set of every step above, in order (recorded in _sqlite_migrations)."""
    steps = Migrations(MIGRATION_SET)
    for step in MIGRATIONS:
        steps(name=step.__name__)(step)
    return steps


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; return their names. A database
    made before sqlite-utils' runner keeps its history: the old table's names are recorded first."""
    steps = migration_set()
    _adopt_legacy(db, steps)
    pending = [m.name for m in steps.pending(db)]
    steps.apply(db)
    return pending


def applied_migrations(db: sqlite_utils.Database) -> list[str]:
    """Names of the applied migrations, in the order they were applied (reads only)."""
    return [m.name for m in migration_set().applied(db)]


def _adopt_legacy(db: sqlite_utils.Database, steps: Migrations) -> None:
    """Record the migrations the hand-written runner applied (table `migrations`), then drop its table."""
    if LEGACY_MIGRATIONS not in db.table_names():
        return
    with db.atomic():
        steps.ensure_migrations_table(db)
        known = {m.name for m in steps.applied(db)}
        for row in db.query(f"select name, applied_at from {LEGACY_MIGRATIONS} order by rowid"):
            if row["name"] not in known:
                db.table(Migrations.migrations_table).insert(
                    {"migration_set": MIGRATION_SET, "name": row["name"], "applied_at": row["applied_at"]})
        db.table(LEGACY_MIGRATIONS).drop()


def iso_time(moment: datetime) -> str:
    """A moment as stored: UTC, ISO 8601 with milliseconds (so text order is time order)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


_iso = iso_time


class Store:
    """The question log and feedback; open with `Store.open(path)` (`:memory:` for tests and the console)."""

    def __init__(self, db: sqlite_utils.Database, key: bytes | None = None, *, read_only: bool = False) -> None:
        self.db = db
        if read_only:
            done = set(applied_migrations(db)) | (
                {r["name"] for r in db.query(f"select name from {LEGACY_MIGRATIONS}")}
                if LEGACY_MIGRATIONS in db.table_names() else set())
            missing = [m.__name__ for m in MIGRATIONS if m.__name__ not in done]
            if missing:
                db.close()
                raise StoreError(f"the database lacks {', '.join(missing)}: start the bot once to upgrade it")
        else:
            migrate(db)
        self._key = key
        self.reminders = ReminderStore(db)

    @classmethod
    def open(cls, path: Path | str = MEMORY, secret: str | None = None) -> "Store":
        """Open (creating the file, its folder and schema as needed) and check the database at `path`.

        The id-hashing key is `secret` when given, else the key file beside the database (created once,
        0600). StoreError, naming PLAN_BOT_DB, for a database that cannot be used: a folder, a path
        under a file, not a database, damaged, or not writable."""
        if str(path) == MEMORY:
            key = _secret_key(secret) if secret else secrets.token_bytes(32)
            return cls(sqlite_utils.Database(memory=True), key)
        path = Path(path)
        where = f"PLAN_BOT_DB={path}"
        if path.is_dir():
            raise StoreError(f"{where}: is a folder, not a database file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _create_private(path)
        except OSError as exc:
            raise StoreError(f"{where}: cannot create the file ({exc.strerror or exc})") from None
        db = None
        try:
            db = sqlite_utils.Database(path)
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError(f"{where}: the database is damaged (quick_check: {check})")
            db.enable_wal()
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            store = cls(db, None)
            db.table("meta").upsert({"key": "opened_at", "value": _iso(datetime.now(timezone.utc))}, pk="key")  # a test write
            store._key = _secret_key(secret) if secret else _key_file(path, db)
            _erase_legacy_salt(db)  # moved to the key file, or superseded by PLAN_BOT_SECRET
            return store
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            raise StoreError(f"{where}: {_sqlite_problem(exc)}") from None
        except (StoreError, OSError) as exc:
            if db is not None:
                db.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"{where}: cannot use the key file ({exc.strerror or exc})") from None

    @classmethod
    def open_readonly(cls, path: Path | str) -> "Store":
        """Open an existing file database without writing to it (dry runs); StoreError if it is missing
        or older than this code (start the bot once to upgrade it). It hashes no ids."""
        path = Path(path)
        if not path.exists():
            raise StoreError(f"no database at {path} (PLAN_BOT_DB)")
        try:
            db = sqlite_utils.Database(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))
            return cls(db, None, read_only=True)
        except sqlite3.Error as exc:
            raise StoreError(f"PLAN_BOT_DB={path}: {_sqlite_problem(exc)}") from None

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def hash_id(self, telegram_id: int) -> str:
        """A chat or user id as stored: keyed HMAC-SHA256, shortened."""
        if self._key is None:
            raise StoreError("a read-only store hashes no ids")
        return hmac.new(self._key, str(telegram_id).encode(), hashlib.sha256).hexdigest()[:HASH_CHARS]

    def token(self, purpose: str, text: str) -> str:
        """A keyed MAC of `text` for one purpose (the web page's vote forms carry one)."""
        if self._key is None:
            raise StoreError("a read-only store signs nothing")
        return hmac.new(self._key, f"{purpose}|{text}".encode(), hashlib.sha256).hexdigest()[:32]

    def setting(self, key: str, make: Callable[[], str]) -> str:
        """A value kept in the meta table, made and stored the first time it is asked for."""
        row = list(self.db.query("select value from meta where key = ?", [key]))
        if row:
            return str(row[0]["value"])
        value = make()
        with self.db.conn:
            self.db.conn.execute("insert or ignore into meta (key, value) values (?, ?)", [key, value])
        return str(next(iter(self.db.query("select value from meta where key = ?", [key])))["value"])

    def migrations(self) -> list[str]:
        """Names of the applied migrations, in order."""
        return applied_migrations(self.db)

    # ---- questions --------------------------------------------------------------------------
    def log_question(self, chat_id: int, question: str, items: Iterable[int], answered: bool,
                     plan: str, at: datetime) -> LoggedQuestion:
        """Record a question and what was returned; the logged row."""
        row = {"asked_at": _iso(at), "chat": self.hash_id(chat_id), "question": question,
               "items": json.dumps(list(items)), "answered": int(answered), "plan": plan}
        with self.db.atomic():
            qid = self.db.table("questions").insert(row).last_pk
        return _question(dict(row, id=qid))

    def question(self, question_id: int) -> LoggedQuestion:
        """A logged question by id; UnknownQuestion if there is none."""
        rows = list(self.db.query("select * from questions where id = ?", [question_id]))
        if not rows:
            raise UnknownQuestion(question_id)
        return _question(rows[0])

    def recent_questions(self, limit: int = 20) -> list[LoggedQuestion]:
        """The latest logged questions, newest first."""
        return [_question(r) for r in self.db.query("select * from questions order by id desc limit ?", [limit])]

    def question_count(self) -> int:
        """How many questions are logged."""
        return self.db["questions"].count

    def prune_questions(self, before: datetime) -> int:
        """Delete questions asked before `before` (and their votes), first adding them to the counts
        per day (UTC) in `question_days`; how many were deleted."""
        cut = _iso(before)
        with self.db.atomic():
            self.db.execute(
                "insert into question_days (day, asked, answered) "
                "select substr(asked_at, 1, 10), count(*), sum(answered) from questions where asked_at < ? "
                "group by substr(asked_at, 1, 10) "
                "on conflict(day) do update set asked = asked + excluded.asked, answered = answered + excluded.answered",
                [cut])
            self.db.execute("delete from feedback where question_id in (select id from questions where asked_at < ?)",
                            [cut])
            deleted = self.db.execute("delete from questions where asked_at < ?", [cut]).rowcount
        return int(deleted)

    def questions_per_day(self) -> dict[str, tuple[int, int]]:
        """(asked, answered) per UTC day: the pruned days' counts plus the questions still logged."""
        days: dict[str, tuple[int, int]] = {
            r["day"]: (int(r["asked"]), int(r["answered"])) for r in self.db.query("select * from question_days")}
        for r in self.db.query("select substr(asked_at, 1, 10) as day, count(*) as n, sum(answered) as a "
                               "from questions group by day"):
            asked, answered = days.get(r["day"], (0, 0))
            days[r["day"]] = (asked + int(r["n"]), answered + int(r["a"]))
        return dict(sorted(days.items()))

    # ---- inbox: updates are durable before Telegram is told they arrived ----------------------
    def inbox_add(self, updates: Iterable[dict], at: datetime) -> None:
        """Store fetched updates as `new` (one already stored keeps its state: Telegram re-sends what a
        crash left unconfirmed)."""
        rows = [(int(u["update_id"]), _iso(at), json.dumps(u, ensure_ascii=False)) for u in updates]
        with self.db.conn:
            self.db.conn.executemany(
                "insert or ignore into inbox (update_id, received_at, state, body) values (?, ?, 'new', ?)", rows)

    def inbox_claim(self, update_id: int) -> bool:
        """True if this update should be handled now: `new` (now `working`), or never stored (a test's
        or a webhook's update); False if it is being or has been handled."""
        with self.db.conn:
            claimed = self.db.conn.execute(
                "update inbox set state = 'working' where update_id = ? and state = 'new'", [update_id]).rowcount
            if claimed:
                return True
            return not self.db.conn.execute("select 1 from inbox where update_id = ?", [update_id]).fetchone()

    def inbox_done(self, update_id: int) -> None:
        """The update was handled: keep only its id (so a re-sent copy is not handled again)."""
        with self.db.conn:
            self.db.conn.execute("update inbox set state = 'done', body = null where update_id = ?", [update_id])

    def inbox_pending(self) -> list[dict]:
        """Updates fetched but not handled when the last process stopped (a crash mid-work included),
        oldest first; all `new` again."""
        with self.db.conn:
            self.db.conn.execute("update inbox set state = 'new' where state = 'working'")
        return [json.loads(r["body"]) for r in self.db.query(
            "select body from inbox where state = 'new' order by update_id")]

    def prune_inbox(self, before: datetime) -> int:
        """Forget the ids of updates handled before `before`; how many."""
        with self.db.conn:
            return int(self.db.conn.execute("delete from inbox where state = 'done' and received_at < ?",
                                            [_iso(before)]).rowcount)

    # ---- taught questions ----------------------------------------------------------------------
    def teach(self, plan: str, item: int, question: str, at: datetime) -> int:
        """Record that `item` of `plan` answers `question`; its id (the same question and item once)."""
        with self.db.conn:
            found = self.db.conn.execute("select id from taught where plan = ? and item = ? and question = ?",
                                         [plan, item, question]).fetchone()
            if found:
                return int(found[0])
            cursor = self.db.conn.execute("insert into taught (plan, item, question, created_at) values (?, ?, ?, ?)",
                                          [plan, item, question, iso_time(at)])
            return int(cursor.lastrowid or 0)

    def taught(self) -> list[tuple[int, str, int, str]]:
        """Every taught question: (id, plan, item, question), oldest first."""
        return [(int(r["id"]), r["plan"], int(r["item"]), r["question"])
                for r in self.db.query("select * from taught order by id")]

    def forget(self, taught_id: int) -> bool:
        """Remove a taught question; False if there was none with that id."""
        with self.db.conn:
            return bool(self.db.conn.execute("delete from taught where id = ?", [taught_id]).rowcount)

    # ---- feedback ---------------------------------------------------------------------------
    def record_feedback(self, question_id: int, user_id: int, vote: int, at: datetime) -> Feedback:
        """Record (or change) one person's 👍 (+1) / 👎 (-1) on a logged question."""
        if vote not in (1, -1):
            raise ValueError(f"vote must be +1 or -1, not {vote}")
        self.question(question_id)
        row = {"question_id": question_id, "voter": self.hash_id(user_id), "vote": vote, "at": _iso(at)}
        with self.db.atomic():
            self.db.table("feedback").upsert(row, pk=("question_id", "voter"))
        return _feedback(row)

    def feedback(self, question_id: int) -> list[Feedback]:
        """All votes on a logged question."""
        rows = self.db.query("select * from feedback where question_id = ? order by at", [question_id])
        return [_feedback(r) for r in rows]


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (0600); an existing one is made so too."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            try:
                path.chmod(0o600)
            except PermissionError:
                log.warning("%s is readable by others and cannot be changed to 0600", path)


def _secret_key(secret: str) -> bytes:
    """The hashing key derived from PLAN_BOT_SECRET."""
    return hashlib.sha256(b"plan-bot id hash|" + secret.encode()).digest()


def _key_file(path: Path, db: sqlite_utils.Database) -> bytes:
    """The key kept in `<database>.key` (0600): read it; or move a salt an older database held into it;
    or create one (with a warning: set PLAN_BOT_SECRET to keep it with the other secrets). The file is
    written whole before it appears (a crash or a second process never sees half a key), and a key
    file that is not 64 hex digits is refused rather than trusted."""
    key_path = path.with_name(path.name + ".key")
    if not key_path.exists():
        legacy = db.table("meta").get(LEGACY_SALT)["value"] if _has_legacy_salt(db) else None
        key = bytes.fromhex(legacy) if legacy else secrets.token_bytes(32)
        fd, tmp = tempfile.mkstemp(dir=key_path.parent, prefix=f".{key_path.name}-")  # created 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(key.hex() + "\n")
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, key_path)  # appears complete, and never replaces a key another process made
                if not legacy:
                    log.warning("PLAN_BOT_SECRET is not set: created the id-hashing key %s (keep it with the "
                                "database)", key_path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    if key_path.stat().st_mode & 0o077:
        key_path.chmod(0o600)
    text = key_path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise StoreError(f"PLAN_BOT_DB={path}: the key file {key_path} is damaged (expected 64 hex digits); "
                         "restore it, or set PLAN_BOT_SECRET")
    return key


def _erase_legacy_salt(db: sqlite_utils.Database) -> None:
    """Delete a salt an older database kept beside the real chat ids, overwriting its bytes."""
    if _has_legacy_salt(db):
        db.execute("PRAGMA secure_delete=ON")
        with db.conn:
            db.execute("DELETE FROM meta WHERE key = ?", [LEGACY_SALT])


def _has_legacy_salt(db: sqlite_utils.Database) -> bool:
    return bool(list(db.query("select 1 from meta where key = ?", [LEGACY_SALT])))


def _sqlite_problem(exc: sqlite3.Error) -> str:
    """SQLite's complaint in words that say what to do."""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return "the database is read-only for this user (it must be writable, with its folder)"
    if "not a database" in text or "malformed" in text:
        return f"not a usable SQLite database ({text})"
    if "unable to open" in text:
        return "cannot be opened (check the path and the folder's permissions)"
    return text


def _question(row: dict) -> LoggedQuestion:
    return LoggedQuestion(
        id=int(row["id"]), asked_at=datetime.fromisoformat(row["asked_at"]), chat=row["chat"],
        question=row["question"], items=tuple(json.loads(row["items"])), answered=bool(row["answered"]),
        plan=row["plan"] or "",
    )


def _feedback(row: dict) -> Feedback:
    return Feedback(int(row["question_id"]), row["voter"], int(row["vote"]), datetime.fromisoformat(row["at"]))
