"""Settings come from the environment (and .env), with defaults, clear errors, and no token in repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_DB, ConfigError, Settings

TOKEN = "123456:ABCdefGhIJKlmNoPQRstuVWxyz0123456789"


def test_defaults_when_nothing_is_set():
    s = Settings.from_env({})
    assert s.token is None and s.api_base_url is None
    assert s.db_path == DEFAULT_DB == Path("data/plan-bot.sqlite3")
    assert s.tz == "Asia/Shanghai" and str(s.tzinfo) == "Asia/Shanghai"
    assert s.admin_ids == frozenset() and s.log_level == "INFO"


def test_every_variable_is_read():
    s = Settings.from_env({
        "TELEGRAM_BOT_TOKEN": f" {TOKEN} ", "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
        "PLAN_BOT_DB": "/tmp/x.sqlite3", "PLAN_BOT_TZ": "Europe/Berlin", "PLAN_BOT_ADMIN_IDS": "1, 22 ,333",
        "PLAN_BOT_LOG_LEVEL": "debug",
    })
    assert s.token == TOKEN and s.api_base_url == "http://127.0.0.1:8081/bot"
    assert s.db_path == Path("/tmp/x.sqlite3") and s.tz == "Europe/Berlin"
    assert s.admin_ids == {1, 22, 333} and s.log_level == "DEBUG"


def test_the_token_never_shows_in_repr():
    assert TOKEN not in repr(Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}))


@pytest.mark.parametrize(("name", "value"), [
    ("PLAN_BOT_TZ", "Mars/Olympus"), ("PLAN_BOT_ADMIN_IDS", "12,abc"), ("PLAN_BOT_LOG_LEVEL", "LOUD"),
])
def test_a_bad_value_is_an_error_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_a_dotenv_file_is_read_but_the_environment_wins(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=from-dotenv\nPLAN_BOT_TZ=Europe/Paris\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")  # so that teardown restores the real state after
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")  # load_dotenv writes the file's value into os.environ
    monkeypatch.setenv("PLAN_BOT_TZ", "Asia/Tokyo")
    s = Settings.from_env()
    assert s.token == "from-dotenv" and s.tz == "Asia/Tokyo"


def test_env_example_lists_every_variable_with_a_comment():
    text = (Path(__file__).resolve().parent.parent / ".env.example").read_text(encoding="utf-8")
    lines = text.splitlines()
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "PLAN_BOT_DB", "PLAN_BOT_TZ",
                 "PLAN_BOT_ADMIN_IDS", "PLAN_BOT_LOG_LEVEL", "PLAN_BOT_REMINDER_RATE"):
        i = next(i for i, ln in enumerate(lines) if ln.startswith(f"{name}="))
        assert lines[i - 1].startswith("#"), name


def test_the_reminder_rate_defaults_to_25_per_second_and_must_be_positive():
    assert Settings.from_env({}).reminder_rate == 25.0
    assert Settings.from_env({"PLAN_BOT_REMINDER_RATE": "10"}).reminder_rate == 10.0
    for bad in ("0", "-5", "fast", "5000"):
        with pytest.raises(ConfigError, match="PLAN_BOT_REMINDER_RATE"):
            Settings.from_env({"PLAN_BOT_REMINDER_RATE": bad})
