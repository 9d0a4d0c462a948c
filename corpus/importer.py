"""Import a plan as a department published it (`plan-bot import FILE`): text or a saved web page →
the folder format every command loads (`ID.txt` + `ID.toml`).

What it reads: `.txt` (UTF-8, or GB18030 as older Chinese files are), `.html`/`.htm` (the standard
library's HTML parser: scripts, styles, navigation, headers and footers dropped; block elements become
lines), `.docx` (python-docx: its paragraphs) and text `.pdf` (pypdf: page numbers dropped; a scanned
PDF without text is refused with that reason). Hard line wraps — a
line that does not end a sentence or a heading, followed by one that does not start a new part — are
joined; full-width digits become ASCII. Three shapes are recognised, and the one found is reported:
the 2021 plan's (sections 一、…, items `1.` with 目标任务 and 工作措施 or 主要措施); sections with items
（一）（二）… whose first sentence is the title; sections with numbered paragraphs `1.` whose lead
sentence is the title. Items of the last two are stored with one part, 主要内容, numbered through the
plan.

Metadata comes from the document where it states it — a title ending in …年工作要点, a 发布时间 line or
a date under the title — and from flags, which win; a missing year is asked for, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

from .deadlines import extract
from .model import Plan, PlanMeta
from .parse import parse_plan

SHAPE_2021 = "sections 一、 with items 1. and 目标任务 / 工作措施"
SHAPE_PARENS = "sections 一、 with items （一） whose first sentence is the title"
SHAPE_PARAGRAPHS = "sections 一、 with numbered paragraphs 1. whose lead sentence is the title"
_PAREN_ITEM = re.compile(r"^\s*（(?P<num>[一二三四五六七八九十]{1,3})）\s*(?P<rest>\S.*)$")
_NUM_ITEM = re.compile(r"^\s*(?P<num>\d{1,3})\s*[.．、]\s*(?P<rest>\S.*)$")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_TITLE = re.compile(r"^\s*(?P<title>\S.{0,80}?(?P<year>(?:19|20)\d{2})\s*年(?:度)?工作要点)\s*$")
_PUBLISHED = re.compile(r"(?:发布时间|发布日期|日期)\s*[:：]?\s*"
                        r"(?P<y>\d{4})\s*[-年/.]\s*(?P<m>\d{1,2})\s*[-月/.]\s*(?P<d>\d{1,2})")
_DATE_LINE = re.compile(r"^\s*(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
_SECTION = re.compile(r"^\s*十?[一二三四五六七八九十]、")
_ITEM = re.compile(r"^\s*\d{1,3}\s*[.．、]")
_LABEL = re.compile(r"^\s*(?:目标任务|工作措施|主要措施)\s*[:：]")
_ENDS = ("。", "；", "！", "？", "：", ":", ";", "!", "?")


class PlanImportError(ValueError):
    """A file that cannot be imported; the message says why and what to do."""


@dataclass(frozen=True)
class Imported:
    """A parsed plan, the shape found, and the text and metadata to write."""

    plan: Plan
    shape: str
    text: str

    def preview(self) -> str:
        """The shape, sections, items and dates found."""
        lines = [f"《{self.plan.meta.title}》 {self.plan.meta.year} 年（{self.plan.id}），发布于 "
                 f"{self.plan.meta.published.isoformat()}", f"格式：{self.shape}"]
        for s in self.plan.sections:
            lines.append(f"{s.heading}")
            lines += [f"  {n}. {self.plan.item(n).title}" for n in s.items]
        found, _ = extract(self.plan)
        lines.append(f"时间节点：{len(found)} 个" + (f"，最早 {min(d.date for d in found)}，最晚 "
                                                  f"{max(d.date for d in found)}" if found else ""))
        return "\n".join(lines)

    def as_json(self) -> dict:
        """The parsed plan as JSON."""
        found, _ = extract(self.plan)
        return {
            "id": self.plan.id, "title": self.plan.meta.title, "year": self.plan.meta.year,
            "published": self.plan.meta.published.isoformat(), "shape": self.shape,
            "sections": [{"number": s.number, "title": s.title, "items": [
                {"number": n, "title": self.plan.item(n).title,
                 "text": f"{self.plan.item(n).goal}{self.plan.item(n).measures}"} for n in s.items]}
                for s in self.plan.sections],
            "deadlines": [{"item": d.item, "date": d.date.isoformat(), "label": d.label, "phrase": d.phrase}
                          for d in found],
        }

    def toml(self) -> str:
        """The metadata file."""
        m = self.plan.meta
        esc = lambda s: s.replace("\\", "\\\\").replace('"', '\\"')  # noqa: E731
        return (f'# Imported by plan-bot import.\nid = "{esc(m.id)}"\ntitle = "{esc(m.title)}"\n'
                f'short_title = "{esc(m.short_title)}"\nyear = {m.year}\npublished = {m.published.isoformat()}\n'
                f'source = "{esc(m.source)}"\nregion = [{", ".join(chr(34) + esc(r) + chr(34) for r in m.region)}]\n')


class _Text(HTMLParser):
    """Visible text of a saved web page, a line per block; page furniture dropped."""

    SKIP = {"script", "style", "nav", "header", "footer", "noscript", "template", "iframe", "form"}
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "td", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def read_text(path: Path) -> str:
    """The document's text, a line per paragraph."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return _docx_text(path)
    if suffix == ".pdf":
        return _pdf_text(path)
    if suffix == ".doc":
        raise PlanImportError(f"{path.name}: an old .doc file; save it as .docx (另存为 → Word 文档) and import that")
    if suffix not in (".txt", ".html", ".htm"):
        raise PlanImportError(f"{path.name}: give a .txt, .html, .docx or .pdf file")
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise PlanImportError(f"{path.name}: not UTF-8 or GB18030 text")
    if suffix in (".html", ".htm"):
        parser = _Text()
        parser.feed(text)
        text = "".join(parser.parts)
    return text


