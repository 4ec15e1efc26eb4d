"""One episode's transcript links cost at most what one ordinary episode may: a few links, one
deadline for all of them, and a worker's request to stop is obeyed."""

import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from episodes.transcripts import fetch
from episodes.transcripts.fetch import TranscriptStatus
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


def slow_links(server, count, delay):
    for n in range(count):
        server.serve(f"/slow/{n}.vtt", b"x", content_type="text/vtt", status=500, delay=delay)
    return [{"url": server.url(f"/slow/{n}.vtt"), "type": "text/vtt"} for n in range(count)]


def test_it_tries_at_most_a_few_of_a_thousand_links(feed_server):
    episode = EpisodeFactory(transcript_links=slow_links(feed_server, 1000, 0))

    assert fetch.fetch_publisher_transcript(episode) is None

    tried = [r for r in feed_server.requests if r["path"].startswith("/slow/")]
    assert len(tried) == fetch.MAX_LINKS
    episode.refresh_from_db()
    assert episode.transcript_status == TranscriptStatus.FAILED


def test_it_tries_all_the_links_of_an_episode_within_one_deadline(feed_server, settings):
    settings.PODINDEX_TRANSCRIPT_EPISODE_SECONDS = 1.5
    episode = EpisodeFactory(transcript_links=slow_links(feed_server, 5, 1.0))

    started = time.monotonic()
    assert fetch.fetch_publisher_transcript(episode) is None
    elapsed = time.monotonic() - started

    # Five links of a second each would take five seconds with a deadline per link.
    assert elapsed < 3.0
    episode.refresh_from_db()
    assert "time for its links ran out" in episode.transcript_error


def test_it_lets_a_soft_time_limit_stop_the_task(feed_server, monkeypatch):
    episode = EpisodeFactory(transcript_links=slow_links(feed_server, 2, 0))

    def stop(*args, **kwargs):
        # What Celery raises inside the task when its soft time limit passes (a signal).
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(fetch.http, "fetch", stop)

    with pytest.raises(SoftTimeLimitExceeded):
        fetch.fetch_publisher_transcript(episode)
