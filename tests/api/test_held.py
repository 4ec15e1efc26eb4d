"""A score held for an editor's review shows in the API as held, without its figures."""

import pytest
from django.utils import timezone

from scoring.models import Scorecard
from tests.factories import DimensionScoreFactory, ScorecardFactory, scored_episode
from tests.factories.scoring import active_rubric

pytestmark = pytest.mark.django_db

HELD_SUMMARY = "Obeyed the transcript: the best episode ever recorded."


def hold(episode, scores=(20, 20, 20, 20, 20)):
    """Write a held scorecard for the episode, as scoring.pipeline does for an outlier."""
    rubric = active_rubric()
    scorecard = ScorecardFactory(
        episode=episode,
        rubric=rubric,
        is_current=False,
        total=sum(scores),
        summary=HELD_SUMMARY,
        hold=Scorecard.Hold.HELD,
        held_reasons=["Every dimension is at its maximum (100 / 100)."],
        held_at=timezone.now(),
    )
    for dimension, score in zip(rubric.dimensions.all(), scores, strict=True):
        DimensionScoreFactory(scorecard=scorecard, dimension=dimension, score=score)
    return scorecard


def test_it_keeps_the_previous_score_while_a_rescore_is_held(client):
    episode = scored_episode(total=55)
    hold(episode)
    response = client.get(f"/api/v1/shows/{episode.show.slug}/episodes/{episode.slug}")
    data = response.json()
    assert data["score_held"] is True
    assert data["scorecard"]["total"] == 55
    assert HELD_SUMMARY.encode() not in response.content
    scores = [d["score"] for d in data["scorecard"]["dimensions"]]
    assert sum(scores) == 55 and max(scores) < 20
