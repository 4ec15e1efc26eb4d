"""Items 3 and 9 of issue 11 on the public site, and the defences that held up (XSS, CSRF,
framing, cookie flags), on both databases.

Before: one request with `Host: evil.example` put http://evil.example links into the cached
/rss/ and the episode page's JSON-LD for every later visitor; random query strings each
created a cache entry; NUL bytes in ?language=, ?category=, ?topic= gave 500 on PostgreSQL;
/health/ published the database's error text.
"""

import json

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.db import OperationalError, connection
from django.urls import reverse

from core import page_cache
from scoring.ranking import recompute_all
from tests.factories import CategoryFactory, ShowFactory, TopicFactory, scored_episode

pytestmark = pytest.mark.django_db

EVIL = "evil.example"


@pytest.fixture
def episode(settings):
    settings.SITE_URL = "https://b2bpodcastindex.example"
    # The review's set-up: a host the site answers (a wildcard, a misconfigured proxy).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, EVIL]
    settings.PODINDEX_RANKING_MIN_EPISODES = 1
    show = ShowFactory(title="Ledger Talk", slug="ledger")
    show.categories.add(CategoryFactory(slug="finance"))
    episode = scored_episode(show=show, title="Audit season")
    episode.topics.add(TopicFactory(slug="pricing"))
    recompute_all()  # ranked, so that the OPML lists it
    return episode


def jsonld(response) -> dict:
    soup = BeautifulSoup(response.content, "html.parser")
    return json.loads(soup.find("script", type="application/ld+json").string)


@pytest.mark.parametrize("path", ["/rss/", "/shows/ledger/rss/", "/opml/", "/robots.txt"])
def test_a_spoofed_host_never_reaches_a_link(client, episode, path):
    spoofed = client.get(path, headers={"Host": EVIL})
    honest = client.get(path)

    assert spoofed.status_code == honest.status_code == 200
    assert b"/shows/ledger/" in honest.content or path == "/robots.txt"
    for response in (spoofed, honest):
        assert EVIL.encode() not in response.content


def test_the_episode_pages_structured_data_uses_site_url(client, episode):
    client.get(episode.get_absolute_url(), headers={"Host": EVIL})
    data = jsonld(client.get(episode.get_absolute_url()))

    assert data["url"] == "https://b2bpodcastindex.example" + episode.get_absolute_url()
    assert data["partOfSeries"]["url"] == "https://b2bpodcastindex.example/shows/ledger/"


def test_pages_for_another_host_are_never_served_to_ours(client, episode):
    client.get("/shows/ledger/", headers={"Host": EVIL})
    assert EVIL.encode() not in client.get("/shows/ledger/").content


def page_keys() -> int:
    if not hasattr(cache, "_cache"):
        pytest.skip("counts the entries of the local-memory cache")
    return sum(1 for key in cache._cache if ":podindex:page:" in key)


def test_unknown_query_parameters_create_no_cache_entries(
    client, episode, django_assert_num_queries
):
    client.get("/")
    before = page_keys()

    for n in range(50):
        assert client.get(f"/?utm_source=x{n}").status_code == 200

    assert page_keys() == before
    with django_assert_num_queries(0):
        client.get("/")


def test_the_variants_of_one_page_are_bounded(client, episode, settings):
    limit = getattr(page_cache, "VARIANTS_PER_PATH", 100)
    for n in range(limit + 30):
        client.get(f"/search/?q=word{n}")
    assert page_keys() <= limit


def test_known_parameters_in_any_order_share_one_entry(client, episode, django_assert_num_queries):
    client.get("/shows/?sort=score&language=en")
    with django_assert_num_queries(0):
        client.get("/shows/?language=en&sort=score")


@pytest.mark.parametrize(
    "url",
    [
        "/shows/?language=%00",
        "/shows/?category=fin%00ance",
        "/rss/?category=%00",
        "/rss/?topic=pri%00cing",
        "/shows/ledger/?sort=%00",
        "/topics/pricing/?page=%00",
    ],
)
def test_a_nul_byte_in_a_filter_is_a_client_error(client, episode, url):
    assert client.get(url).status_code in (400, 404)


def test_a_nul_byte_in_a_search_is_cleaned_by_the_search(client, episode):
    assert client.get("/search/?q=aud%00it").status_code == 200


def test_health_logs_the_database_error_and_does_not_publish_it(client, monkeypatch, caplog):
    def broken_cursor(*args, **kwargs):
        raise OperationalError('password authentication failed for user "podindex_secret"')

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert b"podindex_secret" not in response.content
    assert "podindex_secret" in caplog.text


# --- the defences that held up ------------------------------------------------------------


def test_feed_markup_is_escaped_on_the_page(client, settings):
    show = ShowFactory(title='<script>alert("show")</script>', slug="xss")
    episode = scored_episode(show=show, title="<img src=x onerror=alert(1)>")

    page = client.get(episode.get_absolute_url()).content.decode()

    assert "<script>alert(" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_post_without_a_csrf_token_is_refused(admin_user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    assert strict.post(reverse("admin:shows_show_add"), {"feed_url": "x"}).status_code == 403


def test_pages_refuse_framing(client, episode):
    response = client.get(episode.get_absolute_url())
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_cookies_are_http_only_and_secure_when_configured(client, admin_user, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    admin_user.set_password("a long enough password")
    admin_user.save()
    client.get(reverse("admin:login"))
    csrf = client.cookies["csrftoken"]
    response = client.post(
        reverse("admin:login"),
        {"username": admin_user.username, "password": "a long enough password"},
        headers={"X-CSRFToken": csrf.value},
    )
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["secure"] and session["samesite"] == "Lax"
    assert csrf["secure"]
