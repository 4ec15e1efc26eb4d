"""Show rankings: hand-computed Bayesian averages, recency weights, overrides and the minimum."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from scoring.models import RubricDimension
from scoring.ranking import RANK_STATEMENTS, recompute_all, refresh_show
from shows.models import ShowCategory
from tests.factories import CategoryFactory, EditorialOverrideFactory, ShowFactory, scored_episode

pytestmark = pytest.mark.django_db


def split(total):
    """Five dimension scores summing to `total` (each 0–20)."""
    base, extra = divmod(total, 5)
    return tuple(base + (1 if i < extra else 0) for i in range(5))


def add_episodes(show, *totals, days_ago=10):
    return [
        scored_episode(
            scores=split(total), show=show, published_at=timezone.now() - timedelta(days=days_ago)
        )
        for total in totals
    ]


def reload(*objects):
    for obj in objects:
        obj.refresh_from_db()


def category_rank(show, category):
    return ShowCategory.objects.get(show=show, category=category).rank


@pytest.fixture
def finance():
    return CategoryFactory(slug="finance", name="Finance")


def test_it_ranks_forty_solid_episodes_above_two_lucky_ones(finance, settings):
    settings.PODINDEX_RANKING_MIN_EPISODES = 2
    lucky = ShowFactory(categories=[finance])
    solid = ShowFactory(categories=[finance])
    weak = ShowFactory(categories=[finance])
    add_episodes(lucky, 95, 95)
    add_episodes(solid, *[80] * 40)
    add_episodes(weak, *[50] * 38)

    recompute_all()

    reload(lucky, solid, weak)
    # Category mean m = (190 + 3200 + 1900) / 80 = 66.125; C = 5 episodes' worth of it.
    # lucky = (5·66.125 + 190) / (5 + 2)  = 520.625 / 7   = 74.375
    # solid = (5·66.125 + 3200) / (5 + 40) = 3530.625 / 45 = 78.458
    # weak  = (5·66.125 + 1900) / (5 + 38) = 2230.625 / 43 = 51.875
    assert (lucky.score, solid.score, weak.score) == (74.38, 78.46, 51.88)
    assert (solid.rank, lucky.rank, weak.rank) == (1, 2, 3)
    assert [category_rank(s, finance) for s in (solid, lucky, weak)] == [1, 2, 3]
    assert (lucky.scored_episode_count, solid.scored_episode_count) == (2, 40)


def test_it_leaves_shows_below_the_minimum_unranked_but_scored(finance, settings):
    settings.PODINDEX_RANKING_MIN_EPISODES = 3
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 0
    newcomer = ShowFactory(categories=[finance])
    regular = ShowFactory(categories=[finance])
    add_episodes(newcomer, 90, 90)
    add_episodes(regular, 60, 60, 60)

    recompute_all()

    reload(newcomer, regular)
    assert newcomer.score == 90.0
    assert newcomer.rank is None
    assert category_rank(newcomer, finance) is None
    assert (regular.rank, category_rank(regular, finance)) == (1, 1)

    add_episodes(newcomer, 90)
    refresh_show(newcomer.pk)

    reload(newcomer, regular)
    assert (newcomer.rank, regular.rank) == (1, 2)
    assert category_rank(regular, finance) == 2


def test_it_weighs_episodes_older_than_twelve_months_at_half(settings):
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 0
    show = ShowFactory()
    add_episodes(show, 80, days_ago=30)
    add_episodes(show, 40, 40, days_ago=400)

    refresh_show(show.pk)

    show.refresh_from_db()
    # (1·80 + 0.5·40 + 0.5·40) / (1 + 0.5 + 0.5) = 120 / 2 = 60, not the plain mean 53.33.
    assert show.score == 60.0


def test_it_shrinks_a_show_in_two_categories_toward_the_mean_of_their_means(settings):
    settings.PODINDEX_RANKING_MIN_EPISODES = 1
    finance, sales = CategoryFactory(slug="finance"), CategoryFactory(slug="sales")
    add_episodes(ShowFactory(categories=[finance]), 80, 80, 80)
    add_episodes(ShowFactory(categories=[sales]), 40)
    both = ShowFactory(categories=[finance, sales])
    add_episodes(both, 70)

    recompute_all()

    both.refresh_from_db()
    # finance mean = (240 + 70) / 4 = 77.5; sales mean = (40 + 70) / 2 = 55;
    # prior = (77.5 + 55) / 2 = 66.25; score = (5·66.25 + 70) / 6 = 401.25 / 6 = 66.875.
    assert both.score == 66.88
    assert category_rank(both, finance) == 2
    assert category_rank(both, sales) == 1


def test_it_follows_a_total_override_through_the_episode_score(finance, settings):
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 0
    settings.PODINDEX_RANKING_MIN_EPISODES = 1
    first, second = ShowFactory(categories=[finance]), ShowFactory(categories=[finance])
    (episode,) = add_episodes(first, 50)
    add_episodes(second, 60)
    recompute_all()
    reload(first, second)
    assert (first.rank, second.rank) == (2, 1)

    # Saving an override is the whole hand-off: scoring stores the effective total and
    # refreshes the show's figures and ranks.
    EditorialOverrideFactory(episode=episode, dimension=None, score=90)

    reload(episode, first, second)
    assert episode.score == 90
    assert first.score == 90.0
    assert (first.rank, second.rank) == (1, 2)
    assert (category_rank(first, finance), category_rank(second, finance)) == (1, 2)


def test_it_averages_dimensions_after_active_overrides(settings):
    show = ShowFactory()
    one = scored_episode(scores=(10, 10, 10, 10, 10), show=show)
    scored_episode(scores=(20, 6, 10, 10, 10), show=show)
    insight = RubricDimension.objects.get(rubric__is_active=True, key="insight_density")
    originality = RubricDimension.objects.get(rubric__is_active=True, key="originality")
    EditorialOverrideFactory(episode=one, dimension=insight, score=16)
    EditorialOverrideFactory(episode=one, dimension=originality, score=2, is_active=False)

    refresh_show(show.pk)

    show.refresh_from_db()
    # insight: (16 overridden + 20) / 2 = 18; originality: (10, the override is inactive, + 6) / 2.
    assert show.dimension_averages["insight_density"] == 18.0
    assert show.dimension_averages["originality"] == 8.0
    assert show.dimension_averages["guest_caliber"] == 10.0
    assert len(show.dimension_averages) == 5


def test_it_ignores_hidden_episodes_and_never_ranks_inactive_or_duplicate_shows(finance):
    kept = ShowFactory(categories=[finance])
    add_episodes(kept, 60, 60, 60)
    hidden = add_episodes(kept, 10, 10)
    for episode in hidden:
        episode.hidden = True
        episode.save(update_fields=["hidden"])
    inactive = ShowFactory(categories=[finance], active=False)
    add_episodes(inactive, 99, 99, 99)
    duplicate = ShowFactory(categories=[finance], canonical=kept)
    add_episodes(duplicate, 99, 99, 99)

    recompute_all()

    reload(kept, inactive, duplicate)
    assert kept.scored_episode_count == 3
    assert kept.episode_count == 3
    # Hidden episodes and the inactive show leave the category mean at 60 (the duplicate
    # show's episodes are public but a duplicate is excluded from the means too).
    assert kept.score == 60.0
    assert kept.rank == 1
    assert inactive.rank is None
    assert duplicate.rank is None
    assert category_rank(inactive, finance) is None


def test_it_gives_tied_shows_the_same_dense_rank(settings):
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 0
    top, tied_a, tied_b, last = (ShowFactory() for _ in range(4))
    add_episodes(top, 90, 90, 90)
    add_episodes(tied_a, 70, 70, 70)
    add_episodes(tied_b, 70, 70, 70)
    add_episodes(last, 30, 30, 30)

    recompute_all()

    reload(top, tied_a, tied_b, last)
    assert [top.rank, tied_a.rank, tied_b.rank, last.rank] == [1, 2, 2, 3]


def test_it_records_the_monthly_trend_of_the_last_twelve_months_with_scores(settings):
    show = ShowFactory()
    for month in range(1, 15):
        for score in (40, 60 + month):
            scored_episode(
                scores=split(score),
                show=show,
                published_at=datetime(2025, 1, 10, tzinfo=UTC) + timedelta(days=31 * month),
            )

    refresh_show(show.pk)

    show.refresh_from_db()
    assert len(show.score_trend) == 12
    assert show.score_trend[0] == {"month": "2025-04", "score": 51.5, "episodes": 2}
    assert show.score_trend[-1] == {"month": "2026-03", "score": 57.0, "episodes": 2}
    assert show.latest_episode_at == datetime(2025, 1, 10, tzinfo=UTC) + timedelta(days=31 * 14)


def test_it_clears_the_figures_of_a_show_whose_episodes_are_all_hidden():
    show = ShowFactory()
    (episode,) = add_episodes(show, 70)
    refresh_show(show.pk)
    episode.hidden = True
    episode.save(update_fields=["hidden"])

    refresh_show(show.pk)

    show.refresh_from_db()
    assert show.score is None
    assert (show.scored_episode_count, show.episode_count) == (0, 0)
    assert show.dimension_averages == {}
    assert show.score_trend == []


def test_it_refreshes_a_show_in_queries_independent_of_the_number_of_shows(
    django_assert_max_num_queries, finance
):
    for _ in range(3):
        add_episodes(ShowFactory(categories=[finance]), 50, 60, 70)
    show = ShowFactory(categories=[finance])
    add_episodes(show, 80, 80, 80)
    with django_assert_max_num_queries(15):
        refresh_show(show.pk)
    for _ in range(10):
        add_episodes(ShowFactory(categories=[finance]), 50, 60, 70)
    with django_assert_max_num_queries(15):
        refresh_show(show.pk)
    show.refresh_from_db()
    assert show.rank == 1


def test_it_reports_progress_from_the_recompute_rankings_command(capsys, settings):
    settings.PODINDEX_RANKING_MIN_EPISODES = 1
    add_episodes(ShowFactory(), 70)
    ShowFactory()

    call_command("recompute_rankings")

    out = capsys.readouterr().out
    assert "2/2 shows" in out
    assert "1 shows ranked" in out


def test_it_unranks_a_show_that_leaves_the_ranking_and_keeps_the_others_ranked(finance):
    kept = ShowFactory(categories=[finance])
    leaving = ShowFactory(categories=[finance])
    add_episodes(kept, 60, 60, 60)
    add_episodes(leaving, 90, 90, 90)
    recompute_all()
    reload(leaving)
    assert leaving.rank == 1

    leaving.active = False
    leaving.save(update_fields=["active"])
    recompute_all()

    reload(kept, leaving)
    assert (kept.rank, leaving.rank) == (1, None)
    assert (category_rank(kept, finance), category_rank(leaving, finance)) == (1, None)


def relations_read(node: dict) -> list[str]:
    """The tables an EXPLAIN (FORMAT JSON) plan node and its children scan."""
    scan = "Relation Name" in node and node["Node Type"] != "ModifyTable"
    names = [node["Relation Name"]] if scan else []
    for child in node.get("Plans", []):
        names += relations_read(child)
    return names


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.parametrize("statement", [1, 3])
def test_it_unranks_reading_each_show_once(statement, settings):
    # A second read of shows_show per row was planned as a walk of every scored show for each
    # ranked one, on a fresh catalogue's statistics: quadratic, 25 minutes at 50,000 shows.
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) {RANK_STATEMENTS[statement]}",
            {"minimum": settings.PODINDEX_RANKING_MIN_EPISODES},
        )
        (output,) = cursor.fetchone()
    plan = output if isinstance(output, list) else json.loads(output)
    assert relations_read(plan[0]["Plan"]).count("shows_show") == 1
