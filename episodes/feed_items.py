"""Storing a feed's items as episodes: an idempotent upsert on the unique (show, guid).

Called by the poll (episodes.ingest, through shows' store_feed) inside the poll's transaction
with the show's row locked; new episodes that link a transcript get it fetched after commit.

The write is one bulk statement whatever the feed's length. On PostgreSQL the rows to write are
COPYed into a temporary staging table and moved with one INSERT … SELECT … ON CONFLICT (show,
guid) DO UPDATE … RETURNING (a show's first episodes, which nothing can conflict with, are
COPYed into the table itself); on SQLite the same upsert is one executemany. Search
vectors of the episodes written are not computed in that statement (it cost as much as parsing
the feed): the trigger leaves them NULL and `fill_search_vectors` fills them right after the
commit (episodes migration 0005).
"""

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from core import search_index
from core.slugs import unique_slug
from episodes.models import Episode
from episodes.tasks import dispatch_transcriptions, fetch_transcript
from episodes.transcripts import transcribe
from episodes.transcripts.fetch import TranscriptStatus
from shows.ingest.feed import Item
from shows.ingest.store import ItemChanges

BATCH_SIZE = 500
# Search vectors computed per statement by fill_search_vectors.
FILL_BATCH = 1000
# Transcript fetches per queued message on a show's first ingest.
TRANSCRIPT_CHUNK = 25
# Their own queue: a feed listing thousands of transcripts must not hold up the polls.
FETCH_QUEUE = "fetches"
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
JSON_FIELDS = frozenset({"transcript_links", "people"})


def store_feed_items(show, items: list[Item], now) -> ItemChanges:
    """Insert new and update changed episodes in one upsert; mark ones gone from the feed."""
    existing = {
        row["guid"]: row
        for row in Episode.objects.filter(show=show).values("id", "guid", "slug", *FEED_FIELDS)
    }
    slugs = {row["slug"] for row in existing.values()} | RESERVED_EPISODE_SLUGS
    to_write, new_guids, seen = [], [], set()
    for item in items:
        if item.guid in seen:
            continue  # the first of a repeated GUID, as parse_feed keeps it: one row per key
        seen.add(item.guid)
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
        values["guid"], values["slug"] = item.guid, slug
        # New episodes that link a transcript are written with its fetch pending.
        values["transcript_status"] = TranscriptStatus.PENDING if item.transcript_links else ""
        to_write.append(values)
    if connection.vendor == "postgresql":
        inserted = upsert_by_copy(show, to_write, first=not existing)
    else:
        inserted = _upsert_by_executemany(show, to_write, new_guids)
    if to_write and connection.vendor == "postgresql":
        transaction.on_commit(lambda: fill_search_vectors.delay(show.pk), robust=True)
    if to_write and search_index.enabled():
        search_index.write_on_commit(_search_docs(to_write, inserted, existing))
    gone = [row["id"] for guid, row in existing.items() if guid not in seen and row["in_feed"]]
    for start in range(0, len(gone), BATCH_SIZE):
        Episode.objects.filter(pk__in=gone[start : start + BATCH_SIZE]).update(
            in_feed=False, updated_at=now
        )
    by_guid = {values["guid"]: values for values in to_write}
    _queue_transcripts([(pk, by_guid[guid]) for guid, pk in inserted.items()])
    return ItemChanges(
        new=len(inserted), updated=len(to_write) - len(inserted), left_feed=len(gone)
    )


def _search_docs(written: list[dict], inserted: dict[str, int], existing: dict) -> list:
    """The search engine's documents of the episodes written (new ones by their new keys)."""
    docs = []
    for values in written:
        # Neither: another writer inserted it meanwhile (and indexes it).
        pk = inserted.get(values["guid"]) or existing.get(values["guid"], {}).get("id")
        if pk is not None:
            docs.append(search_index.episode_doc(pk, values["title"], values["notes_html"]))
    return docs


# --- PostgreSQL: COPY into a staging table, then one INSERT … ON CONFLICT -------------------

