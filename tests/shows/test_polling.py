"""Polling that scales with connections (issue 12, item 1): an unchanged poll costs one request
and two statements; a batch fetches concurrently, polls each show once, and one slow feed
holds up nobody else; `poll_feeds` and the beat dispatcher take that path."""

import os
import threading
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from episodes import ingest
from episodes import poll_tasks as tasks
from shows.ingest import schedule, store
from shows.ingest.fetch import fetch_feed
from shows.models import FeedFetch, Show
from tests.factories import ShowFactory
from tests.factories.feeds import item, rss

pytestmark = pytest.mark.django_db

BROKER = os.environ.get("PODINDEX_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")

ETAG = '"v1"'


def added(feed_server, path="/feed.xml", items=None, **kwargs):
    """A show whose feed has been ingested once (so the next poll may find it unchanged)."""
    url = feed_server.serve(path, rss(items or [item(1), item(2)]), **kwargs)
    show, fetch = ingest.add_show(url)
    assert fetch.status == Show.FetchStatus.OK
    return Show.objects.get(pk=show.pk)


@pytest.mark.parametrize("etag", [ETAG, ""], ids=["304", "same-body-200"])
def test_an_unchanged_poll_is_one_request_one_update_and_the_log_insert(
    feed_server, django_assert_max_num_queries, etag
):
    """On PostgreSQL the two writes are one statement (one round trip, no BEGIN/COMMIT)."""
    show = added(feed_server, etag=etag)
    before = len(feed_server.requests)

    with django_assert_max_num_queries(2) as queries:
        fetch = ingest.poll(show)

    assert fetch.status == Show.FetchStatus.NOT_MODIFIED
    assert fetch.http_status == (304 if etag else 200)
    assert len(feed_server.requests) == before + 1
    statements = [q["sql"].upper() for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert len(statements) == 1
        assert statements[0].startswith("WITH UPDATED AS (UPDATE SHOWS_SHOW SET")
        assert ") INSERT INTO SHOWS_FEEDFETCH" in statements[0]
    else:
        assert [sql.split()[0] for sql in statements] == ["UPDATE", "INSERT"]
    assert FeedFetch.objects.get(pk=fetch.pk).status == Show.FetchStatus.NOT_MODIFIED
    stored = Show.objects.get(pk=show.pk)
    assert stored.last_fetch_status == Show.FetchStatus.NOT_MODIFIED
    assert stored.next_poll_at == stored.last_fetched_at + stored.poll_interval
    assert stored.episode_count == 2


@pytest.mark.parametrize(
    ("first", "count", "days_later"),
    [(5, 10, 4), (1, 10, 0.2), (1, 3, 9), (10, 1, 30)],
    ids=["gone-quiet", "active", "few-releases", "one-release"],
)
def test_the_unchanged_schedule_matches_the_full_computation(
    feed_server, monkeypatch, first, count, days_later
):
    now = timezone.now()
    releases = [item(n, published=now - timedelta(days=n)) for n in range(first, first + count)]
    show = added(feed_server, items=releases, etag=ETAG)
    later = now + timedelta(days=days_later)
    monkeypatch.setattr(timezone, "now", lambda: later)

    ingest.poll(show)

    stored = Show.objects.get(pk=show.pk)
    published = list(show.episodes.values_list("published_at", flat=True))
    assert stored.last_fetch_status == Show.FetchStatus.NOT_MODIFIED
    assert stored.poll_interval == schedule.poll_interval(published, later)


def test_an_unchanged_poll_after_a_failure_recomputes_the_schedule_in_full(feed_server):
    show = added(feed_server, etag=ETAG)
    Show.objects.filter(pk=show.pk).update(
        consecutive_failures=3,
        last_fetch_status=Show.FetchStatus.HTTP_ERROR,
        poll_interval=timedelta(days=2),
    )

    fetch = ingest.poll(Show.objects.get(pk=show.pk))

    stored = Show.objects.get(pk=show.pk)
    assert fetch.status == Show.FetchStatus.NOT_MODIFIED
    assert stored.consecutive_failures == 0
    published = list(show.episodes.values_list("published_at", flat=True))
    expected = schedule.poll_interval(published, stored.last_fetched_at)
    assert abs(stored.poll_interval - expected) < timedelta(seconds=5)


def test_a_batch_polls_every_show_once_and_a_slow_feed_holds_up_no_other(feed_server):
    shows = [
        ShowFactory(feed_url=feed_server.serve(f"/{n}.xml", rss([item(1)]), etag=ETAG))
        for n in range(8)
    ]
    slow = ShowFactory(feed_url=feed_server.serve("/slow.xml", rss([item(1)]), delay=2.0))
    finished = {}
    started = time.monotonic()

    fetches = ingest.poll_many(
        [slow.pk, *(s.pk for s in shows), slow.pk, shows[0].pk],
        concurrency=3,
        on_done=lambda show, fetch: finished.setdefault(show.pk, time.monotonic() - started),
    )

    assert sorted(f.show_id for f in fetches) == sorted([slow.pk, *(s.pk for s in shows)])
    assert all(f.status == Show.FetchStatus.OK for f in fetches)
    for n in range(8):
        assert len(feed_server.hits(f"/{n}.xml")) == 1
    assert len(feed_server.hits("/slow.xml")) == 1
    assert FeedFetch.objects.count() == 9
    # The slow feed took one of the three threads; the others went through the eight fast
    # feeds meanwhile and were stored as they came.
    assert max(finished[s.pk] for s in shows) < 1.5
    assert finished[slow.pk] >= 2.0
    assert list(finished)[-1] == slow.pk


def test_a_batch_keeps_to_the_per_host_limit(feed_server):
    lock, state = threading.Lock(), {"now": 0, "most": 0}

    def counted(request):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        body = rss([item(1)]).encode()
        request.send(200, body, {"Content-Type": "application/rss+xml"})

    ids = [
        ShowFactory(feed_url=feed_server.serve(f"/{n}.xml", handler=counted)).pk for n in range(8)
    ]

    fetches = ingest.poll_many(ids, concurrency=8, per_host=2)

    assert len(fetches) == 8
    assert state["most"] == 2


def test_a_batch_skips_inactive_shows_and_keeps_the_address_check(feed_server, settings):
    public = ShowFactory(feed_url=feed_server.serve("/a.xml", rss([item(1)])))
    inactive = ShowFactory(feed_url=feed_server.serve("/b.xml", rss([item(1)])), active=False)
    settings.PODINDEX_ALLOW_PRIVATE_URLS = False

    fetches = ingest.poll_many([public.pk, inactive.pk, 999_999])

    assert [(f.show_id, f.status) for f in fetches] == [(public.pk, Show.FetchStatus.BLOCKED)]
    assert feed_server.requests == []


def test_the_dispatcher_hands_due_shows_to_batch_tasks(feed_server, monkeypatch):
    past = timezone.now() - timedelta(minutes=1)
    due = [
        ShowFactory(feed_url=feed_server.serve(f"/{n}.xml", rss([item(1)])), next_poll_at=past)
        for n in range(5)
    ]
    batches = []
    original = tasks.poll_shows.run
    monkeypatch.setattr(tasks, "POLL_BATCH", 2)
    monkeypatch.setattr(tasks.poll_shows, "run", lambda ids: batches.append(ids) or original(ids))

    assert tasks.poll_due_shows.delay().get() == 5

    assert sorted(len(b) for b in batches) == [1, 2, 2]
    statuses = set(
        Show.objects.filter(pk__in=[s.pk for s in due]).values_list("last_fetch_status", flat=True)
    )
    assert statuses == {Show.FetchStatus.OK}


def test_poll_feeds_polls_the_due_shows_concurrently(feed_server, capsys, monkeypatch):
    past = timezone.now() - timedelta(minutes=1)
    shows = [
        ShowFactory(
            feed_url=feed_server.serve(f"/{n}.xml", rss([item(1)]), delay=1.0), next_poll_at=past
        )
        for n in range(4)
    ]
    calls = []
    original = ingest.poll_many
    monkeypatch.setattr(ingest, "poll_many", lambda *a, **k: calls.append(a) or original(*a, **k))
    started = time.monotonic()

    call_command("poll_feeds")

    assert time.monotonic() - started < 2.5  # four one-second feeds at once, not in a row
    assert len(calls) == 1
    out = capsys.readouterr().out
    for show in shows:
        assert f"{show}: OK (1 new, 0 updated)" in out
    assert "Polled 4 shows in " in out


def test_an_unchanged_poll_leaves_a_row_changed_meanwhile_alone(feed_server):
    show = added(feed_server, etag=ETAG)
    # Another poll stores a new body (and its schedule) while this one is fetching.
    later = timezone.now() + timedelta(hours=5)
    Show.objects.filter(pk=show.pk).update(body_hash="new", etag='"v2"', next_poll_at=later)

    fetch = ingest.poll(show)

    assert fetch.status == Show.FetchStatus.NOT_MODIFIED
    stored = Show.objects.get(pk=show.pk)
    assert (stored.etag, stored.next_poll_at) == ('"v2"', later)


@pytest.mark.celery_worker
def test_the_dispatcher_claims_nothing_while_poll_batches_already_wait(settings):
    """Back-pressure: claiming faster than the workers poll would only let the leases lapse."""
    broker = redis.Redis.from_url(BROKER)
    queue = f"dispatch-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_BROKER_URL = BROKER
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    settings.CELERY_TASK_ROUTES = {}
    settings.PODINDEX_DISPATCH_MAX_WAITING = 3
    due = ShowFactory(next_poll_at=timezone.now() - timedelta(minutes=1))
    broker.rpush(queue, *[b"{}"] * 3)
    try:
        assert tasks.poll_due_shows.apply().get() == 0
        due.refresh_from_db()
        assert due.next_poll_at < timezone.now()  # not claimed

        broker.delete(queue)
        # The site's Celery app is eager in tests: the batch it queues runs here.
        assert tasks.poll_due_shows.apply().get() == 1
    finally:
        broker.delete(queue)


def _unchanged_in_batch(feed_server, count):
    """`count` ingested shows, each polled unchanged with its writes left in one batch."""
    shows = [added(feed_server, path=f"/{n}.xml", etag=ETAG) for n in range(count)]
    batch = store.UnchangedBatch()
    fetches = []
    for show in shows:
        fetched = fetch_feed(show)
        fetches.append(store.record_unchanged(show, fetched, timezone.now(), 5, batch=batch))
    return shows, batch, fetches


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writes each poll at once")
def test_it_writes_a_batch_of_unchanged_polls_in_one_statement(
    feed_server, django_assert_max_num_queries
):
    shows, batch, fetches = _unchanged_in_batch(feed_server, 3)
    assert all(fetch.pk is None for fetch in fetches)

    with django_assert_max_num_queries(3) as queries:
        written = batch.write()

    # The savepoint around it is the test's transaction's (a worker runs in autocommit).
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(statements) == 1
    assert statements[0].startswith("WITH polls")

    assert [(show.pk, fetch.pk) for show, fetch in written] == [
        (show.pk, fetch.pk) for show, fetch in zip(shows, fetches, strict=True)
    ]
    for show, fetch in zip(shows, fetches, strict=True):
        assert FeedFetch.objects.get(pk=fetch.pk).show_id == show.pk
        stored = Show.objects.get(pk=show.pk)
        assert stored.last_fetch_status == Show.FetchStatus.NOT_MODIFIED
        assert stored.next_poll_at == show.next_poll_at


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writes each poll at once")
def test_batches_of_any_size_are_one_sql_text(feed_server):
    """One parameter per column, not per value: psycopg parses a text it has seen once only."""
    shows, batch, _ = _unchanged_in_batch(feed_server, 3)
    # Validators as servers send them: quotes, commas, backslashes and braces go through arrays.
    odd = ['W/"a,b"', 'x\\"{y}"', ""]
    for show, etag in zip(shows, odd, strict=True):
        show.etag, show.last_modified = etag, "Sun, 06 Dec 2026 10:00:00 GMT"
    single = store.UnchangedBatch()
    single.add(*batch.waiting.pop(shows[0].pk))

    texts = []

    def record(execute, sql, params, many, context):
        texts.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        single.write()
        batch.write()

    texts = [sql for sql in texts if sql.startswith("WITH polls")]
    assert len(texts) == 2
    assert texts[0] == texts[1]
    for show, etag in zip(shows, odd, strict=True):
        stored = Show.objects.get(pk=show.pk)
        assert (stored.etag, stored.last_modified) == (etag, "Sun, 06 Dec 2026 10:00:00 GMT")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writes each poll at once")
def test_it_writes_the_rest_of_a_batch_when_one_show_is_gone(feed_server):
    shows, batch, _ = _unchanged_in_batch(feed_server, 3)
    Show.objects.filter(pk=shows[1].pk).delete()
    with connection.cursor() as cursor:
        # As each statement's own commit checks them in a worker (autocommit).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    written = batch.write()

    assert [fetch is None for _, fetch in written] == [False, True, False]
    assert FeedFetch.objects.filter(status=Show.FetchStatus.NOT_MODIFIED).count() == 2


def test_it_records_every_unchanged_poll_of_a_batch(feed_server):
    shows = [added(feed_server, path=f"/{n}.xml", etag=ETAG) for n in range(12)]
    done = []

    fetches = ingest.poll_many([s.pk for s in shows], on_done=lambda s, f: done.append(f.pk))

    assert sorted(f.show_id for f in fetches) == sorted(s.pk for s in shows)
    assert all(f.status == Show.FetchStatus.NOT_MODIFIED and f.pk for f in fetches)
    assert sorted(done) == sorted(f.pk for f in fetches)
    assert FeedFetch.objects.filter(status=Show.FetchStatus.NOT_MODIFIED).count() == 12
