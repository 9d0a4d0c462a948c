"""One source of truth for the commands: the COMMANDS table drives the handlers, /help, the command
menu, the console, and the README's "Bot commands" section must list the same commands."""

from __future__ import annotations

import re
from pathlib import Path

from telegram.ext import CommandHandler

from bot.commands import COMMAND_NAMES, COMMANDS, command
from bot.logic import Logic
from bot.render import HTML, help_text

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_commands() -> list[str]:
    """Command names listed as "- `/name …` — …" in the README's "## Bot commands" section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Bot commands\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- `/([a-z_]+)[^`]*` — ", section, flags=re.MULTILINE)


def help_commands(text: str) -> list[str]:
    """Command names at the start of /help lines."""
    return re.findall(r"^/([a-z_]+)\b.* — ", text, flags=re.MULTILINE)


async def test_registered_handlers_help_menu_and_readme_list_the_same_commands(bot, fake):
    await bot.app.post_init(bot.app)
    handled = [name for group in bot.app.handlers.values() for h in group if isinstance(h, CommandHandler)
               for name in sorted(h.commands)]
    menu = [c["command"] for c in fake.commands]
    shown = help_commands((await bot.say(1, "/help"))[0].text)
    names = [c.name for c in COMMANDS]
    assert handled == menu == shown == readme_commands() == names


def test_the_logic_answers_every_command_in_the_table(index, store, clock):
    logic = Logic(index, store, clock)
    assert set(logic._commands) == COMMAND_NAMES


def test_command_names_are_valid_telegram_commands_with_chinese_descriptions():
    for c in COMMANDS:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", c.name)
        assert 3 <= len(c.description) <= 256 and re.search(r"[\u4e00-\u9fff]", c.description)


def test_help_shows_each_command_with_its_argument_and_description():
    text = help_text(COMMANDS, HTML, "PlanTestBot")
    assert "/item N — 查看第 N 条全文" in text
    assert "@PlanTestBot" in text
    assert command("section").usage == "/section 三"
