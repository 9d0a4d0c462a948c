"""The bot's commands, one table: Telegram handlers, /help, the command menu and the console all read it."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """A slash command: its name, how its argument is written, and what it does (Chinese)."""

    name: str
    arg: str  # "" when the command takes no argument
    description: str

    @property
    def usage(self) -> str:
        """`/item N`."""
        return f"/{self.name} {self.arg}".rstrip()


COMMANDS: tuple[Command, ...] = (
    Command("start", "", "开始使用：介绍这份工作要点和提问方法"),
    Command("help", "", "查看全部命令和用法"),
    Command("item", "N", "查看第 N 条全文，例如 /item 15、/item 十五"),
    Command("sections", "", "查看目录：各部分及其条目范围"),
    Command("section", "三", "查看某一部分的条目，例如 /section 三"),
    Command("subscribe", "N", "订阅时间节点提醒：/subscribe 15、/subscribe 三（一个部分）或 /subscribe all"),
    Command("unsubscribe", "N", "取消订阅：/unsubscribe 15、/unsubscribe 三 或 /unsubscribe all（全部）"),
    Command("subscriptions", "", "查看我的订阅，以及每项的下一个时间节点"),
    Command("deadlines", "[N]", "查看时间节点：还没到的在前，已过的标明已过；/deadlines 15 看某一条"),
    Command("remind", "N 日期", "在自己定的日子提醒某一条，例如 /remind 15 12月1日 9:30 备注"),
    Command("reminders", "", "查看和取消我的个人提醒"),
    Command("lead", "天数", "设置提前几天提醒（默认 7 天和 1 天，09:00），例如 /lead 3 1 或 /lead 7 1 08:30"),
    Command("calendar", "[N]", "导出日历文件（.ics）：我订阅的时间节点，或第 N 条的"),
)

COMMAND_NAMES: frozenset[str] = frozenset(c.name for c in COMMANDS)

# For PLAN_BOT_ADMIN_IDS only: in their command menu, not in /help or anyone else's menu.
ADMIN_COMMANDS: tuple[Command, ...] = (
    Command("stats", "[天数]", "运行情况：提问、回答、投票、订阅和提醒，附每日图表"),
    Command("teach", "N 问题", "教机器人：第 N 条回答这个问题（类似的问题也会先给出这一条）"),
    Command("taught", "", "查看和删除教过的问题"),
    Command("reload", "", "重新读取计划文件（含 PLAN_BOT_PLANS_DIR），在后台重建索引后切换"),
)


def command(name: str) -> Command:
    """The command with this name; KeyError if there is none."""
    for c in COMMANDS:
        if c.name == name:
            return c
    raise KeyError(name)


# What Telegram marks as a bot_command: `/name` or `/name@bot` in ASCII letters, digits and _ (`/学前教育` is
# text), ended by any whitespace, the ideographic space too.
COMMAND_RE = re.compile(r"/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?")


def addressee(text: str) -> str | None:
    """The bot a command is addressed to: `/item@PlanBot 15` → `PlanBot`, `/item 15` → "" (this bot), and
    None if `text` does not start with a command."""
    head = text.split(maxsplit=1)[0] if text.strip() else ""
    m = COMMAND_RE.fullmatch(head)
    return None if m is None else m.group(2) or ""


def command_for_me(text: str, bot_username: str) -> bool:
    """True if `text` starts with a command for this bot: `/item 15`, or `/item@<bot_username> 15` in any
    case (Telegram usernames are case-insensitive). `/item@OtherBot 15` is another bot's; text that is
    not a command is no command for anyone."""
    to = addressee(text)
    return to is not None and (not to or to.lower() == bot_username.removeprefix("@").lower())
