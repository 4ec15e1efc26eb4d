"""The receiver that stores a feed's items: one bulk upsert whatever the feed's length."""

from datetime import timedelta

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from episodes import feed_items
from episodes.feed_items import store_feed_items as store_items
from episodes.models import Episode
from episodes.transcripts.fetch import TranscriptStatus
from shows.ingest.parse import Item
from tests.factories import EpisodeFactory, ShowFactory

pytestmark = pytest.mark.django_db

BASE = timezone.now() - timedelta(days=1)
needs_postgres = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL's COPY and search vectors"
)


def items(count: int, *, first: int = 1, **overrides) -> list[Item]:
    return [
        Item(
            guid=f"ep-{n}",
            title=overrides.get("title", f"Episode {n} on churn metrics"),
            audio_url=f"https://cdn.example.com/{n}.mp3",
            audio_type="audio/mpeg",
            published=BASE - timedelta(hours=n),
            notes_html=f"<p>Notes for episode {n}: pricing and churn.</p>",
            transcript_links=[{"url": f"https://cdn.example.com/{n}.vtt", "type": "text/vtt"}],
            people=[{"name": "Jane Host", "role": "host"}],
        )
        for n in range(first, first + count)
    ]


def store(show, batch):
    return store_items(show, batch, timezone.now())


def queries_to_store(count: int) -> int:
    show = ShowFactory()
    with CaptureQueriesContext(connection) as queries:
        changes = store(show, items(count))
    assert changes.new == count
    return len(queries)


def test_it_stores_a_first_ingest_in_as_many_queries_for_1200_items_as_for_10():
    # Before: bulk_create in batches of 500 and the new ids read back in batches.
    assert queries_to_store(1200) == queries_to_store(10) <= 8


def test_it_counts_and_writes_only_the_changed_items_on_a_reingest():
    show = ShowFactory()
    assert (store(show, items(5)).new, Episode.objects.count()) == (5, 5)
    before = dict(Episode.objects.values_list("guid", "updated_at"))
    changed = items(5)
    changed[2].title = "Episode 3, re-edited"

    changes = store(show, [*items(1, first=0), *changed])

    assert (changes.new, changes.updated, changes.left_feed) == (1, 1, 0)
    after = dict(Episode.objects.values_list("guid", "updated_at"))
    assert {guid for guid in after if after[guid] != before.get(guid)} == {"ep-0", "ep-3"}
    assert Episode.objects.get(guid="ep-3").title == "Episode 3, re-edited"
    assert Episode.objects.get(guid="ep-3").slug == "episode-3-on-churn-metrics"
    assert Episode.objects.filter(show=show).count() == 6


def test_it_is_idempotent_and_marks_items_that_left_the_feed():
    show = ShowFactory()
    store(show, items(3))
    assert (store(show, items(3)).new, store(show, items(3)).updated) == (0, 0)
    changes = store(show, items(2))
    assert (changes.new, changes.updated, changes.left_feed) == (0, 0, 1)
    assert Episode.objects.filter(show=show).count() == 3
    assert not Episode.objects.get(guid="ep-3").in_feed


def test_it_writes_new_episodes_with_their_transcript_pending_and_queues_one_message(
    django_capture_on_commit_callbacks, monkeypatch
):
    show = ShowFactory()
    messages = []
    monkeypatch.setattr(feed_items.queue_transcript_fetches, "delay", messages.append)
    batch = [*items(2), Item(guid="no-audio-link", title="Plain", audio_url="https://a.b/c.mp3")]
    with django_capture_on_commit_callbacks(execute=True):
        store(show, batch)

    statuses = dict(Episode.objects.values_list("guid", "transcript_status"))
    assert statuses == {
        "ep-1": TranscriptStatus.PENDING,
        "ep-2": TranscriptStatus.PENDING,
        "no-audio-link": statuses["no-audio-link"],
    }
    ids = dict(Episode.objects.values_list("guid", "pk"))
    # One message for all the fetches (the worker chunks them), newest episode first.
    assert messages == [[ids["ep-1"], ids["ep-2"]]]


