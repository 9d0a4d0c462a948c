"""Deadlines: what each item of a plan is due by, where the date comes from, and what is only mentioned."""

from __future__ import annotations

import json
from datetime import date

import pytest
from icalendar import Calendar

import corpus
from corpus import Deadline, Plan, PlanMeta, parse_plan
from corpus.deadlines import (
    DEFAULT,
    EDITION,
    EXPLICIT,
    INFERRED,
    JSON_KEYS,
    UNDATED_EVENT,
    Event,
    EventsTableError,
    Mention,
    deadline_json,
    deadlines_for,
    extract,
    load_events,
    to_ics,
)

D = date


@pytest.fixture(scope="module")
def plan() -> Plan:
    return next(p for p in corpus.shipped_plans() if p.id == "nmg-edu-2021")


@pytest.fixture(scope="module")
def extracted(plan: Plan) -> tuple[list[Deadline], list[Mention]]:
    return extract(plan)


def make_plan(measures: str, *, year: int = 2021, published: date = D(2021, 2, 26)) -> Plan:
    """A one-item plan in the shipped text shape: section heading, item, 目标任务, 工作措施."""
    text = f"一、测试部分\n1.测试事项\n目标任务:完成测试任务。\n工作措施:{measures}\n"
    meta = PlanMeta(
        id="test-plan", title=f"测试单位{year}年工作要点", short_title="测试要点", issuers=("测试单位",),
        year=year, published=published, source="tests",
    )
    return parse_plan(text, meta)


def beyond_default(deadlines: list[Deadline]) -> list[tuple[date, str, str]]:
    """(date, rule, confidence) of every deadline other than the annual default."""
    return [(d.date, d.rule, d.confidence) for d in deadlines if d.rule != "plan-year-end"]


# ---------------------------------------------------------------- the annual default


def test_every_item_is_due_by_the_end_of_the_plan_year(plan: Plan, extracted) -> None:
    deadlines, _ = extracted
    defaults = [d for d in deadlines if d.rule == "plan-year-end"]
    assert [d.item for d in defaults] == list(range(1, 34))
    assert {(d.date, d.label, d.confidence) for d in defaults} == {(D(2021, 12, 31), "年度任务", DEFAULT)}
    assert all("2021年工作要点" in d.phrase for d in defaults)


def test_the_preamble_has_no_deadlines(plan: Plan, extracted) -> None:
    assert all(d.item != 0 for d in extracted[0])
    assert deadlines_for(plan, 0) == []
    with pytest.raises(KeyError):
        deadlines_for(plan, 34)


def test_a_plan_year_mention_adds_nothing_to_the_default(plan: Plan) -> None:
    # Items 1, 5 and 23 speak of 2021年 (制定2021年…学习方案, 推进2021年…评价工作).
    for number in (1, 5, 23):
        assert "2021年" in plan.item(number).measures
        assert beyond_default(deadlines_for(plan, number)) == []


# ---------------------------------------------------------------- rules on the shipped plan


def test_item_4_has_quarterly_reports_and_the_2018_2022_training_plan(plan: Plan) -> None:
    deadlines = deadlines_for(plan, 4)
    quarterly = [d for d in deadlines if d.rule == "quarterly"]
    assert [d.date for d in quarterly] == [D(2021, 3, 31), D(2021, 6, 30), D(2021, 9, 30), D(2021, 12, 31)]
    assert [d.label for d in quarterly] == [f"第{q}季度 专题报告会" for q in "一二三四"]
    assert {d.confidence for d in quarterly} == {INFERRED}
    assert all(d.phrase == "每季度举办1期专题报告会" for d in quarterly)
    (ranged,) = [d for d in deadlines if d.rule == "year-range"]
    assert (ranged.date, ranged.confidence) == (D(2022, 12, 31), EXPLICIT)
    assert "2018-2022年" in ranged.phrase and ranged.label == "内蒙古自治区干部教育培训规划收官"


def test_item_14_runs_to_the_end_of_the_2020_2023_action_plan(plan: Plan) -> None:
    deadlines = deadlines_for(plan, 14)
    (ranged,) = [d for d in deadlines if d.rule == "year-range"]
    assert (ranged.date, ranged.confidence) == (D(2023, 12, 31), EXPLICIT)
    assert "(2020-2023年)" in ranged.phrase
    assert ranged.label == "职业教育提质培优行动计划收官"


def test_full_width_brackets_around_a_range_read_the_same() -> None:
    p = make_plan("推进实施《某某行动计划（2020-2023年）》。")
    (ranged,) = [d for d in deadlines_for(p, 1) if d.rule == "year-range"]
    assert (ranged.date, ranged.label) == (D(2023, 12, 31), "某某行动计划收官")


def test_item_15_today_and_next_year_ends_next_december(plan: Plan) -> None:
    deadlines = deadlines_for(plan, 15)
    assert beyond_default(deadlines) == [(D(2022, 12, 31), "relative-span", INFERRED)]
    assert deadlines[-1].label == "今明两年" and "今明两年空缺岗位" in deadlines[-1].phrase


