"""`plan-bot chat`: the bot in a terminal, offline — the same `Logic` as Telegram, in plain text.

Type a question or a command (/item 15, /sections, /help …); buttons are numbered, type the number
to press one. /quit or Ctrl-D ends the session. In the console the bot is @PlanBot: `/item@PlanBot 15`
is its command, `/item@OtherBot 15` another bot's, answered with a note and not run.
"""

from __future__ import annotations

from typing import TextIO

from bot import render
from bot.commands import COMMAND_RE, command_for_me
from bot.logic import Keyboard, Logic, Origin, Reply

CONSOLE = Origin(chat_id=0, user_id=0)
QUIT = {"/quit", "/exit", "退出"}
CONSOLE_USERNAME = "PlanBot"  # the bot's name in the console, which has no Telegram account
BANNER = "离线控制台：和 Telegram 里的机器人回答相同。输入问题或命令（/help）；按钮前有编号，输入编号即按下；/quit 退出。"


def show(reply: Reply, out: TextIO) -> Keyboard:
    """Print a reply (notice, messages, numbered buttons); return the buttons now on screen."""
    if reply.notice:
        out.write(f"（{reply.notice}）\n")
    for text in reply.messages:
        out.write(text + "\n")
    if reply.document is not None:
        doc = reply.document
        out.write(f"{doc.caption}\n（文件：{doc.filename}，{len(doc.data)} 字节；在 Telegram 里会作为文件发送）\n")
    number = 0
    for row in reply.buttons:
        labels = []
        for button in row:
            number += 1
            labels.append(f"[{number}] {button.label}")
        out.write("  ".join(labels) + "\n")
    out.write("\n")
    out.flush()
    return reply.buttons


def respond(logic: Logic, line: str, buttons: Keyboard, bot_username: str = CONSOLE_USERNAME) -> Reply:
    """One line typed → the bot's reply: the number of a button shown, a command, or a question (a
    number outside the buttons' range too: `15` opens item 15). As in Telegram, only `/name` or
    `/name@bot` in ASCII letters, digits and _ is a command (`/学前教育` is a question),
    and any whitespace, the ideographic space too, ends it; `/name@OtherBot` is another bot's command
    (`bot_username` is this bot's name): it is not run, a note says so."""
    flat = [b for row in buttons for b in row]
    if line.isdecimal() and flat:
        n = int(line) if len(line) <= 4 else 0
        if 1 <= n <= len(flat):
            return logic.press(CONSOLE, flat[n - 1].data)
        # any other number is a question (15 opens item 15), as it would be with no buttons shown
    head, *rest = line.split(maxsplit=1) or [""]
    command = COMMAND_RE.fullmatch(head)
    if command and not command_for_me(line, bot_username):
        return Reply((render.other_bot_text(line, bot_username, render.TEXT),))
    if command:
        return logic.command(command.group(1), rest[0] if rest else "", CONSOLE)
    return logic.ask(CONSOLE, line)


def run_console(logic: Logic, stdin: TextIO, stdout: TextIO, *, interactive: bool = False,
                bot_username: str = CONSOLE_USERNAME) -> int:
    """Answer lines from `stdin` until EOF or /quit; prompts only when `interactive`; `bot_username` is
    the name commands may be addressed to (`/item@PlanBot 15`)."""
    stdout.write(BANNER + "\n\n")
    buttons = show(logic.command("start", "", CONSOLE), stdout)
    while True:
        if interactive:
            stdout.write("你> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            return 0
        line = line.strip()
        if not line:
            continue
        if line in QUIT:
            return 0
        reply = respond(logic, line, buttons, bot_username)
        shown = show(reply, stdout)
        if reply.messages:
            buttons = shown
