"""The bot token never reaches a log line: not in messages, arguments, exceptions or stack text."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import REDACTED, RedactToken, configure_logging, redact

TOKEN = "123456789:AAHsecretSECRETsecret_0123456789abcd"


@pytest.fixture(autouse=True)
def restore_root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    configure_logging("DEBUG", TOKEN, stream)
    return stream


def test_redact_replaces_the_token_and_its_secret_half():
    assert redact(f"https://api.telegram.org/bot{TOKEN}/getMe", TOKEN) == f"https://api.telegram.org/bot{REDACTED}/getMe"
    assert redact("key AAHsecretSECRETsecret_0123456789abcd leaked", TOKEN) == f"key {REDACTED} leaked"
    assert redact("nothing here", None) == "nothing here"


def test_token_in_message_arguments_and_exceptions_is_redacted(log_stream):
    log = logging.getLogger("telegram.Bot")
    log.debug("Set Bot API URL: %s", f"http://127.0.0.1:8081/bot{TOKEN}")
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        log.exception("start-up failed")
    out = log_stream.getvalue()
    assert TOKEN not in out and "AAHsecret" not in out
    assert out.count(REDACTED) == 2 and "rejected by the server" in out


def test_httpx_request_lines_are_not_logged_at_info(log_stream):
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    logging.getLogger("httpx").info("HTTP Request: POST http://x/bot%s/getUpdates", TOKEN)
    assert log_stream.getvalue() == ""


def test_configuring_twice_keeps_one_handler():
    first = configure_logging("INFO", TOKEN, io.StringIO())
    second = configure_logging("INFO", TOKEN, io.StringIO())
    ours = [h for h in logging.getLogger().handlers if any(isinstance(f, RedactToken) for f in h.filters)]
    assert ours == [second] and first is not second
