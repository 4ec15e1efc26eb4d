"""The public site's URLs. The names keep the namespaces of the pages' subjects."""

from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from browse import sitemaps, syndication
from browse.sitemaps import SITEMAPS
from browse.views import episodes, people, shows, site

show_patterns = [
    path("shows/", shows.show_list, name="list"),
    path("categories/<slug:slug>/", shows.category_detail, name="category"),
    path("shows/<slug:slug>/", shows.show_detail, name="detail"),
]
people_patterns = [
    path("people/", people.person_list, name="list"),
    path("people/<slug:slug>/", people.person_detail, name="detail"),
    path("people/<slug:slug>/rss/", syndication.person_feed, name="rss"),
]
episode_patterns = [
    path("topics/<slug:slug>/", episodes.topic_detail, name="topic"),
    path("shows/<slug:show_slug>/<slug:slug>/", episodes.episode_detail, name="detail"),
]

urlpatterns = [
    path("", site.home, name="home"),
    path("robots.txt", site.robots_txt, name="robots_txt"),
    path("search/", site.search, name="search"),
    path("methodology/", site.methodology, name="methodology"),
    # Sitemaps count their rows to paginate: cached (one copy per page), so crawlers do not run
    # COUNT(*) and render megabytes each time.
    path(
        "sitemap.xml",
        sitemaps.cached(sitemaps.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemaps.cached(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    # Feeds come before the episode pages, whose /shows/<show>/<episode>/ would swallow them.
    path("rss/", syndication.site_feed, name="rss"),
    path("opml/", syndication.opml, name="opml"),
    path("shows/<slug:slug>/rss/", syndication.show_feed, name="show_rss"),
    path("categories/<slug:slug>/rss/", syndication.category_feed, name="category_rss"),
    path("categories/<slug:slug>/opml/", syndication.opml, name="category_opml"),
    path("topics/<slug:slug>/rss/", syndication.topic_feed, name="topic_rss"),
    path("", include((episode_patterns, "episodes"))),
    path("", include((show_patterns, "shows"))),
    path("", include((people_patterns, "people"))),
]
