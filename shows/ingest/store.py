"""Storing the outcome of a poll: the show's feed fields, its schedule and the fetch log.

One transaction per feed, with the show's row locked, so concurrent polls of one feed queue
instead of racing. The items themselves are written by the function the poll passes in
(`store_items`: episodes.feed_items.store_feed_items), inside the same transaction.
"""

import contextlib
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.db.models import Count, F, Max, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from core.slugs import unique_slug
from core.text import xml_safe
from shows import signals
from shows.ingest import schedule
from shows.ingest.feed import Feed, Item
from shows.ingest.fetch import FetchedFeed
from shows.models import FeedFetch, Show

logger = logging.getLogger(__name__)

# Fetch log rows kept per show; older ones are pruned as new ones are written.
FETCH_LOG_KEEP = 100
# Longest error message kept on a fetch (messages can quote what a server sent).
MAX_ERROR = 5000
# Outcomes after which the show's episodes are current.
INGESTED = {Show.FetchStatus.OK, Show.FetchStatus.MOVED, Show.FetchStatus.NOT_MODIFIED}
# Show columns a poll writes: saved by name so ranking figures written concurrently survive.
SHOW_FETCH_FIELDS = [
    "etag",
    "last_modified",
    "last_fetch_status",
    "last_http_status",
    "last_error",
    "last_fetched_at",
    "consecutive_failures",
    "poll_interval",
    "next_poll_at",
    "active",
    "inactive_reason",
    "canonical",
    "episode_count",
    "latest_episode_at",
    "updated_at",
]
SHOW_FEED_FIELDS = [
    "feed_url",
    "slug",
    "title",
    "author",
    "description",
    "artwork_url",
    "website_url",
    "language",
    "feed_categories",
    "explicit",
    "complete",
    "podcast_guid",
    "body_hash",
]


@dataclass
class ItemChanges:
    """What storing a feed's items changed: the FeedFetch records these counts."""

    new: int = 0
    updated: int = 0
    left_feed: int = 0


# Writes a feed's items for a show (locked, inside the poll's transaction) at a given time.
StoreItems = Callable[[Show, list[Item], datetime], ItemChanges]


def store_feed(
    show: Show,
    fetched: FetchedFeed,
    feed: Feed,
    started_at,
    elapsed,
    *,
    force: bool,
    store_items: StoreItems,
) -> FeedFetch:
    """Store a parsed feed under the show's row lock, its items through `store_items`, in one
    transaction; returns the FeedFetch."""
    result = fetched.result
    with transaction.atomic():
        show = Show.objects.select_for_update().get(pk=show.pk)
        if fetched.body_hash == show.body_hash and not force:
            # Another poll stored these very bytes while we were fetching them.
            return record_unchanged(show, fetched, started_at, elapsed())
        status, notes = Show.FetchStatus.OK, []
        for new_url, why in (
            (result.final_url if result.permanent_redirect else "", "permanently redirected"),
            (feed.new_feed_url, "itunes:new-feed-url"),
        ):
            if not new_url or new_url == show.feed_url:
                continue
            other = Show.objects.filter(feed_url=new_url).exclude(pk=show.pk).first()
            if other is not None:
                return _link_duplicate(show, other, fetched, why, started_at, elapsed())
            notes.append(f"Feed moved ({why}) from {show.feed_url} to {new_url}.")
            show.feed_url = new_url
            status = Show.FetchStatus.MOVED
        changes = store_items(show, feed.items, timezone.now())
        _apply_feed(show, feed)
        show.body_hash = fetched.body_hash
        _remember_validators(show, fetched)
        if feed.complete:
            show.active = False
            show.inactive_reason = "The feed says it is complete (itunes:complete)."
        if feed.skipped_without_audio or feed.skipped_duplicates:
            notes.append(
                f"Skipped {feed.skipped_without_audio} item(s) without audio and "
                f"{feed.skipped_duplicates} repeated GUID(s)."
            )
        notes.extend(feed.warnings)
        return _log_fetch(
            show,
            status,
            " ".join(notes),
            started_at,
            elapsed(),
            http_status=result.status,
            new_count=changes.new,
            updated_count=changes.updated,
            feed_changed=True,
        )


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


