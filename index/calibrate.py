"""Fit the fusion weight and the not-found model on development questions; report out-of-fold figures.

    python -m index.calibrate eval/dev-*.jsonl [--check eval/dev-unseen.jsonl] [--folds 5] [--dry-run]

Two models are fitted and stored in index/data/calibration.json: `hybrid` (words fused with the
sentence encoder's cosines) and `words` (the fallback when the encoder cannot run, and the first step
of the cascade). For `hybrid`, the fusion weight is the one with the best mean reciprocal rank over the
in-scope questions, from a grid, and the cascade cut the lowest words-model probability from which
answering by words alone costs nothing on the questions fitted on (see fit_models).

A question is a positive example when its gold is non-empty (the plan answers it). The not-found model
is an L2-regularised logistic regression over `Features`, fitted by Newton's method; features are used
raw so the stored weights read directly. The threshold is the highest probability cut that meets the
in-scope recall target (see best_threshold).

Honest figures: the questions of all the files are pooled and split into k folds; for each fold the
weight, the model and the threshold are chosen on the other folds only, and the fold's questions are
answered with them. The figures printed per file are these out-of-fold answers. `--check` files are
never used for fitting and are answered by the model fitted on everything else.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .confidence import FEATURE_NAMES, HYBRID, NEVER, WORDS, Calibration, Features, write_calibration
from .evaluate import Outcome, Question, read_questions, score
from .search import Index, Prepared

WEIGHTS = tuple(round(0.1 * i, 1) for i in range(0, 31))  # fusion weights tried: 0 … 3
PROBE = Calibration({}, 0.0, 0.0)  # ranks and features do not depend on the model, only on the weight


@dataclass(frozen=True)
class Trial:
    """A question answered at one fusion weight: the distinct items (best first) and the features."""

    items: tuple[int, ...]
    features: Features | None
    vetoed: bool


def trial(index: Index, prep: Prepared | None, weight: float) -> Trial:
    """Rank one prepared question at a fusion weight."""
    if prep is None:
        return Trial((), None, True)
    a = index.answer(prep, 10, replace(PROBE, fusion_weight=weight))
    f = a.features
    return Trial(tuple(h.item.number for h in a.hits), f, f is None or f.vetoed())


def reciprocal_rank(items: tuple[int, ...], gold: tuple[int, ...]) -> float:
    """1 / rank of the first gold item among the first ten (0 if none)."""
    return next((1.0 / (r + 1) for r, it in enumerate(items[:10]) if it in gold), 0.0)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> tuple[np.ndarray, float]:
    """Logistic regression with an L2 penalty (bias not penalised), by Newton's method.

    Features are standardised for the fit, so the penalty treats a cosine (which moves by hundredths)
    like a share (which moves by tenths); the weights returned apply to the raw features.
    """
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 1e-9, sd, 1.0)
    w, b = _fit_standard((x - mu) / sd, y, l2, steps)
    return w / sd, b - float((w * mu / sd).sum())


def _fit_standard(x: np.ndarray, y: np.ndarray, l2: float, steps: int) -> tuple[np.ndarray, float]:
    """Newton's method for the penalised logistic regression."""
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


def choose_weight(trials: dict[float, list[Trial]], questions: list[Question], rows: list[int]) -> float:
    """The fusion weight with the best in-scope MRR over the given rows (ties: the smaller weight)."""
    def mrr(w: float) -> float:
        return sum(reciprocal_rank(trials[w][i].items, questions[i].gold) for i in rows if questions[i].gold)
    return max(sorted(trials), key=lambda w: (round(mrr(w), 9), -w))


MIN_RECALL = 0.98  # in-scope share the cut must answer on the questions it is fitted on (0.99 cost 16 more
# out-of-scope answers for 9 fewer false rejections out of fold; 0.97, 7 more false rejections for 9)


