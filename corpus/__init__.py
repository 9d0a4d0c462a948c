"""The plans as data: text files with metadata, parsed into frozen dataclasses."""

from .load import load_plan, load_plans, shipped_plans
from .model import GOAL, MEASURES, PREAMBLE, Deadline, Item, Passage, Plan, PlanMeta, Section
from .parse import PlanParseError, parse_plan, split_sentences

__all__ = [
    "GOAL", "MEASURES", "PREAMBLE", "Deadline", "Item", "Passage", "Plan", "PlanMeta", "Section",
    "PlanParseError", "load_plan", "load_plans", "parse_plan", "shipped_plans", "split_sentences",
]
