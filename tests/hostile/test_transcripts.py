"""Items 2, 7 and 8 of issue 11 for transcripts: linear parsing, crashes recorded as
"unparseable" with the next link tried, and formats that fall back in order."""

from functools import partial

import pytest
from django.core.management import call_command

from episodes.models import Episode, Transcript
from episodes.transcripts import fetch
from episodes.transcripts.fetch import TranscriptStatus
from episodes.transcripts.parse import TranscriptError, parse_transcript
from tests.factories import EpisodeFactory
from tests.hostile import payloads
from tests.hostile.conftest import cpu_seconds, measure

# A hostile transcript may cost at most this many times the CPU of a normal one of its size.
CPU_RATIO = 10
# The timer's granularity and the interpreter's noise, for inputs that take milliseconds.
CPU_SLACK = 0.05

CRASHERS = {
    # Before: RecursionError, StopIteration, AssertionError, a float("inf") start that the
    # database refused (IntegrityError), IndexError.
    "deep_json": payloads.deep_json,
    "more_than_286_speakers": payloads.many_speakers_json,
    "html_marked_section": payloads.html_marked_section,
    "start_time_1e999": payloads.infinite_start_json,
    "arrow_first": payloads.arrow_first_text,
}
VTT = b"WEBVTT\n\n00:00.000 --> 00:04.000\n<v Jane Host>Welcome back.\n"


def test_html_of_repeated_open_tags_parses_in_linear_time():
    # Before: html.parser on Python 3.13.0 is quadratic here (20 KB: 8.1 s; 120 KB: minutes).
    hostile = payloads.html_open_tags(120_000)
    normal = payloads.normal_html_transcript(len(hostile))
    parse_html = partial(parse_transcript, content_type="text/html")

    cost = measure(parse_html, hostile)

    assert cost.error is None or isinstance(cost.error, TranscriptError), cost.error
    assert cpu_seconds(parse_html, hostile) <= CPU_RATIO * cpu_seconds(parse_html, normal) + (
        CPU_SLACK
    )
    assert cost.peak_mb < 50


@pytest.mark.parametrize("name", sorted(CRASHERS))
def test_a_crashing_input_is_parsed_or_refused_with_a_reason(name):
    try:
        parsed = parse_transcript(CRASHERS[name]())
    except TranscriptError as exc:
        assert str(exc)
        return
    assert parsed.segments
    for segment in parsed.segments:
        assert segment["start"] is None or 0 <= segment["start"] < 10**6


def test_more_than_286_speakers_each_get_a_label():
    parsed = parse_transcript(payloads.many_speakers_json(300))
    labels = [s["speaker"] for s in parsed.segments]
    assert len(set(labels)) == 300
    assert labels[:3] == ["A", "B", "C"] and labels[26] == "AA"


@pytest.fixture
def episode():
    return EpisodeFactory(transcript_links=[], transcript_status=TranscriptStatus.PENDING)


def link(server, path, body, content_type):
    server.serve(path, body, content_type=content_type)
    return {"url": server.url(path), "type": content_type}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CRASHERS))
def test_a_bad_link_is_recorded_and_the_next_link_is_tried(server, episode, name):
    episode.transcript_links = [
        link(server, "/t/bad", CRASHERS[name](), "application/json"),
        link(server, "/t/good.vtt", VTT, "text/vtt"),
    ]
    episode.save()

    transcript = fetch.fetch_publisher_transcript(episode)

    episode.refresh_from_db()
    assert transcript is not None, episode.transcript_error
    assert episode.transcript_status == TranscriptStatus.FETCHED
    # The bad file either parsed (its data cleaned) or was passed over for the good one.
    assert transcript.source_url in (server.url("/t/bad"), server.url("/t/good.vtt"))


@pytest.mark.django_db
def test_an_unreadable_transcript_is_recorded_as_unparseable(server, episode):
    episode.transcript_links = [
        link(server, "/t/deep.json", payloads.deep_json(), "application/json"),
        link(server, "/t/empty.vtt", b"WEBVTT\n\nNOTE nothing\n", "text/vtt"),
    ]
    episode.save()

    assert fetch.fetch_publisher_transcript(episode) is None

    episode.refresh_from_db()
    assert episode.transcript_status == TranscriptStatus.UNPARSEABLE
    errors = episode.transcript_error.splitlines()
    assert "deep.json: unparseable" in errors[0] and "nested too deeply" in errors[0]
    assert "empty.vtt: unparseable" in errors[1]


