"""Who speaks when: speaker labels A, B, C… for timed words, without torch.

The default (`campplus`): runs of words are cut where Silero VAD (the ONNX model faster-whisper
ships) hears a pause, and into pieces of at most two seconds, so a piece rarely holds two
voices. Each piece's voice print is the mean of 1.5-second CAM++ prints (episodes/asr/campplus.py:
3D-Speaker's encoder, trained on 200k speakers; on real recordings it tells people apart far
better than GE2E). `ge2e` uses the GE2E encoder instead (the weights ship inside the `resemblyzer`
package, Apache-2.0, run here in numpy; its legacy torch pickle is read with a restricted
unpickler, never importing resemblyzer, which imports torch), each piece scaled to the level it
was trained at. Average-linkage clustering with a distance threshold groups the pieces into
voices; voices with too little speech join their nearest, and a speaker count from the caller is
an upper bound, never forced. Each piece, a short interjection included, then goes to its
nearest voice; words take their piece's speaker, and changes move to the nearest sentence end,
where whisper's rough word timings put them a word early or late. `pyannote` uses pyannote.audio
where it is installed (torch, a GPU, a hub token); `none` labels everyone A.
"""

import ctypes
import importlib.util
import itertools
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from scipy.cluster.hierarchy import fcluster, linkage

from episodes.asr.audio import VAD_FRAME, speech_probabilities, usable_cores
from episodes.asr.campplus import campplus
from episodes.asr.checkpoints import read_legacy_checkpoint
from episodes.asr.engines.base import Segment, Word
from episodes.asr.errors import EngineUnavailable

SAMPLE_RATE = 16000
# resemblyzer's hparams: 25 ms windows every 10 ms, 40 mel bands. It embeds partials of 160
# frames; one second (100 frames) measured better on real recordings: fewer windows hold two
# voices, and a piece's print is the mean of its windows' prints anyway.
N_FFT = 400
HOP = 160
MEL_BANDS = 40
WINDOW_SECONDS = 1.0
WINDOW_FRAMES = int(WINDOW_SECONDS * SAMPLE_RATE) // HOP
WINDOW_SAMPLES = WINDOW_FRAMES * HOP
HIDDEN = 256
LAYERS = 3
# GE2E was trained on utterances each scaled to this level; fed raw levels, quiet speakers sound
# alike. Each piece of speech is scaled on its own, as an utterance was: with one gain for the
# whole recording, a person near the microphone and far from it (or raising their voice) sounded
# like two people. A piece is kept within PIECE_GAIN_RANGE of the recording's gain, so that a
# piece of near-silence (rough word timings) is not raised to full level.
TARGET_DBFS = -30.0
PIECE_GAIN_RANGE = 10.0
# Windows step this far through speech; long files step further so that at most MAX_WINDOWS
# are embedded (about 10 ms of CPU each): a 60-minute episode costs seconds, not minutes.
HOP_SECONDS = 0.5
MAX_WINDOWS = 1600
BATCH = 128
# Words further apart than this start a new stretch of speech.
PAUSE_SECONDS = 0.25
# Silero VAD (audio.speech_probabilities): a stretch is also cut where the speech probability
# stays under VAD_THRESHOLD for VAD_PAUSE_SECONDS; each part longer than PIECE_SECONDS is cut in
# equal pieces, and each piece is clustered as one voice print.
VAD_THRESHOLD = 0.3
VAD_PAUSE_SECONDS = 0.2
# A word with less speech than this under it was timed into a pause; it is moved onto speech
# without words at most DETACHED_REACH_SECONDS before it (see retime_detached_words).
DETACHED_SPEECH_SECONDS = 0.12
DETACHED_REACH_SECONDS = 1.5
PIECE_SECONDS = 2.0
MAX_SPEAKERS = 8
# Pieces whose voice prints are closer than this (cosine distance, average linkage) are one
# voice; voices with under MIN_SHARE of the speech are absorbed by their nearest. Measured with
# bench/diarization.py --sweep on real recordings: with each piece at the encoder's level, the
# total error with the count given stays within 2 points from 0.28 to 0.32 (it was one point
# wide, 0.30-0.31, with one gain per recording); without a count, 0.30-0.32 is the flat part.
# Below 0.28 one person splits in two, above 0.32 the two people of a conversation merge.
SAME_VOICE_DISTANCE = 0.31
# With people listed for the episode (an upper bound on its voices), two voices this close are
# still told apart when each holds HINTED_SHARE of the speech: espeak voices of the demo sit at
# 0.26; on the real recordings a split this close and this big did not occur.
HINTED_SAME_VOICE_DISTANCE = 0.24
HINTED_SHARE = 0.2
MIN_SHARE = 0.05
# A piece of speech whose print is within this much cosine similarity of a neighbouring voice as
# of its own is unsure (measured: 0.028 for the one piece of the demo's host given to the guest,
# 0.045 and more for the guest's short replies).
UNSURE_MARGIN = 0.035
# CAM++ (episodes/asr/campplus.py) embeds 1.5 s windows, as 3D-Speaker's own diarization does
# (1.0 and 2.0 s measured worse); its features are less their mean, so a piece's level does not
# matter to it. Its prints sit further apart than GE2E's. bench/diarization.py --sweep on the
# real recordings: 0.65-0.70 best with the count given, 0.675-0.70 without; at 0.725 the
# conversation's two people merge, under 0.675 one of dev00's splits. Where one voice's prints lie
# close together (clean audio: the median distance between neighbouring pieces' prints is
# 0.34-0.36 for espeak voices, 0.38-0.60 on the real recordings) two voices are told apart at
# CAMPP_SPREAD_FACTOR times that median: the espeak panel keeps its three voices up to 1.64,
# the real recordings their figures from 1.45 up (at 1.4 trn03 and trn05 split); a narrow
# window, measured on 8 real and 3 synthetic recordings. (The mean distance to each print's
# nearest, tried first, shrinks as an episode grows: a 10-minute episode had eight voices.)
CAMPP_WINDOW_SECONDS = 1.5
CAMPP_SAME_VOICE_DISTANCE = 0.7
CAMPP_HINTED_SAME_VOICE_DISTANCE = 0.4
CAMPP_UNSURE_MARGIN = 0.035
CAMPP_SPREAD_FACTOR = 1.55
# A speaker change this close to a sentence end is moved there.
SNAP_SECONDS = 1.6
SENTENCE_END = re.compile(r"[.?!…][\"')\]]*$")
LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# --- the public entry point -----------------------------------------------------------------


