"""Fan-out of one reminder to many chats, killed half-way and restarted. Run by hand:

    .venv/bin/python bench/bench_fanout.py [-n 10000] [--kill-at 0.5] [--no-limited] [--no-unlimited]

The bot runs as a real process (tests/clock_bot.py: `plan-bot run` with its clock set to
2021-12-24 09:00:05 in Asia/Shanghai, when the 7-day reminders of 2021-12-31 fall due) against the
test suite's Bot API server (tests/fake_telegram.py) in this process, over loopback. `n` chats are
subscribed to item 15 in a fresh database. When the server has received `kill-at` × n reminders the
process is killed with SIGKILL, then started again on the same database and left to finish.

Two runs: "limited" is the bot as deployed (25 reminders/s through PTB's rate limiter), "unlimited"
turns pacing and the rate limiter off to show the bot's own throughput. Prints, per run: messages per
second for each process (first to last reminder it sent), the busiest one-second window, duplicates
(chats that got the reminder twice), losses (chats that got nothing), and the claims left unconfirmed
by the kill (at most once: never resent) with whether the server had received them.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fake_telegram import TOKEN, FakeTelegramServer  # noqa: E402

from bot.store import Store  # noqa: E402

CLOCK_BOT = ROOT / "tests" / "clock_bot.py"
AT = "2021-12-24T09:00:05+08:00"
FIRST_CHAT = 10_000_000


def seed(db: Path, chats: range) -> float:
    """Subscribe every chat to item 15; seconds taken."""
    t0 = time.perf_counter()
    store = Store.open(db)
    created = datetime(2021, 3, 1, tzinfo=timezone.utc).isoformat(timespec="milliseconds")
    with store.db.atomic():
        store.db.conn.executemany("insert into chats (chat_id, active, created_at, updated_at) values (?, 1, ?, ?)",
                                  [(c, created, created) for c in chats])
        store.db.conn.executemany("insert into subscriptions (chat_id, plan, scope, number, created_at) "
                                  "values (?, 'nmg-edu-2021', 'item', 15, ?)", [(c, created) for c in chats])
    store.close()
    return time.perf_counter() - t0


class Watcher:
    """Follows the server's call log incrementally: reminders received, by chat, with their times."""

    def __init__(self, server: FakeTelegramServer) -> None:
        self.fake = server.fake
        self.seen = 0
        self.sends: list[tuple[int, float, int]] = []  # (chat, server time, process number)

    def poll(self, process: int) -> int:
        """Take in the calls since the last poll; how many reminders so far."""
        calls = self.fake.find(lambda c: c.method == "sendMessage" and not c.error, self.seen)
        self.seen = self.fake.mark()
        self.sends += [(c.chat_id, c.at, process) for c in calls if "截止" in c.text]
        return len(self.sends)


def start(server: FakeTelegramServer, db: Path, log: Path, unlimited: bool) -> subprocess.Popen[bytes]:
    """The bot process, its clock at AT."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PLAN_BOT_"))}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=server.base_url, PLAN_BOT_DB=str(db),
               PLAN_BOT_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    command = [sys.executable, str(CLOCK_BOT), AT, *(["--unlimited"] if unlimited else [])]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=db.parent, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)


def settled(db: Path) -> Counter[str]:
    """How many delivery rows are in each state."""
    with sqlite3.connect(db) as conn:
        return Counter(s for (s,) in conn.execute("select state from deliveries"))


def busiest_second(times: list[float]) -> int:
    """The most sends in any one-second window."""
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:  # the window (t - 1 s, t]
            j += 1
        best = max(best, i - j + 1)
    return best


def run(n: int, kill_at: float, unlimited: bool, workdir: Path) -> dict:
    """One fan-out with a SIGKILL half-way and a restart; the figures."""
    db = workdir / ("unlimited" if unlimited else "limited") / "bot.sqlite3"
    db.parent.mkdir(parents=True)
    log = db.with_suffix(".log")
    chats = range(FIRST_CHAT, FIRST_CHAT + n)
    seed_s = seed(db, chats)
    with FakeTelegramServer() as server:
        for chat in chats:
            server.fake.private_chat(chat)
        watch = Watcher(server)
        proc = start(server, db, log, unlimited)
        while watch.poll(1) < kill_at * n:
            if proc.poll() is not None:
                raise SystemExit(f"the bot exited early:\n{log.read_text()[-3000:]}")
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(0.2)  # let the server finish requests already in flight
        watch.poll(1)
        killed_after = len(watch.sends)
        with sqlite3.connect(db) as conn:
            in_flight = [c for (c,) in conn.execute("select chat_id from deliveries where state = 'sending'")]
        proc = start(server, db, log, unlimited)
        deadline = time.monotonic() + 3 * n / 25 + 120
        while time.monotonic() < deadline:
            watch.poll(2)
            states = settled(db)
            if sum(states.values()) == n and not states["sending"]:
                break
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        watch.poll(2)
    per_chat = Counter(c for c, _, _ in watch.sends)
    got = {c for c in per_chat}
    rates = {}
    for process in (1, 2):
        times = sorted(t for _, t, p in watch.sends if p == process)
        span = times[-1] - times[0] if len(times) > 1 else float("nan")
        rates[process] = ((len(times) - 1) / span if span else float("nan"), len(times), busiest_second(times))
    return {
        "seed_s": seed_s, "rates": rates, "killed_after": killed_after,
        "duplicates": sum(1 for v in per_chat.values() if v > 1), "losses": n - len(got),
        "states": dict(settled(db)), "in_flight": in_flight,
        "in_flight_delivered": sum(1 for c in in_flight if c in got),
        "log_warnings": sum(1 for line in log.read_text(errors="replace").splitlines() if "not sent again" in line),
    }


def main() -> None:
    """Run the benchmark(s) and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10_000, help="chats (default 10000)")
    ap.add_argument("--kill-at", type=float, default=0.5, help="share of reminders sent before SIGKILL (default 0.5)")
    ap.add_argument("--no-limited", action="store_true", help="skip the run with the rate limiter (7 min for 10000)")
    ap.add_argument("--no-unlimited", action="store_true", help="skip the run without it")
    args = ap.parse_args()
    runs = [(False, "limited (25/s, as deployed)"), (True, "unlimited (pacing and rate limiter off)")]
    runs = [r for r in runs if not ((r[0] and args.no_unlimited) or (not r[0] and args.no_limited))]
    with tempfile.TemporaryDirectory() as tmp:
        for unlimited, name in runs:
            t0 = time.monotonic()
            r = run(args.n, args.kill_at, unlimited, Path(tmp))
            wall = time.monotonic() - t0
            print(f"\n== {name}: {args.n} chats, SIGKILL after {r['killed_after']} reminders, then a restart "
                  f"({wall:.0f} s in all; seeding the database {r['seed_s']:.1f} s)")
            for process, (rate, count, busiest) in r["rates"].items():
                print(f"  process {process}: {count:6d} reminders at {rate:7.1f} msg/s (busiest second: {busiest})")
            print(f"  duplicates: {r['duplicates']}   losses: {r['losses']}   delivery states: {r['states']}")
            print(f"  claims in flight at the kill: {len(r['in_flight'])} (of which the server had received "
                  f"{r['in_flight_delivered']}); 'not sent again' warnings on restart: {r['log_warnings']}")


if __name__ == "__main__":
    main()
