import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from episodes.models import Episode, Transcript
from episodes.transcripts import fetch
from episodes.transcripts.fetch import TranscriptStatus
from scoring.models import ScoringRun
from shows.models import Show
from tests.factories import CategoryFactory, EpisodeFactory, TranscriptFactory
from tests.factories.feeds import item, rss

pytestmark = pytest.mark.django_db

JSON_TRANSCRIPT = json.dumps(
    {
        "version": "1.0.0",
        "segments": [
            {"speaker": "Jane Host", "startTime": 0, "endTime": 4, "body": "Welcome back."},
            {"speaker": "Omar Guest", "startTime": 4, "endTime": 9, "body": "Glad to be here."},
        ],
    }
)
VTT_TRANSCRIPT = "WEBVTT\n\n00:00.000 --> 00:04.000\n<v Jane Host>Welcome back.\n"


def links(server, *names):
    types = {"json": "application/json", "vtt": "text/vtt", "srt": "application/x-subrip"}
    return [{"url": server.url(f"/t/{name}"), "type": types[name.split(".")[1]]} for name in names]


# Committed for real, as the command runs: transcripts are fetched (eagerly, no broker) once the
# feed's transaction commits, before the command prints its summary.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_add_show_ingests_a_local_feed_and_its_transcripts(feed_server, capsys):
    CategoryFactory(slug="saas-tech", name="SaaS & Tech")
    feed_server.serve("/t/1.json", JSON_TRANSCRIPT, content_type="application/json")
    feed_server.serve("/t/1.vtt", VTT_TRANSCRIPT, content_type="text/vtt")
    feed_server.serve("/t/2.vtt", VTT_TRANSCRIPT, content_type="text/vtt")
    url = feed_server.serve(
        "/feed.xml",
        rss(
            [
                item(1, transcripts=links(feed_server, "1.vtt", "1.json")),
                item(2, transcripts=links(feed_server, "2.vtt")),
                item(3),
            ],
            title="Pricing Power",
        ),
    )

    call_command("add_show", url, "--category", "saas-tech")

    out = capsys.readouterr().out
    assert "Pricing Power" in out
    assert "episodes: 3 (3 new, 0 updated)" in out
    assert "transcripts: 2 stored of 2 linked" in out
    show = Show.objects.get()
    assert [c.slug for c in show.categories.all()] == ["saas-tech"]
    first = Transcript.objects.get(episode__guid="ep-1")
    # JSON is preferred over VTT, and the real names reach the episode page via speaker_names.
    assert first.format == "json"
    assert first.source_url == feed_server.url("/t/1.json")
    assert first.speaker_names == {"A": "Jane Host", "B": "Omar Guest"}
    assert first.display_name("B") == "Omar Guest"
    assert first.source == Transcript.Source.PUBLISHER
    assert Episode.objects.get(guid="ep-1").transcript_status == TranscriptStatus.FETCHED
    assert Episode.objects.get(guid="ep-3").transcript_status == ""
    assert not feed_server.hits("/t/1.vtt")
    # The episode page shows the publisher's transcript under the real speaker names.
    page = Client().get(Episode.objects.get(guid="ep-1").get_absolute_url()).content.decode()
    assert "Omar Guest" in page
    assert "Glad to be here." in page
    # Each stored transcript was handed to scoring after commit.
    assert set(ScoringRun.objects.values_list("episode__guid", flat=True)) == {"ep-1", "ep-2"}


def test_add_show_refuses_an_unknown_category(feed_server):
    with pytest.raises(CommandError, match="Unknown category: nope"):
        call_command("add_show", feed_server.url("/feed.xml"), "--category", "nope")


def test_add_show_reports_a_feed_it_cannot_ingest(feed_server):
    url = feed_server.serve("/feed.xml", "<html><body>Not here</body></html>")
    with pytest.raises(CommandError, match="HTML page"):
        call_command("add_show", url)
    assert Show.objects.get().last_fetch_status == Show.FetchStatus.INVALID


def test_it_falls_back_to_the_next_link_when_the_best_fails(feed_server):
    feed_server.serve("/t/1.srt", "1\n00:00:00,000 --> 00:00:02,000\nAda: Hi there.\n")
    episode = EpisodeFactory(transcript_links=links(feed_server, "missing.json", "1.srt"))

    transcript = fetch.fetch_publisher_transcript(episode)

    assert transcript.format == "srt"
    assert transcript.speaker_names == {"A": "Ada"}
    episode.refresh_from_db()
    assert episode.transcript_status == TranscriptStatus.FETCHED
    assert episode.transcript_error == ""