def label_speakers(
    samples: np.ndarray,
    segments: list[Segment],
    *,
    speakers: int | None = None,
    method: str | None = None,
    threads: int = 0,
    speech: np.ndarray | None = None,
) -> list[dict]:
    """Segments as {"speaker", "start", "end", "text"}, split where the speaker changes.

    `speech`: the samples' audio.speech_probabilities(), when the caller has them.
    """
    method = method or settings.PODINDEX_DIARIZATION
    words = [word for segment in segments for word in segment.words]
    if not words:
        return []
    if method == "none" or speakers == 1:
        ids = [0] * len(words)
    elif method in ENCODERS:
        encoder = ENCODERS[method]()
        if speech is None:
            speech = speech_probabilities(samples, threads)
        ids = encoder_speakers(samples, words, encoder, speech, speakers=speakers, threads=threads)
    elif method == "pyannote":
        ids = assign_words(words, pyannote_turns(samples, speakers))
    else:
        raise EngineUnavailable(
            f"PODINDEX_DIARIZATION={method!r} is not one of campplus, ge2e, pyannote, none."
        )
    ids = snap_to_sentence_ends(words, ids)
    return build_segments(segments, relabel(ids))


def reads_speech(speakers: int | None = None, method: str | None = None) -> bool:
    """Whether label_speakers() with these arguments reads speech probabilities."""
    return (method or settings.PODINDEX_DIARIZATION) in ENCODERS and speakers != 1


# --- the GE2E encoder in numpy ----------------------------------------------------------------


