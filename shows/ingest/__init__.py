"""Feed ingestion: fetch → parse → store, with the schedule deciding when to poll again.

The one entry point for polling a show, used by the tasks, the commands and the admin. An
unchanged feed costs one request: a 304, or a body whose hash we already have, is never parsed.
Whatever happens inside a poll is recorded as a FeedFetch with its reason (and the show backs
off): a poll never raises, so one bad feed cannot stop a batch.
"""

import logging
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from shows.ingest.fetch import FeedFetchFailed, fetch_feed
from shows.ingest.parse import InvalidFeed, parse_feed
from shows.ingest.store import (
    INGESTED,
    record_failure,
    record_unchanged,
    slug_source,
    store_feed,
    unique_show_slug,
)
from shows.models import FeedFetch, Show

logger = logging.getLogger(__name__)

__all__ = ["INGESTED", "add_show", "claim_due_shows", "create_show", "poll", "poll_by_id"]

# Shows claimed per dispatcher run, and how long a claimed show waits before it may be claimed
# again if its poll task is lost (the poll itself sets the real next time).
DISPATCH_LIMIT = 1000
DISPATCH_LEASE = timedelta(minutes=30)


def poll(show: Show, *, force: bool = False) -> FeedFetch:
    """Fetch, parse and store one show's feed; every outcome is recorded as a FeedFetch.

    An unexpected error (a database refusing a value, a bug) is recorded as a failed poll
    with its reason instead of being raised.
    """
    started_at, clock = timezone.now(), time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - clock) * 1000)

    try:
        return _poll(show, force, started_at, elapsed)
    except Exception as exc:
        logger.exception("Poll of show %s failed unexpectedly", show.pk)
        return record_failure(
            show,
            Show.FetchStatus.INVALID,
            f"Unexpected error while polling: {type(exc).__name__}: {exc}",
            started_at,
            elapsed(),
        )


def _poll(show: Show, force: bool, started_at, elapsed) -> FeedFetch:
    try:
        fetched = fetch_feed(show, force=force)
    except FeedFetchFailed as exc:
        return record_failure(
            show,
            exc.status,
            str(exc),
            started_at,
            elapsed(),
            http_status=exc.http_status,
            retry_after=exc.retry_after,
        )
    if fetched.unchanged_since(show) and not force:
        return record_unchanged(show, fetched, started_at, elapsed())
    try:
        feed = parse_feed(fetched.result.body, base_url=fetched.result.final_url)
    except InvalidFeed as exc:
        return record_failure(
            show,
            Show.FetchStatus.INVALID,
            str(exc),
            started_at,
            elapsed(),
            http_status=fetched.result.status,
        )
    return store_feed(show, fetched, feed, started_at, elapsed, force=force)


def poll_by_id(show_id: int, *, force: bool = False) -> FeedFetch | None:
    """Poll a show by id; None when it is gone or inactive by the time the task runs."""
    show = Show.objects.filter(pk=show_id, active=True).first()
    return poll(show, force=force) if show else None


def create_show(url: str, categories=(), *, show: Show | None = None) -> tuple[Show, bool]:
    """The show for a feed URL: the existing one, or a new one due a poll now."""
    url = url.strip()
    existing = Show.objects.filter(feed_url=url).first()
    created = existing is None
    if created:
        show = show or Show()
        show.feed_url = url
        show.slug = show.slug or unique_show_slug(slug_source(url))
        show.next_poll_at = timezone.now()
        show.save()
    else:
        show = existing
    if categories:
        show.categories.add(*categories)
    return show, created


def add_show(url: str, categories=(), *, show: Show | None = None) -> tuple[Show, FeedFetch]:
    """Create a show for a feed URL (or reuse the one that has it) and poll it now.

    For commands and workers: a web request creates the show and queues its poll instead
    (`create_show`, then `shows.queue.queue_poll`).
    """
    show, created = create_show(url, categories, show=show)
    fetch = poll(show, force=created)
    # The poll works on a locked copy of the row: hand back what it stored.
    show.refresh_from_db()
    return show, fetch


def claim_due_shows(limit: int = DISPATCH_LIMIT) -> list[int]:
    """Ids of active shows due a poll, pushed a lease ahead so the next dispatch skips them."""
    now = timezone.now()
    with transaction.atomic():
        # SKIP LOCKED lets several dispatchers run at once without claiming the same shows.
        ids = list(
            Show.objects.filter(active=True, canonical__isnull=True, next_poll_at__lte=now)
            .order_by("next_poll_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        Show.objects.filter(pk__in=ids).update(next_poll_at=now + DISPATCH_LEASE)
    return ids