def test_it_records_why_every_link_failed(feed_server, settings):
    settings.PODINDEX_TRANSCRIPT_MAX_BYTES = 1000
    feed_server.serve("/t/big.vtt", "WEBVTT\n\n" + "00:00.000 --> 00:01.000\nword\n\n" * 100)
    feed_server.serve("/t/bad.json", "{broken", content_type="application/json")
    episode = EpisodeFactory(transcript_links=links(feed_server, "bad.json", "big.vtt", "gone.srt"))

    assert fetch.fetch_publisher_transcript(episode) is None

    episode.refresh_from_db()
    assert episode.transcript_status == TranscriptStatus.FAILED
    lines = episode.transcript_error.splitlines()
    assert len(lines) == 3
    assert "Invalid JSON" in lines[0]
    assert "the limit is 1,000" in lines[1]
    assert "HTTP 404" in lines[2]
    assert not Transcript.objects.exists()


def test_it_refuses_a_transcript_on_a_private_address_when_the_setting_is_off(settings):
    settings.PODINDEX_ALLOW_PRIVATE_URLS = False
    episode = EpisodeFactory(
        transcript_links=[{"url": "http://169.254.169.254/t.vtt", "type": "text/vtt"}]
    )
    assert fetch.fetch_publisher_transcript(episode) is None
    episode.refresh_from_db()
    assert "non-public address" in episode.transcript_error


def test_it_keeps_an_editors_transcript(feed_server):
    feed_server.serve("/t/1.vtt", VTT_TRANSCRIPT)
    episode = EpisodeFactory(transcript_links=links(feed_server, "1.vtt"))
    editor = TranscriptFactory(episode=episode, source=Transcript.Source.EDITOR)

    assert fetch.fetch_publisher_transcript(episode) == editor

    editor.refresh_from_db()
    assert editor.source == Transcript.Source.EDITOR
    assert not feed_server.hits("/t/1.vtt")


def test_it_does_not_rescore_an_unchanged_transcript(
    feed_server, django_capture_on_commit_callbacks
):
    feed_server.serve("/t/1.vtt", VTT_TRANSCRIPT)
    episode = EpisodeFactory(transcript_links=links(feed_server, "1.vtt"))
    with django_capture_on_commit_callbacks() as first:
        fetch.fetch_publisher_transcript(episode)
    with django_capture_on_commit_callbacks() as second:
        fetch.fetch_publisher_transcript(episode)
    assert (len(first), len(second)) == (1, 0)


def test_it_prefers_json_then_vtt_srt_html_text_and_the_shows_language():
    ranked = fetch.ranked_links(
        [
            {"url": "https://a/t.txt", "type": "text/plain"},
            {"url": "https://a/t.html", "type": "text/html"},
            {"url": "https://a/t.srt", "type": "application/srt"},
            {"url": "https://a/t.de.vtt", "type": "text/vtt", "language": "de"},
            {"url": "https://a/t.vtt", "type": "text/vtt", "language": "en-US"},
            {"url": "https://a/t.json", "type": "application/json"},
            {"url": "https://a/t.bin", "type": "application/x-unknown"},
            {"url": "", "type": "application/json"},
        ],
        language="en",
    )
    assert [link["url"].rsplit("/", 1)[1] for link in ranked] == [
        "t.json",
        "t.vtt",
        "t.de.vtt",
        "t.srt",
        "t.html",
        "t.txt",
        "t.bin",
    ]


def test_fetch_transcripts_retries_missing_and_failed_ones(feed_server, capsys):
    failed = EpisodeFactory(
        transcript_links=links(feed_server, "1.vtt"), transcript_status=TranscriptStatus.FAILED
    )
    pending = EpisodeFactory(
        transcript_links=links(feed_server, "2.vtt"), transcript_status=TranscriptStatus.PENDING
    )
    EpisodeFactory(transcript_links=[])
    done = EpisodeFactory(transcript_links=links(feed_server, "3.vtt"))
    TranscriptFactory(episode=done)
    feed_server.serve("/t/1.vtt", VTT_TRANSCRIPT)
    feed_server.serve("/t/2.vtt", VTT_TRANSCRIPT)

    call_command("fetch_transcripts")

    out = capsys.readouterr().out
    assert "2 of 2 transcripts fetched" in out
    assert Transcript.objects.filter(episode__in=[failed, pending]).count() == 2
    assert not feed_server.hits("/t/3.vtt")


def test_fetch_transcripts_can_skip_failed_ones(feed_server, capsys):
    EpisodeFactory(
        transcript_links=links(feed_server, "1.vtt"), transcript_status=TranscriptStatus.FAILED
    )
    call_command("fetch_transcripts", "--skip-failed")
    assert "0 of 0 transcripts fetched" in capsys.readouterr().out
