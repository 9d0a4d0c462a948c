"""Tokenising and ranking: `Index.build(plans)`, `index.search(question, k)`, `index.item(ref)`."""

from .refs import RefError, parse_item_ref, parse_section_ref
from .search import Answer, Hit, Index, Match

__all__ = ["Answer", "Hit", "Index", "Match", "RefError", "parse_item_ref", "parse_section_ref"]
