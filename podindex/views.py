"""Site-wide views: home, health and robots.txt."""

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from episodes.models import Episode
from shows.models import Category, Show


@require_GET
def home(request):
    """Top shows, recently scored episodes and the categories."""
    top_shows = Show.objects.ranked().only(
        "title", "slug", "author", "artwork_url", "score", "scored_episode_count", "rank"
    )[:10]
    if not top_shows:
        top_shows = Show.objects.active().order_by("-latest_episode_at")[:10]
    recent_episodes = (
        Episode.objects.scored().select_related("show").order_by("-scored_at", "-id")[:12]
    )
    return render(
        request,
        "home.html",
        {
            "top_shows": top_shows,
            "recent_episodes": recent_episodes,
            "categories": Category.objects.all(),
        },
    )


@require_GET
def health(request):
    """Liveness and database reachability for load balancers and monitors."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    """Allow crawlers everywhere but the admin, and point them at the sitemap."""
    sitemap = request.build_absolute_uri("/sitemap.xml")
    lines = ["User-agent: *", "Disallow: /admin/", f"Sitemap: {sitemap}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
