"""Domain objects → what a person reads: Telegram HTML or plain text, and JSON for the CLI.

Every piece of dynamic text goes through `Style.esc`; the HTML style only ever emits <b> and <i>.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable, Sequence

from bot.commands import Command, addressee
from corpus import GOAL, MEASURES, Item, Plan, Section, split_sentences
from index import Answer, Hit, Match

TELEGRAM_LIMIT = 4096  # UTF-16 code units, as Telegram counts a message's length


def utf16_len(text: str) -> int:
    """The length of `text` as Telegram counts it: UTF-16 code units (an emoji such as 🎉 is 2)."""
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int, mark: str = "…") -> str:
    """`text` if it is at most `limit` UTF-16 code units long, else its start followed by `mark`, the
    whole at most `limit` units (a character is never cut in half)."""
    if utf16_len(text) <= limit:
        return text
    room, end = limit - utf16_len(mark), 0
    for ch in text:
        room -= 2 if ord(ch) > 0xFFFF else 1
        if room < 0:
            break
        end += 1
    return text[:end] + mark


@dataclass(frozen=True)
class Style:
    """How to escape text and mark emphasis in one output medium."""

    esc: Callable[[str], str]
    bold_open: str
    bold_close: str
    italic_open: str = ""
    italic_close: str = ""

    def bold(self, text: str) -> str:
        """Escaped text in bold."""
        return f"{self.bold_open}{self.esc(text)}{self.bold_close}"

    def italic(self, text: str) -> str:
        """Escaped text in italics (plain text: unchanged)."""
        return f"{self.italic_open}{self.esc(text)}{self.italic_close}"


HTML = Style(lambda s: html.escape(s, quote=False), "<b>", "</b>", "<i>", "</i>")
TEXT = Style(lambda s: s, "【", "】")


def marked(match: Match, style: Style) -> str:
    """A matched sentence with its matched terms in bold, everything escaped."""
    return "".join(style.bold(t) if hit else style.esc(t) for t, hit in match.pieces())


def _part_label(item: Item, part: str) -> str:
    return item.measures_label if part == MEASURES else part


def hit_lines(hit: Hit, style: Style, *, max_matches: int = 2) -> list[str]:
    """Reference line, then the matched sentences grouped by part."""
    lines = [f"📌 {style.bold(hit.item.ref)}"]
    by_part: dict[str, list[str]] = {}
    for m in hit.matches[:max_matches]:
        by_part.setdefault(m.passage.part, []).append(marked(m, style))
    for part, sentences in by_part.items():
        lines.append(f"{style.esc(_part_label(hit.item, part))}：{' … '.join(sentences)}")
    return lines


def short_ref(item: Item) -> str:
    """`15. 推动高等教育提质创新发展` (or 总体要求)."""
    return item.title if item.is_preamble else f"{item.number}. {item.title}"


def provenance(plan: Plan, style: Style) -> str:
    """The source line that ends an answer."""
    return sources((plan,), style)


def sources(plans: Sequence[Plan], style: Style) -> str:
    """The source line naming each of several plans, in the order given."""
    return style.italic("来源：" + "；".join(p.meta.title for p in plans))


def answer_text(answer: Answer, plans: Sequence[Plan], style: Style, *, first: int = 0, per_page: int = 3) -> str:
    """An answer card: the best items with their matched sentences and the plan(s) those items come
    from (`plans`: the plans loaded, first the default), or an honest not-found. A question cut before
    it was searched carries a note either way."""
    if not answer.answered:
        text = not_found_text(answer, plans, style)
        return text + "\n" + style.italic(TRUNCATED_NOTE) if answer.truncated and answer.reason != "empty" else text
    page = answer.hits[first : first + per_page]
    blocks = []
    for i, hit in enumerate(page):
        blocks.append("\n".join(hit_lines(hit, style, max_matches=2 if i == 0 and first == 0 else 1)))
    rest = answer.hits[first + per_page :][:3]
    if rest:
        blocks.append("也可能相关：" + " · ".join(style.esc(short_ref(h.item)) for h in rest))
    if answer.truncated:
        blocks.append(style.italic(TRUNCATED_NOTE))
    if answer.corrections:
        blocks.append(style.italic(style.esc(corrections_note(answer.corrections))))
    by_id = {p.id: p for p in plans}
    blocks.append(sources([by_id[i] for i in dict.fromkeys(h.item.plan for h in (*page, *rest))], style))
    return "\n\n".join(blocks)


def corrections_note(corrections: Sequence[tuple[str, str]]) -> str:
    """The same-sounding typos the search read as the plan's words: 按“寄宿制”理解了“寄宿志”。"""
    return "；".join(f"按“{meant}”理解了“{typed}”" for typed, meant in corrections) + "。"


