"""`plan-bot`: ask the plan from the shell, look items up, evaluate, and run the Telegram bot.

Sub-commands import only what they need: `ask` must answer in a fraction of a second, so nothing
here imports python-telegram-bot or sqlite-utils at module level.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Sequence, TextIO, cast

if TYPE_CHECKING:  # for annotations only: sub-commands import what they need when run
    from bot.store import Store
    from corpus import Plan
    from index import Index

EXIT_USAGE = 2
MAX_INPUT_CHARS = 10_000  # anything longer is cut before it reaches the index


def _index() -> Index:
    """The shipped and PLAN_BOT_PLANS_DIR's plans, with the questions operators taught (PLAN_BOT_DB,
    read-only, when it exists)."""
    from index import Index

    index = Index.build(_plans(), progress=_progress if sys.stderr.isatty() else None)
    _learn_taught(index)
    return index


def _learn_taught(index: Index) -> None:
    from bot.config import ConfigError, Settings
    from bot.store import Store, StoreError

    try:
        path = Settings.from_env().db_path
        if not path.is_file():
            return
        store = Store.open_readonly(path)
    except (ConfigError, StoreError):
        return  # no usable database: nothing taught (doctor says why)
    try:
        index.teach([(plan, item, q) for _, plan, item, q in store.taught()])
    finally:
        store.close()


def _progress(done: int, total: int) -> None:
    """The first run computes the passages' vectors (a few seconds): show how far it is."""
    print(f"\r首次运行：正在计算条目的语义向量 {done}/{total}", end="\n" if done >= total else "",
          file=sys.stderr, flush=True)


def _print_json(obj: object, out: TextIO) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    out.flush()


def _ask_one(ix: Index | None, question: str, k: int, as_json: bool, out: TextIO) -> int:
    """Answer one question as text or one JSON line; exit code 2 for a question with nothing to search.
    Without `ix` the index is built only when the question is not empty."""
    from bot.render import TEXT, answer_json, answer_page_text

    if not question.strip():
        return _not_a_question(question, "empty question", "问题是空的", as_json, out)
    if ix is None:
        ix = _index()
    answer = ix.search(question[:MAX_INPUT_CHARS], k=k)
    if answer.reason == "empty":  # only punctuation, emoji or stopwords
        return _not_a_question(question, "no searchable text", "问题里没有可以检索的文字（只有标点、表情或虚词）",
                               as_json, out)
    if as_json:
        obj = answer_json(answer)
        obj["query"] = question if len(question) <= MAX_INPUT_CHARS else question[:MAX_INPUT_CHARS]
        _print_json(obj, out)
    else:
        out.write(answer_page_text(answer, ix.plans, TEXT, per_page=k) + "\n")  # as the console renders it
    return 0


def _not_a_question(question: str, error: str, message: str, as_json: bool, out: TextIO) -> int:
    """A question with nothing to search: an error object (JSON) or a message on stderr; exit code 2."""
    if as_json:
        _print_json({"query": question[:MAX_INPUT_CHARS], "answered": False, "results": [], "error": error}, out)
    else:
        print(f"plan-bot: {message}。用法：plan-bot ask \"学前教育有什么新政策？\"", file=sys.stderr)
    return EXIT_USAGE