STAGING = "episodes_episode_staging"
# (column, staging type): the columns a feed writes, in COPY order.
STAGING_COLUMNS = [
    ("position", "integer"),
    ("guid", "text"),
    ("slug", "text"),
    ("title", "text"),
    ("published_at", "timestamptz"),
    ("duration_seconds", "integer"),
    ("audio_url", "text"),
    ("audio_type", "text"),
    ("audio_size", "bigint"),
    ("link", "text"),
    ("image_url", "text"),
    ("season", "integer"),
    ("number", "integer"),
    ("episode_type", "text"),
    ("explicit", "boolean"),
    ("notes_html", "text"),
    ("transcript_links", "jsonb"),
    ("people", "jsonb"),
    ("chapters_url", "text"),
    ("podcast_guid", "text"),
    ("in_feed", "boolean"),
    ("transcript_status", "text"),
]
_COPIED = [name for name, _ in STAGING_COLUMNS[1:]]
# Dropped at commit; emptied first in case an earlier store in the same transaction used it.
_STAGE = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} "
    f"({', '.join(f'{name} {kind}' for name, kind in STAGING_COLUMNS)}) ON COMMIT DROP; "
    f"TRUNCATE {STAGING}"
)
_DEFER = (
    # The search vectors of this statement's rows are filled after the commit (0005).
    "SELECT set_config('podindex.defer_search_vector', 'on', true), "
    # The poll's commit does not wait for its WAL to reach the disk (a fifth of a first
    # ingest's time): a crash in the next fraction of a second loses the poll as a whole, the
    # show's body hash and validators with it, and the next poll stores the feed again.
    "set_config('synchronous_commit', 'off', true)"
)
_COPY = f"COPY {STAGING} ({', '.join(name for name, _ in STAGING_COLUMNS)}) FROM STDIN"
# A show's first episodes go straight into the table: nothing can conflict under the show's
# row lock, so the staging table and its INSERT … SELECT (a third of the write) are skipped.
_COPY_FIRST = (
    f"COPY episodes_episode (show_id, {', '.join(_COPIED)}, hidden, transcript_error, "
    "created_at, updated_at) FROM STDIN"
)
_FIRST_IDS = "SELECT guid, id FROM episodes_episode WHERE show_id = %s"
# Names from the constants above only: no value is ever formatted into the SQL.
_UPSERT = (
    f"INSERT INTO episodes_episode (show_id, {', '.join(_COPIED)}, hidden, transcript_error, "  # noqa: S608
    "created_at, updated_at) "
    f"SELECT %s, {', '.join(_COPIED)}, false, '', %s, %s FROM {STAGING} ORDER BY position "
    "ON CONFLICT (show_id, guid) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name in [*FEED_FIELDS, "updated_at"])
    # xmax is 0 on a row this statement inserted, not on one it updated.
    + " RETURNING guid, id, (xmax = 0) AS inserted"
)
_RESTORE = "SELECT set_config('podindex.defer_search_vector', 'off', true)"


def upsert_by_copy(show, rows: list[dict], *, first: bool = False) -> dict[str, int]:
    """Write the rows in one upsert (PostgreSQL); returns {guid: id} of the inserted ones.

    ON CONFLICT (show, guid) DO UPDATE: a concurrent writer of the same episode cannot produce
    a duplicate, only a second update of the same row. `first`: the show has no episodes yet
    (its row locked by the caller), so the rows are COPYed into the table itself.
    """
    if not rows:
        return {}
    written_at = timezone.now()
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_DEFER)
        if first:
            # psycopg's own cursor: its errors become Django's here (a value refused by a
            # column is a DataError, as from the upsert).
            with connection.wrap_database_errors:
                copy_first_rows(cursor.cursor, show, rows, written_at)
            cursor.execute(_FIRST_IDS, [show.pk])
            returned = [(guid, pk, True) for guid, pk in cursor.fetchall()]
        else:
            cursor.execute(_STAGE)
            copy_rows(cursor.cursor, rows)
            cursor.execute(_UPSERT, [show.pk, written_at, written_at])
            returned = cursor.fetchall()
        # Not in a `finally`: after an error the transaction (or its savepoint) is rolled
        # back, which resets the setting too, and a statement sent now would only hide the
        # error behind "current transaction is aborted".
        cursor.execute(_RESTORE)
    return {guid: pk for guid, pk, inserted in returned if inserted}


def copy_rows(cursor, rows: list[dict]) -> None:
    """COPY the rows into the staging table (a psycopg cursor)."""
    with cursor.copy(_COPY) as copy:
        for position, values in enumerate(rows):
            copy.write_row([position, *_copied(values)])


def copy_first_rows(cursor, show, rows: list[dict], written_at) -> None:
    """COPY a show's first rows into the episodes table itself (a psycopg cursor)."""
    tail = [False, "", written_at, written_at]  # hidden, transcript_error, the two stamps
    with cursor.copy(_COPY_FIRST) as copy:
        for values in rows:
            copy.write_row([show.pk, *_copied(values), *tail])


def _copied(values: dict):
    return (Jsonb(values[name]) if name in JSON_FIELDS else values[name] for name in _COPIED)


