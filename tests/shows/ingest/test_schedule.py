from datetime import UTC, datetime, timedelta

from shows.ingest.schedule import (
    MAX_FAILURES,
    MAX_INTERVAL,
    MIN_INTERVAL,
    poll_interval,
    should_deactivate,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def releases(every: timedelta, count: int = 10, last: timedelta = timedelta(0)):
    return [NOW - last - every * n for n in range(count)]


def test_it_polls_a_several_times_a_day_show_hourly():
    assert poll_interval(releases(timedelta(hours=4)), NOW) == MIN_INTERVAL


def test_it_polls_a_weekly_show_several_times_between_releases():
    interval = poll_interval(releases(timedelta(days=7), last=timedelta(days=1)), NOW)
    assert interval == timedelta(days=7) / 10


def test_it_polls_quiet_and_dormant_shows_at_most_every_three_days():
    assert poll_interval(releases(timedelta(days=60)), NOW) == MAX_INTERVAL
    weekly_gone_quiet = releases(timedelta(days=7), last=timedelta(days=90))
    assert poll_interval(weekly_gone_quiet, NOW) == MAX_INTERVAL


def test_it_uses_a_middle_interval_without_a_rhythm():
    assert poll_interval([], NOW) == MAX_INTERVAL / 3
    assert poll_interval([NOW - timedelta(days=1), None], NOW) == MAX_INTERVAL / 3


def test_it_ignores_future_dates():
    dates = [*releases(timedelta(days=1)), NOW + timedelta(days=300)]
    assert poll_interval(dates, NOW) == poll_interval(releases(timedelta(days=1)), NOW)


def test_it_doubles_the_interval_per_failure_within_the_bounds():
    base = poll_interval(releases(timedelta(hours=4)), NOW)
    assert poll_interval(releases(timedelta(hours=4)), NOW, failures=1) == base * 2
    assert poll_interval(releases(timedelta(hours=4)), NOW, failures=3) == base * 8
    assert poll_interval(releases(timedelta(hours=4)), NOW, failures=40) == MAX_INTERVAL


def test_it_waits_at_least_as_long_as_retry_after_asks():
    hourly = releases(timedelta(hours=4))
    assert poll_interval(hourly, NOW, retry_after=timedelta(hours=5)) == timedelta(hours=5)
    assert poll_interval(hourly, NOW, retry_after=timedelta(days=30)) == MAX_INTERVAL


def test_it_deactivates_after_the_maximum_failures():
    assert not should_deactivate(MAX_FAILURES - 1)
    assert should_deactivate(MAX_FAILURES)
