"""Texts of the reminder commands and of the reminders themselves (Telegram HTML or plain text).

Every piece of dynamic text goes through `Style.esc`; dates are shown as 2026-12-01（周二）.
"""

from __future__ import annotations

from datetime import date, time
from typing import Callable, Sequence

from bot.reminders.dates import days_until, weekday
from bot.reminders.schedule import DueDate
from bot.reminders.store import ALL, SECTION, Chat, PersonalReminder, Subscription
from bot.render import TELEGRAM_LIMIT, Style, cut, provenance, short_ref, sources, utf16_len
from corpus import Deadline, Item, Plan, Section
from corpus.deadlines import NAMED_EVENT, PLAN_YEAR_END

LIST_LIMIT = 12  # due dates listed at most in one subscribe reply
Ahead = Callable[[DueDate], Sequence[int]]  # a due date → its lead times whose reminder is still to come


def _all_ahead(dd: DueDate) -> Sequence[int]:
    return (-1,)  # "every lead time": callers that do not say (no clock) promise nothing less


def lead_words(leads: Sequence[int]) -> str:
    """`前 7 天、前 1 天` (当天 for 0)."""
    return "、".join("当天" if n == 0 else f"前 {n} 天" for n in leads)


def reminder_note(dd: DueDate, ahead: Ahead, all_leads: Sequence[int]) -> str:
    """After an upcoming date: nothing when every lead time is still to come, else which are left, or
    that none is (the date brings no reminder)."""
    left = ahead(dd)
    if left == (-1,) or tuple(left) == tuple(all_leads):
        return ""
    if not left:
        return " ⚠️ 提醒时间已过，这个日期不会再提醒"
    return f" ⚠️ 只剩{lead_words(left)}的提醒"


def day_text(day: date) -> str:
    """`2026-12-01（周二）`."""
    return f"{day.isoformat()}（{weekday(day)}）"  # callers write the time right after, no space


def deadline_label(d: Deadline, style: Style) -> str:
    """年度任务 for the annual default; the plan's own words in quotes otherwise (“今明两年”)."""
    if d.rule == PLAN_YEAR_END or d.label not in d.phrase:
        return style.esc(d.label)
    return f"“{style.esc(d.label)}”"


def due_date_label(dd: DueDate, style: Style) -> str:
    """The labels of a due date's deadlines: 年度任务、“第四季度 专题报告会”."""
    return "、".join(deadline_label(d, style) for d in dd.deadlines)


def due_line(dd: DueDate, today: date, style: Style, *, item: bool = False, note: str = "") -> str:
    """`2022-12-31 “今明两年”（已过）` or `… （还有 37 天）`; with `item`, the item number too; `note`
    after it (which reminders are left)."""
    where = f"第{dd.item}条 " if item else ""
    when = "已过" if dd.date < today else days_until(dd.date, today)
    return f"· {dd.date.isoformat()} {where}{due_date_label(dd, style)}（{when}）{note}"


def leads_text(chat: Chat | None, default_leads: Sequence[int], default_at: time) -> str:
    """`前 7 天、1 天的 09:00` (当天 for 0)."""
    leads = chat.leads if chat else tuple(default_leads)
    at = chat.at if chat else default_at
    return f"截止日{lead_words(leads)}的 {at.strftime('%H:%M')}"


def scope_name(sub: Subscription, plans: dict[str, Plan], style: Style) -> str:
    """How a subscription is named: 全部条目, 第三部分 建设高质量教育体系, 第15条 推动高等教育提质创新发展."""
    if sub.scope == ALL:
        return "全部条目（包括以后加入的计划）"
    plan = plans.get(sub.plan)
    if plan is None:
        return style.esc(f"{sub.plan} {sub.scope} {sub.number}")
    if sub.scope == SECTION:
        s = plan.section(sub.number)
        return f"第{style.esc(s.numeral)}部分 {style.esc(s.title)}"
    return f"第{sub.number}条 {style.esc(plan.item(sub.number).title)}"


def passed_note(dates: Sequence[DueDate], today: date, style: Style, *, whose: str = "",
                ahead: Ahead = _all_ahead) -> str:
    """What a subscription can still bring: the next date that brings a reminder (a nearer date whose
    reminder times have passed is named as such), or that every date has passed."""
    upcoming = [d for d in dates if d.date >= today]
    if not dates:
        return f"{whose}没有写明日期"
    if upcoming:
        def shown(d: DueDate) -> str:
            return f"{d.date.isoformat()} 第{d.item}条 {due_date_label(d, style)}（{days_until(d.date, today)}）"
        reminded = [d for d in upcoming if ahead(d)]
        if reminded and reminded[0] is upcoming[0]:
            return f"下一个：{shown(upcoming[0])}"
        text = f"最近的日期 {shown(upcoming[0])} 提醒时间已过，不会再提醒"
        return text + (f"；下一个提醒：{shown(reminded[0])}" if reminded else "；之后没有会提醒的日期")
    last = max(d.date for d in dates)
    return f"{whose}日期都已过去，最后一个是 {last.isoformat()}"


