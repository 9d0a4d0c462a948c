"""Time expressions of a plan → `Deadline`s with provenance and confidence, plus undated `Mention`s.

A plan of this kind uses a handful of time forms (the plan year, `2018-2022年`, `今明两年`, `每季度`,
named annual events, editions such as `第24届`), so each has a small rule here, tested on the real
sentences in tests/test_deadlines.py; Chinese numerals go through cn2an. jionlp's time parser was tried
with its reference time pinned to the publish date: it reads 2018-2022年, 今明两年 and 每季度, but not
the event names, cannot tell an edition (第24届) from a date nor a comparison (比2020年) from a deadline,
and costs a 190 MB install and 0.25–0.67 s of import with a banner on stdout — not worth it here.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import TypeVar

from .model import Deadline, Item, Plan

EVENTS_PATH = Path(__file__).resolve().parent / "events.toml"

# Confidence: the plan states the date / we derive it from the plan's words / every item gets it.
EXPLICIT, INFERRED, DEFAULT = "explicit", "inferred", "default"

# Rules, in the order deadlines of the same day are listed.
PLAN_YEAR_END = "plan-year-end"
YEAR_RANGE = "year-range"
YEAR = "year"
DATE = "date"
RELATIVE_SPAN = "relative-span"
QUARTERLY = "quarterly"
HALF_YEARLY = "half-yearly"
MONTHLY = "monthly"
NAMED_EVENT = "named-event"
RULES = (PLAN_YEAR_END, YEAR_RANGE, YEAR, DATE, RELATIVE_SPAN, QUARTERLY, HALF_YEARLY, MONTHLY, NAMED_EVENT)

# Mention kinds.
EDITION = "edition"
UNDATED_EVENT = "undated-event"

ANNUAL_LABEL = "年度任务"
JSON_KEYS = ("plan", "item", "date", "label", "phrase", "rule", "confidence")


@dataclass(frozen=True)
class Mention:
    """A fact of an item that is not a deadline: an edition (第24届…) or an event whose date we do not know."""

    plan: str
    item: int
    phrase: str
    kind: str  # EDITION or UNDATED_EVENT


@dataclass(frozen=True)
class Event:
    """A named annual event in one year (推普周 2021: 09-13…09-19) and how its date is known."""

    name: str
    label: str
    year: int
    start: date
    end: date  # the deadline of an item that mentions the event
    source: str
    aliases: tuple[str, ...] = ()
    edition: int | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The table name and its aliases, longest first."""
        return tuple(sorted({self.name, *self.aliases}, key=lambda n: (-len(n), n)))


class EventsTableError(ValueError):
    """events.toml has an entry that is incomplete or inconsistent; names the entry."""


# ---------------------------------------------------------------- events table


@cache
def _event_table(path: Path) -> tuple[Event, ...]:
    """Every event of the table file, validated, parsed once per process."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    events: list[Event] = []
    seen: set[tuple[str, int]] = set()
    for i, row in enumerate(data.get("event", []), start=1):
        where = f"{path.name}: event {i} ({row.get('name', '?')})"
        missing = [k for k in ("name", "year", "start", "end", "source") if k not in row]
        if missing:
            raise EventsTableError(f"{where}: missing {', '.join(missing)}")
        start, end, year = row["start"], row["end"], row["year"]
        # TOML gives datetime (a subclass of date) for `2021-09-13T00:00`: an event day has no time.
        if type(start) is not date or type(end) is not date:
            raise EventsTableError(f"{where}: start and end must be plain dates (YYYY-MM-DD)")
        if start > end or end.year != year:
            raise EventsTableError(f"{where}: dates {start}..{end} do not fit year {year}")
        if (row["name"], year) in seen:
            raise EventsTableError(f"{where}: listed twice for {year}")
        seen.add((row["name"], year))
        edition = row.get("edition")
        events.append(Event(
            name=row["name"], label=row.get("label", row["name"]), year=int(year), start=start, end=end,
            source=row["source"], aliases=tuple(row.get("aliases", ())),
            edition=int(edition) if edition is not None else None,
        ))
    return tuple(events)


def load_events(year: int, path: Path | None = None) -> dict[str, Event]:
    """The table's events of one year, by name (default table: corpus/events.toml)."""
    return {e.name: e for e in _event_table(Path(path) if path else EVENTS_PATH) if e.year == year}


# ---------------------------------------------------------------- patterns

_T = TypeVar("_T", Deadline, Mention)