# CJK Radicals Supplement forms that PDF text layers use for ordinary characters (NFKC leaves them).
_RADICALS = str.maketrans("⺠⻓⻔⻩⻢⻜⻚⻛⻅⻆⻋⻄⻝⻘⻥⻦⻰⻮⻬⺟⻌⻍", "民长门黄马飞页风见角车西食青鱼鸟龙齿齐母辶辶")
_PAGE_NUMBER = re.compile(r"^\s*[-—–]?\s*\d{1,4}\s*[-—–]?\s*$")


def _docx_text(path: Path) -> str:
    """A Word file's paragraphs, a line each (python-docx)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise PlanImportError(f"{path.name}: not a readable Word (.docx) file ({exc})") from None


def _pdf_text(path: Path) -> str:
    """A text PDF's lines (pypdf), page numbers dropped; a scanned PDF has no text to read."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, OSError, KeyError) as exc:
        raise PlanImportError(f"{path.name}: not a readable PDF ({exc})") from None
    text = "\n".join(ln for page in pages for ln in page.splitlines() if not _PAGE_NUMBER.match(ln))
    # PDF text layers often carry Kangxi radicals (⾸ for 首) and spaces around CJK runs: NFKC maps the
    # radicals to the characters meant, and spaces between Chinese characters or a digit and a Chinese
    # character are dropped (the parser restores Chinese punctuation).
    text = unicodedata.normalize("NFKC", text).translate(_RADICALS)
    text = re.sub(r"(?<=[\u2e80-\u9fff\uff00-\uffef])[ \t]+(?=[\u2e80-\u9fff\uff00-\uffef\d“”\",.;:!?)(])|"
                  r"(?<=[\d“”\",.;:!?)(])[ \t]+(?=[\u2e80-\u9fff])", "", text)
    if len(re.sub(r"\s", "", text)) < 20:
        raise PlanImportError(f"{path.name}: a scanned PDF (pictures of pages, no text): run OCR on it first, or "
                              "import the department's web page or Word file instead")
    return text