def _will_remind(upcoming: Sequence[DueDate], leads: str, ahead: Ahead, all_leads: Sequence[int]) -> str:
    """What the subscription brings for its upcoming dates: only the reminders that will be sent."""
    if any(ahead(d) for d in upcoming):
        marked = any(reminder_note(d, ahead, all_leads) for d in upcoming)
        tail = "（标了 ⚠️ 的日期只发还没过的提醒）" if marked else ""
        return f"会在{leads} 提醒你{tail}（/lead 可以修改）。"
    return "这些日期的提醒时间都已过，不会再发提醒（想在自己定的时间收到提醒：/remind）。"


def subscribe_item_text(item: Item, plan: Plan, dates: Sequence[DueDate], today: date, new: bool, leads: str,
                        style: Style, *, ahead: Ahead = _all_ahead, all_leads: Sequence[int] = ()) -> str:
    """/subscribe 15: what was recorded, the item's dates with their source, and what will happen
    (only reminders still to come are promised)."""
    head = "🔔 已订阅：" if new else "🔔 你已经订阅过："
    lines = [head + style.bold(item.ref), "", style.bold("时间节点")]
    lines += [due_line(d, today, style, note=reminder_note(d, ahead, all_leads) if d.date >= today else "")
              for d in dates] or ["（这一条没有写明日期）"]
    lines.append("")
    upcoming = [d for d in dates if d.date >= today]
    if upcoming:
        lines.append(_will_remind(upcoming, leads, ahead, all_leads))
    else:
        last = max((d.date for d in dates), default=None)
        if last is not None:
            lines.append(f"这一条的日期都已过去（最后一个是 {last.isoformat()}），不会再发提醒。")
        lines.append("订阅已保存：这一条以后补充的日期会按时提醒（想连以后加入的新计划一起订阅：/subscribe all）。")
    lines.append(f"想在自己定的日子收到提醒：/remind {item.number} {style.esc('<日期>')}"
                 "（日期写成 X月X日 或 年-月-日）。")
    lines.append(provenance(plan, style))
    return "\n".join(lines)


def subscribe_many_text(what: str, dates: Sequence[DueDate], today: date, new: bool, leads: str, style: Style,
                        *, first_item: int | None = None, ahead: Ahead = _all_ahead,
                        all_leads: Sequence[int] = ()) -> str:
    """/subscribe 三 or /subscribe all (`first_item` None): a summary of the dates it covers and what will
    happen (only reminders still to come are promised)."""
    head = "🔔 已订阅：" if new else "🔔 你已经订阅过："
    upcoming = [d for d in dates if d.date >= today]
    lines = [head + style.bold(what), f"共 {len(dates)} 个时间节点，还没到的 {len(upcoming)} 个。"]
    if upcoming:
        lines += [due_line(d, today, style, item=True, note=reminder_note(d, ahead, all_leads))
                  for d in upcoming[:LIST_LIMIT]]
        if len(upcoming) > LIST_LIMIT:
            lines.append(f"……还有 {len(upcoming) - LIST_LIMIT} 个（/subscriptions 查看下一个）")
        lines.append(_will_remind(upcoming, leads, ahead, all_leads))
    else:
        lines.append(passed_note(dates, today, style, whose="这些条目的") + "，不会再发提醒。")
        if first_item is None:  # everything: plans added later too
            lines.append("订阅已保存：以后补充的日期和新加入的计划会按时提醒你。")
        else:
            lines.append("订阅已保存：这一部分以后补充的日期会按时提醒你。")
        n = first_item if first_item is not None else 15
        lines.append(f"想在自己定的日子收到提醒：/remind {n} {style.esc('<日期>')}（把 {n} 换成条目编号）。")
    return "\n".join(lines)


