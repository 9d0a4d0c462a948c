"""The ASGI app (Starlette): the ask page, items, sections, deadlines, calendars, the JSON API, health,
metrics, and — when the bot runs on a webhook — the route Telegram posts updates to.

Starlette because python-telegram-bot's custom-webhook example uses it with uvicorn in the bot's own
event loop: one process, one loop, the Application fed through its update queue. Routes are thin:
parse, search or look up, render (bot/web/pages.py). Nothing here imports telegram: the webhook route
hands the update's JSON to a callback the server wires in.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
import secrets
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.limits import ChatBudget
from bot.logic import MAX_QUESTION_CHARS
from bot.metrics import WEB_LIMITED, counted_answer
from bot.render import EXAMPLE_QUESTIONS, answer_json, clean_text
from bot.store import Store, UnknownQuestion
from bot.web import pages
from corpus import Plan
from corpus.deadlines import extract, to_ics
from index import Index, RefError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
VOTER_COOKIE = "pb_voter"
MAX_Q = 10_000  # a longer q is cut before anything else (the search reads the first 300 characters)
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")


@dataclass
class WebServices:
    """What the routes need; `on_update` and `webhook_secret` only when Telegram posts to /telegram."""

    index: Index
    store: Store
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    rate: int = 30  # questions per client per minute (0: no limit)
    trusted_proxies: tuple[str, ...] = ()  # addresses or networks whose X-Forwarded-For is believed
    on_update: Callable[[dict], Awaitable[None]] | None = None
    webhook_secret: str = ""
    ready: bool = True  # False while the server starts: /healthz answers 503
    limiter: ChatBudget = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = ChatBudget(self.rate or 1)


class SecurityHeaders(BaseHTTPMiddleware):
    """CSP, nosniff and a strict referrer policy on every response."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        """Add the headers."""
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


async def limited_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is over `limit` bytes (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return body


def client_address(request: Request, trusted: tuple[str, ...]) -> str:
    """The client's address: the peer's, or — when the peer is a trusted proxy — the last address in
    X-Forwarded-For that is not itself a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return peer


