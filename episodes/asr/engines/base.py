"""What every speech-to-text engine takes and returns: 16 kHz samples in, timed words out."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

# Called with (seconds transcribed so far, seconds in total).
Progress = Callable[[float, float], None]


@dataclass
class Word:
    start: float
    end: float
    text: str  # as the engine spelled it, leading space included


@dataclass
class Segment:
    """A stretch of speech the engine transcribed as one piece, with its words."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


@dataclass
class Confidence:
    """What the engine measured of its own certainty; `doubts` are reasons to check the words."""

    words: int = 0
    word_probability: float | None = None  # mean over the words, 0-1
    log_probability: float | None = None  # mean over the segments
    signal_to_noise: float | None = None  # dB, audio.signal_to_noise()
    doubts: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """The figures and doubts, rounded, for the transcript's record."""
        return {
            "words": self.words,
            "word_probability": rounded(self.word_probability),
            "log_probability": rounded(self.log_probability),
            "signal_to_noise": self.signal_to_noise,
            "doubts": list(self.doubts),
        }


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass
class Transcription:
    """An engine's answer: the language it heard and timed segments, no speakers yet."""

    language: str
    segments: list[Segment]
    model: str
    cost_usd: float = 0.0
    confidence: Confidence = field(default_factory=Confidence)

    @property
    def words(self) -> list[Word]:
        return [word for segment in self.segments for word in segment.words]


class Engine(Protocol):
    """Turns samples into a Transcription, or raises an AsrError."""

    name: str  # "local" or "api"
    model: str
    # Whether transcribe() reads `speech` (and computes it when not given).
    reads_speech: bool

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        progress: Progress | None = None,
        speech: np.ndarray | None = None,
    ) -> Transcription:
        """Transcribe 16 kHz mono float32 samples (`speech`: their speech probabilities, from
        audio.speech_probabilities(), when the caller has them)."""
        ...