def unique_show_slug(title: str, exclude_pk: int | None = None) -> str:
    """A globally unique show slug from a title."""
    taken = set(
        Show.objects.filter(slug__startswith=unique_slug(title, set(), "show"))
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    return unique_slug(title, taken, "show")


def slug_source(url: str) -> str:
    """Words to make a provisional slug from, for a show known only by its feed URL."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'show'} {parts.path}"


def _apply_feed(show: Show, feed: Feed) -> None:
    if feed.title and not show.title:
        # A new show's provisional slug (from its URL) gives way to one from its title.
        show.slug = unique_show_slug(feed.title, exclude_pk=show.pk)
    for name in ("title", "author", "description", "artwork_url", "website_url", "language"):
        if value := getattr(feed, name):
            setattr(show, name, value)
    show.feed_categories = feed.categories
    show.explicit = feed.explicit
    show.complete = feed.complete
    show.podcast_guid = feed.podcast_guid or show.podcast_guid


def _remember_validators(show: Show, fetched: FetchedFeed) -> None:
    show.etag = fetched.result.headers.get("etag", "")[:500]
    show.last_modified = fetched.result.headers.get("last-modified", "")[:100]


# What an unchanged poll writes to the show's row when the previous poll succeeded.
SHOW_UNCHANGED_FIELDS = [
    "etag",
    "last_modified",
    "last_fetch_status",
    "last_http_status",
    "last_error",
    "last_fetched_at",
    "poll_interval",
    "next_poll_at",
    "updated_at",
]


def record_unchanged(
    show: Show,
    fetched: FetchedFeed,
    started_at,
    duration_ms,
    *,
    batch: "UnchangedBatch | None" = None,
) -> FeedFetch:
    """Log a poll that found nothing new (a 304, or the same bytes again).

    The common case (the previous poll succeeded too) costs one UPDATE of the show and the
    FeedFetch INSERT: no episode was stored, so the episode figures stand and the schedule
    moves on from the interval the last full computation left (`_unchanged_interval`). With a
    `batch` (PostgreSQL) those writes wait in it, to be made with others' in one statement,
    and the fetch returned has no pk until the batch is written. After a failure the schedule
    is worked out in full, as for any other outcome. The fetch log is pruned by the batch that
    polled the show (`prune_fetch_log`), or by the next change.
    """
    if not fetched.result.not_modified:
        _remember_validators(show, fetched)
    if show.consecutive_failures or show.last_fetch_status not in INGESTED:
        return _log_fetch(
            show,
            Show.FetchStatus.NOT_MODIFIED,
            "",
            started_at,
            duration_ms,
            http_status=fetched.result.status,
        )
    now = timezone.now()
    show.last_fetch_status = Show.FetchStatus.NOT_MODIFIED
    show.last_http_status = fetched.result.status
    show.last_error = ""
    show.last_fetched_at = now
    show.poll_interval = _unchanged_interval(show, now)
    show.next_poll_at = now + show.poll_interval
    show.updated_at = now
    fetch = FeedFetch(
        show=show,
        url=show.feed_url,
        started_at=started_at,
        duration_ms=duration_ms,
        status=Show.FetchStatus.NOT_MODIFIED,
        http_status=fetched.result.status,
    )
    if batch is not None and connection.vendor == "postgresql":
        batch.add(show, fetch)
    else:
        _write_unchanged(show, fetch)
    return fetch


# An unchanged poll's two writes in SQL written once: through the ORM (a queryset update and a
# model save, in a transaction) they were most of the poll's CPU (bench/polling.py). The show's
# row is written only if it still holds the body this poll compared with: a poll that stored a
# change meanwhile (under the row lock) keeps its validators and schedule.
_UNCHANGED_FETCH_FIELDS = ["show", "url", "started_at", "duration_ms", "status", "http_status"]
_UNCHANGED_FETCH_ATTRIBUTES = [
    FeedFetch._meta.get_field(name).attname for name in _UNCHANGED_FETCH_FIELDS
]
_UPDATE_UNCHANGED = (
    f"UPDATE {Show._meta.db_table} SET "  # noqa: S608 - names from the models, values as parameters
    + ", ".join(f"{Show._meta.get_field(name).column} = %s" for name in SHOW_UNCHANGED_FIELDS)
    + " WHERE id = %s AND body_hash = %s"
)
_INSERT_FETCH = (
    f"INSERT INTO {FeedFetch._meta.db_table} ("  # noqa: S608 - as above
    + ", ".join(FeedFetch._meta.get_field(name).column for name in _UNCHANGED_FETCH_FIELDS)
    + ", error, new_count, updated_count) VALUES ("
    + ", ".join(["%s"] * len(_UNCHANGED_FETCH_FIELDS))
    + ", '', 0, 0) RETURNING id"
)
# PostgreSQL takes both as one statement (a data-modifying WITH): one round trip, atomic on its
# own, where BEGIN, UPDATE, INSERT and COMMIT were four.
_UNCHANGED_IN_ONE = f"WITH updated AS ({_UPDATE_UNCHANGED}) {_INSERT_FETCH}"


def _write_unchanged(show: Show, fetch: FeedFetch) -> None:
    """Write the show's unchanged-poll fields and insert the fetch (its pk set), atomically."""
    show_values = [
        *(getattr(show, name) for name in SHOW_UNCHANGED_FIELDS),
        show.pk,
        show.body_hash,
    ]
    fetch_values = [getattr(fetch, name) for name in _UNCHANGED_FETCH_ATTRIBUTES]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg adapts these values (text, integers, timestamps, an interval) itself.
            cursor.execute(_UNCHANGED_IN_ONE, show_values + fetch_values)
        else:
            # SQLite stores datetimes and durations as the fields prepare them.
            show_fields = [*SHOW_UNCHANGED_FIELDS, "id", "body_hash"]
            with transaction.atomic(savepoint=False):
                cursor.execute(_UPDATE_UNCHANGED, _prepared(Show, show_fields, show_values))
                cursor.execute(
                    _INSERT_FETCH, _prepared(FeedFetch, _UNCHANGED_FETCH_FIELDS, fetch_values)
                )
        fetch.pk = cursor.fetchone()[0]
    fetch._state.adding, fetch._state.db = False, connection.alias


class UnchangedBatch:
    """Unchanged polls' writes (`record_unchanged`) made together: one statement for many.

    One statement per poll was a third of an unchanged poll's CPU (bench/polling.py); many
    polls' rows go in one data-modifying WITH on PostgreSQL, each show's row still written
    only if it holds the body its poll compared with. A show is in a batch at most once.
    """

    def __init__(self):
        self.waiting: dict[int, tuple[Show, FeedFetch]] = {}

    def __len__(self) -> int:
        return len(self.waiting)

    def add(self, show: Show, fetch: FeedFetch) -> None:
        if show.pk in self.waiting:
            raise ValueError(f"Show {show.pk} is already in the batch")
        self.waiting[show.pk] = (show, fetch)

    def write(self) -> list[tuple[Show, FeedFetch | None]]:
        """Write what waits; returns each (show, fetch), fetch None if it could not be written.

        A statement that fails (a show deleted meanwhile) is retried one poll at a time, so
        only the poll that cannot be written is lost, as when each wrote its own.
        """
        waiting, self.waiting = list(self.waiting.values()), {}
        if not waiting:
            return []
        try:
            with _own_savepoint():
                _write_unchanged_many(waiting)
            return waiting
        except Exception:
            logger.info("Unchanged polls written one by one after the batch failed", exc_info=True)
        written = []
        for show, fetch in waiting:
            try:
                with _own_savepoint():
                    _write_unchanged(show, fetch)
            except Exception:
                logger.exception("Unchanged poll of show %s could not be recorded", show.pk)
                fetch = None
            written.append((show, fetch))
        return written


def _own_savepoint():
    # One statement is atomic by itself; inside a transaction a failed one must not abort it.
    return transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()


@functools.cache
def _batch_columns() -> list[tuple[str, str]]:
    """The columns of one poll in the batch statement, with the types their values are read as."""
    return [
        *(
            (f"show_{name}", Show._meta.get_field(name).db_type(connection))
            for name in [*SHOW_UNCHANGED_FIELDS, "id", "body_hash"]
        ),
        *(
            (f"fetch_{name}", FeedFetch._meta.get_field(name).db_type(connection))
            for name in _UNCHANGED_FETCH_FIELDS
        ),
    ]


@functools.cache
def _batch_sql() -> str:
    """The batch statement: one array parameter per column, so one SQL text for every size."""
    columns = _batch_columns()
    shows, fetches = Show._meta.db_table, FeedFetch._meta.db_table
    assignments = ", ".join(
        f"{Show._meta.get_field(name).column} = polls.show_{name}" for name in SHOW_UNCHANGED_FIELDS
    )
    fetch_columns = [FeedFetch._meta.get_field(name).column for name in _UNCHANGED_FETCH_FIELDS]
    return (
        f"WITH polls AS (SELECT * FROM unnest({', '.join(f'%s::{kind}[]' for _, kind in columns)}) "  # noqa: S608 - names from the models, values as parameters
        f"AS polls ({', '.join(name for name, _ in columns)})), "
        f"updated AS (UPDATE {shows} SET {assignments} FROM polls "
        f"WHERE {shows}.id = polls.show_id AND {shows}.body_hash = polls.show_body_hash) "
        f"INSERT INTO {fetches} ({', '.join(fetch_columns)}, error, new_count, updated_count) "
        f"SELECT {', '.join(f'fetch_{name}' for name in _UNCHANGED_FETCH_FIELDS)}, '', 0, 0 "
        "FROM polls RETURNING id, show_id"
    )


def _write_unchanged_many(waiting: list[tuple[Show, FeedFetch]]) -> None:
    """`_write_unchanged` for many polls in one statement (PostgreSQL); sets the fetches' pks.

    The values go as one array per column: with a row of placeholders per poll, psycopg parsed
    each batch's new SQL text (1,700 placeholders for 100 polls) and quoted every value on its
    own, 67 us of CPU a poll where the arrays take 38 (bench/polling.py's shows, load 3-4).
    """
    rows = [
        (
            *[getattr(show, name) for name in SHOW_UNCHANGED_FIELDS],
            show.pk,
            show.body_hash,
            *[getattr(fetch, name) for name in _UNCHANGED_FETCH_ATTRIBUTES],
        )
        for show, fetch in waiting
    ]
    with connection.cursor() as cursor:
        cursor.execute(_batch_sql(), [list(column) for column in zip(*rows, strict=True)])
        ids = {show_id: pk for pk, show_id in cursor.fetchall()}
    for show, fetch in waiting:
        fetch.pk = ids[show.pk]
        fetch._state.adding, fetch._state.db = False, connection.alias


def _prepared(model, names: list[str], values: list) -> list:
    return [
        model._meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in zip(names, values, strict=True)
    ]


def _unchanged_interval(show: Show, now) -> timedelta:
    """`schedule.poll_interval` for a feed that has not changed since a successful poll.

    That poll's interval was the median gap between recent releases or, if longer, the time
    since the latest release, over POLLS_PER_RELEASE (within the bounds). Nothing was released
    since, so the median gap stands and only the silence has grown: the new interval is the
    larger of the stored one and the silence now. Shows with fewer than two releases keep the
    fixed interval they were given. (A release dated in the future leaves the interval as it
    is until the next full computation.)
    """
    interval = show.poll_interval
    latest = show.latest_episode_at
    if show.episode_count >= 2 and latest is not None and latest <= now:
        interval = max(interval, (now - latest) / schedule.POLLS_PER_RELEASE)
    return min(max(interval, schedule.MIN_INTERVAL), schedule.MAX_INTERVAL)


# The newest FETCH_LOG_KEEP entries of each show stay, and any as old as the oldest of them:
# one statement for the batch, which walks each show's newest entries down
# feedfetch_show_latest_idx to the oldest to keep. A window over every entry of the batch's
# shows (what the other databases run) sorted them all, 25,000 rows for 250 shows that had
# a hundred each, to find the 250 to drop, and fetched those keys into Python to delete them.
PRUNE_FETCH_LOG = """
DELETE FROM {table} AS logged USING (
    SELECT polled.show_id, oldest_kept.started_at
    FROM unnest(%s::bigint[]) AS polled (show_id)
    CROSS JOIN LATERAL (
        SELECT kept.started_at FROM {table} AS kept WHERE kept.show_id = polled.show_id
        ORDER BY kept.started_at DESC OFFSET %s LIMIT 1
    ) AS oldest_kept
) AS cut
WHERE logged.show_id = cut.show_id AND logged.started_at < cut.started_at
"""


def prune_fetch_log(show_ids) -> int:
    """Drop all but each show's FETCH_LOG_KEEP latest fetches, for many shows in one go.

    Run once per batch of polls, so an unchanged poll need not prune its own show's log.
    """
    if connection.vendor == "postgresql":
        # Only the model's table name is spliced in; the keys and the count are parameters.
        sql = PRUNE_FETCH_LOG.format(table=connection.ops.quote_name(FeedFetch._meta.db_table))
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(show_ids), FETCH_LOG_KEEP - 1])
            return cursor.rowcount
    ranked = (
        FeedFetch.objects.filter(show_id__in=list(show_ids))
        .annotate(
            position=Window(RowNumber(), partition_by=F("show_id"), order_by=F("started_at").desc())
        )
        .filter(position__gt=FETCH_LOG_KEEP)
        .values_list("pk", flat=True)
    )
    stale, deleted = list(ranked), 0
    for start in range(0, len(stale), 1000):
        deleted += FeedFetch.objects.filter(pk__in=stale[start : start + 1000]).delete()[0]
    return deleted


