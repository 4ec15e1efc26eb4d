"""manage.py transcribe: a readable transcript, or exactly the JSON the pipeline stores."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.factories.audio import silence_mp3


def run(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("transcribe", *map(str, args), stdout=out, stderr=err)
    return out.getvalue()


def test_it_prints_exactly_language_duration_and_segments_as_json(short_clip):
    printed = json.loads(run(short_clip.path, "--json", "--speakers", "2", "--engine", "local"))
    assert list(printed) == ["language", "duration", "segments"]
    assert printed["language"] == "en"
    assert printed["duration"] == pytest.approx(short_clip.duration, abs=0.1)
    assert [s["speaker"] for s in printed["segments"]] == ["A", "B"]
    for segment in printed["segments"]:
        assert list(segment) == ["speaker", "start", "end", "text"]
        assert isinstance(segment["start"], float) and isinstance(segment["end"], float)
    assert printed["segments"][0]["text"].startswith("Welcome back to the show.")


def test_it_prints_a_readable_transcript_with_times_and_speakers(short_clip):
    lines = run(short_clip.path).splitlines()
    assert lines[0].startswith("[00:00] Speaker A: Welcome back to the show.")
    assert lines[-1].startswith("[00:13] Speaker B: Thanks for having me")


def test_it_downloads_a_url_through_the_guarded_http_seam(short_clip, feed_server):
    url = feed_server.serve("/episode.mp3", short_clip.path.read_bytes(), content_type="audio/mpeg")
    printed = json.loads(run(url, "--json"))
    assert printed["segments"][0]["text"].startswith("Welcome back to the show.")
    assert feed_server.hits("/episode.mp3")


def test_it_reports_a_failed_download(feed_server):
    url = feed_server.serve("/missing.mp3", b"gone", status=404, content_type="text/plain")
    with pytest.raises(CommandError, match="Cannot download"):
        run(url)


def test_it_names_the_status_of_audio_it_cannot_transcribe(audio_dir):
    with pytest.raises(CommandError, match=r"^no_speech: The audio is silent"):
        run(silence_mp3(audio_dir / "quiet.mp3"))


def test_it_says_when_the_file_does_not_exist(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "nothing.mp3")