def not_found_text(answer: Answer, plans: Sequence[Plan], style: Style) -> str:
    """Say plainly why the plan does not answer the question (`plans`: the plans loaded); offer the
    nearest items and /sections."""
    q = answer.query.strip()
    shown = q if len(q) <= 40 else q[:40] + "…"
    if answer.reason == "empty":
        return "请输入一个问题，例如“学前教育有什么新政策？”，或发送 /sections 查看目录。"
    if answer.reason == "detail-not-in-plan" and answer.hits:
        lines = [f"计划在 {style.esc(short_ref(answer.hits[0].item))} 提到了相关工作，"
                 "但没有给出你问的具体数字、日期、名单或办理细节。"]
    else:
        if answer.reason == "elsewhere":
            titles = "、".join(f"《{p.meta.short_title}》" for p in plans) or "这份工作要点"
            whose = "各自地区当年" if len(plans) > 1 else "本地区当年"
            lines = [f"{style.esc(titles)}讲的是{whose}的工作；你的问题“{style.esc(shown)}”提到了别的地方或年份，"
                     "计划里没有相应的内容。"]
        else:
            lines = [f"这份工作要点里没有找到与“{style.esc(shown)}”相关的内容。"]
        if answer.hits:
            lines.append("你可能想看：" + " · ".join(style.esc(short_ref(h.item)) for h in answer.hits[:3]))
    if answer.corrections:
        lines.append(style.italic(style.esc(corrections_note(answer.corrections))))
    lines.append("可以试试：/sections 查看目录，或换个说法提问（例如“学前教育”“高校毕业生就业”）。")
    return "\n".join(lines)


def item_text(item: Item, style: Style) -> str:
    """The whole item: reference, 目标任务 as a paragraph, 工作措施 as a numbered list."""
    if item.is_preamble:
        return f"📖 {style.bold(item.ref)}\n\n{style.esc(item.goal)}"
    measures = split_sentences(item.measures)
    lines = [f"📖 {style.bold(item.ref)}", ""]
    if item.goal:  # an item published in one part has only its 主要内容
        lines += [style.bold(GOAL), style.esc(item.goal), ""]
    lines.append(style.bold(item.measures_label))
    lines += [f"{i}. {style.esc(s)}" for i, s in enumerate(measures, start=1)]
    return "\n".join(lines)


def sections_text(plan: Plan, style: Style) -> str:
    """The table of contents: sections with their item ranges."""
    lines = [style.bold(plan.meta.title), f"{style.esc('总体要求')}（/item 总体要求）"]
    for s in plan.sections:
        lines.append(f"{style.esc(s.heading)}（第 {s.items[0]}–{s.items[-1]} 条，/section {s.numeral}）")
    return "\n".join(lines)


def section_text(plan: Plan, section: Section, style: Style) -> str:
    """One section and the titles of its items."""
    lines = [style.bold(section.heading)]
    lines += [f"{n}. {style.esc(plan.item(n).title)}" for n in section.items]
    return "\n".join(lines)


