"""Build the small jieba dictionary shipped in index/data/dict.txt (run by hand when plans change).

jieba's full dictionary (349k words) takes 0.6–0.9 s to load. Segmentation only needs the words of the
plans (so passages cut the same way as before) and the common words of everyday questions (so questions
cut sensibly): the most frequent words of jieba's dictionary, every dictionary word found in a plan, and
the words jieba's HMM discovers in the plans.
A plan dropped in later still segments well through the frequent words, user dictionary and bigrams;
rebuilding adds its rare words.

    python -m index.build_dict [--top 20000]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from corpus import load_plans

from .tokenize import SMALL_DICT, USER_DICT, _import_jieba, _read_lines

HMM_WORD_FREQ = 50  # a modest count: enough to keep the word whole, not enough to swallow neighbours
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]+")


def build(top: int, out: Path = SMALL_DICT) -> int:
    """Write the small dictionary; return its number of words."""
    jieba = _import_jieba()
    entries = []
    with open(jieba.get_dict_file().name, encoding="utf-8") as f:
        for line in f:
            word, freq, *tag = line.split()
            entries.append((word, int(freq), tag[0] if tag else ""))
    text = "".join(it.title + it.goal + it.measures for p in load_plans() for it in p.all_items())
    by_freq = sorted(entries, key=lambda e: -e[1])
    keep = {e[0] for e in by_freq[:top]}
    keep |= {w for w, _, _ in entries if len(w) > 1 and w in text}
    keep |= {ln.split()[0] for ln in _read_lines(USER_DICT)}
    lines = [f"{w} {f} {t}".strip() for w, f, t in entries if w in keep]
    # Words jieba's HMM finds in the plans but its dictionary lacks (师德, 师魂): the tokeniser runs
    # without HMM, so they must be dictionary words to be cut the same way in passages and questions.
    known = {w for w, _, _ in entries}
    jieba.setLogLevel(40)
    found = {w for w in jieba.cut(text, HMM=True) if len(w) > 1 and w not in known and _CJK_WORD.fullmatch(w)}
    lines += [f"{w} {HMM_WORD_FREQ} n" for w in sorted(found)]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def main() -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=20000, help="how many of jieba's most frequent words to keep")
    print(f"{build(ap.parse_args().top)} words → {SMALL_DICT}")


if __name__ == "__main__":
    main()
