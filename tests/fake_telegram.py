"""A small Bot API server for tests and benchmarks, faithful to Telegram where it matters to a bot.

- `FakeTelegram` is the state: updates waiting for getUpdates, the chats and messages, every API call
  the bot made. It checks what Telegram checks — the token, Telegram HTML (only its tags, balanced),
  4096-character messages, 64-byte callback data, 50 inline results, known chats and messages, "message
  is not modified" — and answers with Telegram's status codes and descriptions.
- `FakeTelegramServer` serves it over HTTP on 127.0.0.1 (stdlib `ThreadingHTTPServer`, HTTP/1.1
  keep-alive, form, JSON and multipart bodies) with real long polling: getUpdates waits up to its
  `timeout` and returns as soon as an update is injected.
- `FakeRequest` is a python-telegram-bot `BaseRequest` that calls the same state in-process, for tests
  that drive `Application.process_update` with no network at all.

The test side injects updates (`message`, `edit`, `sticker`, `press`, `inline_query`) and waits for
calls with `wait_for`, so tests never sleep for a fixed time.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl

BOT_ID = 7000000001
BOT_USERNAME = "PlanTestBot"
BOT_NAME = "计划问答（测试）"
TOKEN = f"{BOT_ID}:AAHfakeTOKENfor-tests_0123456789abcdefXYZ"
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
INLINE_RESULTS_LIMIT = 50

# Telegram HTML: these tags and no others (https://core.telegram.org/bots/api#html-style).
HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
    "blockquote", "tg-emoji",
}
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9A-Fa-f]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TEXT_FIELDS = {
    "text", "caption", "query", "next_offset", "callback_query_id", "inline_query_id", "inline_message_id",
    "parse_mode", "url", "title", "description", "short_description", "name", "filename",
}


class HtmlError(ValueError):
    """Text that Telegram would refuse with "can't parse entities"."""


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram HTML → (plain text, entities); HtmlError with Telegram's wording when it would refuse."""
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "<":
            m = _TAG.match(text, pos)
            offset = len(text[:pos].encode())
            if not m:
                raise HtmlError(f"Unclosed start tag at byte offset {offset}")
            closing, name, _attrs, _selfclose = m.group(1), m.group(2).lower(), m.group(3), m.group(4)
            if name not in HTML_TAGS:
                kind = "end" if closing else "start"
                raise HtmlError(f'Unsupported {kind} tag "{name}" at byte offset {offset}')
            if closing:
                if not stack or stack[-1][0] != name:
                    expected = f'"</{stack[-1][0]}>"' if stack else "no end tag"
                    raise HtmlError(f'Unmatched end tag at byte offset {offset}, expected {expected}, found "</{name}>"')
                tag, start = stack.pop()
                here = utf16_len("".join(out))
                if here > start:
                    entities.append({"type": _entity_type(tag), "offset": start, "length": here - start})
            else:
                stack.append((name, utf16_len("".join(out))))
            pos = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, pos)
            if m:
                ref = m.group(1)
                out.append(_NAMED[ref] if ref in _NAMED else chr(int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])))
                pos = m.end()
            else:  # Telegram leaves a bare & alone
                out.append(ch)
                pos += 1
        elif ch == ">":
            out.append(ch)
            pos += 1
        else:
            nxt = min((i for i in (text.find("<", pos), text.find("&", pos), text.find(">", pos)) if i >= 0),
                      default=len(text))
            out.append(text[pos:nxt])
            pos = nxt
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), sorted(entities, key=lambda e: e["offset"])


def _entity_type(tag: str) -> str:
    return {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
            "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "span": "spoiler",
            "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
            "blockquote": "blockquote", "tg-emoji": "custom_emoji"}[tag]


