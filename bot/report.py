"""What people asked, for the people who run the bot: figures for a period, and the questions to
learn from (unanswered or voted down) as evaluation cases. Reads the store; writes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from bot.store import Store, iso_time


@dataclass(frozen=True)
class Asked:
    """One distinct question in a period: how often, what the search returned, and the votes."""

    q: str
    count: int
    answered: bool
    returned: tuple[int, ...]
    up: int
    down: int

    def eval_case(self) -> dict:
        """A line of `plan-bot eval`'s format, gold left for a person to fill in."""
        return {"q": self.q, "gold": [], "kind": "", "note": "", "returned": list(self.returned),
                "answered": self.answered, "votes": {"up": self.up, "down": self.down}, "count": self.count}


@dataclass(frozen=True)
class Stats:
    """The figures of a period."""

    days: int
    questions: int
    today: int
    answered: int
    up: int
    down: int
    subscribers: int
    reminders_sent: int
    reminders_failed: int
    unanswered: list[Asked] = field(default_factory=list)
    voted_down: list[Asked] = field(default_factory=list)
    per_day: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def share_answered(self) -> float:
        """Answered questions over all questions (0 when there were none)."""
        return self.answered / self.questions if self.questions else 0.0

    def text(self) -> str:
        """The figures as a few plain lines."""
        lines = [f"最近 {self.days} 天：{self.questions} 个问题（今天 {self.today}），"
                 f"{self.share_answered:.0%} 找到了答案；👍 {self.up} · 👎 {self.down}",
                 f"订阅提醒的聊天：{self.subscribers}；提醒发出 {self.reminders_sent}，失败 {self.reminders_failed}"]
        if self.unanswered:
            lines.append("没找到答案最多的问题：")
            lines += [f"  {a.count} × {a.q[:60]}" for a in self.unanswered]
        if self.voted_down:
            lines.append("被点 👎 的问题：")
            lines += [f"  {a.down} 👎 · {a.q[:60]}" for a in self.voted_down]
        return "\n".join(lines)


def asked(store: Store, since: datetime, *, unanswered: bool = False, down: bool = False) -> list[Asked]:
    """Distinct questions asked since `since` (the same text counted once), most asked first."""
    rows = store.db.query(
        """
        select q.question as q, count(distinct q.id) as n, max(q.answered) as answered,
               (select items from questions where question = q.question order by id desc limit 1) as items,
               coalesce(sum(case when f.vote > 0 then 1 end), 0) as up,
               coalesce(sum(case when f.vote < 0 then 1 end), 0) as down
        from questions q left join feedback f on f.question_id = q.id
        where q.asked_at >= ?
        group by q.question
        order by n desc, q.question
        """, [iso_time(since)])

    out = [Asked(r["q"], int(r["n"]), bool(r["answered"]), tuple(json.loads(r["items"] or "[]")),
                 int(r["up"]), int(r["down"])) for r in rows]
    if unanswered:
        out = [a for a in out if not a.answered]
    if down:
        out = [a for a in out if a.down]
    return out


def stats(store: Store, now: datetime, days: int = 7, top: int = 5) -> Stats:
    """The figures of the last `days` days up to `now`."""
    since = now - timedelta(days=days)
    midnight = datetime.combine(now.astimezone(timezone.utc).date(), datetime.min.time(), timezone.utc)

    def one(sql: str, *args: object) -> int:
        return int(next(iter(store.db.execute(sql, list(args)).fetchall()))[0] or 0)

    everything = asked(store, since)
    per_day = {d: v for d, v in store.questions_per_day().items() if d > since.date().isoformat()}
    return Stats(
        days=days,
        questions=one("select count(*) from questions where asked_at >= ?", iso_time(since)),
        today=one("select count(*) from questions where asked_at >= ?", iso_time(midnight)),
        answered=one("select count(*) from questions where asked_at >= ? and answered = 1", iso_time(since)),
        up=sum(a.up for a in everything),
        down=sum(a.down for a in everything),
        subscribers=one("select count(distinct chat_id) from subscriptions"),
        reminders_sent=one("select count(*) from deliveries where state = 'sent' and finished_at >= ?", iso_time(since)),
        reminders_failed=one("select count(*) from deliveries where state = 'failed' and finished_at >= ?", iso_time(since)),
        unanswered=[a for a in everything if not a.answered][:top],
        voted_down=sorted((a for a in everything if a.down), key=lambda a: -a.down)[:top],
        per_day=per_day,
    )


def parse_day(text: str) -> datetime:
    """`2026-12-01` as the start of that day (UTC); ValueError otherwise."""
    return datetime.combine(date.fromisoformat(text), datetime.min.time(), timezone.utc)
