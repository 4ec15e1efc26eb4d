"""Files that are not usable speech each fail with the status the caller records."""

import tracemalloc

import numpy as np
import pytest

from episodes.asr import audio
from episodes.asr.errors import (
    AsrError,
    NoSpeech,
    TooLarge,
    TooLong,
    TruncatedAudio,
    UnreadableAudio,
    UnsupportedCodec,
)
from episodes.asr.pipeline import transcribe_file
from tests.factories.audio import (
    INTERVIEW,
    corrupted,
    music_mp3,
    render,
    silence_mp3,
    truncated,
    unknown_codec_wav,
    video_without_audio,
)


def status_of(path) -> str:
    with pytest.raises(AsrError) as caught:
        transcribe_file(path, engine="local")
    return caught.value.status


def test_it_calls_an_empty_file_unreadable(tmp_path):
    empty = tmp_path / "episode.mp3"
    empty.write_bytes(b"")
    with pytest.raises(UnreadableAudio, match="empty"):
        transcribe_file(empty, engine="local")


def test_it_calls_an_html_page_unreadable(tmp_path):
    page = tmp_path / "episode.mp3"
    page.write_text("<!DOCTYPE html>\n<html><body><h1>Sign in to listen</h1></body></html>")
    with pytest.raises(UnreadableAudio, match="HTML"):
        transcribe_file(page, engine="local")


def test_it_calls_random_bytes_unreadable(tmp_path):
    noise = tmp_path / "episode.mp3"
    noise.write_bytes(np.random.default_rng(3).integers(0, 256, 200_000, np.uint8).tobytes())
    assert status_of(noise) == "unreadable_audio"


def test_it_calls_a_download_cut_short_truncated(interview, tmp_path):
    cut = truncated(interview.path, tmp_path / "cut.mp3", keep=0.4)
    with pytest.raises(TruncatedAudio, match="cut short"):
        transcribe_file(cut, engine="local")
    assert status_of(cut) == "truncated_audio"


def test_it_calls_an_mp3_full_of_garbage_unreadable(interview, tmp_path):
    damaged = corrupted(interview.path, tmp_path / "damaged.mp3")
    with pytest.raises(UnreadableAudio, match="corrupt"):
        transcribe_file(damaged, engine="local")


def test_it_names_a_codec_it_cannot_decode(interview, tmp_path):
    odd = unknown_codec_wav(interview.wav_path, tmp_path / "odd.wav")
    with pytest.raises(UnsupportedCodec):
        transcribe_file(odd, engine="local")
    assert status_of(odd) == "unsupported_codec"


def test_it_finds_no_audio_in_a_silent_video(tmp_path):
    mute = video_without_audio(tmp_path / "mute.mp4")
    with pytest.raises(UnreadableAudio, match="no audio stream"):
        transcribe_file(mute, engine="local")


def test_it_finds_no_speech_in_silence(audio_dir):
    with pytest.raises(NoSpeech, match="silent"):
        transcribe_file(silence_mp3(audio_dir / "silence.mp3"), engine="local")


def test_it_finds_no_speech_in_music(audio_dir):
    with pytest.raises(NoSpeech, match="music"):
        transcribe_file(music_mp3(audio_dir / "music.mp3"), engine="local")


def test_it_refuses_audio_longer_than_the_limit_before_decoding_it(interview, settings):
    settings.PODINDEX_ASR_MAX_SECONDS = 60
    with pytest.raises(TooLong, match="82 s long; the limit is 60 s"):
        transcribe_file(interview.path, engine="local")


def test_it_stops_decoding_past_the_limit_when_the_header_gives_no_length(interview, monkeypatch):
    monkeypatch.setattr(audio, "declared_seconds", lambda container, stream: 0.0)
    with pytest.raises(TooLong, match="over"):
        audio.load_audio(interview.path, max_seconds=30)


def test_it_refuses_a_file_over_the_byte_limit(interview, settings):
    settings.PODINDEX_AUDIO_MAX_BYTES = 100_000
    with pytest.raises(TooLarge) as caught:
        transcribe_file(interview.path, engine="local")
    assert caught.value.status == "too_large"


def test_it_reports_a_missing_file_as_unreadable(tmp_path):
    with pytest.raises(UnreadableAudio, match="Cannot read"):
        transcribe_file(tmp_path / "gone.mp3", engine="local")


def test_it_decodes_into_one_array_the_size_of_the_audio(audio_dir):
    # Four minutes: a list of decoded frames joined at the end would need twice the samples.
    long = render(INTERVIEW, audio_dir / "four-minutes.mp3", repeat=3)
    samples_bytes = long.duration * audio.SAMPLE_RATE * 4
    tracemalloc.start()
    try:
        samples = audio.load_audio(long.path, max_seconds=3600)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert samples.size / audio.SAMPLE_RATE == pytest.approx(long.duration, abs=0.2)
    assert peak < 1.25 * samples_bytes