def subscriptions_text(subs: Sequence[tuple[Subscription, Sequence[DueDate]]], plans: dict[str, Plan],
                       today: date, leads: str, pending: int, style: Style, *, ahead: Ahead = _all_ahead) -> str:
    """/subscriptions: each subscription with its next date (or that its dates have passed)."""
    if not subs:
        lines = ["还没有订阅。发送 /subscribe 15 订阅第 15 条，/subscribe 三 订阅第三部分，/subscribe all 订阅全部。"]
    else:
        lines = [style.bold("你的订阅"), f"提醒时间：{leads}（/lead 修改）", ""]
        for sub, dates in subs:
            lines.append(f"· {scope_name(sub, plans, style)}")
            lines.append(f"  {passed_note(dates, today, style, ahead=ahead)}")
    if pending:
        lines += ["", f"个人提醒：{pending} 个（/reminders 查看）"]
    return "\n".join(lines)


def deadlines_item_text(item: Item, plan: Plan, dates: Sequence[DueDate], today: date, style: Style) -> str:
    """/deadlines 15: upcoming dates first, then past ones marked as past, each with its source words."""
    upcoming = [d for d in dates if d.date >= today]
    past = [d for d in dates if d.date < today]
    lines = [f"🗓 {style.bold(item.ref)}"]
    if not dates:
        lines.append("这一条没有写明日期。")
    for dd in upcoming + past:
        lines.append(due_line(dd, today, style))
        for d in dd.deadlines:
            if d.rule != PLAN_YEAR_END:
                lines.append(f"  原文：“{style.esc(d.phrase)}”")
    if dates and not upcoming:
        lines.append("这些日期都已过去。")
    lines.append(f"订阅提醒：/subscribe {item.number}；自己定日子：/remind {item.number} {style.esc('<日期>')}")
    return "\n".join(lines)


def deadlines_plan_text(plan: Plan, dates: Sequence[DueDate], today: date, style: Style) -> str:
    """/deadlines: every date of a plan, upcoming first, the same label on one day merged across items."""
    groups: dict[tuple[date, str], list[int]] = {}
    for dd in dates:
        groups.setdefault((dd.date, due_date_label(dd, style)), []).append(dd.item)
    keys = sorted(groups, key=lambda k: (k[0] < today, k[0], k[1]))
    lines = [f"🗓 {style.bold(plan.meta.short_title)} 的时间节点"]
    for day, label in keys:
        when = "已过" if day < today else days_until(day, today)
        lines.append(f"· {day.isoformat()} {label} — {item_ranges(groups[(day, label)])}（{when}）")
    if keys and all(k[0] < today for k in keys):
        lines.append("这份计划的日期都已过去。")
    lines.append("发送 /deadlines 15 查看某一条的日期和原文。")
    return "\n".join(lines)


