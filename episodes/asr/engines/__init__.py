"""Speech-to-text engines behind one interface; PODINDEX_ASR_ENGINE picks one."""

from django.conf import settings

from episodes.asr.engines.api import ApiEngine
from episodes.asr.engines.base import Engine, Progress, Segment, Transcription, Word
from episodes.asr.engines.local import LocalEngine
from episodes.asr.errors import EngineUnavailable

ENGINES = {"local": LocalEngine, "api": ApiEngine}

__all__ = [
    "ENGINES",
    "ApiEngine",
    "Engine",
    "LocalEngine",
    "Progress",
    "Segment",
    "Transcription",
    "Word",
    "get_engine",
]


def get_engine(name: str = "") -> Engine:
    """The engine called `name` (default PODINDEX_ASR_ENGINE), configured from settings."""
    name = name or settings.PODINDEX_ASR_ENGINE
    if name not in ENGINES:
        raise EngineUnavailable(f"PODINDEX_ASR_ENGINE={name!r} is not one of {', '.join(ENGINES)}.")
    return ENGINES[name].from_settings()
