"""The home page: top shows, best recent episodes, categories; and the ranking formula."""

import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from episodes.models import Episode
from scoring.ranking import recompute_all
from tests.factories import CategoryFactory, ShowFactory, scored_episode
from tests.factories.browse import show_with_scores

pytestmark = pytest.mark.django_db


def test_it_shows_top_shows_best_recent_episodes_and_categories(client, settings):
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 0
    finance = CategoryFactory(name="Finance", slug="finance")
    CategoryFactory(name="Sales", slug="sales")
    show_with_scores(60, 60, 60, title="Second", categories=[finance])
    best = show_with_scores(90, 90, 90, title="First", categories=[finance])
    scored_episode(
        total=99, show=best, title="Old masterpiece", scored_at=timezone.now() - timedelta(days=90)
    )
    recompute_all()
    Episode.objects.filter(show=best).exclude(title="Old masterpiece").update(title="Fresh gem")

    html = client.get("/").content.decode()

    assert re.findall(r'class="show-title" href="[^"]+">([^<]+)</a>', html) == ["First", "Second"]
    recent = re.findall(r'<li>\s*<a href="/shows/[^"]+">([^<]+)</a>', html)
    assert recent[:3] == ["Fresh gem"] * 3
    assert "Old masterpiece" not in html  # scored 90 days ago: not recent
    assert ">Finance</a></h3>" in html and "2 ranked shows" in html
    assert ">Sales</a></h3>" in html and "0 ranked shows" in html
    assert 'type="application/rss+xml"' in html and 'href="/rss/"' in html


def test_it_falls_back_to_the_latest_scorecards_in_a_quiet_month(client):
    show = ShowFactory()
    scored_episode(
        total=70, show=show, title="Last spring", scored_at=timezone.now() - timedelta(days=120)
    )

    html = client.get("/").content.decode()

    assert "Last spring" in html
    assert "No show is ranked yet" in html


def test_it_renders_home_in_constant_queries(client, django_assert_max_num_queries):
    finance = CategoryFactory(slug="finance")
    show_with_scores(70, 70, 70, categories=[finance])
    recompute_all()
    with django_assert_max_num_queries(5):
        client.get("/")
    for i in range(20):
        show_with_scores(50 + i, 60, 70, categories=[CategoryFactory(slug=f"c{i}")])
    recompute_all()
    with django_assert_max_num_queries(5):
        html = client.get("/").content.decode()
    assert html.count('class="ranking-row"') == 10


def test_it_explains_the_ranking_formula_with_the_configured_parameters(settings):
    settings.PODINDEX_RANKING_MIN_EPISODES = 4
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 7.5
    settings.PODINDEX_RANKING_OLDER_WEIGHT = 0.25

    html = render_to_string("shows/_ranking_formula.html")

    assert "at least <strong>4 scored episodes</strong>" in html
    assert "every show starts with: 7.5." in html
    assert "0.25 for an older one" in html
    assert "3,530.6 ÷ 45 = <strong>78.5</strong>" in html
