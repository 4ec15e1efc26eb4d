"""A score held for an editor's review (scoring.outliers) is nowhere public: not on the episode
page (which says it is held), its JSON-LD, the show page, the rankings or any feed."""

import json

import pytest
from bs4 import BeautifulSoup

from tests.factories import (
    CategoryFactory,
    EpisodeFactory,
    ShowFactory,
    TopicFactory,
    TranscriptFactory,
    scored_episode,
)
from tests.factories.scoring import HELD_SUMMARY, hold

pytestmark = pytest.mark.django_db


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def jsonld(html):
    soup = BeautifulSoup(html, "html.parser")
    return json.loads(soup.select_one('script[type="application/ld+json"]').string)


def test_a_first_score_held_shows_the_notice_and_no_figures(client):
    episode = EpisodeFactory(title="Held episode")
    hold(episode)

    html = page(client, episode.get_absolute_url())

    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("#score-held").get_text(strip=True) == (
        "This episode's score is held for an editor's review."
    )
    assert not soup.select(".score-number") and "20 / 20" not in html
    assert HELD_SUMMARY not in html
    assert "review" not in jsonld(html)
    assert "score held for review" in soup.select_one('meta[property="og:title"]')["content"]


def test_a_held_rescore_leaves_the_previous_score_on_the_page(client):
    episode = scored_episode(scores=(10, 8, 7, 8, 8), title="Rescored episode")
    hold(episode)

    html = page(client, episode.get_absolute_url())

    soup = BeautifulSoup(html, "html.parser")
    assert "A new score for this episode is held" in soup.select_one("#score-held").get_text()
    assert soup.select_one(".score-number").get_text() == "41"
    assert jsonld(html)["review"]["reviewRating"]["ratingValue"] == 41
    assert HELD_SUMMARY not in html and "20 / 20" not in html


def test_a_held_score_is_in_no_feed_list_or_ranking(client):
    show = ShowFactory(categories=[CategoryFactory(slug="finance", name="Finance")])
    for _ in range(3):
        scored_episode(show=show, total=40)
    episode = EpisodeFactory(show=show, title="The held outlier")
    hold(episode)
    show.refresh_from_db()

    assert show.scored_episode_count == 3
    for url in (
        "/rss/",
        f"/shows/{show.slug}/rss/",
        "/categories/finance/rss/",
        "/rss/?min_score=90",
    ):
        assert HELD_SUMMARY not in page(client, url), url
        assert "The held outlier" not in page(client, url), url
    show_page = page(client, show.get_absolute_url())
    assert "100 / 100" not in show_page and "The held outlier" in show_page
    assert show.score is not None and show.score < 50


@pytest.mark.parametrize(("siblings", "segments"), [(1, 2), (12, 4000)])
def test_the_page_of_a_held_score_runs_a_constant_number_of_queries(
    client, django_assert_max_num_queries, siblings, segments
):
    show = ShowFactory(categories=[CategoryFactory(slug="finance", name="Finance")])
    episode = scored_episode(show=show)
    hold(episode)
    TranscriptFactory(
        episode=episode,
        segments=[
            {"speaker": "AB"[n % 2], "start": n * 5.0, "end": n * 5.0 + 5, "text": "so we grew"}
            for n in range(segments)
        ],
    )
    episode.topics.add(TopicFactory())
    for _ in range(siblings):
        scored_episode(show=show)

    with django_assert_max_num_queries(12):
        response = client.get(episode.get_absolute_url())

    assert b'id="score-held"' in response.content
