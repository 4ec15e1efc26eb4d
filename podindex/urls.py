from django.contrib import admin
from django.urls import include, path

from podindex import feeds, views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("search/", views.search, name="search"),
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