def client_key(address: str) -> str:
    """Whom the limit counts: an IPv4 address, or an IPv6 address's /64 (one subscriber's network,
    which could otherwise hand out a new address for every question)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def _trusted(address: str, trusted: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for net in trusted:
        try:
            if ip in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


def create_app(services: WebServices) -> Starlette:
    """The web front end over one index and store."""
    s = services

    def html_page(text: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
        return HTMLResponse(text, status_code=status, headers=headers)

    def limited(request: Request) -> Response | None:
        """A 429 when this client asked too often this minute (other clients are not affected)."""
        if not s.rate:
            return None
        who = client_key(client_address(request, s.trusted_proxies))
        if s.limiter.check(who) == "ok":
            return None
        WEB_LIMITED.inc()
        wait = s.limiter.retry_after(who)
        return None if wait <= 0 else html_page(pages.too_many(wait), 429, {"Retry-After": str(wait)})

    def log_request(request: Request, kind: str, answered: bool, seconds: float) -> None:
        """One structured line per web question: the client as a keyed hash, never its address."""
        client = s.store.token("client", client_key(client_address(request, s.trusted_proxies)))[:12]
        log.info("channel=web kind=%s client=%s answered=%s latency_ms=%.1f", kind, client, str(answered).lower(),
                 1000 * seconds)

    def question(request: Request) -> str:
        return clean_text(request.query_params.get("q", ""))[:MAX_Q]

    def voter(request: Request) -> tuple[int, bool]:
        """This browser's random id (from its cookie, or new), and whether it is new."""
        raw = request.cookies.get(VOTER_COOKIE, "")
        if re.fullmatch(r"[0-9]{1,19}", raw) and 0 < int(raw) < 2**62:
            return int(raw), False
        return secrets.randbelow(2**62 - 1) + 1, True

    def remember(request: Request, response: Response, who: int, new: bool) -> Response:
        if new:
            response.set_cookie(VOTER_COOKIE, str(who), max_age=365 * 86400, httponly=True, samesite="strict",
                                secure=scheme(request) == "https")
        return response

    def scheme(request: Request) -> str:
        """http or https as the browser sees it (a trusted proxy's X-Forwarded-Proto counts)."""
        if s.trusted_proxies and request.client and _trusted(request.client.host, s.trusted_proxies):
            return request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
        return request.url.scheme

    def host(request: Request) -> str:
        """The host the browser asked for (a trusted proxy's X-Forwarded-Host counts)."""
        if s.trusted_proxies and request.client and _trusted(request.client.host, s.trusted_proxies):
            forwarded = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
            if forwarded:
                return forwarded
        return request.headers.get("host", "")

    async def home(request: Request) -> Response:
        q = question(request)
        if not q.strip():
            return html_page(pages.home(s.index.plan(), EXAMPLE_QUESTIONS))
        refused = limited(request)
        if refused is not None:
            return refused
        who, new = voter(request)
        started = time.perf_counter()
        result = s.index.search(q[:MAX_QUESTION_CHARS], k=6)
        counted_answer("web", result.answered, time.perf_counter() - started)
        log_request(request, "page", result.answered, time.perf_counter() - started)
        form = ""
        if result.reason != "empty":
            try:
                logged = s.store.log_question(who, q[:MAX_QUESTION_CHARS], [h.item.number for h in result.hits],
                                              result.answered, result.hits[0].item.plan if result.hits else "",
                                              s.clock())
                form = pages.vote_form(logged.id, s.store.token("vote", f"{logged.id}:{who}"))
            except sqlite3.Error as exc:  # answering never waits on the log
                log.error("web: could not log the question, answering anyway: %s", exc)
        return remember(request, html_page(pages.answer(result, s.index.plans, form)), who, new)

    async def vote(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin and origin.rstrip("/").split("://")[-1] != host(request):
            return PlainTextResponse("cross-site form refused", 403)
        body = await limited_body(request, 4096)
        if body is None:
            return PlainTextResponse("too large", 413)
        fields = parse_qs(body.decode("utf-8", "replace"))
        raw_vote, raw_id = fields.get("vote", [""])[0], fields.get("question", [""])[0]
        token = fields.get("token", [""])[0]
        who, _ = voter(request)
        if raw_vote not in ("1", "-1") or not re.fullmatch(r"[0-9]{1,19}", raw_id) or not hmac.compare_digest(
                token.encode(), s.store.token("vote", f"{raw_id}:{who}").encode()):
            return PlainTextResponse("this vote form is not valid here (reload the answer)", 403)
        try:
            logged = s.store.question(int(raw_id))
            s.store.record_feedback(logged.id, who, int(raw_vote), s.clock())
        except UnknownQuestion:
            return html_page(pages.not_found_page("找不到这条提问的记录（可能已被清理），请重新提问。"), 404)
        return html_page(pages.voted(int(raw_vote), logged.question))

    def plan_of(request: Request) -> Plan:
        return s.index.plan(request.query_params.get("plan") or None)

    # A bad reference raises RefError, which names the valid range: a 404 page (see bad_reference).
    async def item(request: Request) -> Response:
        plan = plan_of(request)
        return html_page(pages.item(s.index.item(clean_text(request.path_params["ref"]), plan.id), plan))

    async def sections(request: Request) -> Response:
        return html_page(pages.sections(plan_of(request)))

    async def section(request: Request) -> Response:
        plan = plan_of(request)
        return html_page(pages.section(plan, s.index.section(clean_text(request.path_params["ref"]), plan.id)))

    async def deadlines(request: Request) -> Response:
        plan = plan_of(request)
        found, _ = extract(plan)
        return html_page(pages.deadlines(plan, found, s.clock().date().isoformat()))

    async def calendar(request: Request) -> Response:
        name, plan = clean_text(request.path_params["name"]), plan_of(request)
        found, _ = extract(plan)
        which = "all"
        if name != "all":
            number = s.index.item(name, plan.id).number
            found, which = [d for d in found if d.item == number], str(number)
        return Response(to_ics(found, {plan.id: plan}), media_type="text/calendar; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{plan.id}-{which}.ics"'})

    async def api_ask(request: Request) -> Response:
        q = question(request)
        if not q.strip():
            return JSONResponse({"query": q, "answered": False, "results": [], "error": "empty question"}, 400)
        refused = limited(request)
        if refused is not None:
            return JSONResponse({"error": "too many questions"}, 429, headers={"Retry-After": refused.headers["retry-after"]})
        raw_k = request.query_params.get("k", "3")
        started = time.perf_counter()
        result = s.index.search(q, k=int(raw_k) if raw_k.isdigit() and 1 <= int(raw_k) <= 10 else 3)
        counted_answer("web", result.answered, time.perf_counter() - started)
        log_request(request, "api", result.answered, time.perf_counter() - started)
        if result.reason == "empty":
            return JSONResponse({"query": q, "answered": False, "results": [], "error": "no searchable text"}, 400)
        return JSONResponse(answer_json(result))

    async def healthz(request: Request) -> Response:
        status = {"status": "ok", "items": len(s.index.items), "search": s.index.mode, "database": "ok"}
        try:
            s.store.db.execute("select count(*) from _sqlite_migrations").fetchone()
        except sqlite3.Error as exc:
            log.error("healthz: the database is unusable: %s", exc)
            status.update(status="unavailable", database="unusable (see the log)")
        if not s.ready:
            status["status"] = "starting"
        return JSONResponse(status, 200 if status["status"] == "ok" else 503)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    async def stylesheet(request: Request) -> Response:
        return Response(pages.CSS, media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=3600"})

    async def telegram(request: Request) -> Response:
        if s.on_update is None or not s.webhook_secret:
            return PlainTextResponse("not found", 404)
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, s.webhook_secret.encode()):
            return PlainTextResponse("forbidden", 403)  # nothing processed
        raw = await limited_body(request, 1 << 20)
        if raw is None:
            return PlainTextResponse("too large", 413)
        try:
            body = json.loads(raw)
            if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
                raise ValueError("not an update")
        except (ValueError, RecursionError):
            return PlainTextResponse("bad update", 400)
        try:
            await s.on_update(body)  # stored before Telegram hears 200
        except sqlite3.Error as exc:
            log.error("webhook: update %s could not be stored (%s); Telegram will send it again", body["update_id"], exc)
            return PlainTextResponse("not stored, send again", 503)
        except (KeyError, TypeError, ValueError, RecursionError) as exc:  # no sending it again can help
            log.warning("webhook: update %s is not one we can read (%s): dropped", body["update_id"], exc)
        return JSONResponse({})

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)

    async def bad_reference(request: Request, exc: Exception) -> Response:
        return html_page(pages.not_found_page(str(exc)), 404)

    async def missing(request: Request, exc: Exception) -> Response:
        return html_page(pages.not_found_page("没有这一页。"), 404)

    async def broken(request: Request, exc: Exception) -> Response:
        log.error("web: %s %s failed", request.method, request.url.path, exc_info=exc)
        return html_page(pages.not_found_page("出了点问题，已经记录下来。请稍后再试。"), 500)

    routes = [
        Route("/", home), Route("/vote", vote, methods=["POST"]), Route("/item/{ref:path}", item),
        Route("/sections", sections), Route("/section/{ref:path}", section), Route("/deadlines", deadlines),
        Route("/calendar/{name}.ics", calendar), Route("/api/ask", api_ask), Route("/healthz", healthz),
        Route("/metrics", metrics), Route("/static/style.css", stylesheet), Route("/favicon.ico", favicon),
        Route("/telegram", telegram, methods=["POST"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)],
                     exception_handlers={RefError: bad_reference, 404: missing, 405: missing, 500: broken})
