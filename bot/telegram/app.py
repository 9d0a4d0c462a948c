"""Wiring: `build_application(settings, index, store, clock)` and `run(settings)` for `plan-bot run`."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.admin import FORGET
from bot.commands import ADMIN_COMMANDS, COMMANDS
from bot.config import TOKEN_VAR, ConfigError, Settings
from bot.limits import ChatBudget
from bot.logic import Clock, Logic
from bot.logs import configure_logging
from bot.reload import Reloader
from bot.reminders.schedule import Schedule
from bot.reminders.service import ReminderService
from bot.render import HTML
from bot.store import Store, StoreError
from bot.telegram.flood import RetryingRateLimiter
from bot.telegram.handlers import (
    SERVICES,
    Services,
    on_admin_command,
    on_button,
    on_command,
    on_error,
    on_group_text,
    on_inline,
    on_non_text,
    on_private_text,
    on_taught_button,
    on_unknown_command,
    post_init,
    post_stop,
)
from bot.telegram.inbox import InboxApplication, InboxRequest
from bot.telegram.sender import TelegramSender
from corpus import PlanParseError
from corpus.load import PlanMetaError, plans_with
from index import Index

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 32  # one slow chat (flood wait in a busy group) must not stall the others
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
EXIT_FAILED = 1


def utc_now() -> datetime:
    """The system clock, as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def file_url(base_url: str) -> str:
    """The file URL that goes with a Bot API base URL (`…/bot` → `…/file/bot`)."""
    head, sep, tail = base_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else base_url


def build_application(settings: Settings, index: Index, store: Store, clock: Clock = utc_now, *,
                      request: BaseRequest | None = None, get_updates_request: BaseRequest | None = None,
                      rate_limiter: BaseRateLimiter | None = None) -> Application:
    """A PTB Application with the services in bot_data and one handler per COMMANDS entry."""
    if not settings.token:
        raise ConfigError(f"{TOKEN_VAR} is not set")
    builder = (
        ApplicationBuilder()
        .application_class(InboxApplication)
        .token(settings.token)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tzinfo,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(rate_limiter or RetryingRateLimiter())
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(post_init)
        .post_stop(post_stop)
    )
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url).base_file_url(file_url(settings.api_base_url))
    if request is not None:
        builder = builder.request(request)
    # getUpdates answers are stored in the inbox before the next poll can confirm them (bot/inbox.py)
    polling = get_updates_request or request or HTTPXRequest(connection_pool_size=1)
    builder = builder.get_updates_request(InboxRequest(polling, store, clock))
    application = builder.build()
    assert isinstance(application, InboxApplication)
    application.store, application.deferred = store, set()
    logic = Logic(index, store, clock, HTML, settings.tzinfo)
    schedule = Schedule(logic.reminders.catalogue, store.reminders, settings.tzinfo)
    reminders = ReminderService(schedule, clock, logic.reminders.compose, TelegramSender(application.bot),
                                digest=logic.reminders.compose_digest, rate=settings.reminder_rate)
    budget = ChatBudget(settings.chat_rate) if settings.chat_rate else None
    def on_swap(swapped: Logic) -> None:  # reminders follow the reloaded plans (and `all` their dates)
        schedule.catalogue = swapped.reminders.catalogue

    application.bot_data[SERVICES] = Services(settings, logic, reminders, budget=budget,
                                              reloader=Reloader(logic, settings.plans_dir, on_swap))
    add_handlers(application)
    return application


def add_handlers(application: Application) -> None:
    """Commands from the COMMANDS table, then questions, other messages, buttons, inline, errors."""
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    for command in COMMANDS:
        application.add_handler(CommandHandler(command.name, on_command))
    admins = application.bot_data[SERVICES].settings.admin_ids
    if admins:  # for anyone else these stay unknown commands
        for command in ADMIN_COMMANDS:
            application.add_handler(CommandHandler(command.name, on_admin_command,
                                                   filters=filters.Chat(chat_id=sorted(admins))))
        application.add_handler(CallbackQueryHandler(on_taught_button, pattern=f"^{FORGET}"))
    application.add_handler(MessageHandler(private & filters.COMMAND, on_unknown_command))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_private_text))
    application.add_handler(MessageHandler(groups & filters.TEXT & ~filters.COMMAND, on_group_text))
    application.add_handler(MessageHandler(
        private & filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_non_text))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(InlineQueryHandler(on_inline))
    application.add_error_handler(on_error)


def run(settings: Settings, *, clock: Clock = utc_now, index: Index | None = None,
        rate_limiter: BaseRateLimiter | None = None) -> int:
    """`plan-bot run`: log, open the store, build the index, poll Telegram until SIGINT/SIGTERM.
    (Benchmarks and tests pass another clock, plans or rate limiter.)"""
    configure_logging(settings.log_level, settings.token)
    try:
        store = Store.open(settings.db_path, settings.secret)
    except StoreError as exc:  # one line naming PLAN_BOT_DB: a crash loop under Restart=always says why
        log.error("plan-bot cannot start: %s", exc)
        return EXIT_FAILED
    try:
        index = index or Index.build(plans_with(settings.plans_dir))
        index.teach([(plan, item, q) for _, plan, item, q in store.taught()])  # what operators taught
        index.search("学前教育")  # warm the tokenizer before the first user asks
        application = build_application(settings, index, store, clock, rate_limiter=rate_limiter)
        log.info("plan-bot starting: %d items, search by %s, database %s", len(index.items),
                 "words and meaning" if index.encoder is not None else "words only", settings.db_path)
        application.run_polling(allowed_updates=ALLOWED_UPDATES)  # start-up calls: retried by the limiter
    except (PlanParseError, PlanMetaError) as exc:  # an operator's plan that does not parse: say where
        log.error("plan-bot cannot start: %s", exc)
        return EXIT_FAILED
    except InvalidToken:
        log.error("Telegram rejected %s: check the token from @BotFather (in .env or the environment)", TOKEN_VAR)
        return EXIT_FAILED
    except TelegramError as exc:  # still failing after the retries (PTB logged the traceback, redacted)
        log.error("plan-bot could not start: %s: %s", type(exc).__name__, exc)
        return EXIT_FAILED
    finally:
        store.close()
    log.info("plan-bot stopped")
    return 0
