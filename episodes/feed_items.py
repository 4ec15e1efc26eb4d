"""Storing a feed's items as episodes: an idempotent upsert on the unique (show, guid).

Connected to `shows.signals.feed_items_received`, so it runs inside the poll's transaction
with the show's row locked; new episodes that link a transcript get it fetched after commit.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.dispatch import receiver

from core.slugs import unique_slug
from episodes.models import Episode
from episodes.tasks import fetch_transcript, queue_transcription
from episodes.transcripts.fetch import TranscriptStatus
from shows.ingest.parse import Item
from shows.signals import ItemChanges, feed_items_received

BATCH_SIZE = 500
# Transcript fetches per queued message on a show's first ingest.
TRANSCRIPT_CHUNK = 25
# /shows/<show>/rss/ is the show's feed: an episode called "RSS" must not hide it.
RESERVED_EPISODE_SLUGS = frozenset({"rss"})
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


@receiver(feed_items_received, dispatch_uid="store-feed-items")
def store_feed_items(sender, show, items: list[Item], now, **kwargs) -> ItemChanges:
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
            slug = unique_slug(item.title, slugs, "episode")
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
    _queue_transcripts(new_ids, first_ingest=not existing)
    return ItemChanges(
        new=len(new_ids), updated=len(to_write) - len(new_guids), left_feed=len(gone)
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


def _queue_transcripts(episode_ids: list[int], *, first_ingest: bool) -> None:
    """After commit, queue the publisher transcripts of new episodes that link one, and our
    own transcription of those that do not (on a show's first ingest, only the latest few)."""
    rows = list(
        Episode.objects.filter(pk__in=episode_ids)
        .order_by(F("published_at").desc(nulls_last=True), "-pk")
        .values_list("pk", "transcript_links", "audio_url")
    )
    linked = [pk for pk, links, _ in rows if links]
    unlinked = [pk for pk, links, audio in rows if not links and audio]
    if first_ingest:
        unlinked = unlinked[: settings.PODINDEX_ASR_NEW_SHOW_EPISODES]
    if linked:
        Episode.objects.filter(pk__in=linked).update(transcript_status=TranscriptStatus.PENDING)
        # Chunks: a first ingest of a long back catalogue is a few dozen messages, not
        # thousands. robust: a broker outage must not undo the committed poll;
        # fetch_transcripts retries.
        transaction.on_commit(
            lambda: fetch_transcript.chunks(
                ((pk,) for pk in linked), TRANSCRIPT_CHUNK
            ).apply_async(),
            robust=True,
        )
    if unlinked and settings.PODINDEX_ASR_ENABLED:
        transaction.on_commit(lambda: queue_transcription(unlinked), robust=True)
