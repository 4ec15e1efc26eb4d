"""A score held for an editor's review shows in the API as held, without its figures."""

import pytest

from tests.factories import scored_episode
from tests.factories.scoring import HELD_SUMMARY, hold

pytestmark = pytest.mark.django_db


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
