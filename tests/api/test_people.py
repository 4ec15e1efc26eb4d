"""People in the API read what the people pages read: same order, same figures."""

import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from episodes.transcripts.parse import parse_plain_text
from people import ranking
from people.models import Appearance
from tests.factories import (
    AppearanceFactory,
    CategoryFactory,
    PersonFactory,
    ShowFactory,
    TranscriptFactory,
    scored_episode,
)

pytestmark = pytest.mark.django_db

QUOTE = "We cut the close from nine days to six by setting one threshold"


@pytest.fixture(autouse=True)
def _plain_prior(settings):
    settings.PODINDEX_PEOPLE_PRIOR_WEIGHT = 0
    settings.PODINDEX_PEOPLE_MIN_APPEARANCES = 2


def on(person, *totals, show=None, role=Appearance.Role.GUEST, **appearance):
    """Put `person` on new episodes scored these totals."""
    episodes = [scored_episode(total=t, **({"show": show} if show else {})) for t in totals]
    for episode in episodes:
        AppearanceFactory(person=person, episode=episode, role=role, **appearance)
    return episodes


@pytest.fixture
def people():
    finance = CategoryFactory(slug="finance", name="Finance")
    show = ShowFactory(categories=[finance])
    jane, sam, lee = PersonFactory(name="Jane"), PersonFactory(name="Sam"), PersonFactory()
    on(jane, 90, 80, show=show)
    on(sam, 70, 60, show=show, role=Appearance.Role.HOST)
    on(lee, 99)  # one scored episode: not ranked
    hidden = PersonFactory(name="Hidden", hidden=True)
    on(hidden, 95, 95, show=show)
    ranking.recompute_all()
    return {"jane": jane, "sam": sam, "lee": lee, "hidden": hidden}


def api(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_it_ranks_people_as_the_people_page_does(client, people):
    soup = BeautifulSoup(client.get("/people/").content, "html.parser")
    on_page = list(
        dict.fromkeys(a["href"] for a in soup.find_all("a", href=re.compile(r"^/people/[\w-]+/$")))
    )
    data = api(client, "/api/v1/people")
    assert [urlsplit(p["url"]).path for p in data["items"]] == on_page
    assert [p["name"] for p in data["items"]] == ["Jane", "Sam"]
    assert [p["rank"] for p in data["items"]] == [1, 2]
    assert data["items"][1]["host_count"] == 2
    in_finance = api(client, "/api/v1/people", category="finance")["items"]
    assert [p["name"] for p in in_finance] == ["Jane", "Sam"]


def quoted(person, **episode):
    """An episode where `person` is heard (label B) saying QUOTE, a verified quote."""
    episode = scored_episode(
        total=85,
        quotes=[{"text": QUOTE, "speaker": "B", "start": 12.0, "verified": True}],
        **episode,
    )
    TranscriptFactory(episode=episode, segments=parse_plain_text(f"Speaker B: {QUOTE}."))
    AppearanceFactory(person=person, episode=episode, speaker_label="B")
    return episode


def test_it_gives_a_persons_figures_and_quotes_as_their_page_does(client, people):
    jane = people["jane"]
    episode = quoted(jane)
    ranking.recompute_all()
    data = api(client, f"/api/v1/people/{jane.slug}")
    page = client.get(jane.get_absolute_url()).content.decode()
    assert data["name"] == "Jane" and data["rank"] == 1
    assert data["scored_count"] == 3
    assert f"{data['score']:.0f}" in page
    assert data["quotes"]
    for quote in data["quotes"]:
        assert quote["text"] in page and quote["episode"]["slug"] == episode.slug
    assert {e["slug"] for e in data["latest_episodes"]} == set(
        jane.appearances.values_list("episode__slug", flat=True)
    )
    assert [p["category"]["slug"] for p in data["placements"]] == ["finance"]


def test_it_does_not_know_a_hidden_person(client, people):
    assert client.get(f"/api/v1/people/{people['hidden'].slug}").status_code == 404
    names = [p["name"] for p in api(client, "/api/v1/people")["items"]]
    assert "Hidden" not in names


@pytest.mark.parametrize("url", ["/api/v1/people", "/api/v1/people?category=finance", "jane"])
def test_it_reads_many_people_in_as_many_queries_as_few(
    client, url, settings, django_assert_max_num_queries
):
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0
    show = ShowFactory(categories=[CategoryFactory(slug="finance")])
    jane = PersonFactory()
    on(jane, 90, show=show, speaker_label="A")
    quoted(jane, show=show)
    ranking.recompute_all()
    url = f"/api/v1/people/{jane.slug}" if url == "jane" else url
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    for _ in range(5):
        on(PersonFactory(), 70, 60, 50, show=show, speaker_label="B")
    on(jane, 85, 75, show=show, speaker_label="A")
    for _ in range(3):
        quoted(jane, show=show)
    ranking.recompute_all()
    with django_assert_max_num_queries(len(captured)):
        assert client.get(url).status_code == 200
