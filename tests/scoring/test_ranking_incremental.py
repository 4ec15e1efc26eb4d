"""Rankings at scale: one score change refreshes one show; ranks follow in one debounced pass."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scoring import ranking
from shows.models import Category, Show
from tests.factories import CategoryFactory, ShowFactory, scored_episode

pytestmark = pytest.mark.django_db


def add_episodes(show, total, count):
    per_dimension = (total // 5,) * 5
    for _ in range(count):
        scored_episode(
            scores=per_dimension, show=show, published_at=timezone.now() - timedelta(days=3)
        )


@pytest.fixture
def with_broker(settings, monkeypatch):
    """Settings as on a deployment with workers; the queued re-ranks are recorded, not sent."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    task = ranking.current_app.tasks[ranking.RERANK_TASK]
    monkeypatch.setattr(task, "apply_async", lambda **kwargs: queued.append(kwargs))
    cache.delete(ranking.RERANK_PENDING_KEY)
    return queued


def test_it_queues_one_rerank_for_a_burst_of_refreshes(
    with_broker, django_capture_on_commit_callbacks
):
    shows = [ShowFactory() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for show in shows:
            ranking.refresh_show(show.pk)

    assert with_broker == [{"countdown": ranking.RERANK_DELAY}]


def test_it_queues_again_once_the_rerank_has_run(with_broker, django_capture_on_commit_callbacks):
    show = ShowFactory()
    with django_capture_on_commit_callbacks(execute=True):
        ranking.refresh_show(show.pk)
    ranking.rerank_now()
    with django_capture_on_commit_callbacks(execute=True):
        ranking.refresh_show(show.pk)

    assert len(with_broker) == 2


def test_it_refreshes_one_show_in_a_constant_number_of_queries(with_broker, settings):
    settings.PODINDEX_RANKING_MIN_EPISODES = 1
    finance = CategoryFactory(slug="finance")
    small, large = ShowFactory(categories=[finance]), ShowFactory(categories=[finance])
    add_episodes(small, 60, 1)
    add_episodes(large, 60, 12)
    ranking.refresh_category_means()

    counts = []
    for show in (small, large):
        with CaptureQueriesContext(connection) as queries:
            ranking.refresh_show(show.pk)
        counts.append(len(queries))

    assert counts[0] == counts[1]
    # No statement touches every show: the ranks wait for the debounced pass.
    assert not any("DENSE_RANK" in q["sql"] for q in queries.captured_queries)


def test_it_ranks_with_the_stored_category_mean(with_broker, settings):
    settings.PODINDEX_RANKING_MIN_EPISODES = 1
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 5.0
    finance = CategoryFactory(slug="finance")
    show = ShowFactory(categories=[finance])
    add_episodes(show, 80, 5)
    Category.objects.filter(pk=finance.pk).update(mean_score=40.0)

    ranking.refresh_show(show.pk)

    # (5·40 + 5·80) / (5 + 5) = 60: the stored mean, not today's mean of 80.
    assert Show.objects.get(pk=show.pk).score == 60.0


def test_it_moves_the_shows_of_a_category_whose_mean_drifted(with_broker, settings):
    settings.PODINDEX_RANKING_MIN_EPISODES = 1
    finance = CategoryFactory(slug="finance")
    sales = CategoryFactory(slug="sales")
    in_finance = ShowFactory(categories=[finance])
    in_sales = ShowFactory(categories=[sales])
    add_episodes(in_finance, 80, 5)
    add_episodes(in_sales, 40, 5)
    ranking.recompute_all()
    Category.objects.filter(pk=finance.pk).update(mean_score=10.0)
    Show.objects.filter(pk=in_finance.pk).update(score=1.0)
    Show.objects.filter(pk=in_sales.pk).update(score=1.0)

    refreshed = ranking.refresh_drifted_shows()

    assert refreshed == 1
    assert Category.objects.get(pk=finance.pk).mean_score == 80.0
    assert Show.objects.get(pk=in_finance.pk).score == 80.0
    # Sales' mean did not move: its show is left for its own next score change.
    assert Show.objects.get(pk=in_sales.pk).score == 1.0
