"""Telegram I/O only: read the update, ask `Logic`, send what it returns. Replies are HTML.

Which messages are answered:
- private chats: every text message is a question (edited ones are answered again, quoting the
  edited message); other messages (stickers, photos, voice…) get a hint to write text;
- groups: commands (also `/item@ThisBot 15`), text that mentions the bot (the mention is stripped),
  and replies to the bot's own messages; everything else is ignored.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.error import BadRequest, Conflict, NetworkError, TelegramError
from telegram.ext import Application, ContextTypes

from bot import render
from bot.admin import AdminCommands
from bot.commands import ADMIN_COMMANDS, COMMANDS, addressee, command_for_me
from bot.config import Settings
from bot.limits import ChatBudget
from bot.logic import Logic, Origin, Reply
from bot.logs import Throttle, redact
from bot.metrics import DROPPED
from bot.reload import Reloader
from bot.reminders.service import ReminderService
from bot.render import clean_text
from bot.telegram.inbox import InboxApplication, replay
from bot.telegram.keyboards import input_file, keyboard
from bot.telegram.sender import schedule_jobs

log = logging.getLogger(__name__)

SERVICES = "services"
INLINE_CACHE_SECONDS = 300
REPORT_PERIOD = 3600.0  # seconds: one admin report per distinct error in this period
PRUNE_JOB, PRUNE_INTERVAL, PRUNE_FIRST = "prune-question-log", 24 * 3600.0, 60.0  # daily, a minute after start


@dataclass(frozen=True)
class Services:
    """The long-lived objects handlers need, kept in `application.bot_data[SERVICES]`."""

    settings: Settings
    logic: Logic
    reminders: ReminderService | None = None
    reports: Throttle = field(default_factory=lambda: Throttle(REPORT_PERIOD))  # admin reports per error
    budget: ChatBudget | None = None  # updates each chat may send per minute (None: no limit)
    queued: set[asyncio.Task[None]] = field(default_factory=set)  # group replies waiting for the group's pacing
    reloader: Reloader | None = None  # /reload (set by build_application)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The services wired in by `build_application`."""
    return context.bot_data[SERVICES]


# ---- sending ------------------------------------------------------------------------------------
async def send_reply(message: Message, reply: Reply, *, quote: bool | None = None) -> None:
    """Send a reply's messages to the message's chat, buttons under the last (or under its file);
    quote in groups."""
    last = len(reply.messages) - 1 if reply.document is None else -1
    for i, text in enumerate(reply.messages):
        await message.reply_text(text, reply_markup=keyboard(reply.buttons) if i == last else None,
                                 do_quote=quote if i == 0 else False)
    if reply.document is not None:
        await message.reply_document(input_file(reply.document), caption=reply.document.caption or None,
                                     reply_markup=keyboard(reply.buttons),
                                     do_quote=quote if not reply.messages else False)


async def reply_in_chat(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply, *,
                        quote: bool | None = None) -> None:
    """Send a reply. In a group it is queued and the handler returns at once: Telegram allows a group
    20 messages a minute, and a handler waiting for that pacing would hold an update slot other chats
    need. A queued reply that fails goes to the error handler; at shut-down the ones not yet sent are
    dropped (see cancel_queued), and their updates, not done, are handled again at the next start."""
    message = update.effective_message
    if message is None:  # nothing to reply to
        return
    chat = update.effective_chat
    if chat is None or chat.type == chat.PRIVATE:
        await send_reply(message, reply, quote=quote)
        return
    found = services(context)
    app = context.application
    inbox = app if isinstance(app, InboxApplication) else None
    if inbox is not None:
        inbox.defer(update.update_id)

    async def send() -> None:
        try:
            await send_reply(message, reply, quote=quote)
        except asyncio.CancelledError:
            raise  # shut-down: the update stays in the inbox and is handled again at the next start
        except Exception as exc:  # reported as any handler's error would be
            await app.process_error(update, exc)
        if inbox is not None:
            inbox.finish(update.update_id)

    task = asyncio.create_task(send())
    found.queued.add(task)
    task.add_done_callback(found.queued.discard)


