"""sitemap.xml and robots.txt: what crawlers are pointed at."""

import pytest
from defusedxml import ElementTree
from django.core.cache import cache

from episodes.models import Episode
from tests.factories import CategoryFactory, EpisodeFactory, ShowFactory, TopicFactory

pytestmark = pytest.mark.django_db
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(autouse=True)
def fresh_cache():
    # The sitemap views are cached; each test starts from an empty cache.
    cache.clear()
    yield
    cache.clear()


def locations(client, url):
    response = client.get(url)
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    return [loc.text for loc in root.findall(".//sm:loc", NS)]


def test_it_indexes_one_sitemap_per_kind_of_page(client):
    sections = locations(client, "/sitemap.xml")

    assert sections == [
        f"http://testserver/sitemap-{name}.xml"
        for name in ("pages", "categories", "topics", "shows", "episodes")
    ]


def test_it_lists_listed_shows_episodes_categories_and_topics_only(client):
    CategoryFactory(slug="finance")
    TopicFactory(slug="pricing")
    show = ShowFactory(slug="listed")
    gone = ShowFactory(slug="gone", active=False)
    EpisodeFactory(show=show, slug="visible")
    EpisodeFactory(show=gone, slug="of-gone-show")
    hidden = EpisodeFactory(show=show, slug="hidden")
    Episode.objects.filter(pk=hidden.pk).update(hidden=True)

    assert locations(client, "/sitemap-pages.xml") == [
        "http://testserver/",
        "http://testserver/shows/",
        "http://testserver/methodology/",
    ]
    assert locations(client, "/sitemap-categories.xml") == ["http://testserver/categories/finance/"]
    assert locations(client, "/sitemap-topics.xml") == ["http://testserver/topics/pricing/"]
    assert locations(client, "/sitemap-shows.xml") == ["http://testserver/shows/listed/"]
    assert locations(client, "/sitemap-episodes.xml") == ["http://testserver/shows/listed/visible/"]


def test_it_points_robots_at_the_sitemap(client, settings):
    settings.SITE_URL = "https://b2bpodcastindex.example"
    body = client.get("/robots.txt").content.decode()

    assert "Sitemap: https://b2bpodcastindex.example/sitemap.xml" in body
    assert client.get("/sitemap-nothing.xml").status_code == 404
