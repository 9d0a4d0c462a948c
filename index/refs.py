"""Item and section references as people type them: 15, 十五, 第15条, 第十五项, 三, 第三部分."""

from __future__ import annotations

import re
import unicodedata

_ITEM_WORDS = re.compile(r"^(?:item|no\.?|#)\s*|^第|(?:条|项|款|号|个|点)$")
_SECTION_WORDS = re.compile(r"^(?:section|part)\s*|^第|(?:部分|大项|章|节|板块|方面)$|、$")
MAX_NUMBER_CHARS = 8  # no plan has ten million items; longer "numbers" are not references
_CN_NUMERAL = re.compile(r"^[零〇一二两三四五六七八九十百]+$")


class RefError(ValueError):
    """A reference that names no item or section; the message says what is valid."""


def parse_number(text: str) -> int | None:
    """`15`, `１５`, `十五`, `一百` → int; None if the text is not a number."""
    text = unicodedata.normalize("NFKC", text).strip()
    if len(text) > MAX_NUMBER_CHARS:
        return None
    if text.isascii() and text.isdecimal():  # not isdigit(): ❶ and ⓵ are "digits" int() rejects
        return int(text)
    if _CN_NUMERAL.match(text):
        import cn2an  # 0.13 s to import: only when someone types a Chinese numeral

        try:
            return int(cn2an.cn2an(text, "smart"))
        except Exception:  # cn2an raises KeyError, ValueError … on malformed numerals (二十零)
            return None
    return None


def _strip(pattern: re.Pattern[str], text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    for _ in range(3):  # 第十五条 → 十五, item 15 → 15
        text = pattern.sub("", text).strip()
    return text


def parse_item_ref(text: str) -> int | None:
    """Item number from `15`, `十五`, `第15条`, `第十五项`, `item 15`; None if not a reference."""
    return parse_number(_strip(_ITEM_WORDS, text))


def parse_section_ref(text: str) -> int | None:
    """Section number from `三`, `3`, `第三部分`, `三、`; None if not a reference."""
    return parse_number(_strip(_SECTION_WORDS, text))
