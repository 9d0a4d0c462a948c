"""Find plan files (text + TOML metadata) and parse them."""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from pathlib import Path

from .model import Plan, PlanMeta
from .parse import parse_plan

PLANS_DIR = Path(__file__).resolve().parent / "plans"


class PlanMetaError(ValueError):
    """Metadata file missing or incomplete."""


def read_meta(path: Path) -> PlanMeta:
    """Read a plan's `.toml` metadata file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PlanMetaError(f"{path}: metadata file missing (every plan .txt needs a .toml beside it)") from exc
    missing = [k for k in ("id", "title", "year", "published") if k not in data]
    if missing:
        raise PlanMetaError(f"{path}: missing {', '.join(missing)}")
    published = data["published"]
    if not isinstance(published, date):
        published = date.fromisoformat(str(published))
    return PlanMeta(
        id=str(data["id"]),
        title=data["title"],
        short_title=data.get("short_title", data["title"]),
        issuers=tuple(data.get("issuers", ())),
        year=int(data["year"]),
        published=published,
        source=data.get("source", ""),
        region=tuple(data.get("region", ())),
    )


def load_plan(text_path: Path) -> Plan:
    """Parse one plan from its text file and the `.toml` beside it."""
    meta = read_meta(text_path.with_suffix(".toml"))
    return parse_plan(text_path.read_text(encoding="utf-8"), meta, source=text_path.name)


def load_plans(directory: Path | None = None) -> tuple[Plan, ...]:
    """Every plan in a folder (default: the shipped plans), ordered by id; ids must be unique."""
    folder = Path(directory) if directory else PLANS_DIR
    plans = tuple(sorted((load_plan(p) for p in sorted(folder.glob("*.txt"))), key=lambda p: p.id))
    ids = [p.id for p in plans]
    if len(set(ids)) != len(ids):
        raise PlanMetaError(f"{folder}: duplicate plan ids {ids}")
    return plans


@cache
def shipped_plans() -> tuple[Plan, ...]:
    """The plans shipped with the package, parsed once per process."""
    return load_plans()


def plans_with(extra: Path | None) -> tuple[Plan, ...]:
    """The shipped plans and, from the operator's folder `extra` (PLAN_BOT_PLANS_DIR), theirs, ordered
    by id; an id may not be used twice. A folder that does not exist is an error, not an empty set."""
    if extra is None:
        return shipped_plans()
    if not Path(extra).is_dir():
        raise PlanMetaError(f"PLAN_BOT_PLANS_DIR={extra}: no such folder (a folder of .txt plans, a .toml beside each)")
    mine = load_plans(Path(extra))
    clash = sorted({p.id for p in mine} & {p.id for p in shipped_plans()})
    if clash:
        raise PlanMetaError(f"PLAN_BOT_PLANS_DIR={extra}: plan id {', '.join(clash)} is already a shipped plan's")
    return tuple(sorted((*shipped_plans(), *mine), key=lambda p: p.id))
