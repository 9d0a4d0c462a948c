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
  year the plan does not speak of (2025年 in a 2021 plan);
- dense_best: the best item's cosine with the question (its best passage, by the sentence encoder);
- dense_z: how far the chosen item's cosine stands above the other items' (a z-score);
- dense_margin: the best cosine minus the runner-up item's;
- agree: the best item by words and the best item by meaning are the same;
- latin: the share of the question's letters that are Latin (an English or pinyin question, whose
  words the plan's Chinese text cannot hold), and dense_z_latin = dense_z × latin, so that for such a
  question the model can lean on meaning instead of word coverage;
- unrecognised: a question mostly in Latin letters none of whose words the plans or the English
  table explain (`lorem ipsum`, `asdf`, a question about cooking): meaning alone finds a nearest
  item for anything, so this vetoes an answer, like detail_missing and elsewhere.

The dense signals are 0 when the encoder is not available; the words-only model, fitted apart,
then decides. With the encoder, `fusion_weight` is the weight of the z-scored cosines beside the
z-scored BM25 scores when items are ranked, and `cascade` is the words-only model's probability from
which a Chinese question is answered by words without consulting meaning (encoding a question costs
more than everything else the search does; the cut is chosen where, on the questions fitted on,
answering by words alone loses nothing).

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
    dense_best: float = 0.0
    dense_z: float = 0.0
    dense_margin: float = 0.0
    agree: bool = False
    latin: float = 0.0
    dense_z_latin: float = 0.0
    unrecognised: bool = False

    def vetoed(self) -> bool:
        """An answer is ruled out whatever the probability (see `detail_missing`, `elsewhere`, `unrecognised`)."""
        return self.detail_missing or self.elsewhere or self.unrecognised

    def vector(self) -> list[float]:
        """The model's features as floats, in field order."""
        return [float(getattr(self, n)) for n in FEATURE_NAMES]


FEATURE_NAMES = tuple(f.name for f in fields(Features) if f.name != "unrecognised")  # a veto, not a weight


NEVER = 1.01  # a cascade cut no probability reaches: every question is encoded


@dataclass(frozen=True)
class Calibration:
    """Logistic weights over `Features`, the probability above which a question counts as answered, and
    (hybrid search only) the weight of meaning beside words in the ranking."""

    weights: dict[str, float]
    bias: float
    threshold: float = 0.5
    fusion_weight: float = 0.0
    cascade: float = NEVER  # hybrid only: the words model's probability at which meaning is not consulted

    def probability(self, f: Features) -> float:
        """P(the plan answers the question | features)."""
        z = self.bias + sum(self.weights.get(n, 0.0) * v for n, v in zip(FEATURE_NAMES, f.vector()))
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def to_dict(self) -> dict[str, object]:
        """The fields as JSON-ready data."""
        return {"weights": self.weights, "bias": self.bias, "threshold": self.threshold,
                "fusion_weight": self.fusion_weight, "cascade": self.cascade}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "Calibration":
        """The inverse of to_dict."""
        weights = data["weights"]
        assert isinstance(weights, dict)
        return cls({str(k): float(v) for k, v in weights.items()}, float(data["bias"]),  # type: ignore[arg-type]
                   float(data.get("threshold", 0.5)), float(data.get("fusion_weight", 0.0)),  # type: ignore[arg-type]
                   float(data.get("cascade", NEVER)))  # type: ignore[arg-type]


# Used until a calibration file exists: coverage and known-vocabulary dominate, missing details veto.
DEFAULT = Calibration(
    weights={"coverage": 6.0, "known": 3.0, "score": 1.0, "detail_missing": -6.0},
    bias=-6.0,
)


HYBRID, WORDS = "hybrid", "words"  # the two models: with the sentence encoder, and words alone


def load_calibration(mode: str = HYBRID, path: Path = CALIBRATION) -> Calibration:
    """The fitted model for a search mode (HYBRID or WORDS), or the default weights when none is fitted."""
    if not path.exists():
        return DEFAULT
    data = json.loads(path.read_text(encoding="utf-8"))
    if mode not in data:  # a file from before the encoder: one words-only model
        return Calibration.from_dict(data) if mode == WORDS and "weights" in data else DEFAULT
    return Calibration.from_dict(data[mode])


def write_calibration(models: dict[str, Calibration], path: Path = CALIBRATION) -> None:
    """Store the fitted models, one per search mode."""
    data = {mode: cal.to_dict() for mode, cal in models.items()}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
