"""Cache floods through the Host header and the query string (issue 21, items 3 and 4).

Before: the page cache keyed on the raw Host header, so `localhost:<port>`, `LOCALHOST` and
`localhost.` each made an entry (200 random ports: 200 copies of a ranking page) and a 30-digit
port was accepted; the sitemaps were cached per full URL, so `?x=<random>` rendered and kept
another multi-megabyte copy each time.
"""

import random

import pytest
from django.core.cache import cache

from scoring.ranking import recompute_all
from tests.factories import CategoryFactory, EpisodeFactory, ShowFactory, scored_episode

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_memory_cache():
    if not hasattr(cache, "_cache"):
        pytest.skip("measures the entries of the local-memory cache")
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ranked(settings):
    settings.PODINDEX_RANKING_MIN_EPISODES = 1
    show = ShowFactory(title="Ledger Talk", slug="ledger")
    show.categories.add(CategoryFactory(slug="finance"))
    scored_episode(show=show, title="Audit season")
    recompute_all()


def cached_bytes(marker: str) -> int:
    """Bytes the cache holds under keys containing `marker` (values are stored pickled)."""
    return sum(len(value) for key, value in cache._cache.items() if marker in key)


def cached_entries(marker: str) -> int:
    return sum(1 for key in cache._cache if marker in key)


# --- the page cache and the Host header -----------------------------------------------------


def test_it_keeps_one_copy_of_a_page_whatever_port_the_host_names(client, ranked):
    client.get("/shows/", headers={"Host": "localhost"})
    one_copy = cached_bytes(":podindex:page:")

    ports = random.sample(range(1024, 65536), 200)
    for port in ports:
        assert client.get("/shows/", headers={"Host": f"localhost:{port}"}).status_code == 200

    assert one_copy > 0
    # Before: 200 ports gave 201 copies (ratio 201).
    assert cached_bytes(":podindex:page:") / one_copy < 1.5
    assert cached_entries(":podindex:page:") == 1


@pytest.mark.parametrize("host", ["LOCALHOST", "localhost.", "LocalHost.:8000", "testserver"])
def test_it_serves_every_spelling_of_an_allowed_host_from_one_entry(
    client, ranked, host, django_assert_num_queries
):
    client.get("/shows/", headers={"Host": "localhost"})

    with django_assert_num_queries(0):
        assert client.get("/shows/", headers={"Host": host}).status_code == 200
    assert cached_entries(":podindex:page:") == 1


@pytest.mark.parametrize(
    "port",
    ["1" * 30, "65536", "0", "08000", "99999"],
    ids=["30-digits", "65536", "0", "zero", "99999"],
)
def test_it_refuses_a_malformed_port(client, ranked, port):
    response = client.get("/shows/", headers={"Host": f"localhost:{port}"})

    assert response.status_code == 400
    assert b"port" in response.content
    assert cached_entries(":podindex:page:") == 0


def test_it_still_answers_a_real_port(client, ranked):
    response = client.get("/shows/", headers={"Host": "localhost:8000"})
    assert response.status_code == 200
    assert b"Ledger Talk" in response.content


# --- sitemaps and the query string ----------------------------------------------------------


@pytest.fixture
def episodes(settings):
    settings.SITE_URL = "https://b2bpodcastindex.example"
    show = ShowFactory(slug="listed")
    EpisodeFactory.create_batch(40, show=show)


def test_it_keeps_one_copy_of_a_sitemap_whatever_the_query_string(
    client, episodes, django_assert_num_queries
):
    first = client.get("/sitemap-episodes.xml")
    one_copy = cached_bytes(":podindex:sitemap:")

    with django_assert_num_queries(0):
        for n in range(30):
            response = client.get(f"/sitemap-episodes.xml?x={random.getrandbits(32)}&n={n}")
            assert response.content == first.content

    assert one_copy > 0
    # Before: 30 query strings kept 31 copies of the section (ratio 31).
    assert cached_bytes(":podindex:sitemap:") / one_copy < 1.5


def test_it_keeps_one_copy_of_the_index_whatever_the_host_and_query(
    client, episodes, django_assert_num_queries
):
    client.get("/sitemap.xml")
    with django_assert_num_queries(0):
        for n in range(10):
            client.get(f"/sitemap.xml?x={n}", headers={"Host": f"localhost:{8000 + n}"})
    assert cached_entries(":podindex:sitemap:") == 1


@pytest.mark.parametrize("page", ["abc", "0", "01", "-1", "1.0", "9" * 30])
def test_it_refuses_a_malformed_sitemap_page_without_a_query(
    client, episodes, page, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert client.get(f"/sitemap-episodes.xml?p={page}").status_code == 404


def test_it_serves_a_real_page_number_once_cached(client, episodes, django_assert_num_queries):
    assert client.get("/sitemap-episodes.xml?p=1").status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/sitemap-episodes.xml").status_code == 200
    assert client.get("/sitemap-episodes.xml?p=2").status_code == 404
