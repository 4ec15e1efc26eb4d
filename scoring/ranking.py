"""Show rankings: a Bayesian average of each show's episode scores, and ranks over all shows.

The formula (explained with a worked example in templates/shows/_ranking_formula.html):

    show score = (C * m + Σ wᵢ sᵢ) / (C + Σ wᵢ)

where sᵢ are the effective scores (after editorial overrides) of the show's visible, scored
episodes, wᵢ is 1 for an episode published in the last 12 months and
PODINDEX_RANKING_OLDER_WEIGHT for an older one, C is PODINDEX_RANKING_PRIOR_WEIGHT and m is
the prior: the mean of the means of the show's categories (the mean of every scored episode
in the category), or the mean of all scored episodes for a show without a category. Shows
with at least PODINDEX_RANKING_MIN_EPISODES scored episodes get a dense rank, overall and in
each of their categories.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    Avg,
    Case,
    Count,
    FloatField,
    Max,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils import timezone

from core.page_cache import bump_content_version
from episodes.models import Episode
from scoring.models import DimensionScore, current_scorecard_q
from shows.models import Category, Show, ShowCategory

BATCH_SIZE = 500
TREND_POINTS = 12
RECENT = timedelta(days=365)
# Seconds a re-rank waits, so a burst of scorings shares one; and how far a category's mean
# may move before its shows are re-scored against it.
RERANK_DELAY = 5
RERANK_PENDING_KEY = "ranking:rerank-pending"
RERANK_TASK = "scoring.tasks.rerank"
MEAN_TOLERANCE = 0.05
# pg_advisory_xact_lock key serialising rank updates, so concurrent scoring workers
# re-rank one after the other instead of deadlocking on each other's show rows.
RANK_LOCK_KEY = 0x72616E6B

# The one rule for which shows are ranked (`s` is shows_show): active, not a duplicate,
# scored, with enough scored episodes.
RANKED_SHOW = """
    s.active AND s.canonical_id IS NULL AND s.score IS NOT NULL
    AND s.scored_episode_count >= %(minimum)s
"""
# Only rows whose rank changes are written, so refreshing one show touches few rows.
# Unranking reads each row's own show, with neither NOT IN nor NOT EXISTS over shows_show: a
# NOT IN subquery is hashed only when it fits work_mem, and a NOT EXISTS of the show itself was
# planned, on statistics taken before any show had a score or rank (a fresh catalogue), as a
# walk of every scored show per ranked show: at 50,000 shows it ran for over 25 minutes.
RANK_STATEMENTS = [
    f"""
    UPDATE shows_show SET rank = r.new_rank
    FROM (
        SELECT s.id, DENSE_RANK() OVER (ORDER BY s.score DESC) AS new_rank
        FROM shows_show s WHERE {RANKED_SHOW}
    ) r
    WHERE shows_show.id = r.id AND (shows_show.rank IS NULL OR shows_show.rank <> r.new_rank)
    """,  # noqa: S608 - constant SQL; the minimum is a parameter
    f"""
    UPDATE shows_show AS s SET rank = NULL
    WHERE s.rank IS NOT NULL AND ({RANKED_SHOW}) IS NOT TRUE
    """,  # noqa: S608 - constant SQL; the minimum is a parameter
    f"""
    UPDATE shows_showcategory SET rank = r.new_rank
    FROM (
        SELECT sc.id,
               DENSE_RANK() OVER (PARTITION BY sc.category_id ORDER BY s.score DESC) AS new_rank
        FROM shows_showcategory sc JOIN shows_show s ON s.id = sc.show_id
        WHERE {RANKED_SHOW}
    ) r
    WHERE shows_showcategory.id = r.id
      AND (shows_showcategory.rank IS NULL OR shows_showcategory.rank <> r.new_rank)
    """,  # noqa: S608 - constant SQL; the minimum is a parameter
    f"""
    UPDATE shows_showcategory AS sc SET rank = NULL
    FROM shows_show s
    WHERE s.id = sc.show_id AND sc.rank IS NOT NULL AND ({RANKED_SHOW}) IS NOT TRUE
    """,  # noqa: S608 - constant SQL; the minimum is a parameter
]


def refresh_show(show_id: int) -> None:
    """Recompute one show's figures after scoring, overrides or hiding, and ask for a re-rank.

    A few queries on the show's own episodes; the prior comes from the stored category means
    and the ranks of all shows are brought up to date by one debounced task (request_rerank).
    """
    categories = list(
        ShowCategory.objects.filter(show_id=show_id).values_list("category_id", flat=True)
    )
    _refresh_batch([show_id], prior_means(categories))
    request_rerank()


def request_rerank() -> None:
    """Queue one re-rank of every show after commit; requests within RERANK_DELAY share it."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # No worker (the embedded default): the process that changed a score re-ranks now.
        rerank_now()
        return
    # None rather than False: the cache is unreachable; queue the re-rank rather than lose it.
    if cache.add(RERANK_PENDING_KEY, 1, timeout=RERANK_DELAY * 10) is not False:
        # Looked up by name: scoring.tasks imports this module.
        rerank = current_app.tasks[RERANK_TASK]
        transaction.on_commit(lambda: rerank.apply_async(countdown=RERANK_DELAY), robust=True)
    transaction.on_commit(bump_content_version)


