from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.decorators.cache import cache_page

from podindex import feeds, views
from podindex.sitemaps import SITEMAPS

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("search/", views.search, name="search"),
    # Sitemaps count their rows to paginate: cached, so crawlers do not run COUNT(*) each time.
    path(
        "sitemap.xml",
        cache_page(3600)(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cache_page(3600)(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path("admin/", admin.site.urls),
    # Feeds come before the episode pages, whose /shows/<show>/<episode>/ would swallow them.
    path("rss/", feeds.site_feed, name="rss"),
    path("opml/", feeds.opml, name="opml"),
    path("shows/<slug:slug>/rss/", feeds.show_feed, name="show_rss"),
    path("categories/<slug:slug>/rss/", feeds.category_feed, name="category_rss"),
    path("categories/<slug:slug>/opml/", feeds.opml, name="category_opml"),
    path("topics/<slug:slug>/rss/", feeds.topic_feed, name="topic_rss"),
    path("", include("scoring.urls")),
    path("", include("episodes.urls")),
    path("", include("shows.urls")),
]