def join_wraps(text: str) -> str:
    """Join hard-wrapped lines: a line that does not end a sentence, followed by a line that is not a
    heading, an item or a label, continues it."""
    out: list[str] = []
    for line in (unicodedata.normalize("NFC", ln).translate(_FULLWIDTH_DIGITS).rstrip() for ln in text.splitlines()):
        if not line.strip():
            out.append("")
            continue
        starts_part = bool(_SECTION.match(line) or _ITEM.match(line) or _LABEL.match(line) or _TITLE.match(line)
                           or _PAREN_ITEM.match(line))
        prev = out[-1] if out else ""
        if (prev.strip() and not starts_part and not prev.rstrip().endswith(_ENDS)
                and not (_SECTION.match(prev) or _ITEM.match(prev) or _TITLE.match(prev) or _PUBLISHED.search(prev)
                         or _DATE_LINE.match(prev))):
            out[-1] = prev.rstrip() + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def shape_of(text: str) -> str:
    """The shape found, or PlanImportError naming what is missing."""
    lines = text.splitlines()
    has_sections = any(_SECTION.match(ln) for ln in lines)
    if not has_sections:
        raise PlanImportError("no sections 一、二、… found: a 工作要点 groups its items under numbered sections")
    if any(_ITEM.match(ln) for ln in lines) and "目标任务" in text and ("工作措施" in text or "主要措施" in text):
        return SHAPE_2021
    if any(_PAREN_ITEM.match(ln) for ln in lines):
        return SHAPE_PARENS
    if any(_NUM_ITEM.match(ln) and "。" in ln for ln in lines):
        return SHAPE_PARAGRAPHS
    raise PlanImportError("no items found: numbered 1. with 目标任务/工作措施, （一） with a title sentence, or "
                          "paragraphs 1. 2. … whose first sentence is the title")


def lead_split(rest: str) -> tuple[str, str]:
    """An item's title (its first sentence, without the 。) and the rest of its text."""
    head, sep, body = rest.partition("。")
    if not sep:
        return rest.strip().rstrip("：:"), rest.strip()
    return head.strip(), (body.strip() or head.strip() + "。")


def canonical(text: str, shape: str) -> str:
    """Items of the two label-less shapes in the stored form: `N.标题` and `主要内容:` (numbered through
    the plan, as references like 第15条 need); the 2021 shape as it is."""
    if shape == SHAPE_2021:
        return text
    item_re = _PAREN_ITEM if shape == SHAPE_PARENS else _NUM_ITEM
    out: list[str] = []
    body: list[str] | None = None
    number, seen_section = 0, False

    def flush() -> None:
        if body is not None:
            out.append("主要内容:" + "".join(body))

    for line in text.splitlines():
        if _SECTION.match(line):
            flush()
            body, seen_section = None, True
            out.append(line.strip())
        elif seen_section and (m := item_re.match(line)):
            flush()
            number += 1
            title, first = lead_split(m["rest"])
            out.append(f"{number}.{title}")
            body = [first]
        elif body is not None:
            if line.strip():
                body.append(line.strip())
        elif not seen_section:  # the title, dates and preamble before the first section
            out.append(line)
        # a section's own introduction, before its first item, has no item to belong to: left out
    flush()
    return "\n".join(out)


def slug(name: str) -> str:
    """A plan id from a file name: ASCII letters, digits and dashes."""
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return s or "plan"


def import_plan(path: Path, *, plan_id: str | None = None, title: str | None = None, year: int | None = None,
                published: date | None = None, region: tuple[str, ...] = ()) -> Imported:
    """Read, recognise and parse one document; PlanImportError or PlanParseError say what is wrong."""
    text = join_wraps(read_text(path))
    shape = shape_of(text)
    text = canonical(text, shape)
    found_title = next((m for m in map(_TITLE.match, text.splitlines()) if m), None)
    meta_title = title or (found_title.group("title").strip() if found_title else None)
    meta_year = year or (int(found_title.group("year")) if found_title else None)
    if meta_year is None:
        raise PlanImportError(f"{path.name}: the document does not state its year (a title such as …2026年工作要点); "
                           "give it with --year 2026")
    if not meta_title:
        meta_title = f"{meta_year}年工作要点"
    head = "\n".join(text.splitlines()[:15])
    when = _PUBLISHED.search(head) or next((m for m in map(_DATE_LINE.match, head.splitlines()) if m), None)
    meta_published = published or (date(int(when["y"]), int(when["m"]), int(when["d"])) if when else None)
    if meta_published is None:
        raise PlanImportError(f"{path.name}: no publish date found (a 发布时间 line, or a date under the title); "
                           "give it with --published YYYY-MM-DD")
    meta = PlanMeta(id=plan_id or slug(path.stem), title=meta_title, short_title=meta_title, issuers=(),
                    year=meta_year, published=meta_published, source=path.name, region=region)
    return Imported(parse_plan(text, meta, source=path.name), shape, text.strip() + "\n")