def record_failure(
    show, status, message, started_at, duration_ms, *, http_status=None, retry_after=None
) -> FeedFetch:
    """Log a failed poll, back off, and deactivate a show that keeps failing or is gone."""
    message = xml_safe(message)[:MAX_ERROR]
    show.consecutive_failures += 1
    if status == Show.FetchStatus.GONE:
        show.active = False
        show.inactive_reason = f"The feed is gone (HTTP 410) since {started_at:%Y-%m-%d}."
    elif schedule.should_deactivate(show.consecutive_failures):
        show.active = False
        show.inactive_reason = (
            f"Deactivated after {show.consecutive_failures} failed fetches in a row; "
            f"last error: {message}"
        )[:500]
    logger.info("Poll of show %s failed: %s %s", show.pk, status, message)
    return _log_fetch(
        show,
        status,
        message,
        started_at,
        duration_ms,
        http_status=http_status,
        retry_after=retry_after,
    )


def _link_duplicate(show, other, fetched, why, started_at, duration_ms) -> FeedFetch:
    show.canonical = other
    show.active = False
    show.inactive_reason = f"Same feed as {other} ({other.feed_url}, {why})."[:500]
    _remember_validators(show, fetched)
    signals.show_merged.send(sender=type(show), show=show, canonical=other, reason=why)
    return _log_fetch(
        show,
        Show.FetchStatus.DUPLICATE,
        show.inactive_reason,
        started_at,
        duration_ms,
        http_status=fetched.result.status,
    )


