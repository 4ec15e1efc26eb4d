"""The transcript and transcription queues against real Redis (db 9, which no other test uses):
a feed's transcript fetches cannot stop the polls, and transcriptions reach the broker a few
at a time, in order, each topping up the queue when it ends."""

import json
import os
from datetime import timedelta

import kombu.pools
import pytest
import redis
from django.db import connections
from django.utils import timezone

from episodes import tasks
from episodes.feed_items import queue_transcript_fetches
from episodes.models import Episode, TranscriptionCharge
from episodes.poll_tasks import poll_due_shows
from episodes.transcripts import transcribe
from podindex.celery import app
from shows.models import Show
from tests.factories import EpisodeFactory, ShowFactory
from tests.factories.waiting import wait_for

REDIS_URL = os.environ.get("PODINDEX_TEST_QUEUES_REDIS_URL", "redis://127.0.0.1:6379/9")


def reset_connections():
    """Drop pooled broker connections, so the next message goes to the current broker_url."""
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(settings):
    """Eager mode off, every message to Redis db 9 (emptied before and after)."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    client.flushdb()
    # Saved before the settings change: the app may read them for the first time here.
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    settings.CELERY_BROKER_URL = REDIS_URL
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(broker_url=REDIS_URL, task_always_eager=False)
    reset_connections()
    yield client
    app.conf.update(saved)
    reset_connections()
    client.flushdb()


@pytest.mark.django_db
def test_it_keeps_polling_other_shows_while_a_feeds_transcript_fetches_wait(broker):
    # One feed's 5,000 items, every one linking a transcript: 201 messages waiting.
    queue_transcript_fetches(list(range(1, 5001)))
    for episode_id in range(200):
        tasks.fetch_transcript.delay(episode_id)
    due = ShowFactory(next_poll_at=timezone.now() - timedelta(minutes=1))

    dispatched = poll_due_shows()

    assert broker.llen("fetches") == 400
    assert dispatched == 1
    assert broker.llen("default") == 1
    assert Show.objects.get(pk=due.pk).next_poll_at > timezone.now()


@pytest.mark.django_db
def test_it_hands_the_workers_a_few_transcriptions_at_a_time_with_their_time_limits(
    broker, settings
):
    settings.PODINDEX_ASR_ENABLED = True
    settings.PODINDEX_ASR_MAX_QUEUED = 3
    episodes = [
        EpisodeFactory(
            asr_wanted=True, transcript_status=transcribe.WAITING, duration_seconds=3600 + n
        )
        for n in range(10)
    ]

    assert tasks.dispatch_transcriptions() == 3
    assert tasks.dispatch_transcriptions() == 0

    messages = [json.loads(raw) for raw in broker.lrange("transcripts", 0, -1)]
    assert len(messages) == 3
    limits = sorted(tuple(message["headers"]["timelimit"]) for message in messages)
    assert limits == [(3600 + n, 3600 + n - 30) for n in (0, 1, 2)]
    queued = Episode.objects.filter(transcript_status=transcribe.QUEUED)
    assert {e.pk for e in queued} == {e.pk for e in episodes[:3]}
    # The lease outlasts the time limit: a lost message is handed out again after it.
    assert all(e.asr_retry_at > timezone.now() + timedelta(seconds=3600) for e in queued)
    assert TranscriptionCharge.objects.count() == 3


@pytest.fixture
def transcription_worker(broker):
    from celery.contrib.testing.worker import start_worker

    db_settings = connections.settings["default"]
    max_age, db_settings["CONN_MAX_AGE"] = db_settings["CONN_MAX_AGE"], 0
    try:
        with start_worker(
            app, queues=["transcripts"], pool="solo", loglevel="WARNING", perform_ping_check=False
        ) as worker:
            yield worker
    finally:
        db_settings["CONN_MAX_AGE"] = max_age


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_tops_up_the_queue_after_each_transcription(
    transcription_worker, feed_server, settings, tmp_path
):
    settings.PODINDEX_ASR_ENABLED = True
    settings.PODINDEX_ASR_TMP_DIR = str(tmp_path)
    settings.PODINDEX_ASR_MAX_QUEUED = 1
    episodes = [
        EpisodeFactory(
            asr_wanted=True,
            transcript_status=transcribe.WAITING,
            audio_url=feed_server.url(f"/gone-{n}.mp3"),
        )
        for n in range(3)
    ]

    assert tasks.dispatch_transcriptions() == 1

    def all_tried():
        # Each attempt's status is written before the task settles its charge: wait for both.
        statuses = set(Episode.objects.values_list("transcript_status", flat=True))
        unsettled = TranscriptionCharge.objects.filter(settled_at__isnull=True).exists()
        return statuses == {transcribe.FAILED} and not unsettled

    assert wait_for(all_tried, seconds=60)
    assert [len(feed_server.hits(f"/gone-{n}.mp3")) for n in range(3)] == [1, 1, 1]
    charges = TranscriptionCharge.objects.all()
    assert len(charges) == 3 and all(c.settled_at and c.audio_seconds == 0 for c in charges)
    assert {e.asr_attempts for e in Episode.objects.filter(pk__in=[e.pk for e in episodes])} == {1}
