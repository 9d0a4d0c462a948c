"""`plan-bot serve`: the web page and the Telegram bot in one process and one event loop.

uvicorn serves the Starlette app (bot/web/, `web_server`) while python-telegram-bot's Application runs
beside it, as in PTB's custom-webhook example:
- with a token and PLAN_BOT_WEBHOOK_URL, Telegram posts updates to /telegram (setWebhook with a secret
  token at start-up; each update is stored in the inbox before Telegram hears 200); no polling;
- with a token and no webhook URL, the bot polls in the same loop;
- without a token, the web pages alone.
uvicorn catches SIGTERM/SIGINT; the bot then stops as under `plan-bot run` (queued replies dropped and
owed to the next start, reminder sends in flight finished and recorded).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from datetime import datetime, timezone

from telegram import Update
from telegram.error import InvalidToken, TelegramError

from bot.config import Settings
from bot.logic import Clock, Logic
from bot.logs import configure_logging
from bot.store import Store, StoreError
from bot.telegram.app import ALLOWED_UPDATES, EXIT_FAILED, build_application
from bot.telegram.handlers import SERVICES
from bot.web import WebServices, create_app, web_server
from corpus import PlanParseError
from corpus.load import PlanMetaError, plans_with
from index import Index

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram"


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(timezone.utc)


def serve(settings: Settings, *, clock: Clock = utc_now, index: Index | None = None) -> int:
    """Run the web server (and the bot, if there is a token) until SIGTERM; the exit code."""
    configure_logging(settings.log_level, settings.token)
    try:
        store = Store.open(settings.db_path, settings.secret)
    except StoreError as exc:
        log.error("plan-bot cannot start: %s", exc)
        return EXIT_FAILED
    try:
        index = index or Index.build(plans_with(settings.plans_dir))
        index.teach([(plan, item, q) for _, plan, item, q in store.taught()])  # what operators taught
        return asyncio.run(_serve(settings, store, index, clock))
    except (PlanParseError, PlanMetaError) as exc:  # an operator's plan that does not parse: say where
        log.error("plan-bot cannot start: %s", exc)
        return EXIT_FAILED
    finally:
        store.close()


async def _serve(settings: Settings, store: Store, index: Index, clock: Clock) -> int:
    application = build_application(settings, index, store, clock) if settings.token else None
    webhook = application is not None and settings.webhook_url is not None
    secret = ""
    if webhook:
        secret = settings.webhook_secret or store.setting("webhook_secret", lambda: secrets.token_urlsafe(32))

    async def accept(body: dict) -> None:
        """A webhook update: read (a malformed one raises before anything is stored), into the inbox,
        then to the bot."""
        assert application is not None
        update = Update.de_json(body, application.bot)
        store.inbox_add([body], clock())
        await application.update_queue.put(update)

    web = WebServices(index, store, clock, settings.web_rate, settings.trusted_proxies,
                      on_update=accept if webhook else None, webhook_secret=secret, ready=False)
    if application is not None:  # after a /reload the page answers from the new index too
        found = application.bot_data[SERVICES]
        if found.reloader is not None:
            swapped = found.reloader.on_swap

            def on_swap(logic: Logic) -> None:
                swapped(logic)
                web.index = logic.index

            found.reloader.on_swap = on_swap
    server = web_server(create_app(web), settings.listen)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    mode = "webhook" if webhook else "polling" if application is not None else "web pages only"
    if application is None:
        web.ready = True
        log.info("plan-bot serve on http://%s (%s; no %s)", settings.listen, mode, "TELEGRAM_BOT_TOKEN")
        await server.serve()
        return 0
    serving = asyncio.create_task(server.serve())
    try:
        await application.initialize()
        try:
            if application.post_init:
                await application.post_init(application)
            if webhook:
                while not server.started and not serving.done():  # Telegram's first post must find us listening
                    await asyncio.sleep(0.05)
                await application.bot.set_webhook(f"{settings.webhook_url}{WEBHOOK_PATH}", secret_token=secret,
                                                  allowed_updates=ALLOWED_UPDATES)
            else:
                assert application.updater is not None
                await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            await application.start()
        except (InvalidToken, TelegramError) as exc:
            if isinstance(exc, InvalidToken):
                log.error("Telegram rejected TELEGRAM_BOT_TOKEN: check the token from @BotFather (in .env or the "
                          "environment)")
            else:
                log.error("plan-bot could not start: %s: %s", type(exc).__name__, exc)
            server.should_exit = True
            await serving
            return EXIT_FAILED
        web.ready = True
        log.info("plan-bot serve on http://%s (%s): %d items, search by %s", settings.listen, mode, len(index.items),
                 "words and meaning" if index.encoder is not None else "words only")
        await serving
    finally:
        web.ready = False
        server.should_exit = True
        await asyncio.gather(serving, return_exceptions=True)
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
        await application.shutdown()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        log.info("plan-bot stopped")
    return 0
