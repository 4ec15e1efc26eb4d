"""sitemap.xml: the listing pages, every listed show, episode, category and topic."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from episodes.models import Episode, Topic
from shows.models import Category, Show


class PagesSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return ["home", "shows:list", "methodology"]

    def location(self, item):
        return reverse(item)


class ShowSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.7

    def items(self):
        return Show.objects.active().only("slug", "updated_at").order_by("pk")

    def lastmod(self, show):
        return show.updated_at


class EpisodeSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.6
    # 250,000 episodes span five sitemap pages; each page is one indexed slice.
    limit = 50_000

    def items(self):
        return (
            Episode.objects.listed()
            .select_related("show")
            .only("slug", "updated_at", "show__slug")
            .order_by("pk")
        )

    def lastmod(self, episode):
        return episode.updated_at


class CategorySitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return Category.objects.order_by("pk")


class TopicSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return Topic.objects.order_by("pk")


SITEMAPS = {
    "pages": PagesSitemap,
    "categories": CategorySitemap,
    "topics": TopicSitemap,
    "shows": ShowSitemap,
    "episodes": EpisodeSitemap,
}
