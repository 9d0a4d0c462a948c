"""What a reply is, with no Telegram in sight: messages, buttons (ids only in their data), a file.

Shared by the question logic (bot/logic.py), the reminder commands (bot/reminder_logic.py), the
Telegram handlers and the console.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

CALLBACK_LIMIT = 64  # bytes of callback_data Telegram accepts
MAX_ID = 2**63 - 1  # the largest integer SQLite stores: button ids beyond it are not ours

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Button:
    """An inline keyboard button: its label and its callback data (ids only, ≤ 64 bytes)."""

    label: str
    data: str

    def __post_init__(self) -> None:
        if len(self.data.encode()) > CALLBACK_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {self.data!r}")


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Document:
    """A file to send (sendDocument): its name, its bytes and a caption (rendered)."""

    filename: str
    data: bytes
    caption: str = ""


@dataclass(frozen=True)
class Reply:
    """What to show: messages (each ≤ 4096 characters, rendered), buttons under the last one,
    and for button presses a short notice and whether to edit the pressed message instead;
    optionally a file sent after the messages."""

    messages: tuple[str, ...] = ()
    buttons: Keyboard = ()
    notice: str = ""
    alert: bool = False
    edit: bool = False
    document: Document | None = None


@dataclass(frozen=True)
class Origin:
    """Where a message came from: chat and user ids (hashed before the question log stores them)."""

    chat_id: int
    user_id: int


# ---- button data ------------------------------------------------------------------------------
ITEM, NAV, SUB, PAGE, VOTE, SECTION = "item", "nav", "sub", "page", "vote", "sect"
UNSUB, CANCEL = "unsub", "rmdel"
_ACTIONS = {ITEM: 2, NAV: 2, SUB: 2, PAGE: 2, VOTE: 2, SECTION: 2, UNSUB: 3, CANCEL: 1}


def button_data(action: str, *ids: int) -> str:
    """`page:12:1` — an action and integer ids."""
    return ":".join([action, *map(str, ids)])


def parse_button_data(data: str) -> tuple[str, tuple[int, ...]]:
    """`page:12:1` → ("page", (12, 1)); ValueError for anything this bot did not make, including ids
    that are not plain ASCII decimals (`²`, `+1`, `1_0`) or lie outside SQLite's 64-bit integers."""
    action, *raw = (data or "").split(":")
    if _ACTIONS.get(action) != len(raw):
        raise ValueError(f"unknown button data {data!r}")
    return action, tuple(_id(x, data) for x in raw)


def _id(raw: str, data: str) -> int:
    """One id of button data: an optional minus (votes are -1) and at most 19 ASCII digits ≤ 2**63-1."""
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdecimal()) or len(digits) > len(str(MAX_ID)) or int(digits) > MAX_ID:
        raise ValueError(f"bad id {raw[:24]!r} in button data {data[:64]!r}")
    return int(raw)
