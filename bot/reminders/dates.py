"""Dates and times as people type them: 12月1日, 2026/12/1, 2026-12-01, 十二月一日, 明天; 9:30, 9点半, 下午3点.

Pure functions of the text and of "today" (callers pass the local date from their clock). A date
without a year is the next such date: this year's if it is today or later, else next year's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta

MAX_YEARS_AHEAD = 5
WEEKDAYS = "一二三四五六日"

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_N = r"(?:\d{1,4}|[零〇一二两三四五六七八九十]{1,3})"
_DATE_RE = re.compile(
    rf"^(?:(?P<y>\d{{4}})\s*[年/\-.]\s*)?(?P<m>{_N})\s*[月/\-.]\s*(?P<d>{_N})\s*[日号]?"
)
_RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}
_PERIODS = "凌晨|半夜|早上|早晨|上午|中午|下午|傍晚|晚上"
_TIME_RE = re.compile(
    rf"^(?P<ampm>{_PERIODS})?\s*(?P<h>{_N})\s*"
    rf"(?:[:：]\s*(?P<mm>\d{{2}})(?!\d)|点\s*(?:(?P<half>半)|(?P<pm>{_N})\s*分?)?|时|(?=\s*[ap]\.?m(?![a-z])))"
    rf"(?:\s*(?P<en>[ap])\.?m\.?(?![a-z]))?",
    re.IGNORECASE,
)
_TIME_LIKE = re.compile(r"^[-−+]?\s*\d+\s*(?:[:：]|点|时)")  # what was meant as a clock time: -1:00, 9:5
_PERIOD_ONLY = re.compile(rf"^(?:{_PERIODS})(?!\s*(?:{_N}))")
_BEFORE = re.compile(r"^(?:之前|以前|前)")
_TOKEN_RE = re.compile(r"^\S+")
TIME_HINT = "请写 0:00–23:59 之间的时刻，例如 9:30、21:00 或 下午3点"


class DateError(ValueError):
    """Text that is not a usable date or time; the message (Chinese) says what to write instead."""


@dataclass(frozen=True)
class When:
    """A parsed date, an optional time of day, and whatever text followed them."""

    day: date
    at: time | None
    rest: str


def _number(text: str) -> int:
    """`12` or `十二` → 12 (Chinese numerals up to 99); -1 for a malformed numeral (十十)."""
    if text.isdigit():
        return int(text)
    try:
        if "十" not in text:
            return int("".join(str(_CN_DIGITS[c]) for c in text))
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    except KeyError:
        return -1


def _normal(text: str) -> str:
    """Full-width digits, slashes and colons made ASCII; surrounding space removed."""
    return unicodedata.normalize("NFKC", text).strip()


def weekday(day: date) -> str:
    """`周二`."""
    return f"周{WEEKDAYS[day.weekday()]}"


def parse_date(text: str, today: date) -> tuple[date, str]:
    """The date at the start of `text` and the text after it; DateError if there is none or it is invalid."""
    s = _normal(text)
    for word, days in _RELATIVE.items():
        if s.startswith(word):
            return today + timedelta(days=days), s[len(word):].strip()
    m = _DATE_RE.match(s)
    if not m:
        shown = (_TOKEN_RE.match(s) or [""])[0][:20] or "（空）"
        raise DateError(f"没看懂日期“{shown}”：可以写 12月1日、2026/12/1 或 2026-12-01。")
    shown = m.group().strip()
    month, day = _number(m["m"]), _number(m["d"])
    if m["y"]:
        candidates = [int(m["y"])]
    else:  # the next such date: this year's if not yet past, else the next year that has it (2月29日)
        candidates = list(range(today.year, today.year + MAX_YEARS_AHEAD))
    found = None
    for year in candidates:
        try:
            d = date(year, month, day)
        except ValueError:
            continue
        if m["y"] or d >= today:
            found = d
            break
    if found is None:
        raise DateError(f"“{shown}”不是有效的日期：月份是 1–12，日子要在那个月里（例如 2026-12-01）。")
    return found, s[m.end():].strip()


def parse_time(text: str) -> tuple[time | None, str]:
    """A time of day at the start of `text` and the text after it; (None, text) if the text does not
    start with one; DateError if it does but is invalid (25:00, 9:61, -1:00, 9:5: anything that starts
    like a clock time is one, never a note) or names a part of the day without the hour (下午).

    Rules: `9:30`, `21:00` as written (24-hour); `3pm`, `8:30pm`, `9am` (12am = 0 点, 12pm = 12 点);
    凌晨/半夜 0–5 点 (12 点 = 0 点); 早上/早晨/上午 as written; 中午 1–5 点 = 13–17 点; 下午/傍晚/晚上 add 12
    (晚上12点 = 23:59 of that day, its last minute). A bare `1点`–`6点` with no part of the day is the
    afternoon (13–18 点) — office hours, nobody means 3 a.m.; write 凌晨3点 or 3:00 for that. A time
    followed by 前/之前 (`3点前交材料`) is the time of the reminder, and the words stay in the note
    whole (`3点前交材料`)."""
    s = _normal(text)
    m = _TIME_RE.match(s)
    if not m:
        if _PERIOD_ONLY.match(s):
            word = _PERIOD_ONLY.match(s).group()  # type: ignore[union-attr]
            raise DateError(f"“{word}”没有写几点：请写具体时间，例如 {word}3点 或 15:00。")
        if _TIME_LIKE.match(s):
            shown = (_TOKEN_RE.match(s) or [""])[0][:20]
            raise DateError(f"“{shown}”不是有效的时间：{TIME_HINT}。")
        return None, s
    hour = _number(m["h"])
    minute = 30 if m["half"] else _number(m["mm"] or m["pm"] or "0")
    period, en = m["ampm"], (m["en"] or "").lower()
    chinese_hour = m["mm"] is None and not en
    if en:
        if not 1 <= hour <= 12:
            raise DateError(f"“{m.group().strip()}”不是有效的时间：am/pm 前写 1–12 点，例如 3pm、8:30pm。")
        hour = hour % 12 + (12 if en == "p" else 0)
    elif period in ("凌晨", "半夜"):
        hour = 0 if hour == 12 else hour
    elif period in ("下午", "傍晚", "晚上"):
        if period == "晚上" and hour == 12 and minute == 0:
            hour, minute = 23, 59
        elif hour < 12:
            hour += 12
    elif period == "中午" and hour < 6:
        hour += 12
    elif period is None and chinese_hour and 1 <= hour <= 6:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DateError(f"“{m.group().strip()}”不是有效的时间：{TIME_HINT}。")
    rest = s[m.end():].strip()
    if _BEFORE.match(rest):
        rest = s.strip()
    return time(hour, minute), rest


def parse_when(text: str, today: date) -> When:
    """`12月1日 9:30 交材料` → the date, the time (None if not given) and the rest (a note)."""
    day, rest = parse_date(text, today)
    at, rest = parse_time(rest)
    return When(day, at, rest)


def days_until(day: date, today: date) -> str:
    """How far away a day is: 今天, 明天, 还有 7 天, 已过 3 天."""
    n = (day - today).days
    if n == 0:
        return "今天"
    if n == 1:
        return "明天"
    if n > 1:
        return f"还有 {n} 天"
    return f"已过 {-n} 天"
