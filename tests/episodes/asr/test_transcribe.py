"""An espeak-ng interview through the local engine: the words, the speakers, their shares."""

import itertools
import re
import threading
from difflib import SequenceMatcher
from types import SimpleNamespace

import numpy as np
import pytest
from faster_whisper import BatchedInferencePipeline
from faster_whisper.vad import VadOptions, get_speech_timestamps, get_vad_model

from episodes.asr import audio, diarize
from episodes.asr.engines import Segment, Word, local
from episodes.asr.errors import UnsupportedLanguage
from episodes.asr.pipeline import transcribe_file
from tests.factories.audio import (
    GERMAN_MONOLOGUE,
    labelled_words,
    normalise,
    render,
    video_with_audio,
    word_error_rate,
    word_shares,
)

# tiny.en on espeak-ng speech scores 8-12%: a regression in decoding or stitching shows up here.
MAX_WER = 0.18
# Speaker shares of words, in percentage points.
SHARE_TOLERANCE = 4.0


def test_it_transcribes_an_interview_close_to_the_script(interview, interview_transcript):
    words = [word for _, word in labelled_words(interview_transcript.segments)]
    assert word_error_rate(normalise(interview.text), words) < MAX_WER


def test_it_hears_every_sentence_of_the_interview(interview, interview_transcript):
    # A sentence can come out misheard, never missing: the batched decoder once left out the
    # guest's "They copy a competitor." (26.5-28.1 s), begun just before a clip's end.
    sentences = [
        normalise(sentence)
        for _, text in interview.turns
        for sentence in re.split(r"(?<=[.?!])\s+", text)
    ]
    said = [word for sentence in sentences for word in sentence]
    heard = [word for _, word in labelled_words(interview_transcript.segments)]
    matcher = SequenceMatcher(None, said, heard, autojunk=False)
    found = {block.a + n for block in matcher.get_matching_blocks() for n in range(block.size)}
    first = 0
    for sentence in sentences:
        matched = sum(first + n in found for n in range(len(sentence)))
        assert matched >= len(sentence) / 2, f"not heard: {' '.join(sentence)}"
        first += len(sentence)


def test_it_hears_english_and_reports_the_audio_length(interview, interview_transcript):
    assert interview_transcript.language == "en"
    assert interview_transcript.duration == pytest.approx(interview.duration, abs=0.1)
    assert interview_transcript.engine == "local"
    assert interview_transcript.model == "tiny.en"


def test_it_finds_two_voices_without_being_told_how_many(interview_transcript):
    assert interview_transcript.speakers == ["A", "B"]


def test_it_labels_speakers_in_the_order_they_first_speak(interview_transcript):
    first, second = interview_transcript.segments[:2]
    assert (first["speaker"], second["speaker"]) == ("A", "B")
    assert first["text"].startswith("Welcome back to the show.")
    assert second["text"].startswith("Thanks for having me")


def test_it_gives_each_speaker_their_share_of_the_words(interview, interview_transcript):
    found = word_shares([speaker for speaker, _ in labelled_words(interview_transcript.segments)])
    expected = interview.share()
    assert found.keys() == expected.keys()
    for speaker, share in expected.items():
        assert found[speaker] == pytest.approx(share, abs=SHARE_TOLERANCE)


def test_it_finds_three_voices_when_told_there_are_three(panel, panel_transcript):
    assert panel_transcript.speakers == ["A", "B", "C"]
    found = word_shares([speaker for speaker, _ in labelled_words(panel_transcript.segments)])
    for speaker, share in panel.share().items():
        assert found[speaker] == pytest.approx(share, abs=SHARE_TOLERANCE)


@pytest.mark.parametrize("method", ["campplus", "ge2e"])
def test_it_finds_three_voices_in_the_panel_without_being_told(panel, method):
    samples = audio.load_audio(panel.path, max_seconds=3600)
    segments = diarize.label_speakers(samples, script_segments(panel), method=method)
    found = word_shares([speaker for speaker, _ in labelled_words(segments)])
    assert list(found) == ["A", "B", "C"]
    for speaker, share in panel.share().items():
        assert found[speaker] == pytest.approx(share, abs=SHARE_TOLERANCE)


def script_segments(recording) -> list[Segment]:
    """The script's turns as engine segments, words timed evenly over each turn."""
    timed = iter(recording.timed_words())
    segments = []
    for (_, text), (start, end) in zip(recording.turns, recording.spans, strict=True):
        words = [
            Word(begin, finish, f" {word}")
            for begin, finish, word in (next(timed) for _ in text.split())
        ]
        segments.append(Segment(start, end, text, words))
    return segments


def test_it_keeps_segments_in_time_order_with_their_times_inside_the_audio(interview_transcript):
    segments = interview_transcript.segments
    starts = [segment["start"] for segment in segments]
    assert starts == sorted(starts)
    assert all(0 <= s["start"] <= s["end"] <= interview_transcript.duration for s in segments)


