"""Evaluation of ranked answers against gold items (format and metrics of eval/README.md)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable


@dataclass(frozen=True)
class Question:
    """One evaluation question: text, gold item numbers (empty = the plan does not answer it), kind."""

    id: str
    q: str
    gold: tuple[int, ...]
    kind: str
    note: str = ""


@dataclass(frozen=True)
class Outcome:
    """What the system returned for a question: distinct items, best first, and `answered`."""

    items: tuple[int, ...]
    answered: bool


def read_questions(path: Path) -> list[Question]:
    """Read a `.jsonl` evaluation file."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            if not isinstance(d, dict):
                raise TypeError("a line must be a JSON object")
            out.append(Question(str(d.get("id", n)), d["q"], tuple(d.get("gold", ())), d.get("kind", ""), d.get("note", "")))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not an evaluation question ({exc})") from exc
    return out


@dataclass(frozen=True)
class Metrics:
    """hit@1, hit@3, MRR, multi recall@3, false rejections, out-of-scope rejected (counts and rates)."""

    n: int
    hit1: float
    hit3: float
    mrr: float
    multi_recall3: float | None
    n_multi: int
    false_rejections: int
    oos: int
    oos_rejected: int

    def line(self) -> str:
        """One line of figures."""
        parts = []
        if self.n:
            parts += [f"hit@1 {self.hit1:.3f}", f"hit@3 {self.hit3:.3f}", f"MRR {self.mrr:.3f}"]
            if self.multi_recall3 is not None:
                parts.append(f"multi recall@3 {self.multi_recall3:.3f}")
            parts.append(f"false rejections {self.false_rejections}/{self.n}")
        if self.oos:
            parts.append(f"out-of-scope rejected {self.oos_rejected}/{self.oos}")
        return "  ".join(parts)


def score(pairs: Iterable[tuple[Question, Outcome]]) -> Metrics:
    """Compute the metrics exactly as eval/README.md defines them."""
    n = h1 = h3 = fr = oos = oos_ok = 0
    mrr = 0.0
    multi: list[float] = []
    for q, o in pairs:
        items = list(dict.fromkeys(o.items))
        if not q.gold:
            oos += 1
            oos_ok += not o.answered
            continue
        n += 1
        fr += not o.answered
        rank = next((i for i, it in enumerate(items[:10]) if it in q.gold), None)
        h1 += rank == 0
        h3 += rank is not None and rank < 3
        mrr += 0.0 if rank is None else 1.0 / (rank + 1)
        if q.kind == "multi":
            multi.append(len(set(items[:3]) & set(q.gold)) / len(q.gold))
    return Metrics(
        n, h1 / n if n else 0.0, h3 / n if n else 0.0, mrr / n if n else 0.0,
        sum(multi) / len(multi) if multi else None, len(multi), fr, oos, oos_ok,
    )


def report(pairs: list[tuple[Question, Outcome]]) -> str:
    """Overall metrics then one line per kind."""
    lines = [f"overall ({len(pairs)} questions): {score(pairs).line()}"]
    by_kind: dict[str, list[tuple[Question, Outcome]]] = defaultdict(list)
    for q, o in pairs:
        by_kind[q.kind].append((q, o))
    for kind in sorted(by_kind):
        lines.append(f"  {kind:<13} ({len(by_kind[kind]):>3}): {score(by_kind[kind]).line()}")
    return "\n".join(lines)
