"""The one place that reads the environment: `Settings.from_env()` → a frozen `Settings`.

A `.env` file in the working directory is loaded first (variables already set win). Every variable
is listed, with a comment, in `.env.example`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TOKEN_VAR = "TELEGRAM_BOT_TOKEN"
DEFAULT_DB = Path("data") / "plan-bot.sqlite3"
DEFAULT_TZ = "Asia/Shanghai"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_REMINDER_RATE = 25.0
MAX_REMINDER_RATE = 1000.0  # paid broadcasts allow up to 1000 messages/s
DEFAULT_LOG_DAYS = 180
DEFAULT_CHAT_RATE = 20
DEFAULT_LISTEN = "127.0.0.1:8080"
DEFAULT_WEB_RATE = 30


class ConfigError(ValueError):
    """A variable is set to something unusable; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment; the token is kept out of repr()."""

    token: str | None = field(default=None, repr=False)
    api_base_url: str | None = None  # PTB base_url form: http://127.0.0.1:8081/bot
    db_path: Path = DEFAULT_DB
    tz: str = DEFAULT_TZ
    admin_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    reminder_rate: float | None = DEFAULT_REMINDER_RATE  # reminder messages per second; None: unpaced (benchmarks)
    secret: str | None = field(default=None, repr=False)  # keys the chat-id hashes (else a key file)
    log_days: int = DEFAULT_LOG_DAYS  # days the question log keeps each question
    chat_rate: int = DEFAULT_CHAT_RATE  # updates one chat may send per minute (0: no limit)
    listen: str = DEFAULT_LISTEN  # host:port of `plan-bot serve`
    webhook_url: str | None = None  # public base URL: Telegram posts updates to it + "/telegram"
    webhook_secret: str | None = field(default=None, repr=False)  # X-Telegram-Bot-Api-Secret-Token
    web_rate: int = DEFAULT_WEB_RATE  # web questions per client per minute (0: no limit)
    trusted_proxies: tuple[str, ...] = ()  # whose X-Forwarded-For names the client
    plans_dir: Path | None = None  # the operator's plans, loaded with the shipped ones

    @property
    def tzinfo(self) -> ZoneInfo:
        """The time zone dates are shown in."""
        return ZoneInfo(self.tz)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, dotenv: bool = True) -> "Settings":
        """Read settings from `environ` (default: `.env` loaded into os.environ, then os.environ)."""
        if environ is None:
            if dotenv:
                from dotenv import load_dotenv

                load_dotenv(Path.cwd() / ".env", override=False)
            environ = os.environ
        get = lambda name: (environ.get(name) or "").strip()  # noqa: E731
        return cls(
            token=get(TOKEN_VAR) or None,
            api_base_url=get("TELEGRAM_API_BASE_URL") or None,
            db_path=Path(get("PLAN_BOT_DB") or DEFAULT_DB),
            tz=_time_zone(get("PLAN_BOT_TZ") or DEFAULT_TZ),
            admin_ids=_admin_ids(get("PLAN_BOT_ADMIN_IDS")),
            log_level=_log_level(get("PLAN_BOT_LOG_LEVEL") or "INFO"),
            reminder_rate=_rate(get("PLAN_BOT_REMINDER_RATE")),
            secret=get("PLAN_BOT_SECRET") or None,
            log_days=_days(get("PLAN_BOT_LOG_DAYS")),
            chat_rate=_chat_rate(get("PLAN_BOT_CHAT_RATE")),
            listen=listen_address(get("PLAN_BOT_LISTEN") or DEFAULT_LISTEN, "PLAN_BOT_LISTEN"),
            webhook_url=_webhook_url(get("PLAN_BOT_WEBHOOK_URL")),
            webhook_secret=_webhook_secret(get("PLAN_BOT_WEBHOOK_SECRET")),
            web_rate=_count(get("PLAN_BOT_WEB_RATE"), DEFAULT_WEB_RATE, "PLAN_BOT_WEB_RATE", "questions per client a minute"),
            trusted_proxies=_proxies(get("PLAN_BOT_TRUSTED_PROXIES")),
            plans_dir=_plans_dir(get("PLAN_BOT_PLANS_DIR")),
        )


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"PLAN_BOT_TZ={name!r} is not an IANA time zone (e.g. Asia/Shanghai)") from exc
    return name


def _admin_ids(raw: str) -> frozenset[int]:
    ids = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError as exc:
            raise ConfigError(f"PLAN_BOT_ADMIN_IDS: {part!r} is not a Telegram user id (comma-separated numbers)") from exc
    return frozenset(ids)


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS or not isinstance(logging.getLevelName(level), int):
        raise ConfigError(f"PLAN_BOT_LOG_LEVEL={raw!r}: use one of {', '.join(LOG_LEVELS)}")
    return level


def _rate(raw: str) -> float:
    if not raw:
        return DEFAULT_REMINDER_RATE
    try:
        rate = float(raw)
    except ValueError:
        rate = 0.0
    if not 0 < rate <= MAX_REMINDER_RATE:
        raise ConfigError(f"PLAN_BOT_REMINDER_RATE={raw!r}: messages per second, more than 0 and at most "
                          f"{MAX_REMINDER_RATE:g} (Telegram allows about 30 without paid broadcasts)")
    return rate


def _days(raw: str) -> int:
    if not raw:
        return DEFAULT_LOG_DAYS
    if not raw.isdigit() or not 1 <= int(raw) <= 36_500:
        raise ConfigError(f"PLAN_BOT_LOG_DAYS={raw!r}: how many days questions are kept, a whole number from 1")
    return int(raw)


def _chat_rate(raw: str) -> int:
    if not raw:
        return DEFAULT_CHAT_RATE
    if not raw.isdigit() or int(raw) > 10_000:
        raise ConfigError(f"PLAN_BOT_CHAT_RATE={raw!r}: questions and commands one chat may send per minute "
                          "(a whole number; 0 for no limit)")
    return int(raw)


def _count(raw: str, default: int, name: str, what: str) -> int:
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > 100_000:
        raise ConfigError(f"{name}={raw!r}: {what} (a whole number; 0 for no limit)")
    return int(raw)


def listen_address(raw: str, name: str = "--listen") -> str:
    """HOST:PORT checked (`127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:80`)."""
    host, sep, port = raw.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{name}={raw!r}: use HOST:PORT, e.g. 127.0.0.1:8080")
    return f"{host}:{int(port)}"


def _webhook_url(raw: str) -> str | None:
    if not raw:
        return None
    if not raw.startswith(("https://", "http://")) or " " in raw:
        raise ConfigError(f"PLAN_BOT_WEBHOOK_URL={raw!r}: the public base URL, e.g. https://bot.example.org")
    return raw.rstrip("/")


def _webhook_secret(raw: str) -> str | None:
    import re

    if raw and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
        raise ConfigError("PLAN_BOT_WEBHOOK_SECRET: 1–256 characters of A–Z, a–z, 0–9, _ and - (Telegram's rule)")
    return raw or None


def _proxies(raw: str) -> tuple[str, ...]:
    import ipaddress

    out = []
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError as exc:
            raise ConfigError(f"PLAN_BOT_TRUSTED_PROXIES: {part!r} is not an address or network") from exc
        out.append(part)
    return tuple(out)


def _plans_dir(raw: str) -> Path | None:
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise ConfigError(f"PLAN_BOT_PLANS_DIR={raw!r}: no such folder (a folder of .txt plans, a .toml beside each)")
    return path
