"""The reminder commands' replies, with no Telegram in sight: /subscribe, /unsubscribe, /subscriptions,
/deadlines, /remind, /reminders, /lead, /calendar, their buttons, and the reminder messages themselves.

Bad input is answered with what to write instead, and nothing is stored. Subscribing to an item
whose dates have all passed says so plainly, lists them with their source, still records the
subscription and offers `/remind N <日期>`; no date is ever made up.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from functools import cached_property, lru_cache
from typing import Sequence

from bot.reminders import render as rr
from bot.reminders.dates import MAX_YEARS_AHEAD, DateError, parse_time, parse_when
from bot.reminders.schedule import Catalogue, Due, DueDate, day_end, leads_ahead, local_moment
from bot.reminders.store import ALL, DEFAULT_AT, DEFAULT_LEADS, ITEM, SECTION, ReminderStore, Subscription
from bot.render import TEXT, Style, cut, short_ref, split_message
from bot.replies import CANCEL, UNSUB, Button, Clock, Document, Keyboard, Origin, Reply, button_data
from bot.replies import ITEM as ITEM_BUTTON
from corpus import Item, Plan
from corpus.deadlines import to_ics
from index import Index, RefError, parse_section_ref

ALL_WORDS = {"all", "全部", "所有", "全部条目", "所有条目"}
SCOPE_CODES = {ALL: 0, SECTION: 1, ITEM: 2}
MAX_LEADS = 5
MAX_LEAD_DAYS = 90
MAX_NOTE_CHARS = 200
MAX_PENDING = 50  # personal reminders per chat
MAX_SUB_BUTTONS = 30
DIGEST_BUTTONS = 8  # [查看全文 N] under a digest at most
_CN_NUMERAL = re.compile(r"[一二三四五六七八九十]+")
_SECTION_HINT = re.compile(r"部分|^section|^part|、$", re.IGNORECASE)
_LEAD_DAYS = re.compile(r"\d{1,3}")


@lru_cache(maxsize=8)
def catalogue_for(plans: tuple[Plan, ...]) -> Catalogue:
    """The due dates of these plans, extracted once per process."""
    return Catalogue(plans)


@dataclass(frozen=True)
class Target:
    """What /subscribe and /unsubscribe name: an item, a section, or everything."""

    scope: str
    plan: Plan
    number: int


class ReminderCommands:
    """Replies of the reminder commands for one index and store, in one time zone and style."""

    def __init__(self, index: Index, book: ReminderStore, clock: Clock, tz: tzinfo, style: Style) -> None:
        self.index = index
        self.book = book
        self.clock = clock
        self.tz = tz
        self.style = style

    @cached_property
    def catalogue(self) -> Catalogue:
        """Every plan's due dates (built on first use)."""
        return catalogue_for(tuple(self.index.plans))

    def today(self) -> date:
        """The local date now."""
        return self.clock().astimezone(self.tz).date()

    # ---- /subscribe, /unsubscribe, /subscriptions ---------------------------------------------
    def subscribe(self, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """/subscribe 15 | 三 | all: record the subscription and say what it will bring."""
        if not arg:
            return self._text(self._usage("subscribe"))
        try:
            target = self.target(arg)
        except RefError as exc:
            return self._text(f"{self.style.esc(str(exc))}\n{self._usage('subscribe')}")
        _, new = self.book.subscribe(origin.chat_id, target.plan.id, target.scope, target.number, self.clock())
        return self._subscribed(target, new, origin)

    def subscribe_press(self, origin: Origin, plan: Plan, number: int) -> Reply:
        """The 订阅提醒 button: the same as /subscribe N, with a short notice."""
        item = plan.item(number)
        if item.is_preamble:
            return Reply(notice="总体要求没有单独的时间节点，请订阅具体条目。", alert=True)
        _, new = self.book.subscribe(origin.chat_id, plan.id, ITEM, number, self.clock())
        shown = self._subscribed(Target(ITEM, plan, number), new, origin)
        notice = f"已订阅第 {number} 条的提醒" if new else f"你已经订阅过第 {number} 条"
        return Reply(shown.messages, shown.buttons, notice=notice)

    def _subscribed(self, target: Target, new: bool, origin: Origin) -> Reply:
        today = self.today()
        leads = self._leads_text(origin)
        pos = self._pos(target.plan)
        if target.scope == ITEM:
            item = target.plan.item(target.number)
            dates = self.catalogue.item_dates(target.plan.id, item.number)
            text = rr.subscribe_item_text(item, target.plan, dates, today, new, leads, self.style,
                                          ahead=self._ahead(origin), all_leads=self._all_leads(origin))
            buttons = ((Button(f"全文 {item.number}", button_data(ITEM_BUTTON, pos, item.number)),
                        Button("取消订阅", self._unsub_data(target.scope, pos, target.number))),)
            return Reply(tuple(split_message(text)), buttons)
        if target.scope == SECTION:
            section = target.plan.section(target.number)
            what = rr.section_label(section)
            first = section.items[0]
        else:
            what, first = "全部条目（包括以后加入的计划）", None
        dates = self.catalogue.covered(target.scope, target.plan.id, target.number)
        text = rr.subscribe_many_text(what, dates, today, new, leads, self.style, first_item=first,
                                      ahead=self._ahead(origin), all_leads=self._all_leads(origin))
        return Reply(tuple(split_message(text)), ((Button("取消订阅", self._unsub_data(target.scope, pos, target.number)),),))

    def unsubscribe(self, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """/unsubscribe 15 | 三 | all (all: every subscription of this chat)."""
        if not arg:
            return self._text(self._usage("unsubscribe"))
        now = self.clock()
        if _normal(arg).lower() in ALL_WORDS:
            n = self.book.unsubscribe_everything(origin.chat_id)
            forgot = self.book.forget_chat_if_idle(origin.chat_id, now, self.today())
            if not n:
                return self._text("你没有任何订阅。")
            chat = self.book.chat(origin.chat_id)
            if forgot:
                tail = "，也删除了本聊天的提醒设置和聊天编号。"
            elif chat is not None and chat.custom:
                tail = "。本聊天的 /lead 设置保留（改回默认 /lead 7 1 09:00 后再 /unsubscribe all，就会删除聊天编号）。"
            else:
                tail = "。个人提醒（/reminders）不受影响。"
            return self._text(f"已取消全部 {n} 个订阅，不会再发时间节点提醒{tail}")
        try:
            target = self.target(arg)
        except RefError as exc:
            return self._text(f"{self.style.esc(str(exc))}\n{self._usage('unsubscribe')}")
        return self._text(self._unsubscribe(origin, target))

    def unsubscribe_press(self, origin: Origin, plan: Plan, code: int, number: int) -> Reply:
        """The 取消订阅 button under a reminder or a subscription: a notice (plain text)."""
        scope = {v: k for k, v in SCOPE_CODES.items()}.get(code)
        if scope is None:
            raise ValueError(f"unknown scope code {code}")
        text = self._unsubscribe(origin, Target(scope, plan, number), style=TEXT)  # a notice is plain text
        return Reply(notice=cut(text, 200), alert=True)  # Telegram's limit for a notice, in UTF-16 units

    def _unsubscribe(self, origin: Origin, target: Target, style: Style | None = None) -> str:
        style = style or self.style
        name = self._target_name(target, style)
        removed = self.book.unsubscribe(origin.chat_id, target.plan.id, target.scope, target.number)
        if not removed:
            return f"你没有订阅{name}。发送 /subscriptions 查看你的订阅。"
        still = [s for s in self.book.subscriptions(origin.chat_id) if self._covers(s, target)]
        text = f"已取消订阅{name}。"
        if still:
            others = "、".join(rr.scope_name(s, self.catalogue.by_id, style) for s in still)
            text += f"你仍通过“{others}”收到它的提醒（/subscriptions 管理）。"
        return text

    def subscriptions(self, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """/subscriptions: each subscription with its next date, and cancel buttons."""
        now = self.clock()
        subs = self.book.subscriptions(origin.chat_id)
        pending = len(self.book.pending_reminders(origin.chat_id, now))
        rows = [(s, self.catalogue.covered(s.scope, s.plan, s.number)) for s in subs]
        text = rr.subscriptions_text(rows, self.catalogue.by_id, self.today(), self._leads_text(origin), pending,
                                     self.style, ahead=self._ahead(origin))
        buttons = [Button(f"取消 {self._short_name(s)}", self._unsub_data(s.scope, self._pos_of(s.plan), s.number))
                   for s in subs[:MAX_SUB_BUTTONS] if s.scope == ALL or s.plan in self.catalogue.by_id]
        return Reply(tuple(split_message(text)), _rows(buttons, 3))

    # ---- /deadlines, /calendar ----------------------------------------------------------------
    def deadlines(self, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """/deadlines [N]: an item's dates (or every plan's), upcoming first, past ones marked as past."""
        today = self.today()
        if arg:
            try:
                item = self._item(arg)
            except RefError as exc:
                return self._text(self.style.esc(str(exc)))
            plan = self.index.plan(item.plan)
            text = rr.deadlines_item_text(item, plan, self.catalogue.item_dates(plan.id, item.number), today, self.style)
        else:
            text = "\n\n".join(rr.deadlines_plan_text(p, [d for d in self.catalogue.dates if d.plan == p.id], today,
                                                      self.style) for p in self.index.plans)
        return Reply(tuple(split_message(text)))

    def calendar(self, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """/calendar [N]: an .ics file of the item's dates, or of the chat's subscriptions."""
        if arg:
            try:
                item = self._item(arg)
            except RefError as exc:
                return self._text(self.style.esc(str(exc)))
            dates = self.catalogue.item_dates(item.plan, item.number)
            what, filename = short_ref(item), f"plan-bot-{item.plan}-{item.number}.ics"
        else:
            subs = self.book.subscriptions(origin.chat_id)
            if not subs:
                return self._text("还没有订阅，日历是空的。发送 /calendar 15 导出第 15 条的日期，或先 /subscribe 15。")
            seen: dict[tuple[str, int, date], DueDate] = {}
            for s in subs:
                for dd in self.catalogue.covered(s.scope, s.plan, s.number):
                    seen[(dd.plan, dd.item, dd.date)] = dd
            dates = sorted(seen.values(), key=lambda d: (d.date, d.plan, d.item))
            what, filename = "我的订阅", "plan-bot-subscriptions.ics"
        deadlines = [d for dd in dates for d in dd.deadlines]
        if not deadlines:
            return self._text("这里没有写明日期的时间节点，日历是空的。")
        past = sum(1 for d in deadlines if d.date < self.today())
        data = to_ics(deadlines, self.catalogue.by_id)
        return Reply(document=Document(filename, data, rr.calendar_caption(what, len(deadlines), past, self.style)))

    # ---- /remind, /reminders --------------------------------------------------------------------
    def remind(self, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """/remind 15 2026-12-01 [09:30] [备注]: a personal reminder on a day of the user's choosing."""
        if not arg:
            return self._text(self._usage("remind"))
        ref, _, rest = _normal(arg).partition(" ")
        try:
            item = self._item(ref)
        except RefError as exc:
            return self._text(f"{self.style.esc(str(exc))}\n{self._usage('remind')}")
        if not rest.strip():
            return self._text(f"请写上日期，例如 /remind {item.number} 12月1日，或 /remind {item.number} 2026-12-01 09:30 备注。")
        now, today = self.clock(), self.today()
        try:
            when = parse_when(rest, today)
        except DateError as exc:
            return self._text(self.style.esc(f"{exc}\n例如：/remind {item.number} 12月1日 9:30 交材料"))
        if when.day < today:
            return self._text(f"{when.day.isoformat()} 已经过去了（今天是 {today.isoformat()}），请写今天以后的日期。")
        if when.day > today + timedelta(days=365 * MAX_YEARS_AHEAD):
            return self._text(f"最多只能提前 {MAX_YEARS_AHEAD} 年设提醒，请换一个近一点的日期。")
        chat = self.book.chat(origin.chat_id)
        at = when.at or (chat.at if chat else DEFAULT_AT)
        due_at = local_moment(when.day, at, self.tz)
        if due_at <= now:
            later = now.astimezone(self.tz) + timedelta(hours=1)
            day = "今天" if later.date() == today else "明天"  # near midnight an hour later is tomorrow
            return self._text(f"今天 {at.strftime('%H:%M')} 已经过了，请写一个晚一点的时间，例如 "
                              f"/remind {item.number} {day} {later.strftime('%H:%M')}。")
        pending = self.book.pending_reminders(origin.chat_id, now)
        note = when.rest[:MAX_NOTE_CHARS]
        same = next((r for r in pending if (r.plan, r.item, r.local_date, r.local_time, r.note)
                     == (item.plan, item.number, when.day, at.replace(second=0, microsecond=0), note)), None)
        if same is None and len(pending) >= MAX_PENDING:
            return self._text(f"个人提醒最多 {MAX_PENDING} 个，请先用 /reminders 取消一些。")
        reminder = same or self.book.add_reminder(origin.chat_id, item.plan, item.number, when.day, at, due_at,
                                                  day_end(when.day, self.tz), note, now)
        pos = self._pos(self.index.plan(item.plan))
        buttons = ((Button(f"全文 {item.number}", button_data(ITEM_BUTTON, pos, item.number)),
                    Button("取消这个提醒", button_data(CANCEL, reminder.id))),)
        cut_to = MAX_NOTE_CHARS if len(when.rest) > MAX_NOTE_CHARS else 0
        return Reply((rr.remind_set_text(item, reminder, today, self.style, exists=same is not None,
                                         note_cut_to=cut_to),), buttons)

    def reminders(self, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """/reminders: pending personal reminders, each with a cancel button."""
        pending = self.book.pending_reminders(origin.chat_id, self.clock())
        rows = [(r, self._plan_item(r.plan, r.item)) for r in pending]
        buttons = [Button(f"取消 {i}", button_data(CANCEL, r.id)) for i, r in enumerate(pending, start=1)]
        return Reply(tuple(split_message(rr.reminders_text(rows, self.style))), _rows(buttons, 4))

    def cancel_press(self, origin: Origin, reminder_id: int) -> Reply:
        """A 取消 button of /reminders: cancel, then show the list again in the same message."""
        now = self.clock()
        done = self.book.cancel_reminder(origin.chat_id, reminder_id, now)
        listing = self.reminders("", origin)
        return Reply(listing.messages[:1], listing.buttons, notice="已取消这个提醒" if done else "这个提醒已经不在了",
                     edit=True)

    # ---- /lead --------------------------------------------------------------------------------
    def lead(self, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """/lead 3 1 [08:30]: how many days before a deadline, and at what time, this chat is reminded."""
        chat = self.book.chat(origin.chat_id)
        tz_name = str(getattr(self.tz, "key", self.tz))
        if not arg:
            return self._text(rr.lead_text(chat, self._leads_text(origin), tz_name, changed=False))
        leads: list[int] = []
        at = None
        for token in _normal(arg).replace(",", " ").replace("，", " ").replace("、", " ").split():
            days = token.removesuffix("天").removesuffix("日")  # /lead 3天 1天
            if _LEAD_DAYS.fullmatch(days) and int(days) <= MAX_LEAD_DAYS:
                leads.append(int(days))
                continue
            try:
                parsed, rest = parse_time(token)
            except DateError as exc:
                return self._text(self.style.esc(str(exc)))
            if parsed is None or rest:
                return self._text(f"“{self.style.esc(token[:20])}”不是有效的提前天数：请写 0–{MAX_LEAD_DAYS} 之间的整数"
                                  "（截止前几天提醒），例如 /lead 3 1；也可以加上时间，例如 /lead 7 1 08:30。")
            if at is not None:
                return self._text(f"只能写一个提醒时间（写了 {at.strftime('%H:%M')} 和 {parsed.strftime('%H:%M')}）："
                                  "例如 /lead 3 1 08:30 表示截止前 3 天和 1 天的 08:30 提醒。")
            at = parsed
        distinct = tuple(sorted(set(leads), reverse=True))
        if len(distinct) > MAX_LEADS:
            return self._text(f"最多设 {MAX_LEADS} 个提前天数，例如 /lead 7 3 1。")
        chat = self.book.set_settings(origin.chat_id, distinct or (chat.leads if chat else DEFAULT_LEADS),
                                      at or (chat.at if chat else DEFAULT_AT), self.clock())
        return self._text(rr.lead_text(chat, self._leads_text(origin), tz_name, changed=True))

    # ---- the reminder message -------------------------------------------------------------------
    def compose(self, due: Due) -> Reply:
        """The message of a due reminder: item, reference, date and distance, source words, buttons."""
        plan = self.catalogue.by_id.get(due.plan)
        item = self._plan_item(due.plan, due.item)
        if due.due_date is not None and plan is not None and item is not None:
            text = rr.deadline_reminder_text(item, plan, due.due_date, self.today(), self.style)
            row = [Button("查看全文", button_data(ITEM_BUTTON, self._pos(plan), item.number))]
            if due.subscription is not None:
                sub = due.subscription
                row.append(Button("取消订阅", self._unsub_data(sub.scope, self._pos_of(sub.plan), sub.number)))
            return Reply((text,), (tuple(row),))
        assert due.reminder is not None, due
        text = rr.personal_reminder_text(item, plan, due.reminder, self.style)
        buttons: Keyboard = ((Button("查看全文", button_data(ITEM_BUTTON, self._pos(plan), item.number)),),) \
            if plan is not None and item is not None else ()
        return Reply((text,), buttons)

    def compose_digest(self, group: Sequence[Due]) -> Reply:
        """Several reminders of one chat, date and lead time as one message (split only past Telegram's
        limit): a line per item, [查看全文 N] for the first few, and a cancel button per subscription that
        brought them, naming what it cancels. One reminder alone keeps its own message."""
        if len(group) == 1:
            return self.compose(group[0])
        rows: list[tuple[Item, Plan, DueDate]] = []
        subs: list[Subscription] = []
        for due in group:
            plan = self.catalogue.by_id.get(due.plan)
            item = self._plan_item(due.plan, due.item)
            if plan is None or item is None or due.due_date is None:
                continue  # a plan or item no longer shipped: nothing to show for it
            rows.append((item, plan, due.due_date))
            if due.subscription is not None and due.subscription not in subs:
                subs.append(due.subscription)
        if not rows:
            raise KeyError(f"no item of this digest is known: {group[0].key}…")
        order = {p.id: i for i, p in enumerate(self.index.plans)}
        rows.sort(key=lambda r: (order.get(r[1].id, len(order)), r[1].id, r[0].number))
        rest = len(rows) - DIGEST_BUTTONS
        more = (f"其余 {rest} 条：发送条目编号（如 {rows[-1][0].number}）看全文，/deadlines 查看全部日期。"
                if rest > 0 else "")
        text = rr.digest_text(rows, self.today(), self.style, more=more)
        items = [Button(f"查看全文 {item.number}", button_data(ITEM_BUTTON, self._pos(plan), item.number))
                 for item, plan, _ in rows[:DIGEST_BUTTONS]]
        cancels = [Button(self._cancel_label(s), self._unsub_data(s.scope, self._pos_of(s.plan), s.number))
                   for s in sorted(subs, key=lambda s: (SCOPE_CODES[s.scope], s.plan, s.number))[:MAX_SUB_BUTTONS]
                   if s.scope == ALL or s.plan in self.catalogue.by_id]
        return Reply(tuple(split_message(text)), _rows(items, 4) + _rows(cancels, 2))

    def _cancel_label(self, sub: Subscription) -> str:
        """取消订阅（全部）, 取消订阅 三, 取消订阅 15: the button says what it cancels."""
        if sub.scope == ALL:
            return "取消订阅（全部）"
        if sub.scope == SECTION:
            return f"取消订阅 {self.catalogue.by_id[sub.plan].section(sub.number).numeral}"
        return f"取消订阅 {sub.number}"

    # ---- helpers --------------------------------------------------------------------------------
    def target(self, arg: str) -> Target:
        """15 / 第15条 → an item; 三 / 第三部分 → a section; all / 全部 → everything. RefError otherwise."""
        text = _normal(arg)
        plan = self.index.plan()
        if text.lower() in ALL_WORDS:
            return Target(ALL, plan, 0)
        if _CN_NUMERAL.fullmatch(text):
            number = parse_section_ref(text)
            if number is not None and 1 <= number <= len(plan.sections):
                return Target(SECTION, plan, number)
        if _SECTION_HINT.search(text):
            return Target(SECTION, plan, self.index.section(text).number)
        return Target(ITEM, plan, self._item(text).number)

    def _item(self, ref: str) -> Item:
        """A numbered item of the newest plan; RefError for the preamble (it has no dates) or a bad ref."""
        item = self.index.item(ref)
        if item.is_preamble:
            raise RefError("总体要求没有单独的时间节点，请选具体条目，例如 15。")
        return item

    def _plan_item(self, plan_id: str, number: int) -> Item | None:
        plan = self.catalogue.by_id.get(plan_id)
        try:
            return plan.item(number) if plan else None
        except KeyError:
            return None

    def _target_name(self, target: Target, style: Style) -> str:
        if target.scope == ALL:
            return "全部条目"
        if target.scope == SECTION:
            return style.esc(rr.section_label(target.plan.section(target.number)))
        return f"第{target.number}条"

    def _short_name(self, sub: Subscription) -> str:
        if sub.scope == ALL:
            return "全部"
        if sub.scope == SECTION:
            return f"第{self.catalogue.by_id[sub.plan].section(sub.number).numeral}部分"
        return str(sub.number)

    def _covers(self, sub: Subscription, target: Target) -> bool:
        """True if `sub` still brings reminders of what `target` named (an item via its section or all)."""
        if target.scope != ITEM or sub.scope == ITEM:
            return False
        if sub.scope == ALL:
            return True
        return sub.plan == target.plan.id and self.catalogue.section_of(target.plan.id, target.number) == sub.number

    def _all_leads(self, origin: Origin) -> tuple[int, ...]:
        chat = self.book.chat(origin.chat_id)
        return chat.leads if chat else DEFAULT_LEADS

    def _ahead(self, origin: Origin) -> rr.Ahead:
        """A due date → the chat's lead times whose reminder is still to come (what will really be sent)."""
        chat = self.book.chat(origin.chat_id)
        leads, at = (chat.leads, chat.at) if chat else (DEFAULT_LEADS, DEFAULT_AT)
        now = self.clock()
        return lambda dd: leads_ahead(dd, leads, at, self.tz, now)

    def _leads_text(self, origin: Origin) -> str:
        return rr.leads_text(self.book.chat(origin.chat_id), DEFAULT_LEADS, DEFAULT_AT)

    def _unsub_data(self, scope: str, pos: int, number: int) -> str:
        return button_data(UNSUB, pos if scope != ALL else 0, SCOPE_CODES[scope], number if scope != ALL else 0)

    def _pos(self, plan: Plan) -> int:
        return self._pos_of(plan.id)

    def _pos_of(self, plan_id: str) -> int:
        return next((i for i, p in enumerate(self.index.plans) if p.id == plan_id), 0)

    def _usage(self, name: str) -> str:
        plan = self.index.plan()
        lo, hi = plan.item_range
        esc = self.style.esc
        return {
            "subscribe": f"用法：/subscribe 15 订阅第 15 条（{lo}–{hi}，也可以写 十五、第15条），/subscribe 三 订阅第三部分，"
                         "/subscribe all 订阅全部条目。",
            "unsubscribe": "用法：/unsubscribe 15 取消第 15 条，/unsubscribe 三 取消第三部分，/unsubscribe all 取消全部订阅。",
            "remind": esc(f"用法：/remind 15 <日期> [时间] [备注]，例如 /remind 15 12月1日、/remind 15 2026/12/1 9:30 交材料"
                          f"（条目 {lo}–{hi}；不写年份就是下一个这样的日子；不写时间按你的提醒时间）。"),
        }[name]

    def _text(self, text: str) -> Reply:
        return Reply(tuple(split_message(text)))


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _rows(buttons: list[Button], per_row: int) -> Keyboard:
    return tuple(tuple(buttons[i:i + per_row]) for i in range(0, len(buttons), per_row))
