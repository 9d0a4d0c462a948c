"""Build index/data/pinyin.txt, the toneless readings of common characters (run by hand, like build_dict).

Questions typed with a pinyin keyboard misspell plan words with same-sounding characters (寄宿志 for
寄宿制, 心里健康 for 心理健康); index/typos.py finds them by reading. Each character's main reading
comes from pypinyin (only the main one: rare readings such as 有 wei or 位 li made ordinary words look
like typos), written once here: loading pypinyin itself would cost 0.24 s and 15 MB at
every start. Characters: GB2312 (the 6,763 common ones) plus every character of the jieba dictionary
and the plans.

    pip install -e ".[build]" && python -m index.build_pinyin
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from corpus import load_plans

from .tokenize import SMALL_DICT, USER_DICT

PINYIN = Path(__file__).resolve().parent / "data" / "pinyin.txt"


def gb2312_chars() -> set[str]:
    """The 6,763 hanzi of GB2312 (rows 16–87)."""
    out = set()
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                out.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def build(out: Path = PINYIN) -> int:
    """Write one line per reading, `reading chars…`; return the number of characters."""
    from pypinyin import Style, pinyin

    chars = gb2312_chars()
    for path in (SMALL_DICT, USER_DICT):
        chars |= {ch for ch in path.read_text(encoding="utf-8") if "\u4e00" <= ch <= "\u9fff"}
    for plan in load_plans():
        chars |= {ch for it in plan.all_items() for ch in it.title + it.goal + it.measures if "\u4e00" <= ch <= "\u9fff"}
    by_reading: dict[str, list[str]] = defaultdict(list)
    for ch in sorted(chars):
        reading = pinyin(ch, style=Style.NORMAL)[0][0]  # the main reading: what a pinyin keyboard types
        if reading.isascii() and reading.isalpha():
            by_reading[reading].append(ch)
    header = "# Toneless main readings: `reading characters`. Built by `python -m index.build_pinyin` from pypinyin.\n"
    out.write_text(header + "".join(f"{r} {''.join(cs)}\n" for r, cs in sorted(by_reading.items())), encoding="utf-8")
    return len(chars)


def main() -> None:
    """Command-line entry point."""
    print(f"{build()} characters → {PINYIN}")


if __name__ == "__main__":
    main()
