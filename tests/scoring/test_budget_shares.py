"""Shares of the LLM budget: one feed, or all new shows together, cannot spend what the other
shows' episodes need."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from scoring.models import ScoringRun
from scoring.pipeline import run_scoring
from shows.models import Show
from tests.factories import EpisodeFactory
from tests.scoring.conftest import answer, transcript_text

pytestmark = pytest.mark.django_db


def spend(show, usd):
    """Runs already billed today for this show's episodes."""
    ScoringRun.objects.create(
        episode=EpisodeFactory(show=show), engine="llm", rubric_version=1, cost_usd=Decimal(usd)
    )


def test_a_show_past_its_share_waits_while_another_show_is_scored(llm, make_episode, settings):
    settings.PODINDEX_DAILY_LLM_BUDGET_USD = 1.0
    settings.PODINDEX_BUDGET_SHOW_SHARE = 0.25
    hostile = make_episode(transcript_text("operator_interview.txt"), title="Item 171")
    legitimate = make_episode(transcript_text("operator_interview.txt"), title="Pricing")
    spend(hostile.show, "0.26")
    llm.answer(answer())

    refused = run_scoring(hostile.pk)
    scored = run_scoring(legitimate.pk)

    assert refused.outcome == ScoringRun.Outcome.BUDGET
    assert "This show's share of today's LLM budget ($0.25) is spent" in refused.error
    assert scored.outcome == ScoringRun.Outcome.OK
    assert len(llm.requests) == 1


def test_new_shows_together_keep_to_their_share(llm, make_episode, settings):
    settings.PODINDEX_DAILY_LLM_BUDGET_USD = 1.0
    settings.PODINDEX_BUDGET_SHOW_SHARE = 1.0
    settings.PODINDEX_BUDGET_NEW_SHOWS_SHARE = 0.5
    new = make_episode(transcript_text("operator_interview.txt"), title="New")
    other_new = EpisodeFactory().show
    established = make_episode(transcript_text("operator_interview.txt"), title="Old")
    Show.objects.filter(pk=established.show_id).update(
        created_at=timezone.now() - timedelta(days=60)
    )
    spend(other_new, "0.50")
    llm.answer(answer())

    assert run_scoring(new.pk).outcome == ScoringRun.Outcome.BUDGET
    assert run_scoring(established.pk).outcome == ScoringRun.Outcome.OK
