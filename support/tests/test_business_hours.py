from datetime import UTC, datetime, timedelta, timezone

from support.business_hours import business_hours_between, format_business_time, is_overdue


def at(day: int, hour: int, minute: int = 0) -> datetime:
    # November 2026: the 23rd is a Monday, the 27th a Friday, the 28th and 29th the weekend.
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_it_counts_time_inside_one_working_day():
    assert business_hours_between(at(23, 10), at(23, 12, 30)) == timedelta(hours=2, minutes=30)


def test_it_ignores_time_before_opening_and_after_closing():
    assert business_hours_between(at(23, 6), at(23, 20)) == timedelta(hours=8)


def test_it_carries_overnight_into_the_next_morning():
    assert business_hours_between(at(23, 16), at(24, 10)) == timedelta(hours=2)


def test_it_skips_the_weekend():
    assert business_hours_between(at(27, 15), at(30, 11)) == timedelta(hours=4)


def test_a_weekend_only_span_is_zero():
    assert business_hours_between(at(28, 8), at(29, 20)) == timedelta(0)


def test_a_full_week_is_forty_hours():
    assert business_hours_between(at(23, 0), at(30, 0)) == timedelta(hours=40)


def test_an_end_before_the_start_is_zero():
    assert business_hours_between(at(24, 12), at(23, 12)) == timedelta(0)


def test_it_converts_other_time_zones_to_utc():
    new_york = timezone(timedelta(hours=-5))
    start = datetime(2026, 11, 23, 5, 0, tzinfo=new_york)  # 10:00 UTC
    assert business_hours_between(start, at(23, 11)) == timedelta(hours=1)


def test_naive_datetimes_are_taken_as_utc():
    assert business_hours_between(datetime(2026, 11, 23, 9), datetime(2026, 11, 23, 10)) == timedelta(hours=1)


def test_overdue_means_more_than_four_business_hours():
    assert not is_overdue(waiting_since=at(23, 9), now=at(23, 13))
    assert is_overdue(waiting_since=at(23, 9), now=at(23, 13, 1))
    assert not is_overdue(waiting_since=at(27, 16), now=at(30, 12))  # Friday 16:00 → Monday 12:00 is 4h
    assert is_overdue(waiting_since=at(27, 16), now=at(30, 12, 30))


def test_nobody_waiting_is_never_overdue():
    assert not is_overdue(waiting_since=None, now=at(23, 12))


def test_it_formats_hours_and_minutes():
    assert format_business_time(timedelta(hours=5, minutes=7)) == "5h 07m"