def fit_model(trials: list[Trial], questions: list[Question], rows: list[int], weight: float,
              l2: float, min_recall: float = MIN_RECALL) -> Calibration:
    """The not-found model fitted on the given rows' features."""
    use = [i for i in rows if trials[i].features is not None]
    x = np.asarray([trials[i].features.vector() for i in use])  # type: ignore[union-attr]
    y = np.asarray([1.0 if questions[i].gold else 0.0 for i in use])
    w, b = fit(x, y, l2)
    probs = 1 / (1 + np.exp(-(x @ w + b)))
    return Calibration({n: round(float(v), 4) for n, v in zip(FEATURE_NAMES, w)}, round(b, 4),
                       best_threshold(probs, y, min_recall), weight)


def outcome(t: Trial, cal: Calibration) -> Outcome:
    """What a question gets under a fitted model."""
    answered = t.features is not None and not t.vetoed and cal.probability(t.features) >= cal.threshold
    return Outcome(t.items, answered)


CUTS = (*(round(0.8 + 0.01 * i, 2) for i in range(20)), NEVER)  # cascade cuts tried, most skipping first
MRR_TOLERANCE = 0.0  # in-scope MRR a cascade cut may cost on the questions it is fitted on (0.002 skipped 36 more
# of 962 questions, out of fold hit@1 0.911 → 0.909)


@dataclass(frozen=True)
class Trials:
    """Every question ranked by words alone, and by words and meaning at each fusion weight."""

    words: list[Trial]
    hybrid: dict[float, list[Trial]]


@dataclass(frozen=True)
class Models:
    """The two fitted models; the hybrid one carries its fusion weight and cascade cut."""

    hybrid: Calibration
    words: Calibration

    def skips(self, t: Trial) -> bool:
        """The cascade answers this question by words alone (as Index.search decides)."""
        f = t.features
        return (f is not None and not t.vetoed and f.latin == 0
                and self.words.probability(f) >= max(self.hybrid.cascade, self.words.threshold))

    def outcome(self, trials: Trials, i: int) -> Outcome:
        """What question i gets from the search with the encoder."""
        if self.skips(trials.words[i]):
            return outcome(trials.words[i], self.words)
        return outcome(trials.hybrid[self.hybrid.fusion_weight][i], self.hybrid)


def errors(pairs: list[tuple[Question, Outcome]]) -> int:
    """False "not found" plus out-of-scope questions answered."""
    m = score(pairs)
    return m.false_rejections + (m.oos - m.oos_rejected)


def fit_models(trials: Trials, questions: list[Question], rows: list[int], l2: float, min_recall: float) -> Models:
    """Fusion weight, both models and the cascade cut, fitted on the given rows only.

    The cut is the lowest (the most questions answered without encoding them) at which, on these rows,
    the cascade answers no worse than encoding every question: no more errors, and in-scope MRR lower by
    at most MRR_TOLERANCE."""
    w = choose_weight(trials.hybrid, questions, rows)
    hybrid = fit_model(trials.hybrid[w], questions, rows, w, l2, min_recall)
    words = fit_model(trials.words, questions, rows, 0.0, l2, min_recall)

    def pairs(models: Models) -> list[tuple[Question, Outcome]]:
        return [(questions[i], models.outcome(trials, i)) for i in rows]

    full = pairs(Models(replace(hybrid, cascade=NEVER), words))
    base_mrr, base_errors = score(full).mrr, errors(full)
    for cut in CUTS:
        models = Models(replace(hybrid, cascade=cut), words)
        got = pairs(models)
        if score(got).mrr >= base_mrr - MRR_TOLERANCE and errors(got) <= base_errors:
            return models
    return Models(replace(hybrid, cascade=NEVER), words)


