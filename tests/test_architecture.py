"""The layout keeps its promises: data flows corpus → index → bot; only bot/telegram/ imports
python-telegram-bot, only bot/web/ imports the web framework and its server; no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("corpus", "index", "bot")


def modules() -> dict[str, set[str]]:
    """Every module of ours and the modules it imports (absolute names)."""
    graph: dict[str, set[str]] = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            here = ".".join(parts[:-1])
            imports: set[str] = set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    imports.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom):
                    base = node.module or ""
                    if node.level:
                        up = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                        base = ".".join([*up, base] if base else up)
                    imports.update({base, *(f"{base}.{a.name}" for a in node.names)})
            graph[name] = imports
    # `from bot.web import pages` imports the module bot.web.pages, not (for a cycle) the package
    ours = set(graph)
    for name, imports in graph.items():
        for imp in list(imports):
            if any(i.startswith(imp + ".") and i in ours for i in imports) and imp in ours and imp != name:
                submodules = [i for i in imports if i.startswith(imp + ".") and i in ours]
                if submodules:
                    imports.discard(imp)
    return graph


def test_only_the_telegram_package_imports_python_telegram_bot() -> None:
    offenders = sorted(m for m, imps in modules().items()
                       if any(i == "telegram" or i.startswith("telegram.") for i in imps)
                       and not m.startswith("bot.telegram"))
    assert offenders == []


def test_only_the_web_package_imports_the_web_framework_and_its_server() -> None:
    offenders = sorted(m for m, imps in modules().items()
                       if any(i.split(".")[0] in ("starlette", "uvicorn") for i in imps) and not m.startswith("bot.web"))
    assert offenders == []


def test_data_flows_one_way_corpus_index_bot() -> None:
    graph = modules()
    assert not [m for m, imps in graph.items() if m.startswith("corpus") and any(
        i.split(".")[0] in ("index", "bot") for i in imps)]
    assert not [m for m, imps in graph.items() if m.startswith("index") and any(i.split(".")[0] == "bot" for i in imps)]


def test_the_shared_logic_and_the_reminders_know_no_front_end() -> None:
    graph = modules()
    shared = [m for m in graph if m.startswith("bot.reminders") or m in (
        "bot.logic", "bot.render", "bot.store", "bot.replies", "bot.commands", "bot.limits", "bot.metrics")]
    for m in shared:
        assert not [i for i in graph[m] if i.startswith(("bot.telegram", "bot.web"))], m


def test_there_are_no_import_cycles() -> None:
    graph = modules()
    ours = set(graph)
    edges = {m: {i for i in imps if i in ours and i != m} for m, imps in graph.items()}

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in edges[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = sorted(m for m in ours if m in reach(m) and not m.endswith(("bot", "index", "corpus")) and
                    not any(m == p for p in PACKAGES))
    assert cycles == []