def encoder_weights_path() -> Path:
    """resemblyzer's pretrained.pt, found without importing resemblyzer (which imports torch)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.origin:
        raise EngineUnavailable(
            "Speaker labels need the GE2E weights from resemblyzer: pip install --no-deps "
            "resemblyzer==0.1.4 (scripts/bootstrap.sh does), or set PODINDEX_DIARIZATION=none."
        )
    return Path(spec.origin).parent / "pretrained.pt"


@dataclass
class SpeakerEncoder:
    """GE2E: a 3-layer LSTM over mel frames, projected to a unit-length 256-number voice print."""

    layers: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (W_ih.T, W_hh.T, bias), scaled
    projection: np.ndarray
    projection_bias: np.ndarray
    mel_filters: np.ndarray
    window: np.ndarray

    @classmethod
    def load(cls, path: Path | None = None) -> "SpeakerEncoder":
        """The encoder with resemblyzer's pretrained weights."""
        state = read_legacy_checkpoint(path or encoder_weights_path())
        # Gates come as input, forget, cell, output. Halving the sigmoid gates' weights lets one
        # tanh serve all four: sigmoid(x) = (1 + tanh(x / 2)) / 2.
        scale = np.full(4 * HIDDEN, 0.5, dtype=np.float32)
        scale[2 * HIDDEN : 3 * HIDDEN] = 1.0
        layers = []
        for n in range(LAYERS):
            bias = state[f"lstm.bias_ih_l{n}"] + state[f"lstm.bias_hh_l{n}"]
            layers.append(
                (
                    np.ascontiguousarray((state[f"lstm.weight_ih_l{n}"] * scale[:, None]).T),
                    np.ascontiguousarray((state[f"lstm.weight_hh_l{n}"] * scale[:, None]).T),
                    (bias * scale).astype(np.float32),
                )
            )
        return cls(
            layers=layers,
            projection=np.ascontiguousarray(state["linear.weight"].T),
            projection_bias=state["linear.bias"],
            mel_filters=mel_filterbank(),
            window=hann_window(N_FFT),
        )

    def mel(self, windows: np.ndarray) -> np.ndarray:
        """(n, WINDOW_SAMPLES + N_FFT) samples → (n, WINDOW_FRAMES, 40) mel power frames."""
        frames = np.lib.stride_tricks.sliding_window_view(windows, N_FFT, axis=1)[:, ::HOP]
        spectrum = np.fft.rfft(frames[:, :WINDOW_FRAMES] * self.window, axis=-1)
        power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
        return power @ self.mel_filters.T

    def embed(self, mels: np.ndarray) -> np.ndarray:
        """(n, frames, 40) mel frames → (n, 256) unit voice prints."""
        sequence = mels
        steps, batch = mels.shape[1], mels.shape[0]
        for w_input, w_hidden, bias in self.layers:
            inputs = np.ascontiguousarray((sequence @ w_input + bias).transpose(1, 0, 2))
            hidden = np.zeros((batch, HIDDEN), dtype=np.float32)
            cell = np.zeros((batch, HIDDEN), dtype=np.float32)
            gates = np.empty((batch, 4 * HIDDEN), dtype=np.float32)
            scratch = np.empty((batch, HIDDEN), dtype=np.float32)
            outputs = np.empty((steps, batch, HIDDEN), dtype=np.float32)
            for step in range(steps):
                np.matmul(hidden, w_hidden, out=gates)
                gates += inputs[step]
                np.tanh(gates, out=gates)
                for sigmoid in (gates[:, : 2 * HIDDEN], gates[:, 3 * HIDDEN :]):
                    sigmoid *= 0.5
                    sigmoid += 0.5
                cell *= gates[:, HIDDEN : 2 * HIDDEN]
                np.multiply(gates[:, :HIDDEN], gates[:, 2 * HIDDEN : 3 * HIDDEN], out=scratch)
                cell += scratch
                np.tanh(cell, out=scratch)
                np.multiply(gates[:, 3 * HIDDEN :], scratch, out=hidden)
                outputs[step] = hidden
            sequence = outputs.transpose(1, 0, 2)
        prints = np.maximum(hidden @ self.projection + self.projection_bias, 0)
        return prints / np.maximum(np.linalg.norm(prints, axis=1, keepdims=True), 1e-9)


