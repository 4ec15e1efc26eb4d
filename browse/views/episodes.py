"""Episode scorecard pages and topic pages."""

from django.db.models import F
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from browse.scorecard_page import scorecard_page_context, scorecard_page_episodes
from browse.views.shows import EPISODE_ROW_FIELDS
from core.page_cache import public_page
from core.pagination import paginate
from episodes.models import Episode, Topic

TOPIC_EPISODES_PER_PAGE = 20


@public_page
@require_GET
def episode_detail(request, show_slug, slug):
    """The scorecard page of one episode (mirrors reference/seed-episode-page.txt)."""
    episode = get_object_or_404(scorecard_page_episodes(), show__slug=show_slug, slug=slug)
    return render(request, "episodes/episode_detail.html", scorecard_page_context(request, episode))


@public_page
@require_GET
def topic_detail(request, slug):
    """Episodes filed under one topic, best scored first."""
    topic = get_object_or_404(Topic, slug=slug)
    episodes = (
        Episode.objects.listed()
        .filter(topics=topic)
        .select_related("show")
        .only(*EPISODE_ROW_FIELDS)
        .order_by(F("score").desc(nulls_last=True), F("published_at").desc(nulls_last=True), "-pk")
    )
    page = paginate(episodes, request.GET.get("page"), TOPIC_EPISODES_PER_PAGE)
    return render(request, "episodes/topic_detail.html", {"topic": topic, "page_obj": page})
