"""Faults against the real services: Redis going away, workers killed mid-task, two beats.

Each test breaks something a deployment really loses (a cache and broker restarting, a worker
machine dying) and checks what the issue promises: the web keeps serving, tasks come back,
nothing is written twice or half-written.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from celery import Celery
from django.db import connection, connections
from django.utils import timezone

from core.models import QueueHeartbeat
from episodes.models import Episode
from episodes.transcripts.parse import parse_plain_text
from scoring.models import DimensionScore, Scorecard
from shows.ingest.dispatch import claim_due_shows
from shows.ingest.store import create_show
from shows.models import FeedFetch, Show
from tests.factories import EpisodeFactory, ShowFactory, TranscriptFactory, scored_episode
from tests.factories.waiting import wait_for
from tests.scoring.conftest import answer, transcript_text

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Fault Line</title><link>https://faultline.example</link>
<description>Operators on what broke.</description>
{items}
</channel></rss>"""
ITEM = """<item><title>Episode {n}</title><guid>fault-{n}</guid>
<pubDate>Mon, 0{n} Nov 2026 10:00:00 +0000</pubDate>
<enclosure url="https://cdn.faultline.example/{n}.mp3" type="audio/mpeg" length="1000"/></item>"""


def feed(items: int = 3) -> str:
    return FEED.format(items="\n".join(ITEM.format(n=n) for n in range(1, items + 1)))


def sender(broker_url: str) -> Celery:
    """A Celery client of its own, so the site's app keeps its configuration."""
    return Celery(broker=broker_url, set_as_current=False)


# --- Redis down: the web keeps serving -----------------------------------------------------


@pytest.mark.django_db
def test_it_serves_pages_and_keeps_writing_while_the_cache_is_down(client, settings, private_redis):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": private_redis.url + "/1",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SITE_URL = "http://testserver"
    episode = scored_episode(title="Pricing in public")
    pages = ["/", "/shows/", episode.show.get_absolute_url(), episode.get_absolute_url(), "/rss/"]
    assert [client.get(page).status_code for page in pages] == [200] * 5
    assert private_redis.client(1).dbsize() > 0  # the pages were cached

    private_redis.stop()

    responses = [client.get(page) for page in pages]
    assert [response.status_code for response in responses] == [200] * 5
    assert "Pricing in public" in responses[3].content.decode()
    # Writes bump the content version in the cache: they must not fail with it.
    Episode.objects.filter(pk=episode.pk).set_hidden(True)
    assert client.get(episode.get_absolute_url()).status_code == 404

    private_redis.start()
    Episode.objects.filter(pk=episode.pk).set_hidden(False)
    assert client.get(episode.get_absolute_url()).status_code == 200
    assert private_redis.client(1).keys("*podindex:page:*")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tasks_resume_after_the_broker_is_down_for_30_seconds(
    client, settings, private_redis, workers
):
    broker = private_redis.url + "/0"
    settings.CELERY_BROKER_URL = broker
    settings.CELERY_TASK_ROUTES = {}
    workers("default")
    app = sender(broker)

    def heartbeat_answered_since(moment):
        return QueueHeartbeat.objects.filter(queue="default", answered_at__gte=moment).exists()

    before = timezone.now()
    app.send_task("core.tasks.heartbeat", args=["default", before.isoformat()], queue="default")
    assert wait_for(lambda: heartbeat_answered_since(before))

    private_redis.stop()
    outage_ends = time.monotonic() + 30
    health = client.get("/health/")
    assert health.status_code == 200
    assert health.json()["broker"] == "unavailable"
    assert client.get("/").status_code == 200
    time.sleep(max(0.0, outage_ends - time.monotonic()))
    private_redis.start()

    after = timezone.now()
    sender(broker).send_task(
        "core.tasks.heartbeat", args=["default", after.isoformat()], queue="default"
    )
    assert wait_for(lambda: heartbeat_answered_since(after), seconds=90)


