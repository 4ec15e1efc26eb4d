"""The poller through a real Celery worker on Redis: beat's dispatcher, then one poll per show."""

import os
import uuid
from datetime import timedelta

import kombu.pools
import pytest
from django.db import connections
from django.utils import timezone

from episodes.poll_tasks import poll_due_shows
from podindex.celery import app
from scoring.tasks import recompute_rankings
from shows.models import Show
from tests.factories import ShowFactory, scored_episode
from tests.factories.feeds import item, rss
from tests.factories.waiting import wait_for

REDIS_URL = os.environ.get("PODINDEX_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def reset_connections():
    """Drop pooled broker connections, so the next message goes to the current broker_url."""
    # kombu keeps pools per broker URL in module-level registries; reset() empties those too.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_worker():
    """A worker thread consuming a private queue on Redis, with eager mode off meanwhile."""
    from celery.contrib.testing.worker import start_worker

    queue = f"ingest-test-{uuid.uuid4().hex[:8]}"
    saved = {
        key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")
    }
    app.conf.update(
        broker_url=REDIS_URL,
        task_always_eager=False,
        task_default_queue=queue,
    )
    reset_connections()
    # The worker thread opens its own connection; closing it after each task lets the test
    # database be flushed and dropped afterwards.
    db_settings = connections.settings["default"]
    max_age, db_settings["CONN_MAX_AGE"] = db_settings["CONN_MAX_AGE"], 0
    try:
        # No ping check: it needs a result backend, and the tasks here keep no results.
        with start_worker(
            app, queues=[queue], pool="solo", loglevel="WARNING", perform_ping_check=False
        ) as worker:
            yield worker
    finally:
        db_settings["CONN_MAX_AGE"] = max_age
        app.conf.update(saved)
        reset_connections()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_polls_due_shows_through_redis(feed_server, redis_worker):
    past = timezone.now() - timedelta(minutes=1)
    due = ShowFactory(feed_url=feed_server.serve("/a.xml", rss([item(1), item(2)])), title="")
    broken = ShowFactory(feed_url=feed_server.url("/missing.xml"), next_poll_at=past)
    later = ShowFactory(
        feed_url=feed_server.serve("/b.xml", rss([item(1)])),
        next_poll_at=timezone.now() + timedelta(hours=1),
    )
    Show.objects.filter(pk=due.pk).update(next_poll_at=past)

    poll_due_shows.delay()

    def polled():
        statuses = dict(Show.objects.values_list("pk", "last_fetch_status"))
        return (
            statuses[due.pk] != Show.FetchStatus.NEW and statuses[broken.pk] != Show.FetchStatus.NEW
        )

    assert wait_for(polled)
    due.refresh_from_db()
    assert due.last_fetch_status == Show.FetchStatus.OK
    assert due.episodes.count() == 2
    assert due.next_poll_at > timezone.now()
    assert Show.objects.get(pk=broken.pk).last_fetch_status == Show.FetchStatus.HTTP_ERROR
    assert Show.objects.get(pk=later.pk).last_fetch_status == Show.FetchStatus.NEW
    assert not feed_server.hits("/b.xml")


@pytest.mark.django_db
def test_it_recomputes_rankings_nightly(settings):
    settings.PODINDEX_RANKING_MIN_EPISODES = 2
    show = scored_episode().show
    show.refresh_from_db()
    assert show.rank is None  # one scored episode, below the minimum
    # The minimum is lowered: nothing is scored, only the nightly pass ranks the show.
    settings.PODINDEX_RANKING_MIN_EPISODES = 1
    recompute_rankings.delay()
    show.refresh_from_db()
    assert show.rank == 1
    assert settings.CELERY_BEAT_SCHEDULE["recompute-rankings"]["task"] == recompute_rankings.name