def item_ranges(numbers: Sequence[int]) -> str:
    """[1, 2, 3, 5] → `第 1–3、5 条`."""
    nums = sorted(set(numbers))
    runs: list[str] = []
    start = prev = nums[0]
    for n in nums[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        runs.append(str(start) if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    return f"第 {'、'.join(runs)} 条"


def remind_set_text(item: Item, reminder: PersonalReminder, today: date, style: Style, *, exists: bool = False,
                    note_cut_to: int = 0) -> str:
    """/remind: what was set (or, with `exists`, that the same reminder is already pending); with
    `note_cut_to`, that the note was longer and only its first `note_cut_to` characters were kept."""
    note = f"\n备注：{style.esc(reminder.note)}" if reminder.note else ""
    if note_cut_to:
        note += f"\n（备注超过 {note_cut_to} 个字，已截短为前 {note_cut_to} 个字。）"
    head = "⏰ 这个提醒已经设过了，不会重复发送：" if exists else "⏰ 好的："
    return (f"{head}{day_text(reminder.local_date)}{reminder.local_time.strftime('%H:%M')} 提醒你看 "
            f"{style.bold(short_ref(item))}（{days_until(reminder.local_date, today)}）。{note}\n"
            "发送 /reminders 查看或取消。")


LIST_NOTE_CHARS = 24  # a note's start in the list, in UTF-16 units (the reminder itself carries the whole note)
LIST_LABEL_CHARS = 20  # an item's label in the list (UTF-16 units)


def reminders_text(rows: Sequence[tuple[PersonalReminder, Item | None]], style: Style,
                   limit: int = TELEGRAM_LIMIT) -> str:
    """/reminders: the pending personal reminders, numbered like their cancel buttons — always one
    message, so that a cancel can rewrite the whole list (notes are left out if they would not fit)."""
    if not rows:
        return "没有待发的个人提醒。设一个：/remind 15 12月1日 9:30 备注（条目、日期，时间和备注可以不写）。"

    def listing(with_notes: bool) -> str:
        lines = [style.bold("你的个人提醒")]
        for i, (r, item) in enumerate(rows, start=1):
            what = _cut(short_ref(item) if item else f"{r.plan} 第{r.item}条", LIST_LABEL_CHARS)
            note = f" · 备注：{style.esc(_cut(r.note, LIST_NOTE_CHARS))}" if r.note and with_notes else ""
            lines.append(f"{i}. {day_text(r.local_date)}{r.local_time.strftime('%H:%M')} · {style.esc(what)}{note}")
        lines.append("按下面的按钮取消。" if with_notes else "按下面的按钮取消（备注太长，这里省略；提醒发出时会附上）。")
        return "\n".join(lines)

    text = listing(with_notes=True)
    return text if utf16_len(text) <= limit else listing(with_notes=False)


def lead_text(chat: Chat | None, leads: str, tz_name: str, changed: bool) -> str:
    """/lead: the chat's lead days and time, and how to change them."""
    head = "好的，" if changed else "现在："
    return (f"{head}在{leads}（{tz_name}）提醒。\n"
            "修改：/lead 3 1 表示截止前 3 天和 1 天；/lead 7 1 08:30 同时改时间；/lead 0 表示当天。")


def deadline_reminder_text(item: Item, plan: Plan, dd: DueDate, today: date, style: Style) -> str:
    """A reminder of a due date: how far away, the item, what is due and the plan's words."""
    if all(d.rule == NAMED_EVENT for d in dd.deadlines):  # 推普周…: the event's last day, not a deadline
        lines = [f"⏰ {days_until(dd.date, today)}活动结束：{day_text(dd.date)}", f"📌 {style.bold(item.ref)}",
                 f"活动：{due_date_label(dd, style)}（这一天是活动日期的最后一天）"]
    else:
        lines = [f"⏰ {days_until(dd.date, today)}截止：{day_text(dd.date)}", f"📌 {style.bold(item.ref)}",
                 f"时间节点：{due_date_label(dd, style)}"]
    for d in dd.deadlines:
        if d.rule != PLAN_YEAR_END:
            lines.append(f"原文：“{style.esc(_cut(d.phrase, 300))}”")
    lines.append(provenance(plan, style))
    return "\n".join(lines)


def digest_text(rows: Sequence[tuple[Item, Plan, DueDate]], today: date, style: Style, *, more: str = "") -> str:
    """Several reminders of one date (at one lead time) in one message: the date and how far away it is,
    then one line per item — `15. 标题`, its label and the plan's words — and the sources; `more` last."""
    day = rows[0][2].date
    events = all(d.rule == NAMED_EVENT for _, _, dd in rows for d in dd.deadlines)
    what = "活动结束" if events else "截止"
    lines = [f"⏰ {days_until(day, today)}{what}：{day_text(day)} · {len(rows)} 条", ""]
    for item, _, dd in rows:
        label = due_date_label(dd, style)
        if all(d.rule == NAMED_EVENT for d in dd.deadlines) and not events:
            label += "（活动最后一天）"
        words = "；".join(f"“{style.esc(_cut(d.phrase, 120))}”" for d in dd.deadlines if d.rule != PLAN_YEAR_END)
        lines.append(f"📌 {style.bold(short_ref(item))} · {label}" + (f" · {words}" if words else ""))
    if more:
        lines += ["", more]
    plans: list[Plan] = []
    for _, plan, _ in rows:
        if plan not in plans:
            plans.append(plan)
    lines.append(sources(plans, style))
    return "\n".join(lines)


def personal_reminder_text(item: Item | None, plan: Plan | None, reminder: PersonalReminder, style: Style) -> str:
    """A personal reminder on its day: the item and the note."""
    lines = [f"⏰ 你设的提醒：{day_text(reminder.local_date)}{reminder.local_time.strftime('%H:%M')}"]
    lines.append(f"📌 {style.bold(item.ref)}" if item else f"📌 {style.esc(reminder.plan)} 第{reminder.item}条")
    if reminder.note:
        lines.append(f"备注：{style.esc(reminder.note)}")
    if plan is not None:
        lines.append(provenance(plan, style))
    return "\n".join(lines)


def calendar_caption(what: str, count: int, past: int, style: Style) -> str:
    """The caption of an .ics file."""
    note = f"，其中 {past} 个已过" if past else ""
    return f"🗓 {style.esc(what)}：{count} 个时间节点{note}。可以导入手机或电脑的日历。"


def section_label(section: Section) -> str:
    """`第三部分 建设高质量教育体系`."""
    return f"第{section.numeral}部分 {section.title}"


def _cut(text: str, limit: int) -> str:
    return cut(text, limit)  # in UTF-16 code units, as Telegram counts
