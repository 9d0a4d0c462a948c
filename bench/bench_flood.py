"""Fairness under a flood (run by hand; prints figures, asserts nothing):

    .venv/bin/python bench/bench_flood.py [-n 500]

`plan-bot run` against the test suite's Bot API server on 127.0.0.1. One chat sends `n` questions at
once; meanwhile another chat asks 10 questions, 300 ms apart, and the time from each of its updates
being handed to getUpdates to its answer is measured. Three runs in one process, so they compare:
without a per-chat budget (PLAN_BOT_CHAT_RATE=0, as before it existed), with the default budget (20 a
minute), and with the budget while Telegram answers the flooding chat's sends with a 5 s flood wait.
"""

from __future__ import annotations

import argparse
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

FLOODER, OTHER = 70_001, 70_002


def measure(server: FakeTelegramServer, workdir: Path, n: int, chat_rate: int, flood_wait: int) -> dict:
    """One bot process: a flood from FLOODER, ten questions from OTHER; OTHER's latencies."""
    fake = server.fake
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PLAN_BOT_"))}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=server.base_url, PLAN_BOT_LOG_LEVEL="WARNING",
               PLAN_BOT_DB=str(workdir / f"flood-{chat_rate}-{flood_wait}.sqlite3"), PLAN_BOT_CHAT_RATE=str(chat_rate))
    plan_bot = Path(sys.executable).with_name("plan-bot")
    command = [str(plan_bot), "run"] if plan_bot.exists() else [sys.executable, "-m", "bot.cli", "run"]
    since = start = fake.mark()
    proc = subprocess.Popen(command, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    fake.wait_for(lambda c: c.method == "getUpdates" and bool(c.params.get("timeout")), since=since,
                  timeout=60, pending=True)
    latencies = []
    try:
        if flood_wait:
            fake.fail_next("sendMessage", retry_after=flood_wait, chat_id=FLOODER)
        for i in range(n):
            fake.message(FLOODER, f"学前教育有什么新政策 {i}")
        time.sleep(0.3)
        for i in range(10):
            since = fake.mark()
            sent = time.monotonic()
            fake.message(OTHER, "孩子近视越来越严重，今年有什么目标？")
            (reply,) = fake.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == OTHER,
                                     since=since, timeout=120)
            latencies.append(reply.at - sent)
            time.sleep(0.3)
        flooder = len(fake.find(lambda c: c.method == "sendMessage" and c.chat_id == FLOODER, start))
    finally:
        proc.send_signal(signal.SIGTERM)
        stop_started = time.monotonic()
        proc.wait(timeout=120)
        stopped = time.monotonic() - stop_started
    return {"median_ms": 1000 * statistics.median(latencies), "max_ms": 1000 * max(latencies),
            "flooder_replies": flooder, "stop_s": stopped}


def main() -> None:
    """Run the three cases and print one line each."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=500, help="questions in the flood (default 500)")
    args = ap.parse_args()
    cases = {"no budget (as before)": (0, 0), "budget 20/min": (20, 0), "budget, flooder gets a 5 s 429": (20, 5)}
    print(f"a flood of {args.n} questions from one chat; another chat's 10 questions, 300 ms apart")
    print(f"{'':34} {'other chat median':>18} {'max':>10} {'flooder replies':>16} {'SIGTERM':>8}")
    with FakeTelegramServer() as server, tempfile.TemporaryDirectory() as tmp:
        for name, (rate, wait) in cases.items():
            r = measure(server, Path(tmp), args.n, rate, wait)
            print(f"{name:34} {r['median_ms']:15.1f} ms {r['max_ms']:7.1f} ms {r['flooder_replies']:16d} "
                  f"{r['stop_s']:7.1f}s")


if __name__ == "__main__":
    main()
