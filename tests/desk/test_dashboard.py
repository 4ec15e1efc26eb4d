"""The dashboard: failing feeds, queues, spend, flagged scorecards; demo shows said as such."""

import os
from datetime import timedelta

import pytest
import redis
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone
from kombu import Connection

from browse.management.commands.demo import NEVER
from core.queues import queue_lengths
from scoring.models import EditorialOverride, Scorecard, ScoringRun
from shows.models import Show
from tests.factories import EpisodeFactory, ShowFactory, scored_episode

pytestmark = pytest.mark.django_db
DASHBOARD = "admin:desk_dashboard_changelist"
# A Redis database no other test uses (the Celery tests use 13 and 14).
REDIS_URL = os.environ.get("PODINDEX_TEST_DESK_REDIS_URL", "redis://127.0.0.1:6379/12")


def section(client, name):
    page = BeautifulSoup(client.get(reverse(DASHBOARD)).content, "html.parser")
    return page.find(id=name).get_text(" ", strip=True)


def test_it_lists_failing_feeds_with_their_error_and_next_poll(editor_client):
    soon = timezone.now() + timedelta(hours=2)
    ShowFactory(
        title="Broken Feed",
        last_fetch_status=Show.FetchStatus.HTTP_ERROR,
        last_error="HTTP 500 from the server.",
        consecutive_failures=3,
        next_poll_at=soon,
    )
    ShowFactory(title="Healthy Feed", last_fetch_status=Show.FetchStatus.OK)

    feeds = section(editor_client, "feeds")

    assert "Broken Feed" in feeds and "HTTP 500 from the server." in feeds
    assert "HTTP error" in feeds and str(soon.year) in feeds
    assert "Healthy Feed" not in feeds


def test_demo_shows_read_demo_show_not_polled(editor_client):
    # Parked the way the demo command parks its shows (loading the demo takes far longer).
    for title in ("Org Chart Therapy", "Pipeline Party"):
        ShowFactory(title=title, next_poll_at=NEVER, complete=True)
    feeds = section(editor_client, "feeds")
    assert "Demo shows (not polled)" in feeds
    assert "9999" not in feeds
    page = editor_client.get(reverse("admin:shows_show_changelist")).content
    shows = BeautifulSoup(page, "html.parser").select_one("#result_list").get_text(" ")
    assert shows.count("Demo show (not polled)") == Show.objects.count()
    assert "9999" not in shows and "Not fetched yet" not in shows


def test_without_a_broker_it_says_tasks_run_inline(editor_client, settings):
    settings.CELERY_BROKER_URL = ""
    assert "Tasks run inline (no broker)" in section(editor_client, "queues")


def test_it_reads_queue_lengths_from_the_broker(editor_client, settings):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    redis.Redis.from_url(REDIS_URL).delete("scoring", "default")
    with Connection(REDIS_URL) as connection:
        queue = connection.SimpleQueue("scoring")
        for n in range(3):
            queue.put({"n": n})
        queue.close()
    try:
        counts = queue_lengths(REDIS_URL).counts
        assert counts.pop("scoring") == 3
        assert set(counts.values()) == {0}  # default, and any other routed queue
        settings.CELERY_BROKER_URL = REDIS_URL
        queues = section(editor_client, "queues")
        assert "Scoring (scoring) 3 waiting" in queues
    finally:
        redis.Redis.from_url(REDIS_URL).delete("scoring", "default")


def test_an_unreachable_broker_is_reported_not_raised(editor_client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    assert "Could not read the broker" in section(editor_client, "queues")


def test_it_shows_todays_spend_against_the_budget(editor_client, settings):
    settings.PODINDEX_DAILY_LLM_BUDGET_USD = 2.0
    episode = EpisodeFactory()
    ScoringRun.objects.create(episode=episode, engine="llm", rubric_version=1, cost_usd="0.75")
    assert "$0.75 of $2.00" in section(editor_client, "spend")


def test_it_counts_failed_scoring_and_transcripts(editor_client):
    episode = EpisodeFactory(
        title="No words", transcript_status="failed", transcript_error="HTTP 404 for the file."
    )
    ScoringRun.objects.create(
        episode=episode, engine="llm", rubric_version=1, outcome="failed", error="Bad JSON."
    )
    scoring, transcripts = section(editor_client, "scoring"), section(editor_client, "transcripts")
    assert "1 failed run" in scoring and "Bad JSON." in scoring
    assert "1 failed" in transcripts and "HTTP 404 for the file." in transcripts


def test_it_flags_clamped_unsupported_and_far_corrected_scorecards(editor_client, editor):
    quote = [{"text": "A real sentence from the episode.", "speaker": "A", "verified": True}]
    clean = scored_episode(title="Clean one", quotes=quote)
    clamped = scored_episode(title="Clamped one", quotes=quote)
    card = clamped.scorecards.get(is_current=True)
    card.dimensions.filter(dimension__key="originality").update(clamped=True, needs_review=True)
    Scorecard.objects.filter(pk=card.pk).update(needs_review=True)
    corrected = scored_episode(title="Corrected one", quotes=quote, scores=(10, 10, 10, 10, 10))
    EditorialOverride.objects.record(
        episode=corrected, dimension=None, editor=editor, score=90, reason="Far better."
    )

    flagged = section(editor_client, "flagged")

    assert "Clamped one" in flagged and "Clamped: Originality" in flagged
    assert "Corrected one" in flagged and "Total: corrected 50 → 90" in flagged
    assert clean.title not in flagged
