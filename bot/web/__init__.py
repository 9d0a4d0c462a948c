"""The web front end: an ASGI app (Starlette) over the same index and store as the bot, and its server."""

from bot.web.app import WebServices, create_app
from bot.web.server import web_server

__all__ = ["WebServices", "create_app", "web_server"]
