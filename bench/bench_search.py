"""Search benchmarks (run by hand; prints figures, asserts nothing):

    .venv/bin/python bench/bench_search.py [--runs 15] [--skip-scaling]

1. cold start: process start → first answer printed by `plan-bot ask`, median of runs (warm disk cache,
   vectors cached), next to a naive script (jieba's default dictionary + rank-bm25's BM25Okapi);
2. first run: the same with an empty cache folder (passage vectors computed);
3. batch: questions/second through `plan-bot ask --json -` after start-up (1,000 questions, distinct
   as far as the development sets go, then the same 1,000 again: repeated questions);
4. peak RSS of `plan-bot ask`;
5. scaling: median query latency over synthetic plans of 1k, 10k and 100k passages (by words: encoding
   100k synthetic passages would take hours), next to the real plan with and without the encoder.
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


NAIVE = """
import jieba, sys
from rank_bm25 import BM25Okapi
from corpus import shipped_plans
ps = [p.text for plan in shipped_plans() for it in plan.all_items() for p in it.passages]
bm = BM25Okapi([jieba.lcut(t) for t in ps])
scores = bm.get_scores(jieba.lcut(sys.argv[1]))
print(ps[max(range(len(ps)), key=scores.__getitem__)])
"""


def naive_cold_start(runs: int) -> float:
    """Median wall time of the naive jieba + BM25Okapi script answering QUESTION."""
    cmd = [str(ROOT / ".venv" / "bin" / "python"), "-c", NAIVE, QUESTION]
    subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def first_run() -> float:
    """Wall time of `plan-bot ask` with an empty cache folder (jieba's table, tokens and vectors built)."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as home:
        t = time.perf_counter()
        subprocess.run([plan_bot(), "ask", QUESTION], capture_output=True, check=True, env={**os.environ, "HOME": home})
        return time.perf_counter() - t


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
    real = Index.build()
    rows.append(("real plan (33 items), words and meaning", len(real.passages), 0.0, latency(real, qs) * 1000))
    words = Index.build(encoder=None)
    rows.append(("real plan (33 items), words only", len(words.passages), 0.0, latency(words, qs) * 1000))
    tok = ClauseMemoTokenizer()
    for n in (1_000, 10_000, 100_000):
        t = time.perf_counter()
        ix = Index.build((synthetic_plan(n),), tokenizer=tok, cache_dir=None, encoder=None)
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
    naive = naive_cold_start(args.runs)
    print(f"cold start (plan-bot ask, {args.runs} runs): median {med:.3f} s, min {best:.3f} s; naive jieba + BM25Okapi "
          f"script {naive:.3f} s → {med / naive:.2f}×  (target ≤ 0.6×, goal ≤ 0.4×)")
    print(f"first run, empty cache folder: {first_run():.2f} s")
    total, qps = batch(qs, med)
    print(f"batch: 1,000 questions in {total:.2f} s incl. start-up → {qps:,.0f} questions/s after start-up  (target ≥ 40/s)")
    total, qps = batch(qs + qs, med)
    print(f"batch, the same 1,000 twice: {total:.2f} s → {qps:,.0f} questions/s  (goal ≥ 200/s with repeats)")
    print(f"peak RSS of plan-bot ask: {peak_rss_mb():.1f} MB  (target ≤ 400 MB, goal ≤ 250 MB)")
    if not args.skip_scaling:
        print("\n| corpus | passages | build (s) | median query (ms) |\n|---|---:|---:|---:|")
        for name, n, built, ms in scaling(qs[:200]):
            print(f"| {name} | {n:,} | {built:.1f} | {ms:.2f} |")


if __name__ == "__main__":
    main()
