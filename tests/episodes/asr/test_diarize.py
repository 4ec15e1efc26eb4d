"""Speaker labels without torch: the GE2E encoder in numpy, clustering, and labelled segments."""

import sys
import time

import numpy as np
import pytest

from episodes.asr import diarize
from episodes.asr.checkpoints import read_legacy_checkpoint
from episodes.asr.engines import Segment, Word
from episodes.asr.errors import EngineUnavailable


def words(*spec) -> list[Word]:
    """Words from (start, end, text) triples."""
    return [Word(start, end, f" {text}") for start, end, text in spec]


def test_it_reads_the_ge2e_weights_without_importing_torch_or_resemblyzer():
    state = read_legacy_checkpoint(diarize.encoder_weights_path())
    assert state["lstm.weight_ih_l0"].shape == (1024, 40)
    assert state["lstm.weight_hh_l2"].shape == (1024, 256)
    assert state["linear.weight"].shape == (256, 256)
    assert all(array.dtype == np.float32 for array in state.values())
    assert "torch" not in sys.modules and "resemblyzer" not in sys.modules


def test_it_builds_librosas_mel_filterbank():
    bank = diarize.mel_filterbank()
    assert bank.shape == (40, 201)
    # Reference values from librosa 0.11 filters.mel(sr=16000, n_fft=400, n_mels=40).
    assert bank[3, 6:10] == pytest.approx(
        [0.00356385, 0.01095406, 0.00884067, 0.00145046], rel=1e-4
    )
    assert bank[39, -6:-1] == pytest.approx(
        [0.00060758, 0.00048606, 0.00036455, 0.00024303, 0.00012152], rel=1e-4
    )


