"""The web front end: every page and route, bad references and hostile input, the per-client limit,
votes that cannot be forged from another site, health, metrics and the webhook route."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from conftest import NOW

from bot.render import answer_json
from bot.web import WebServices, create_app

SECRET = "hook-secret_123"


def services(index, store, **kw: Any) -> WebServices:  # type: ignore[no-untyped-def]
    return WebServices(index, store, lambda: NOW, **kw)


@pytest.fixture
async def web(index, store) -> AsyncIterator[tuple[WebServices, httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    s = services(index, store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(s)), base_url="http://plan.test") as c:
        yield s, c


async def get(client: httpx.AsyncClient, url: str, **kw: Any) -> httpx.Response:
    return await client.get(url, **kw)


# ---- pages ---------------------------------------------------------------------------------------

async def test_the_home_page_is_a_chinese_page_for_phones_with_an_ask_box_and_nothing_from_elsewhere(web) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    r = await get(client, "/")
    assert r.status_code == 200 and '<html lang="zh-CN">' in r.text
    assert 'name="viewport"' in r.text and '<form class="ask" method="get" action="/"' in r.text
    assert not re.search(r'(src|href)="(https?:)?//', r.text)  # no CDN, font or script from another host
    assert "<script" not in r.text


async def test_an_answer_shows_items_with_references_marked_sentences_links_and_a_vote_form(web, store) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    r = await get(client, "/", params={"q": "学前教育有什么新政策"})
    assert r.status_code == 200
    assert '<a href="/item/11?plan=nmg-edu-2021">11. 推动学前教育普惠发展</a>' in r.text
    assert "三、建设高质量教育体系" in r.text and "<mark>学前教育</mark>" in r.text
    assert 'method="post" action="/vote"' in r.text and 'name="token"' in r.text
    logged = store.recent_questions()[0]
    assert logged.question == "学前教育有什么新政策" and logged.answered and logged.items[0] == 11


async def test_a_question_the_plan_does_not_answer_says_so_and_offers_the_nearest(web) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    r = await get(client, "/", params={"q": "今天天气怎么样"})
    assert r.status_code == 200 and "没有找到" in r.text and "你可能想看" in r.text and "/sections" in r.text


async def test_hostile_input_is_escaped(web) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    r = await get(client, "/", params={"q": '<script>alert(1)</script>"><img src=x onerror=alert(1)> 学前教育'})
    assert r.status_code == 200 and "<script>" not in r.text and "<img" not in r.text
    assert "&lt;script&gt;" in r.text


async def test_a_very_long_question_is_cut_and_says_so(web) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    r = await get(client, "/", params={"q": "高校毕业生就业" + "啊" * 3_000})
    assert r.status_code == 200 and "问题过长" in r.text


@pytest.mark.parametrize("ref", ["15", "十五", "第15条", "总体要求"])
async def test_an_item_page_by_any_reference(web, ref: str) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    r = await get(client, f"/item/{ref}")
    assert r.status_code == 200 and ("15. 推动高等教育提质创新发展" in r.text or "总体要求" in r.text)


@pytest.mark.parametrize("url", ["/item/34", "/item/0", "/item/abc", "/section/9", "/calendar/99.ics",
                                 "/item/15?plan=nope"])
async def test_a_bad_reference_is_a_404_naming_what_is_valid(web, url: str) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    r = await get(client, url)
    assert r.status_code == 404 and ("1–33" in r.text or "一–七" in r.text or "nmg-edu-2021" in r.text)


async def test_sections_a_section_and_the_deadlines(web) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    toc, one, dates = [await get(client, u) for u in ("/sections", "/section/三", "/deadlines")]
    assert toc.status_code == one.status_code == dates.status_code == 200
    assert "七、" in toc.text and "/item/11?plan=" in one.text and "2021-12-31" in dates.text


async def test_calendars_are_the_same_ics_as_the_bot_gives(web) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    one, everything = await get(client, "/calendar/15.ics"), await get(client, "/calendar/all.ics")
    for r in (one, everything):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
        assert r.text.startswith("BEGIN:VCALENDAR")
    assert everything.text.count("BEGIN:VEVENT") > one.text.count("BEGIN:VEVENT") >= 1


async def test_the_api_gives_the_same_json_as_plan_bot_ask(web, index) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    r = await get(client, "/api/ask", params={"q": "孩子近视越来越严重，今年有什么目标？"})
    assert r.status_code == 200 and r.json() == answer_json(index.search("孩子近视越来越严重，今年有什么目标？"))
    empty = await get(client, "/api/ask", params={"q": "  "})
    assert empty.status_code == 400 and empty.json()["error"] == "empty question"


@pytest.mark.parametrize("url", ["/nope", "/item", "/api/nothing", "/?q=%ZZ%E4%B8", "/item/%E4%B8%ZZ",
                                 "/section/%FF"])
async def test_unknown_paths_and_broken_encoding_never_crash(web, url: str) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    r = await get(client, url)
    assert r.status_code in (200, 307, 400, 404)  # 307: /item → /item/, itself a 404


async def test_html_carries_the_security_headers(web) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    r = await get(client, "/item/15")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "no-referrer"
    css = await get(client, "/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


# ---- the per-client limit ------------------------------------------------------------------------

async def test_a_client_over_its_limit_gets_429_while_others_and_health_checks_go_on(index, store) -> None:  # type: ignore[no-untyped-def]
    s = services(index, store, rate=3, trusted_proxies=("127.0.0.1",))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(s)), base_url="http://p.test") as c:
        me, other = {"X-Forwarded-For": "203.0.113.5"}, {"X-Forwarded-For": "203.0.113.9"}
        codes = [(await c.get("/", params={"q": f"学前教育 {n}"}, headers=me)).status_code for n in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = await c.get("/api/ask", params={"q": "近视"}, headers=me)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        assert (await c.get("/", params={"q": "学前教育"}, headers=other)).status_code == 200
        assert (await c.get("/healthz", headers=me)).status_code == 200
        assert (await c.get("/item/15", headers=me)).status_code == 200  # pages are not questions


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(index, store) -> None:  # type: ignore[no-untyped-def]
    s = services(index, store, rate=2)  # no trusted proxy: the header is ignored
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(s)), base_url="http://p.test") as c:
        codes = [(await c.get("/", params={"q": "学前教育"}, headers={"X-Forwarded-For": f"198.51.100.{n}"}))
                 .status_code for n in range(3)]
    assert codes == [200, 200, 429]  # a spoofed header does not buy a new budget


# ---- votes ---------------------------------------------------------------------------------------

async def test_a_vote_from_the_answer_page_is_recorded_and_a_forged_one_is_refused(web, store) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    page = await get(client, "/", params={"q": "学前教育有什么新政策"})
    qid = re.search(r'name="question" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    token = re.search(r'name="token" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"question": qid, "token": token, "vote": "-1"}
    forged = await client.post("/vote", data={**form, "token": "0" * 32})
    cross_site = await client.post("/vote", data=form, headers={"Origin": "https://evil.example"})
    assert forged.status_code == cross_site.status_code == 403 and store.feedback(int(qid)) == []
    ok = await client.post("/vote", data=form)
    assert ok.status_code == 200 and "谢谢" in ok.text
    assert [f.vote for f in store.feedback(int(qid))] == [-1]


# ---- health, metrics, webhook ----------------------------------------------------------------------

async def test_health_says_ok_and_503_while_starting(web) -> None:  # type: ignore[no-untyped-def]
    s, client = web
    ok = await get(client, "/healthz")
    assert ok.status_code == 200 and ok.json() == {"status": "ok", "items": 34, "search": "hybrid", "database": "ok"}
    s.ready = False
    assert (await get(client, "/healthz")).status_code == 503


async def test_metrics_count_web_questions_in_prometheus_text(web) -> None:  # type: ignore[no-untyped-def]
    _, client = web

    def answered(text: str) -> float:
        m = re.search(r'plan_bot_questions_total\{answered="true",channel="web"\} ([0-9.]+)', text)
        return float(m.group(1)) if m else 0.0

    before = answered((await get(client, "/metrics")).text)
    await get(client, "/", params={"q": "学前教育有什么新政策"})
    after = (await get(client, "/metrics")).text
    assert answered(after) == before + 1 and "plan_bot_answer_seconds_bucket" in after


async def test_the_webhook_takes_updates_only_with_the_secret(index, store) -> None:  # type: ignore[no-untyped-def]
    got: list[dict] = []

    async def on_update(body: dict) -> None:
        got.append(body)

    s = services(index, store, on_update=on_update, webhook_secret=SECRET)
    update = {"update_id": 7, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"},
                                          "text": "学前教育"}}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(s)), base_url="http://p.test") as c:
        no_header = await c.post("/telegram", json=update)
        wrong = await c.post("/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
        assert no_header.status_code == wrong.status_code == 403 and got == []
        ok = await c.post("/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        junk = await c.post("/telegram", content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert ok.status_code == 200 and got == [update] and junk.status_code == 400


async def test_without_a_webhook_the_telegram_route_does_not_exist(web) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    assert (await client.post("/telegram", json={"update_id": 1})).status_code == 404


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil
    import subprocess
    from pathlib import Path

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = (Path(__file__).resolve().parent.parent / "deploy" / "plan-bot.service").read_text(encoding="utf-8")
    home = tmp_path / "srv"
    (home / ".venv" / "bin").mkdir(parents=True)
    (home / ".venv" / "bin" / "plan-bot").write_text("#!/bin/sh\n")
    (home / ".venv" / "bin" / "plan-bot").chmod(0o755)
    (home / ".env").write_text("")
    unit = unit.replace("/srv/plan-bot", str(home)).replace("User=plan-bot", "User=root").replace(
        "Group=plan-bot", "Group=root")
    (tmp_path / "plan-bot.service").write_text(unit)
    done = subprocess.run([analyze, "verify", str(tmp_path / "plan-bot.service")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ---- crafted requests never make a 500 ---------------------------------------------------------------

async def test_crafted_cookies_tokens_and_references_get_a_clear_answer_not_a_500(web) -> None:  # type: ignore[no-untyped-def]
    _, client = web
    odd_cookie = {"cookie": b"pb_voter=\xb2"}  # "²" in latin-1: a digit to str.isdigit, not to int()
    assert (await get(client, "/", params={"q": "学前教育"}, headers=odd_cookie)).status_code == 200
    forged = await client.post("/vote", data={"question": "1", "token": "é", "vote": "1"})
    assert forged.status_code == 403
    for ref in ("十五", "第15条"):
        cal = await get(client, f"/calendar/{ref}.ics")
        assert cal.status_code == 200 and 'filename="nmg-edu-2021-15.ics"' in cal.headers["content-disposition"]
    big = await client.post("/vote", content=b"vote=1&" + b"x" * 10_000,
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413


async def test_a_json_429_carries_only_its_own_headers(index, store) -> None:  # type: ignore[no-untyped-def]
    s = services(index, store, rate=1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(s)), base_url="http://p.test") as c:
        await c.get("/api/ask", params={"q": "近视"})
        r = await c.get("/api/ask", params={"q": "近视"})
    assert r.status_code == 429 and r.headers["content-type"] == "application/json"
    assert int(r.headers["content-length"]) == len(r.content) and "retry-after" in r.headers


async def test_the_webhook_refuses_odd_secrets_and_drops_updates_it_cannot_read(index, store) -> None:  # type: ignore[no-untyped-def]
    async def unreadable(body: dict) -> None:
        raise KeyError("date")

    s = services(index, store, on_update=unreadable, webhook_secret=SECRET)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(s)), base_url="http://p.test") as c:
        odd = await c.post("/telegram", json={"update_id": 1},
                           headers={"X-Telegram-Bot-Api-Secret-Token": b"s\xe9cret"})
        bad = await c.post("/telegram", json={"update_id": 5, "message": {"text": "x"}},
                           headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        huge = await c.post("/telegram", content=b"[" * (2 << 20), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert odd.status_code == 403 and bad.status_code == 200 and huge.status_code == 413


def test_ipv6_clients_are_limited_by_their_slash_64() -> None:
    from bot.web.app import client_key

    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9") != client_key("2001:db8:1:3::1")
    assert client_key("203.0.113.5") == "203.0.113.5"


async def test_each_web_question_is_one_structured_log_line_without_the_address(web, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    _, client = web
    with caplog.at_level(logging.INFO, logger="bot.web.app"):
        await get(client, "/", params={"q": "学前教育有什么新政策"})
        await get(client, "/api/ask", params={"q": "今天天气怎么样"})
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("channel=web")]
    assert [ln.split()[1] for ln in lines] == ["kind=page", "kind=api"]
    assert "answered=true" in lines[0] and "answered=false" in lines[1]
    assert not any("127.0.0.1" in ln or "学前教育" in ln for ln in lines)
