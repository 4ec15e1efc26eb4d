"""sitemap.xml: the listing pages, every listed show, episode, category, topic and person.

Every URL in a sitemap is on SITE_URL, never on the request's Host header (core.absolute): a
sitemap fetched as `Host: evil.example` and cached would otherwise point crawlers elsewhere.
Django's views take the host from the request, so the sections set their own protocol and
domain, and `index` rewrites the links of Django's index view.

The views are cached (`cached`): an episodes page is megabytes of XML and counts its rows. One
copy per section and page number (`?p=`), whatever else the URL or the Host header carries:
keyed on the full URL, every `?x=<random>` would render and keep another copy for an hour.
"""

import re
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.core.cache import cache
from django.http import Http404
from django.urls import reverse
from django.utils.cache import patch_response_headers

from core.absolute import absolute_url
from episodes.models import Episode, Topic
from people.models import Person
from shows.models import Category, Show


class SiteSitemap(Sitemap):
    """A sitemap whose URLs are on SITE_URL, whatever host the request named."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site=None):
        # "https://host/prefix" → "host/prefix": Django writes protocol://domain + path.
        parts = urlsplit(settings.SITE_URL)
        return parts.netloc + parts.path.rstrip("/")


SITEMAP_SECONDS = 3600
# A page number as the index writes it: no sign, no leading zero, no fraction.
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,5}")


def cached(view):
    """Cache a sitemap view's answers, one per section and page: other parameters are ignored."""

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        # The only parameter a sitemap reads (Django's view: ?p=); the index reads none.
        page = request.GET.get("p", "1") if "section" in kwargs else "1"
        if not PAGE_NUMBER.fullmatch(page):
            raise Http404("No such sitemap page.")
        key = f"podindex:sitemap:{kwargs.get('section', '')}:{page}"
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                response.render()
                patch_response_headers(response, SITEMAP_SECONDS)
                cache.set(key, response, SITEMAP_SECONDS)
        return response

    return cached_view


@wraps(sitemap_views.index)
def index(request, *args, **kwargs):
    """Django's sitemap index, its section links on SITE_URL instead of the request's host."""
    response = sitemap_views.index(request, *args, **kwargs)
    for item in response.context_data["sitemaps"]:
        parts = urlsplit(item.location)
        item.location = absolute_url(parts.path + (f"?{parts.query}" if parts.query else ""))
    return response


class PagesSitemap(SiteSitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return ["home", "shows:list", "people:list", "methodology"]

    def location(self, item):
        return reverse(item)


class ShowSitemap(SiteSitemap):
    changefreq = "weekly"
    priority = 0.7

    def items(self):
        return Show.objects.active().only("slug", "updated_at").order_by("pk")

    def lastmod(self, show):
        return show.updated_at


class EpisodeSitemap(SiteSitemap):
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


class CategorySitemap(SiteSitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return Category.objects.order_by("pk")


class TopicSitemap(SiteSitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return Topic.objects.order_by("pk")


class PersonSitemap(SiteSitemap):
    changefreq = "weekly"
    priority = 0.5
    limit = 50_000

    def items(self):
        # Visible people on at least one listed episode (those have figures).
        return (
            Person.objects.visible()
            .filter(ranking__isnull=False)
            .only("slug", "updated_at")
            .order_by("pk")
        )

    def lastmod(self, person):
        return person.updated_at


SITEMAPS = {
    "pages": PagesSitemap,
    "categories": CategorySitemap,
    "topics": TopicSitemap,
    "shows": ShowSitemap,
    "episodes": EpisodeSitemap,
    "people": PersonSitemap,
}
