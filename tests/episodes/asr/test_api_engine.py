"""The api engine against a local OpenAI-compatible server that litellm really calls."""

import itertools

import pytest

from episodes.asr import audio
from episodes.asr.engines import ApiEngine, get_engine
from episodes.asr.errors import NoSpeech, ProviderError, ProviderTimeout
from episodes.asr.pipeline import transcribe_file
from tests.factories.audio import (
    labelled_words,
    music_mp3,
    normalise,
    word_error_rate,
    word_shares,
)

# whisper-1 in litellm's bundled price map: $0.006 a minute.
WHISPER_1_PER_SECOND = 0.0001


def script_words(interview) -> list[str]:
    return [word for _, _, word in interview.timed_words()]


def test_it_sends_pieces_under_the_byte_limit_and_stitches_every_word_once(
    api, interview, interview_samples, settings
):
    transcription = get_engine("api").transcribe(interview_samples)

    assert len(api.answered) >= 5
    assert all(r["bytes"] <= settings.PODINDEX_ASR_API_MAX_CHUNK_BYTES for r in api.requests)
    assert [w.text.strip() for w in transcription.words] == script_words(interview)


def test_it_moves_every_word_to_its_time_in_the_whole_recording(api, interview, interview_samples):
    transcription = get_engine("api").transcribe(interview_samples)
    truth = interview.timed_words()
    assert [round(w.start, 1) for w in transcription.words] == pytest.approx(
        [round(start, 1) for start, _, _ in truth], abs=0.15
    )


def test_it_overlaps_neighbouring_pieces(api, interview_samples):
    get_engine("api").transcribe(interview_samples)
    pieces = sorted((r["start"], r["start"] + r["duration"]) for r in api.answered)
    for (_, end), (next_start, _) in itertools.pairwise(pieces):
        assert next_start < end


def test_it_asks_for_verbose_json_with_word_timestamps(api, interview_samples):
    get_engine("api").transcribe(interview_samples)
    fields = api.requests[0]["fields"]
    assert fields["model"] == ["whisper-1"]
    assert fields["response_format"] == ["verbose_json"]
    assert fields["timestamp_granularities[]"] == ["word", "segment"]


def test_it_keeps_the_punctuation_speaker_changes_snap_to(api, interview_samples):
    transcription = get_engine("api").transcribe(interview_samples)
    assert transcription.segments[0].text == "Welcome back to the show."
    assert transcription.segments[0].words[-1].text == " show."


def test_it_spreads_the_words_of_a_provider_without_timestamps_over_each_piece(
    api, interview, interview_samples
):
    api.timestamps = False
    transcription = get_engine("api").transcribe(interview_samples)
    heard = [word.text.strip() for word in transcription.words]
    # Each piece's words are spread over all of it: the seams may lose or repeat a word or two.
    assert word_error_rate(script_words(interview), heard) < 0.05
    assert transcription.words[-1].end <= interview.duration + 0.01


def test_it_retries_rate_limits_and_server_errors(api, interview, interview_samples):
    api.fail(429, {"Retry-After": "0.1"})
    api.fail(503)
    transcription = get_engine("api").transcribe(interview_samples)
    assert [r["status"] for r in api.requests[:3]] == [429, 503, 200]
    assert [w.text.strip() for w in transcription.words] == script_words(interview)


def test_it_honours_retry_after(api, interview_samples, settings):
    engine = ApiEngine.from_settings()
    api.fail(429, {"Retry-After": "3"})
    waits = []
    real_wait = engine.wait_before_retry
    engine.wait_before_retry = lambda attempt, exc: waits.append(real_wait(attempt, exc)) or 0
    engine.transcribe(interview_samples)
    assert waits == [3.0]


def test_it_halves_a_piece_the_provider_refuses_as_too_large(api, interview, interview_samples):
    api.max_upload_bytes = 50_000
    transcription = get_engine("api").transcribe(interview_samples)
    assert 413 in [r["status"] for r in api.requests]
    assert all(r["bytes"] <= 50_000 for r in api.answered)
    assert [w.text.strip() for w in transcription.words] == script_words(interview)


def test_it_gives_up_after_a_bounded_number_of_retries(api, interview_samples, settings):
    for _ in range(settings.PODINDEX_ASR_API_MAX_RETRIES + 1):
        api.fail(500)
    with pytest.raises(ProviderError, match="after 3 attempts") as caught:
        get_engine("api").transcribe(interview_samples)
    assert caught.value.status == "provider_error"
    assert len(api.requests) == 3


def test_it_does_not_retry_a_refused_key(api, interview_samples):
    api.fail(401)
    with pytest.raises(ProviderError):
        get_engine("api").transcribe(interview_samples)
    assert len(api.requests) == 1


def test_it_reports_a_provider_that_does_not_answer_in_time(api, interview_samples, settings):
    settings.PODINDEX_ASR_API_TIMEOUT = 0.5
    settings.PODINDEX_ASR_API_MAX_RETRIES = 0
    api.hang(2)
    with pytest.raises(ProviderTimeout) as caught:
        get_engine("api").transcribe(interview_samples)
    assert caught.value.status == "provider_timeout"


def test_it_records_the_price_litellm_knows(api, interview, interview_samples):
    transcription = get_engine("api").transcribe(interview_samples)
    uploaded = sum(r["duration"] for r in api.answered)
    assert uploaded > interview.duration  # the overlaps are paid for too
    assert transcription.cost_usd == pytest.approx(uploaded * WHISPER_1_PER_SECOND, rel=0.02)


def test_it_records_no_cost_for_a_model_litellm_cannot_price(api, interview_samples, settings):
    settings.PODINDEX_ASR_API_MODEL = "openai/our-own-whisper"
    transcription = get_engine("api").transcribe(interview_samples)
    assert transcription.cost_usd == 0
    assert transcription.language == "en"


def test_it_uploads_nothing_when_there_is_no_speech(api, audio_dir):
    samples = audio.load_audio(music_mp3(audio_dir / "music.mp3"), max_seconds=3600)
    with pytest.raises(NoSpeech):
        get_engine("api").transcribe(samples)
    assert api.requests == []


def test_it_labels_the_speakers_of_an_api_transcript(api, interview):
    result = transcribe_file(interview.path, engine="api")
    assert result.engine == "api" and result.model == "openai/whisper-1"
    assert result.speakers == ["A", "B"]
    found = word_shares([speaker for speaker, _ in labelled_words(result.segments)])
    for speaker, share in interview.share().items():
        assert found[speaker] == pytest.approx(share, abs=4.0)
    assert [word for _, word in labelled_words(result.segments)] == normalise(interview.text)
    assert result.cost_usd > 0