def test_item_7_national_putonghua_week_is_dated_from_the_events_table(plan: Plan) -> None:
    (week,) = [d for d in deadlines_for(plan, 7) if d.rule == "named-event"]
    assert (week.date, week.label, week.confidence) == (D(2021, 9, 19), "推普周", INFERRED)
    assert "第24届全国推广普通话宣传周" in week.phrase
    assert week.date == load_events(2021)["全国推广普通话宣传周"].end


def test_other_table_events_of_the_plan_are_dated(plan: Plan) -> None:
    assert [(d.date, d.label) for d in deadlines_for(plan, 14) if d.rule == "named-event"] == [
        (D(2021, 5, 15), "职业教育活动周")
    ]
    assert [(d.date, d.label) for d in deadlines_for(plan, 29) if d.rule == "named-event"] == [
        (D(2021, 12, 7), "宪法宣传周")
    ]


def test_a_past_year_compared_against_is_not_a_deadline(plan: Plan) -> None:
    assert "比2020年下降" in plan.item(9).goal
    assert beyond_default(deadlines_for(plan, 9)) == []


def test_editions_are_mentions_never_deadlines(plan: Plan, extracted) -> None:
    _, mentions = extracted
    editions = {m.phrase for m in mentions if m.kind == EDITION}
    for ordinal in ("第24届", "第七届", "第4期", "首届", "第十五届", "第四期", "第三期"):
        assert any(p.startswith(ordinal) for p in editions), ordinal
    assert (9, "第十五届中学生运动会") in {(m.item, m.phrase) for m in mentions}
    # Items whose only time words are editions (第十五届/首届, 第四期, 第三期) keep only the default.
    for number in (9, 11, 17):
        assert beyond_default(deadlines_for(plan, number)) == []
    assert beyond_default(deadlines_for(plan, 15)) == [(D(2022, 12, 31), "relative-span", INFERRED)]  # 第七届, 第五轮


def test_the_whole_plan_has_these_deadlines(extracted) -> None:
    deadlines, mentions = extracted
    rules: dict[str, int] = {}
    for d in deadlines:
        rules[d.rule] = rules.get(d.rule, 0) + 1
    assert rules == {"plan-year-end": 33, "quarterly": 4, "year-range": 2, "relative-span": 1, "named-event": 3}
    assert {(m.item, m.phrase) for m in mentions if m.kind == EDITION} == {
        (4, "第4期高校党政领导班子成员专题研讨班"), (7, "第三届中华经典诵写讲大赛"), (7, "第24届全国推广普通话宣传周活动"),
        (9, "第十五届中学生运动会"), (9, "首届中小学体育教师教学技能大赛"), (11, "第四期学前教育行动计划"),
        (14, "首届职业教育学科(专业)委员会"), (15, "第五轮学科评估"), (15, "第七届“互联网+”大学生创新创业大赛"),
        (17, "第三期特殊教育提升计划"),
    }
    assert [m for m in mentions if m.kind == UNDATED_EVENT] == [
        Mention("nmg-edu-2021", 18, "全民终身学习活动周", UNDATED_EVENT)
    ]


# ---------------------------------------------------------------- events: table, undated, never invented


def test_events_table_holds_sourced_2021_dates() -> None:
    events = load_events(2021)
    assert set(events) == {"全国推广普通话宣传周", "宪法宣传周", "职业教育活动周"}
    assert (events["宪法宣传周"].start, events["宪法宣传周"].end) == (D(2021, 12, 1), D(2021, 12, 7))
    assert events["全国推广普通话宣传周"].edition == 24
    assert all(e.start <= e.end and e.source for e in events.values())
    assert load_events(1999) == {}


def test_an_event_missing_from_the_table_is_an_undated_mention() -> None:
    p = make_plan("组织开展全国科技活动周。")
    deadlines, mentions = extract(p)
    assert mentions == [Mention("test-plan", 1, "全国科技活动周", UNDATED_EVENT)]
    assert beyond_default(deadlines) == []


def test_an_event_is_dated_once_the_table_has_it() -> None:
    p = make_plan("组织开展全国科技活动周。")
    week = Event("全国科技活动周", "科技周", 2021, D(2021, 5, 22), D(2021, 5, 29), "test")
    deadlines, mentions = extract(p, {week.name: week})
    assert mentions == []
    assert beyond_default(deadlines) == [(D(2021, 5, 29), "named-event", INFERRED)]
    assert deadlines[0].label == "科技周"


def test_another_years_plan_does_not_borrow_2021_dates() -> None:
    deadlines, mentions = extract(make_plan("组织开展第25届全国推广普通话宣传周活动。", year=2022))
    assert beyond_default(deadlines) == []
    assert Mention("test-plan", 1, "全国推广普通话宣传周", UNDATED_EVENT) in mentions