def _log_fetch(
    show,
    status,
    message,
    started_at,
    duration_ms,
    *,
    http_status=None,
    new_count=0,
    updated_count=0,
    retry_after=None,
    feed_changed=False,
) -> FeedFetch:
    """Save the show's fetch state and schedule, and log the fetch."""
    # Messages quote servers and parsers: nothing a database or an XML writer would refuse.
    message = xml_safe(message)[:MAX_ERROR]
    now = timezone.now()
    ok = status in INGESTED
    if ok:
        show.consecutive_failures = 0
    show.last_fetch_status = status
    show.last_http_status = http_status
    show.last_error = "" if ok else message
    show.last_fetched_at = now
    published = list(
        show.episodes.exclude(published_at=None)
        .order_by("-published_at")
        .values_list("published_at", flat=True)[: schedule.RHYTHM_WINDOW]
    )
    show.poll_interval = schedule.poll_interval(
        published, now, show.consecutive_failures, retry_after
    )
    show.next_poll_at = now + show.poll_interval
    stats = show.episodes.aggregate(count=Count("id"), latest=Max("published_at"))
    show.episode_count, show.latest_episode_at = stats["count"], stats["latest"]
    show.save(update_fields=SHOW_FETCH_FIELDS + (SHOW_FEED_FIELDS if feed_changed else []))
    fetch = FeedFetch.objects.create(
        show=show,
        url=show.feed_url,
        started_at=started_at,
        duration_ms=duration_ms,
        status=status,
        http_status=http_status,
        error=message,
        new_count=new_count,
        updated_count=updated_count,
    )
    prune_fetch_log([show.pk])
    return fetch
