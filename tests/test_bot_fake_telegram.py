"""The test Bot API server answers like Telegram where it matters (so the other tests mean something)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from fake_telegram import TOKEN, FakeTelegram, FakeTelegramServer, HtmlError, parse_html


@pytest.fixture
def server():
    with FakeTelegramServer() as s:
        yield s


def call(server, method, token=TOKEN, **params):
    return httpx.post(f"{server.base_url}{token}/{method}", data=params, timeout=5)


@pytest.mark.parametrize("text", [
    "<b>高考", "高考</b>", "<script>x</script>", "<b><i>x</b></i>", "a < b", "<p>段落</p>",
])
def test_html_telegram_refuses_is_refused(text):
    with pytest.raises(HtmlError):
        parse_html(text)


def test_telegram_html_parses_to_plain_text_and_utf16_entities():
    plain, entities = parse_html("📌 <b>学前</b> &lt;b&gt; &amp; AT&T")
    assert plain == "📌 学前 <b> & AT&T"
    assert entities == [{"type": "bold", "offset": 3, "length": 2}]


def test_bad_html_gets_telegrams_400(server):
    server.fake.private_chat(1)
    r = call(server, "sendMessage", chat_id=1, text="<b>高考", parse_mode="HTML")
    assert r.status_code == 400 and r.json()["description"].startswith("Bad Request: can't parse entities")


def test_messages_over_4096_characters_are_refused_but_4096_pass(server):
    server.fake.private_chat(1)
    assert call(server, "sendMessage", chat_id=1, text="字" * 4096).status_code == 200
    r = call(server, "sendMessage", chat_id=1, text="字" * 4097)
    assert (r.status_code, r.json()["description"]) == (400, "Bad Request: message is too long")


def test_callback_data_over_64_bytes_is_refused(server):
    server.fake.private_chat(1)
    markup = '{"inline_keyboard": [[{"text": "x", "callback_data": "%s"}]]}' % ("字" * 22)
    r = call(server, "sendMessage", chat_id=1, text="x", reply_markup=markup)
    assert r.json()["description"] == "Bad Request: BUTTON_DATA_INVALID"


def test_a_wrong_token_is_unauthorized_and_an_unknown_chat_not_found(server):
    assert call(server, "getMe", token="1:wrong").status_code == 401
    assert call(server, "sendMessage", chat_id=404, text="x").json()["description"] == "Bad Request: chat not found"


def test_get_updates_long_polls_until_an_update_arrives_and_offset_confirms(server):
    fake: FakeTelegram = server.fake
    threading.Timer(0.2, lambda: fake.message(7, "你好")).start()
    t0 = time.monotonic()
    updates = call(server, "getUpdates", timeout=5).json()["result"]
    assert 0.15 < time.monotonic() - t0 < 2 and [u["message"]["text"] for u in updates] == ["你好"]
    again = call(server, "getUpdates", timeout=0).json()["result"]
    assert again == updates  # not confirmed yet
    after = call(server, "getUpdates", offset=updates[-1]["update_id"] + 1, timeout=0).json()["result"]
    assert after == [] and fake.pending_updates() == 0


def test_sent_messages_have_dates_in_seconds_and_can_be_edited_once_per_change(server):
    fake = server.fake
    fake.private_chat(1)
    sent = call(server, "sendMessage", chat_id=1, text="一").json()["result"]
    assert isinstance(sent["date"], int) and abs(sent["date"] - time.time()) < 5
    edit = dict(chat_id=1, message_id=sent["message_id"], text="二")
    assert call(server, "editMessageText", **edit).status_code == 200
    r = call(server, "editMessageText", **edit)
    assert "message is not modified" in r.json()["description"]


def test_a_scripted_flood_wait_carries_retry_after(server):
    server.fake.fail_next("getMe", retry_after=3)
    r = call(server, "getMe")
    assert r.status_code == 429 and r.json()["parameters"] == {"retry_after": 3}
    assert call(server, "getMe").json()["result"]["is_bot"] is True


def test_send_document_accepts_a_multipart_upload_like_python_telegram_bot_sends(server):
    server.fake.private_chat(1)
    r = httpx.post(f"{server.base_url}{TOKEN}/sendDocument", data={"chat_id": "1", "caption": "报告"},
                   files={"document": ("error.txt", b"traceback...", "text/plain")}, timeout=5)
    doc = r.json()["result"]
    assert doc["document"]["file_name"] == "error.txt" and doc["document"]["file_size"] == 12
    assert doc["caption"] == "报告"