def rerank_now() -> None:
    """Dense ranks over the ranked shows, overall and per category (what the task runs)."""
    cache.delete(RERANK_PENDING_KEY)
    with transaction.atomic():
        _lock_ranks()
        _update_ranks()
        transaction.on_commit(bump_content_version)


def recompute_all(progress: Callable[[int, int], None] | None = None) -> None:
    """Recompute every show's figures and ranks; `progress(done, total)` after each batch."""
    means = refresh_category_means()
    ids = list(Show.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH_SIZE):
        with transaction.atomic():
            _refresh_batch(ids[start : start + BATCH_SIZE], means)
        if progress:
            progress(min(start + BATCH_SIZE, len(ids)), len(ids))
    rerank_now()


def refresh_category_means() -> dict[int | None, float]:
    """Store every category's current mean (Category.mean_score) and return all the means.

    Key None: the mean of every scored episode (the prior of a show without a category).
    """
    means = category_means()
    for category in Category.objects.all():
        mean = means.get(category.pk)
        if category.mean_score != mean:
            Category.objects.filter(pk=category.pk).update(mean_score=mean)
    return means


def refresh_drifted_shows(tolerance: float = MEAN_TOLERANCE) -> int:
    """Refresh the means; re-score the shows of every category whose mean moved. Returns how
    many shows were refreshed (run every minute by beat, so priors stay current)."""
    before = dict(Category.objects.values_list("pk", "mean_score"))
    means = refresh_category_means()
    drifted = [
        pk
        for pk, old in before.items()
        if (old is None) != (means.get(pk) is None)
        or (old is not None and abs(old - means[pk]) > tolerance)
    ]
    ids = sorted(
        set(ShowCategory.objects.filter(category_id__in=drifted).values_list("show_id", flat=True))
    )
    for start in range(0, len(ids), BATCH_SIZE):
        with transaction.atomic():
            _refresh_batch(ids[start : start + BATCH_SIZE], means)
    if ids:
        rerank_now()
    return len(ids)


def prior_means(category_ids: list[int]) -> dict[int | None, float]:
    """The means a show's prior needs: stored ones, or live ones where no beat keeps them."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return category_means(category_ids, overall=not category_ids)
    return stored_means(category_ids)


def stored_means(category_ids: list[int]) -> dict[int | None, float]:
    """The stored means of these categories (computed now where none is stored yet)."""
    means = dict(
        Category.objects.filter(pk__in=category_ids, mean_score__isnull=False).values_list(
            "pk", "mean_score"
        )
    )
    missing = [pk for pk in category_ids if pk not in means]
    if missing or not category_ids:
        means |= category_means(missing, overall=not category_ids)
    return means


def category_means(
    category_ids: Iterable[int] | None = None, overall: bool = True
) -> dict[int | None, float]:
    """Mean effective score of the scored episodes in each category (all, or those given).

    Key None, when `overall`: the mean of every scored episode.
    """
    scored = Episode.objects.scored()
    in_categories = scored.filter(show__showcategory__isnull=False)
    if category_ids is not None:
        in_categories = in_categories.filter(show__showcategory__category_id__in=category_ids)
    means = {
        row["show__showcategory__category_id"]: row["mean"]
        for row in in_categories.values("show__showcategory__category_id")
        .annotate(mean=Avg(Cast("score", FloatField())))
        .order_by()
    }
    if overall:
        means[None] = scored.aggregate(mean=Avg(Cast("score", FloatField())))["mean"]
    return means


def prior_for(category_ids: Iterable[int], means: dict[int | None, float]) -> float | None:
    """The prior mean of a show: the mean of its categories' means, else the overall mean."""
    known = [means[c] for c in category_ids if means.get(c) is not None]
    if known:
        return sum(known) / len(known)
    return means.get(None)


