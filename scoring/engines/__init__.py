"""Scoring engines: transcript + episode metadata + rubric in, a checked scorecard out."""

from django.conf import settings

from scoring.engines.base import (
    BudgetExceeded,
    DimensionResult,
    DimensionSpec,
    EngineResult,
    EpisodeContext,
    ScoringError,
)
from scoring.engines.baseline import BaselineEngine
from scoring.engines.llm import LLMEngine

__all__ = [
    "BudgetExceeded",
    "DimensionResult",
    "DimensionSpec",
    "EngineResult",
    "EpisodeContext",
    "ScoringError",
    "get_engine",
]


def get_engine():
    """The engine the settings choose: litellm when a model is configured, else the baseline."""
    if settings.PODINDEX_SCORING_MODEL:
        return LLMEngine.from_settings()
    return BaselineEngine()