def test_it_queues_the_transcript_fetches_in_chunks_from_the_worker(monkeypatch):
    chunked, sent = [], []
    monkeypatch.setattr(
        feed_items.fetch_transcript,
        "chunks",
        lambda args, size: (
            chunked.append((list(args), size))
            or type("Chunks", (), {"apply_async": lambda self, **options: sent.append(options)})()
        ),
    )
    feed_items.queue_transcript_fetches([3, 2, 1])
    assert chunked == [([(3,), (2,), (1,)], feed_items.TRANSCRIPT_CHUNK)]
    # On their own queue, not the polls'.
    assert sent == [{"queue": "fetches"}]


def test_it_makes_a_freshly_ingested_episode_findable_by_search(django_capture_on_commit_callbacks):
    show = ShowFactory(title="Metrics Weekly")
    with django_capture_on_commit_callbacks(execute=True):
        store(show, items(3, title="Negotiating procurement contracts"))

    assert Episode.objects.search("procurement").count() == 3
    if connection.vendor == "postgresql":
        assert not Episode.objects.filter(search_vector=None).exists()


@needs_postgres
def test_it_copies_a_shows_first_episodes_into_the_table_and_later_ones_through_staging():
    show = ShowFactory()
    with CaptureQueriesContext(connection) as first:
        store(show, items(40))
    with CaptureQueriesContext(connection) as later:
        changes = store(show, [*items(40, title="Renamed"), *items(1, first=41)])

    assert not [q for q in first if "INSERT INTO episodes_episode" in q["sql"]]
    assert not [q for q in first if "staging" in q["sql"]]
    inserts = [q["sql"] for q in later if "INSERT INTO episodes_episode" in q["sql"]]
    assert len(inserts) == 1 and "ON CONFLICT (show_id, guid) DO UPDATE" in inserts[0]
    assert (changes.new, changes.updated) == (1, 40)
    assert Episode.objects.filter(show=show, title="Renamed").count() == 40
    assert Episode.objects.filter(show=show).count() == 41


@needs_postgres
def test_its_commit_does_not_wait_for_the_wal_flush():
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
        store(ShowFactory(), items(2))
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "off"  # for this transaction only (set_config, local)


@needs_postgres
def test_it_defers_the_search_vectors_of_its_own_statement_only():
    show = ShowFactory()
    store(show, items(3))
    # Left for the batch after the commit (the test's transaction never commits)...
    assert Episode.objects.filter(search_vector=None).count() == 3
    # ...while any other write in the same transaction still gets its vector at once.
    other = EpisodeFactory(show=show, title="Written by hand")
    assert Episode.objects.filter(pk=other.pk, search_vector=None).count() == 0

    assert feed_items.fill_search_vectors(show.pk) == 3
    assert Episode.objects.filter(search_vector=None).count() == 0
    assert Episode.objects.search("churn").count() == 3


@needs_postgres
def test_it_keeps_the_upsert_idempotent_when_the_same_transaction_stores_twice():
    show = ShowFactory()
    store(show, items(3))
    changes = store(show, [*items(3, title="Renamed"), *items(1, first=9, title="Renamed")])
    assert (changes.new, changes.updated) == (1, 3)
    assert Episode.objects.filter(show=show).count() == 4
    assert set(Episode.objects.values_list("title", flat=True)) == {"Renamed"}


@needs_postgres
def test_it_reports_a_refused_row_as_the_databases_own_error_and_defers_nothing_after():
    show = ShowFactory()
    refused = items(1, title="x" * 1001)  # longer than the column: only parse_feed caps it
    with pytest.raises(DataError, match="too long"), transaction.atomic():
        store(show, refused)

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('podindex.defer_search_vector', true)")
        assert cursor.fetchone()[0] in (None, "", "off")
    other = EpisodeFactory(show=show, title="Written by hand")
    assert Episode.objects.filter(pk=other.pk, search_vector=None).count() == 0


def test_it_writes_one_row_for_a_guid_repeated_in_the_batch():
    show = ShowFactory()
    first, copy = items(1), items(1, title="A later copy")
    changes = store(show, [*first, *copy, *items(1, first=2)])
    assert (changes.new, changes.updated) == (2, 0)
    assert Episode.objects.get(guid="ep-1").title == "Episode 1 on churn metrics"


@needs_postgres
def test_it_fills_the_deferred_vectors_in_batches(monkeypatch):
    monkeypatch.setattr(feed_items, "FILL_BATCH", 2)
    show = ShowFactory()
    store(show, items(5))
    assert feed_items.fill_search_vectors(show.pk) == 5
    assert not Episode.objects.filter(search_vector=None).exists()
    assert feed_items.fill_search_vectors() == 0
