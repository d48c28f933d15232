"""Time in one place: UTC now for staff actions, today's date for anything a reporter does, and
the days on which what a reporter left behind is purged."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def utcnow() -> datetime:
    """Naive UTC (the store keeps naive UTC datetimes on both engines)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return utcnow().date()


def start_of_day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def round_up(moment: datetime, minutes: int) -> datetime:
    """Round up to the next multiple of `minutes` past the hour, hiding the exact moment."""
    floor = moment.replace(minute=moment.minute - moment.minute % minutes, second=0)
    return floor + timedelta(minutes=minutes)


DAY = timedelta(days=1)


def purge_day(lifetime: timedelta) -> date:
    """The first day on which something made today and living for `lifetime` has certainly
    expired: a date that depends on today alone, so it says nothing of the time of day."""
    whole_days = -(-lifetime // DAY)
    return today() + (whole_days + 1) * DAY


def day_start_timestamp(day: date) -> float:
    """The start of a UTC day as seconds since the epoch (for file times)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
