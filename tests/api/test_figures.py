"""The API's figures are the pages' figures: both read the same querysets and presenters."""

import re

import pytest
from bs4 import BeautifulSoup

from episodes.transcripts.parse import parse_plain_text
from scoring.models import RubricDimension
from tests.api.test_held import hold
from tests.factories import (
    CategoryFactory,
    EditorialOverrideFactory,
    EpisodeFactory,
    TranscriptFactory,
    scored_episode,
)
from tests.factories.browse import show_with_scores

pytestmark = pytest.mark.django_db

QUOTE = "We cut the close from nine days to six by setting one threshold"


def html(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def api(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def corrected_episode():
    """A scored episode with a verified quote, a dimension override and a transcript."""
    episode = scored_episode(
        scores=(10, 8, 7, 8, 8),
        quotes=[{"text": QUOTE, "speaker": "B", "start": 12.0, "verified": True}],
    )
    TranscriptFactory(
        episode=episode,
        segments=parse_plain_text(f"Speaker A: Welcome back.\nSpeaker B: {QUOTE}, honestly."),
    )
    dimension = RubricDimension.objects.active().get(key="guest_caliber")
    EditorialOverrideFactory(
        episode=episode, dimension=dimension, score=15, reason="The guest ran the team."
    )
    return episode


def test_it_gives_the_scorecard_the_episode_page_shows(client, corrected_episode):
    episode = corrected_episode
    soup = html(client, episode.get_absolute_url())
    data = api(client, f"/api/v1/shows/{episode.show.slug}/episodes/{episode.slug}")
    card = data["scorecard"]
    assert str(card["total"]) == soup.select_one(".score-number").get_text(strip=True)
    page_scores = [
        re.match(r"(\d+) / (\d+)", s.get_text(strip=True)).groups()
        for s in soup.select(".dimension-score")
    ]
    assert [(str(d["score"]), str(d["max_score"])) for d in card["dimensions"]] == page_scores
    guest = next(d for d in card["dimensions"] if d["key"] == "guest_caliber")
    assert guest["override"]["reason"] == "The guest ran the team."
    assert (guest["score"], guest["model_score"]) == (15, 7)
    assert guest["override"]["reason"] in soup.get_text()
    insight = next(d for d in card["dimensions"] if d["key"] == "insight_density")
    quote = insight["quotes"][0]
    assert quote["text"] in soup.get_text()
    assert quote["verified"] is True
    assert quote["speaker"] == "B"
    assert quote["start"] is not None


def test_it_gives_the_show_figures_the_show_page_shows(client):
    finance = CategoryFactory(slug="finance", name="Finance")
    show = show_with_scores(81, 64, 47, categories=[finance])
    soup = html(client, show.get_absolute_url())
    data = api(client, f"/api/v1/shows/{show.slug}")
    panel = soup.select_one(".show-score-panel")
    assert str(round(data["score"])) == panel.select_one(".score-number").get_text(strip=True)
    assert f"From {data['scored_episode_count']} scored episodes" in panel.get_text(" ")
    page_text = re.sub(r"\s+", " ", soup.get_text(" "))
    assert data["dimension_averages"]
    for row in data["dimension_averages"]:
        assert row["name"] in page_text
    assert [p["category"]["slug"] for p in data["placements"]] == ["finance"]


def test_it_lists_shows_in_the_order_of_the_rankings_page(client):
    finance = CategoryFactory(slug="finance", name="Finance")
    shows = [show_with_scores(s, s - 5, s - 10, categories=[finance]) for s in (55, 90, 72)]
    show_with_scores(None)  # not scored: last on both
    soup = html(client, "/shows/")
    on_page = [
        a["href"].strip("/").split("/")[1]
        for a in soup.select('a[href^="/shows/"]')
        if re.fullmatch(r"/shows/[\w-]+/", a["href"])
    ]
    on_page = list(dict.fromkeys(on_page))
    listed = [row["slug"] for row in api(client, "/api/v1/shows")["items"]]
    assert listed == on_page
    assert set(listed[:3]) == {s.slug for s in shows}


def test_it_lists_a_shows_episodes_as_its_page_does(client):
    show = show_with_scores(60, None, 75, 40)
    soup = html(client, show.get_absolute_url())
    on_page = list(
        dict.fromkeys(
            a["href"].rstrip("/").rsplit("/", 1)[1]
            for a in soup.select(f'a[href^="/shows/{show.slug}/"]')
            if re.fullmatch(rf"/shows/{show.slug}/[\w-]+/", a["href"])
            and not a["href"].endswith("/rss/")
        )
    )
    listed = api(client, f"/api/v1/shows/{show.slug}/episodes")["items"]
    assert [e["slug"] for e in listed] == on_page
    assert [e["score"] for e in listed] == [60, None, 75, 40]


def test_it_says_a_score_is_held_without_its_figures(client):
    episode = EpisodeFactory()
    hold(episode, scores=(20, 20, 20, 20, 20))
    data = api(client, f"/api/v1/shows/{episode.show.slug}/episodes/{episode.slug}")
    assert data["score_held"] is True
    assert data["scorecard"] is None
    assert data["score"] is None


def test_it_links_each_row_to_its_page_and_its_own_resource(client):
    show = show_with_scores(60, 45)
    listed = api(client, "/api/v1/shows")["items"][0]
    assert listed["url"].endswith(show.get_absolute_url())
    assert api(client, listed["api_url"])["slug"] == show.slug
    for row in api(client, f"/api/v1/shows/{show.slug}/episodes")["items"]:
        episode = show.episodes.get(slug=row["slug"])
        assert row["url"].endswith(episode.get_absolute_url())
        assert api(client, row["api_url"])["score"] == episode.score
