"""sitemap.xml and robots.txt: what crawlers are pointed at."""

import pytest
from defusedxml import ElementTree
from django.core.cache import cache

from episodes.models import Episode
from people.models import Person
from people.ranking import refresh_people
from tests.factories import (
    AppearanceFactory,
    CategoryFactory,
    EpisodeFactory,
    ShowFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
SITE = "https://b2bpodcastindex.example"


@pytest.fixture(autouse=True)
def fresh_cache():
    # The sitemap views are cached; each test starts from an empty cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def locations(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    return [loc.text for loc in root.findall(".//sm:loc", NS)]


def test_it_indexes_one_sitemap_per_kind_of_page(client):
    sections = locations(client, "/sitemap.xml")

    assert sections == [
        f"{SITE}/sitemap-{name}.xml"
        for name in ("pages", "categories", "topics", "shows", "episodes", "people")
    ]


def test_it_links_to_site_url_whatever_host_the_request_names(client, settings):
    # A server that answers any Host (a catch-all virtual host, ALLOWED_HOSTS = *) must still
    # point crawlers, and the cached copy, at our own site.
    settings.ALLOWED_HOSTS = ["*"]
    show = ShowFactory(slug="listed")
    AppearanceFactory(episode=EpisodeFactory(show=show, slug="visible"))
    refresh_people(Person.objects.values_list("pk", flat=True))
    CategoryFactory(slug="finance")
    TopicFactory(slug="pricing")

    found = [
        url
        for page in ("", "-pages", "-categories", "-topics", "-shows", "-episodes", "-people")
        for url in locations(client, f"/sitemap{page}.xml", host="evil.example")
    ]

    assert len(found) == 6 + 4 + 1 + 1 + 1 + 1 + 1
    assert [url for url in found if not url.startswith(f"{SITE}/")] == []


def test_it_keeps_a_path_in_site_url(client, settings):
    settings.SITE_URL = "https://example.org/podcasts"
    ShowFactory(slug="listed")

    assert locations(client, "/sitemap.xml")[0] == "https://example.org/podcasts/sitemap-pages.xml"
    assert locations(client, "/sitemap-shows.xml") == ["https://example.org/podcasts/shows/listed/"]


def test_it_lists_listed_shows_episodes_categories_topics_and_people_only(client):
    CategoryFactory(slug="finance")
    TopicFactory(slug="pricing")
    show = ShowFactory(slug="listed")
    gone = ShowFactory(slug="gone", active=False)
    visible = EpisodeFactory(show=show, slug="visible")
    EpisodeFactory(show=gone, slug="of-gone-show")
    hidden = EpisodeFactory(show=show, slug="hidden")
    Episode.objects.filter(pk=hidden.pk).update(hidden=True)
    AppearanceFactory(person__slug="listed-guest", episode=visible)
    AppearanceFactory(person__slug="hidden-guest", person__hidden=True, episode=visible)
    AppearanceFactory(person__slug="guest-of-hidden-episode", episode=hidden)
    refresh_people(Person.objects.values_list("pk", flat=True))

    assert locations(client, "/sitemap-pages.xml") == [
        f"{SITE}/",
        f"{SITE}/shows/",
        f"{SITE}/people/",
        f"{SITE}/methodology/",
    ]
    assert locations(client, "/sitemap-people.xml") == [f"{SITE}/people/listed-guest/"]
    assert locations(client, "/sitemap-categories.xml") == [f"{SITE}/categories/finance/"]
    assert locations(client, "/sitemap-topics.xml") == [f"{SITE}/topics/pricing/"]
    assert locations(client, "/sitemap-shows.xml") == [f"{SITE}/shows/listed/"]
    assert locations(client, "/sitemap-episodes.xml") == [f"{SITE}/shows/listed/visible/"]


def test_it_points_robots_at_the_sitemap(client):
    body = client.get("/robots.txt").content.decode()

    assert "Sitemap: https://b2bpodcastindex.example/sitemap.xml" in body
    assert client.get("/sitemap-nothing.xml").status_code == 404
