"""What the bot answers, with no Telegram in sight: commands, questions, button presses and inline
queries in; `Reply` / `InlinePage` (plain domain objects holding rendered text and buttons) out.

The Telegram handlers (HTML style) and the offline console (TEXT style) both call `Logic`, so the
two always give the same answers. Button data carries ids only (`page:12:1`), never text.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import tzinfo
from typing import Callable, TypeVar
from zoneinfo import ZoneInfo

from bot import render
from bot.commands import COMMAND_NAMES, COMMANDS
from bot.config import DEFAULT_TZ
from bot.logs import Throttle
from bot.metrics import counted_answer
from bot.reminders.logic import ReminderCommands
from bot.render import HTML, Style
from bot.replies import (  # noqa: F401 — re-exported: the reply objects are part of this module's API
    CALLBACK_LIMIT,
    CANCEL,
    ITEM,
    NAV,
    PAGE,
    SECTION,
    SUB,
    UNSUB,
    VOTE,
    Button,
    Clock,
    Document,
    Keyboard,
    Origin,
    Reply,
    button_data,
    parse_button_data,
)
from bot.store import LoggedQuestion, Store, UnknownQuestion
from corpus import Item, Plan, Section
from index import Answer, Index, RefError

log = logging.getLogger(__name__)
T = TypeVar("T")
# Whether the question being handled was answered (None: not a question), for the one log line per update.
ANSWERED: ContextVar[bool | None] = ContextVar("answered", default=None)

PER_PAGE = 3  # items per answer page
MAX_PAGES = 3  # "more results" goes this deep
MAX_QUESTION_CHARS = 1000  # longer questions are cut before they are searched or logged
INLINE_PAGE = 10  # inline results per page (Telegram allows 50)
INLINE_MAX = 50  # inline results in all


@dataclass(frozen=True)
class InlineArticle:
    """One inline-mode result: id, title (plain), description (plain), message text (rendered)."""

    id: str
    title: str
    description: str
    text: str


@dataclass(frozen=True)
class InlinePage:
    """Inline results for one offset, and the offset of the next page ("" when there is none)."""

    articles: tuple[InlineArticle, ...]
    next_offset: str = ""


class Logic:
    """The bot's replies for one index and store, rendered in one style."""

    def __init__(self, index: Index, store: Store, clock: Clock, style: Style = HTML,
                 tz: tzinfo = ZoneInfo(DEFAULT_TZ), channel: str = "telegram") -> None:
        self.index = index
        self.channel = channel  # for the questions metric: telegram or console
        self.store = store
        self.clock = clock
        self.style = style
        self.tz = tz
        self._write_failures = Throttle(60.0)
        self.reminders = ReminderCommands(index, store.reminders, clock, tz, style)
        r = self.reminders
        self._commands: dict[str, Callable[[str, Origin, str], Reply]] = {
            "start": self.start, "help": self.help, "item": self.item, "sections": self.sections,
            "section": self.section, "subscribe": r.subscribe, "unsubscribe": r.unsubscribe,
            "subscriptions": r.subscriptions, "deadlines": r.deadlines, "remind": r.remind,
            "reminders": r.reminders, "lead": r.lead, "calendar": r.calendar,
        }
        if set(self._commands) != COMMAND_NAMES:
            raise RuntimeError(f"Logic and COMMANDS disagree: {sorted(set(self._commands) ^ COMMAND_NAMES)}")

    def swap_index(self, index: Index) -> None:
        """Answer from `index` from now on (a reload): the reminder commands read its plans too."""
        self.index = index
        self.reminders.index = index
        self.reminders.__dict__.pop("catalogue", None)  # rebuilt from the new plans on first use

    # ---- commands ---------------------------------------------------------------------------
    def command(self, name: str, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """Run the command `name` (no slash) with its argument text."""
        handler = self._commands.get(name.lower())
        if handler is None:
            return Reply((render.unknown_command_text(name, self.style),))
        self._reactivate(origin)
        return handler(arg.strip(), origin, bot_username)

    def start(self, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """/start, or a deep link: `item_15` opens item 15, `sections` the table of contents."""
        if arg.startswith("item_"):
            return self.item(arg.removeprefix("item_"), origin, bot_username)
        if arg == "sections":
            return self.sections("", origin, bot_username)
        return Reply((render.greeting_text(self.index.plan(), self.style),), self._section_keyboard())

    def help(self, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """/help: how to ask and every command."""
        return Reply((render.help_text(COMMANDS, self.style, bot_username),))

    def item(self, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """/item N: the whole item, with ‹ prev / next › and subscribe buttons (usage without N)."""
        if not arg.strip():
            lo, hi = self.index.plan().item_range
            return Reply((self.style.esc(f"用法：/item 15 查看第 15 条全文（{lo}–{hi}，也可以写 十五、第15条；"
                                         "/item 总体要求 查看总体要求）。"),))
        try:
            item = self._item(arg)
        except RefError as exc:
            return Reply((self.style.esc(str(exc)),))
        return self.item_card(item)

    def sections(self, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """/sections: the table of contents, one button per section."""
        plan = self.index.plan()
        return Reply((render.sections_text(plan, self.style),), self._section_keyboard())

    def section(self, arg: str, origin: Origin, bot_username: str = "") -> Reply:
        """/section 三: the section's items, one button each."""
        if not arg:
            return self.sections("", origin, bot_username)
        try:
            section = self.index.section(arg)
        except RefError as exc:
            return Reply((self.style.esc(str(exc)),))
        return self.section_list(self.index.plan(), section)

    # ---- questions --------------------------------------------------------------------------
    def ask(self, origin: Origin, text: str) -> Reply:
        """A question: log it, answer with the first page of items and their buttons. A message that
        is only an item reference (15, 十五, 第15条, 总体要求) gets that item's card, as /item does."""
        question = text.strip()[:MAX_QUESTION_CHARS]
        self._reactivate(origin)
        item = self._referenced_item(question)
        if item is not None:
            return self.item_card(item)
        started = time.perf_counter()
        answer = self.index.search(question, k=PER_PAGE * MAX_PAGES)
        counted_answer(self.channel, answer.answered, time.perf_counter() - started)
        ANSWERED.set(answer.answered)
        plan = self._plan_of(answer)
        logged = self._best_effort("log the question", lambda: self.store.log_question(
            origin.chat_id, question, [h.item.number for h in answer.hits], answer.answered, plan.id, self.clock()))
        return self._answer_page(logged.id if logged is not None else None, answer, 0)

    def _reactivate(self, origin: Origin) -> None:
        """A chat that writes to us can hear us again (best effort: answering never waits on a write)."""
        self._best_effort("mark the chat active", lambda: self.store.reminders.reactivate(origin.chat_id, self.clock()))

    def _best_effort(self, what: str, write: Callable[[], T]) -> T | None:
        """Run a write that an answer does not need; on a database error (read-only file, full disk,
        damaged table) log it — once a minute, with a count — and carry on without it."""
        try:
            return write()
        except sqlite3.Error as exc:
            held = self._write_failures.allow(what)
            if held is not None:
                more = f" ({held} more since the last report)" if held else ""
                log.error("could not %s, answering anyway: %s: %s%s", what, type(exc).__name__, exc, more)
            return None

    def non_text(self) -> Reply:
        """A sticker, photo, voice message…: ask for text."""
        return Reply((render.NON_TEXT_HINT,))

    # ---- buttons ----------------------------------------------------------------------------
    def press(self, origin: Origin, data: str) -> Reply:
        """A button press: its notice, and new messages or an edit of the pressed message."""
        try:
            action, ids = parse_button_data(data)
            plan = self._plan_at(ids[0]) if action in (ITEM, NAV, SUB, SECTION, UNSUB) else None
        except ValueError:
            return Reply(notice=render.STALE_BUTTON, alert=True)
        self._reactivate(origin)
        try:
            if plan is not None:  # set exactly for the buttons that name a plan
                if action == ITEM:
                    return self.item_card(_plan_item(plan, ids[1]))
                if action == NAV:
                    card = self.item_card(_plan_item(plan, ids[1]))
                    return Reply(card.messages, card.buttons, edit=len(card.messages) == 1)
                if action == SUB:
                    _plan_item(plan, ids[1])
                    return self.reminders.subscribe_press(origin, plan, ids[1])
                if action == UNSUB:
                    return self.reminders.unsubscribe_press(origin, plan, ids[1], ids[2])
                if action == SECTION:
                    return self.section_list(plan, self.index.section(ids[1], plan.id))
            if action == CANCEL:
                return self.reminders.cancel_press(origin, ids[0])
            if action == PAGE:
                return self._more(origin, ids[0], ids[1])
            return self._vote(origin, ids[0], ids[1])
        except (RefError, UnknownQuestion, KeyError, ValueError):
            return Reply(notice=render.STALE_QUESTION if action in (PAGE, VOTE) else render.STALE_BUTTON,
                         alert=True)

    def _more(self, origin: Origin, question_id: int, page: int) -> Reply:
        logged = self._logged(origin, question_id)
        answer = self.index.search(logged.question, k=PER_PAGE * MAX_PAGES)
        page = max(0, min(page, self._last_page(answer)))
        shown = self._answer_page(question_id, answer, page)
        return Reply(shown.messages[:1], shown.buttons, edit=True)

    def _vote(self, origin: Origin, question_id: int, vote: int) -> Reply:
        if vote not in (1, -1):
            raise UnknownQuestion(question_id)
        self._logged(origin, question_id)
        self.store.record_feedback(question_id, origin.user_id, vote, self.clock())
        return Reply(notice="谢谢！已记录：有帮助 👍" if vote > 0 else "谢谢！已记录：没帮上忙 👎。换个说法再问试试？")

    def _logged(self, origin: Origin, question_id: int) -> LoggedQuestion:
        """The logged question a button refers to, if it was asked in the pressing chat; UnknownQuestion
        otherwise, so another chat's question is neither shown nor voted on (the log holds hashed chat ids)."""
        logged = self.store.question(question_id)
        if logged.chat != self.store.hash_id(origin.chat_id):
            raise UnknownQuestion(question_id)
        return logged

    # ---- inline mode ------------------------------------------------------------------------
    def inline(self, query: str, offset: str = "") -> InlinePage:
        """`@bot 问题`: matching items as articles, ten per page; an empty query lists the sections."""
        q = query.strip()[:MAX_QUESTION_CHARS]
        start = int(offset) if offset.isascii() and offset.isdecimal() and len(offset) <= 3 else 0  # ours: 10–40
        answer = self.index.search(q, k=INLINE_MAX) if q else None
        if answer is None or not answer.hits:
            return InlinePage(self._section_articles()) if not start else InlinePage(())
        hedge = "" if answer.answered else "可能相关："
        articles = [
            InlineArticle(
                id=f"{self._plan_pos(h.item.plan)}-{h.item.number}",
                title=hedge + h.item.ref,
                description=render.plain_snippet(h),
                text=render.item_card_text(h.item, self.style),
            )
            for h in answer.hits[:INLINE_MAX]
        ]
        end = start + INLINE_PAGE
        return InlinePage(tuple(articles[start:end]), str(end) if end < len(articles) else "")

    def _section_articles(self) -> tuple[InlineArticle, ...]:
        plan = self.index.plan()
        toc = InlineArticle("toc", "目录：" + plan.meta.short_title, "各部分及其条目范围",
                            render.sections_text(plan, self.style))
        return (toc, *(
            InlineArticle(f"section-{s.number}", s.heading, f"第 {s.items[0]}–{s.items[-1]} 条",
                          render.section_text(plan, s, self.style))
            for s in plan.sections
        ))

    # ---- cards and keyboards ----------------------------------------------------------------
    def item_card(self, item: Item) -> Reply:
        """The whole item (split into messages if long) with ‹ prev / subscribe / next › buttons."""
        plan = self.index.plan(item.plan)
        pos = self._plan_pos(plan.id)
        lo, hi = plan.item_range
        row = []
        if item.number > 0:
            row.append(Button(f"‹ {_label(plan.item(item.number - 1))}", button_data(NAV, pos, item.number - 1)))
        if not item.is_preamble:
            row.append(Button("🔔 订阅提醒", button_data(SUB, pos, item.number)))
        if item.number < hi:
            row.append(Button(f"{max(item.number + 1, lo)} ›", button_data(NAV, pos, max(item.number + 1, lo))))
        texts = render.split_message(render.item_text(item, self.style))
        return Reply(tuple(texts), (tuple(row),))

    def section_list(self, plan: Plan, section: Section) -> Reply:
        """A section's items as text and as buttons."""
        pos = self._plan_pos(plan.id)
        buttons = tuple((Button(render.short_ref(plan.item(n)), button_data(ITEM, pos, n)),) for n in section.items)
        return Reply((render.section_text(plan, section, self.style),), buttons)

    def _section_keyboard(self) -> Keyboard:
        plan = self.index.plan()
        pos = self._plan_pos(plan.id)
        return tuple((Button(s.heading, button_data(SECTION, pos, s.number)),) for s in plan.sections)

    def _answer_page(self, question_id: int | None, answer: Answer, page: int) -> Reply:
        """One page of an answer; without a logged question (the log could not be written) there are no
        votes or further pages, which refer to it."""
        text = render.answer_page_text(answer, self.index.plans, self.style, page=page, per_page=PER_PAGE)
        vote: tuple[Button, ...] = () if question_id is None else (
            Button("👍", button_data(VOTE, question_id, 1)), Button("👎", button_data(VOTE, question_id, -1)))
        if not answer.hits or answer.reason == "empty":
            return Reply(tuple(render.split_message(text)))
        if not answer.answered:
            near = tuple(Button(f"看看 {_label(h.item)}", self._item_data(ITEM, h.item)) for h in answer.hits[:PER_PAGE])
            return Reply(tuple(render.split_message(text)), (near, vote))
        shown = answer.hits[page * PER_PAGE:(page + 1) * PER_PAGE]
        full = tuple(Button(f"全文 {_label(h.item)}", self._item_data(ITEM, h.item)) for h in shown)
        subs = tuple(Button(f"订阅提醒 {h.item.number}", self._item_data(SUB, h.item))
                     for h in shown if not h.item.is_preamble)
        paging = []
        if question_id is not None and page > 0:
            paging.append(Button("‹ 上一页", button_data(PAGE, question_id, page - 1)))
        if question_id is not None and page < self._last_page(answer):
            paging.append(Button("更多结果 ›", button_data(PAGE, question_id, page + 1)))
        rows = tuple(r for r in (full, subs, (*paging, *vote)) if r)
        return Reply(tuple(render.split_message(text)), rows)

    # ---- helpers ----------------------------------------------------------------------------
    def _item(self, ref: str) -> Item:
        """An item of the newest plan by reference (15, 十五, 第15条, 总体要求); RefError naming the range."""
        return self.index.item(ref)

    def _referenced_item(self, text: str) -> Item | None:
        """The item a whole message names (an item of the newest plan, or 总体要求); None otherwise."""
        try:
            return self._item(text)
        except RefError:
            return None

    def _item_data(self, action: str, item: Item) -> str:
        return button_data(action, self._plan_pos(item.plan), item.number)

    def _plan_at(self, position: int) -> Plan:
        """The plan at a position in the index (button data); ValueError if there is none."""
        if not 0 <= position < len(self.index.plans):
            raise ValueError(f"no plan at position {position}")
        return self.index.plans[position]

    def _plan_pos(self, plan_id: str) -> int:
        return next(i for i, p in enumerate(self.index.plans) if p.id == plan_id)

    def _plan_of(self, answer: Answer) -> Plan:
        return self.index.plan(answer.hits[0].item.plan) if answer.hits else self.index.plan()

    @staticmethod
    def _last_page(answer: Answer) -> int:
        return max(0, (min(len(answer.hits), PER_PAGE * MAX_PAGES) - 1) // PER_PAGE)


def _plan_item(plan: Plan, number: int) -> Item:
    """Item `number` (0 = 总体要求) of `plan`; RefError if the plan has no such item."""
    try:
        return plan.item(number)
    except KeyError:
        raise RefError(f"no item {number} in {plan.id}") from None


def _label(item: Item) -> str:
    """How a button names an item: its number, or 总体要求."""
    return item.title if item.is_preamble else str(item.number)