async def cancel_queued(found: "Services") -> int:
    """Drop the group replies still waiting for their turn (shut-down must not wait minutes); how many."""
    pending = [t for t in found.queued if not t.done()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return len(pending)


def origin(update: Update) -> Origin:
    """Chat and user ids of an update."""
    chat = update.effective_chat
    user = update.effective_user
    return Origin(chat.id if chat else 0, user.id if user else 0)


def command_name(text: str) -> str:
    """`/item@PlanBot 15` → `item`."""
    return text.split(maxsplit=1)[0].lstrip("/").split("@", 1)[0].lower()


def addressed_question(message: Message, bot_username: str, bot_id: int) -> str | None:
    """In a group: the question if the message mentions the bot or replies to it, else None."""
    text = clean_text(message.text)
    mention = re.compile(rf"@{re.escape(bot_username)}(?![A-Za-z0-9_])", re.IGNORECASE)
    if bot_username and mention.search(text):
        return mention.sub(" ", text).strip()
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.id == bot_id:
        return text
    return None


def _sent_via_this_bot(message: Message, bot_id: int) -> bool:
    """True for an item card the user shared through this bot's inline mode (not a question)."""
    return message.via_bot is not None and message.via_bot.id == bot_id


# ---- handlers -----------------------------------------------------------------------------------
SLOW_DOWN = "你发得太快了：每分钟最多 {n} 条。这一分钟里再发的内容不会处理，请稍等一会儿再问。"


async def within_budget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True when this chat (or, inline, this user) is within its budget; past it, one notice a minute
    and the update is dropped — never queued, so a flood from one chat delays no one."""
    found = services(context)
    chat, user = update.effective_chat, update.effective_user
    who = chat.id if chat is not None else user.id if user is not None else None
    if found.budget is None or who is None:
        return True
    verdict = found.budget.check(who)
    if verdict == "ok":
        return True
    DROPPED.inc()
    if verdict == "notice":
        log.info("%s is over its budget of %d a minute: dropping the rest of this minute (%d dropped in all)",
                 describe_update(update, found.logic.store.hash_id), found.budget.per_minute, found.budget.dropped)
        notice = SLOW_DOWN.format(n=found.budget.per_minute)
        try:
            if update.callback_query:
                await update.callback_query.answer(notice, show_alert=True)
            elif update.effective_message is not None and chat is not None:
                await reply_in_chat(update, context, Reply((notice,)))
        except TelegramError as exc:
            log.warning("could not send the slow-down notice: %s", exc)
    return False
# Commands that change what is stored: an edit of one is not applied (it would run the command twice).
STATEFUL_COMMANDS = frozenset({"remind", "subscribe", "unsubscribe", "lead"})
EDIT_NOT_APPLIED = "修改过的命令不会生效：请把改好的命令重新发送一条。"


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A registered slash command: the logic's reply. An edited command that changes what is stored
    (/remind, /subscribe, /unsubscribe, /lead) is not run again: a short note says so."""
    if not await within_budget(update, context):
        return
    message = update.effective_message
    if message is None or message.text is None:  # a command always comes as a text message
        return
    if update.edited_message and command_name(message.text) in STATEFUL_COMMANDS:
        await send_reply(message, Reply((EDIT_NOT_APPLIED,)), quote=True)
        return
    reply = services(context).logic.command(command_name(message.text), clean_text(" ".join(context.args or ())),
                                            origin(update), context.bot.username)
    await reply_in_chat(update, context, reply, quote=True if update.edited_message else None)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A slash command this bot does not have (private chats only)."""
    if not await within_budget(update, context):
        return
    message = update.effective_message
    if message is None or message.text is None:  # a command always comes as a text message
        return
    text = clean_text(message.text)
    if addressee(text) and not command_for_me(text, context.bot.username or ""):  # /item@OtherBot 15
        await send_reply(message, Reply((render.other_bot_text(text, context.bot.username or "", render.HTML),)))
        return
    await send_reply(message, Reply((render.unknown_command_text(command_name(message.text), render.HTML),)))


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message in a private chat is a question."""
    message = update.effective_message
    if message is None or _sent_via_this_bot(message, context.bot.id) or not await within_budget(update, context):
        return
    reply = services(context).logic.ask(origin(update), clean_text(message.text))
    await send_reply(message, reply, quote=True if update.edited_message else None)


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group text: answer it only when it mentions the bot or replies to the bot."""
    message = update.effective_message
    if message is None or _sent_via_this_bot(message, context.bot.id):
        return
    question = addressed_question(message, context.bot.username, context.bot.id)
    if question is None or not await within_budget(update, context):  # chatter not for us is not counted
        return
    await reply_in_chat(update, context, services(context).logic.ask(origin(update), question), quote=True)


async def on_non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A sticker, photo, voice message or file in a private chat: ask for text."""
    if not await within_budget(update, context):
        return
    message = update.effective_message
    if message is None:
        return
    await send_reply(message, services(context).logic.non_text())


async def on_admin_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats, /teach, /taught — registered for PLAN_BOT_ADMIN_IDS only (anyone else's are unknown)."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    found = services(context)
    admin = AdminCommands(found.logic.index, found.logic.store, found.logic.clock)
    name, arg = command_name(message.text), clean_text(" ".join(context.args or ()))
    if name == "stats":
        reply, chart = admin.stats(arg)
        await send_reply(message, reply)
        await message.reply_photo(chart, caption="每天的提问：绿色找到了答案，灰色没有")
    elif name == "teach":
        await send_reply(message, admin.teach(arg, found.logic.clock()))
    elif name == "reload" and found.reloader is not None:
        await send_reply(message, Reply(("正在后台重新读取计划，期间照常回答问题……",)))
        await send_reply(message, Reply((await found.reloader.reload(),)))
    else:
        await send_reply(message, admin.taught())


async def on_taught_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A remove button under /taught: only an admin may press it."""
    query = update.callback_query
    if query is None:
        return
    found = services(context)
    if query.from_user is None or query.from_user.id not in found.settings.admin_ids:
        await query.answer(render.STALE_BUTTON, show_alert=True)
        return
    reply = AdminCommands(found.logic.index, found.logic.store, found.logic.clock).forget(query.data or "")
    await query.answer(reply.notice or None, show_alert=reply.alert)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press: answer the query, then edit the pressed message or send new ones."""
    if not await within_budget(update, context):
        return
    query = update.callback_query
    if query is None:
        return
    reply = services(context).logic.press(origin(update), query.data or "")
    try:
        await query.answer(reply.notice or None, show_alert=reply.alert)
    except BadRequest as exc:  # "query is too old" (e.g. pressed while the bot was down): still do the work
        log.info("callback query not answered: %s", exc)
    pressed = query.message if isinstance(query.message, Message) else None
    if reply.edit and pressed is not None:
        try:
            await query.edit_message_text(reply.messages[0], reply_markup=keyboard(reply.buttons))
        except BadRequest as exc:
            if "message is not modified" not in str(exc).lower():  # a double tap on the same page
                raise
        return
    if reply.messages and query.message is not None:
        last = len(reply.messages) - 1
        for i, text in enumerate(reply.messages):
            await context.bot.send_message(query.message.chat.id, text,
                                           reply_markup=keyboard(reply.buttons) if i == last else None)
    if reply.document is not None and query.message is not None:
        await context.bot.send_document(query.message.chat.id, input_file(reply.document),
                                        caption=reply.document.caption or None)


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Inline mode: matching items as articles, ten per page; an empty query lists the sections."""
    if not await within_budget(update, context):
        return
    query = update.inline_query
    if query is None:
        return
    page = services(context).logic.inline(clean_text(query.query), query.offset)
    results = [
        InlineQueryResultArticle(a.id, a.title, InputTextMessageContent(a.text), description=a.description)
        for a in page.articles
    ]
    await query.answer(results, cache_time=INLINE_CACHE_SECONDS, next_offset=page.next_offset)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure, tell the user something went wrong, send admins the traceback.

    An error without an update (polling: getUpdates failing while PTB retries; a background task) is
    only logged, and admins are not messaged, so a network outage or a second instance polling with
    the same token (Conflict) cannot flood them: NetworkError (TimedOut included) and Conflict as one
    warning line each time, anything else with its traceback. The log and the reports describe an
    update by its kind, chat type and hashed chat id — never names or message text. Admins get one
    report per distinct error an hour, with the count of those held back.
    """
    if update is None:
        if isinstance(context.error, (NetworkError, Conflict)):
            log.warning("polling for updates failed: %s: %s", type(context.error).__name__, context.error)
        else:
            log.error("error outside any update", exc_info=context.error)
        return
    found = services(context)
    shown = describe_update(update, found.logic.store.hash_id)
    log.error("update failed: %s", shown, exc_info=context.error)
    if isinstance(update, Update):
        await _tell_user(update)
    if found.settings.admin_ids and context.error is not None:
        held = found.reports.allow(error_kind(context.error))
        if held is not None:
            await _report_to_admins(context.bot, found.settings, shown, context.error, held)


def describe_update(update: object, hash_id: Callable[[int], str]) -> str:
    """An update as logs and reports show it: its kind, chat type and hashed chat id."""
    if not isinstance(update, Update):
        return type(update).__name__
    kind = next((k for k in update.to_dict() if k != "update_id"), "unknown")
    chat = update.effective_chat
    where = f"{chat.type} chat {hash_id(chat.id)}" if chat is not None else "no chat"
    return f"update {update.update_id} ({kind}, {where})"


def error_kind(error: BaseException) -> tuple[str, str]:
    """What makes two errors the same for reporting: the exception type and where it was raised."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if any(f"{sep}{pkg}{sep}" in f.filename for pkg in ("bot", "index", "corpus")
                                     for sep in ("/", "\\"))]
    frame = (ours or frames)[-1] if frames else None
    return type(error).__name__, f"{frame.filename}:{frame.lineno}" if frame else ""


async def _tell_user(update: Update) -> None:
    """Say that something went wrong: as an alert on a button press, else in the chat (never raises)."""
    try:
        if update.callback_query:
            try:
                await update.callback_query.answer(render.ERROR_TEXT, show_alert=True)
                return
            except BadRequest:  # already answered: say it in the chat instead
                pass
        if update.effective_message and update.effective_chat:
            await update.effective_message.reply_text(render.ERROR_TEXT)
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", exc)


async def _report_to_admins(bot: Bot, settings: Settings, shown_update: str, error: BaseException,
                            held: int = 0) -> None:
    """The traceback and the update's description as a text file to each admin (token redacted)."""
    trace = "".join(traceback.format_exception(error))
    more = f"\n(the same error {held} more times in the hour before this report)" if held else ""
    body = redact(f"{shown_update}{more}\n\n{trace}", settings.token)
    name = f"error-{datetime.now():%Y%m%d-%H%M%S}.txt"
    for admin in sorted(settings.admin_ids):
        try:
            await bot.send_document(admin, io.BytesIO(body.encode()), filename=name,
                                    caption=f"plan-bot 出错：{type(error).__name__}", parse_mode=None)
        except TelegramError as exc:
            log.warning("could not send the error report to admin %s: %s", admin, exc)


async def post_init(application: Application) -> None:
    """Start-up: publish the command menu (the same COMMANDS table as /help and the handlers), settle
    sends a previous process left half-done, and (re)create the reminder jobs from SQLite."""
    await application.bot.set_my_commands([BotCommand(c.name, c.description) for c in COMMANDS])
    found: Services = application.bot_data[SERVICES]
    admin_menu = [BotCommand(c.name, c.description) for c in (*COMMANDS, *ADMIN_COMMANDS)]
    for admin in sorted(found.settings.admin_ids):  # the admin commands show in the admins' menus only
        try:
            await application.bot.set_my_commands(admin_menu, scope=BotCommandScopeChat(admin))
        except TelegramError as exc:  # an admin who never wrote to the bot: "chat not found"
            log.warning("could not set the admin command menu for one admin: %s", exc)
    if found.reminders is not None and application.job_queue is not None:
        found.reminders.start_up()
        schedule_jobs(application.job_queue, found.reminders)
    await replay(application, found.logic.store)
    if application.job_queue is not None:
        for job in application.job_queue.get_jobs_by_name(PRUNE_JOB):
            job.schedule_removal()
        application.job_queue.run_repeating(prune_question_log, PRUNE_INTERVAL, first=PRUNE_FIRST, name=PRUNE_JOB)


async def prune_question_log(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Daily: delete questions older than PLAN_BOT_LOG_DAYS (their counts per day are kept)."""
    found = services(context)
    before = found.logic.clock() - timedelta(days=found.settings.log_days)
    deleted = found.logic.store.prune_questions(before)
    found.logic.store.prune_inbox(found.logic.clock() - timedelta(days=1))
    if deleted:
        log.info("question log: %d questions older than %d days deleted", deleted, found.settings.log_days)


async def post_stop(application: Application) -> None:
    """Shut-down: drop queued group replies; let the reminder sends in flight finish and record them;
    start no new ones."""
    found: Services = application.bot_data[SERVICES]
    dropped = await cancel_queued(found)
    if dropped:
        log.info("shut-down: %d queued group replies dropped", dropped)
    if found.reminders is not None:
        await found.reminders.stop()
