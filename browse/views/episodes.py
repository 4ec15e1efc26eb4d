"""Episode scorecard pages and topic pages."""

from django.http import Http404
from django.views.decorators.http import require_GET

from browse import rankings
from browse.rows import EPISODE_ROW, EPISODE_ROW_SHOW
from browse.scorecard_page import PAGE_TEMPLATE, episode_page_context, episode_page_episode
from core.htmx import render_page
from core.page_cache import public_page
from core.pagination import paginate_rows
from episodes.models import Episode

TOPIC_EPISODES_PER_PAGE = 20


@public_page
@require_GET
def episode_detail(request, show_slug, slug):
    """The scorecard page of one episode: score, dimensions, quotes, analysis, transcript."""
    episode = episode_page_episode(show_slug, slug)
    if episode is None:
        raise Http404("No Episode matches the given query.")
    return render_page(request, PAGE_TEMPLATE, episode_page_context(request, episode))


@public_page
@require_GET
def topic_detail(request, slug):
    """Episodes filed under one topic, best scored first."""
    topic = rankings.topic_or_404(slug)
    # The page's keys first, from indexes only however deep the page; then its rows alone.
    page = paginate_rows(
        lambda offset, limit: rankings.topic_order_query(offset, limit)(topic.pk),
        request.GET.get("page"),
        TOPIC_EPISODES_PER_PAGE,
    )
    rows = (
        Episode.objects.listed()
        .select_related("show")
        .only(*EPISODE_ROW, *EPISODE_ROW_SHOW)
        .in_bulk(page.object_list)
    )
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    return render_page(request, "episodes/topic_detail.html", {"topic": topic, "page_obj": page})
