"""Evaluation: reading question files (errors name the line) and the metrics exactly as
/work/shared/eval/README.md defines them, checked against values computed by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.evaluate import Outcome, Question, read_questions, report, score


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- reading


def test_read_questions_reads_every_field_and_skips_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, [
        json.dumps({"id": "d1", "q": "控辍保学", "gold": [12], "kind": "keyword", "note": "常态化开展控辍保学工作"},
                   ensure_ascii=False),
        "",
        json.dumps({"q": "今天天气", "gold": [], "kind": "out_of_scope"}, ensure_ascii=False),
    ])
    assert read_questions(path) == [
        Question("d1", "控辍保学", (12,), "keyword", "常态化开展控辍保学工作"),
        Question("3", "今天天气", (), "out_of_scope", ""),  # no id: the line number
    ]


@pytest.mark.parametrize("bad", [
    '{"id": "x", "q": "未闭合的 JSON"',  # broken JSON
    '{"id": "x", "gold": [1]}',  # no question
    '{"id": "x", "q": "控辍保学", "gold": 12}',  # gold not a list
    '["a", "list"]',
    "12",
])
def test_read_questions_names_the_line_of_a_bad_entry(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, ['{"id": "ok", "q": "控辍保学", "gold": [12]}', "", bad])
    with pytest.raises(ValueError) as err:
        read_questions(path)
    assert f"{path}:3:" in str(err.value)


# ---------------------------------------------------------------- metrics

PAIRS = [  # (question, outcome); first gold item's rank noted
    (Question("a", "", (5,), "keyword"), Outcome((5, 2, 3), True)),  # rank 1
    (Question("b", "", (7,), "paraphrase"), Outcome((1, 2, 7), True)),  # rank 3
    (Question("c", "", (9,), "paraphrase"), Outcome((1, 2, 3, 4, 9), False)),  # rank 5, rejected
    (Question("d", "", (4, 6), "multi"), Outcome((6, 1, 4), True)),  # rank 1, 2 of 2 gold in top 3
    (Question("e", "", (10, 11, 12), "multi"), Outcome((10, 3, 8, 11), True)),  # rank 1, 1 of 3 in top 3
    (Question("f", "", (20,), "keyword"), Outcome((*range(1, 11), 20), True)),  # rank 11: counts 0
    (Question("g", "", (5,), "keyword"), Outcome((3, 3, 5), True)),  # distinct items: rank 2
    (Question("h", "", (), "out_of_scope"), Outcome((), False)),  # rejected
    (Question("i", "", (), "out_of_scope"), Outcome((4,), True)),  # answered: not rejected
]


def test_metrics_on_a_hand_made_set() -> None:
    m = score(PAIRS)
    assert m.n == 7  # questions with a gold
    assert m.hit1 == pytest.approx(3 / 7)  # a, d, e
    assert m.hit3 == pytest.approx(5 / 7)  # a, b, d, e, g
    assert m.mrr == pytest.approx((1 + 1 / 3 + 1 / 5 + 1 + 1 + 0 + 1 / 2) / 7)
    assert m.n_multi == 2
    assert m.multi_recall3 == pytest.approx((2 / 2 + 1 / 3) / 2)
    assert m.false_rejections == 1  # c
    assert (m.oos, m.oos_rejected) == (2, 1)


def test_hits_do_not_depend_on_answered() -> None:
    # hit@k is over the ranked list; a rejected question with the gold first still hits (and is a false rejection)
    m = score([(Question("a", "", (5,), "keyword"), Outcome((5,), False))])
    assert (m.hit1, m.hit3, m.mrr, m.false_rejections) == (1.0, 1.0, 1.0, 1)


def test_no_multi_questions_means_no_multi_recall() -> None:
    m = score(PAIRS[:3])
    assert m.multi_recall3 is None and m.n_multi == 0
    assert "multi recall" not in m.line()


def test_only_out_of_scope_questions() -> None:
    m = score(PAIRS[-2:])
    assert (m.n, m.hit1, m.hit3, m.mrr, m.false_rejections) == (0, 0.0, 0.0, 0.0, 0)
    assert m.line() == "out-of-scope rejected 1/2"


def test_metrics_line_shows_every_figure() -> None:
    line = score(PAIRS).line()
    for part in [f"hit@1 {3 / 7:.3f}", f"hit@3 {5 / 7:.3f}", "MRR 0.576", f"multi recall@3 {2 / 3:.3f}",
                 "false rejections 1/7", "out-of-scope rejected 1/2"]:
        assert part in line


def test_report_has_an_overall_line_and_one_per_kind() -> None:
    lines = report(PAIRS).splitlines()
    assert lines[0].startswith("overall (9 questions): hit@1")
    kinds = [ln.split()[0] for ln in lines[1:]]
    assert kinds == ["keyword", "multi", "out_of_scope", "paraphrase"]
    multi = next(ln for ln in lines if ln.split()[0] == "multi")
    assert "hit@1 1.000" in multi and f"multi recall@3 {2 / 3:.3f}" in multi
