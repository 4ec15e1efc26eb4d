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
class Transcription:
    """An engine's answer: the language it heard and timed segments, no speakers yet."""

    language: str
    segments: list[Segment]
    model: str
    cost_usd: float = 0.0

    @property
    def words(self) -> list[Word]:
        return [word for segment in self.segments for word in segment.words]


class Engine(Protocol):
    """Turns samples into a Transcription, or raises an AsrError."""

    name: str  # "local" or "api"
    model: str

    def transcribe(self, samples: np.ndarray, *, progress: Progress | None = None) -> Transcription:
        """Transcribe 16 kHz mono float32 samples."""
        ...