@pytest.mark.django_db
def test_an_infinite_start_time_is_stored_as_unknown(server, episode):
    episode.transcript_links = [link(server, "/t/inf.json", payloads.infinite_start_json(), "")]
    episode.save()

    transcript = fetch.fetch_publisher_transcript(episode)

    transcript.refresh_from_db()
    assert [s["start"] for s in transcript.segments] == [None, 2.0]


@pytest.mark.django_db
def test_fetch_transcripts_goes_on_after_a_bad_episode(server, monkeypatch, capsys):
    bad = EpisodeFactory(
        transcript_links=[link(server, "/t/deep.json", payloads.deep_json(), "application/json")],
        transcript_status=TranscriptStatus.PENDING,
    )
    crash = EpisodeFactory(
        transcript_links=[link(server, "/t/crash.vtt", VTT, "text/vtt")],
        transcript_status=TranscriptStatus.PENDING,
    )
    good = EpisodeFactory(
        transcript_links=[link(server, "/t/good.vtt", VTT, "text/vtt")],
        transcript_status=TranscriptStatus.PENDING,
    )
    real_store = fetch._store_publisher_transcript

    def store(episode, *args):
        if episode.pk == crash.pk:
            raise RuntimeError("a bug in storing")
        return real_store(episode, *args)

    monkeypatch.setattr(fetch, "_store_publisher_transcript", store)

    call_command("fetch_transcripts")

    statuses = dict(Episode.objects.values_list("pk", "transcript_status"))
    assert statuses[bad.pk] == TranscriptStatus.UNPARSEABLE
    assert statuses[crash.pk] == TranscriptStatus.FAILED
    assert statuses[good.pk] == TranscriptStatus.FETCHED
    assert "RuntimeError" in Episode.objects.get(pk=crash.pk).transcript_error
    assert "1 of 3 transcripts fetched." in capsys.readouterr().out


# --- item 8: odd but valid transcripts ------------------------------------------------------


def test_a_text_file_starting_with_a_bracket_falls_back_to_text():
    parsed = parse_transcript(payloads.bracket_text_transcript())

    assert parsed.format == "text"
    assert parsed.detected == "json"
    assert parsed.fallbacks and parsed.fallbacks[0].startswith("json: Invalid JSON")
    assert [(s["speaker"], s["start"]) for s in parsed.segments] == [
        ("A", 1.0),
        ("B", 5.0),
        ("A", 9.0),
    ]
    assert parsed.speaker_names == {"A": "Dana", "B": "Priya"}


def test_a_declared_type_that_does_not_match_falls_back_to_what_reads():
    parsed = parse_transcript(b"Dana: Hello.\nPriya: Hi there.\n", content_type="application/json")
    assert (parsed.detected, parsed.format) == ("json", "text")
    assert [s["speaker"] for s in parsed.segments] == ["A", "B"]


def test_asr_exports_are_read_as_several_speakers():
    parsed = parse_transcript(payloads.asr_export_transcript())

    assert parsed.format == "text"
    assert [(s["speaker"], s["start"], s["text"]) for s in parsed.segments] == [
        ("A", 0.0, "Welcome back to the show."),
        ("B", 4.0, "Glad to be here, thank you."),
        ("A", 9.0, "So tell us about the close."),
        ("B", 12.0, "It takes six days now."),
    ]


def test_bracketed_stamps_with_names_on_their_own_line():
    body = b"[00:00:05] Dana Reyes:\nWelcome.\n[00:00:09] Priya:\nThanks.\n"
    parsed = parse_transcript(body)
    assert [(s["speaker"], s["start"], s["text"]) for s in parsed.segments] == [
        ("A", 5.0, "Welcome."),
        ("B", 9.0, "Thanks."),
    ]
    assert parsed.speaker_names == {"A": "Dana Reyes", "B": "Priya"}


def test_a_sentence_starting_with_a_time_is_not_a_speaker():
    parsed = parse_transcript(b"Dana: We meet at\nTomorrow 10:30 is when we start.\n")
    assert parsed.speaker_names == {"A": "Dana"}
    assert len(parsed.segments) == 1


@pytest.mark.django_db
def test_the_format_that_read_the_file_is_recorded(server, episode):
    episode.transcript_links = [
        link(server, "/t/ep.json", payloads.bracket_text_transcript(), "application/json")
    ]
    episode.save()

    fetch.fetch_publisher_transcript(episode)

    assert Transcript.objects.get(episode=episode).format == "text"
