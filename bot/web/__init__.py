"""The web front end: an ASGI app (Starlette) over the same index and store as the bot."""

from .app import WebServices, create_app

__all__ = ["WebServices", "create_app"]