_NUM = r"(?:\d+|[零〇一二两三四五六七八九十百]+)"
_CN_QUARTERS = "一二三四"
# A clause is the unit a phrase is quoted from: the plan's sentences cut at commas and colons.
_CLAUSE_RE = re.compile(r"[^，。；：！？,;:!?]+")

# Ordinal editions are facts about an activity (第24届, 第七届, 第4期, 首届), never dates.
_EDITION_RE = re.compile(rf"第(?P<n>{_NUM})(?:届|期|轮|批|次)|首(?:届|期|批|轮)")
_EDITION_TAIL_RE = re.compile(r"[^、和与及等]{0,24}")
_ORDINAL_BEFORE_RE = re.compile(rf"(?:第(?P<n>{_NUM})届|首届)(?:全国|全区|自治区|全省|全市)?$")

# Words that end the name of an event week/month/day; `周期` (cycle) is not an event.
_EVENT_SUFFIX_RE = re.compile(
    r"(?:宣传|活动|教育|学习)(?:周|月|日)(?![期年报考度常份])|(?:宪法|纪念)日|(?:文化|艺术|科技|读书)节"
)
# Chinese characters and digits an event name may be made of (quotes and brackets end it).
_NAME_CHAR_RE = re.compile(r"[\u4e00-\u9fff0-9]")
# Everything up to the last verb or conjunction before an event name: 办好全区职业院校技能大赛和|职业教育活动周.
_NAME_LEAD_RE = re.compile(r".*(?:和|与|及|、|等|开展|举办|举行|办好|组织|参加|参与|持续|做好|启动|实施|推进|落实)")
_NAME_ORDINAL_RE = re.compile(rf"第{_NUM}届|首届")  # used with .match(text, pos): no `^`

_YEAR_RANGE_RE = re.compile(
    r"(?<!\d)(?P<a>(?:19|20)\d{2})\s*年?\s*[-－—–~～至到]{1,2}\s*(?P<b>(?:19|20)\d{2})\s*年"
)
_DATE_RE = re.compile(
    r"(?<![\d.])(?:(?P<y>(?:19|20)\d{2})\s*年\s*)?(?P<m>1[0-2]|0?[1-9])\s*月"
    r"(?:\s*(?P<d>3[01]|[12]\d|0?[1-9])\s*[日号])?(?P<suf>底前|底|末|以前|之前|前)?"
)
_YEAR_RE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*年(?!度)(?P<suf>底前|底|末|以前|之前|前)?")
# A period of the plan year named once (一季度末, 第三季度, 上半年); 每季度 is the recurring rule's.
_PERIOD_RE = re.compile(
    r"(?<!每)(?<!每个)(?:第?(?P<q>[一二三四1-4])季度|(?P<h>上)半年)(?P<suf>底前|末前|底|末|以前|之前|前|内)?"
)
_BEFORE = ("前", "以前", "之前")
# 比2020年下降…: a year the plan compares against is a baseline, not a target.
_COMPARISON_BEFORE_RE = re.compile(r"(?:比|较|与|同|相对于?|低于|高于)\s*$")
_RELATIVE_RE = re.compile(rf"今明两年|(?<!今)明年(?!度)|(?:今后|未来)(?P<n>{_NUM})年")
_RECURRING_RE = re.compile(
    rf"每个?(?P<unit>季度|半年|月)"
    rf"(?:举办|召开|开展|组织|报送|提交|进行|完成|发布|通报)?\s*(?:{_NUM}\s*[期次场个份篇])?"
    r"(?P<what>[^、和与及等]{0,16})"
)


def _number(text: str) -> int:
    """`24` or `二十四` → 24."""
    if text.isdigit():
        return int(text)
    import cn2an  # noqa: PLC0415 — costs ~0.1 s at import; only plans with Chinese ordinals need it

    return int(cn2an.cn2an(text, "smart"))


def _year_end(year: int) -> date:
    """31 December of a year."""
    return date(year, 12, 31)


