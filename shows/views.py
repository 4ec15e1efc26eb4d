"""Show pages: the rankings, a category's ranking and one show."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from shows.models import Category, Show


@require_GET
def show_list(request):
    """All active shows, best ranked first."""
    shows = Show.objects.active().order_by("rank", "title")
    page = Paginator(shows, 50).get_page(request.GET.get("page"))
    return render(request, "shows/show_list.html", {"page_obj": page})


@require_GET
def category_detail(request, slug):
    """The best B2B podcasts of one category."""
    category = get_object_or_404(Category, slug=slug)
    shows = category.shows.filter(active=True, canonical__isnull=True).order_by(
        "showcategory__rank", "title"
    )
    page = Paginator(shows, 50).get_page(request.GET.get("page"))
    return render(request, "shows/category_detail.html", {"category": category, "page_obj": page})


@require_GET
def show_detail(request, slug):
    """A show's score and its episodes, newest first."""
    show = get_object_or_404(Show.objects.prefetch_related("categories"), slug=slug)
    episodes = show.episodes.filter(hidden=False).order_by("-published_at", "-id")
    page = Paginator(episodes, 20).get_page(request.GET.get("page"))
    return render(request, "shows/show_detail.html", {"show": show, "page_obj": page})