def bayesian_score(
    weighted_sum: float, weight_total: float, prior: float | None, prior_weight: float
) -> float | None:
    """(C·m + Σwᵢsᵢ) / (C + Σwᵢ); the plain weighted mean when there is no prior yet."""
    if weight_total <= 0:
        return None
    if prior is None:
        return weighted_sum / weight_total
    return (prior_weight * prior + weighted_sum) / (prior_weight + weight_total)


def _refresh_batch(show_ids: list[int], means: dict[int | None, float]) -> None:
    now = timezone.now()
    older_weight = settings.PODINDEX_RANKING_OLDER_WEIGHT
    prior_weight = settings.PODINDEX_RANKING_PRIOR_WEIGHT
    weight = Case(
        When(score__isnull=True, then=Value(0.0)),
        When(
            Q(published_at__gte=now - RECENT)
            | Q(published_at__isnull=True, created_at__gte=now - RECENT),
            then=Value(1.0),
        ),
        default=Value(older_weight),
        output_field=FloatField(),
    )
    visible = Episode.objects.filter(show_id__in=show_ids, hidden=False)
    totals = {
        row["show_id"]: row
        for row in visible.values("show_id")
        .annotate(
            episodes=Count("pk"),
            latest=Max("published_at"),
            scored=Count("score"),
            weight_total=Sum(weight),
            weighted_sum=Sum(
                Case(
                    When(score__isnull=False, then=Cast("score", FloatField()) * weight),
                    default=Value(0.0),
                    output_field=FloatField(),
                )
            ),
        )
        .order_by()
    }
    categories = defaultdict(list)
    for show_id, category_id in ShowCategory.objects.filter(show_id__in=show_ids).values_list(
        "show_id", "category_id"
    ):
        categories[show_id].append(category_id)
    dimensions = _dimension_averages(show_ids)
    trends = _trends(show_ids)

    shows = list(Show.objects.filter(pk__in=show_ids))
    for show in shows:
        row = totals.get(show.pk, {})
        show.episode_count = row.get("episodes", 0)
        show.latest_episode_at = row.get("latest")
        show.scored_episode_count = row.get("scored", 0)
        score = bayesian_score(
            row.get("weighted_sum") or 0.0,
            row.get("weight_total") or 0.0,
            prior_for(categories[show.pk], means),
            prior_weight,
        )
        show.score = round(score, 2) if score is not None else None
        show.dimension_averages = dimensions.get(show.pk, {})
        show.score_trend = trends.get(show.pk, [])
    Show.objects.bulk_update(
        shows,
        [
            "episode_count",
            "latest_episode_at",
            "scored_episode_count",
            "score",
            "dimension_averages",
            "score_trend",
        ],
    )


def _dimension_averages(show_ids: list[int]) -> dict[int, dict[str, float]]:
    """Average effective score per rubric dimension (the episodes' current scorecards)."""
    rows = (
        DimensionScore.objects.filter(
            current_scorecard_q("scorecard__"),
            scorecard__episode__show_id__in=show_ids,
            scorecard__episode__hidden=False,
            scorecard__episode__score__isnull=False,
        )
        .values("scorecard__episode__show_id", "dimension__key")
        .annotate(average=Avg(Cast(Coalesce("effective_score", "score"), FloatField())))
        .order_by()
    )
    averages = defaultdict(dict)
    for row in rows:
        averages[row["scorecard__episode__show_id"]][row["dimension__key"]] = round(
            row["average"], 1
        )
    return averages


def _trends(show_ids: list[int]) -> dict[int, list[dict]]:
    """Monthly average score of each show's scored episodes: the latest TREND_POINTS months."""
    rows = (
        Episode.objects.filter(
            show_id__in=show_ids, hidden=False, score__isnull=False, published_at__isnull=False
        )
        .annotate(month=TruncMonth("published_at"))
        .values("show_id", "month")
        .annotate(average=Avg(Cast("score", FloatField())), episodes=Count("pk"))
        .order_by("show_id", "-month")
    )
    trends = defaultdict(list)
    for row in rows:
        points = trends[row["show_id"]]
        if len(points) < TREND_POINTS:
            points.append(
                {
                    "month": row["month"].strftime("%Y-%m"),
                    "score": round(row["average"], 1),
                    "episodes": row["episodes"],
                }
            )
    return {show_id: points[::-1] for show_id, points in trends.items()}


def _lock_ranks() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RANK_LOCK_KEY])


def _update_ranks() -> None:
    """Dense ranks over the ranked shows, overall and per category, in four UPDATEs."""
    minimum = {"minimum": settings.PODINDEX_RANKING_MIN_EPISODES}
    with connection.cursor() as cursor:
        for statement in RANK_STATEMENTS:
            cursor.execute(statement, minimum)
