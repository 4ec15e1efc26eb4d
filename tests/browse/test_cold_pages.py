"""Cold pages (issue 12.4): what many pages share is worked out once per content version, and
rendered rows are kept by what they show, so a page renders only what is its own.

The page cache is off here: every request runs its view, as after a cache flush.
"""

import json
import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from browse import rankings
from browse.rows import RANKING_ROW_TREND
from browse.templatetags import browse as browse_tags
from core.page_cache import bump_content_version, cached_by_version
from episodes.models import Episode
from scoring.models import RubricDimension
from scoring.ranking import recompute_all
from shows.models import Show
from tests.factories import CategoryFactory, TopicFactory
from tests.factories.browse import show_with_scores

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def finance():
    return CategoryFactory(slug="finance", name="Finance")


@pytest.fixture
def ranked(finance, settings):
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 0
    alpha = show_with_scores(90, 90, 90, title="Alpha", categories=[finance], language="en")
    beta = show_with_scores(70, 70, 70, title="Beta", categories=[finance], language="de")
    gamma = show_with_scores(50, 50, title="Gamma", categories=[finance], language="fr")
    recompute_all()
    return {"alpha": alpha, "beta": beta, "gamma": gamma}


def sql_of(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_cached_by_version_computes_once_per_content_version():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert cached_by_version("k", compute) == 1
    assert cached_by_version("k", compute) == 1
    bump_content_version()
    assert cached_by_version("k", compute) == 2
    assert len(calls) == 2


def test_cached_by_version_caches_none_too():
    calls = []
    assert cached_by_version("none", lambda: calls.append(1)) is None
    assert cached_by_version("none", lambda: calls.append(1)) is None
    assert calls == [1]


@pytest.mark.parametrize("url", ["/shows/", "/categories/finance/"])
def test_the_ranking_serves_its_languages_and_count_from_the_versioned_cache(client, ranked, url):
    first = sql_of(client, url)
    assert any("DISTINCT" in sql for sql in first) and any("COUNT(" in sql for sql in first)

    second = sql_of(client, url + "?page=1&sort=recent")

    # Only the page's own rows (and the category it names) are queried the second time.
    assert not any("DISTINCT" in sql or "COUNT(" in sql for sql in second)
    assert len(second) <= 2


def test_the_ranking_uses_one_query_once_warm(client, ranked, django_assert_max_num_queries):
    client.get("/shows/")
    with django_assert_max_num_queries(1):
        client.get("/shows/?sort=episodes")


def test_a_scoring_change_invalidates_the_ranked_count_and_the_languages(client, ranked):
    html = client.get("/shows/").content.decode()
    assert "2 shows ranked." in html  # Gamma has two scored episodes of the three it needs
    assert re.findall(r'<option value="(\w\w)"', html) == ["de", "en", "fr"]

    show_with_scores(80, 80, 80, title="Delta", language="nl")  # saves: the version moves on
    recompute_all()

    html = client.get("/shows/").content.decode()
    assert "3 shows ranked." in html
    assert re.findall(r'<option value="(\w\w)"', html) == ["de", "en", "fr", "nl"]


def test_home_serves_its_aggregates_from_the_versioned_cache(client, ranked):
    first = sql_of(client, "/")
    assert len(first) >= 3

    second = sql_of(client, "/")

    assert len(second) == 1  # the top shows: ten rows over the rank index
    html = client.get("/").content.decode()
    assert "2 ranked shows" in html


def test_home_shows_a_new_scorecard_once_it_is_saved(client, ranked):
    client.get("/")
    show_with_scores(99, 99, 99, title="Epsilon")
    recompute_all()

    html = client.get("/").content.decode()

    assert "Epsilon" in html.split('id="recent-heading"')[1]


def test_a_ranking_row_is_rendered_again_when_what_it_shows_changes(client, ranked):
    """Rows are cached by their values: a write without signals (no version bump) shows too."""
    client.get("/shows/")
    version = cache.get("podindex:content-version")

    Show.objects.filter(pk=ranked["beta"].pk).update(title="Beta Renamed", author="Someone")

    html = client.get("/shows/").content.decode()
    assert cache.get("podindex:content-version") == version
    assert "Beta Renamed" in html and "Someone" in html
    assert ">Beta<" not in html


def test_an_unchanged_ranking_is_read_as_one_cached_list_of_rows(client, ranked, monkeypatch):
    first = client.get("/shows/").content
    keyed = []
    original = browse_tags.ranking_row_key

    def counting(show, salt):
        keyed.append(show.pk)
        return original(show, salt)

    monkeypatch.setattr(browse_tags, "ranking_row_key", counting)

    second = client.get("/shows/").content

    assert second == first
    assert keyed == []  # no row looked up on its own


@pytest.mark.parametrize("url", ["/shows/", "/categories/finance/", "/"])
def test_an_unchanged_ranking_decodes_no_monthly_trend(client, finance, url):
    """The rows' trends come as JSON text, decoded only where a row is rendered."""
    for title in ("Alpha", "Beta"):
        show_with_scores(80, 60, 70, title=title, categories=[finance], days_apart=40)
    recompute_all()
    first = client.get(url).content.decode()
    assert first.count('<svg class="sparkline"') == 2

    with mock.patch("json.loads", wraps=json.loads) as loads:
        assert client.get(url).content.decode() == first

    assert loads.call_count == 0


def test_cached_rows_are_the_html_of_the_included_row_template(ranked):
    """The tags print exactly what `{% for %}{% include %}` printed, cached or not."""
    shows = list(Show.objects.ranked().annotate(**RANKING_ROW_TREND).order_by("rank"))
    for show in shows:
        show.position = show.rank
    episodes = list(Episode.objects.select_related("show").order_by("-published_at"))
    context = {"shows": shows, "episodes": episodes, "min_episodes": 3}
    included = Template(
        '{% for show in shows %}{% include "shows/_ranking_row.html" %}{% endfor %}|'
        '{% for episode in episodes %}{% include "shows/_episode_row.html" %}{% endfor %}|'
        "{% for episode in episodes %}"
        '{% include "shows/_episode_row.html" with with_show=True %}{% endfor %}'
    ).render(Context(context))
    tags = Template(
        "{% load browse %}{% ranking_rows shows %}|{% episode_rows episodes %}|"
        "{% episode_rows episodes with_show=True %}"
    )

    assert tags.render(Context(context)) == included  # rendered
    assert tags.render(Context(context)) == included  # from the cache


def test_the_topic_page_follows_scores_and_hiding_with_no_new_version(client, ranked):
    topic = TopicFactory(slug="pricing", name="Pricing")
    episodes = list(Episode.objects.order_by("-score", "pk"))
    for episode in episodes:
        episode.topics.add(topic)
    client.get("/topics/pricing/")

    # Rescored and hidden by bulk updates: no signal, no new version; the page follows both
    # (its order is stored with the filings and kept current by the database).
    last, first, second = episodes[-1], episodes[0], episodes[1]
    Episode.objects.filter(pk=last.pk).update(score=100)
    Episode.objects.filter(pk=first.pk).update(hidden=True)
    html = client.get("/topics/pricing/").content.decode()
    assert first.get_absolute_url() not in html
    assert html.index(last.get_absolute_url()) < html.index(second.get_absolute_url())


def test_a_show_page_reads_the_rubric_from_the_versioned_cache(
    client, ranked, django_assert_max_num_queries
):
    url = ranked["alpha"].get_absolute_url()
    client.get(url)  # warms the shared entries

    with django_assert_max_num_queries(2):  # the show and its episodes (categories are kept)
        response = client.get(url + "?sort=score")

    html = response.content.decode()
    names = RubricDimension.objects.filter(rubric__is_active=True).values_list("name", flat=True)
    assert "Average per dimension" in html
    spans = [f'<span class="dimension-name">{escape(name)}</span>' for name in names]
    assert spans and all(span in html for span in spans)


@pytest.mark.parametrize(
    "url",
    ["/categories/finance/", "/shows/?category=finance&sort=recent", "/rss/?category=finance"],
)
def test_a_category_is_read_from_the_cached_list(client, ranked, url, django_assert_num_queries):
    client.get(url)
    with django_assert_num_queries(1):  # the page's own rows
        assert client.get(url).status_code == 200


def test_a_renamed_category_shows_its_new_name_and_an_unknown_one_is_404(client, ranked, finance):
    client.get("/categories/finance/")
    finance.name = "Corporate Finance"
    finance.save()

    assert (
        "The best B2B Corporate Finance podcasts"
        in client.get("/categories/finance/").content.decode()
    )
    assert client.get("/categories/nope/").status_code == 404
    assert client.get("/shows/?category=nope").status_code == 404


def test_the_topic_page_reads_its_topic_once_per_content_version(
    client, ranked, django_assert_num_queries
):
    topic = TopicFactory(slug="pricing", name="Pricing")
    for episode in Episode.objects.all():
        episode.topics.add(topic)
    client.get("/topics/pricing/")

    with django_assert_num_queries(2):  # the page's keys, then its rows
        client.get("/topics/pricing/")
    assert client.get("/topics/nope/").status_code == 404
    topic.name = "Pricing and packaging"
    topic.save()
    assert "Pricing and packaging" in client.get("/topics/pricing/").content.decode()


def test_the_ranking_compiles_once_per_shape_and_binds_each_category_and_language(client, ranked):
    CategoryFactory(slug="sales", name="Sales")
    rankings.ranking_query.cache_clear()

    finance = client.get("/categories/finance/?language=de").content.decode()
    sales = client.get("/categories/sales/?language=de").content.decode()

    assert rankings.ranking_query.cache_info().currsize == 1
    assert "Beta" in finance and "Alpha" not in finance
    assert "No shows match these filters yet." in sales