@shared_task(ignore_result=True)
def fill_search_vectors(show_id: int | None = None) -> int:
    """Compute the search vectors the ingest left NULL: a show's, or all (show_id None).

    FILL_BATCH rows a statement (each its own transaction outside an atomic block), so a long
    back catalogue never holds thousands of row locks for seconds.
    """
    if connection.vendor != "postgresql":
        return 0
    where = "search_vector IS NULL" + (" AND show_id = %s" if show_id is not None else "")
    sql = (
        "UPDATE episodes_episode SET search_vector = episodes_episode_vector(title, notes_html)"  # noqa: S608
        f" WHERE id IN (SELECT id FROM episodes_episode WHERE {where} LIMIT %s)"
    )
    params = ([] if show_id is None else [show_id]) + [FILL_BATCH]
    filled = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, params)
            filled += cursor.rowcount
            if cursor.rowcount < FILL_BATCH:
                return filled


# --- SQLite: one executemany of the same upsert ----------------------------------------------

_ROW_COLUMNS = [name for name, _ in STAGING_COLUMNS[1:]]
_PLACEHOLDERS = ", ".join(["%s"] * (len(_ROW_COLUMNS) + 5))
_SQLITE_UPSERT = (
    f"INSERT INTO episodes_episode (show_id, {', '.join(_ROW_COLUMNS)}, hidden, "  # noqa: S608
    f"transcript_error, created_at, updated_at) VALUES ({_PLACEHOLDERS}) "
    "ON CONFLICT (show_id, guid) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in [*FEED_FIELDS, "updated_at"])
)


def _upsert_by_executemany(show, rows: list[dict], new_guids: list[str]) -> dict[str, int]:
    """Write the rows with one executemany (SQLite); returns {guid: id} of the new ones."""
    if not rows:
        return {}
    # The columns whose values the driver cannot take as they are (JSON, datetimes) go
    # through their field's get_db_prep_save; strings, numbers, booleans and None as they are.
    fields = [Episode._meta.get_field(name) for name in _ROW_COLUMNS]
    adapted = [
        (index, field)
        for index, field in enumerate(fields)
        if field.get_internal_type() in ("JSONField", "DateTimeField")
    ]
    stamp = Episode._meta.get_field("created_at").get_db_prep_save(timezone.now(), connection)
    params = []
    for values in rows:
        row = [values[name] for name in _ROW_COLUMNS]
        for index, field in adapted:
            row[index] = field.get_db_prep_save(row[index], connection)
        params.append([show.pk, *row, False, "", stamp, stamp])
    with connection.cursor() as cursor:
        cursor.executemany(_SQLITE_UPSERT, params)
    new = set(new_guids)
    return {
        guid: pk
        for guid, pk in Episode.objects.filter(show=show).values_list("guid", "pk")
        if guid in new
    }


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


def _queue_transcripts(new: list[tuple[int, dict]]) -> None:
    """Mark the latest few new episodes as wanted for our transcription (waiting for it at
    once if they link no transcript) and, after commit, queue the publisher transcripts of
    those that link one (written with their status pending).

    Only the latest PODINDEX_ASR_NEW_SHOW_EPISODES of each poll are wanted, whether it is a
    show's first ingest or a feed that renamed every GUID: an episode that later needs our
    transcript (its links all failed) is transcribed only if it was wanted, or on request.
    `new` is (id, values) of the episodes inserted."""
    latest_first = sorted(
        new,
        key=lambda pair: (pair[1]["published_at"] is not None, pair[1]["published_at"], pair[0]),
        reverse=True,
    )
    with_audio = [pk for pk, values in latest_first if values["audio_url"]]
    wanted = with_audio[: settings.PODINDEX_ASR_NEW_SHOW_EPISODES]
    linked = [pk for pk, values in latest_first if values["transcript_links"]]
    unlinked = set(wanted) - set(linked)
    if wanted:
        Episode.objects.filter(pk__in=wanted).update(asr_wanted=True)
    if unlinked and settings.PODINDEX_ASR_ENABLED:
        Episode.objects.filter(pk__in=unlinked).update(transcript_status=transcribe.WAITING)
        transaction.on_commit(dispatch_transcriptions, robust=True)
    if linked:
        # One message; the worker that takes it queues the fetches in chunks. robust: a
        # broker outage must not undo the committed poll; fetch_transcripts retries.
        transaction.on_commit(lambda: queue_transcript_fetches.delay(linked), robust=True)


@shared_task(ignore_result=True)
def queue_transcript_fetches(episode_ids: list[int]) -> None:
    """Queue the publisher-transcript fetches of these episodes, TRANSCRIPT_CHUNK a message.

    Chunks: a first ingest of a long back catalogue is a few dozen messages, not thousands;
    queued here, in a worker, rather than by the poll that found them (80 messages for 2,000
    episodes cost the poll as much as writing them).
    """
    # chunks() sends celery.starmap tasks, which the routes of fetch_transcript do not reach.
    fetch_transcript.chunks(((pk,) for pk in episode_ids), TRANSCRIPT_CHUNK).apply_async(
        queue=FETCH_QUEUE
    )
