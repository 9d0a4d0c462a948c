"""The bot's SQLite database (sqlite-utils): the question log, 👍/👎 feedback, and (through
`Store.reminders`, see bot/reminder_store.py) chats, subscriptions, personal reminders and deliveries.

- WAL mode for file databases; schema changes are named migration functions, applied once each and
  recorded in the `migrations` table.
- In the question log and feedback, chat and user ids are never stored: only an HMAC with a random
  salt created by a migration. The reminder tables hold the real id of chats that use reminders,
  because reminders are sent to it.
- One connection per `Store`, used by the thread that opened it (sqlite3's check_same_thread stays on).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import sqlite_utils

from . import reminder_store
from .reminder_store import ReminderStore

MEMORY = ":memory:"
HASH_CHARS = 24


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
    db["questions"].create(
        {"id": int, "asked_at": str, "chat": str, "question": str, "items": str, "answered": int, "plan": str},
        pk="id", not_null={"asked_at", "chat", "question", "items", "answered"},
    )
    db["questions"].create_index(["asked_at"])


def m002_feedback(db: sqlite_utils.Database) -> None:
    """👍/👎 against a logged question, one vote per person per question."""
    db["feedback"].create(
        {"question_id": int, "voter": str, "vote": int, "at": str},
        pk=("question_id", "voter"), foreign_keys=[("question_id", "questions", "id")],
        not_null={"vote", "at"},
    )


def m003_salt(db: sqlite_utils.Database) -> None:
    """A random salt for hashing chat and user ids, kept with the data it protects."""
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["meta"].insert({"key": "id_salt", "value": secrets.token_hex(32)})


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    m001_questions, m002_feedback, m003_salt, *reminder_store.MIGRATIONS,
)


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; return their names."""
    if "migrations" not in db.table_names():
        db["migrations"].create({"name": str, "applied_at": str}, pk="name")
    done = {row["name"] for row in db["migrations"].rows}
    applied = []
    for step in MIGRATIONS:
        if step.__name__ in done:
            continue
        with db.atomic():
            step(db)
            db["migrations"].insert({"name": step.__name__, "applied_at": _iso(datetime.now(timezone.utc))})
        applied.append(step.__name__)
    return applied


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


class Store:
    """The question log and feedback; open with `Store.open(path)` (`:memory:` for tests and the console)."""

    def __init__(self, db: sqlite_utils.Database, *, read_only: bool = False) -> None:
        self.db = db
        if read_only:
            done = {r["name"] for r in db["migrations"].rows} if "migrations" in db.table_names() else set()
            missing = [m.__name__ for m in MIGRATIONS if m.__name__ not in done]
            if missing:
                db.close()
                raise StoreError(f"the database lacks {', '.join(missing)}: start the bot once to upgrade it")
        else:
            migrate(db)
        self._salt = bytes.fromhex(db["meta"].get("id_salt")["value"])
        self.reminders = ReminderStore(db)

    @classmethod
    def open(cls, path: Path | str = MEMORY) -> "Store":
        """Open (creating folders and schema as needed) the database at `path`."""
        if str(path) == MEMORY:
            return cls(sqlite_utils.Database(memory=True))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(path)
        db.enable_wal()
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        return cls(db)

    @classmethod
    def open_readonly(cls, path: Path | str) -> "Store":
        """Open an existing file database without writing to it (dry runs); StoreError if it is missing
        or older than this code (start the bot once to upgrade it)."""
        import sqlite3

        path = Path(path)
        if not path.exists():
            raise StoreError(f"no database at {path} (PLAN_BOT_DB)")
        db = sqlite_utils.Database(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))
        return cls(db, read_only=True)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def hash_id(self, telegram_id: int) -> str:
        """A chat or user id as stored: salted HMAC-SHA256, shortened."""
        return hmac.new(self._salt, str(telegram_id).encode(), hashlib.sha256).hexdigest()[:HASH_CHARS]

    def migrations(self) -> list[str]:
        """Names of the applied migrations, in order."""
        return [r["name"] for r in self.db.query("select name from migrations order by rowid")]

    # ---- questions --------------------------------------------------------------------------
    def log_question(self, chat_id: int, question: str, items: Iterable[int], answered: bool,
                     plan: str, at: datetime) -> LoggedQuestion:
        """Record a question and what was returned; the logged row."""
        row = {"asked_at": _iso(at), "chat": self.hash_id(chat_id), "question": question,
               "items": json.dumps(list(items)), "answered": int(answered), "plan": plan}
        with self.db.atomic():
            qid = self.db["questions"].insert(row).last_pk
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

    # ---- feedback ---------------------------------------------------------------------------
    def record_feedback(self, question_id: int, user_id: int, vote: int, at: datetime) -> Feedback:
        """Record (or change) one person's 👍 (+1) / 👎 (-1) on a logged question."""
        if vote not in (1, -1):
            raise ValueError(f"vote must be +1 or -1, not {vote}")
        self.question(question_id)
        row = {"question_id": question_id, "voter": self.hash_id(user_id), "vote": vote, "at": _iso(at)}
        with self.db.atomic():
            self.db["feedback"].upsert(row, pk=("question_id", "voter"))
        return _feedback(row)

    def feedback(self, question_id: int) -> list[Feedback]:
        """All votes on a logged question."""
        rows = self.db.query("select * from feedback where question_id = ? order by at", [question_id])
        return [_feedback(r) for r in rows]


def _question(row: dict) -> LoggedQuestion:
    return LoggedQuestion(
        id=int(row["id"]), asked_at=datetime.fromisoformat(row["asked_at"]), chat=row["chat"],
        question=row["question"], items=tuple(json.loads(row["items"])), answered=bool(row["answered"]),
        plan=row["plan"] or "",
    )


def _feedback(row: dict) -> Feedback:
    return Feedback(int(row["question_id"]), row["voter"], int(row["vote"]), datetime.fromisoformat(row["at"]))
