"""The daily LLM spend: scoring runs only; a provider's transcription has its own budget."""

from decimal import Decimal

import pytest

from episodes import asr_budget
from episodes.models import TranscriptionCharge
from scoring import budget
from scoring.models import ScoringRun
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


def test_it_keeps_provider_transcription_out_of_the_llm_budget(settings):
    settings.PODINDEX_DAILY_LLM_BUDGET_USD = 1.0
    settings.PODINDEX_ASR_ENGINE = "api"
    episode = EpisodeFactory()
    ScoringRun.objects.create(
        episode=episode, engine="llm", rubric_version=1, cost_usd=Decimal("0.40")
    )
    TranscriptionCharge.objects.create(
        episode=episode, show=episode.show, estimated_usd=Decimal("0.90"), cost_usd=Decimal("0.90")
    )

    assert budget.spent_today() == Decimal("0.40")
    assert budget.remaining() == Decimal("0.60")
    assert not budget.allows(Decimal("0.70"))
    assert asr_budget.spent_today().usd == Decimal("0.90")