# --- a worker killed mid-task: redelivered, nothing doubled or half-written ------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_poll_killed_mid_fetch_is_redelivered_and_stores_each_episode_once(
    feed_server, private_redis, workers
):
    release = threading.Event()
    body = feed(3).encode()

    def first_request_hangs(request):
        if len(feed_server.hits("/fault.xml")) == 1:
            release.wait(60)
            return
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    show, _ = create_show(feed_server.serve("/fault.xml", handler=first_request_hangs))
    first = workers("default")
    sender(private_redis.url + "/0").send_task(
        "episodes.poll_tasks.poll_show", args=[show.pk], queue="default"
    )
    assert wait_for(lambda: len(feed_server.hits("/fault.xml")) == 1, seconds=30)

    first.kill()
    release.set()
    workers("default")

    stored = wait_for(lambda: Episode.objects.filter(show=show).count() == 3, seconds=90)
    assert stored, (
        len(feed_server.hits("/fault.xml")),
        list(FeedFetch.objects.filter(show=show).values_list("status", "error")),
    )
    time.sleep(1)  # anything written twice would land now
    assert sorted(Episode.objects.filter(show=show).values_list("guid", flat=True)) == [
        "fault-1",
        "fault-2",
        "fault-3",
    ]
    assert len(feed_server.hits("/fault.xml")) == 2
    assert FeedFetch.objects.filter(show=show, status=Show.FetchStatus.OK).count() == 1


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_scoring_run_killed_mid_call_leaves_no_half_scorecard_and_scores_once_redelivered(
    fake_llm, private_redis, workers
):
    episode = EpisodeFactory(title="Pricing in public")
    TranscriptFactory(
        episode=episode, segments=parse_plain_text(transcript_text("operator_interview.txt"))
    )
    fake_llm.hang(60)
    fake_llm.answer(answer())
    llm_env = {
        "PODINDEX_SCORING_MODEL": "openai/fake-scorer",
        "PODINDEX_SCORING_API_BASE": fake_llm.url,
        "PODINDEX_SCORING_API_KEY": "test-key",
        "PODINDEX_SCORING_TIMEOUT": "120",
        "PODINDEX_SCORING_CONTEXT_TOKENS": "0",
        "PODINDEX_SCORING_PRICE_INPUT_PER_MTOK": "1",
        "PODINDEX_SCORING_PRICE_OUTPUT_PER_MTOK": "4",
    }
    first = workers("scoring", **llm_env)
    sender(private_redis.url + "/0").send_task(
        "scoring.tasks.score_episode", args=[episode.pk], queue="scoring"
    )
    assert wait_for(lambda: len(fake_llm.requests) == 1, seconds=60)

    first.kill()
    assert not Scorecard.objects.filter(episode=episode).exists()
    workers("scoring", **llm_env)

    assert wait_for(lambda: Scorecard.objects.filter(episode=episode).exists(), seconds=120)
    time.sleep(1)
    scorecard = Scorecard.objects.get(episode=episode)
    assert scorecard.is_current
    assert DimensionScore.objects.filter(scorecard=scorecard).count() == 5
    assert len(fake_llm.requests) == 2
    episode.refresh_from_db()
    assert episode.score == scorecard.total


# --- two beats at once: no show dispatched twice ---------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_dispatchers_at_once_claim_each_due_show_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT … FOR UPDATE SKIP LOCKED) are PostgreSQL's")
    due = timezone.now() - timedelta(minutes=1)
    shows = [ShowFactory(next_poll_at=due) for _ in range(300)]
    start = threading.Barrier(2)

    def dispatch():
        start.wait()
        try:
            return claim_due_shows(limit=200)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        claims = [future.result() for future in [pool.submit(dispatch) for _ in range(2)]]

    assert not set(claims[0]) & set(claims[1])
    assert sorted(claims[0] + claims[1]) == sorted(show.pk for show in shows)


# --- many workers, one cycle: every feed fetched once -----------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_four_workers_and_four_dispatchers_fetch_each_of_500_feeds_once(
    feed_server, private_redis, workers
):
    due = timezone.now() - timedelta(minutes=1)
    shows = [
        ShowFactory(
            feed_url=feed_server.serve(f"/many/{n}.xml", feed(1).replace("fault-1", f"many-{n}")),
            next_poll_at=due,
        )
        for n in range(500)
    ]
    # Not a redelivery test: the 3-second visibility timeout those need would hand a batch that
    # a busy machine takes longer to poll to a second worker, which fetches its feeds again.
    for _ in range(4):
        workers("default", CELERY_VISIBILITY_TIMEOUT="120")
    app = sender(private_redis.url + "/0")

    # Four beats dispatching at the same moment: each due show is claimed by one of them.
    for _ in range(4):
        app.send_task("episodes.poll_tasks.poll_due_shows", queue="default")

    polled = FeedFetch.objects.filter(show__in=shows)
    assert wait_for(lambda: polled.count() >= 500, seconds=180), polled.count()
    time.sleep(2)  # a second fetch of any feed would land now
    hits = [len(feed_server.hits(f"/many/{n}.xml")) for n in range(500)]
    assert hits == [1] * 500
    assert polled.count() == 500
    assert Episode.objects.filter(show__in=shows).count() == 500
