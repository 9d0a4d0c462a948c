"""Confidence that the plan answers a question: a logistic model over a few search signals.

The decision "answered or not found" is not a cut on one raw BM25 score (raw scores grow with the
length of the question). It combines signals that each mean something on their own:

- coverage: IDF-weighted share of the question's content words found in the top item's text (a word
  also counts as found when a synonym rule it belongs to adds a word that is there);
- coverage_general: the same share weighted by each word's salience, its rarity in everyday Chinese
  above the baseline of common words (so the everyday words of a question weigh little and a topic
  word the plan lacks weighs a lot);
- passage_coverage: that share within the single best passage (topic words matched together);
- known: IDF-weighted share of the question's words the plans explain anywhere (directly or through
  a synonym rule);
- score: log(1 + best item score); score_per_idf: best score over the question's total IDF;
- margin: how far the best item is ahead of the runner-up;
- detail_missing: the question asks for a figure, a day, a list of named schools, a procedure or a
  person (index/detail.py), and the best sentence holds nothing of that kind (procedures and persons:
  never, since a work plan states tasks); this and `elsewhere` also veto an answer outright;
- elsewhere: the question names a province or city the plan neither mentions nor is about, or a
  year the plan does not speak of (2025年 in a 2021 plan).

The weights are fitted by `python -m index.calibrate` on the project's own development questions
(`eval/`) and stored in `index/data/calibration.json`; the probability is what `confidence` reports.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path

CALIBRATION = Path(__file__).resolve().parent / "data" / "calibration.json"


@dataclass(frozen=True)
class Features:
    """Signals about the best match of a question (see the module docstring)."""

    coverage: float
    coverage_general: float
    passage_coverage: float
    known: float
    score: float
    score_per_idf: float
    margin: float
    detail_missing: bool
    elsewhere: bool

    def vector(self) -> list[float]:
        """The features as floats, in field order."""
        return [float(getattr(self, n)) for n in FEATURE_NAMES]


FEATURE_NAMES = tuple(f.name for f in fields(Features))


@dataclass(frozen=True)
class Calibration:
    """Logistic weights over `Features` and the probability above which a question counts as answered."""

    weights: dict[str, float]
    bias: float
    threshold: float = 0.5

    def probability(self, f: Features) -> float:
        """P(the plan answers the question | features)."""
        z = self.bias + sum(self.weights.get(n, 0.0) * v for n, v in zip(FEATURE_NAMES, f.vector()))
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def to_json(self) -> str:
        """Serialise for `index/data/calibration.json`."""
        return json.dumps({"weights": self.weights, "bias": self.bias, "threshold": self.threshold},
                          ensure_ascii=False, indent=2)


# Used until a calibration file exists: coverage and known-vocabulary dominate, missing details veto.
DEFAULT = Calibration(
    weights={"coverage": 6.0, "known": 3.0, "score": 1.0, "detail_missing": -6.0},
    bias=-6.0,
)


def load_calibration(path: Path = CALIBRATION) -> Calibration:
    """The fitted calibration, or the default weights when no file has been fitted yet."""
    if not path.exists():
        return DEFAULT
    data = json.loads(path.read_text(encoding="utf-8"))
    return Calibration(dict(data["weights"]), float(data["bias"]), float(data.get("threshold", 0.5)))
