"""Dates and times as people type them after /remind: lenient, and clear about what is wrong."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.reminders.dates import DateError, days_until, parse_date, parse_time, parse_when, weekday

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(("text", "day"), [
    ("12月1日", date(2026, 12, 1)),
    ("12月1号", date(2026, 12, 1)),
    ("2026/12/1", date(2026, 12, 1)),
    ("2026-12-01", date(2026, 12, 1)),
    ("2026年12月1日", date(2026, 12, 1)),
    ("２０２６－１２－０１", date(2026, 12, 1)),  # full-width, as phone keyboards type it
    ("十二月一日", date(2026, 12, 1)),
    ("12/1", date(2026, 12, 1)),
    ("11月24日", date(2026, 11, 24)),  # today is the next such date
    ("11月1日", date(2027, 11, 1)),  # without a year: the next such date
    ("2月29日", date(2028, 2, 29)),  # the next year that has one
    ("今天", date(2026, 11, 24)),
    ("明天", date(2026, 11, 25)),
    ("后天", date(2026, 11, 26)),
    ("2019-01-01", date(2019, 1, 1)),  # a past date with a year is read as written; the caller refuses it
])
def test_dates_people_write(text, day):
    assert parse_date(text, TODAY) == (day, "")


@pytest.mark.parametrize(("text", "message"), [
    ("2026-13-45", "“2026-13-45”不是有效的日期"),
    ("2026-02-30", "不是有效的日期"),
    ("十十月一日", "不是有效的日期"),
    ("下周", "没看懂日期“下周”"),
    ("abc", "没看懂日期"),
    ("", "没看懂日期“（空）”"),
])
def test_what_is_not_a_date_says_what_to_write(text, message):
    with pytest.raises(DateError, match=message) as info:
        parse_date(text, TODAY)
    assert "12月1日" in str(info.value) or "2026-12-01" in str(info.value)


@pytest.mark.parametrize(("text", "at"), [
    ("9:30", time(9, 30)), ("09:30", time(9, 30)), ("９：３０", time(9, 30)), ("21:05", time(21, 5)),
    ("9点", time(9)), ("9点半", time(9, 30)), ("9点15分", time(9, 15)), ("下午3点", time(15)),
    ("晚上8点", time(20)), ("上午10点", time(10)), ("中午12点", time(12)),
])
def test_times_people_write(text, at):
    assert parse_time(text) == (at, "")


def test_a_time_that_cannot_be_is_an_error_and_text_that_is_no_time_is_left_alone():
    with pytest.raises(DateError, match="“25:00”不是有效的时间"):
        parse_time("25:00")
    with pytest.raises(DateError, match="不是有效的时间"):
        parse_time("9:75")
    assert parse_time("交材料") == (None, "交材料")


@pytest.mark.parametrize(("text", "at", "rest"), [
    ("凌晨3点", time(3), ""), ("半夜12点", time(0), ""), ("早上7点半", time(7, 30), ""),
    ("3pm", time(15), ""), ("8:30pm", time(20, 30), ""), ("9am", time(9), ""), ("12am", time(0), ""),
    ("12pm", time(12), ""), ("3pm开会", time(15), "开会"), ("8:30 PM 交材料", time(20, 30), "交材料"),
    ("晚上12点", time(23, 59), ""),  # the last minute of that day, not noon
    ("3点", time(15), ""), ("6点", time(18), ""), ("7点", time(7), ""),  # bare 1–6 点: the afternoon
    ("3:00", time(3), ""),  # a clock time is taken as written
    ("3点前交材料", time(15), "3点前交材料"),  # "before 3": the words stay whole in the note
])
def test_parts_of_the_day_am_pm_and_bare_afternoon_hours(text, at, rest):
    assert parse_time(text) == (at, rest)


@pytest.mark.parametrize("text", ["下午", "下午 交材料", "晚上"])
def test_a_part_of_the_day_without_the_hour_asks_for_it(text):
    with pytest.raises(DateError, match="没有写几点：请写具体时间"):
        parse_time(text)


def test_13pm_is_not_a_time():
    with pytest.raises(DateError, match="am/pm 前写 1–12 点"):
        parse_time("13pm")


def test_date_time_and_note_in_one_go():
    w = parse_when("12月1日 9:30 交材料给 教务处", TODAY)
    assert (w.day, w.at, w.rest) == (date(2026, 12, 1), time(9, 30), "交材料给 教务处")
    w = parse_when("2026/12/1交材料", TODAY)
    assert (w.day, w.at, w.rest) == (date(2026, 12, 1), None, "交材料")
    w = parse_when("12月1日9点半", TODAY)
    assert (w.at, w.rest) == (time(9, 30), "")


def test_how_far_away_and_weekdays():
    assert [days_until(date(2026, 11, d), TODAY) for d in (24, 25, 30, 21)] == ["今天", "明天", "还有 6 天", "已过 3 天"]
    assert weekday(date(2026, 12, 1)) == "周二" and weekday(date(2026, 11, 29)) == "周日"