def test_it_reports_what_the_transcription_took(interview_transcript):
    result = interview_transcript
    assert result.audio_seconds == pytest.approx(result.duration, abs=0.01)
    assert result.wall_seconds > 0 and result.cpu_seconds > 0
    assert result.real_time_factor == pytest.approx(result.audio_seconds / result.wall_seconds)
    assert set(result.stage_seconds) == {"decode", "speech", "transcribe", "diarize"}
    assert result.cost_usd == 0


def test_it_takes_the_sound_track_of_a_video(short_clip, audio_dir):
    video = video_with_audio(short_clip.path, audio_dir / "clip.mp4")
    result = transcribe_file(video, engine="local")
    words = [word for _, word in labelled_words(result.segments)]
    assert word_error_rate(normalise(short_clip.text), words) < MAX_WER
    assert result.speakers == ["A", "B"]


def test_it_labels_everyone_a_when_speaker_labels_are_off(short_clip, settings):
    settings.PODINDEX_DIARIZATION = "none"
    result = transcribe_file(short_clip.path, engine="local")
    assert result.speakers == ["A"]
    text = " ".join(segment["text"] for segment in result.segments)
    assert "Welcome back to the show." in text and "Thanks for having me" in text


def test_it_reports_progress_as_it_transcribes(short_clip):
    calls = []
    result = transcribe_file(short_clip.path, engine="local", progress=lambda *a: calls.append(a))
    done = [seconds for seconds, _ in calls]
    assert calls and done == sorted(done)
    assert all(total == pytest.approx(result.audio_seconds) for _, total in calls)
    assert done[-1] == pytest.approx(result.audio_seconds, abs=2.0)


def test_it_refuses_german_speech_with_an_english_only_model(audio_dir):
    german = render(GERMAN_MONOLOGUE, audio_dir / "german.mp3")
    with pytest.raises(UnsupportedLanguage) as caught:
        transcribe_file(german.path, engine="local")
    assert caught.value.status == "unsupported_language"
    assert "PODINDEX_ASR_MODEL" in str(caught.value)


def test_it_cuts_long_audio_into_windows_at_a_quiet_moment():
    # 50 minutes of noise with one silent second inside the search region before 20 minutes.
    samples = np.random.default_rng(1).normal(0, 0.1, 50 * 60 * audio.SAMPLE_RATE)
    samples = samples.astype(np.float32)
    quiet = (audio.WINDOW_SECONDS - 15) * audio.SAMPLE_RATE
    samples[quiet : quiet + audio.SAMPLE_RATE] = 0
    bounds = audio.windows(samples)
    assert bounds[0][0] == 0 and bounds[-1][1] == samples.size
    assert all(end == start for (_, end), (start, _) in itertools.pairwise(bounds))
    assert all(end - start <= audio.WINDOW_SECONDS * audio.SAMPLE_RATE for start, end in bounds)
    assert quiet <= bounds[0][1] < quiet + audio.SAMPLE_RATE
    assert all(end % audio.VAD_FRAME == 0 for _, end in bounds[:-1])


