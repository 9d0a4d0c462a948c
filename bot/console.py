"""`plan-bot chat`: the bot in a terminal, offline — the same `Logic` as Telegram, in plain text.

Type a question or a command (/item 15, /sections, /help …); buttons are numbered, type the number
to press one. /quit or Ctrl-D ends the session.
"""

from __future__ import annotations

import re
from typing import TextIO

from .logic import Keyboard, Logic, Origin, Reply

CONSOLE = Origin(chat_id=0, user_id=0)
QUIT = {"/quit", "/exit", "退出"}
_COMMAND = re.compile(r"/([A-Za-z0-9_]+)(?:@[A-Za-z0-9_]+)?")  # what Telegram marks as a bot_command
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


def respond(logic: Logic, line: str, buttons: Keyboard) -> Reply:
    """One line typed → the bot's reply: the number of a button shown, a command, or a question (a
    number outside the buttons' range too: `15` opens item 15). As in Telegram, only `/name` or
    `/name@bot` in ASCII letters, digits and _ is a command (`/学前教育` is a question),
    and any whitespace, the ideographic space too, ends it."""
    flat = [b for row in buttons for b in row]
    if line.isdecimal() and flat:
        n = int(line) if len(line) <= 4 else 0
        if 1 <= n <= len(flat):
            return logic.press(CONSOLE, flat[n - 1].data)
        # any other number is a question (15 opens item 15), as it would be with no buttons shown
    head, *rest = line.split(maxsplit=1) or [""]
    command = _COMMAND.fullmatch(head)
    if command:
        return logic.command(command.group(1), rest[0] if rest else "", CONSOLE)
    return logic.ask(CONSOLE, line)


def run_console(logic: Logic, stdin: TextIO, stdout: TextIO, *, interactive: bool = False) -> int:
    """Answer lines from `stdin` until EOF or /quit; prompts only when `interactive`."""
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
        reply = respond(logic, line, buttons)
        shown = show(reply, stdout)
        if reply.messages:
            buttons = shown
