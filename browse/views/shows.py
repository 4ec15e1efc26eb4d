"""Show pages: the rankings, a category's ranking and one show.

Each view names the fragments an htmx request may swap (core.htmx.render_page).
"""

from functools import lru_cache

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from browse import rankings
from browse.rows import EPISODE_ROW
from core.absolute import absolute_url
from core.htmx import render_page
from core.page_cache import cached_by_version, public_page
from core.pagination import paginate_rows
from core.paths import slug_path
from core.prepared import PreparedQuery
from episodes.models import Episode
from shows.models import Show, ShowCategory

SHOWS_PER_PAGE = 50
EPISODES_PER_PAGE = 20
SORTS = {
    "score": "Best score",
    "recent": "Most recent episode",
    "episodes": "Most episodes",
}
EPISODE_SORTS = {"date": "Newest", "score": "Best score"}


@public_page
@require_GET
def show_list(request):
    """All active shows, best ranked first, filterable by category and language."""
    slug = request.GET.get("category", "")
    category = rankings.category_or_404(slug) if slug else None
    return _ranking(request, category, filter_category=True)


@public_page
@require_GET
def category_detail(request, slug):
    """The best B2B podcasts of one category."""
    return _ranking(request, rankings.category_or_404(slug), filter_category=False)


def _ranking(request, category, filter_category):
    language = request.GET.get("language", "")[:20]
    sort = request.GET.get("sort", "")
    if sort not in SORTS:
        sort = "score"
    arguments = ([category.pk] if category else []) + ([language] if language else [])
    page = paginate_rows(
        lambda offset, limit: rankings.ranking_query(
            bool(category), bool(language), sort, offset, limit
        )(*arguments),
        request.GET.get("page"),
        SHOWS_PER_PAGE,
    )
    return render_page(
        request,
        "shows/show_list.html",
        {
            "category": category,
            # Where the filters go: a category's own page when one is picked.
            "list_url": category.get_absolute_url() if category else slug_path("shows:list"),
            "filter_category": filter_category,
            "categories": rankings.categories() if filter_category else [],
            "languages": rankings.languages(),
            "language": language,
            "sort": sort,
            "sort_label": SORTS[sort],
            "sorts": SORTS,
            "page_obj": page,
            "min_episodes": settings.PODINDEX_RANKING_MIN_EPISODES,
            "ranked_count": rankings.ranked_count(category) if page.number == 1 else None,
        },
        partials=["ranking"],
    )


@public_page
@require_GET
def show_detail(request, slug):
    """A show's score, rank, dimension averages, trend and its episodes."""
    show = next(iter(_SHOW(slug)), None)
    if show is None:
        raise Http404("No Show matches the given query.")
    if show.canonical_id:
        # A moved or duplicate feed: its page is the canonical show's page.
        return redirect(show.canonical, permanent=True)
    if not show.active:
        raise Http404("This show is no longer listed.")
    sort = request.GET.get("sort", "")
    if sort not in EPISODE_SORTS:
        sort = "date"
    page = paginate_rows(
        lambda offset, limit: _show_episodes(sort, offset, limit)(show.pk),
        request.GET.get("page"),
        EPISODES_PER_PAGE,
    )
    for episode in page:
        episode.show = show  # for get_absolute_url without a query per row
    # Set by the ranking refresh, which moves the content version on: kept until it does.
    placements = cached_by_version(
        f"show:placements:{show.pk}",
        lambda: list(
            ShowCategory.objects.filter(show=show).select_related("category").order_by("category")
        ),
    )
    return render_page(
        request,
        "shows/show_detail.html",
        {
            "show": show,
            "placements": placements,
            "dimensions": rankings.dimension_rows(show),
            "page_obj": page,
            "sort": sort,
            "sorts": EPISODE_SORTS,
            "min_episodes": settings.PODINDEX_RANKING_MIN_EPISODES,
            "feed_url": slug_path("show_rss", slug=show.slug),
            "jsonld": show_jsonld(request, show, placements),
            "og_image": show.artwork_url,
        },
        partials=["episodes"],
    )


# Compiled once per process (core.prepared): the show by its slug, and a page of its episodes.
_SHOW = PreparedQuery(lambda slug: Show.objects.filter(slug=slug), str)


@lru_cache(maxsize=256)
def _show_episodes(sort: str, offset: int, limit: int) -> PreparedQuery:
    def build(show_id):
        # What an episode row shows, and no more: its show is the one at hand.
        episodes = Episode.objects.listed().filter(show_id=show_id).only("show_id", *EPISODE_ROW)
        return episodes.order_by(*rankings.episode_order(sort))[offset : offset + limit]

    return PreparedQuery(build, int)


def show_jsonld(request, show, placements) -> dict:
    """schema.org PodcastSeries for a show page, with its score as an aggregate rating."""
    data = {
        "@context": "https://schema.org",
        "@type": "PodcastSeries",
        "name": show.title,
        "url": absolute_url(show.get_absolute_url()),
        "webFeed": show.feed_url,
    }
    if show.author:
        data["author"] = {"@type": "Person", "name": show.author}
    if show.artwork_url:
        data["image"] = show.artwork_url
    if show.language:
        data["inLanguage"] = show.language
    if placements:
        data["genre"] = [p.category.name for p in placements]
    if show.score is not None and show.scored_episode_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": round(show.score, 1),
            "bestRating": 100,
            "worstRating": 0,
            "ratingCount": show.scored_episode_count,
        }
    return data