def test_it_reads_each_window_s_speech_as_a_pass_over_that_window_alone(
    interview_samples, monkeypatch
):
    # Windows of 40 s, read in runs of 100 frames with the state carried from run to run.
    monkeypatch.setattr(audio, "WINDOW_SECONDS", 40)
    monkeypatch.setattr(audio, "CUT_SEARCH_SECONDS", 10)
    monkeypatch.setattr(audio, "VAD_BATCH", 100)
    samples = interview_samples.copy()
    speech = audio.speech_probabilities(samples, threads=2)
    assert np.array_equal(samples, interview_samples)
    bounds = audio.windows(samples)
    assert len(bounds) == 3 and speech.size == -(-samples.size // audio.VAD_FRAME)
    model = get_vad_model()
    for start, end in bounds:
        window = samples[start:end]
        alone = model(np.pad(window, (0, (-window.size) % audio.VAD_FRAME))).ravel()
        assert np.array_equal(speech[start // audio.VAD_FRAME : -(-end // audio.VAD_FRAME)], alone)


@pytest.mark.parametrize(("silence_ms", "pad_ms"), [(500, 200), (100, 0)])
def test_it_finds_the_speech_faster_whisper_finds(interview_samples, silence_ms, pad_ms):
    options = VadOptions(min_silence_duration_ms=silence_ms, speech_pad_ms=pad_ms)
    theirs = [
        (span["start"] / audio.SAMPLE_RATE, span["end"] / audio.SAMPLE_RATE)
        for span in get_speech_timestamps(interview_samples, options)
    ]
    speech = audio.speech_probabilities(interview_samples)
    spans = audio.speech_spans(
        interview_samples, min_silence_ms=silence_ms, pad_ms=pad_ms, probabilities=speech
    )
    assert len(spans) > 1 and spans == theirs


@pytest.fixture
def detector_frames(monkeypatch):
    """The number of frames of each call of the voice detector (Silero), as they happen."""
    session = get_vad_model().session
    run, frames = session.run, []

    def counted(names, inputs):
        frames.append(len(inputs["input"]))
        return run(names, inputs)

    monkeypatch.setattr(session, "run", counted)
    return frames


def test_it_runs_the_voice_detector_once_for_the_words_and_the_speakers(
    short_clip, detector_frames
):
    result = transcribe_file(short_clip.path, engine="local")
    assert result.speakers == ["A", "B"]
    assert sum(detector_frames) == -(
        -round(result.audio_seconds * audio.SAMPLE_RATE) // audio.VAD_FRAME
    )


def test_it_runs_no_detector_pass_of_its_own_when_nothing_reads_it(
    short_clip, settings, detector_frames
):
    # Sequential decoding runs faster-whisper's own VAD; unlabelled speakers read none.
    settings.PODINDEX_ASR_BATCH_SIZE = 1
    settings.PODINDEX_DIARIZATION = "none"
    result = transcribe_file(short_clip.path, engine="local")
    assert result.speakers == ["A"] and result.segments
    one_pass = -(-round(result.audio_seconds * audio.SAMPLE_RATE) // audio.VAD_FRAME)
    assert 0 < sum(detector_frames) <= one_pass


def test_it_transcribes_across_window_cuts_with_true_times(interview, monkeypatch):
    # Windows of 40 s cut the 82 s interview twice: the words and their times must survive.
    monkeypatch.setattr(audio, "WINDOW_SECONDS", 40)
    monkeypatch.setattr(audio, "CUT_SEARCH_SECONDS", 10)
    result = transcribe_file(interview.path, engine="local")
    words = [word for _, word in labelled_words(result.segments)]
    assert word_error_rate(normalise(interview.text), words) < MAX_WER
    starts = [segment["start"] for segment in result.segments]
    assert starts == sorted(starts) and result.segments[-1]["end"] > 70
    assert "newsletter about pricing" in result.segments[-1]["text"]


def test_it_cuts_long_speech_for_the_batched_decoder_at_its_longest_late_pause():
    # 70 s of speech with 0.15 s pauses every 2 s, a 0.8 s one at 24 s, then 3 s of silence.
    spans = [(t, t + 1.85) for t in range(0, 70, 2)] + [(73.0, 80.0)]
    spans[11:13] = [(22.0, 23.6), (24.4, 25.85)]
    clips = local.speech_clips(spans, 90.0)
    bounds = [(round(c["start"], 2), round(c["end"], 2)) for c in clips]
    assert bounds[0] == (0.0, 24.0)
    assert all(end - start <= local.CLIP_SECONDS for start, end in bounds)
    assert all(end == start for (_, end), (start, _) in itertools.pairwise(bounds[:-1]))
    assert bounds[-2][1] == 70.25 and bounds[-1] == (72.6, 80.4)


def test_it_decodes_batches_on_both_cores_at_once_and_hears_the_interview(
    interview, interview_samples, monkeypatch
):
    forward, lock = BatchedInferencePipeline.forward, threading.Lock()
    running, most, clips = [0], [0], []

    def counted(self, features, tokenizer, chunks, options):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            clips.append(len(chunks))
        try:
            return forward(self, features, tokenizer, chunks, options)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(BatchedInferencePipeline, "forward", counted)
    found = local.LocalEngine(threads=2, batch_size=8).transcribe(interview_samples)
    # Two workers of a batch of at most 4 each: the encoder's memory of one batch of 8.
    assert most[0] == 2 and max(clips) <= 4
    words = [word for segment in found.segments for word in segment.words]
    heard = normalise(" ".join(word.text for word in words))
    assert word_error_rate(normalise(interview.text), heard) < MAX_WER


def test_it_reads_again_the_speech_after_a_clip_s_last_word():
    def heard(*times):
        return SimpleNamespace(words=[SimpleNamespace(start=a, end=b) for a, b in times])

    spans = [(21.7, 26.0), (26.5, 28.0), (28.3, 39.0), (40.0, 45.0), (50.0, 55.0)]
    clips = [local.clip(21.3, 39.4), local.clip(39.4, 45.4), local.clip(49.6, 55.4)]
    # The decoder stopped after the question; heard the second clip to its end; not the third.
    found = [heard((21.7, 22.0), (25.6, 26.1)), heard((40.0, 40.4), (44.5, 44.9))]
    tails = local.unheard_tails(clips, found, spans)
    assert [(round(t["start"], 2), round(t["end"], 2)) for t in tails] == [(26.1, 39.4)]
