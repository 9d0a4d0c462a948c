"""uvicorn, the ASGI server that runs the web app inside the caller's event loop."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette


class Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: uvicorn re-raises a caught SIGTERM once it has
    shut down, which would kill the process before the bot stops; the caller handles the signals
    (set `should_exit`)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave signals to the caller."""
        yield


def web_server(app: Starlette, listen: str) -> Server:
    """A server for `app` on HOST:PORT; `await server.serve()` runs it until `server.should_exit`."""
    host, _, port = listen.rpartition(":")
    return Server(uvicorn.Config(app, host=host.strip("[]"), port=int(port), log_level="warning", access_log=False,
                                 timeout_graceful_shutdown=3, lifespan="off"))
