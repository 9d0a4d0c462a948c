"""The web server and the webhook (run by hand; prints figures, asserts nothing):

    .venv/bin/python bench/bench_web.py [-n 1000] [--concurrency 20]

1. answers per second from `plan-bot serve` (GET /api/ask, `--concurrency` clients on loopback, no
   per-client limit) next to `plan-bot ask --json -` on the same questions, in the same run;
2. the bot's round trip by webhook (update POSTed to /telegram → sendMessage received) next to
   polling (update handed to getUpdates → sendMessage received), against the test suite's Bot API
   server, 100 questions each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_telegram import TOKEN, FakeTelegramServer  # noqa: E402

SECRET = "bench-secret"


def plan_bot() -> list[str]:
    """The installed console script."""
    script = Path(sys.executable).with_name("plan-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def questions(n: int) -> list[str]:
    """Development questions of every style, repeated to n."""
    qs = [json.loads(line)["q"] for f in sorted((ROOT / "eval").glob("*.jsonl"))
          for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return (qs * (n // len(qs) + 1))[:n]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(env_extra: dict[str, str], workdir: Path, port: int) -> subprocess.Popen[bytes]:
    """`plan-bot serve` on the port, healthy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PLAN_BOT_"))}
    env.update(PLAN_BOT_DB=str(workdir / f"web-{port}.sqlite3"), PLAN_BOT_WEB_RATE="0", PLAN_BOT_LOG_LEVEL="WARNING",
               **env_extra)
    proc = subprocess.Popen([*plan_bot(), "serve", "--listen", f"127.0.0.1:{port}"], cwd=workdir, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("plan-bot serve did not become healthy")


async def hammer(base: str, qs: list[str], concurrency: int) -> float:
    """Seconds to answer every question with `concurrency` clients."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for q in qs:
        queue.put_nowait(q)

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            while not queue.empty():
                r = await c.get("/api/ask", params={"q": queue.get_nowait()})
                if r.status_code >= 500:  # 400 is the answer to a question with nothing to search
                    r.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - started


def web_throughput(n: int, concurrency: int, workdir: Path) -> tuple[float, float]:
    """(web answers/s, `ask --json -` answers/s after its start-up) on the same questions."""
    qs = questions(n)
    port = free_port()
    proc = start({}, workdir, port)
    try:
        asyncio.run(hammer(f"http://127.0.0.1:{port}", qs[:50], concurrency))  # warm-up
        web = n / asyncio.run(hammer(f"http://127.0.0.1:{port}", qs, concurrency))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    t = time.perf_counter()
    subprocess.run([*plan_bot(), "ask", "-k", "3", "--json", "-"], input="学前教育\n", capture_output=True, text=True)
    startup = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run([*plan_bot(), "ask", "--json", "-"], input="\n".join(qs) + "\n", capture_output=True, text=True,
                   check=True)
    batch = n / max(time.perf_counter() - t - startup, 1e-9)
    return web, batch


def round_trips(workdir: Path, n: int = 100) -> dict[str, float]:
    """Median round trip in ms by webhook and by polling."""
    out = {}
    with FakeTelegramServer() as server:
        fake = server.fake
        for mode in ("webhook", "polling"):
            port = free_port()
            extra = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": server.base_url}
            if mode == "webhook":
                extra.update(PLAN_BOT_WEBHOOK_URL=f"http://127.0.0.1:{port}", PLAN_BOT_WEBHOOK_SECRET=SECRET)
            proc = start(extra, workdir, port)
            times = []
            try:
                with httpx.Client(timeout=10) as client:
                    for i, q in enumerate(questions(n + 10)):
                        chat = 90_000 + i % 20
                        since = fake.mark()
                        sent = time.monotonic()
                        fake.message(chat, q)
                        if mode == "webhook":
                            (update,) = fake.take_updates()
                            client.post(f"http://127.0.0.1:{port}/telegram", json=update,
                                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                        (reply,) = fake.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == chat,
                                                 since=since, timeout=30)
                        if i >= 10:
                            times.append(reply.at - sent)
                        time.sleep(0.05)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
            out[mode] = 1000 * statistics.median(times)
    return out


def main() -> None:
    """Print both figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        web, batch = web_throughput(args.n, args.concurrency, Path(tmp))
        print(f"{args.n} questions: web /api/ask with {args.concurrency} clients {web:,.0f} answers/s; "
              f"plan-bot ask --json - {batch:,.0f} answers/s (after start-up); ratio {web / batch:.2f}")
        trips = round_trips(Path(tmp))
        print(f"bot round trip, median of 100: webhook {trips['webhook']:.1f} ms, polling {trips['polling']:.1f} ms")


if __name__ == "__main__":
    main()
