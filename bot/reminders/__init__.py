"""Reminders: deadlines → due reminders → paced, claimed, recorded sends (Telegram-free)."""