def test_a_different_edition_than_the_tables_is_not_dated() -> None:
    deadlines, mentions = extract(make_plan("组织开展第二十五届全国推广普通话宣传周活动。"))
    assert beyond_default(deadlines) == []
    assert Mention("test-plan", 1, "第二十五届全国推广普通话宣传周", UNDATED_EVENT) in mentions


def test_a_broken_events_table_names_the_entry(tmp_path) -> None:
    table = tmp_path / "events.toml"
    table.write_text('[[event]]\nname = "某某周"\nyear = 2021\nstart = 2021-05-09\nend = 2022-05-15\nsource = "x"\n', "utf-8")
    with pytest.raises(EventsTableError, match="某某周"):
        load_events(2021, table)


# ---------------------------------------------------------------- rules the shipped plan does not use


def test_explicit_dates_and_future_years() -> None:
    p = make_plan("6月底前完成方案；到2025年建成体系；比2020年提高；2021年9月30日前完成评估。")
    assert beyond_default(deadlines_for(p, 1)) == [
        (D(2021, 6, 30), "date", EXPLICIT), (D(2021, 9, 30), "date", EXPLICIT), (D(2025, 12, 31), "year", EXPLICIT),
    ]


def test_before_a_month_or_quarter_means_the_end_of_the_previous_one() -> None:
    p = make_plan("6月前印发方案；三季度前完成验收；第一季度末启动；上半年召开现场会；2025年前基本建成。")
    assert beyond_default(deadlines_for(p, 1)) == [
        (D(2021, 3, 31), "date", EXPLICIT), (D(2021, 5, 31), "date", INFERRED), (D(2021, 6, 30), "date", INFERRED),
        (D(2021, 6, 30), "date", EXPLICIT), (D(2025, 12, 31), "year", INFERRED),
    ]


def test_dates_before_publication_are_not_due() -> None:
    assert beyond_default(deadlines_for(make_plan("1月底前完成方案。"), 1)) == []


def test_relative_spans_count_the_plan_year_first() -> None:
    p = make_plan("明年完成试点；今后三年全面推开。")
    assert [(d.date, d.label) for d in deadlines_for(p, 1) if d.rule == "relative-span"] == [
        (D(2022, 12, 31), "明年"), (D(2023, 12, 31), "今后三年"),
    ]


def test_half_yearly_and_monthly_recurrences() -> None:
    p = make_plan("每半年报送一次进展情况；每月通报1次工作进度。")
    deadlines = deadlines_for(p, 1)
    assert [(d.date, d.label) for d in deadlines if d.rule == "half-yearly"] == [
        (D(2021, 6, 30), "上半年 进展情况"), (D(2021, 12, 31), "下半年 进展情况"),
    ]
    # Published 26 February: January's report was due before the plan existed.
    assert [d.date.month for d in deadlines if d.rule == "monthly"] == list(range(2, 13))


def test_quarters_that_ended_before_publication_are_dropped() -> None:
    p = make_plan("每季度召开1次调度会。", published=D(2021, 7, 10))
    assert [d.label for d in deadlines_for(p, 1) if d.rule == "quarterly"] == ["第三季度 调度会", "第四季度 调度会"]


# ---------------------------------------------------------------- export


def test_to_ics_has_one_all_day_event_per_deadline(plan: Plan, extracted) -> None:
    deadlines, _ = extracted
    raw = to_ics(deadlines, {plan.id: plan})
    events = Calendar.from_ical(raw).walk("VEVENT")
    assert len(events) == len(deadlines)
    assert len({str(e["UID"]) for e in events}) == len(deadlines)
    for ev, d in zip(events, deadlines):
        assert ev.decoded("DTSTART") == d.date and ev.decoded("DTEND") == D.fromordinal(d.date.toordinal() + 1)
        item = plan.item(d.item)
        assert str(ev["SUMMARY"]).startswith(f"{item.number}. {item.title}") and d.label in str(ev["SUMMARY"])
        assert d.phrase in str(ev["DESCRIPTION"]) and item.ref in str(ev["DESCRIPTION"])
    assert to_ics(deadlines, {plan.id: plan}) == raw  # stable UIDs and stamps: re-exports update, not duplicate


def test_ics_uid_depends_on_plan_item_date_and_label(plan: Plan) -> None:
    q1, q2 = [d for d in deadlines_for(plan, 4) if d.rule == "quarterly"][:2]
    uids = [str(e["UID"]) for e in Calendar.from_ical(to_ics([q1, q2, q1], {plan.id: plan})).walk("VEVENT")]
    assert uids[0] == uids[2] != uids[1]


def test_deadline_json_has_exactly_the_public_keys(plan: Plan) -> None:
    d = deadlines_for(plan, 15)[-1]
    data = deadline_json(d)
    assert tuple(data) == JSON_KEYS == ("plan", "item", "date", "label", "phrase", "rule", "confidence")
    assert data["date"] == "2022-12-31" and data["item"] == 15 and data["confidence"] == INFERRED
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
