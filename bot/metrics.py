"""Prometheus metrics, declared once at module level (prometheus-client's own text format at /metrics).

Labels take small fixed value sets: a channel, a yes/no, an error kind.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

QUESTIONS = Counter("plan_bot_questions", "Questions answered, by channel and whether the plan answers them",
                    ["channel", "answered"])
ANSWER_SECONDS = Histogram("plan_bot_answer_seconds", "Time to search and render an answer, in seconds",
                           ["channel"], buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0))
REMINDERS = Counter("plan_bot_reminders", "Reminder messages, by outcome", ["outcome"])
TELEGRAM_ERRORS = Counter("plan_bot_telegram_errors", "Bot API calls that failed, by kind of error", ["kind"])
DROPPED = Counter("plan_bot_dropped_updates", "Updates dropped because a chat was over its per-minute budget")
WEB_LIMITED = Counter("plan_bot_web_rate_limited", "Web questions refused with 429 (per-client limit)")


def counted_answer(channel: str, answered: bool, seconds: float) -> None:
    """Count one answered question and its time."""
    QUESTIONS.labels(channel=channel, answered="true" if answered else "false").inc()
    ANSWER_SECONDS.labels(channel=channel).observe(seconds)
