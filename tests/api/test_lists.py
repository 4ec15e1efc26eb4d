"""Lists that are not one show's read what their pages and feeds read: same order and figures."""

import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from defusedxml import ElementTree
from django.urls import reverse
from django.utils import timezone

from episodes.models import Episode
from tests.factories import (
    CategoryFactory,
    EpisodeFactory,
    ShowFactory,
    TopicFactory,
    TranscriptFactory,
    scored_episode,
)
from tests.factories.browse import show_with_scores

pytestmark = pytest.mark.django_db


def api(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def page_links(client, url, pattern, **params):
    """The distinct paths on a page that match `pattern`, in the order they appear."""
    soup = BeautifulSoup(client.get(url, params).content, "html.parser")
    return list(dict.fromkeys(a["href"] for a in soup.find_all("a", href=re.compile(pattern))))


def path_of(url: str) -> str:
    return urlsplit(url).path


def every_item(client, url, **params):
    """Every item of a list, paged through with the cursors it gives."""
    data = api(client, url, **params)
    items = data["items"]
    while data["next"]:
        data = api(client, data["next"])
        items += data["items"]
    return items


@pytest.fixture
def finance():
    return CategoryFactory(slug="finance", name="Finance")


@pytest.fixture
def ranked(finance, settings):
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 0
    return [
        show_with_scores(90, 80, 85, categories=[finance]),
        show_with_scores(60, 65, 70, categories=[finance]),
        show_with_scores(75, 70, 72, categories=[CategoryFactory()]),
        show_with_scores(95, None),  # too few scored episodes to be ranked
    ]


def test_it_ranks_a_category_as_its_page_does(client, ranked):
    data = api(client, "/api/v1/rankings", category="finance")
    on_page = page_links(client, "/categories/finance/", r"^/shows/[\w-]+/$")
    assert [path_of(row["url"]) for row in data["items"]] == on_page
    html = client.get("/categories/finance/").content.decode()
    assert f"{data['ranked_count']} shows ranked in Finance." in html
    assert [row["rank"] for row in data["items"]] == [1, 2]
    assert data["category"] == {"slug": "finance", "name": "Finance"}


def test_it_ranks_only_ranked_shows_overall_best_first(client, ranked):
    data = api(client, "/api/v1/rankings")
    assert [row["slug"] for row in data["items"]] == [
        ranked[0].slug,
        ranked[2].slug,
        ranked[1].slug,
    ]
    assert data["ranked_count"] == 3
    assert data["category"] is None
    assert client.get("/api/v1/rankings?category=nope").status_code == 404


def test_it_counts_each_categorys_ranked_shows_as_the_home_page_does(client, ranked):
    soup = BeautifulSoup(client.get("/").content, "html.parser")
    on_home = {
        card.select_one("a").get_text(strip=True): card.select_one("p.muted").get_text(strip=True)
        for card in soup.select("#categories-heading ~ ul .card")
    }
    listed = api(client, "/api/v1/categories")["items"]
    assert {c["name"]: f"{c['ranked_count']} ranked show" for c in listed} == {
        name: text.rstrip("s") for name, text in on_home.items()
    }
    finance = next(c for c in listed if c["slug"] == "finance")
    assert api(client, finance["rankings_url"])["ranked_count"] == 2


def test_it_lists_a_topics_episodes_in_the_order_of_its_page(client):
    pricing = TopicFactory(name="Pricing", slug="pricing")
    for score in (61, 92, None, 75):
        episode = scored_episode(total=score) if score else EpisodeFactory()
        episode.topics.add(pricing)
    hidden = scored_episode(total=99)
    hidden.topics.add(pricing)
    Episode.objects.filter(pk=hidden.pk).update(hidden=True)

    topics = api(client, "/api/v1/topics")["items"]
    assert [t["slug"] for t in topics] == ["pricing"]
    items = every_item(client, topics[0]["episodes_url"], limit=2)
    on_page = page_links(client, "/topics/pricing/", r"^/shows/[\w-]+/[\w-]+/$")
    assert [path_of(row["url"]) for row in items] == on_page
    assert [row["score"] for row in items] == [92, 75, 61, None]
    assert items[0]["show"]["slug"] in items[0]["url"]


def test_it_searches_as_the_site_does(client):
    show = ShowFactory(title="The Churn Report")
    for i in range(3):
        scored_episode(total=60 + i, show=show, title=f"Churn lesson {i}")
    talk = scored_episode(total=70, title="A chat with a CFO")
    TranscriptFactory(
        episode=talk,
        segments=[{"speaker": "B", "start": 754.2, "end": 760.0, "text": "Our churn fell."}],
    )
    data = api(client, "/api/v1/search", q="churn")
    assert [s["slug"] for s in data["shows"]] == [show.slug]
    on_page = page_links(client, "/search/", r"^/shows/[\w-]+/[\w-]+/$", q="churn")
    assert [path_of(e["url"]) for e in data["items"]] == [url for url in on_page if "#" not in url]
    (moment,) = data["moments"]
    assert moment["start"] == 754.2
    assert moment["episode"]["slug"] == talk.slug
    assert "<mark>churn</mark>" in moment["snippet_html"]

    paged = every_item(client, "/api/v1/search", q="churn", limit=1)
    assert [e["slug"] for e in paged] == [e["slug"] for e in data["items"]]


def test_it_reverses_each_url_of_a_searchs_episodes_once(client, monkeypatch):
    talk = scored_episode(total=70, title="Churn talk")
    TranscriptFactory(episode=talk, segments=[{"start": 5.0, "text": "Our churn fell."}])
    reversed_names = []

    def counted(name, *args, **kwargs):
        reversed_names.append(name)
        return reverse(name, *args, **kwargs)

    monkeypatch.setattr("api.presenters.reverse", counted)
    data = api(client, "/api/v1/search", q="churn")

    # The episode found and the moment's episode are one list of summaries.
    assert [e["slug"] for e in data["items"]] == [talk.slug]
    assert data["moments"][0]["episode"] == data["items"][0]
    assert reversed_names.count("episodes:detail") == 1


def test_it_answers_an_empty_or_hostile_search_with_an_empty_page(client):
    assert api(client, "/api/v1/search")["items"] == []
    long = api(client, "/api/v1/search", q="churn " * 2000)
    assert long["truncated"] is True
    assert client.get("/api/v1/search", {"q": "a\x00b"}).status_code == 400


def test_it_lists_newly_scored_episodes_as_the_site_feed_does(client, finance):
    show_with_scores(80, 40, 65, 90, categories=[finance])
    show_with_scores(55, 85)
    unscored = EpisodeFactory()

    rss = ElementTree.fromstring(client.get("/rss/", {"min_score": 60}).content)
    in_feed = [item.findtext("link") for item in rss.iter("item")]
    items = every_item(client, "/api/v1/episodes/scored", min_score=60, limit=2)
    assert [row["url"] for row in items] == in_feed
    assert all(row["score"] >= 60 for row in items)
    assert unscored.slug not in {row["slug"] for row in items}

    rss = ElementTree.fromstring(client.get("/rss/", {"category": "finance"}).content)
    in_feed = [item.findtext("link") for item in rss.iter("item")]
    items = every_item(client, "/api/v1/episodes/scored", category="finance")
    assert [row["url"] for row in items] == in_feed
    assert len(items) == 4


def test_it_pages_newly_scored_episodes_by_their_keys_even_when_they_tie(client):
    show = ShowFactory()
    same_moment = timezone.now()
    episodes = [scored_episode(total=50, show=show, scored_at=same_moment) for _ in range(5)]
    items = every_item(client, "/api/v1/episodes/scored", limit=2)
    assert sorted(row["slug"] for row in items) == sorted(e.slug for e in episodes)
    assert len(items) == 5


def test_it_refuses_a_cursor_issued_for_another_list(client):
    show_with_scores(80, 70, 60)
    first = api(client, "/api/v1/episodes/scored", limit=1)
    other = client.get("/api/v1/episodes/scored", {"min_score": 10, "cursor": first["next_cursor"]})
    assert other.status_code == 400
    assert other["Content-Type"] == "application/problem+json"