def hann_window(size: int) -> np.ndarray:
    """The periodic Hann window librosa's STFT uses."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(size) / size)).astype(np.float32)


def mel_filterbank(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, bands: int = MEL_BANDS) -> np.ndarray:
    """librosa.filters.mel's default (Slaney scale and area normalisation), (bands, bins)."""

    def hz_to_mel(hz):
        hz = np.asarray(hz, dtype=np.float64)
        linear = hz / (200 / 3)
        log = 15 + np.log(np.maximum(hz, 1e-10) / 1000) / (np.log(6.4) / 27)
        return np.where(hz >= 1000, log, linear)

    def mel_to_hz(mel):
        linear = mel * (200 / 3)
        log = 1000 * np.exp((np.log(6.4) / 27) * (mel - 15))
        return np.where(mel >= 15, log, linear)

    bins = np.linspace(0, sr / 2, 1 + n_fft // 2)
    edges = mel_to_hz(np.linspace(hz_to_mel(0), hz_to_mel(sr / 2), bands + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


_encoder: SpeakerEncoder | None = None
_encoder_lock = threading.Lock()


def speaker_encoder() -> SpeakerEncoder:
    """The GE2E encoder, loaded once per process (17 MB of weights, a tenth of a second)."""
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            _encoder = SpeakerEncoder.load()
        return _encoder


# --- speech pieces, voice prints and clusters -------------------------------------------------


def speech_stretches(words: list[Word]) -> list[tuple[float, float]]:
    """Runs of words without a pause of PAUSE_SECONDS, as (start, end)."""
    stretches = [[words[0].start, words[0].end]]
    for word in words[1:]:
        if word.start - stretches[-1][1] >= PAUSE_SECONDS:
            stretches.append([word.start, word.end])
        else:
            stretches[-1][1] = max(stretches[-1][1], word.end)
    return [(start, end) for start, end in stretches]


def speech_runs(speech: np.ndarray) -> list[tuple[float, float]]:
    """The stretches the VAD hears as speech, as (start, end) in seconds."""
    frame = VAD_FRAME / SAMPLE_RATE
    voiced = np.concatenate([[False], speech >= VAD_THRESHOLD, [False]])
    edges = np.flatnonzero(voiced[1:] != voiced[:-1])
    return [(float(a * frame), float(b * frame)) for a, b in edges.reshape(-1, 2)]


def retime_detached_words(words: list[Word], speech: np.ndarray) -> list[Word]:
    """Words whisper timed into a pause, moved onto the speech without words just before it.

    Whisper sometimes detaches the last word of a turn and times it in the pause after it, up
    to the next speaker's first syllable ("...its prices? Then..." with "then" said before the
    pause): the word would go to the next speaker. The VAD still hears it where it was said, as
    speech that no word covers. A word mostly in a pause, with less than DETACHED_SPEECH_SECONDS
    of speech under it, takes the span of such speech ending at most DETACHED_REACH_SECONDS
    before it (and after the word before it); one with no such speech nearby keeps its timing.
    """
    runs = speech_runs(speech)
    if not runs:
        return words
    starts = np.array([start for start, _ in runs])
    ends = np.array([end for _, end in runs])

    def speech_under(start: float, end: float) -> np.ndarray:
        return np.clip(np.minimum(ends, end) - np.maximum(starts, start), 0, None)

    wordless = np.ones(len(runs), dtype=bool)
    for word in words:
        wordless &= speech_under(word.start, word.end) < DETACHED_SPEECH_SECONDS
    result = list(words)
    for n, word in enumerate(words):
        heard = speech_under(word.start, word.end).sum()
        if heard >= DETACHED_SPEECH_SECONDS or heard >= (word.end - word.start) / 2:
            continue  # said where it is timed (a word whisper gave no length included)
        earliest = max(words[n - 1].end if n else 0.0, word.start - DETACHED_REACH_SECONDS)
        candidates = np.flatnonzero(
            wordless & (ends <= word.start + DETACHED_SPEECH_SECONDS) & (starts >= earliest)
        )
        if candidates.size:
            run = candidates[-1]
            result[n] = Word(float(starts[run]), float(ends[run]), word.text)
            wordless[run] = False
    return result


def split_at_pauses(
    stretches: list[tuple[float, float]], speech: np.ndarray
) -> list[tuple[float, float]]:
    """Stretches cut where the VAD hears a pause whisper's word timings bridged.

    People rarely hand over the word without a breath: a fifth of a second of silence inside a
    run of words is where a speaker change is likeliest, so no piece of speech straddles one.
    """
    frame = VAD_FRAME / SAMPLE_RATE
    quiet = speech < VAD_THRESHOLD
    shortest = int(np.ceil(VAD_PAUSE_SECONDS / frame))
    pieces = []
    for start, end in stretches:
        first, last = int(start / frame), min(int(np.ceil(end / frame)), quiet.size)
        cuts = [start]
        run = 0
        for index in range(first, last + 1):
            if index < last and quiet[index]:
                run += 1
                continue
            if run >= shortest and index - run > first and index < last:
                cuts.append((index - run / 2) * frame)
            run = 0
        cuts.append(end)
        pieces.extend((a, b) for a, b in itertools.pairwise(cuts) if b > a)
    return pieces or list(stretches)


def cut_long(pieces: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Pieces longer than PIECE_SECONDS cut into equal parts, so each part is one voice."""
    result = []
    for start, end in pieces:
        parts = max(1, int(np.ceil((end - start) / PIECE_SECONDS)))
        edges = np.linspace(start, end, parts + 1)
        result.extend((float(a), float(b)) for a, b in itertools.pairwise(edges))
    return result


def place_windows(
    pieces: list[tuple[float, float]], total: float, length: float = WINDOW_SECONDS
) -> list[tuple[float, int]]:
    """(window start, piece index) per window, MAX_WINDOWS at most.

    Every piece gets a window, long ones one per HOP_SECONDS (fewer when the budget is short).
    A piece shorter than a window gets one centred on it. More pieces than the budget: an even
    sample of them gets one each, and the words of the others take their neighbours' speaker.
    """
    chosen = range(len(pieces))
    if len(pieces) > MAX_WINDOWS:
        chosen = np.linspace(0, len(pieces) - 1, MAX_WINDOWS).round().astype(int)
    extra = sum(max(pieces[n][1] - pieces[n][0] - length, 0) for n in chosen)
    hop = max(HOP_SECONDS, extra / max(MAX_WINDOWS - len(chosen), 1))
    windows = []
    for n in chosen:
        start, end = pieces[n]
        count = 1 + int(max(end - start - length, 0) / hop + 1e-9)
        if count == 1:
            middle = (start + end) / 2
            windows.append((min(max(middle - length / 2, 0), max(total - length, 0)), int(n)))
            continue
        windows.extend((float(begin), int(n)) for begin in np.linspace(start, end - length, count))
    return windows


def level_gain(samples: np.ndarray, pieces: list[tuple[float, float]]) -> float:
    """The gain that brings the speech to TARGET_DBFS, the level the encoder was trained at."""
    power, count = 0.0, 0
    for start, end in pieces:
        piece = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)].astype(np.float64)
        power += float(piece @ piece)
        count += piece.size
    if not power:
        return 1.0
    return 10 ** (TARGET_DBFS / 20) / np.sqrt(power / count)


def piece_gains(samples: np.ndarray, pieces: list[tuple[float, float]]) -> np.ndarray:
    """The gain that brings each piece to TARGET_DBFS, within PIECE_GAIN_RANGE of the whole
    speech's."""
    overall = level_gain(samples, pieces)
    gains = np.array([level_gain(samples, [piece]) for piece in pieces])
    return np.clip(gains, overall / PIECE_GAIN_RANGE, overall * PIECE_GAIN_RANGE)


def voice_prints(
    samples: np.ndarray, starts: list[float], threads: int = 0, gain: float | np.ndarray = 1.0
) -> np.ndarray:
    """One unit voice print per window start (scaled by `gain`, one or one per window), batched
    over threads (numpy frees the GIL)."""
    encoder = speaker_encoder()
    pad = N_FFT // 2
    padded = np.zeros((len(starts), WINDOW_SAMPLES + N_FFT), dtype=np.float32)
    for row, start in enumerate(starts):
        first = int(start * SAMPLE_RATE) - pad
        piece = samples[max(first, 0) : first + WINDOW_SAMPLES + N_FFT]
        offset = max(-first, 0)
        padded[row, offset : offset + piece.size] = piece
    padded *= np.reshape(gain, (-1, 1))
    batches = [padded[i : i + BATCH] for i in range(0, len(starts), BATCH)]
    workers = threads or usable_cores()
    with single_threaded_blas(), ThreadPoolExecutor(max_workers=workers) as pool:
        prints = list(pool.map(lambda batch: encoder.embed(encoder.mel(batch)), batches))
    return np.concatenate(prints)


def campplus_prints(
    samples: np.ndarray, starts: list[float], threads: int = 0, gain: float | np.ndarray = 1.0
) -> np.ndarray:
    """One unit CAM++ voice print per CAMPP_WINDOW_SECONDS window start, shared among threads.

    No gain: CAM++'s features are less their mean, so a piece's level does not change its print.
    """
    model = campplus()
    length = int(CAMPP_WINDOW_SECONDS * SAMPLE_RATE)
    windows = np.zeros((len(starts), length), dtype=np.float32)
    for row, start in enumerate(starts):
        first = max(int(start * SAMPLE_RATE), 0)
        piece = samples[first : first + length]
        windows[row, : piece.size] = piece
    with single_threaded_blas():
        return model.embed(windows, threads=threads or usable_cores())


@contextmanager
def single_threaded_blas():
    """numpy's OpenBLAS on one thread while our threads share the batches.

    Its own pool helps the matrix products only, and its spinning threads made each product
    ten times slower when other processes were busy; our threads also run the gates in parallel.
    Does nothing where numpy uses another BLAS.
    """
    library = numpy_openblas()
    if library is None:
        yield
        return
    previous = library.scipy_openblas_get_num_threads64_()
    library.scipy_openblas_set_num_threads64_(1)
    try:
        yield
    finally:
        library.scipy_openblas_set_num_threads64_(previous)


def numpy_openblas():
    """The OpenBLAS that numpy's wheel bundles (already loaded by numpy), or None."""
    found = sorted((Path(np.__file__).parent.parent / "numpy.libs").glob("libscipy_openblas64_*"))
    if not found:
        return None
    library = ctypes.CDLL(str(found[0]))
    if not hasattr(library, "scipy_openblas_set_num_threads64_"):
        return None
    return library


def cluster(
    prints: np.ndarray, seconds: np.ndarray, speakers: int | None, encoder: "VoicePrinter"
) -> np.ndarray:
    """A cluster id per voice print (one per piece of speech, `seconds` long).

    Average linkage joins prints closer than the encoder's same-voice distance; then the
    smallest voices are absorbed by their nearest neighbour while any holds under MIN_SHARE of
    the speech or there are more than `speakers` (an upper bound: people listed for an episode
    may not all speak) or MAX_SPEAKERS. Cutting the tree at a fixed count instead split off odd
    windows (a laugh, two people at once) as a "speaker" and merged two real voices.
    """
    if len(prints) < 2:
        return np.zeros(len(prints), dtype=int)
    tree = linkage(prints, method="average", metric="cosine")
    ids = fcluster(tree, same_voice_distance(prints, encoder), criterion="distance") - 1
    limit = min(speakers or MAX_SPEAKERS, MAX_SPEAKERS)
    ids = absorb_small_voices(prints, seconds, ids, limit)
    if speakers and len(np.unique(ids)) < limit:
        ids = split_to_hint(tree, seconds, ids, limit, encoder.hinted_same_voice_distance)
    return refine(prints, seconds, ids)


def same_voice_distance(prints: np.ndarray, encoder: "VoicePrinter") -> float:
    """The encoder's same-voice distance, less where one voice's prints lie close together.

    Pieces next to each other are mostly one voice (a turn outlasts a piece), so the median
    distance between neighbouring pieces' prints is how far one voice's prints fall in this
    recording, whatever its length: in clean audio (synthetic voices, a studio) it is small and
    two similar voices are told apart at a smaller distance; on real recordings the encoder's
    own distance stands.
    """
    if encoder.spread_factor is None or len(prints) < 3:
        return encoder.same_voice_distance
    spread = float(np.median(1 - np.sum(prints[:-1] * prints[1:], axis=1)))
    return min(encoder.same_voice_distance, encoder.spread_factor * spread)


def split_to_hint(
    tree, seconds: np.ndarray, ids: np.ndarray, limit: int, distance: float
) -> np.ndarray:
    """With people listed for the episode, voices closer than the same-voice distance (two
    similar voices) but `distance` apart are kept apart when each holds at least HINTED_SHARE of
    the speech: a split that small would be one person's moods, which the real recordings showed
    at that distance."""
    closer = fcluster(tree, distance, criterion="distance") - 1
    labels = np.unique(closer)
    shares = np.array([seconds[closer == label].sum() for label in labels]) / seconds.sum()
    big = labels[shares >= HINTED_SHARE]
    if len(big) <= len(np.unique(ids)) or len(big) > limit:
        return ids
    # Pieces outside the big voices join the big voice of their current voice's majority later
    # (refine moves every piece to its nearest centre).
    return np.where(np.isin(closer, big), closer, big[0])


def absorb_small_voices(
    prints: np.ndarray, seconds: np.ndarray, ids: np.ndarray, limit: int
) -> np.ndarray:
    """Merge the voice with the least speech into its nearest until all are big and <= limit."""
    ids = ids.copy()
    while True:
        labels = np.unique(ids)
        shares = np.array([seconds[ids == label].sum() for label in labels]) / seconds.sum()
        smallest = int(np.argmin(shares))
        if len(labels) == 1 or (len(labels) <= limit and shares[smallest] >= MIN_SHARE):
            return ids
        centres = unit(np.stack([prints[ids == label].mean(axis=0) for label in labels]))
        closeness = centres @ centres[smallest]
        closeness[smallest] = -np.inf
        ids[ids == labels[smallest]] = labels[int(np.argmax(closeness))]


def refine(prints: np.ndarray, seconds: np.ndarray, ids: np.ndarray, rounds: int = 3):
    """Move every print to its nearest voice's centre (k-means steps weighted by duration)."""
    for _ in range(rounds):
        labels = np.unique(ids)
        weighted = [(prints[ids == label] * seconds[ids == label, None]).sum(0) for label in labels]
        centres = unit(np.stack(weighted))
        new = labels[np.argmax(prints @ centres.T, axis=1)]
        if np.array_equal(new, ids):
            break
        ids = new
    return ids


def smooth_unsure_pieces(
    prints: np.ndarray, seconds: np.ndarray, ids: np.ndarray, margin_needed: float
) -> np.ndarray:
    """A piece between two pieces of one voice takes that voice when its own print is nearly as
    close to it as to the voice it was given: one such piece inside a host's sentence otherwise
    hands the whole sentence (and the host's self-introduction) to the guest. A short reply in a
    clearly different voice keeps its own."""
    labels = np.unique(ids)
    if len(labels) < 2:
        return ids
    weighted = [(prints[ids == label] * seconds[ids == label, None]).sum(0) for label in labels]
    closeness = prints @ unit(np.stack(weighted)).T
    index = {label: n for n, label in enumerate(labels)}
    ids = ids.copy()
    for n in range(1, len(ids) - 1):
        before, own, after = ids[n - 1], ids[n], ids[n + 1]
        if before != after or own == before:
            continue
        margin = closeness[n, index[own]] - closeness[n, index[before]]
        if margin < margin_needed:
            ids[n] = before
    return ids


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


@dataclass(frozen=True)
class VoicePrinter:
    """A speaker encoder: how far apart its prints of one voice fall, and how it turns pieces
    of speech into (indices of the pieces embedded, one unit voice print each)."""

    same_voice_distance: float
    hinted_same_voice_distance: float
    unsure_margin: float
    spread_factor: float | None
    piece_prints: Callable[[np.ndarray, list[tuple[float, float]], int], tuple]


def windowed_prints(samples, pieces, threads, window_seconds, prints, levelled=True) -> tuple:
    """Each piece's print: the mean of its windows' prints (see place_windows); `levelled`:
    each piece scaled to TARGET_DBFS first (GE2E; CAM++'s prints do not depend on the level)."""
    windows = place_windows(pieces, samples.size / SAMPLE_RATE, window_seconds)
    owners = np.array([piece for _, piece in windows])
    gains = piece_gains(samples, pieces)[owners] if levelled else 1.0
    found = prints(samples, [begin for begin, _ in windows], threads, gains)
    embedded = np.unique(owners)
    return embedded, unit(np.stack([found[owners == n].mean(axis=0) for n in embedded]))


def ge2e_printer() -> VoicePrinter:
    """GE2E with its measured thresholds (read at call time, so bench --sweep can vary them)."""
    return VoicePrinter(
        SAME_VOICE_DISTANCE,
        HINTED_SAME_VOICE_DISTANCE,
        UNSURE_MARGIN,
        None,
        lambda samples, pieces, threads: windowed_prints(
            samples, pieces, threads, WINDOW_SECONDS, voice_prints
        ),
    )


def campplus_printer() -> VoicePrinter:
    """CAM++ with its measured thresholds."""
    return VoicePrinter(
        CAMPP_SAME_VOICE_DISTANCE,
        CAMPP_HINTED_SAME_VOICE_DISTANCE,
        CAMPP_UNSURE_MARGIN,
        CAMPP_SPREAD_FACTOR,
        # Measuring each piece's level took 0.4-2 s of CPU for a 60-minute episode, unused.
        lambda samples, pieces, threads: windowed_prints(
            samples, pieces, threads, CAMPP_WINDOW_SECONDS, campplus_prints, levelled=False
        ),
    )


ENCODERS = {"campplus": campplus_printer, "ge2e": ge2e_printer}


def encoder_speakers(
    samples: np.ndarray,
    words: list[Word],
    encoder: VoicePrinter,
    speech: np.ndarray,
    *,
    speakers: int | None,
    threads: int = 0,
) -> list[int]:
    """A speaker id per word from clustered voice prints of the pieces of speech (`speech`: the
    samples' speech probabilities)."""
    words = retime_detached_words(words, speech)
    pieces = cut_long(split_at_pauses(speech_stretches(words), speech))
    embedded, piece_prints = encoder.piece_prints(samples, pieces, threads)
    seconds = np.maximum([pieces[n][1] - pieces[n][0] for n in embedded], 0.01)
    ids = cluster(piece_prints, seconds, speakers, encoder)
    ids = smooth_unsure_pieces(piece_prints, seconds, ids, encoder.unsure_margin)
    turns = [(*pieces[n], int(i)) for n, i in zip(embedded, ids, strict=True)]
    return assign_words(words, turns)


# --- from speaker turns to labelled segments --------------------------------------------------


def assign_words(words: list[Word], turns: list[tuple[float, float, int]]) -> list[int]:
    """Each word's speaker: the one whose turns overlap it most, else the nearest turn's."""
    if not turns:
        return [0] * len(words)
    starts = np.array([start for start, _, _ in turns])
    ends = np.array([end for _, end, _ in turns])
    owners = np.array([owner for _, _, owner in turns])
    ids = []
    for word in words:
        overlap = np.minimum(ends, word.end) - np.maximum(starts, word.start)
        if overlap.max() > 0:
            weights = np.bincount(owners, weights=np.clip(overlap, 0, None))
            ids.append(int(np.argmax(weights)))
        else:
            middle = (word.start + word.end) / 2
            distance = np.maximum(starts - middle, middle - ends)
            ids.append(int(owners[np.argmin(distance)]))
    return ids


def snap_to_sentence_ends(words: list[Word], ids: list[int]) -> list[int]:
    """Move each speaker change to the nearest sentence end within SNAP_SECONDS, if any."""
    ids = list(ids)
    starts = np.array([word.start for word in words], dtype=float)
    # after_end[m]: words[m] starts a sentence (m >= 1); scanning every word for every change
    # in Python took 0.2-0.4 s for a 60-minute episode.
    after_end = np.array(
        [False] + [bool(SENTENCE_END.search(word.text.strip())) for word in words[:-1]]
    )
    for n in range(1, len(words)):
        if ids[n] == ids[n - 1] or after_end[n]:
            continue
        distance = np.abs(starts - words[n].start)
        candidates = np.flatnonzero(after_end & (distance <= SNAP_SECONDS))
        if not candidates.size:
            continue
        best = int(candidates[np.argmin(distance[candidates])])
        before, after = ids[n - 1], ids[n]
        low, high = sorted((best, n))
        ids[low:high] = [before if best > n else after] * (high - low)
    return ids


def relabel(ids: list[int]) -> list[str]:
    """Cluster ids as letters A, B, C… in the order the speakers first speak."""
    letters: dict[int, str] = {}
    for speaker in ids:
        letters.setdefault(speaker, LABELS[len(letters) % len(LABELS)])
    return [letters[speaker] for speaker in ids]


def build_segments(segments: list[Segment], labels: list[str]) -> list[dict]:
    """The engine's segments, cut where the speaker changes inside one."""
    result = []
    labelled = iter(labels)
    for segment in segments:
        run: list[Word] = []
        speaker = ""
        for word in segment.words:
            label = next(labelled)
            if run and label != speaker:
                result.append(segment_dict(speaker, run))
                run = []
            run.append(word)
            speaker = label
        if run:
            result.append(segment_dict(speaker, run))
    return result


def segment_dict(speaker: str, words: list[Word]) -> dict:
    return {
        "speaker": speaker,
        "start": round(float(words[0].start), 2),
        "end": round(float(words[-1].end), 2),
        "text": "".join(word.text for word in words).strip(),
    }


# --- pyannote (optional) ----------------------------------------------------------------------


def pyannote_turns(samples: np.ndarray, speakers: int | None) -> list[tuple[float, float, int]]:
    """Speaker turns from pyannote.audio's pipeline (needs torch and a hub token)."""
    try:
        import torch
        from pyannote.audio import Pipeline
    except ImportError as exc:
        raise EngineUnavailable(
            "PODINDEX_DIARIZATION=pyannote needs pyannote.audio and torch installed "
            "(pip install pyannote.audio); or use ge2e."
        ) from exc
    pipeline = pyannote_pipeline(Pipeline, torch)
    waveform = torch.from_numpy(np.ascontiguousarray(samples)).unsqueeze(0)
    options = {"max_speakers": min(speakers or MAX_SPEAKERS, MAX_SPEAKERS)}
    annotation = pipeline({"waveform": waveform, "sample_rate": SAMPLE_RATE}, **options)
    annotation = getattr(annotation, "speaker_diarization", annotation)
    names: dict[str, int] = {}
    return [
        (turn.start, turn.end, names.setdefault(name, len(names)))
        for turn, _, name in annotation.itertracks(yield_label=True)
    ]


_pyannote = None


def pyannote_pipeline(pipeline_class, torch):
    """pyannote's pretrained pipeline, loaded once, on the GPU when there is one."""
    global _pyannote
    with _encoder_lock:
        if _pyannote is None:
            try:
                _pyannote = pipeline_class.from_pretrained(
                    settings.PODINDEX_PYANNOTE_MODEL, token=settings.PODINDEX_PYANNOTE_TOKEN or None
                )
            except Exception as exc:
                raise EngineUnavailable(
                    f"Cannot load {settings.PODINDEX_PYANNOTE_MODEL}: {exc}. It needs "
                    "PODINDEX_PYANNOTE_TOKEN with the model's terms accepted on the hub."
                ) from exc
            if _pyannote is None:
                raise EngineUnavailable(
                    f"{settings.PODINDEX_PYANNOTE_MODEL} is gated: set PODINDEX_PYANNOTE_TOKEN."
                )
            if torch.cuda.is_available():
                _pyannote.to(torch.device("cuda"))
        return _pyannote
