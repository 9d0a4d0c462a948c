"""Fit the not-found model (index/confidence.py) on development questions; write calibration.json.

    python -m index.calibrate eval/dev-extra.jsonl [more.jsonl …] [--check held-out.jsonl …] [--dry-run]

A question is a positive example when its gold is non-empty (the plan answers it). The model is an
L2-regularised logistic regression over `Features`, fitted by Newton's method; features are used
raw so the stored weights read directly. The threshold is the highest probability cut that meets the
in-scope recall target (see best_threshold).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .confidence import CALIBRATION, FEATURE_NAMES, Calibration
from .evaluate import Question, read_questions
from .search import Index


def feature_matrix(index: Index, questions: list[Question]) -> tuple[np.ndarray, np.ndarray]:
    """Features of each question's best match, and labels (1 = the plan answers it)."""
    rows, labels = [], []
    for q in questions:
        a = index.search(q.q, k=3)
        if a.features is None:  # nothing matched at all: trivially not found, nothing to learn
            continue
        rows.append(a.features.vector())
        labels.append(1.0 if q.gold else 0.0)
    return np.asarray(rows), np.asarray(labels)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> tuple[np.ndarray, float]:
    """Logistic regression with an L2 penalty (bias not penalised), by Newton's method."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(xb @ w, -40, 40)))
        grad = xb.T @ (p - y) + reg * w
        hess = xb.T @ (xb * (p * (1 - p))[:, None]) + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def best_threshold(p: np.ndarray, y: np.ndarray, min_recall: float = 0.99) -> float:
    """The highest cut that still answers `min_recall` of the in-scope questions.

    Telling someone "the plan doesn't say" when it does costs more than showing a near item for a
    question it doesn't answer (the card shows its reference, so the reader can judge), so the cut
    keeps in-scope recall first and rejects as much out-of-scope as that allows.
    """
    cuts = np.linspace(0.05, 0.95, 91)
    ok = [c for c in cuts if (p[y == 1] >= c).mean() >= min_recall]
    return float(round(max(ok), 2)) if ok else 0.05


def describe(cal: Calibration, index: Index, questions: list[Question], name: str) -> str:
    """Answered rate on in-scope questions and rejected rate on out-of-scope ones."""
    pos = neg = pos_ok = neg_ok = 0
    for q in questions:
        a = index.search(q.q, k=3)
        answered = a.features is not None and cal.probability(a.features) >= cal.threshold
        if q.gold:
            pos += 1
            pos_ok += answered
        else:
            neg += 1
            neg_ok += not answered
    return f"{name}: answered {pos_ok}/{pos} in scope, rejected {neg_ok}/{neg} out of scope"


def main() -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description="Fit the not-found model on development questions.")
    ap.add_argument("train", nargs="+", type=Path)
    ap.add_argument("--check", nargs="*", type=Path, default=[], help="held-out files to report on")
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--dry-run", action="store_true", help="print, do not write calibration.json")
    args = ap.parse_args()
    index = Index.build()
    train = [q for f in args.train for q in read_questions(f)]
    x, y = feature_matrix(index, train)
    w, b = fit(x, y, args.l2)
    probs = 1 / (1 + np.exp(-(x @ w + b)))
    cal = Calibration({n: round(float(v), 4) for n, v in zip(FEATURE_NAMES, w)}, round(b, 4), best_threshold(probs, y))
    print(cal.to_json())
    print(describe(cal, index, train, "train"))
    for f in args.check:
        print(describe(cal, index, read_questions(f), f.name))
    if not args.dry_run:
        CALIBRATION.write_text(cal.to_json() + "\n", encoding="utf-8")
        print(f"written {CALIBRATION}")


if __name__ == "__main__":
    main()
