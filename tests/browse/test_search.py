"""Search over shows, episodes and transcripts, on PostgreSQL full text or the SQLite fallback."""

import re

import pytest
from django.core.cache import cache
from django.db import connection

from browse.search import highlight, search
from core.search import clean_query, parse_query
from episodes.models import Episode
from shows.models import Show
from tests.factories import ShowFactory, TranscriptFactory, scored_episode

pytestmark = pytest.mark.django_db


def episode_titles(html):
    return re.findall(r'<li>\s*<a href="/shows/[^"]+">([^<]+)</a>', html)


@pytest.fixture
def library():
    finops = ShowFactory(title="The FinOps Hour", author="Dana Cost", slug="finops-hour")
    sales = ShowFactory(title="Sales Floor", description="<p>Quota and pipeline talk.</p>")
    scored_episode(total=55, show=finops, title="Cloud budgets that hold")
    scored_episode(total=80, show=sales, title="Pipeline reviews", notes_html="<p>budgets</p>")
    talk = scored_episode(total=70, show=sales, title="A chat with a CFO")
    TranscriptFactory(
        episode=talk,
        segments=[
            {"speaker": "A", "start": 0.0, "end": 5.0, "text": "Welcome back to the show."},
            {"speaker": "B", "start": 754.2, "end": 760.0, "text": "Our churn fell 4 points."},
            {"speaker": "A", "start": 761.0, "end": 765.0, "text": "Tell me about churn."},
        ],
    )
    return {"finops": finops, "sales": sales, "talk": talk}


def test_it_finds_shows_by_title_and_author(library):
    assert [s.title for s in search("finops").shows] == ["The FinOps Hour"]
    assert [s.title for s in search("dana").shows] == ["The FinOps Hour"]
    assert [s.title for s in search("pipeline").shows] == ["Sales Floor"]


def test_it_finds_episodes_by_title_or_notes_blending_in_the_substance_score(library):
    results = search("budgets")

    # Both mention budgets; the notes-only match has the better score. On PostgreSQL the
    # title match weighs more (A vs C), on SQLite only the score orders them.
    found = sorted(e.title for e in results.episodes)
    assert found == ["Cloud budgets that hold", "Pipeline reviews"]
    if connection.vendor == "postgresql":
        assert results.episodes[0].title == "Cloud budgets that hold"
    else:
        assert results.episodes[0].title == "Pipeline reviews"


def test_it_points_a_transcript_match_at_the_moment_the_words_were_said(library):
    (moment,) = search("churn fell").moments

    assert moment.episode == library["talk"]
    assert moment.start == 754.2
    assert moment.url == library["talk"].get_absolute_url() + "#t=754"
    assert str(moment.snippet) == "Our <mark>churn</mark> <mark>fell</mark> 4 points."


def test_it_honours_phrases_and_exclusions(library):
    assert [e.title for e in search('"budgets that hold"').episodes] == ["Cloud budgets that hold"]
    assert search('"hold that budgets"').episodes == []
    assert [e.title for e in search("budgets -pipeline").episodes] == ["Cloud budgets that hold"]


def test_it_leaves_out_hidden_episodes_and_inactive_shows(library):
    Episode.objects.filter(title="Cloud budgets that hold").update(hidden=True)
    Show.objects.filter(pk=library["sales"].pk).update(active=False)

    results = search("budgets")

    assert results.episodes == []
    assert search("pipeline").shows == []
    assert search("churn").moments == []


def test_it_finds_rows_written_by_bulk_create_and_queryset_update(library):
    show = library["finops"]
    Episode.objects.bulk_create(
        [Episode(show=show, guid="bulk-1", slug="bulk-1", title="Kubernetes spend audit")]
    )
    Show.objects.filter(pk=show.pk).update(title="Infrastructure Money")

    assert [e.title for e in search("kubernetes").episodes] == ["Kubernetes spend audit"]
    assert [s.title for s in search("infrastructure").shows] == ["Infrastructure Money"]
    assert search("finops").shows == []


