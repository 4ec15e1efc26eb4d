"""Polling a show's feed: fetch, parse and an idempotent upsert of its episodes.

One transaction per feed, with the show's row locked, so concurrent polls of one feed queue
instead of racing; episodes are unique per (show, guid) and written with INSERT ... ON CONFLICT
in batches. An unchanged feed costs one request: a 304, or a body whose hash we already have,
is never parsed.
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.text import slugify

from episodes.models import Episode
from podindex import http
from shows import scheduling
from shows.feeds import Feed, InvalidFeed, Item, parse_feed
from shows.models import FeedFetch, Show

logger = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
BATCH_SIZE = 500
# Transcript fetches per queued message on a show's first ingest.
TRANSCRIPT_CHUNK = 25
# Shows claimed per dispatcher run, and how long a claimed show waits before it may be claimed
# again if its poll task is lost (the poll itself sets the real next time).
DISPATCH_LIMIT = 1000
DISPATCH_LEASE = timedelta(minutes=30)
# Fetch log rows kept per show; older ones are pruned as new ones are written.
FETCH_LOG_KEEP = 100
SLUG_MAX = 100
# Episode columns the feed owns; compared to decide whether an episode changed.
FEED_FIELDS = [
    "title",
    "published_at",
    "duration_seconds",
    "audio_url",
    "audio_type",
    "audio_size",
    "link",
    "image_url",
    "season",
    "number",
    "episode_type",
    "explicit",
    "notes_html",
    "transcript_links",
    "people",
    "chapters_url",
    "podcast_guid",
    "in_feed",
]
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
class UpsertResult:
    new_ids: list[int]
    updated: int
    left_feed: int


def create_show(url: str, categories=(), *, show: Show | None = None) -> tuple[Show, bool]:
    """The show for a feed URL: the existing one, or a new one due a poll now."""
    url = url.strip()
    existing = Show.objects.filter(feed_url=url).first()
    created = existing is None
    if created:
        show = show or Show()
        show.feed_url = url
        show.slug = show.slug or unique_show_slug(_slug_source(url))
        show.next_poll_at = timezone.now()
        show.save()
    else:
        show = existing
    if categories:
        show.categories.add(*categories)
    return show, created


def add_show(url: str, categories=(), *, show: Show | None = None) -> tuple[Show, FeedFetch]:
    """Create a show for a feed URL (or reuse the one that has it) and poll it now."""
    show, created = create_show(url, categories, show=show)
    fetch = poll(show, force=created)
    # The poll works on a locked copy of the row: hand back what it stored.
    show.refresh_from_db()
    return show, fetch


def poll(show: Show, *, force: bool = False) -> FeedFetch:
    """Fetch, parse and store one show's feed; every outcome is recorded as a FeedFetch."""
    started_at, clock = timezone.now(), time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - clock) * 1000)

    try:
        result = http.fetch(
            show.feed_url,
            max_bytes=settings.PODINDEX_FEED_MAX_BYTES,
            etag="" if force else show.etag,
            last_modified="" if force else show.last_modified,
            accept=FEED_ACCEPT,
        )
    except http.FetchError as exc:
        retry_after = getattr(exc, "retry_after", None)
        return _record_failure(
            show,
            exc.status,
            str(exc),
            started_at,
            elapsed(),
            http_status=exc.http_status,
            retry_after=timedelta(seconds=retry_after) if retry_after else None,
        )
    body_hash = hashlib.sha256(result.body).hexdigest() if not result.not_modified else ""
    if result.not_modified or (body_hash == show.body_hash and not force):
        return _record_unchanged(show, result, started_at, elapsed())
    try:
        feed = parse_feed(result.body)
    except InvalidFeed as exc:
        return _record_failure(
            show,
            Show.FetchStatus.INVALID,
            str(exc),
            started_at,
            elapsed(),
            http_status=result.status,
        )
    return _store(show, result, body_hash, feed, started_at, elapsed, force=force)


