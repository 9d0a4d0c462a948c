"""The page in a real browser: headless Chromium loads an answer from `plan-bot serve` and the rendered
DOM holds it; a phone-width screenshot is taken. `.ci/run` installs Chromium and sets
PLAN_BOT_BROWSER_TESTS=1, which turns a missing browser into a failure instead of a skip."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from conftest import plan_bot_command
from test_e2e_serve import free_port, wait_healthy

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
QUESTION = "孩子近视越来越严重，今年有什么目标？"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if CHROMIUM is None and os.environ.get("PLAN_BOT_BROWSER_TESTS") != "1":
    pytest.skip("Chromium is not installed (.ci/run installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """`plan-bot serve` without a token: the web pages alone."""
    assert CHROMIUM, "PLAN_BOT_BROWSER_TESTS=1 but no chromium on PATH"
    work = tmp_path_factory.mktemp("browser")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PLAN_BOT_"))}
    env.update(PLAN_BOT_DB=str(work / "bot.sqlite3"))
    proc = subprocess.Popen([*plan_bot_command(), "serve", "--listen", f"127.0.0.1:{port}"], cwd=work, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        yield base, work
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHROMIUM or "chromium", *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=60)


def test_an_answer_renders_in_chromium_with_its_items_and_marks(site) -> None:  # type: ignore[no-untyped-def]
    base, work = site
    done = chromium("--dump-dom", f"{base}/?q={quote(QUESTION)}", profile=work / "profile-dom")
    dom = done.stdout
    assert '<html lang="zh-CN">' in dom, done.stderr[-2000:]
    assert "9. 全面发展素质教育" in dom and "<mark>近视</mark>" in dom and "二、落实立德树人根本任务" in dom


def test_a_phone_width_screenshot_of_an_answer(site) -> None:  # type: ignore[no-untyped-def]
    base, work = site
    shot = work / "answer.png"
    chromium("--window-size=390,1100", f"--screenshot={shot}", f"{base}/?q={quote(QUESTION)}",
             profile=work / "profile-shot")
    data = shot.read_bytes()
    width, height = struct.unpack(">II", data[16:24])  # the PNG header's IHDR
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and width == 390 and height == 1100
    assert httpx.get(f"{base}/static/style.css", timeout=5).status_code == 200
    if os.environ.get("PLAN_BOT_SCREENSHOT"):  # refresh docs/answer-390px.png by hand
        Path(os.environ["PLAN_BOT_SCREENSHOT"]).write_bytes(data)


def test_a_text_pdf_printed_by_chromium_imports_item_for_item(tmp_path: Path) -> None:
    """A PDF as departments make them (a page printed to PDF): Chinese text with Kangxi radicals and
    spaces in its text layer, still read item for item."""
    import html
    from difflib import SequenceMatcher

    from corpus.importer import import_plan
    from corpus.load import PLANS_DIR, load_plan

    text = (PLANS_DIR / "nmg-edu-2021.txt").read_text(encoding="utf-8")
    page = tmp_path / "plan.html"
    page.write_text('<html><head><meta charset="utf-8"></head><body>' +
                    "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines()) + "</body></html>",
                    encoding="utf-8")
    pdf = tmp_path / "plan.pdf"
    chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri(), profile=tmp_path / "profile-pdf")
    found = import_plan(pdf, plan_id="from-pdf")
    original = load_plan(PLANS_DIR / "nmg-edu-2021.txt")
    assert found.plan.item_range == (1, 33)
    assert [found.plan.item(n).title for n in range(1, 34)] == [original.item(n).title for n in range(1, 34)]
    for n in range(1, 34):
        a, b = found.plan.item(n), original.item(n)
        assert SequenceMatcher(None, a.goal + a.measures, b.goal + b.measures).ratio() > 0.98, n
