"""Which reminders are due at a given moment — a pure question of the plans, the store and the clock.

- A chat that follows an item (directly, through its section, or `all`) is reminded of each date
  the item is due by (all its deadlines of one day in one message), at its local time (default 09:00
  in PLAN_BOT_TZ), `lead` days before, for each of its lead days (default 7 and 1).
- A reminder is due from its time until the end of the deadline day; never after, and never for a
  time before the chat subscribed. When several lead times of one date are due at once (the bot was
  down), only the latest is sent and the earlier ones are recorded as skipped.
- A lead time is not sent once the chat was reminded of the same date at a shorter one (it changed
  its lead days with /lead in between).
- Personal reminders (`/remind`) are due from their local time until the end of that day.

Used by the bot (bot/reminders.py) and by `plan-bot reminders due --at …` (a dry run): no Telegram here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Iterable, Sequence

from bot.reminders.store import (
    DEADLINE,
    PERSONAL,
    SCOPES,
    Claim,
    PersonalReminder,
    ReminderStore,
    Subscription,
    settings_of,
)
from corpus import Deadline, Plan
from corpus.deadlines import extract


@dataclass(frozen=True)
class DueDate:
    """One date an item is due by, with every deadline of the plan for that item and day."""

    plan: str
    item: int
    date: date
    deadlines: tuple[Deadline, ...]

    def key(self, lead: int) -> str:
        """The delivery key of this date at one lead time."""
        return f"d:{self.plan}:{self.item}:{self.date.isoformat()}:{lead}"


@dataclass(frozen=True)
class Due:
    """One reminder to send to one chat: a due date at a lead time, or a personal reminder."""

    chat_id: int
    key: str
    kind: str  # DEADLINE or PERSONAL
    plan: str
    item: int
    due_at: datetime
    expires_at: datetime  # the end of the deadline day (or of the reminder's day): never sent from then on
    due_date: DueDate | None = None
    lead: int | None = None
    subscription: Subscription | None = None  # the narrowest subscription that asked for it
    reminder: PersonalReminder | None = None
    stale: tuple[Claim, ...] = ()  # earlier lead times of the same date, missed while the bot was down
    attempts: int = 0

    @property
    def claim(self) -> Claim:
        """The delivery row this reminder is recorded under."""
        return Claim(self.chat_id, self.key, self.kind, self.plan, self.item,
                     self.due_date.date if self.due_date else None, self.lead, self.due_at)


def local_moment(day: date, at: time, tz: tzinfo) -> datetime:
    """A local day and time as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(timezone.utc)


def day_end(day: date, tz: tzinfo) -> datetime:
    """The first moment after a local day (its deadline has passed from then on)."""
    return local_moment(day + timedelta(days=1), time(0, 0), tz)


def leads_ahead(dd: DueDate, leads: Iterable[int], at: time, tz: tzinfo, now: datetime) -> tuple[int, ...]:
    """The lead times of a due date whose reminder is still to come at `now` (a subscription made now
    brings exactly these: reminders that fell due before it are never sent)."""
    return tuple(lead for lead in leads if local_moment(dd.date - timedelta(days=lead), at, tz) >= now)


class Catalogue:
    """The due dates of every plan, extracted once, and which section each item belongs to."""

    def __init__(self, plans: Iterable[Plan]) -> None:
        self.plans = tuple(plans)
        self.by_id = {p.id: p for p in self.plans}
        self._section = {(p.id, n): s.number for p in self.plans for s in p.sections for n in s.items}
        groups: dict[tuple[str, int, date], list[Deadline]] = defaultdict(list)
        for plan in self.plans:
            for d in extract(plan)[0]:
                groups[(d.plan, d.item, d.date)].append(d)
        self.dates = tuple(DueDate(p, i, day, tuple(ds)) for (p, i, day), ds in sorted(groups.items()))
        self._by_item: dict[tuple[str, int], list[DueDate]] = defaultdict(list)
        for dd in self.dates:
            self._by_item[(dd.plan, dd.item)].append(dd)

    def section_of(self, plan: str, item: int) -> int:
        """The number of the section an item is in (0 for none)."""
        return self._section.get((plan, item), 0)

    def item_dates(self, plan: str, item: int) -> list[DueDate]:
        """An item's due dates, earliest first."""
        return list(self._by_item.get((plan, item), ()))

    def covered(self, scope: str, plan: str, number: int) -> list[DueDate]:
        """The due dates a subscription covers, earliest first."""
        if scope == "all":
            return sorted(self.dates, key=lambda d: (d.date, d.plan, d.item))
        if scope == "section":
            return sorted((d for d in self.dates if d.plan == plan and self.section_of(plan, d.item) == number),
                          key=lambda d: (d.date, d.item))
        return self.item_dates(plan, number)