def _store(show, result, body_hash, feed: Feed, started_at, elapsed, *, force) -> FeedFetch:
    with transaction.atomic():
        show = Show.objects.select_for_update().get(pk=show.pk)
        if body_hash == show.body_hash and not force:
            # Another poll stored these very bytes while we were fetching them.
            return _record_unchanged(show, result, started_at, elapsed())
        status, notes = Show.FetchStatus.OK, []
        for new_url, why in (
            (result.final_url if result.permanent_redirect else "", "permanently redirected"),
            (feed.new_feed_url, "itunes:new-feed-url"),
        ):
            if not new_url or new_url == show.feed_url:
                continue
            other = Show.objects.filter(feed_url=new_url).exclude(pk=show.pk).first()
            if other is not None:
                return _link_duplicate(show, other, result, why, started_at, elapsed())
            notes.append(f"Feed moved ({why}) from {show.feed_url} to {new_url}.")
            show.feed_url = new_url
            status = Show.FetchStatus.MOVED
        upsert = upsert_episodes(show, feed.items, timezone.now())
        _apply_feed(show, feed)
        show.body_hash = body_hash
        _remember_validators(show, result)
        if feed.complete:
            show.active = False
            show.inactive_reason = "The feed says it is complete (itunes:complete)."
        if feed.skipped_without_audio or feed.skipped_duplicates:
            notes.append(
                f"Skipped {feed.skipped_without_audio} item(s) without audio and "
                f"{feed.skipped_duplicates} repeated GUID(s)."
            )
        notes.extend(feed.warnings)
        fetch = _finish(
            show,
            status,
            " ".join(notes),
            started_at,
            elapsed(),
            http_status=result.status,
            new_count=len(upsert.new_ids),
            updated_count=upsert.updated,
            feed_changed=True,
        )
        _enqueue_transcripts(upsert.new_ids)
    return fetch


def upsert_episodes(show: Show, items: list[Item], now) -> UpsertResult:
    """Insert new and update changed episodes in batches; mark ones gone from the feed."""
    existing = {
        row["guid"]: row
        for row in Episode.objects.filter(show=show).values("id", "guid", "slug", *FEED_FIELDS)
    }
    slugs = {row["slug"] for row in existing.values()} | RESERVED_EPISODE_SLUGS
    to_write, new_guids = [], []
    for item in items:
        row = existing.get(item.guid)
        values = _episode_values(item, row, now)
        if row is None:
            slug = unique_slug(item.title, slugs)
            slugs.add(slug)
            new_guids.append(item.guid)
        elif any(row[name] != values[name] for name in FEED_FIELDS):
            slug = row["slug"]
        else:
            continue
        to_write.append(Episode(show=show, guid=item.guid, slug=slug, **values))
    # ON CONFLICT (show, guid) DO UPDATE: a concurrent writer of the same episode cannot
    # produce a duplicate, only a second update of the same row.
    Episode.objects.bulk_create(
        to_write,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["show", "guid"],
        update_fields=[*FEED_FIELDS, "updated_at"],
    )
    in_feed = {item.guid for item in items}
    gone = [row["id"] for guid, row in existing.items() if guid not in in_feed and row["in_feed"]]
    for start in range(0, len(gone), BATCH_SIZE):
        Episode.objects.filter(pk__in=gone[start : start + BATCH_SIZE]).update(
            in_feed=False, updated_at=now
        )
    new_ids = []
    for start in range(0, len(new_guids), BATCH_SIZE):
        new_ids += Episode.objects.filter(
            show=show, guid__in=new_guids[start : start + BATCH_SIZE]
        ).values_list("id", flat=True)
    return UpsertResult(
        new_ids=new_ids, updated=len(to_write) - len(new_guids), left_feed=len(gone)
    )


def _episode_values(item: Item, row: dict | None, now) -> dict:
    published = item.published
    if published is not None and published > now:
        # A date in the future is a scheduling slip or a lie: first seen is as good as we know.
        published = row["published_at"] if row else now
    return {
        "title": item.title,
        "published_at": published,
        "duration_seconds": item.duration_seconds,
        "audio_url": item.audio_url,
        "audio_type": item.audio_type,
        "audio_size": item.audio_size,
        "link": item.link,
        "image_url": item.image_url,
        "season": item.season,
        "number": item.number,
        "episode_type": item.episode_type,
        "explicit": item.explicit,
        "notes_html": item.notes_html,
        "transcript_links": item.transcript_links,
        "people": item.people,
        "chapters_url": item.chapters_url,
        "podcast_guid": item.podcast_guid,
        "in_feed": True,
    }