def cross_validate(trials: Trials, questions: list[Question], folds: int, l2: float, min_recall: float = MIN_RECALL,
                   seed: int = 0) -> tuple[list[Outcome], list[Outcome], list[Models]]:
    """Out-of-fold outcomes of every question with the encoder and by words alone, and each fold's models."""
    order = list(range(len(questions)))
    random.Random(seed).shuffle(order)
    hybrid: list[Outcome | None] = [None] * len(questions)
    words: list[Outcome | None] = [None] * len(questions)
    fitted = []
    for f in range(folds):
        test = order[f::folds]
        held = set(test)
        models = fit_models(trials, questions, [i for i in order if i not in held], l2, min_recall)
        fitted.append(models)
        for i in test:
            hybrid[i] = models.outcome(trials, i)
            words[i] = outcome(trials.words[i], models.words)
    return [o for o in hybrid if o is not None], [o for o in words if o is not None], fitted


def rank_all(index: Index, questions: list[Question]) -> Trials:
    """Rank every question by words, and by words and meaning at every weight of the grid."""
    preps = [index.prepare(q.q) for q in questions]
    meant = [None if p is None else index.with_meaning(p) for p in preps]
    return Trials([trial(index, p, 0.0) for p in preps], {w: [trial(index, p, w) for p in meant] for w in WEIGHTS})


def report(name: str, questions: list[Question], outcomes: list[Outcome], sources: list[str]) -> None:
    """Figures per source file and over all."""
    print(name)
    for src in dict.fromkeys(sources):
        pairs = [(q, o) for q, o, s in zip(questions, outcomes, sources) if s == src]
        print(f"  {src:<20} {score(pairs).line()}")
    print(f"  {'all':<20} {score(list(zip(questions, outcomes))).line()}")


def calibrate(index: Index, questions: list[Question], checks: dict[str, list[Question]], sources: list[str],
              folds: int, l2: float, min_recall: float = MIN_RECALL) -> Models:
    """Fit both models; print out-of-fold figures per source file, and figures on the checks."""
    trials = rank_all(index, questions)
    hybrid, words, fitted = cross_validate(trials, questions, folds, l2, min_recall)
    print("per fold: fusion weight", [m.hybrid.fusion_weight for m in fitted], "cascade cut",
          [m.hybrid.cascade for m in fitted])
    report("out of fold, words and meaning:", questions, hybrid, sources)
    report("out of fold, words alone (no encoder):", questions, words, sources)
    rows = list(range(len(questions)))
    models = fit_models(trials, questions, rows, l2, min_recall)
    skipped = sum(models.skips(t) for t in trials.words)
    print(f"fitted on all: {skipped} of {len(questions)} questions answered without encoding them")
    print(f"  training fit, optimistic: {score([(q, models.outcome(trials, i)) for i, q in enumerate(questions)]).line()}")
    for name, qs in checks.items():
        held = rank_all(index, qs)
        print(f"  held out {name:<20} {score([(q, models.outcome(held, i)) for i, q in enumerate(qs)]).line()}")
    return models


def main() -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description="Fit the fusion weight and the not-found model; out-of-fold figures.")
    ap.add_argument("train", nargs="+", type=Path)
    ap.add_argument("--check", nargs="*", type=Path, default=[], help="held-out files: never fitted on")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--min-recall", type=float, default=MIN_RECALL, help="in-scope share the cut must answer")
    ap.add_argument("--dry-run", action="store_true", help="print, do not write calibration.json")
    args = ap.parse_args()
    if args.folds < 2:
        ap.error("--folds must be at least 2")
    checked = {p.resolve() for p in args.check}
    files = [p for p in args.train if p.resolve() not in checked]
    questions, sources = [], []
    for f in files:
        for q in read_questions(f):
            questions.append(q)
            sources.append(f.name)
    checks = {p.name: read_questions(p) for p in args.check}
    index = Index.build()
    if index.encoder is None:
        raise SystemExit("the sentence encoder cannot load here: cannot fit the hybrid model")
    models = calibrate(index, questions, checks, sources, args.folds, args.l2, args.min_recall)
    print(models.hybrid.to_dict(), models.words.to_dict(), sep="\n")
    if not args.dry_run:
        write_calibration({HYBRID: models.hybrid, WORDS: models.words})
        print("written index/data/calibration.json")


if __name__ == "__main__":
    main()
