"""The daily spend: scoring runs and speech-to-text through a provider share one budget."""

from decimal import Decimal

import pytest

from episodes.models import Transcript
from scoring import budget
from scoring.models import ScoringRun
from tests.factories import EpisodeFactory, TranscriptFactory

pytestmark = pytest.mark.django_db


def test_it_counts_provider_transcription_in_todays_spend(settings):
    settings.PODINDEX_DAILY_LLM_BUDGET_USD = 1.0
    episode = EpisodeFactory()
    ScoringRun.objects.create(
        episode=episode, engine="llm", rubric_version=1, cost_usd=Decimal("0.40")
    )
    TranscriptFactory(source=Transcript.Source.ASR, engine="api", cost_usd=Decimal("0.35"))

    assert budget.spent_today() == Decimal("0.75")
    assert budget.remaining() == Decimal("0.25")
    assert not budget.allows(Decimal("0.30"))
