"""The rankings, category and show pages: content, filters, htmx fragments, bad input, queries."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from scoring.ranking import recompute_all
from tests.factories import CategoryFactory, ShowFactory, scored_episode
from tests.factories.browse import show_with_scores

pytestmark = pytest.mark.django_db


def titles(html):
    """Show titles in page order, as ranking rows print them."""
    return re.findall(r'class="show-title" href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def finance():
    return CategoryFactory(slug="finance", name="Finance")


@pytest.fixture
def sales():
    return CategoryFactory(slug="sales", name="Sales")


@pytest.fixture
def ranked(finance, sales, settings):
    """Three ranked shows (Alpha > Beta > Gamma), one unranked, in two categories."""
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 0
    alpha = show_with_scores(90, 90, 90, title="Alpha", categories=[finance], language="en")
    beta = show_with_scores(70, 70, 70, 70, title="Beta", categories=[sales], language="de")
    gamma = show_with_scores(50, 50, 50, title="Gamma", categories=[finance, sales], language="en")
    newbie = show_with_scores(99, title="Newbie", categories=[finance], language="en")
    recompute_all()
    return {"alpha": alpha, "beta": beta, "gamma": gamma, "newbie": newbie}


def test_it_lists_ranked_shows_best_first_and_unranked_ones_after(client, ranked):
    response = client.get("/shows/")

    html = response.content.decode()
    assert titles(html) == ["Alpha", "Beta", "Gamma", "Newbie"]
    assert "3 shows ranked." in html
    assert "not ranked yet (needs 3)" in html
    assert '<span class="score-badge band-exceptional" title="Show score">90</span>' in html
    assert 'href="/rss/"' in html and 'type="application/rss+xml"' in html


def test_it_filters_the_ranking_by_category_and_shows_ranks_in_that_category(client, ranked):
    html = client.get("/shows/?category=finance").content.decode()

    assert titles(html) == ["Alpha", "Gamma", "Newbie"]
    ranks = re.findall(r'<span class="visually-hidden">Rank </span>(\d+)', html)
    assert ranks == ["1", "2"]
    assert '<link rel="canonical" href="http://127.0.0.1:8000/categories/finance/">' in html


def test_it_filters_by_language_and_sorts_by_episode_count_or_recency(client, ranked):
    assert titles(client.get("/shows/?language=de").content.decode()) == ["Beta"]
    assert titles(client.get("/shows/?sort=episodes").content.decode())[0] == "Beta"
    newest = show_with_scores(60, title="Fresh")  # its episode is a day old, the newest
    newest.latest_episode_at = timezone.now()
    newest.save()
    assert titles(client.get("/shows/?sort=recent").content.decode())[0] == "Fresh"


def test_it_ignores_an_unknown_sort_and_answers_404_for_an_unknown_category(client, ranked):
    assert titles(client.get("/shows/?sort=<script>").content.decode())[0] == "Alpha"
    assert client.get("/shows/?category=nope").status_code == 404
    assert client.get("/categories/nope/").status_code == 404


def test_it_answers_an_htmx_filter_with_only_the_ranking_fragment(client, ranked):
    response = client.get(
        "/shows/?category=sales", headers={"HX-Request": "true", "HX-Target": "ranking"}
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="ranking"')
    assert "<html" not in html and "<form" not in html
    assert titles(html) == ["Beta", "Gamma"]
    assert "HX-Target" in response.headers["Vary"]


def test_it_gives_htmx_history_restores_unknown_targets_and_plain_requests_the_whole_page(
    client, ranked
):
    unknown = client.get("/shows/", headers={"HX-Request": "true", "HX-Target": "main"})
    restore = client.get(
        "/shows/",
        headers={
            "HX-Request": "true",
            "HX-Target": "ranking",
            "HX-History-Restore-Request": "true",
        },
    )
    plain = client.get("/shows/")
    for response in (unknown, restore, plain):
        html = response.content.decode()
        assert "<html" in html and 'id="ranking"' in html and '<form class="filters"' in html


def test_it_pages_without_counting_and_404s_past_the_end(client, ranked, monkeypatch):
    monkeypatch.setattr("browse.views.shows.SHOWS_PER_PAGE", 2)

    first = client.get("/shows/").content.decode()
    second = client.get("/shows/?page=2").content.decode()

    assert titles(first) == ["Alpha", "Beta"]
    assert 'rel="next" href="?page=2"' in first
    assert titles(second) == ["Gamma", "Newbie"]
    assert 'rel="prev" href="/shows/"' not in second and 'rel="prev" href="?"' in second
    assert "Page 2" in second
    assert client.get("/shows/?page=3").status_code == 404
    assert client.get("/shows/?page=99999999999999999999").status_code == 404
    assert titles(client.get("/shows/?page=abc").content.decode()) == ["Alpha", "Beta"]


def test_it_titles_a_category_page_the_best_b2b_category_podcasts(client, ranked, finance):
    html = client.get("/categories/finance/").content.decode()

    assert "<h1>The best B2B Finance podcasts</h1>" in html
    assert titles(html) == ["Alpha", "Gamma", "Newbie"]
    assert 'href="/categories/finance/rss/"' in html
    assert 'name="category"' not in html  # the category is the page, not a filter


def test_it_escapes_markup_in_show_titles_on_the_ranking(client, finance):
    show_with_scores(80, 80, 80, title='<script>alert("x")</script>', categories=[finance])
    recompute_all()

    html = client.get("/shows/").content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize("url", ["/shows/", "/categories/finance/", "/shows/?sort=recent"])
def test_it_renders_ranking_pages_in_constant_queries(
    client, finance, url, django_assert_max_num_queries
):
    for i in range(3):
        show_with_scores(60 + i, 60, 60, categories=[finance])
    recompute_all()
    with django_assert_max_num_queries(5):
        small = client.get(url)
    for i in range(30):
        show_with_scores(40 + i, 50, 60, categories=[finance])
    recompute_all()
    with django_assert_max_num_queries(5):
        large = client.get(url)
    assert len(titles(large.content.decode())) == 33 > len(titles(small.content.decode()))


def test_it_shows_a_shows_score_rank_dimension_averages_trend_and_episodes(client, finance):
    show = ShowFactory(title="Deep Finance", categories=[finance])
    for month in range(3):
        scored_episode(
            scores=(16, 14, 12, 10, 8),
            show=show,
            title=f"Episode {month}",
            published_at=timezone.now() - timedelta(days=35 * month + 1),
        )
    recompute_all()

    html = client.get(show.get_absolute_url()).content.decode()

    assert '<span class="score-number">60</span>' in html
    assert "Ranked <strong>#1</strong> overall, <strong>#1</strong> in" in html
    assert "Insight Density</span>" in html and "16.0 / 20" in html
    assert '<polyline class="trend-line"' in html
    assert html.count('<circle class="trend-point"') == 3
    assert re.findall(r">(Episode \d)</a>", html) == ["Episode 0", "Episode 1", "Episode 2"]
    assert f'href="/shows/{show.slug}/rss/"' in html


def test_it_sorts_a_shows_episodes_by_score_and_swaps_them_with_htmx(client):
    show = ShowFactory()
    for title, score in [("Newest", 40), ("Middle", 90), ("Oldest", 65)]:
        scored_episode(total=score, show=show, title=title)

    by_date = client.get(show.get_absolute_url()).content.decode()
    by_score = client.get(
        show.get_absolute_url() + "?sort=score",
        headers={"HX-Request": "true", "HX-Target": "episodes"},
    ).content.decode()

    assert re.findall(r">(Newest|Middle|Oldest)</a>", by_date) == ["Newest", "Middle", "Oldest"]
    assert re.findall(r">(Newest|Middle|Oldest)</a>", by_score) == ["Middle", "Oldest", "Newest"]
    assert by_score.lstrip().startswith('<div id="episodes"')


def test_it_describes_a_show_in_json_ld_with_markup_escaped(client, finance):
    show = show_with_scores(
        70, 80, 90, title="</script><script>alert(1)</script>", categories=[finance]
    )
    recompute_all()

    html = client.get(show.get_absolute_url()).content.decode()

    block = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    data = json.loads(block.group(1))
    assert data["@type"] == "PodcastSeries"
    assert data["name"] == "</script><script>alert(1)</script>"
    assert data["aggregateRating"]["ratingValue"] == 80.0
    assert data["aggregateRating"]["ratingCount"] == 3
    assert data["genre"] == ["Finance"]
    assert "<script>alert(1)" not in html
    assert '<meta property="og:title" content="&lt;/script&gt;' in html


def test_it_redirects_a_duplicate_show_and_hides_inactive_or_unknown_ones(client):
    canonical = ShowFactory()
    duplicate = ShowFactory(canonical=canonical)
    inactive = ShowFactory(active=False)

    response = client.get(duplicate.get_absolute_url())

    assert response.status_code == 301
    assert response["Location"] == canonical.get_absolute_url()
    assert client.get(inactive.get_absolute_url()).status_code == 404
    assert client.get("/shows/no-such-show/").status_code == 404


def test_it_renders_a_show_page_in_constant_queries(client, django_assert_max_num_queries):
    show = show_with_scores(50, 60, 70)
    recompute_all()
    with django_assert_max_num_queries(5):
        client.get(show.get_absolute_url())
    for score in range(40):
        scored_episode(total=score, show=show)
    recompute_all()
    with django_assert_max_num_queries(5):
        response = client.get(show.get_absolute_url() + "?sort=score")
    assert response.content.decode().count('class="score-badge') == 20