# /shows/<show>/rss/ is the show's feed: an episode called "RSS" must not hide it.
RESERVED_EPISODE_SLUGS = frozenset({"rss"})


def unique_slug(title: str, taken: set[str]) -> str:
    """A slug from the title, with -2, -3, ... on collision with the taken ones."""
    base = slugify(title)[:SLUG_MAX].strip("-") or "episode"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base[: SLUG_MAX - len(str(n)) - 1]}-{n}"
    return slug


def unique_show_slug(title: str, exclude_pk: int | None = None) -> str:
    """A globally unique show slug from a title."""
    base = slugify(title)[:SLUG_MAX].strip("-") or "show"
    taken = set(
        Show.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    return unique_slug(base, taken)


def _slug_source(url: str) -> str:
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


def _remember_validators(show: Show, result: http.FetchResult) -> None:
    show.etag = result.headers.get("etag", "")[:500]
    show.last_modified = result.headers.get("last-modified", "")[:100]


def _record_unchanged(show, result, started_at, duration_ms) -> FeedFetch:
    if not result.not_modified:
        _remember_validators(show, result)
    return _finish(
        show,
        Show.FetchStatus.NOT_MODIFIED,
        "",
        started_at,
        duration_ms,
        http_status=result.status,
    )


def _record_failure(
    show, status, message, started_at, duration_ms, *, http_status=None, retry_after=None
) -> FeedFetch:
    show.consecutive_failures += 1
    if status == Show.FetchStatus.GONE:
        show.active = False
        show.inactive_reason = f"The feed is gone (HTTP 410) since {started_at:%Y-%m-%d}."
    elif scheduling.should_deactivate(show.consecutive_failures):
        show.active = False
        show.inactive_reason = (
            f"Deactivated after {show.consecutive_failures} failed fetches in a row; "
            f"last error: {message}"
        )[:500]
    logger.info("Poll of show %s failed: %s %s", show.pk, status, message)
    return _finish(
        show,
        status,
        message,
        started_at,
        duration_ms,
        http_status=http_status,
        retry_after=retry_after,
    )


def _link_duplicate(show, other, result, why, started_at, duration_ms) -> FeedFetch:
    show.canonical = other
    show.active = False
    show.inactive_reason = f"Same feed as {other} ({other.feed_url}, {why})."[:500]
    _remember_validators(show, result)
    return _finish(
        show,
        Show.FetchStatus.DUPLICATE,
        show.inactive_reason,
        started_at,
        duration_ms,
        http_status=result.status,
    )


def _finish(
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
        .values_list("published_at", flat=True)[: scheduling.RHYTHM_WINDOW]
    )
    show.poll_interval = scheduling.poll_interval(
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
    stale = show.fetches.order_by("-started_at").values_list("pk", flat=True)[FETCH_LOG_KEEP:]
    FeedFetch.objects.filter(pk__in=list(stale)).delete()
    return fetch


def _enqueue_transcripts(episode_ids: list[int]) -> None:
    """After commit, queue transcript fetches for the new episodes that link one."""
    from shows.tasks import fetch_transcript

    wanted = [
        pk
        for pk, links in Episode.objects.filter(pk__in=episode_ids).values_list(
            "pk", "transcript_links"
        )
        if links
    ]
    if not wanted:
        return
    Episode.objects.filter(pk__in=wanted).update(transcript_status="pending")
    # Chunks: a first ingest of a long back catalogue is a few dozen messages, not thousands.
    # robust: a broker outage must not undo the committed poll; fetch_transcripts retries.
    transaction.on_commit(
        lambda: fetch_transcript.chunks(((pk,) for pk in wanted), TRANSCRIPT_CHUNK).apply_async(),
        robust=True,
    )


def poll_by_id(show_id: int, *, force: bool = False) -> FeedFetch | None:
    """Poll a show by id; None when it is gone or inactive by the time the task runs."""
    show = Show.objects.filter(pk=show_id, active=True).first()
    return poll(show, force=force) if show else None


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