class Schedule:
    """What is due when, for one catalogue of plans and one store, in one time zone."""

    def __init__(self, catalogue: Catalogue, book: ReminderStore, tz: tzinfo) -> None:
        self.catalogue = catalogue
        self.book = book
        self.tz = tz

    def _live(self, dd: DueDate, leads: tuple[int, ...], at: time, now: datetime) -> list[tuple[int, datetime]]:
        """(lead, due time) of the lead times of a due date that are due at `now`, latest last."""
        if now >= day_end(dd.date, self.tz):
            return []
        times = sorted(((lead, local_moment(dd.date - timedelta(days=lead), at, self.tz)) for lead in leads),
                       key=lambda la: la[1])
        return [(lead, moment) for lead, moment in times if moment <= now]

    def due(self, now: datetime) -> list[Due]:
        """Every reminder due at `now` and not yet sent (or due for a retry), by chat then time."""
        out: list[Due] = []
        for leads_raw, at_raw in self.book.settings_in_use():
            leads, at = settings_of(leads_raw, at_raw)
            for dd in self.catalogue.dates:
                passed = self._live(dd, leads, at, now)
                if not passed:
                    continue
                lead, due_at = passed[-1]
                section = self.catalogue.section_of(dd.plan, dd.item)
                for chat_id, subs, attempts in self.book.covering(dd.plan, dd.item, section, leads_raw, at_raw,
                                                                  dd.key(lead), now, dd.date, lead):
                    since = min(s.created_at for s in subs)
                    if since > due_at:  # it fell due before the chat subscribed
                        continue
                    stale = tuple(Claim(chat_id, dd.key(lb), DEADLINE, dd.plan, dd.item, dd.date, lb, moment)
                                  for lb, moment in passed[:-1] if moment >= since)
                    out.append(Due(chat_id, dd.key(lead), DEADLINE, dd.plan, dd.item, due_at, day_end(dd.date, self.tz),
                                   dd, lead, narrowest(subs), None, stale, attempts))
        for reminder, attempts in self.book.due_reminders(now):
            out.append(Due(reminder.chat_id, f"r:{reminder.id}", PERSONAL, reminder.plan, reminder.item,
                           reminder.due_at, reminder.expires_at, reminder=reminder, attempts=attempts))
        return sorted(out, key=lambda d: (d.chat_id, d.due_at, d.key))

    def missed(self, since: datetime, now: datetime) -> list[Claim]:
        """Reminders whose deadline (or day) ended in (`since`, `now`] with no delivery row: the bot was
        down (or stopped in the middle of sending). They are recorded as skipped, never sent."""
        out: list[Claim] = []
        for leads_raw, at_raw in self.book.settings_in_use():
            leads, at = settings_of(leads_raw, at_raw)
            for dd in self.catalogue.dates:
                end = day_end(dd.date, self.tz)
                if not since < end <= now:
                    continue
                section = self.catalogue.section_of(dd.plan, dd.item)
                for lead in leads:
                    due_at = local_moment(dd.date - timedelta(days=lead), at, self.tz)
                    for chat_id, subs, _ in self.book.covering(dd.plan, dd.item, section, leads_raw, at_raw,
                                                               dd.key(lead), end, dd.date, lead):
                        if min(s.created_at for s in subs) <= due_at:
                            out.append(Claim(chat_id, dd.key(lead), DEADLINE, dd.plan, dd.item, dd.date, lead, due_at))
        for r in self.book.missed_reminders(since, now):
            out.append(Claim(r.chat_id, f"r:{r.id}", PERSONAL, r.plan, r.item, None, None, r.due_at))
        return out

    def next_due_at(self, after: datetime) -> datetime | None:
        """The earliest moment after `after` at which something may fall due (for simulations and logs)."""
        candidates: list[datetime] = []
        for leads_raw, at_raw in self.book.settings_in_use():
            leads, at = settings_of(leads_raw, at_raw)
            for dd in self.catalogue.dates:
                end = day_end(dd.date, self.tz)
                for lead in leads:
                    moment = local_moment(dd.date - timedelta(days=lead), at, self.tz)
                    if after < moment < end:
                        candidates.append(moment)
        for stored in (self.book.next_reminder_at(after), self.book.next_retry_at(after)):
            if stored is not None:
                candidates.append(stored)
        return min(candidates, default=None)


def narrowest(subs: Iterable[Subscription]) -> Subscription:
    """The most specific of several subscriptions (an item before its section before `all`)."""
    return max(subs, key=lambda s: SCOPES.index(s.scope))


def due_json(due: Due, catalogue: Catalogue, tz: tzinfo) -> dict[str, object]:
    """A due reminder as JSON-ready data (for `plan-bot reminders due --json`)."""
    plan = catalogue.by_id.get(due.plan)
    title = plan.item(due.item).title if plan else ""
    out: dict[str, object] = {
        "chat_id": due.chat_id, "kind": due.kind, "key": due.key, "plan": due.plan, "item": due.item,
        "title": title, "due_at": due.due_at.astimezone(tz).isoformat(), "attempt": due.attempts + 1,
    }
    if due.due_date is not None:
        out.update(date=due.due_date.date.isoformat(), lead=due.lead,
                   labels=[d.label for d in due.due_date.deadlines], phrases=[d.phrase for d in due.due_date.deadlines],
                   subscription=_scope_text(due.subscription))
    if due.reminder is not None:
        out.update(date=due.reminder.local_date.isoformat(), reminder_id=due.reminder.id, note=due.reminder.note)
    return out


def _scope_text(sub: Subscription | None) -> str:
    if sub is None:
        return ""
    return "all" if sub.scope == "all" else f"{sub.scope}:{sub.plan}:{sub.number}"


def digest_groups(due: Sequence[Due]) -> list[list[Due]]:
    """One message per group, in sending order: a chat's deadline reminders due at the same moment for
    the same date and lead time go together (a digest); personal reminders go alone."""
    out: list[list[Due]] = []
    at: dict[tuple[object, ...], list[Due]] = {}
    for d in due:
        if d.due_date is None:
            out.append([d])
            continue
        key = (d.chat_id, d.due_date.date, d.lead, d.due_at)
        if key in at:
            at[key].append(d)
        else:
            at[key] = [d]
            out.append(at[key])
    return out
