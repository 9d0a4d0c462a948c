"""Search benchmarks (run by hand; prints figures, asserts nothing):

    .venv/bin/python bench/bench_search.py [--runs 15] [--skip-scaling]

1. cold start: process start → first answer printed by `plan-bot ask`, median of runs (warm disk cache);
2. batch: questions/second through `plan-bot ask --json -` after start-up (1,000 questions);
3. peak RSS of `plan-bot ask`;
4. scaling: median query latency over synthetic plans of 1k, 10k and 100k passages, next to the real plan.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus import GOAL, MEASURES, Item, Passage, Plan, Section, shipped_plans  # noqa: E402
from index import Index  # noqa: E402
from index.evaluate import read_questions  # noqa: E402
from index.tokenize import Tokenizer  # noqa: E402

QUESTION = "孩子近视越来越严重，今年有什么目标？"


def plan_bot() -> str:
    """The installed console script (the one a user runs)."""
    local = ROOT / ".venv" / "bin" / "plan-bot"
    return str(local) if local.exists() else (shutil.which("plan-bot") or "plan-bot")


def questions() -> list[str]:
    """Development questions of every style, repeated to 1,000."""
    qs = [q.q for f in sorted((ROOT / "eval").glob("*.jsonl")) for q in read_questions(f)]
    return (qs * (1000 // len(qs) + 1))[:1000]


def cold_start(runs: int) -> tuple[float, float]:
    """Median and minimum wall time of `plan-bot ask QUESTION` (one warm-up run first)."""
    cmd = [plan_bot(), "ask", QUESTION]
    subprocess.run(cmd, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


def batch(qs: list[str], startup: float) -> tuple[float, float]:
    """Total seconds for 1,000 questions through batch mode, and questions/second after start-up."""
    data = "\n".join(qs) + "\n"
    t = time.perf_counter()
    out = subprocess.run([plan_bot(), "ask", "--json", "-"], input=data, capture_output=True, text=True, check=True)
    total = time.perf_counter() - t
    assert len(out.stdout.splitlines()) == len(qs)
    return total, len(qs) / max(total - startup, 1e-9)


def peak_rss_mb() -> float:
    """Peak resident memory of one `plan-bot ask` child process, in MB."""
    subprocess.run([plan_bot(), "ask", QUESTION], capture_output=True, check=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


class ClauseMemoTokenizer(Tokenizer):
    """Tokenises a synthetic passage clause by clause, memoised: synthetic corpora reuse clauses."""

    def __init__(self) -> None:
        super().__init__()
        self._memo: dict[str, list[str]] = {}

    def tokens(self, text: str) -> list[str]:  # noqa: D102
        out: list[str] = []
        for clause in text.split("，"):
            if clause not in self._memo:
                self._memo[clause] = super().tokens(clause)
            out += self._memo[clause]
        return out


def synthetic_plan(n_passages: int, seed: int = 7) -> Plan:
    """A plan of about n passages: real clauses recombined, 10 passages an item, 20 items a section."""
    real = shipped_plans()[0]
    clauses = [c for p in real.passages() for c in p.text.rstrip("。").split("，") if len(c) > 3]
    rng = random.Random(seed)
    meta = replace(real.meta, id=f"synthetic-{n_passages}", published=date(2021, 1, 1))
    items, sections = [], []
    n_items = max(1, n_passages // 10)
    for i in range(1, n_items + 1):
        sec = (i - 1) // 20 + 1
        texts = ["，".join(rng.sample(clauses, 3)) + "。" for _ in range(10)]
        passages = tuple(Passage(meta.id, i, GOAL if j < 2 else MEASURES, j, t) for j, t in enumerate(texts))
        items.append(Item(meta.id, i, f"合成条目{i}", str(sec), f"合成部分{sec}", "".join(texts[:2]), "".join(texts[2:]),
                          passages=passages))
    for s in range(1, (n_items - 1) // 20 + 2):
        sections.append(Section(meta.id, s, str(s), f"合成部分{s}", tuple(range((s - 1) * 20 + 1, min(s * 20, n_items) + 1))))
    preamble = Item(meta.id, 0, "总体要求", "", "总体要求", "", "")
    return Plan(meta, preamble, tuple(sections), tuple(items))


def latency(index: Index, qs: list[str]) -> float:
    """Median seconds per search over the questions."""
    times = []
    for q in qs:
        t = time.perf_counter()
        index.search(q, k=3)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def scaling(qs: list[str]) -> list[tuple[str, int, float, float]]:
    """(corpus, passages, build seconds, median query ms) for the real plan and synthetic ones."""
    rows = []
    real = Index.build(cache_dir=None)
    rows.append(("real plan (33 items)", len(real.passages), 0.0, latency(real, qs) * 1000))
    tok = ClauseMemoTokenizer()
    for n in (1_000, 10_000, 100_000):
        t = time.perf_counter()
        ix = Index.build((synthetic_plan(n),), tokenizer=tok, cache_dir=None)
        built = time.perf_counter() - t
        rows.append((f"synthetic {n:,}", len(ix.passages), built, latency(ix, qs) * 1000))
    return rows


def main() -> None:
    """Run every benchmark and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--skip-scaling", action="store_true")
    args = ap.parse_args()
    qs = questions()
    med, best = cold_start(args.runs)
    print(f"cold start (plan-bot ask, {args.runs} runs): median {med:.3f} s, min {best:.3f} s  (target ≤ 0.4 s)")
    total, qps = batch(qs, med)
    print(f"batch: 1,000 questions in {total:.2f} s incl. start-up → {qps:,.0f} questions/s after start-up  (target ≥ 2,000/s)")
    print(f"peak RSS of plan-bot ask: {peak_rss_mb():.1f} MB  (target ≤ 60 MB)")
    if not args.skip_scaling:
        print("\n| corpus | passages | build (s) | median query (ms) |\n|---|---:|---:|---:|")
        for name, n, built, ms in scaling(qs[:200]):
            print(f"| {name} | {n:,} | {built:.1f} | {ms:.2f} |")


if __name__ == "__main__":
    main()
