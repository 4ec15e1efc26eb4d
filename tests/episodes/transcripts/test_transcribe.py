"""Our own transcripts: feed → audio → speech-to-text → scorecard → page, and every bad input."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from episodes.models import Episode, Transcript
from episodes.transcripts import transcribe
from episodes.transcripts.fetch import fetch_publisher_transcript
from scoring.models import Scorecard, ScoringRun
from tests.factories import EpisodeFactory
from tests.factories.audio import INTERVIEW, render, silence_mp3, tools_missing, truncated
from tests.factories.feeds import item, rss

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """The two-voice interview as an MP3 (espeak-ng and ffmpeg, installed by make test)."""
    missing = tools_missing()
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: run scripts/ensure-audio-tools.sh")
    return render(INTERVIEW[:4], tmp_path_factory.mktemp("audio") / "interview.mp3")


@pytest.fixture
def asr_on(settings, tmp_path):
    settings.PODINDEX_ASR_ENABLED = True
    settings.PODINDEX_ASR_TMP_DIR = str(tmp_path)
    return tmp_path / "podindex-audio"


def serve_audio(server, path, body, content_type="audio/mpeg"):
    return server.serve(path, body, content_type=content_type)


def audio_episode(server, body, **kwargs):
    url = serve_audio(server, "/ep.mp3", body, **kwargs)
    return EpisodeFactory(audio_url=url, transcript_links=[])


def test_it_takes_an_mp3_only_episode_from_the_feed_to_a_scored_page_with_speakers(
    feed_server, asr_on, recording, django_capture_on_commit_callbacks
):
    audio_url = serve_audio(feed_server, "/ep-1.mp3", recording.path.read_bytes())
    feed_url = feed_server.serve("/feed.xml", rss([item(1, audio=audio_url)], title="Price Talk"))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("add_show", feed_url, stdout=io.StringIO())

    episode = Episode.objects.get(show__feed_url=feed_url)
    transcript = Transcript.objects.get(episode=episode)
    assert transcript.source == Transcript.Source.ASR
    assert {segment["speaker"] for segment in transcript.segments} == {"A", "B"}
    assert transcript.engine == "local" and transcript.model
    assert transcript.audio_seconds == pytest.approx(recording.duration, abs=1.5)
    assert transcript.real_time_factor > 1
    episode.refresh_from_db()
    assert episode.transcript_status == transcribe.DONE
    assert Scorecard.objects.filter(episode=episode, is_current=True).exists()
    assert episode.score is not None
    page = Client().get(episode.get_absolute_url()).content.decode()
    assert "Transcribed and scored by The B2B Podcast Index. Speech-to-text:" in page
    assert "Speaker A" in page and "Speaker B" in page
    assert list(asr_on.glob("*")) == []


def test_it_names_a_speaker_who_introduces_themself():
    segments = [
        {"speaker": "A", "start": 0.0, "text": "Welcome back. I'm your host, Eric, and with me"},
        {"speaker": "B", "start": 6.0, "text": "Thanks for having me, Eric."},
    ]
    people = [{"name": "Eric Lund", "role": "host"}, {"name": "Maya Ortiz", "role": "guest"}]

    assert transcribe.name_speakers(segments, people) == {"A": "Eric Lund"}


def test_it_names_nobody_when_the_transcript_does_not_say():
    segments = [
        {"speaker": "A", "start": 0.0, "text": "I'm Eric."},
        {"speaker": "B", "start": 4.0, "text": "And I'm Eric too, believe it or not."},
        {"speaker": "C", "start": 600.0, "text": "My name is Maya."},
    ]
    people = [{"name": "Eric Lund"}, {"name": "Maya Ortiz"}]

    # Two labels claim Eric; Maya speaks up only after the opening minutes.
    assert transcribe.name_speakers(segments, people) == {}


def test_it_counts_the_speakers_the_feed_names():
    episode = EpisodeFactory(
        people=[
            {"name": "Eric Lund", "role": "host"},
            {"name": "Maya Ortiz", "role": "guest"},
            {"name": "Sam Producer", "role": "producer"},
        ]
    )
    assert transcribe.speaker_count(episode) == 2
    assert transcribe.speaker_count(EpisodeFactory(people=[])) is None


def test_it_gives_a_long_episode_a_longer_time_limit(settings):
    settings.PODINDEX_ASR_MAX_SECONDS = 4 * 3600
    short = EpisodeFactory(duration_seconds=300)
    long = EpisodeFactory(duration_seconds=3 * 3600)

    assert transcribe.time_limit(short) == transcribe.MIN_TIME_LIMIT
    assert transcribe.time_limit(long) > transcribe.time_limit(short)


@pytest.mark.parametrize(
    ("case", "status", "reason"),
    [
        ("missing", transcribe.FAILED, "download: HTTP 404"),
        ("html", transcribe.UNTRANSCRIBABLE, "unreadable_audio"),
        ("empty", transcribe.UNTRANSCRIBABLE, "unreadable_audio"),
        ("truncated", transcribe.UNTRANSCRIBABLE, "truncated_audio"),
        ("silence", transcribe.UNTRANSCRIBABLE, "no_speech"),
    ],
)
def test_it_records_why_an_episode_could_not_be_transcribed(
    feed_server, asr_on, recording, tmp_path, case, status, reason
):
    bodies = {
        "html": (b"<!doctype html><html><body>Buy our course</body></html>", "text/html"),
        "empty": (b"", "audio/mpeg"),
        "truncated": (truncated(recording.path, tmp_path / "cut.mp3").read_bytes(), "audio/mpeg"),
        "silence": (silence_mp3(tmp_path / "quiet.mp3").read_bytes(), "audio/mpeg"),
    }
    if case == "missing":
        episode = EpisodeFactory(audio_url=feed_server.url("/gone.mp3"), transcript_links=[])
    else:
        body, content_type = bodies[case]
        episode = audio_episode(feed_server, body, content_type=content_type)

    transcript = transcribe.transcribe_episode(episode.pk)

    episode.refresh_from_db()
    assert transcript is None
    assert episode.transcript_status == status
    assert episode.transcript_error.startswith(reason)
    # Unscored rather than scored on garbage, and no audio left behind.
    assert not ScoringRun.objects.filter(episode=episode).exists()
    assert list(asr_on.glob("*")) == []


def test_it_refuses_audio_over_the_size_cap(feed_server, asr_on, recording, settings):
    settings.PODINDEX_AUDIO_MAX_BYTES = 10_000
    episode = audio_episode(feed_server, recording.path.read_bytes())

    assert transcribe.transcribe_episode(episode.pk) is None

    # Permanent: the same file will not shrink by the next hour.
    episode.refresh_from_db()
    assert episode.transcript_status == transcribe.UNTRANSCRIBABLE
    assert episode.asr_retry_at is None
    assert "download:" in episode.transcript_error
    assert list(asr_on.glob("*")) == []


def test_it_lets_a_publisher_transcript_that_appears_later_replace_ours(
    feed_server, asr_on, recording, django_capture_on_commit_callbacks
):
    episode = audio_episode(feed_server, recording.path.read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        ours = transcribe.transcribe_episode(episode.pk)
    assert ours.source == Transcript.Source.ASR
    runs_before = ScoringRun.objects.filter(episode=episode).count()

    vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n<v Dana>We publish our own words now.\n"
    link = feed_server.serve("/t.vtt", vtt, content_type="text/vtt")
    Episode.objects.filter(pk=episode.pk).update(
        transcript_links=[{"url": link, "type": "text/vtt"}]
    )
    episode.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        theirs = fetch_publisher_transcript(episode)

    assert theirs.pk == ours.pk
    assert theirs.source == Transcript.Source.PUBLISHER
    page = Client().get(episode.get_absolute_url()).content.decode()
    assert f"Transcript published by {episode.show.title}" in page
    assert ScoringRun.objects.filter(episode=episode).count() == runs_before + 1
    # Ours is not made again over the publisher's.
    assert transcribe.transcribe_episode(episode.pk).source == Transcript.Source.PUBLISHER
