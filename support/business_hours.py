"""Business-hours arithmetic for the support promise: an answer within 4 business hours.

Business hours are Monday to Friday, 09:00–17:00 UTC. Pure functions, no Django.
"""

from datetime import UTC, datetime, time, timedelta

OPENS_AT = time(9, 0)
CLOSES_AT = time(17, 0)
WORKDAYS = range(0, 5)  # Monday .. Friday, as datetime.weekday() numbers them
RESPONSE_PROMISE = timedelta(hours=4)


def _as_utc(moment: datetime) -> datetime:
    # Naive datetimes are taken to be UTC already (the project stores UTC everywhere).
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def business_hours_between(start: datetime, end: datetime) -> timedelta:
    """The business time between `start` and `end` (zero when `end` is not after `start`)."""
    start, end = _as_utc(start), _as_utc(end)
    total = timedelta(0)
    day = start.date()
    while day <= end.date():
        if day.weekday() in WORKDAYS:
            window_start = max(start, datetime.combine(day, OPENS_AT, tzinfo=UTC))
            window_end = min(end, datetime.combine(day, CLOSES_AT, tzinfo=UTC))
            if window_end > window_start:
                total += window_end - window_start
        day += timedelta(days=1)
    return total


def is_overdue(*, waiting_since: datetime | None, now: datetime) -> bool:
    """True when a customer has waited longer than the promise, counted in business hours."""
    return waiting_since is not None and business_hours_between(waiting_since, now) > RESPONSE_PROMISE


def format_business_time(duration: timedelta) -> str:
    """`2h 05m` — how the admin shows time waited."""
    minutes = int(duration.total_seconds() // 60)
    return f"{minutes // 60}h {minutes % 60:02d}m"