def _month_end(year: int, month: int) -> date:
    """The last day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


# ---------------------------------------------------------------- scanning


@dataclass
class _Clause:
    """One clause being scanned, with the character spans earlier rules have claimed."""

    text: str
    taken: list[tuple[int, int]] = field(default_factory=list)

    def free(self, m: re.Match[str] | tuple[int, int]) -> bool:
        """True if no earlier rule used any character of this match."""
        s, e = m.span() if isinstance(m, re.Match) else m
        return all(e <= ts or s >= te for ts, te in self.taken)

    def take(self, m: re.Match[str] | tuple[int, int]) -> None:
        """Claim a match so later rules skip it (a range's first year is not a year of its own)."""
        self.taken.append(m.span() if isinstance(m, re.Match) else m)

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Matches of a pattern that no earlier rule claimed; each is claimed."""
        for m in pattern.finditer(self.text):
            if self.free(m):
                self.take(m)
                yield m


@dataclass(frozen=True)
class _Context:
    """The item being scanned and the events table to date named events with."""

    plan: Plan
    item: Item
    events: Mapping[str, Event]

    @property
    def year(self) -> int:
        """The plan year."""
        return self.plan.meta.year

    def deadline(self, day: date, label: str, phrase: str, rule: str, confidence: str) -> Deadline:
        """A deadline of this item."""
        return Deadline(self.plan.id, self.item.number, day, label, phrase, rule, confidence)

    def mention(self, phrase: str, kind: str) -> Mention:
        """A mention of this item."""
        return Mention(self.plan.id, self.item.number, phrase, kind)


def _clauses(item: Item) -> Iterator[str]:
    """The item's title and sentences cut into clauses."""
    for text in (item.title, *(p.text for p in item.passages)):
        for m in _CLAUSE_RE.finditer(text):
            if clause := m.group().strip():
                yield clause


def _editions(ctx: _Context, c: _Clause) -> Iterator[Mention]:
    """第24届全国推广普通话宣传周活动 → an edition mention quoting the ordinal and what it numbers."""
    for m in c.finditer(_EDITION_RE):
        tail = _EDITION_TAIL_RE.match(c.text, m.end())
        yield ctx.mention(m.group() + (tail.group() if tail else ""), EDITION)


def _table_events(ctx: _Context, c: _Clause) -> Iterator[Deadline | Mention]:
    """Names (or aliases) of the events table → the event's last day."""
    # Longest names first across all events, so a name inside another event's name does not steal it.
    names = sorted(((n, e) for e in ctx.events.values() for n in e.names), key=lambda ne: (-len(ne[0]), ne[0]))
    for name, event in names:
        start = c.text.find(name)
        while start >= 0:
            span = (start, start + len(name))
            if c.free(span):
                c.take(span)
                yield _table_event(ctx, c, event, span)
            start = c.text.find(name, start + 1)


def _table_event(ctx: _Context, c: _Clause, event: Event, span: tuple[int, int]) -> Deadline | Mention:
    """A dated deadline, unless the plan names another edition than the table's year has."""
    before = _ORDINAL_BEFORE_RE.search(c.text[: span[0]])
    if before and event.edition is not None:
        edition = _number(before["n"]) if before["n"] else 1
        if edition != event.edition:
            return ctx.mention(c.text[before.start() : span[1]], UNDATED_EVENT)
    return ctx.deadline(event.end, event.label, c.text, NAMED_EVENT, INFERRED)


def _other_events(ctx: _Context, c: _Clause) -> Iterator[Mention]:
    """Event-like names (…宣传周, …活动周, …教育日) not in the table: mentioned, never dated."""
    for m in _EVENT_SUFFIX_RE.finditer(c.text):
        start = m.start()
        while start > 0 and _NAME_CHAR_RE.match(c.text[start - 1]):
            start -= 1
        name = c.text[start : m.end()]
        if lead := _NAME_LEAD_RE.match(name[: -len(m.group())]):
            start += lead.end()
        if ordinal := _NAME_ORDINAL_RE.match(c.text, start):
            start = ordinal.end()
        name = c.text[start : m.end()]
        # A bare 宣传周/活动月 names no particular event.
        if len(name) - len(m.group()) < 2 or not c.free((start, m.end())):
            continue
        c.take((start, m.end()))
        yield ctx.mention(name, UNDATED_EVENT)


def _book_title(text: str, start: int, end: int) -> str | None:
    """The 《…》 title enclosing text[start:end], if any."""
    left = text.rfind("《", 0, start)
    if left < 0 or "》" in text[left:start]:
        return None
    right = text.find("》", end)
    return text[left + 1 : right] if right >= 0 else None


def _year_ranges(ctx: _Context, c: _Clause) -> Iterator[Deadline]:
    """《…(2020-2023年)》 → 2023-12-31, labelled with the document it dates."""
    for m in c.finditer(_YEAR_RANGE_RE):
        first, last = int(m["a"]), int(m["b"])
        # A range ending in the plan year adds nothing to the annual deadline; one already over, nothing at all.
        if last <= ctx.year:
            continue
        title = _book_title(c.text, *m.span())
        if title:
            doc = re.sub(rf"[(（]?\s*{re.escape(m.group())}\s*[)）]?", "", title).strip()
            label = f"{doc}收官"
        else:
            label = f"{first}-{last}年收官"
        yield ctx.deadline(_year_end(last), label, c.text, YEAR_RANGE, EXPLICIT)


def _dates(ctx: _Context, c: _Clause) -> Iterator[Deadline]:
    """6月底前, 2021年9月30日, 三季度末, 上半年 → that day of the plan year (or the year given)."""
    for m in _DATE_RE.finditer(c.text):
        # A bare month (9月) is too vague; a year, a day or 底/前 makes it a date.
        if not (m["y"] or m["d"] or m["suf"]) or not c.free(m):
            continue
        c.take(m)
        year, month = int(m["y"]) if m["y"] else ctx.year, int(m["m"])
        confidence = EXPLICIT
        try:
            if m["d"]:
                day = date(year, month, int(m["d"]))
            elif m["suf"] in _BEFORE:
                # 6月前 is before June begins: the end of May. Usage varies, hence inferred.
                day, confidence = date(year, month, 1) - timedelta(days=1), INFERRED
            else:
                day = _month_end(year, month)
        except ValueError:  # 2月30日
            continue
        if day >= ctx.plan.meta.published:
            yield ctx.deadline(day, m.group(), c.text, DATE, confidence)
    for m in c.finditer(_PERIOD_RE):
        quarter = (int(m["q"]) if m["q"].isdigit() else _CN_QUARTERS.index(m["q"]) + 1) if m["q"] else 0
        last_month = 6 if m["h"] else 3 * quarter
        confidence = EXPLICIT
        if m["suf"] in _BEFORE:
            # 三季度前 is before the third quarter begins: the end of the second.
            last_month -= 6 if m["h"] else 3
            confidence = INFERRED
        if last_month < 1:
            continue
        day = _month_end(ctx.year, last_month)
        if day >= ctx.plan.meta.published:
            yield ctx.deadline(day, m.group(), c.text, DATE, confidence)


def _years(ctx: _Context, c: _Clause) -> Iterator[Deadline]:
    """到2025年 → 2025-12-31, for years after the plan year."""
    for m in c.finditer(_YEAR_RE):
        year = int(m["y"])
        # The plan year is the annual deadline already; past years are history or baselines (比2020年).
        if year <= ctx.year or _COMPARISON_BEFORE_RE.search(c.text[: m.start()]):
            continue
        # Unlike 6月前, plans write 2025年前 for "by 2025" (到2025年); the reading is less certain, though.
        confidence = INFERRED if m["suf"] in _BEFORE else EXPLICIT
        yield ctx.deadline(_year_end(year), m.group(), c.text, YEAR, confidence)


def _relative_spans(ctx: _Context, c: _Clause) -> Iterator[Deadline]:
    """今明两年, 明年, 今后三年 → the end of the span's last year."""
    for m in c.finditer(_RELATIVE_RE):
        # Plans count calendar years with the plan year as the first: 今明两年 and 今后两年 end next December.
        years = _number(m["n"]) if m["n"] else 2
        if years < 2:
            continue
        yield ctx.deadline(_year_end(ctx.year + years - 1), m.group(), c.text, RELATIVE_SPAN, INFERRED)


def _recurring(ctx: _Context, c: _Clause) -> Iterator[Deadline]:
    """每季度/每半年/每月 … → every period end of the plan year from publication on."""
    for m in c.finditer(_RECURRING_RE):
        what = m["what"].strip()
        y = ctx.year
        if m["unit"] == "季度":
            ends = [(f"第{_CN_QUARTERS[q]}季度", _month_end(y, 3 * q + 3)) for q in range(4)]
            rule, fallback = QUARTERLY, "季度任务"
        elif m["unit"] == "半年":
            ends = [("上半年", date(y, 6, 30)), ("下半年", date(y, 12, 31))]
            rule, fallback = HALF_YEARLY, "半年任务"
        else:
            ends = [(f"{mo}月", _month_end(y, mo)) for mo in range(1, 13)]
            rule, fallback = MONTHLY, "月度任务"
        for period, day in ends:
            # A period that ended before the plan was published cannot be due under it.
            if day >= ctx.plan.meta.published:
                yield ctx.deadline(day, f"{period} {what or fallback}", c.text, rule, INFERRED)


# Order matters: editions claim 第24届 before anything reads its digits, a table event claims its
# name before the generic event rule, ranges and dates claim their years before the year rule.
_RULES = (_editions, _table_events, _other_events, _year_ranges, _dates, _years, _relative_spans, _recurring)


def _scan_item(plan: Plan, item: Item, events: Mapping[str, Event]) -> tuple[list[Deadline], list[Mention]]:
    """Deadlines (sorted by date) and mentions of one numbered item."""
    ctx = _Context(plan, item, events)
    found: list[Deadline | Mention] = [
        ctx.deadline(_year_end(plan.meta.year), ANNUAL_LABEL, plan.meta.title, PLAN_YEAR_END, DEFAULT)
    ]
    for text in _clauses(item):
        clause = _Clause(text)
        for rule in _RULES:
            found.extend(rule(ctx, clause))
    deadlines = _unique(d for d in found if isinstance(d, Deadline))
    mentions = _unique(m for m in found if isinstance(m, Mention))
    return sorted(deadlines, key=_sort_key), mentions


def _unique(things: Iterable[_T]) -> list[_T]:
    """First of each (date, label) deadline or (phrase, kind) mention, in order."""
    seen: set[tuple[object, ...]] = set()
    out: list[_T] = []
    for t in things:
        key = (t.date, t.label) if isinstance(t, Deadline) else (t.phrase, t.kind)
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


def _sort_key(d: Deadline) -> tuple[date, int, str]:
    """By date; on the same day the annual default first, then in rule order."""
    return d.date, RULES.index(d.rule), d.label


# ---------------------------------------------------------------- public API


def extract(plan: Plan, events: Mapping[str, Event] | None = None) -> tuple[list[Deadline], list[Mention]]:
    """Deadlines and mentions of items 1..N; events default to the table's entries for the plan year."""
    table = load_events(plan.meta.year) if events is None else events
    deadlines: list[Deadline] = []
    mentions: list[Mention] = []
    for item in plan.items:
        d, m = _scan_item(plan, item, table)
        deadlines += d
        mentions += m
    return deadlines, mentions


def deadlines_for(plan: Plan, item_number: int, events: Mapping[str, Event] | None = None) -> list[Deadline]:
    """One item's deadlines sorted by date; KeyError for an unknown item, [] for the preamble."""
    item = plan.item(item_number)
    if item.is_preamble:
        return []
    return _scan_item(plan, item, load_events(plan.meta.year) if events is None else events)[0]


def deadline_json(d: Deadline) -> dict[str, object]:
    """A deadline as JSON-ready data: plan, item, date (YYYY-MM-DD), label, phrase, rule, confidence."""
    return {
        "plan": d.plan, "item": d.item, "date": d.date.isoformat(), "label": d.label,
        "phrase": d.phrase, "rule": d.rule, "confidence": d.confidence,
    }


def deadline_uid(d: Deadline) -> str:
    """A UID that stays the same across exports, so calendars update events instead of duplicating them."""
    key = f"{d.plan}|{d.item}|{d.date.isoformat()}|{d.label}"
    return f"{hashlib.sha1(key.encode('utf-8')).hexdigest()[:24]}@plan-bot"


def to_ics(deadlines: Iterable[Deadline], plans_by_id: Mapping[str, Plan]) -> bytes:
    """An iCalendar file with one all-day VEVENT per deadline."""
    from icalendar import Calendar  # noqa: PLC0415 — only the export needs it
    from icalendar import Event as VEvent

    cal = Calendar()
    cal.add("prodid", "-//plan-bot//deadlines//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    for d in deadlines:
        plan = plans_by_id[d.plan]
        item = plan.item(d.item)
        ev = VEvent()
        ev.add("uid", deadline_uid(d))
        # DTSTAMP is required; the plan's publish date keeps the export byte-for-byte reproducible.
        ev.add("dtstamp", datetime.combine(plan.meta.published, time(), tzinfo=timezone.utc))
        ev.add("dtstart", d.date)
        ev.add("dtend", d.date + timedelta(days=1))  # all-day events end on the next day (RFC 5545)
        ev.add("summary", f"{item.number}. {item.title}：{d.label}")
        ev.add("description", f"{d.phrase}\n{plan.meta.short_title} › {item.ref}\n依据：{d.rule}（{d.confidence}）")
        ev.add("categories", [d.confidence])
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()
