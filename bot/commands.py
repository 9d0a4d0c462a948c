"""The bot's commands, one table: Telegram handlers, /help, the command menu and the console all read it."""

from __future__ import annotations

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
    Command("subscribe", "N", "订阅第 N 条的时间节点提醒（即将上线）"),
)

COMMAND_NAMES: frozenset[str] = frozenset(c.name for c in COMMANDS)


def command(name: str) -> Command:
    """The command with this name; KeyError if there is none."""
    for c in COMMANDS:
        if c.name == name:
            return c
    raise KeyError(name)
