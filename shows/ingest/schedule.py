"""When to poll a feed next: learned from its release rhythm, stretched by failures."""

from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

MIN_INTERVAL = timedelta(hours=1)
MAX_INTERVAL = timedelta(days=3)
# Poll several times per typical gap between releases, so a new episode waits a fraction of
# that gap: a daily show is polled every ~2.4 h, a weekly one every ~17 h.
POLLS_PER_RELEASE = 10
# How many recent releases the rhythm is learned from.
RHYTHM_WINDOW = 12
# Consecutive failed fetches after which a show is deactivated (about two weeks of back-off).
MAX_FAILURES = 10


def poll_interval(
    published: list[datetime | None],
    now: datetime,
    failures: int = 0,
    retry_after: timedelta | None = None,
) -> timedelta:
    """Time until the next poll, from recent release dates, failures so far and Retry-After.

    Frequent shows are polled hourly, quiet or dormant ones up to every three days; each
    consecutive failure doubles the interval (same bounds), and a server's Retry-After wins
    when it asks for longer.
    """
    dates = sorted(d for d in published if d is not None and d <= now)[-RHYTHM_WINDOW:]
    gaps = [later - earlier for earlier, later in pairwise(dates) if later > earlier]
    if gaps:
        # A show silent for longer than its usual gap has slowed down or stopped.
        rhythm = max(median(gaps), now - dates[-1])
        interval = rhythm / POLLS_PER_RELEASE
    else:
        interval = MAX_INTERVAL / 3
    interval = min(max(interval, MIN_INTERVAL), MAX_INTERVAL)
    if failures:
        interval = min(interval * 2 ** min(failures, 16), MAX_INTERVAL)
    if retry_after is not None:
        interval = max(interval, min(retry_after, MAX_INTERVAL))
    return interval


def should_deactivate(failures: int) -> bool:
    """Whether a show has failed often enough in a row to stop polling it."""
    return failures >= MAX_FAILURES
