"""Plan text → `Plan`, tolerant of web-page noise, strict about structure (errors name the line)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import GOAL, MEASURES, PREAMBLE, PREAMBLE_ITEM, Item, Passage, Plan, PlanMeta, Section

# Section headings are numbered 一、二、…; a table is enough (and keeps start-up free of cn2an).
_DIGITS = "一二三四五六七八九"
SECTION_NUMERALS = {n: i + 1 for i, n in enumerate(_DIGITS)} | {"十": 10} | {
    f"十{d}": 11 + i for i, d in enumerate(_DIGITS)
}

_WS = " \t\u00a0\u3000\ufeff"
_SECTION_RE = re.compile(r"^(?P<num>十?[一二三四五六七八九十])、\s*(?P<title>\S.*)$")
_ITEM_RE = re.compile(r"^(?P<num>\d{1,3})[.．、]\s*(?P<title>[^\d\s].*)$")
_LABEL_RE = re.compile(r"^(?P<label>目标任务|工作措施|主要措施|主要内容)\s*[:：]\s*(?P<text>.*)$")
# An item published without 目标任务/工作措施 (numbered （一） or 1. with its title as the first sentence)
# is stored with one part, 主要内容: its whole text.
CONTENT = "主要内容"
# Page boilerplate of the published web page: breadcrumbs, publish time, view counter, source line.
_BOILERPLATE_RE = re.compile(r"当前位置|发布时间|浏览次数|来源\s*[:：]")
_SENTENCE_END = re.compile(r"(?<=[。；;！!？?])")
_CLAUSE_END = re.compile(r"(?<=，)")


class PlanParseError(ValueError):
    """A plan file that does not have the expected shape; names the file and line."""

    def __init__(self, message: str, line: int, source: str = "<plan>") -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.line = line
        self.source = source


def normalize(text: str) -> str:
    """Trim page whitespace and use full-width punctuation between Chinese characters."""
    text = text.strip(_WS)
    text = re.sub(r"[\u00a0\u3000]+", " ", text)
    text = re.sub(r"(?<=[^\x00-\x7f]),\s*|,\s*(?=[^\x00-\x7f])", "，", text)
    text = re.sub(r"(?<=[^\x00-\x7f]);\s*|;\s*(?=[^\x00-\x7f])", "；", text)
    text = re.sub(r"(?<=[^\x00-\x7f]):\s*|:\s*(?=[^\x00-\x7f])", "：", text)
    return text


MAX_PASSAGE_CHARS = 120  # a longer sentence (a list of many tasks) is cut into clause groups


def split_sentences(text: str) -> list[str]:
    """Cut a paragraph into measure-level sentences (。；！？), dropping empty pieces."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def split_passages(text: str) -> list[str]:
    """Sentences, with any sentence over MAX_PASSAGE_CHARS cut after commas into groups of about
    half that: a 300-character list of tasks is several measures, and BM25's length normalisation
    would otherwise bury each of them."""
    out: list[str] = []
    for sentence in split_sentences(text):
        if len(sentence) <= MAX_PASSAGE_CHARS:
            out.append(sentence)
            continue
        group = ""
        for clause in _CLAUSE_END.split(sentence):
            if group and len(group) + len(clause) > MAX_PASSAGE_CHARS // 2:
                out.append(group)
                group = ""
            group += clause
        if group:
            out.append(group)
    return out


@dataclass
class _ItemDraft:
    number: int
    title: str
    line: int
    section: Section | None
    parts: dict[str, list[str]] = field(default_factory=dict)
    measures_label: str = MEASURES
    current: str | None = None


def _passages(plan_id: str, number: int, part: str, text: str) -> list[Passage]:
    return [Passage(plan_id, number, part, i, s) for i, s in enumerate(split_passages(text))]


def parse_plan(text: str, meta: PlanMeta, source: str = "<plan>") -> Plan:
    """Parse the plain text of a work plan; raise PlanParseError naming the line on bad shape."""
    preamble: list[str] = []
    sections: list[tuple[int, str, str, int]] = []  # number, numeral, title, line
    drafts: list[_ItemDraft] = []
    seen: dict[int, int] = {}

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = normalize(raw)
        if not line:
            continue
        if m := _SECTION_RE.match(line):
            num = SECTION_NUMERALS[m["num"]]
            if sections and num != sections[-1][0] + 1:
                raise PlanParseError(f"section {m['num']} out of order", lineno, source)
            sections.append((num, m["num"], m["title"].strip(), lineno))
            continue
        if m := _ITEM_RE.match(line):
            if not sections:
                raise PlanParseError(f"item {m['num']} appears before any section heading", lineno, source)
            number = int(m["num"])
            if number in seen:
                raise PlanParseError(f"item {number} is duplicated (first at line {seen[number]})", lineno, source)
            expected = drafts[-1].number + 1 if drafts else 1
            if number != expected:
                raise PlanParseError(f"item {expected} is missing (found item {number})", lineno, source)
            seen[number] = lineno
            drafts.append(_ItemDraft(number, m["title"].strip(), lineno, None))
            drafts[-1].section = sections[-1]  # type: ignore[assignment]
            continue
        if not drafts:
            # Before the first item: preamble paragraphs, or page boilerplate and title lines.
            if sections or _BOILERPLATE_RE.search(line) or line == meta.title or not split_sentences(line)[-1].endswith("。"):
                continue
            preamble.append(line)
            continue
        draft = drafts[-1]
        if m := _LABEL_RE.match(line):
            part = GOAL if m["label"] == GOAL else MEASURES
            if part == MEASURES:
                draft.measures_label = m["label"]
            if part in draft.parts:
                raise PlanParseError(f"item {draft.number} has a second {m['label']}", lineno, source)
            draft.parts[part] = [m["text"]] if m["text"] else []
            draft.current = part
        elif draft.current is None:
            raise PlanParseError(f"item {draft.number}: text before 目标任务 (or 主要内容)", lineno, source)
        else:
            draft.parts[draft.current].append(line)

    if not drafts:
        raise PlanParseError("no numbered items found", 1, source)
    items: list[Item] = []
    for d in drafts:
        one_part = d.measures_label == CONTENT
        for part, label in ((GOAL, GOAL), (MEASURES, "工作措施/主要措施")):
            if not "".join(d.parts.get(part, [])).strip() and not (one_part and part == GOAL):
                raise PlanParseError(f"item {d.number} ({d.title}) has no {label}", d.line, source)
        if one_part and GOAL in d.parts:
            raise PlanParseError(f"item {d.number} has both 目标任务 and 主要内容", d.line, source)
        num, numeral, stitle, _ = d.section  # type: ignore[misc]
        goal = "".join(d.parts.get(GOAL, []))
        measures = "".join(d.parts[MEASURES])
        passages = _passages(meta.id, d.number, GOAL, goal) + _passages(meta.id, d.number, MEASURES, measures)
        items.append(Item(meta.id, d.number, d.title, numeral, stitle, goal, measures, d.measures_label, tuple(passages)))

    section_objs = tuple(
        Section(meta.id, num, numeral, title, tuple(it.number for it in items if it.section == numeral))
        for num, numeral, title, _ in sections
    )
    for s, section in zip(section_objs, sections):
        if not s.items:
            raise PlanParseError(f"section {s.numeral} has no items", section[3], source)
    pre_text = "".join(preamble)
    pre = Item(
        meta.id, PREAMBLE_ITEM, PREAMBLE, "", PREAMBLE, pre_text, "",
        passages=tuple(_passages(meta.id, PREAMBLE_ITEM, PREAMBLE, pre_text)),
    )
    return Plan(meta, pre, section_objs, tuple(items))