def test_it_cleans_and_caps_the_query():
    assert clean_query("  churn\x00  rate\n") == ("churn rate", False)
    query, truncated = clean_query("word " * 1000)
    assert truncated and len(query) <= 200 and query.endswith("word")
    assert parse_query('"net revenue" or arr -crypto "unclosed') == (
        ["net revenue", "arr", "unclosed"],
        ["crypto"],
    )


def test_it_escapes_everything_but_its_own_marks_in_snippets():
    snippet = str(highlight("<img src=x onerror=alert(1)> churn", ["churn"]))
    assert snippet == "&lt;img src=x onerror=alert(1)&gt; <mark>churn</mark>"


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced quote',
        "churn OR OR -",
        "'; DROP TABLE shows_show; --",
        "<script>alert(1)</script>",
        "a" * 5000,
        "churn\x00fell",
        "!!! &&& ||| ::: ***",
    ],
)
def test_it_answers_hostile_queries_with_a_page_not_an_error(client, library, query):
    response = client.get("/search/", {"q": query})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert Show.objects.count() == 2
    if len(query) > 200:
        assert "Your search was long" in html


def test_it_renders_results_and_the_moment_link_on_the_search_page(client, library):
    html = client.get("/search/", {"q": "churn"}).content.decode()

    assert "Said in episodes" in html
    assert f'href="{library["talk"].get_absolute_url()}#t=754"' in html
    assert "said at 12:34" in html
    assert '<meta name="robots" content="noindex">' in html


def test_it_answers_search_as_you_type_with_the_results_fragment(client, library):
    response = client.get(
        "/search/?q=finops", headers={"HX-Request": "true", "HX-Target": "search-results"}
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="search-results"')
    assert "<html" not in html
    assert "The FinOps Hour" in html


def test_it_pages_search_results_and_404s_past_the_end(client, monkeypatch):
    monkeypatch.setattr("browse.views.site.SEARCH_PER_PAGE", 2)
    show = ShowFactory(title="Quiet")
    for i in range(3):
        scored_episode(total=50 + i, show=show, title=f"Forecasting lesson {i}")

    first = client.get("/search/", {"q": "forecasting"}).content.decode()
    second = client.get("/search/", {"q": "forecasting", "page": 2}).content.decode()

    assert len(episode_titles(first)) == 2 and 'rel="next"' in first
    assert len(episode_titles(second)) == 1 and 'rel="next"' not in second
    assert client.get("/search/", {"q": "forecasting", "page": 3}).status_code == 404


def test_it_searches_in_constant_queries(client, django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            show = ShowFactory(title=f"Margin show {i}")
            episode = scored_episode(total=i, show=show, title=f"Margin talk {i}")
            TranscriptFactory(episode=episode, segments=[{"start": 1, "text": "margin math"}])

    # Shows, people (on PostgreSQL their keys, then their rows), episodes, moments.
    add(2)
    with django_assert_max_num_queries(5):
        client.get("/search/", {"q": "margin"})
    add(15)
    with django_assert_max_num_queries(5):
        html = client.get("/search/", {"q": "margin"}).content.decode()
    assert html.count("#t=1") == 10


def test_it_renders_each_episode_row_once_and_shows_a_changed_row_at_once(
    client, library, settings
):
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0
    cache.clear()

    def rows_rendered():
        response = client.get("/search/", {"q": "budgets"})
        rendered = [t.name for t in response.templates].count("shows/_episode_row.html")
        return rendered, sorted(episode_titles(response.content.decode()))

    assert rows_rendered() == (2, ["Cloud budgets that hold", "Pipeline reviews"])
    assert rows_rendered() == (0, ["Cloud budgets that hold", "Pipeline reviews"])
    Episode.objects.filter(title="Pipeline reviews").update(title="Pipeline budgets reviewed")
    assert rows_rendered() == (1, ["Cloud budgets that hold", "Pipeline budgets reviewed"])