def cmd_ask(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Answer one question, or one per stdin line with `-` (JSON Lines, flushed line by line)."""
    if args.question != "-":
        if not args.question.strip():
            return _ask_one(None, args.question, args.k, args.json, out)
        return _ask_one(_index(), args.question, args.k, args.json, out)
    ix = _index()
    for line in sys.stdin:
        q = line.rstrip("\r\n")
        if args.json:
            _ask_one(ix, q, args.k, True, out)
        elif q.strip() and _ask_one(ix, q, args.k, False, out) == 0:
            out.write("\n")
    return 0


def cmd_item(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Print one item by reference (15, 十五, 第15条)."""
    from bot.render import TEXT, item_json, item_text
    from index import RefError

    ix = _index()
    try:
        item = ix.item(args.ref, args.plan)
    except RefError as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        _print_json(item_json(item), out)
    else:
        out.write(item_text(item, TEXT) + "\n")
    return 0


def cmd_sections(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Print the table of contents, or one section's items."""
    from bot.render import TEXT, section_text, sections_json, sections_text
    from index import RefError

    ix = _index()
    try:
        plan = ix.plan(args.plan)
        if args.section:
            section = ix.section(args.section, args.plan)
            if args.json:
                _print_json({"plan": plan.id, "section": section.numeral, "title": section.title,
                             "items": [{"item": n, "title": plan.item(n).title} for n in section.items]}, out)
            else:
                out.write(section_text(plan, section, TEXT) + "\n")
            return 0
    except RefError as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        _print_json(sections_json(plan), out)
    else:
        out.write(sections_text(plan, TEXT) + "\n")
    return 0


def cmd_eval(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Score the search on an evaluation file (hit@1, hit@3, MRR, multi recall@3, rejections)."""
    from index.evaluate import Outcome, read_questions, report

    try:
        questions = read_questions(args.file)
    except (OSError, ValueError) as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ix = _index()
    pairs = []
    for q in questions:
        a = ix.search(q.q, k=10)
        o = Outcome(tuple(h.item.number for h in a.hits), a.answered)
        pairs.append((q, o))
        if args.verbose:
            ok = (a.answered and bool(o.items) and o.items[0] in q.gold) if q.gold else not a.answered
            mark = "ok  " if ok else "MISS"
            out.write(f"{mark} {q.id} [{q.kind}] gold={list(q.gold)} got={list(o.items[:3])} answered={a.answered}  {q.q[:50]}\n")
    out.write(report(pairs) + "\n")
    return 0


def cmd_deadlines(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Print the deadlines found in the plan (all items, or one) as text, JSON or an .ics calendar."""
    from corpus.deadlines import deadline_json, extract, to_ics
    from index import RefError

    ix = _index()
    try:
        plan = ix.plan(args.plan)
        number = ix.item(args.ref, args.plan).number if args.ref else None
    except RefError as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    deadlines, mentions = extract(plan)
    if number is not None:
        deadlines = [d for d in deadlines if d.item == number]
        mentions = [m for m in mentions if m.item == number]
    if args.ics:
        out.write(to_ics(deadlines, {plan.id: plan}).decode("utf-8"))
        return 0
    if args.json:
        _print_json([deadline_json(d) for d in deadlines], out)
        return 0
    for d in deadlines:
        out.write(f"{d.date.isoformat()}  第{d.item}条  {d.label}  〔{d.rule}, {d.confidence}〕  “{d.phrase}”\n")
    for m in mentions:
        kind = "届次/期次（不是日期）" if m.kind == "edition" else "未注明日期的活动"
        out.write(f"            第{m.item}条  {kind}：“{m.phrase}”\n")
    return 0


def _plans() -> tuple[Plan, ...]:
    """The shipped plans and PLAN_BOT_PLANS_DIR's; a clear message and exit 2 when they cannot load."""
    from bot.config import ConfigError, Settings
    from corpus import PlanParseError
    from corpus.load import PlanMetaError, plans_with

    try:
        return plans_with(Settings.from_env().plans_dir)
    except (ConfigError, PlanParseError, PlanMetaError) as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def cmd_reminders(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """`reminders due --at T`: what the bot would send at T, read from PLAN_BOT_DB without writing to it;
    rows with the same `message` number go out together as one digest."""
    from datetime import datetime

    from bot.config import ConfigError, Settings

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        at = datetime.fromisoformat(args.at) if args.at else datetime.now(settings.tzinfo)
    except ValueError:
        print(f"plan-bot: --at {args.at!r} is not a date and time; write e.g. 2021-12-24T09:00+08:00 "
              f"(without an offset: {settings.tz})", file=sys.stderr)
        return EXIT_USAGE
    if at.tzinfo is None:
        at = at.replace(tzinfo=settings.tzinfo)
    from bot.reminders.schedule import Catalogue, Schedule, digest_groups, due_json
    from bot.store import Store, StoreError

    try:
        store = Store.open_readonly(settings.db_path)
    except StoreError as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        catalogue = Catalogue(_plans())
        due = Schedule(catalogue, store.reminders, settings.tzinfo).due(at)
    finally:
        store.close()
    rows = [dict(due_json(d, catalogue, settings.tzinfo), message=n)
            for n, group in enumerate(digest_groups(due), start=1) for d in group]
    if args.json:
        _print_json(rows, out)
        return 0
    out.write(f"{len(rows)} reminder(s) due at {at.astimezone(settings.tzinfo).isoformat()} ({settings.tz}):\n")
    for r in rows:
        if r["kind"] == "deadline":
            what = f"{r['date']} {'、'.join(cast('list[str]', r['labels']))}（提前 {r['lead']} 天）"
        else:
            what = f"个人提醒 #{r['reminder_id']} {r.get('note', '')}".rstrip()
        out.write(f"  message {r['message']}  chat {r['chat_id']}  第{r['item']}条 {r['title']}  {what}  "
                  f"attempt {r['attempt']}\n")
    return 0


NO_TOKEN = """plan-bot: 未设置 TELEGRAM_BOT_TOKEN，无法启动 Telegram 机器人。
TELEGRAM_BOT_TOKEN is not set, so the Telegram bot cannot start.
  1. In Telegram, talk to @BotFather: send /newbot and copy the token it gives you.
  2. Put it in a .env file in this folder (TELEGRAM_BOT_TOKEN=123456:ABC…, see .env.example)
     or in the environment, then run `plan-bot run` again.
Without a token, `plan-bot chat` runs the same bot offline in this terminal (no network needed),
and `plan-bot serve` serves the web page (http://127.0.0.1:8080; --listen 0.0.0.0:8080 for your network)."""


def cmd_run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the Telegram bot (long polling); without a token, explain and offer the offline console."""
    from bot.config import ConfigError, Settings

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        if not sys.stdin.isatty():
            return EXIT_USAGE
        print("\nStarting the offline console now (Ctrl-D or /quit to leave).\n", file=sys.stderr)
        return _console(None, out or sys.stdout)
    from bot.telegram.app import run

    return run(settings)


def cmd_serve(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Serve the web page and, with a token, the bot (webhook with PLAN_BOT_WEBHOOK_URL, else polling)."""
    from dataclasses import replace

    from bot.config import ConfigError, Settings, listen_address

    try:
        settings = Settings.from_env()
        if args.listen:
            settings = replace(settings, listen=listen_address(args.listen))
    except ConfigError as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from bot.telegram.serve import serve

    return serve(settings)


def _read_store() -> Store:
    """PLAN_BOT_DB opened read-only, or a message and exit 2."""
    from bot.config import ConfigError, Settings
    from bot.store import Store, StoreError

    try:
        return Store.open_readonly(Settings.from_env().db_path)
    except (ConfigError, StoreError) as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def cmd_feedback_export(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Distinct questions as evaluation cases (JSON lines), most asked first."""
    from datetime import datetime, timezone

    from bot.report import asked, parse_day

    out = out or sys.stdout
    try:
        since = parse_day(args.since) if args.since else datetime(1970, 1, 1, tzinfo=timezone.utc)
    except ValueError:
        print(f"plan-bot: --since {args.since!r}: use a day as YYYY-MM-DD", file=sys.stderr)
        return EXIT_USAGE
    store = _read_store()
    try:
        for case in asked(store, since, unanswered=args.unanswered, down=args.down):
            _print_json(case.eval_case(), out)
    finally:
        store.close()
    return 0


MAX_TAUGHT_CHARS = 300  # the search reads no further


def cmd_teach(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Teach, list or remove taught questions in PLAN_BOT_DB."""
    from datetime import datetime, timezone

    from bot.config import ConfigError, Settings
    from bot.store import Store, StoreError
    from index.refs import parse_item_ref

    out = out or sys.stdout
    try:
        settings = Settings.from_env()
        store = Store.open(settings.db_path, settings.secret)
    except (ConfigError, StoreError) as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.list:
            for tid, plan_id, item, q in store.taught():
                out.write(f"{tid}\t{plan_id}\t{item}\t{q}\n")
            return 0
        if args.remove is not None:
            if store.forget(args.remove):
                out.write(f"removed taught question {args.remove}\n")
                return 0
            print(f"plan-bot: no taught question has id {args.remove} (see plan-bot teach --list)", file=sys.stderr)
            return EXIT_USAGE
        question = (args.question or "").strip()
        if not args.item or not question:
            print('plan-bot: usage: plan-bot teach 15 "退休老师可以去农村支教吗" (or --list, --remove ID)', file=sys.stderr)
            return EXIT_USAGE
        if len(question) > MAX_TAUGHT_CHARS:
            print(f"plan-bot: the question is {len(question)} characters; teach one of at most {MAX_TAUGHT_CHARS}",
                  file=sys.stderr)
            return EXIT_USAGE
        plans = _plans()
        chosen = [p for p in plans if p.id == args.plan] if args.plan else [
            max(plans, key=lambda p: (p.meta.year, p.meta.published))]
        if not chosen:
            print(f"plan-bot: no plan {args.plan!r} (plans: {', '.join(p.id for p in plans)})", file=sys.stderr)
            return EXIT_USAGE
        plan = chosen[0]
        number = parse_item_ref(args.item)
        lo, hi = plan.item_range
        if number is None or not lo <= number <= hi:
            print(f"plan-bot: “{args.item}” is not an item of {plan.id}: use {lo}–{hi}", file=sys.stderr)
            return EXIT_USAGE
        tid = store.teach(plan.id, number, question, datetime.now(timezone.utc))
        out.write(f"taught {tid}: item {number} of {plan.id} answers “{question}”\n")
        return 0
    finally:
        store.close()


def cmd_stats(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """The figures of the last days."""
    from dataclasses import asdict
    from datetime import datetime, timezone

    from bot.report import stats

    out = out or sys.stdout
    if not 1 <= args.days <= 3650:
        print("plan-bot: --days must be between 1 and 3650", file=sys.stderr)
        return EXIT_USAGE
    store = _read_store()
    try:
        figures = stats(store, datetime.now(timezone.utc), args.days)
    finally:
        store.close()
    if args.png:
        from datetime import timedelta
        from pathlib import Path

        from bot.chart import bars_png

        today = datetime.now(timezone.utc).date()
        days = [figures.per_day.get((today - timedelta(days=d)).isoformat(), (0, 0)) for d in range(args.days - 1, -1, -1)]
        try:
            Path(args.png).write_bytes(bars_png([(answered, asked - answered) for asked, answered in days]))
        except OSError as exc:
            print(f"plan-bot: cannot write {args.png}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
    if args.json:
        _print_json({**asdict(figures), "share_answered": round(figures.share_answered, 4)}, out)
    else:
        out.write(figures.text() + "\n")
    return 0


def cmd_import(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Read a plan as published, show what was found, and write it into the plans folder."""
    from datetime import date
    from pathlib import Path

    from bot.config import ConfigError, Settings
    from corpus import PlanParseError
    from corpus.importer import PlanImportError, import_plan

    out = out or sys.stdout
    path = Path(args.file)
    if not path.is_file():
        print(f"plan-bot: no file {args.file}", file=sys.stderr)
        return EXIT_USAGE
    try:
        published = date.fromisoformat(args.published) if args.published else None
    except ValueError:
        print(f"plan-bot: --published {args.published!r}: use YYYY-MM-DD", file=sys.stderr)
        return EXIT_USAGE
    try:
        found = import_plan(path, plan_id=args.plan_id, title=args.title, year=args.year, published=published,
                            region=tuple(args.region))
    except (PlanImportError, PlanParseError) as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        _print_json(found.as_json(), out)
    else:
        out.write(found.preview() + "\n")
    if args.dry_run:
        return 0
    try:
        folder = Path(args.out) if args.out else Settings.from_env().plans_dir
    except ConfigError as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if folder is None:
        print("plan-bot: where to? give --out DIR, or set PLAN_BOT_PLANS_DIR", file=sys.stderr)
        return EXIT_USAGE
    folder.mkdir(parents=True, exist_ok=True)
    text_file, meta_file = folder / f"{found.plan.id}.txt", folder / f"{found.plan.id}.toml"
    if (text_file.exists() or meta_file.exists()) and not args.force:
        print(f"plan-bot: {text_file} exists; --force replaces it, or --id gives this plan another id", file=sys.stderr)
        return EXIT_USAGE
    text_file.write_text(found.text, encoding="utf-8")
    meta_file.write_text(found.toml(), encoding="utf-8")
    (sys.stderr if args.json else out).write(f"written {text_file} and {meta_file.name}\n")
    return 0


def cmd_doctor(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Check the set-up; exit 0 when every check passes, 1 otherwise."""
    from bot.doctor import run_checks

    out = out or sys.stdout
    checks = run_checks()
    for check in checks:
        out.write(check.line() + "\n")
    failed = sum(not c.ok for c in checks)
    out.write("all checks passed\n" if not failed else f"{failed} check(s) failed\n")
    return 0 if not failed else 1


def cmd_chat(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """The offline console: the bot's commands and answers as plain text, no token or network."""
    return _console(args.db, out or sys.stdout)


def _console(db: str | None, out: TextIO) -> int:
    from datetime import datetime, timezone

    from bot.config import ConfigError, Settings
    from bot.console import run_console
    from bot.logic import Logic
    from bot.render import TEXT
    from bot.store import MEMORY, Store

    try:
        tz = Settings.from_env().tzinfo
    except ConfigError as exc:
        print(f"plan-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    store = Store.open(db or MEMORY)
    try:
        index = _index()
        if db:  # the console's own database: its taught questions
            index.teach([(plan, item, q) for _, plan, item, q in store.taught()])
        logic = Logic(index, store, lambda: datetime.now(timezone.utc), TEXT, tz, channel="console")
        return run_console(logic, sys.stdin, out, interactive=sys.stdin.isatty())
    except KeyboardInterrupt:
        return 0
    finally:
        store.close()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    ap = argparse.ArgumentParser(prog="plan-bot", description="Ask a work plan questions in Chinese; run its Telegram bot.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ask", help="answer a question (or one per stdin line with -)")
    p.add_argument("question", help='the question, or "-" to read one per line from stdin')
    p.add_argument("-k", type=int, default=3, help="how many items to return (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON (one object per line)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("item", help="show an item: 15, 十五, 第15条, or 总体要求 (the preamble)")
    p.add_argument("ref")
    p.add_argument("--plan", help="plan id (default: the newest plan)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_item)

    p = sub.add_parser("sections", help="the table of contents, or one section: sections 三")
    p.add_argument("section", nargs="?", help="a section: 三, 3, 第三部分")
    p.add_argument("--plan", help="plan id (default: the newest plan)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sections)

    p = sub.add_parser("eval", help="score the search on a .jsonl file of questions with gold items")
    p.add_argument("file")
    p.add_argument("-v", "--verbose", action="store_true", help="one line per question")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("deadlines", help="deadlines found in the plan: all, or one item (deadlines 15)")
    p.add_argument("ref", nargs="?", help="an item: 15, 十五, 第15条")
    p.add_argument("--plan", help="plan id (default: the newest plan)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="a JSON list of deadlines")
    fmt.add_argument("--ics", action="store_true", help="an iCalendar file on stdout")
    p.set_defaults(func=cmd_deadlines)

    p = sub.add_parser("reminders", help="reminders: `reminders due --at T` lists what the bot would send at T")
    rsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    d = rsub.add_parser("due", help="what the bot would send at a moment (a dry run over PLAN_BOT_DB)")
    d.add_argument("--at", help="the moment, ISO 8601: 2021-12-24T09:00+08:00 (default: now; no offset: PLAN_BOT_TZ)")
    d.add_argument("--json", action="store_true", help="a JSON list, one object per reminder")
    d.set_defaults(func=cmd_reminders)

    p = sub.add_parser("run", help="run the Telegram bot (long polling; settings from the environment / .env)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("serve", help="the web page (and the bot: webhook or polling) in one server; /healthz, /metrics")
    p.add_argument("--listen", metavar="HOST:PORT", help="address to listen on (default PLAN_BOT_LISTEN, else 127.0.0.1:8080)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("feedback", help="export what people asked (unanswered, voted down) as evaluation cases")
    fsub = p.add_subparsers(dest="feedback_command", required=True)
    e = fsub.add_parser("export", help="JSON lines in plan-bot eval's format, gold left empty for a person to fill")
    e.add_argument("--since", metavar="YYYY-MM-DD", help="only questions asked since that day (default: all)")
    e.add_argument("--unanswered", action="store_true", help="only questions the plan was not found to answer")
    e.add_argument("--down", action="store_true", help="only questions someone voted 👎")
    e.set_defaults(func=cmd_feedback_export)

    p = sub.add_parser("teach", help="teach the search: item N answers this question (--list, --remove ID)")
    p.add_argument("item", nargs="?", help="the item: 15, 十五, 第15条 (of the newest plan, or --plan)")
    p.add_argument("question", nargs="?", help="the question it answers, in quotes")
    p.add_argument("--plan", metavar="ID", help="the plan the item belongs to (default: the newest)")
    p.add_argument("--list", action="store_true", help="list the taught questions")
    p.add_argument("--remove", type=int, metavar="ID", help="remove the taught question with this id")
    p.set_defaults(func=cmd_teach)

    p = sub.add_parser("stats", help="questions, answers, votes, subscribers and reminders of the last days")
    p.add_argument("--days", type=int, default=7, help="the period in days (default 7)")
    p.add_argument("--json", action="store_true", help="as JSON")
    p.add_argument("--png", metavar="FILE", help="also write a chart of answered vs not per day to FILE")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("import", help="import a plan (.txt or a saved .html page) into the plans folder")
    p.add_argument("file", help="the plan as published: .txt or .html")
    p.add_argument("--id", dest="plan_id", help="the plan's id (default: from the file name)")
    p.add_argument("--title", help="the title (default: read from the document)")
    p.add_argument("--year", type=int, help="the plan's year (default: from its title)")
    p.add_argument("--published", metavar="YYYY-MM-DD", help="publish date (default: read from the document)")
    p.add_argument("--region", nargs="*", default=[], metavar="地名", help="the places the plan is about")
    p.add_argument("--out", metavar="DIR", help="where to write ID.txt and ID.toml (default PLAN_BOT_PLANS_DIR)")
    p.add_argument("--dry-run", action="store_true", help="show what was found; write nothing")
    p.add_argument("--json", action="store_true", help="print the parsed plan as JSON")
    p.add_argument("--force", action="store_true", help="replace a plan with the same id")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("doctor", help="check the set-up: configuration, database, plans, caches, token (reads only)")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("chat", help="try the bot offline in this terminal (same commands and answers)")
    p.add_argument("--db", help="SQLite file for the question log (default: in memory, forgotten on exit)")
    p.set_defaults(func=cmd_chat)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `plan-bot` console script."""
    args = build_parser().parse_args(argv)
    if getattr(args, "k", 1) < 1:
        print("plan-bot: -k must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args, sys.stdout) or 0)  # stdout as it is now (tests redirect it)
    except BrokenPipeError:  # `plan-bot ask … | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