def auto_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram attaches to a user's plain text: a leading /command and @mentions."""
    entities = []
    m = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
    if m:
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))})
    for m in re.finditer(r"(?<![A-Za-z0-9_/])@[A-Za-z0-9_]{5,32}", text):
        entities.append({"type": "mention", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group(0))})
    return entities


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description, optional parameters (retry_after)."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def bad_request(description: str) -> ApiError:
    """A 400 answer, described the way Telegram describes it."""
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Call:
    """One API call the bot made, with Telegram's answer (result, or the error description)."""

    method: str
    params: dict[str, Any]
    at: float
    result: Any = None
    error: str = ""
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    done: bool = False  # answered (a long poll is recorded when it arrives, answered when it returns)

    @property
    def chat_id(self) -> Any:
        """The chat the call was for (int), if any."""
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        """The plain text the user sees for a message sent or edited (HTML parsed), else ""."""
        if isinstance(self.result, dict):
            return self.result.get("text", "") or self.result.get("caption", "")
        return ""

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of each inline button on the message sent or edited, row by row."""
        markup = (self.result or {}).get("reply_markup") if isinstance(self.result, dict) else None
        return [(b["text"], b.get("callback_data", "")) for row in (markup or {}).get("inline_keyboard", []) for b in row]

    @property
    def message(self) -> dict[str, Any]:
        """The Message Telegram returned (sendMessage, editMessageText, sendDocument)."""
        return self.result if isinstance(self.result, dict) else {}


@dataclass
class Failure:
    """A scripted failure: the next `times` calls of `method` get this answer instead."""

    method: str
    status: int
    description: str
    parameters: dict[str, Any] | None
    times: int
    chat_id: int | None = None  # only calls to this chat (None: any call)


class FakeTelegram:
    """Bot API state and behaviour, thread-safe; drive it from tests, serve it with FakeTelegramServer."""

    def __init__(self, token: str = TOKEN, *, bot_id: int = BOT_ID, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.bot = {"id": bot_id, "is_bot": True, "first_name": BOT_NAME, "username": username,
                    "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": True, "can_connect_to_business": False, "has_main_web_app": False}
        self._cond = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}  # the last setWebhook's parameters
        self.scoped_commands: dict[int, list[dict[str, Any]]] = {}  # setMyCommands for one chat
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._chats: dict[int, dict[str, Any]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._open_queries: set[str] = set()
        self._failures: list[Failure] = []
        self.calls: list[Call] = []
        self.commands: list[dict[str, Any]] = []
        self.confirmed = 0  # every update below this id was confirmed by a getUpdates offset
        self.closed = False

    # ---- the API ----------------------------------------------------------------------------
    def handle(self, token: str, method: str, params: dict[str, Any],
               files: dict[str, tuple[str, bytes]] | None = None) -> tuple[int, dict[str, Any]]:
        """Answer one API call: (HTTP status, JSON body) as Telegram would."""
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        call = Call(method, params, time.monotonic(), files=files or {})
        self._record(call)
        api = getattr(self, f"api_{method.lower()}", None)
        try:
            failure = self._scripted_failure(method, params.get("chat_id"))
            if failure:
                raise failure
            if api is None:
                raise ApiError(404, "Not Found: method not found")
            result = api(params, call)
        except ApiError as exc:
            self._finish(call, error=exc.description)
            body: dict[str, Any] = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            return exc.status, body
        self._finish(call, result=result)
        return 200, {"ok": True, "result": result}

    def api_getme(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        """getMe: the bot user."""
        return dict(self.bot)

    def api_deletewebhook(self, params: dict[str, Any], call: Call) -> bool:
        """deleteWebhook: drops pending updates when asked."""
        if params.get("drop_pending_updates"):
            with self._cond:
                self._updates.clear()
        return True

    def api_getwebhookinfo(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        """getWebhookInfo: the webhook set (or none)."""
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    def api_setwebhook(self, params: dict[str, Any], call: Call) -> bool:
        """setWebhook: remembered (the test posts the updates itself, as Telegram would)."""
        if not str(params.get("url", "")).startswith(("https://", "http://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        with self._cond:
            self.webhook = dict(params)
        return True

    def api_getupdates(self, params: dict[str, Any], call: Call) -> list[dict[str, Any]]:
        """getUpdates: confirm below `offset`, then wait up to `timeout` s for updates (long polling)."""
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self._cond:
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                self.confirmed = max(self.confirmed, offset)
            allowed = params.get("allowed_updates")
            if allowed:
                self._updates = [u for u in self._updates if any(kind in allowed for kind in u if kind != "update_id")]
            while not self._updates and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return [dict(u) for u in self._updates[:limit]]

    def api_setmycommands(self, params: dict[str, Any], call: Call) -> bool:
        """setMyCommands: 1–100 commands, names [a-z0-9_]{1,32}, descriptions 1–256 characters."""
        commands = params.get("commands") or []
        if not 1 <= len(commands) <= 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c.get("command", "")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(c.get("description", "")) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        scope = params.get("scope")
        if isinstance(scope, str):
            scope = json.loads(scope)
        if scope and scope.get("type") == "chat":
            self._chat(scope.get("chat_id"))  # Telegram refuses a scope for a chat it does not know
            self.scoped_commands[int(scope["chat_id"])] = list(commands)
        else:
            self.commands = list(commands)
        return True

    def api_getmycommands(self, params: dict[str, Any], call: Call) -> list[dict[str, Any]]:
        """getMyCommands: what setMyCommands stored."""
        return list(self.commands)

    def api_deletemycommands(self, params: dict[str, Any], call: Call) -> bool:
        """deleteMyCommands."""
        self.commands = []
        return True

    def api_sendchataction(self, params: dict[str, Any], call: Call) -> bool:
        """sendChatAction ("typing…")."""
        self._chat(params.get("chat_id"))
        return True

    def api_sendmessage(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        """sendMessage: checks chat, HTML, length, keyboard and the replied-to message."""
        chat = self._chat(params.get("chat_id"))
        text, entities = self._message_text(params.get("text", ""), params.get("parse_mode"), MESSAGE_LIMIT)
        markup = self._keyboard(params.get("reply_markup"))
        reply_to = self._reply_to(chat["id"], params.get("reply_parameters"))
        message = self._new_message(chat, self.bot, text=text)
        if entities:
            message["entities"] = entities
        if markup:
            message["reply_markup"] = markup
        if reply_to:
            message["reply_to_message"] = reply_to
        return self._store(message)

    def api_editmessagetext(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        """editMessageText: the bot's own message, and only if something changes."""
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(params.get("chat_id"))
        key = (chat["id"], int(params.get("message_id") or 0))
        with self._cond:
            old = self._messages.get(key)
        if old is None or old["from"]["id"] != self.bot["id"]:
            raise bad_request("message to edit not found")
        text, entities = self._message_text(params.get("text", ""), params.get("parse_mode"), MESSAGE_LIMIT)
        markup = self._keyboard(params.get("reply_markup"))
        if text == old.get("text") and entities == old.get("entities", []) and markup == old.get("reply_markup"):
            raise bad_request("message is not modified: specified new message content and reply markup are "
                              "exactly the same as a current content and reply markup of the message")
        new = {k: v for k, v in old.items() if k not in ("text", "entities", "reply_markup")}
        new.update(text=text, edit_date=int(time.time()))
        if entities:
            new["entities"] = entities
        if markup:
            new["reply_markup"] = markup
        return self._store(new)

    def api_senddocument(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        """sendDocument (multipart upload): a Message with a document and its caption."""
        chat = self._chat(params.get("chat_id"))
        upload = call.files.get(str(params.get("document", "")).removeprefix("attach://")) or call.files.get("document")
        if upload is None:
            raise bad_request("there is no document in the request")
        caption, entities = self._message_text(params.get("caption", ""), params.get("parse_mode"), CAPTION_LIMIT,
                                               allow_empty=True, what="message caption")
        name, data = upload
        message = self._new_message(chat, self.bot)
        message["document"] = {"file_id": f"doc{next(self._ids)}", "file_unique_id": f"u{next(self._ids)}",
                               "file_name": name, "mime_type": "text/plain", "file_size": len(data)}
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        return self._store(message)

    def api_sendphoto(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        """sendPhoto (multipart upload): a Message with the photo; the upload must be a PNG or JPEG."""
        chat = self._chat(params.get("chat_id"))
        upload = call.files.get(str(params.get("photo", "")).removeprefix("attach://")) or call.files.get("photo")
        if upload is None:
            raise bad_request("there is no photo in the request")
        _, data = upload
        if not data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8")):
            raise bad_request("IMAGE_PROCESS_FAILED")
        message = self._new_message(chat, self.bot)
        message["photo"] = [{"file_id": f"ph{next(self._ids)}", "file_unique_id": f"u{next(self._ids)}",
                             "width": 640, "height": 320, "file_size": len(data)}]
        if params.get("caption"):
            message["caption"] = params["caption"]
        return self._store(message)

    def api_answercallbackquery(self, params: dict[str, Any], call: Call) -> bool:
        """answerCallbackQuery: once per query, text up to 200 characters."""
        qid = str(params.get("callback_query_id"))
        with self._cond:
            if qid not in self._open_queries:
                raise bad_request("query is too old and response timeout expired or query ID is invalid")
            self._open_queries.discard(qid)
        if len(params.get("text") or "") > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        return True

    def api_answerinlinequery(self, params: dict[str, Any], call: Call) -> bool:
        """answerInlineQuery: ≤ 50 results with unique ids ≤ 64 bytes and valid message text."""
        qid = str(params.get("inline_query_id"))
        with self._cond:
            if qid not in self._open_queries:
                raise bad_request("query is too old and response timeout expired or query ID is invalid")
            self._open_queries.discard(qid)
        results = params.get("results") or []
        if len(results) > INLINE_RESULTS_LIMIT:
            raise bad_request("RESULTS_TOO_MUCH")
        ids = [r.get("id", "") for r in results]
        if len(set(ids)) != len(ids):
            raise bad_request("RESULT_ID_DUPLICATE")
        for r in results:
            if not 1 <= len(r.get("id", "").encode()) <= 64:
                raise bad_request("RESULT_ID_INVALID")
            content = r.get("input_message_content") or {}
            self._message_text(content.get("message_text", ""), content.get("parse_mode"), MESSAGE_LIMIT)
        if len(str(params.get("next_offset") or "").encode()) > 64:
            raise bad_request("NEXT_OFFSET_INVALID")
        return True

    def api_close(self, params: dict[str, Any], call: Call) -> bool:
        """close."""
        return True

    def api_logout(self, params: dict[str, Any], call: Call) -> bool:
        """logOut."""
        return True

    # ---- checks -----------------------------------------------------------------------------
    def _message_text(self, raw: str, parse_mode: Any, limit: int, *, allow_empty: bool = False,
                      what: str = "message text") -> tuple[str, list[dict[str, Any]]]:
        entities: list[dict[str, Any]] = []
        text = raw
        if str(parse_mode or "").upper() == "HTML":
            try:
                text, entities = parse_html(raw)
            except HtmlError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        if not text.strip() and not allow_empty:
            raise bad_request(f"{what} is empty")
        if utf16_len(text) > limit:
            raise bad_request("message is too long" if limit == MESSAGE_LIMIT else "message caption is too long")
        return text, entities

    def _keyboard(self, markup: Any) -> dict[str, Any] | None:
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise bad_request("BUTTON_TEXT_INVALID")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                    raise bad_request("BUTTON_DATA_INVALID")
        return markup

    def _reply_to(self, chat_id: int, parameters: Any) -> dict[str, Any] | None:
        if not parameters:
            return None
        with self._cond:
            found = self._messages.get((int(parameters.get("chat_id") or chat_id), int(parameters["message_id"])))
        if found is None and not parameters.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return found

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        try:
            key = int(chat_id)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        with self._cond:
            chat = self._chats.get(key)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _scripted_failure(self, method: str, chat_id: Any = None) -> ApiError | None:
        with self._cond:
            for f in self._failures:
                if f.method == method and f.times > 0 and (f.chat_id is None or str(f.chat_id) == str(chat_id)):
                    f.times -= 1
                    return ApiError(f.status, f.description, f.parameters)
        return None

    # ---- bookkeeping ------------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _finish(self, call: Call, *, result: Any = None, error: str = "") -> None:
        with self._cond:
            call.result, call.error, call.done = result, error, True
            self._cond.notify_all()

    def _new_message(self, chat: dict[str, Any], sender: dict[str, Any], **fields: Any) -> dict[str, Any]:
        with self._cond:
            counter = self._message_ids.setdefault(chat["id"], itertools.count(1))
            message_id = next(counter)
        return {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": sender, **fields}

    def _store(self, message: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            self._messages[(message["chat"]["id"], message["message_id"])] = message
        return message

    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._cond.notify_all()
        return update

    # ---- the test side: people and what they do ---------------------------------------------
    @staticmethod
    def user(user_id: int, first_name: str = "测试用户") -> dict[str, Any]:
        """A human user."""
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "zh-hans"}

    def private_chat(self, user_id: int) -> dict[str, Any]:
        """The private chat between a user and the bot (known to the server from now on)."""
        return self._register({"id": user_id, "type": "private", "first_name": "测试用户"})

    def group_chat(self, chat_id: int, *, supergroup: bool = False) -> dict[str, Any]:
        """A group (negative id) or supergroup (-100… id) the bot is a member of."""
        return self._register({"id": chat_id, "type": "supergroup" if supergroup else "group", "title": "测试群"})

    def _register(self, chat: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            return self._chats.setdefault(chat["id"], chat)

    def message(self, chat: dict[str, Any] | int, text: str | None = None, *, user: dict[str, Any] | None = None,
                reply_to: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """A user sends a message (text gets Telegram's automatic entities); returns the Message."""
        chat = self.private_chat(chat) if isinstance(chat, int) else chat
        sender = user or self.user(chat["id"] if chat["type"] == "private" else 1)
        message = self._new_message(chat, sender, **fields)
        if text is not None:
            message["text"] = text
            entities = auto_entities(text)
            if entities:
                message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self._store(message)
        self._push({"message": message})
        return message

    def edit(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        """The user edits one of their messages; returns the edited Message."""
        edited = {**message, "text": text, "edit_date": int(time.time())}
        edited.pop("entities", None)
        if auto_entities(text):
            edited["entities"] = auto_entities(text)
        self._store(edited)
        self._push({"edited_message": edited})
        return edited

    def sticker(self, chat: dict[str, Any] | int, *, user: dict[str, Any] | None = None) -> dict[str, Any]:
        """A user sends a sticker."""
        sticker = {"file_id": "CAACAgIAAxk", "file_unique_id": "AgADsticker", "type": "regular",
                   "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}
        return self.message(chat, None, user=user, sticker=sticker)

    def press(self, message: dict[str, Any], data: str, *, user: dict[str, Any] | None = None) -> str:
        """A user presses an inline button with `data` under a message; returns the query id."""
        qid = str(next(self._ids) + 10_000)
        with self._cond:
            current = self._messages.get((message["chat"]["id"], message["message_id"]), message)
            self._open_queries.add(qid)
        sender = user or self.user(message["chat"]["id"] if message["chat"]["type"] == "private" else 1)
        self._push({"callback_query": {"id": qid, "from": sender, "message": current,
                                       "chat_instance": f"ci{message['chat']['id']}", "data": data}})
        return qid

    def inline_query(self, user_id: int, query: str, offset: str = "") -> str:
        """A user types `@bot query` in any chat; returns the inline query id."""
        qid = str(next(self._ids) + 20_000)
        with self._cond:
            self._open_queries.add(qid)
        self._push({"inline_query": {"id": qid, "from": self.user(user_id), "query": query, "offset": offset,
                                     "chat_type": "sender"}})
        return qid

    def fail_next(self, method: str, *, status: int = 429, description: str = "Too Many Requests: retry after 1",
                  retry_after: int | None = 1, times: int = 1, chat_id: int | None = None) -> None:
        """Make the next `times` calls of `method` (to `chat_id` only, if given) fail (default: a 429
        flood wait of 1 s)."""
        parameters = {"retry_after": retry_after} if retry_after else None
        with self._cond:
            self._failures.append(Failure(method, status, description, parameters, times, chat_id))

    # ---- the test side: what the bot did ----------------------------------------------------
    def mark(self) -> int:
        """A position in the call log; pass it as `since` to look only at later calls."""
        with self._cond:
            return len(self.calls)

    def find(self, predicate: Callable[[Call], bool], since: int = 0, *, pending: bool = False) -> list[Call]:
        """Answered calls after `since` that satisfy `predicate` (with `pending`, in-flight ones too)."""
        with self._cond:
            return [c for c in self.calls[since:] if (c.done or pending) and predicate(c)]

    def wait_for(self, predicate: Callable[[Call], bool], *, since: int = 0, count: int = 1,
                 timeout: float = 10.0, pending: bool = False) -> list[Call]:
        """Block until `count` answered calls after `since` satisfy `predicate` (with `pending`, calls
        still in flight count too); TimeoutError lists what did arrive."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls[since:] if (c.done or pending) and predicate(c)]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.params.get("chat_id"), c.error) for c in self.calls[since:]
                            if c.method != "getUpdates"]
                    raise TimeoutError(f"{len(found)}/{count} matching calls after {timeout} s; saw {seen[-20:]}")
                self._cond.wait(left)

    def replies(self, chat_id: int, since: int = 0, *, method: str = "sendMessage") -> list[Call]:
        """Successful `method` calls to a chat after `since`."""
        return self.find(lambda c: c.method == method and c.chat_id == chat_id and not c.error, since)

    def errors(self, since: int = 0) -> list[Call]:
        """Calls Telegram refused (other than scripted failures and unknown tokens)."""
        return self.find(lambda c: bool(c.error) and not c.error.startswith("Too Many Requests"), since)

    def take_updates(self) -> list[dict[str, Any]]:
        """Remove and return the waiting updates (for tests that feed `process_update` themselves)."""
        with self._cond:
            taken, self._updates = self._updates, []
            return taken

    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot."""
        with self._cond:
            return len(self._updates)

    def message_now(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """A message as it is now (after edits)."""
        with self._cond:
            return self._messages[(chat_id, message_id)]

    def close(self) -> None:
        """Release long polls (the server is going away)."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()


# ---- HTTP ---------------------------------------------------------------------------------------
def decode_params(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Form fields → values: free-text fields stay strings, the rest are JSON when they parse."""
    params: dict[str, Any] = {}
    for key, value in pairs:
        if key in _TEXT_FIELDS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


def parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """A request body (form, JSON or multipart) → (params, uploaded files by field name)."""
    if not body:
        return {}, {}
    if content_type.startswith("application/json"):
        return json.loads(body), {}
    if content_type.startswith("multipart/form-data"):
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        fields, files = [], {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_param("filename", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if filename is not None:
                files[name] = (filename, payload)
            else:
                fields.append((name, payload.decode()))
        return decode_params(fields), files
    return decode_params(parse_qsl(body.decode(), keep_blank_values=True)), {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall
    server: "_Server"

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self._answer(*parse_body(self.headers.get("Content-Type", ""), body))

    def do_GET(self) -> None:  # noqa: N802
        query = self.path.partition("?")[2]
        self._answer(decode_params(parse_qsl(query)), {})

    def _answer(self, params: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> None:
        m = re.fullmatch(r"/bot([^/]*)/([A-Za-z]+)(?:\?.*)?", self.path)
        if m:
            status, payload = self.server.fake.handle(m.group(1), m.group(2), params, files)
        else:
            status, payload = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a bot stopping mid-poll)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — quiet
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's default backlog of 5 resets a burst of new connections
    fake: FakeTelegram

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (a bot killed with SIGKILL) is not an error of ours."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class FakeTelegramServer:
    """Serve a FakeTelegram on 127.0.0.1 (a free port) from a background thread."""

    def __init__(self, fake: FakeTelegram | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fake = fake or FakeTelegram()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.fake = self.fake
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-telegram", daemon=True)

    @property
    def base_url(self) -> str:
        """The python-telegram-bot base_url of this server (`http://127.0.0.1:PORT/bot`)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/bot"

    def start(self) -> "FakeTelegramServer":
        """Start serving; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release long polls, stop serving, close the socket."""
        self.fake.close()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "FakeTelegramServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---- in-process python-telegram-bot request ----------------------------------------------------
def fake_request(fake: FakeTelegram):  # type: ignore[no-untyped-def]
    """A python-telegram-bot BaseRequest answering from `fake` in-process (imported lazily: the
    server above needs no python-telegram-bot)."""
    from telegram.request import BaseRequest, RequestData

    class FakeRequest(BaseRequest):
        """Records every call in the fake and returns its JSON; no sockets."""

        @property
        def read_timeout(self) -> float | None:
            return 1.0

        async def initialize(self) -> None:
            return None

        async def shutdown(self) -> None:
            return None

        async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                             read_timeout: Any = None, write_timeout: Any = None, connect_timeout: Any = None,
                             pool_timeout: Any = None) -> tuple[int, bytes]:
            m = re.search(r"/bot([^/]*)/([A-Za-z]+)$", url)
            assert m, url
            params = decode_params(list(request_data.json_parameters.items())) if request_data else {}
            files = {}
            if request_data and request_data.contains_files:
                for name, value in request_data.multipart_data.items():
                    filename, content = value[0], value[1]
                    files[name] = (filename, content if isinstance(content, bytes) else content.read())
            status, payload = fake.handle(m.group(1), m.group(2), params, files)
            return status, json.dumps(payload).encode()

    return FakeRequest()


def only(calls: list[Call], method: str = "sendMessage") -> Call:
    """The single accepted call of `method` among `calls`."""
    found = [c for c in calls if c.method == method and not c.error]
    assert len(found) == 1, [(c.method, c.error) for c in calls]
    return found[0]


def no_errors(calls: list[Call]) -> list[Call]:
    """The calls, after checking the server refused none of them."""
    assert [c.error for c in calls if c.error] == []
    return calls
