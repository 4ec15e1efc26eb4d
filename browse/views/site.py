"""Site-wide views: home, search, methodology and robots.txt."""

from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from browse import rankings
from browse.rows import EPISODE_ROW, EPISODE_ROW_SHOW, RANKING_ROW, RANKING_ROW_TREND
from browse.search import search as run_search
from core.absolute import absolute_url
from core.htmx import render_page
from core.page_cache import cached_by_version, public_page
from core.pagination import MAX_PAGE, page_number
from core.prepared import PreparedQuery
from episodes.models import Episode
from scoring.models import Rubric
from shows.models import Show

HOME_SHOWS = 10
HOME_EPISODES = 8
# "Best recent" looks at episodes scored in this window, over the scored_at index.
RECENT_WINDOW = timedelta(days=30)
# The window moves with the clock, not only with the content: the list is kept this long at most.
RECENT_SECONDS = 300
SEARCH_PER_PAGE = 10


@public_page
@require_GET
def home(request):
    """Top shows, the best recently scored episodes and the categories."""
    top_shows = _TOP_SHOWS()
    # Shared aggregates, kept until the content changes (core.page_cache.cached_by_version).
    best_recent = cached_by_version("home:best-recent", _best_recent, timeout=RECENT_SECONDS)
    ranked_per_category = rankings.ranked_per_category()
    categories = rankings.categories()
    for category in categories:
        category.ranked_count = ranked_per_category.get(category.pk, 0)
    return render_page(
        request,
        "home.html",
        {
            "top_shows": top_shows,
            "best_recent": best_recent,
            "categories": categories,
            "min_episodes": settings.PODINDEX_RANKING_MIN_EPISODES,
        },
    )


# Compiled once per process (core.prepared).
_TOP_SHOWS = PreparedQuery(
    lambda: (
        Show.objects.ranked()
        .annotate(position=F("rank"), **RANKING_ROW_TREND)
        .only(*RANKING_ROW)
        .order_by("rank", "title")[:HOME_SHOWS]
    )
)


def _best_recent() -> list:
    """The best episodes scored in the recent window (the latest ones in a quiet month)."""
    recent = Episode.objects.scored()
    best = list(
        recent.filter(scored_at__gte=timezone.now() - RECENT_WINDOW)
        .select_related("show")
        .only(*EPISODE_ROW, *EPISODE_ROW_SHOW)
        .order_by("-score", "-scored_at", "-pk")[:HOME_EPISODES]
    )
    if best:
        return best
    # A quiet month: the latest scorecards, whatever their score.
    return list(
        recent.select_related("show")
        .only(*EPISODE_ROW, *EPISODE_ROW_SHOW)
        .order_by("-scored_at", "-pk")[:HOME_EPISODES]
    )


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    """Allow crawlers everywhere but the admin, and point them at the sitemap."""
    sitemap = absolute_url(reverse("sitemap"))
    lines = ["User-agent: *", "Disallow: /admin/", f"Sitemap: {sitemap}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@public_page
@require_GET
def search(request):
    """Search shows, episodes and what was said in transcripts; htmx updates as you type."""
    number = page_number(request.GET.get("page"))
    if number > MAX_PAGE:
        raise Http404("No such page.")
    results = run_search(request.GET.get("q"), page=number, per_page=SEARCH_PER_PAGE)
    if number > 1 and results.empty:
        raise Http404("No such page.")
    return render_page(
        request,
        "search/search.html",
        {"results": results, "query": results.query, "page_obj": results},
        partials=["search-results"],
    )


@public_page
@require_GET
def methodology(request):
    """Publish the active rubric and explain how it is applied."""
    # With its dimensions prefetched; kept until the content changes, as the rubric rarely does.
    rubric = cached_by_version(
        "methodology:rubric", lambda: Rubric.objects.active().prefetch_related("dimensions").first()
    )
    return render_page(
        request,
        "methodology.html",
        {
            "rubric": rubric,
            "hold_jump": settings.PODINDEX_HOLD_JUMP_POINTS,
            "hold_min_episodes": settings.PODINDEX_HOLD_MIN_EPISODES,
            "hold_total_from": settings.PODINDEX_HOLD_TOTAL_FROM,
            "hold_deviations": settings.PODINDEX_HOLD_CATEGORY_DEVIATIONS,
            "hold_category_min_episodes": settings.PODINDEX_HOLD_CATEGORY_MIN_EPISODES,
            "people_min_appearances": settings.PODINDEX_PEOPLE_MIN_APPEARANCES,
            "people_prior_weight": f"{settings.PODINDEX_PEOPLE_PRIOR_WEIGHT:g}",
        },
    )