_TAG = re.compile(r"<(/?)([bi])>")
_ATOM = re.compile(r"</?[bi]>|&(?:[A-Za-z]{2,8}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});|.", re.S)  # never cut
_SENTENCE_END = re.compile(r"(?<=[。！？；!?])")  # not ";": it ends every entity
_RESERVE = len("<b><i></i></b>")  # room to reopen and close the markup open at a cut
_LEVELS: tuple[tuple[str, Callable[[str], list[str]]], ...] = (
    ("\n\n", lambda t: t.split("\n\n")),  # paragraphs
    ("\n", lambda t: t.split("\n")),  # lines
    ("", _SENTENCE_END.split),  # sentences
)


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Cut text into messages of at most `limit` UTF-16 code units (Telegram's measure: an emoji is 2).

    A paragraph (text between blank lines) that fits in a message is never split; a longer one is cut
    at line ends, a longer line at sentence ends (。！？；), and a longer sentence anywhere except inside
    a tag or an HTML entity. The separator at a cut is dropped. Bold or italics still open at the end
    of a message are closed there and reopened at the start of the next, so each message is balanced
    HTML on its own.
    """
    if utf16_len(text) <= limit:
        return [text]
    if limit < 2 * _RESERVE + 4:
        raise ValueError(f"limit {limit} is too small to split markup")
    out: list[str] = []
    body = ""  # the message being built
    opened: tuple[str, ...] = ()  # the tags open at its start
    open_at_end: tuple[str, ...] = ()  # and at its end
    units = 0  # utf16_len(body)
    for sep, piece in _pieces(text, limit - _RESERVE):
        candidate = f"{body}{sep}{piece}" if body else piece
        candidate_units = units + utf16_len(sep) + utf16_len(piece) if body else utf16_len(piece)
        after = _open_after(open_at_end, piece)
        if utf16_len(_reopen(opened) + _close(after)) + candidate_units <= limit:
            body, units, open_at_end = candidate, candidate_units, after
            continue
        if body:
            out.append(_reopen(opened) + body + _close(open_at_end))
            opened = open_at_end
        body, units, open_at_end = piece, utf16_len(piece), after
    if body:
        out.append(_reopen(opened) + body + _close(open_at_end))
    return out


def _pieces(text: str, size: int, level: int = 0) -> list[tuple[str, str]]:
    """(separator before it, piece) pairs that make up `text`, each piece at most `size` units long:
    `text` itself if it fits, else its paragraphs, lines, sentences or, last, hard-cut chunks (sizes in
    UTF-16 code units)."""
    if utf16_len(text) <= size:
        return [("", text)]
    if level == len(_LEVELS):
        return [("", chunk) for chunk in _chunks(text, size)]
    sep, split = _LEVELS[level]
    out: list[tuple[str, str]] = []
    for i, part in enumerate(split(text)):
        sub = _pieces(part, size, level + 1)
        out += [(sep if i and j == 0 else s, p) for j, (s, p) in enumerate(sub)]
    return out


def _chunks(text: str, size: int) -> list[str]:
    """`text` in chunks of at most `size` UTF-16 code units, never cutting a tag or an entity in two."""
    chunks, chunk, units = [], "", 0
    for atom in _ATOM.findall(text):
        n = utf16_len(atom)
        if chunk and units + n > size:
            chunks.append(chunk)
            chunk, units = "", 0
        chunk += atom
        units += n
    return [*chunks, chunk] if chunk else chunks


def _open_after(opened: tuple[str, ...], piece: str) -> tuple[str, ...]:
    """The tags (b, i) still open after `piece`, given those open before it."""
    stack = list(opened)
    for closing, tag in _TAG.findall(piece):
        if not closing:
            stack.append(tag)
        elif tag in stack:  # <b> never nests in <b>: the first one is the open one
            stack.remove(tag)
    return tuple(stack)


def _reopen(tags: tuple[str, ...]) -> str:
    return "".join(f"<{t}>" for t in tags)


def _close(tags: tuple[str, ...]) -> str:
    return "".join(f"</{t}>" for t in reversed(tags))


# ---- JSON (CLI) --------------------------------------------------------------------------------
def hit_json(hit: Hit) -> dict:
    """One result in the JSON answer schema."""
    it = hit.item
    return {
        "plan": it.plan, "item": it.number, "title": it.title, "section": it.section,
        "section_title": it.section_title, "ref": it.ref, "part": hit.part,
        "snippet": hit.snippet(), "score": round(hit.score, 4), "confidence": hit.confidence,
    }


def answer_json(answer: Answer) -> dict:
    """The JSON answer schema: query, answered, results (best first, distinct items)."""
    out: dict = {"query": answer.query, "answered": answer.answered, "results": [hit_json(h) for h in answer.hits]}
    if answer.truncated:
        out["note"] = "question truncated"
    if answer.corrections:
        out["corrections"] = [{"typed": typed, "meant": meant} for typed, meant in answer.corrections]
    if not answer.answered:
        out["reason"] = answer.reason
    return out


def item_json(item: Item) -> dict:
    """The JSON item schema."""
    return {
        "plan": item.plan, "item": item.number, "title": item.title, "section": item.section,
        "section_title": item.section_title, "ref": item.ref, "goal": item.goal, "measures": item.measures,
        "measures_label": item.measures_label,
    }


def sections_json(plan: Plan) -> dict:
    """The table of contents as JSON."""
    return {
        "plan": plan.id, "title": plan.meta.title,
        "sections": [{"section": s.numeral, "number": s.number, "title": s.title, "items": list(s.items)} for s in plan.sections],
    }


# ---- bot texts (Telegram and the console) ------------------------------------------------------
TRUNCATED_NOTE = "（问题过长，只按前面的部分检索。）"
NON_TEXT_HINT = "我只能读文字：请直接打字提问，例如“学前教育有什么新政策？”，或发送 /help 查看用法。"
ERROR_TEXT = "抱歉，处理这条消息时出了问题，已经记录下来。请稍后再试，或换个说法提问。"
STALE_BUTTON = "这个按钮已经失效，请重新提问。"
STALE_QUESTION = "找不到这条提问的记录（可能已被清理），请重新提问。"
EXAMPLE_QUESTIONS = ("学前教育有什么新政策？", "高校毕业生就业有哪些措施？")


def answer_page_text(answer: Answer, plans: Sequence[Plan], style: Style, *, page: int = 0, per_page: int = 3) -> str:
    """One page of an answer card (`answer_text`), headed by its number after the first."""
    text = answer_text(answer, plans, style, first=page * per_page, per_page=per_page)
    return f"{style.italic(f'第 {page + 1} 页')}\n\n{text}" if page else text


def greeting_text(plan: Plan, style: Style) -> str:
    """/start: what the bot knows (the plan's title and year) and how to ask."""
    examples = "\n".join(f"· {style.esc(q)}" for q in EXAMPLE_QUESTIONS)
    lo, hi = plan.item_range
    return (
        f"你好！我可以回答关于{style.bold('《' + plan.meta.title + '》')}的问题"
        f"（{plan.meta.year} 年，共 {hi - lo + 1} 条）。\n\n"
        f"直接用中文提问，例如：\n{examples}\n\n"
        "我会给出最相关的条目、所在部分和原文句子。发送 /sections 查看目录，"
        "/item 15 查看某一条全文，/help 查看全部命令。"
    )


def help_text(commands: Sequence[Command], style: Style, bot_username: str = "") -> str:
    """/help: how to ask, then every command with its description (one line each)."""
    at = f"@{bot_username}" if bot_username else "@机器人"
    lines = [
        style.bold("怎么提问"),
        "直接发送问题，例如“学前教育有什么新政策？”，我会找出工作要点里最相关的条目。",
        f"在群里：{style.esc(at)} 加问题，或回复我的消息；命令照常可用。",
        f"在任意聊天框输入 {style.esc(at)} 加关键词，可以挑选条目分享出去。",
        "",
        style.bold("命令"),
    ]
    lines += [f"{style.esc(c.usage)} — {style.esc(c.description)}" for c in commands]
    return "\n".join(lines)


def unknown_command_text(name: str, style: Style) -> str:
    """A slash command the bot does not have."""
    return f"没有 /{style.esc(name[:32])} 这个命令。发送 /help 查看全部命令，或直接用文字提问。"


def plain_snippet(hit: Hit, limit: int = 100) -> str:
    """The best matching sentence as plain text, cut to `limit` UTF-16 code units (inline descriptions)."""
    return cut(hit.matches[0].passage.text if hit.matches else hit.item.goal, limit)


def item_card_text(item: Item, style: Style, limit: int = TELEGRAM_LIMIT) -> str:
    """The item as one message: the whole item, or its first part and how to read the rest."""
    more = f"……（全文较长，请私聊发送 /item {item.number} 查看）"
    parts = split_message(item_text(item, style), limit - utf16_len(more) - 1)
    return parts[0] if len(parts) == 1 else f"{parts[0]}\n{more}"


def other_bot_text(line: str, me: str, style: Style) -> str:
    """The answer to a command addressed to another bot (not run): whose it is, and how to send it to `me`."""
    head, *rest = line.split(maxsplit=1)
    name = head[1:].split("@", 1)[0]
    again = f"/{name} {rest[0] if rest else ''}".rstrip()
    return style.esc(f"{head} 是发给 @{addressee(line)} 的命令，不是发给我（@{me}）的，没有执行。要我执行，请发送 {again}")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str | None) -> str:
    """Text as the rest of the bot sees it: a lone surrogate (half an emoji, from a cut or a broken
    client) becomes U+FFFD, so the log, the database and the error handler can all encode it."""
    return _LONE_SURROGATE.sub("\ufffd", text or "")
