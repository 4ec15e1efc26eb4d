"""The orders and figures of the public lists, shared by the pages and the API.

One home per rule: the rankings page, a show's page, a topic's page and the API's matching
endpoints all call these, so a list is in the same order and a figure the same everywhere.
"""

from functools import lru_cache

from django.core.cache import cache
from django.db.models import Count, F
from django.http import Http404
from django.shortcuts import get_object_or_404

from browse.rows import RANKING_ROW, RANKING_ROW_TREND
from core.page_cache import FRAGMENT_SECONDS, cached_by_version, content_version
from core.prepared import PreparedQuery
from episodes.models import Episode, Topic
from scoring.effective import percent
from scoring.models import RubricDimension
from shows.models import Category, Show, ShowCategory, active_show_q


def ranked_shows(category=None):
    """Active shows with `position`: the overall rank, or the rank within `category`."""
    shows = Show.objects.active()
    if category:
        # The join that filters also supplies the rank within the category.
        return shows.filter(showcategory__category=category).annotate(
            position=F("showcategory__rank")
        )
    return shows.annotate(position=F("rank"))


@lru_cache(maxsize=256)
def ranking_query(in_category: bool, in_language: bool, sort: str, offset: int, limit: int):
    """The ranking rows of one shape and slice, compiled once per process (core.prepared):
    called with the category's id and the language, those of them the shape filters by."""

    def build(*arguments):
        arguments = iter(arguments)
        category = next(arguments) if in_category else None
        language = next(arguments) if in_language else None
        # Keys first: the slice's ids, then only those rows whole. An offset no longer reads
        # every wide row before it (page 40: 2,000 rows of about 1 kB each, 7 ms).
        keys = ranking_keys(category, language, sort)[offset : offset + limit]
        shows = (
            ranked_shows(category)
            .filter(pk__in=keys)
            .only(*RANKING_ROW)
            .annotate(**RANKING_ROW_TREND)
        )
        return shows.order_by(*show_order(sort))

    return PreparedQuery(build, *[int] * in_category, *[str] * in_language)


def ranking_keys(category, language, sort: str):
    """The ids of a ranking's shows, in its order: on PostgreSQL the rankings by score, and the
    most recent first within a language, read them from narrow indexes (shows migration 0006)."""
    shows = ranked_shows(category)
    if language is not None:
        shows = shows.filter(language=language)
    return shows.order_by(*show_order(sort)).values("pk")


def show_order(sort: str) -> list:
    """The ORDER BY of a show list annotated with `position`: "score" (the ranking), "recent"
    or "episodes"."""
    if sort == "recent":
        return [F("latest_episode_at").desc(nulls_last=True), "pk"]
    if sort == "episodes":
        return ["-episode_count", "pk"]
    return [F("position").asc(nulls_last=True), F("score").desc(nulls_last=True), "title", "pk"]


def episode_order(sort: str) -> list:
    """The ORDER BY of a show's episodes: "score" (best first) or "date" (newest first)."""
    if sort == "score":
        return [F("score").desc(nulls_last=True), F("published_at").desc(nulls_last=True), "-pk"]
    return [F("published_at").desc(nulls_last=True), "-pk"]


def categories() -> list:
    """Every category, in order (versioned cache)."""
    return cached_by_version("categories", lambda: list(Category.objects.all()))


def category_or_404(slug: str) -> Category:
    """The category with this slug, from the cached list (no query once warm)."""
    for category in categories():
        if category.slug == slug:
            return category
    raise Http404("No Category matches the given query.")


def topic_or_404(slug: str) -> Topic:
    """The topic with this slug, kept until the content changes (an unknown slug is not kept,
    so made-up slugs cannot fill the cache)."""
    key = f"podindex:fragment:{content_version()}:topic:{slug}"
    topic = cache.get(key)
    if topic is None:
        topic = get_object_or_404(Topic, slug=slug)
        cache.set(key, topic, FRAGMENT_SECONDS)
    return topic


def languages() -> list[str]:
    """Languages of active shows, for the filter (versioned cache)."""
    return cached_by_version("ranking:languages", _languages)


def _languages() -> list[str]:
    # A handful of values over an index.
    return sorted(
        lang
        for lang in Show.objects.active().values_list("language", flat=True).distinct().order_by()
        if lang
    )


def ranked_count(category=None) -> int:
    """How many active shows are ranked, overall or in `category` (versioned cache)."""
    return cached_by_version(
        f"ranking:count:{category.pk if category else ''}", lambda: _ranked_count(category)
    )


def _ranked_count(category) -> int:
    # Over the rank indexes: at most a few thousand rows.
    if category:
        return ShowCategory.objects.filter(
            active_show_q("show__"), category=category, rank__isnull=False
        ).count()
    return Show.objects.ranked().count()


def ranked_per_category() -> dict[int, int]:
    """How many active shows each category ranks, by category id (versioned cache)."""
    return cached_by_version(
        "home:ranked-per-category",
        lambda: dict(
            ShowCategory.objects.filter(active_show_q("show__"), rank__isnull=False)
            .values("category")
            .annotate(n=Count("pk"))
            .values_list("category", "n")
            .order_by()
        ),
    )


def dimension_rows(show) -> list[dict]:
    """The show's dimension averages in rubric order, with names, maxima and percentages."""
    if not show.dimension_averages:
        return []
    rows = []
    for key, name, max_score in cached_by_version("rubric:dimensions", _active_dimensions):
        average = show.dimension_averages.get(key)
        if average is not None:
            rows.append(
                {
                    "name": name,
                    "average": average,
                    "max_score": max_score,
                    "percent": percent(average, max_score),
                }
            )
    return rows


def _active_dimensions() -> list[tuple]:
    """(key, name, max_score) of the active rubric's dimensions, in rubric order."""
    return list(RubricDimension.objects.active().values_list("key", "name", "max_score"))


def topic_order(topic):
    """The keys of a topic's listed episodes, best scored first: a queryset to slice.

    Each page reads its own keys from indexes, in the order stored with the filings (episodes
    migration 0011), and stops: no sort of every episode the topic files.
    """
    return Episode.objects.listed().in_topic_order(topic).values_list("pk", flat=True)


@lru_cache(maxsize=256)
def topic_order_query(offset: int, limit: int) -> PreparedQuery:
    """A slice of topic_order, compiled once per process (core.prepared): called with the
    topic's id."""
    return PreparedQuery(lambda topic_id: topic_order(topic_id)[offset : offset + limit], int)
