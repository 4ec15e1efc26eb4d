"""The API's HTTP conventions: problems, cursors, validators, caching, CORS, schema and docs."""

import gzip
from datetime import datetime

import pytest
from bs4 import BeautifulSoup

from shows.models import Show
from tests.factories import ShowFactory, scored_episode
from tests.factories.browse import show_with_scores

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def problem_of(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    return body


@pytest.fixture
def show():
    return show_with_scores(70, 50, None, 30)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/shows?sort=loudest",
        "/api/v1/shows?limit=0",
        "/api/v1/shows?limit=many",
        "/api/v1/shows?categry=finance",
        "/api/v1/shows?cursor=forged",
        "/api/v1/shows?language=%00",
        "/api/v1/shows?" + "language=" + "x" * 10_000,
    ],
)
def test_it_answers_bad_parameters_with_a_400_problem(client, show, url):
    body = problem_of(client.get(url), 400)
    assert body["title"] == "Bad Request"
    assert body["detail"]


def test_it_answers_unknown_things_with_a_404_problem(client, show):
    problem_of(client.get("/api/v1/shows/no-such-show"), 404)
    problem_of(client.get("/api/v1/shows?category=no-such-category"), 404)
    problem_of(client.get(f"/api/v1/shows/{show.slug}/episodes/no-such-episode"), 404)
    problem_of(client.get("/api/v1/no-such-endpoint"), 404)


def test_it_answers_head_like_get_without_a_body(client, show):
    get, head = client.get("/api/v1/shows"), client.head("/api/v1/shows")
    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == get["ETag"]


def test_it_refuses_writes_as_a_problem(client, show):
    problem_of(client.post("/api/v1/shows"), 405)


def test_it_hides_inactive_shows_and_redirects_duplicates(client, show):
    gone = ShowFactory(active=False)
    moved = ShowFactory(canonical=show)
    problem_of(client.get(f"/api/v1/shows/{gone.slug}"), 404)
    response = client.get(f"/api/v1/shows/{moved.slug}")
    assert response.status_code == 301
    assert response["Location"].endswith(f"/api/v1/shows/{show.slug}")


def test_it_pages_through_every_episode_once_with_cursors(client, show):
    seen, url = [], f"/api/v1/shows/{show.slug}/episodes?limit=1"
    while url:
        data = client.get(url).json()
        seen += [e["slug"] for e in data["items"]]
        url = data["next"]
    assert sorted(seen) == sorted(show.episodes.values_list("slug", flat=True))
    assert len(seen) == 4


def test_it_refuses_a_cursor_from_another_list(client, show):
    by_date = client.get(f"/api/v1/shows/{show.slug}/episodes?limit=1").json()
    url = f"/api/v1/shows/{show.slug}/episodes?sort=score&cursor={by_date['next_cursor']}"
    problem_of(client.get(url), 400)


def test_it_caps_the_page_size(client):
    for n in range(105):
        ShowFactory(title=f"Show {n:03}")
    assert len(client.get("/api/v1/shows?limit=1000").json()["items"]) == 100


def test_it_gives_times_in_utc_iso_8601(client, show):
    data = client.get(f"/api/v1/shows/{show.slug}/episodes").json()
    for episode in data["items"]:
        assert episode["published_at"].endswith("Z")
        assert datetime.fromisoformat(episode["published_at"]).utcoffset().total_seconds() == 0


def test_it_answers_304_to_a_matching_etag_and_date(client, show):
    url = f"/api/v1/shows/{show.slug}"
    first = client.get(url)
    assert "public" in first["Cache-Control"] and "max-age" in first["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""
    since = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
    assert since.status_code == 304


def test_it_sends_a_new_etag_once_the_figures_change(client, show):
    url = f"/api/v1/shows/{show.slug}/episodes"
    first = client.get(url)
    scored_episode(total=90, show=show)
    fresh = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert fresh.status_code == 200
    assert fresh["ETag"] != first["ETag"]


def test_it_allows_any_origin_without_credentials(client, show):
    response = client.get("/api/v1/shows", headers={"Origin": "https://dev.example"})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert not response.cookies
    preflight = client.options("/api/v1/shows", headers={"Origin": "https://dev.example"})
    assert preflight.status_code == 204
    assert "If-None-Match" in preflight["Access-Control-Allow-Headers"]
    problem = client.get("/api/v1/shows/nope")
    assert problem["Access-Control-Allow-Origin"] == "*"
    assert problem["Cache-Control"] == "no-store"


def test_it_publishes_an_openapi_3_schema_of_every_endpoint(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/shows",
        "/api/v1/shows/{slug}",
        "/api/v1/shows/{slug}/episodes",
        "/api/v1/shows/{show_slug}/episodes/{slug}",
        "/api/v1/shows/{show_slug}/episodes/{slug}/analysis",
        "/api/v1/shows/{show_slug}/episodes/{slug}/transcript",
        "/api/v1/categories",
        "/api/v1/rankings",
        "/api/v1/topics",
        "/api/v1/topics/{slug}/episodes",
        "/api/v1/search",
        "/api/v1/episodes/scored",
        "/api/v1/people",
        "/api/v1/people/{slug}",
    }
    scorecard = schema["components"]["schemas"]["ScorecardOut"]["properties"]
    assert {"total", "band", "dimensions", "engine", "model"} <= set(scorecard)


def test_it_serves_the_docs_page_from_our_own_assets(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    assets = [tag.get("src") for tag in soup.find_all("script") if tag.get("src")]
    assets += [tag["href"] for tag in soup.find_all("link") if tag.get("href")]
    assert assets
    assert all(url.startswith("/static/") for url in assets), assets
    inline = [t for t in soup.find_all("script") if not t.get("src")]
    # A JSON island is data, not script: the CSP's script-src 'self' does not block it.
    assert all(t.get("type") == "application/json" for t in inline)
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_it_ignores_shows_that_are_not_listed(client, show):
    ShowFactory(active=False, title="Hidden show")
    slugs = [s["slug"] for s in client.get("/api/v1/shows").json()["items"]]
    assert slugs == list(Show.objects.active().values_list("slug", flat=True))


def test_it_compresses_its_responses_and_no_page_with_a_form(client, show):
    api_response = client.get("/api/v1/shows", headers={"Accept-Encoding": "gzip"})
    assert api_response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in api_response["Vary"]
    assert gzip.decompress(api_response.content).startswith(b'{"items"')
    page = client.get("/shows/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in page


def test_a_compressed_response_still_answers_its_etag_with_304(client, show):
    first = client.get("/api/v1/shows", headers={"Accept-Encoding": "gzip"})
    assert first["ETag"].startswith('W/"')
    again = client.get(
        "/api/v1/shows", headers={"Accept-Encoding": "gzip", "If-None-Match": first["ETag"]}
    )
    assert again.status_code == 304


def test_it_serves_a_repeat_request_from_the_cache_until_the_content_changes(
    client, show, django_assert_num_queries
):
    first = client.get(f"/api/v1/shows/{show.slug}").json()
    with django_assert_num_queries(0):
        assert client.get(f"/api/v1/shows/{show.slug}").json() == first
    show.title = "Renamed"
    show.save()
    assert client.get(f"/api/v1/shows/{show.slug}").json()["title"] == "Renamed"


def test_it_caches_nothing_with_the_page_cache_off(client, show, settings):
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0
    client.get("/api/v1/shows")
    Show.objects.filter(pk=show.pk).update(title="Renamed quietly")  # no signal: no new version
    assert client.get("/api/v1/shows").json()["items"][0]["title"] == "Renamed quietly"
