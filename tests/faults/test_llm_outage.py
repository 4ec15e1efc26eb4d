"""The LLM endpoint down (connections refused) for a while: bounded retries, nothing spent,
nothing published, and every episode scored once it is back."""

from decimal import Decimal

import pytest

from episodes.transcripts.parse import parse_plain_text
from scoring import budget, tasks
from scoring.models import Scorecard, ScoringRun
from tests.factories import EpisodeFactory, TranscriptFactory
from tests.faults.conftest import free_port
from tests.scoring.conftest import answer, transcript_text
from tests.scoring.fake_llm import point_scoring_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def episodes():
    made = []
    for n in range(3):
        episode = EpisodeFactory(title=f"Pricing in public, part {n + 1}")
        TranscriptFactory(
            episode=episode, segments=parse_plain_text(transcript_text("operator_interview.txt"))
        )
        made.append(episode)
    return made


def test_an_unreachable_endpoint_costs_bounded_attempts_and_no_budget_then_all_are_scored(
    episodes, settings, fake_llm
):
    point_scoring_at(settings, f"http://127.0.0.1:{free_port()}/v1")

    queued = tasks.score_pending.apply().get()

    runs = ScoringRun.objects.filter(episode__in=episodes)
    assert queued == 3
    assert sorted(runs.values_list("outcome", flat=True)) == [ScoringRun.Outcome.FAILED] * 3
    assert all(run.attempts == 3 and "after 3 attempts" in run.error for run in runs)
    assert not Scorecard.objects.filter(episode__in=episodes).exists()
    assert budget.spent_today() == Decimal(0)

    # The endpoint is back: the hourly sweep picks up every episode the outage left unscored.
    settings.PODINDEX_SCORING_API_BASE = fake_llm.url
    for _ in episodes:
        fake_llm.answer(answer())

    assert tasks.score_pending.apply().get() == 3

    assert Scorecard.objects.filter(episode__in=episodes, is_current=True).count() == 3
    assert len(fake_llm.requests) == 3
    ok_runs = runs.filter(outcome=ScoringRun.Outcome.OK)
    assert budget.spent_today() == sum(run.cost_usd for run in ok_runs) > 0
