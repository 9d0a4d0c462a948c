"""The bot's buttons and files as Telegram objects."""

from __future__ import annotations

import io

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile

from bot.logic import Keyboard
from bot.replies import Document


def keyboard(rows: Keyboard) -> InlineKeyboardMarkup | None:
    """Logic buttons → a Telegram inline keyboard (None when there are none)."""
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows])


def input_file(document: Document) -> InputFile:
    """A reply's file as an upload."""
    return InputFile(io.BytesIO(document.data), filename=document.filename)
