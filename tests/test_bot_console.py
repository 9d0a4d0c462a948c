"""`plan-bot chat`, the offline console, and `plan-bot run` without a token."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest
from conftest import plan_bot_command

import bot.cli as cli
from bot.console import run_console
from bot.logic import Logic
from bot.render import TEXT


class Tty(io.StringIO):
    """Standard input that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def console(index, store, clock):
    """`console(lines…)` → everything the console printed for those lines."""

    def _run(*lines: str) -> str:
        out = io.StringIO()
        assert run_console(Logic(index, store, clock, TEXT), io.StringIO("\n".join(lines) + "\n"), out) == 0
        return out.getvalue()

    return _run


def test_the_console_greets_then_answers_a_question_in_plain_text_with_numbered_buttons(console):
    out = console("学前教育有什么新政策？")
    assert out.index("你好！我可以回答关于【《内蒙古自治区党委高校工委、内蒙古自治区教育厅2021年工作要点》】") \
        < out.index("📌 【三、建设高质量教育体系 › 11. 推动学前教育普惠发展】")
    assert "[1] 全文 11" in out and "更多结果 ›" in out and "<b>" not in out


def button_number(out: str, label: str) -> str:
    """The number the console printed for the last button with this label."""
    return re.findall(rf"\[(\d+)\] {re.escape(label)}(?:  |\n)", out)[-1]


def test_typing_a_button_number_presses_it(console):
    first = console("学前教育有什么新政策？")
    out = console("学前教育有什么新政策？", button_number(first, "更多结果 ›"))
    assert "第 2 页" in out and "‹ 上一页" in out.split("第 2 页")[1]


def test_commands_work_as_in_telegram(console):
    out = console("/item 十五", "/sections", "/subscribe 15", "/nonsense")
    assert "📖 【三、建设高质量教育体系 › 15. 推动高等教育提质创新发展】" in out
    assert "三、建设高质量教育体系（第 11–18 条，/section 三）" in out
    assert "🔔 已订阅：【三、建设高质量教育体系 › 15. 推动高等教育提质创新发展】" in out
    assert "没有 /nonsense 这个命令" in out


ITEM_15 = "📖 【三、建设高质量教育体系 › 15. 推动高等教育提质创新发展】"


def test_a_command_may_be_followed_by_any_whitespace_as_in_telegram(console):
    for line in ("/item\u300015", "/item\t15", "/item  十五", "/item@PlanBot\u300015", "/item@planbot 15"):
        assert ITEM_15 in console(line), line


@pytest.mark.parametrize("line", ["/学前教育", "/学前教育 有什么新政策"])
def test_a_slash_before_chinese_text_is_a_question_as_in_telegram(console, line):
    out = console(line)
    assert "这个命令" not in out and "📌 【三、建设高质量教育体系 › 11. 推动学前教育普惠发展】" in out


def test_a_number_presses_a_button_only_while_buttons_are_shown_otherwise_it_opens_the_item(console):
    assert ITEM_15 in console("15")  # the greeting shows seven section buttons: 15 is not one of them
    assert "没有编号" not in console("15")
    out = console("/help", "15")  # /help shows no buttons
    assert ITEM_15 in out.split("/help")[-1]


def test_a_superscript_or_very_long_number_is_not_taken_for_a_button(console):
    out = console("学前教育有什么新政策？", "²", "9" * 5000)
    assert "没有编号" not in out and "Traceback" not in out


def test_reminder_commands_work_offline_and_a_calendar_is_described(console):
    out = console("/subscribe 15", "/subscriptions", "/remind 15 12月1日 交材料", "/reminders", "/calendar 15")
    assert "【你的订阅】" in out and "· 第15条 推动高等教育提质创新发展" in out
    assert "⏰ 好的：2021-12-01（周三）09:00 提醒你看 【15. 推动高等教育提质创新发展】" in out
    assert "1. 2021-12-01（周三）09:00 · 15. 推动高等教育提质创新发展 · 备注：交材料" in out
    assert "（文件：plan-bot-nmg-edu-2021-15.ics，" in out


def test_feedback_shows_a_notice_and_keeps_the_buttons(console):
    first = console("学前教育有什么新政策？")
    out = console("学前教育有什么新政策？", button_number(first, "👍"), "1")  # 👍, then 全文 of the first item
    assert "（谢谢！已记录：有帮助 👍）" in out and "📖 【三、建设高质量教育体系 › 11." in out


def test_quit_ends_the_session(console):
    out = console("/quit", "学前教育")
    assert "📌" not in out


@pytest.fixture
def cli_index(index, monkeypatch):
    monkeypatch.setattr(cli, "_index", lambda: index)


def test_plan_bot_chat_runs_the_console_on_stdin(cli_index, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("/item 15\n"))
    assert cli.main(["chat"]) == 0
    assert "15. 推动高等教育提质创新发展" in capsys.readouterr().out


def test_run_without_a_token_explains_and_opens_the_console_on_a_terminal(cli_index, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setattr(sys, "stdin", Tty("/help\n"))
    assert cli.main(["run"]) == 0
    captured = capsys.readouterr()
    assert "TELEGRAM_BOT_TOKEN" in captured.err and "@BotFather" in captured.err
    assert "/item N — 查看第 N 条全文" in captured.out


def test_run_without_a_token_and_no_terminal_exits_2_with_instructions(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    done = subprocess.run([*plan_bot_command(), "run"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    for needle in ("TELEGRAM_BOT_TOKEN", "@BotFather", ".env", "plan-bot chat"):
        assert needle in done.stderr
    assert done.stdout == ""


def test_importing_the_cli_and_renderers_loads_neither_telegram_nor_sqlite_utils():
    code = "import sys, bot.cli, bot.render; print([m for m in ('telegram', 'sqlite_utils') if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_run_and_chat_have_help():
    parser = cli.build_parser()
    for command in ("run", "chat"):
        with pytest.raises(SystemExit) as exc:
            parser.parse_args([command, "--help"])
        assert exc.value.code == 0
