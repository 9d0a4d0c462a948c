"""Round-trip latency of the Telegram bot over loopback, next to a minimal echo bot. Run by hand:

    .venv/bin/python bench/bench_bot_latency.py [-n 200] [--interval 0.05]

Both bots run as real processes (python-telegram-bot, httpx, long polling) against the test suite's
Bot API server (tests/fake_telegram.py) in this process. For each of `n` questions, sent one after
another, latency is the time from the update being handed to getUpdates to the bot's sendMessage
reaching the server. Questions are spaced by `--interval` (default 50 ms, 20/s) so that Telegram's
flood limit (30 messages/s, which plan-bot's AIORateLimiter enforces and the echo bot does not) does
not turn a latency measurement into a throughput one; `--interval 0` shows that effect. Prints
median, p95 and max per bot, the ratio of medians (target ≤ 2.5), and each process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_telegram import TOKEN, FakeTelegramServer  # noqa: E402

QUESTIONS = ROOT / "eval" / "dev-extra.jsonl"
TARGET_RATIO = 2.5


def run_echo_bot() -> None:
    """The baseline: the smallest python-telegram-bot echo bot, same server, same long polling."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send the text back."""
        await update.message.reply_text(update.message.text)

    app = ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(os.environ["TELEGRAM_API_BASE_URL"]).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling()


def questions(n: int) -> list[str]:
    """`n` questions from the development set, repeated as needed."""
    qs = [json.loads(line)["q"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [qs[i % len(qs)] for i in range(n)]


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set size) of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(server: FakeTelegramServer, command: list[str], n: int, interval: float, workdir: Path) -> dict:
    """Start a bot, wait until it polls, time `n` sequential questions, read its peak RSS, stop it."""
    fake = server.fake
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PLAN_BOT_"))}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=server.base_url,
               PLAN_BOT_DB=str(workdir / "bench.sqlite3"), PLAN_BOT_LOG_LEVEL="WARNING")
    since = start = fake.mark()
    t0 = time.monotonic()
    proc = subprocess.Popen(command, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    fake.wait_for(lambda c: c.method == "getUpdates" and bool(c.params.get("timeout")), since=since,
                  timeout=60, pending=True)
    ready = time.monotonic() - t0
    latencies = []
    try:
        for i, q in enumerate(questions(10) + questions(n)):  # 10 warm-up questions, not counted
            chat = 50_000 + i % 20
            since = fake.mark()
            sent = time.monotonic()
            fake.message(chat, q)
            (reply,) = fake.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == chat,
                                     since=since, timeout=30)
            if i >= 10:
                latencies.append(reply.at - sent)
            if interval:
                time.sleep(max(0.0, interval - (time.monotonic() - sent)))
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    latencies.sort()
    return {
        "ready_s": ready, "median_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))], "max_ms": 1000 * latencies[-1],
        "rss_mb": rss, "errors": len(fake.errors(start)),
    }


def main() -> None:
    """Measure both bots in one run and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200, help="questions per bot (default 200)")
    ap.add_argument("--interval", type=float, default=0.05, help="seconds between questions (default 0.05)")
    args = ap.parse_args()
    plan_bot = Path(sys.executable).with_name("plan-bot")
    commands = {
        "echo bot": [sys.executable, str(Path(__file__).resolve()), "--echo-bot"],
        "plan-bot": [str(plan_bot)] if plan_bot.exists() else [sys.executable, "-m", "bot.cli"],
    }
    results = {}
    with FakeTelegramServer() as server, tempfile.TemporaryDirectory() as tmp:
        for name, command in commands.items():
            results[name] = measure(server, [*command, "run"] if name == "plan-bot" else command,
                                    args.n, args.interval, Path(tmp))
    print(f"{args.n} sequential questions over loopback, {1000 * args.interval:.0f} ms apart; "
          f"latency = update handed to getUpdates → sendMessage received")
    print(f"{'':10} {'ready':>8} {'median':>9} {'p95':>9} {'max':>9} {'peak RSS':>10} {'refused':>8}")
    for name, r in results.items():
        print(f"{name:10} {r['ready_s']:7.2f}s {r['median_ms']:7.2f}ms {r['p95_ms']:7.2f}ms {r['max_ms']:7.2f}ms "
              f"{r['rss_mb']:8.1f}MiB {r['errors']:8d}")
    ratio = results["plan-bot"]["median_ms"] / results["echo bot"]["median_ms"]
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    print(f"median ratio plan-bot / echo bot: {ratio:.2f}× ({verdict} the {TARGET_RATIO}× target)")


if __name__ == "__main__":
    if "--echo-bot" in sys.argv:
        run_echo_bot()
    else:
        main()
