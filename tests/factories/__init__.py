"""factory-boy factories for every model, one module per app."""

from tests.factories.episodes import EpisodeFactory, TopicFactory, TranscriptFactory
from tests.factories.people import AppearanceFactory, PersonFactory
from tests.factories.scoring import (
    DimensionScoreFactory,
    EditorialOverrideFactory,
    ScorecardFactory,
    score_episode,
    scored_episode,
    split_total,
)
from tests.factories.shows import CategoryFactory, ShowFactory

__all__ = [
    "AppearanceFactory",
    "CategoryFactory",
    "DimensionScoreFactory",
    "EditorialOverrideFactory",
    "EpisodeFactory",
    "PersonFactory",
    "ScorecardFactory",
    "ShowFactory",
    "TopicFactory",
    "TranscriptFactory",
    "score_episode",
    "scored_episode",
    "split_total",
]
