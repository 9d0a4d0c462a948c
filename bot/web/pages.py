"""The web page's HTML: server-rendered, no script, no outside resources, readable on a phone.

Built from the same domain objects and the same sentence marking as the bot's answers (bot/render.py),
with `<mark>` for matched words and every item linked to its own page.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from urllib.parse import quote

from bot.render import TRUNCATED_NOTE, Style, corrections_note, marked, short_ref
from corpus import GOAL, Item, Plan, Section, split_sentences
from corpus.deadlines import Deadline
from index import Answer, Hit

WEB = Style(lambda s: html.escape(s, quote=True), "<mark>", "</mark>", "<em>", "</em>")
esc = WEB.esc

CSS = """
:root { color-scheme: light dark; --accent: #1a5fb4; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 44rem; padding: 0.75rem; font: 17px/1.6 system-ui, -apple-system,
       "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
header a { color: inherit; text-decoration: none; font-weight: 600; }
form.ask { display: flex; gap: 0.5rem; margin: 0.75rem 0; }
form.ask input[type=search] { flex: 1; min-width: 0; font-size: 1rem; padding: 0.55rem; border: 1px solid #888;
                              border-radius: 0.4rem; }
button { font-size: 1rem; padding: 0.5rem 0.9rem; border-radius: 0.4rem; border: 1px solid var(--accent);
         background: var(--accent); color: #fff; }
article { border: 1px solid #8884; border-radius: 0.5rem; padding: 0.6rem 0.8rem; margin: 0.75rem 0; }
article h2 { font-size: 1.02rem; margin: 0 0 0.3rem; }
.ref { color: #777; font-size: 0.9rem; }
mark { background: #ffe066; color: inherit; padding: 0 0.1em; }
.note { color: #777; font-size: 0.92rem; }
.votes { display: flex; gap: 0.5rem; align-items: center; }
.votes button { background: none; color: inherit; border-color: #888; }
nav.pager { display: flex; justify-content: space-between; margin: 1rem 0; }
ol.measures li { margin: 0.3rem 0; }
footer { margin-top: 2rem; color: #777; font-size: 0.85rem; }
"""


def page(title: str, body: str, q: str = "") -> str:
    """A whole page: the ask box on top, `body` below."""
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<header><a href="/">工作要点问答</a> · <a href="/sections">目录</a> · <a href="/deadlines">时间节点</a></header>
<form class="ask" method="get" action="/" role="search">
<input type="search" name="q" value="{esc(q)}" placeholder="用自己的话提问，例如：学前教育有什么新政策？"
 maxlength="1000" aria-label="问题">
<button type="submit">问</button>
</form>
<main>
{body}
</main>
<footer>答案只摘自计划原文，并注明出处。</footer>
</body>
</html>
"""


def item_link(item: Item) -> str:
    """The item's own page."""
    ref = "总体要求" if item.is_preamble else str(item.number)
    return f"/item/{quote(ref)}?plan={quote(item.plan)}"


def home(plan: Plan, examples: Sequence[str]) -> str:
    """The ask box and a few example questions."""
    links = "".join(f'<li><a href="/?q={quote(q)}">{esc(q)}</a></li>' for q in examples)
    body = (f"<p>问《{esc(plan.meta.title)}》（{plan.meta.year} 年）里的任何事：用自己的话、关键词都可以，"
            f"中文或英文。</p><p>例如：</p><ul>{links}</ul>")
    return page("工作要点问答", body)


def _hit(hit: Hit, first: bool) -> str:
    by_part: dict[str, list[str]] = {}
    for m in hit.matches[: 2 if first else 1]:
        by_part.setdefault(m.passage.part, []).append(marked(m, WEB))
    label = {GOAL: GOAL}.get
    sentences = "".join(f"<p><strong>{esc(label(part) or hit.item.measures_label)}</strong>："
                        f"{' … '.join(s)}</p>" for part, s in by_part.items())
    return (f'<article><h2><a href="{item_link(hit.item)}">{esc(short_ref(hit.item))}</a></h2>'
            f'<div class="ref">{esc(hit.item.ref)}</div>{sentences}</article>')


def answer(result: Answer, plans: Sequence[Plan], vote_form: str) -> str:
    """An answer: the best items with their matched sentences, or an honest not-found with the nearest."""
    q = result.query
    notes = []
    if result.truncated:
        notes.append(TRUNCATED_NOTE)
    if result.corrections:
        notes.append(corrections_note(result.corrections))
    note = "".join(f'<p class="note">{esc(n)}</p>' for n in notes)
    if result.answered:
        cards = "".join(_hit(h, i == 0) for i, h in enumerate(result.hits[:3]))
        rest = result.hits[3:6]
        more = ("<p>也可能相关：" + " · ".join(f'<a href="{item_link(h.item)}">{esc(short_ref(h.item))}</a>'
                                           for h in rest) + "</p>") if rest else ""
        titles = "；".join(dict.fromkeys(p.meta.title for p in plans if p.id in {h.item.plan for h in result.hits[:6]}))
        body = f'{cards}{more}{note}<p class="note">来源：{esc(titles)}</p>{vote_form}'
    else:
        body = not_found(result, plans) + note + vote_form
    return page(f"{q[:40]} · 工作要点问答", body, q)


def not_found(result: Answer, plans: Sequence[Plan]) -> str:
    """Why the plan does not answer the question, and the nearest items."""
    shown = result.query.strip()
    shown = shown if len(shown) <= 40 else shown[:40] + "…"
    if result.reason == "detail-not-in-plan" and result.hits:
        text = (f"计划在 {esc(short_ref(result.hits[0].item))} 提到了相关工作，"
                "但没有给出你问的具体数字、日期、名单或办理细节。")
    elif result.reason == "elsewhere":
        text = f"这份工作要点讲的是本地区当年的工作；你的问题“{esc(shown)}”提到了别的地方或年份，计划里没有相应的内容。"
    else:
        text = f"这份工作要点里没有找到与“{esc(shown)}”相关的内容。"
    near = ""
    if result.hits:
        near = "<p>你可能想看：" + " · ".join(
            f'<a href="{item_link(h.item)}">{esc(short_ref(h.item))}</a>' for h in result.hits[:3]) + "</p>"
    return f'<p>{text}</p>{near}<p>可以<a href="/sections">查看目录</a>，或换个说法提问。</p>'


def vote_form(question_id: int, token: str) -> str:
    """👍/👎 under an answer: a POST form (no script), signed against cross-site posting."""
    return (f'<form class="votes" method="post" action="/vote"><span class="note">这个回答有帮助吗？</span>'
            f'<input type="hidden" name="question" value="{question_id}">'
            f'<input type="hidden" name="token" value="{esc(token)}">'
            f'<button type="submit" name="vote" value="1">👍 有帮助</button>'
            f'<button type="submit" name="vote" value="-1">👎 没帮上</button></form>')


def voted(vote: int, q: str) -> str:
    """Thanks for a vote, with a way back."""
    text = "谢谢！已记录：有帮助 👍" if vote > 0 else "谢谢！已记录：没帮上忙 👎。换个说法再问试试？"
    back = f'<p><a href="/?q={quote(q)}">回到答案</a></p>' if q else ""
    return page("谢谢", f"<p>{text}</p>{back}", q)


def item(it: Item, plan: Plan) -> str:
    """The whole item, with previous / next and its calendar."""
    if it.is_preamble:
        body = f"<article><h2>{esc(it.ref)}</h2><p>{esc(it.goal)}</p></article>"
    else:
        measures = "".join(f"<li>{esc(s)}</li>" for s in split_sentences(it.measures))
        body = (f"<article><h2>{esc(short_ref(it))}</h2><div class=\"ref\">{esc(it.ref)}</div>"
                + (f"<h3>{esc(GOAL)}</h3><p>{esc(it.goal)}</p>" if it.goal else "") +
                f"<h3>{esc(it.measures_label)}</h3><ol class=\"measures\">{measures}</ol></article>")
    lo, hi = plan.item_range
    prev = f'<a href="/item/{it.number - 1}?plan={quote(plan.id)}">‹ 上一条</a>' if it.number > lo else "<span></span>"
    nxt = f'<a href="/item/{it.number + 1}?plan={quote(plan.id)}">下一条 ›</a>' if it.number < hi else "<span></span>"
    cal = "" if it.is_preamble else (f'<p><a href="/calendar/{it.number}.ics?plan={quote(plan.id)}">'
                                     "把这一条的时间节点加入日历（.ics）</a></p>")
    return page(short_ref(it), f'{body}{cal}<nav class="pager">{prev}{nxt}</nav>')


def sections(plan: Plan) -> str:
    """The table of contents."""
    rows = [f'<li><a href="/item/%E6%80%BB%E4%BD%93%E8%A6%81%E6%B1%82?plan={quote(plan.id)}">总体要求</a></li>']
    rows += [f'<li><a href="/section/{s.number}?plan={quote(plan.id)}">{esc(s.heading)}</a>'
             f'（第 {s.items[0]}–{s.items[-1]} 条）</li>' for s in plan.sections]
    return page("目录", f"<h1>{esc(plan.meta.title)}</h1><ul>{''.join(rows)}</ul>")


def section(plan: Plan, sec: Section) -> str:
    """One section's items."""
    rows = "".join(f'<li><a href="{item_link(plan.item(n))}">{n}. {esc(plan.item(n).title)}</a></li>'
                   for n in sec.items)
    return page(sec.heading, f"<h1>{esc(sec.heading)}</h1><ul>{rows}</ul>")


def deadlines(plan: Plan, found: Sequence[Deadline], today_iso: str) -> str:
    """Every date the plan gives, upcoming first, past ones marked."""
    ordered = sorted(found, key=lambda d: (d.date.isoformat() < today_iso, d.date, d.item))
    rows = "".join(
        f'<li>{d.date.isoformat()}{" <span class=note>已过</span>" if d.date.isoformat() < today_iso else ""} · '
        f'<a href="{item_link(plan.item(d.item))}">{d.item}. {esc(plan.item(d.item).title)}</a>'
        f' · {esc(d.label)}：“{esc(d.phrase)}”</li>' for d in ordered)
    return page("时间节点", f"<h1>时间节点</h1><p><a href=\"/calendar/all.ics?plan={quote(plan.id)}\">"
                            f"全部加入日历（.ics）</a></p><ul>{rows or '<li>计划没有给出日期。</li>'}</ul>")


def not_found_page(message: str) -> str:
    """A 404 that says what is valid."""
    return page("没有这一页", f"<p>{esc(message)}</p><p><a href=\"/sections\">查看目录</a></p>")


def too_many(seconds: int) -> str:
    """A 429: how long to wait."""
    return page("请稍等", f"<p>提问太频繁了，请 {seconds} 秒后再试。</p>")
