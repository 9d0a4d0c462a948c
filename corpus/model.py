"""Domain objects of a work plan: Plan ▸ Section ▸ Item ▸ Passage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

GOAL = "目标任务"
MEASURES = "工作措施"
PREAMBLE = "总体要求"
PREAMBLE_ITEM = 0


@dataclass(frozen=True)
class PlanMeta:
    """Where a plan comes from: id, title, issuing bodies, year, publish date, source."""

    id: str
    title: str
    short_title: str
    issuers: tuple[str, ...]
    year: int
    published: date
    source: str
    region: tuple[str, ...] = ()  # places the plan is about (its province, cities, leagues)


@dataclass(frozen=True)
class Passage:
    """One measure-level sentence of an item, the unit the index ranks."""

    plan: str
    item: int
    part: str  # GOAL, MEASURES or PREAMBLE
    position: int  # 0-based within the part
    text: str


@dataclass(frozen=True)
class Item:
    """A numbered item (1..N) of a plan; number 0 is the preamble (总体要求)."""

    plan: str
    number: int
    title: str
    section: str  # the section's numeral, "三"; "" for the preamble
    section_title: str
    goal: str
    measures: str
    measures_label: str = MEASURES  # as printed: 工作措施 or 主要措施
    passages: tuple[Passage, ...] = field(default=(), repr=False)

    @property
    def is_preamble(self) -> bool:
        """True for the pseudo-item holding the preamble."""
        return self.number == PREAMBLE_ITEM

    @property
    def ref(self) -> str:
        """Human reference: `三、建设高质量教育体系 › 15. 推动高等教育提质创新发展`."""
        if self.is_preamble:
            return PREAMBLE
        return f"{self.section}、{self.section_title} › {self.number}. {self.title}"

    def part_passages(self, part: str) -> tuple[Passage, ...]:
        """The passages of one part, in order."""
        return tuple(p for p in self.passages if p.part == part)


@dataclass(frozen=True)
class Section:
    """A top-level section (一…七) and the numbers of its items."""

    plan: str
    number: int  # 1-based
    numeral: str  # "三"
    title: str
    items: tuple[int, ...]

    @property
    def heading(self) -> str:
        """`三、建设高质量教育体系`."""
        return f"{self.numeral}、{self.title}"


@dataclass(frozen=True)
class Plan:
    """A whole work plan: metadata, preamble, sections and items."""

    meta: PlanMeta
    preamble: Item
    sections: tuple[Section, ...]
    items: tuple[Item, ...]

    @property
    def id(self) -> str:
        """The plan id, e.g. `nmg-edu-2021`."""
        return self.meta.id

    def item(self, number: int) -> Item:
        """The item with this number (0 = preamble); KeyError if there is none."""
        if number == PREAMBLE_ITEM:
            return self.preamble
        for it in self.items:
            if it.number == number:
                return it
        raise KeyError(number)

    def section(self, number: int) -> Section:
        """The section with this 1-based number; KeyError if there is none."""
        for s in self.sections:
            if s.number == number:
                return s
        raise KeyError(number)

    @property
    def item_range(self) -> tuple[int, int]:
        """Lowest and highest item number."""
        nums = [it.number for it in self.items]
        return min(nums), max(nums)

    def all_items(self) -> tuple[Item, ...]:
        """The preamble followed by the numbered items."""
        return (self.preamble, *self.items)

    def passages(self) -> tuple[Passage, ...]:
        """Every passage of the plan, preamble first."""
        return tuple(p for it in self.all_items() for p in it.passages)


@dataclass(frozen=True)
class Deadline:
    """A date by which (part of) an item is due, with where it came from and how sure we are."""

    plan: str
    item: int
    date: date
    label: str  # short, e.g. 年度任务, 第一季度专题报告会, 推普周
    phrase: str  # the words of the plan it comes from
    rule: str  # the rule that produced it, e.g. plan-year-end, year-range, quarterly, named-event
    confidence: str  # explicit / inferred / default