def plain_lstm_embedding(state: dict, mels: np.ndarray) -> np.ndarray:
    """torch.nn.LSTM's equations as documented, step by step: the reference for the fast one."""

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    sequence = mels.astype(np.float64)
    for layer in range(3):
        w_ih, w_hh = state[f"lstm.weight_ih_l{layer}"], state[f"lstm.weight_hh_l{layer}"]
        bias = state[f"lstm.bias_ih_l{layer}"] + state[f"lstm.bias_hh_l{layer}"]
        h = np.zeros((mels.shape[0], 256))
        c = np.zeros_like(h)
        outputs = []
        for step in range(mels.shape[1]):
            gates = sequence[:, step] @ w_ih.T + h @ w_hh.T + bias
            i, f, g, o = np.split(gates, 4, axis=1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
            outputs.append(h)
        sequence = np.stack(outputs, axis=1)
    embedding = np.maximum(h @ state["linear.weight"].T + state["linear.bias"], 0)
    return embedding / np.linalg.norm(embedding, axis=1, keepdims=True)


def test_its_fast_lstm_matches_the_textbook_equations():
    state = read_legacy_checkpoint(diarize.encoder_weights_path())
    mels = np.random.default_rng(1).gamma(0.5, 2.0, (3, 40, 40)).astype(np.float32)
    fast = diarize.speaker_encoder().embed(mels)
    assert fast == pytest.approx(plain_lstm_embedding(state, mels), abs=1e-5)
    assert np.linalg.norm(fast, axis=1) == pytest.approx(1.0)


def test_it_tells_two_voices_apart_and_knows_one_voice_again(interview, interview_samples):
    host_turn, guest_turn, host_again = interview.spans[0], interview.spans[1], interview.spans[2]
    starts = [host_turn[0] + 1, host_turn[0] + 5, guest_turn[0] + 1, host_again[0] + 1]
    host, host_later, guest, host_next_turn = diarize.voice_prints(interview_samples, starts)
    assert host @ host_later > host @ guest
    assert host @ host_next_turn > host @ guest


def test_it_gives_campplus_pieces_without_measuring_their_levels(interview_samples, monkeypatch):
    # CAM++'s features are less their mean: a piece's level cannot change its print.
    def measured(*args):
        raise AssertionError("piece levels measured for CAM++")

    monkeypatch.setattr(diarize, "piece_gains", measured)
    pieces = [(1.0, 2.5), (10.0, 12.0), (20.0, 21.0)]
    embedded, prints = diarize.campplus_printer().piece_prints(interview_samples, pieces, 1)
    assert list(embedded) == [0, 1, 2] and prints.shape == (3, 192)


def test_it_caps_the_windows_of_a_long_episode():
    # Three hours of speech in 2-second pieces: more pieces than windows allowed.
    pieces = [(start, start + 2.0) for start in np.arange(0, 3 * 3600, 2.5)]
    windows = diarize.place_windows(pieces, 3 * 3600)
    assert len(windows) <= diarize.MAX_WINDOWS
    assert windows[0][0] >= 0 and windows[-1][0] + diarize.WINDOW_SECONDS <= 3 * 3600


def test_it_spreads_windows_over_every_piece_when_the_budget_allows():
    # An hour in 10-second pieces: each gets windows, the hop grows to fit the budget.
    pieces = [(start, start + 10.0) for start in np.arange(0, 3600, 10.5)]
    windows = diarize.place_windows(pieces, 3600)
    assert len(windows) <= diarize.MAX_WINDOWS
    assert {piece for _, piece in windows} == set(range(len(pieces)))
    for begin, piece in windows:
        start, end = pieces[piece]
        assert start <= begin and begin + diarize.WINDOW_SECONDS <= end + 1e-9


def test_it_gives_every_piece_of_speech_a_window_however_short():
    windows = diarize.place_windows([(1.0, 1.4), (3.0, 5.0)], 10.0)
    assert windows[0] == (pytest.approx(0.7), 0)
    assert [piece for _, piece in windows[1:]] == [1, 1, 1]


def test_it_cuts_a_run_of_words_where_the_vad_hears_a_pause():
    frame = diarize.VAD_FRAME / diarize.SAMPLE_RATE
    speech = np.ones(int(10 / frame))
    speech[int(4.0 / frame) : int(4.5 / frame)] = 0.05  # half a second of silence at 4 s
    speech[int(7.0 / frame) : int(7.1 / frame)] = 0.05  # a tenth: a breath inside a sentence
    pieces = diarize.split_at_pauses([(1.0, 9.0)], speech)
    assert len(pieces) == 2
    assert pieces[0][0] == 1.0 and pieces[1][1] == 9.0
    assert 4.0 <= pieces[0][1] == pieces[1][0] <= 4.5


def vad(seconds: float, *spans: tuple[float, float]) -> np.ndarray:
    """Speech probabilities: speech in `spans`, silence elsewhere."""
    frame = diarize.VAD_FRAME / diarize.SAMPLE_RATE
    speech = np.full(int(seconds / frame), 0.01)
    for start, end in spans:
        speech[int(start / frame) : int(end / frame)] = 0.99
    return speech


def test_it_moves_a_word_timed_into_a_pause_onto_the_wordless_speech_before_it():
    # The host's "then" is heard at 2.1-2.45 s; whisper timed it in the pause, up to the
    # guest's first syllable at 3.05 s.
    speech = vad(6.0, (0.0, 1.9), (2.1, 2.45), (3.05, 5.0))
    said = words((0.2, 1.8, "prices?"), (2.7, 3.1, "Then..."), (3.1, 3.5, "We"))

    moved = diarize.retime_detached_words(said, speech)

    assert moved[0] == said[0] and moved[2] == said[2]
    assert moved[1].text == " Then..."
    assert 2.0 <= moved[1].start < moved[1].end <= 2.5


def test_it_leaves_words_on_speech_and_words_in_a_pause_with_no_wordless_speech_near():
    speech = vad(8.0, (0.0, 1.9), (2.1, 2.45), (3.05, 5.0))
    said = words((0.2, 1.9, "prices"), (2.1, 2.45, "then"), (2.95, 3.4, "We"), (6.5, 7.0, "Mm"))
    # Whisper gives some words no length: one at the end of speech it did not otherwise cover.
    unplaced = words((0.2, 1.8, "Hello."), (2.4, 2.4, "Hello."))

    assert diarize.retime_detached_words(said, speech) == said
    assert diarize.retime_detached_words(unplaced, speech) == unplaced


def test_it_cuts_long_pieces_into_equal_parts_no_longer_than_a_piece():
    parts = diarize.cut_long([(0.0, 5.0), (6.0, 7.0)])
    assert parts == [(0.0, 5 / 3), (5 / 3, 10 / 3), (10 / 3, 5.0), (6.0, 7.0)]


def test_it_brings_quiet_and_loud_speech_to_the_same_level():
    rng = np.random.default_rng(2)
    loud = (0.3 * rng.standard_normal(16000)).astype(np.float32)
    quiet = loud / 100
    target = 10 ** (diarize.TARGET_DBFS / 20)
    for samples in (loud, quiet):
        gain = diarize.level_gain(samples, [(0.0, 1.0)])
        assert np.sqrt(np.mean((samples * gain) ** 2)) == pytest.approx(target, rel=1e-3)


def test_it_measures_the_level_on_speech_only():
    samples = np.zeros(32000, dtype=np.float32)
    samples[16000:] = 0.1  # a second of silence, then a second of sound
    gain = diarize.level_gain(samples, [(1.0, 2.0)])
    assert 0.1 * gain == pytest.approx(10 ** (diarize.TARGET_DBFS / 20))


# The clustering's own tests: unit prints at GE2E's scale, with its thresholds.
GE2E = diarize.ge2e_printer()


def three_voices(rng, sizes=(20, 20, 20)):
    """Unit prints around three centres as far apart as real voices' (cosine distance ~0.7)."""
    centres = rng.random((len(sizes), 256)) ** 6
    prints = np.concatenate(
        [
            centre + 0.02 * rng.standard_normal((size, 256))
            for centre, size in zip(centres, sizes, strict=True)
        ]
    )
    return prints / np.linalg.norm(prints, axis=1, keepdims=True)


def test_it_finds_three_voices_without_being_told():
    rng = np.random.default_rng(0)
    ids = diarize.cluster(three_voices(rng), np.ones(60), None, GE2E)
    assert len(set(ids)) == 3
    assert all(len(set(ids[n * 20 : (n + 1) * 20])) == 1 for n in range(3))


def test_it_takes_the_count_it_is_given_as_an_upper_bound():
    rng = np.random.default_rng(0)
    prints = three_voices(rng)
    assert len(set(diarize.cluster(prints, np.ones(60), 5, GE2E))) == 3
    two = diarize.cluster(prints, np.ones(60), 2, GE2E)
    assert len(set(two)) == 2
    # The voice with the least speech joins another whole: no voice is split between two.
    assert all(len(set(two[n * 20 : (n + 1) * 20])) == 1 for n in range(3))


def test_it_merges_a_voice_with_too_little_speech_into_its_nearest():
    rng = np.random.default_rng(0)
    prints = three_voices(rng, sizes=(30, 30, 1))
    seconds = np.ones(61)
    ids = diarize.cluster(prints, seconds, None, GE2E)
    assert len(set(ids)) == 2
    # The same single print holding a tenth of the speech is a voice of its own.
    seconds[-1] = 7.0
    assert len(set(diarize.cluster(prints, seconds, None, GE2E))) == 3


def test_it_estimates_one_speaker_when_all_prints_are_alike():
    rng = np.random.default_rng(0)
    prints = rng.random(256) + 0.01 * rng.standard_normal((30, 256))
    prints /= np.linalg.norm(prints, axis=1, keepdims=True)
    assert set(diarize.cluster(prints, np.ones(30), None, GE2E)) == {0}


def test_it_moves_a_speaker_change_to_the_nearest_sentence_end():
    said = words(
        (0.0, 0.5, "How"), (0.5, 1.0, "are"), (1.0, 1.5, "you?"), (1.6, 2.0, "Fine,"),
        (2.0, 2.4, "thanks."),
    )  # fmt: skip
    # The voice prints put "you?" with the second speaker; the question mark says otherwise.
    assert diarize.snap_to_sentence_ends(said, [0, 0, 1, 1, 1]) == [0, 0, 0, 1, 1]


def test_it_leaves_a_change_alone_when_no_sentence_ends_nearby():
    said = words((0.0, 0.5, "so"), (0.5, 1.0, "we"), (1.0, 1.5, "think"), (5.0, 5.4, "right"))
    assert diarize.snap_to_sentence_ends(said, [0, 0, 1, 1]) == [0, 0, 1, 1]


def test_it_snaps_the_speaker_changes_of_a_long_episode_in_a_fraction_of_a_second():
    # 20,000 words, a sentence every 20 and a change of speaker every 10: scanning every word for
    # every change in Python took a second (0.3 s for the 60-minute bench episode).
    count = 20_000
    said = [Word(0.1 * n, 0.1 * n + 0.08, " end." if n % 20 == 19 else " so") for n in range(count)]
    ids = [(n // 10) % 2 for n in range(count)]
    started = time.process_time()
    snapped = diarize.snap_to_sentence_ends(said, ids)
    assert time.process_time() - started < 0.5
    # Each change inside a sentence moved to the sentence end 10 words later or earlier.
    assert all(snapped[n] == snapped[n - 1] for n in range(1, count) if n % 20)


def test_it_splits_a_segment_where_the_speaker_changes_and_letters_them_in_order():
    first = Segment(0.0, 2.4, "How are you? Fine, thanks.", words(
        (0.0, 0.5, "How"), (0.5, 1.0, "are"), (1.0, 1.5, "you?"), (1.6, 2.0, "Fine,"),
        (2.0, 2.4, "thanks."),
    ))  # fmt: skip
    second = Segment(3.0, 3.5, "Good.", words((3.0, 3.5, "Good.")))
    labels = diarize.relabel([7, 7, 7, 2, 2, 7])
    assert diarize.build_segments([first, second], labels) == [
        {"speaker": "A", "start": 0.0, "end": 1.5, "text": "How are you?"},
        {"speaker": "B", "start": 1.6, "end": 2.4, "text": "Fine, thanks."},
        {"speaker": "A", "start": 3.0, "end": 3.5, "text": "Good."},
    ]


def test_it_gives_a_word_the_speaker_whose_turns_overlap_it_most():
    said = words((0.0, 1.0, "one"), (1.0, 2.0, "two"), (5.0, 6.0, "three"))
    turns = [(0.0, 1.2, 0), (1.2, 4.0, 1)]
    assert diarize.assign_words(said, turns) == [0, 1, 1]


def test_it_says_what_to_install_when_pyannote_is_asked_for_but_missing(interview_samples):
    segments = [Segment(0.0, 1.0, "Hello.", words((0.0, 1.0, "Hello.")))]
    with pytest.raises(EngineUnavailable, match=r"pip install pyannote\.audio"):
        diarize.label_speakers(interview_samples, segments, method="pyannote")


def test_it_refuses_an_unknown_diarization_method(interview_samples):
    segments = [Segment(0.0, 1.0, "Hello.", words((0.0, 1.0, "Hello.")))]
    with pytest.raises(EngineUnavailable, match="ge2e, pyannote, none"):
        diarize.label_speakers(interview_samples, segments, method="guess")


def test_it_gives_an_unsure_piece_between_two_of_one_voice_to_that_voice():
    axes = np.eye(4)
    host = diarize.unit((axes[0] + 0.3 * axes[1])[None])[0]
    guest = diarize.unit((axes[0] + 0.3 * axes[2])[None])[0]
    # Between the two voices, a shade nearer the guest: a piece the encoder cannot place.
    unsure = diarize.unit((axes[0] + 0.15 * axes[1] + 0.16 * axes[2])[None])[0]
    prints = np.stack([host, unsure, host, guest, host])

    ids = diarize.smooth_unsure_pieces(
        prints, np.ones(5), np.array([0, 1, 0, 1, 0]), diarize.UNSURE_MARGIN
    )

    # The guest's plain reply between two of the host's pieces keeps its own voice.
    assert ids.tolist() == [0, 0, 0, 1, 0]


def test_it_keeps_two_similar_voices_apart_when_people_are_listed_and_both_speak_at_length():
    rng = np.random.default_rng(7)
    centre = diarize.unit(rng.normal(size=(1, 32)))[0]
    # Two voices closer than two people usually are (as the demo's two espeak voices).
    other = diarize.unit((centre + 0.75 * diarize.unit(rng.normal(size=(1, 32)))[0])[None])[0]
    prints = diarize.unit(
        np.concatenate(
            [centre + 0.05 * rng.normal(size=(12, 32)), other + 0.05 * rng.normal(size=(8, 32))]
        )
    )
    seconds = np.ones(20)

    told = diarize.cluster(prints, seconds, 2, GE2E)
    untold = diarize.cluster(prints, seconds, None, GE2E)

    assert len(set(told[:12])) == 1 and len(set(told[12:])) == 1 and told[0] != told[12]
    assert len(set(untold)) == 1


@pytest.mark.parametrize("method", ["campplus", "ge2e"])
def test_it_keeps_a_host_who_moves_away_from_the_microphone_one_speaker(
    interview, interview_samples, method
):
    # From the host's third turn on, the host is 20 dB quieter; the guest stays as recorded.
    samples = interview_samples.copy()
    host_turns = [
        span
        for (speaker, _), span in zip(interview.turns, interview.spans, strict=True)
        if speaker == "A"
    ]
    for start, end in host_turns[2:]:
        samples[int(start * diarize.SAMPLE_RATE) : int(end * diarize.SAMPLE_RATE)] *= 0.1
    timed = [Word(start, end, f" {text}") for start, end, text in interview.timed_words()]
    segments = [Segment(timed[0].start, timed[-1].end, "", timed)]

    labelled = diarize.label_speakers(samples, segments, method=method)

    speakers = {
        segment["speaker"]
        for segment in labelled
        if any(start <= segment["start"] < end for start, end in host_turns)
    }
    assert len(speakers) == 1
    assert {segment["speaker"] for segment in labelled} == {"A", "B"}


def test_it_tells_similar_voices_apart_at_a_smaller_distance_in_clean_audio():
    rng = np.random.default_rng(3)
    campplus = diarize.campplus_printer()
    centre = diarize.unit(rng.normal(size=(1, 64)))[0]
    noisy = diarize.unit(centre + 0.9 * rng.normal(size=(20, 64)) / 8)
    clean = diarize.unit(centre + 0.3 * rng.normal(size=(20, 64)) / 8)
    assert diarize.same_voice_distance(noisy, campplus) == campplus.same_voice_distance
    assert diarize.same_voice_distance(clean, campplus) < campplus.same_voice_distance


def test_it_judges_the_spread_of_a_voice_the_same_however_long_the_episode():
    rng = np.random.default_rng(4)
    campplus = diarize.campplus_printer()
    centre = diarize.unit(rng.normal(size=(1, 64)))[0]
    prints = diarize.unit(centre + 0.3 * rng.normal(size=(20, 64)) / 8)
    # A longer episode holds more pieces near each piece (here, the same pieces four times).
    longer = np.concatenate([prints] * 4)
    assert diarize.same_voice_distance(longer, campplus) == pytest.approx(
        diarize.same_voice_distance(prints, campplus), abs=0.02
    )
