"""The speech-to-text pipeline: an audio file in, a transcript labelled A, B, C… out.

`transcribe_file()` decodes the file (PyAV), transcribes it (the local faster-whisper engine or
a transcription API), labels the speakers (diarize) and measures what that cost. It touches no
model: the pipeline that stores transcripts calls it. Every failure is an AsrError whose
`status` ("unreadable_audio", "no_speech", "too_long", …) the caller records.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from episodes.asr import audio, diarize
from episodes.asr.engines import Engine, Progress, get_engine
from episodes.asr.errors import NoSpeech


@dataclass
class AsrResult:
    """A labelled transcript and what making it took."""

    language: str
    duration: float  # seconds of audio, rounded to 0.01
    segments: list[dict]  # {"speaker": "A", "start": 0.0, "end": 7.9, "text": "…"}
    engine: str  # "local" or "api"
    model: str
    audio_seconds: float
    wall_seconds: float
    cpu_seconds: float  # this process's CPU time, all threads
    cost_usd: float = 0.0  # what the provider charges (api engine, when litellm knows)
    # decode, speech (the voice detector), transcribe, diarize
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # The engine's confidence figures and doubts (Confidence.to_json()); doubts mean an editor
    # should check the words.
    confidence: dict = field(default_factory=dict)

    @property
    def real_time_factor(self) -> float:
        """Audio seconds transcribed per wall-clock second: 30 means 30 times real time."""
        return self.audio_seconds / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def low_confidence(self) -> bool:
        return bool(self.confidence.get("doubts"))

    @property
    def speakers(self) -> list[str]:
        return sorted({segment["speaker"] for segment in self.segments})

    def to_json(self) -> dict:
        """The transcript alone: {"language", "duration", "segments"}."""
        return {"language": self.language, "duration": self.duration, "segments": self.segments}


def transcribe_file(
    path: str | Path,
    *,
    speakers: int | None = None,
    engine: Engine | str | None = None,
    progress: Progress | None = None,
) -> AsrResult:
    """Transcribe an audio (or video) file with speaker labels; raise an AsrError if unusable.

    `speakers`: how many people speak, when the feed says (host + guests); estimated otherwise.
    `engine`: an Engine, or "local"/"api"; default PODINDEX_ASR_ENGINE.
    `progress`: called with (seconds transcribed, seconds in total) as transcription advances.
    """
    started, cpu_started = time.monotonic(), time.process_time()
    stages = {}
    samples = audio.load_audio(
        path,
        max_seconds=settings.PODINDEX_ASR_MAX_SECONDS,
        max_bytes=settings.PODINDEX_AUDIO_MAX_BYTES,
    )
    audio.require_sound(samples)
    stages["decode"] = time.monotonic() - started
    engine = engine if engine is not None and not isinstance(engine, str) else get_engine(engine)
    # One pass of the voice detector, read by the engine's speech spans and the speaker labels;
    # none when neither reads it (sequential decoding labelled by pyannote or not at all).
    speech = None
    if engine.reads_speech or diarize.reads_speech(speakers):
        speech = audio.speech_probabilities(samples, settings.PODINDEX_ASR_THREADS)
    stages["speech"] = time.monotonic() - started - stages["decode"]
    transcription = engine.transcribe(samples, progress=progress, speech=speech)
    stages["transcribe"] = time.monotonic() - started - sum(stages.values())
    if not transcription.words:
        raise NoSpeech("No speech was found: the audio holds only music, noise or silence.")
    segments = diarize.label_speakers(
        samples,
        transcription.segments,
        speakers=speakers,
        threads=settings.PODINDEX_ASR_THREADS,
        speech=speech,
    )
    wall = time.monotonic() - started
    stages["diarize"] = wall - sum(stages.values())
    seconds = audio.duration(samples)
    return AsrResult(
        language=transcription.language,
        duration=round(seconds, 2),
        segments=segments,
        engine=engine.name,
        model=transcription.model,
        audio_seconds=seconds,
        wall_seconds=wall,
        cpu_seconds=time.process_time() - cpu_started,
        cost_usd=transcription.cost_usd,
        stage_seconds={stage: round(value, 3) for stage, value in stages.items()},
        confidence=transcription.confidence.to_json(),
    )
