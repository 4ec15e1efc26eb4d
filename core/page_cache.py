"""A whole-response cache for the public pages, invalidated by a content version.

Public pages are the same for every visitor (no per-user content, no CSRF tokens, no CSP
nonces), so a rendered page can be served again until the content changes. Any write that
can change a page bumps the content version (each app `watch()`es the models its pages show,
and the ranking refresh bumps it too); the timeout bounds staleness for bulk writes that
send no signals. A view opts in with `@public_page`.

The key is everything a response depends on, and the number of keys is bounded:

- scheme and SITE_URL's host: pages build absolute URLs from SITE_URL, never from the
  request, so every spelling of an allowed host (`LOCALHOST`, `localhost.`, `localhost:8001`)
  shares one entry: a Host header cannot multiply the copies of a page. Only SITE_URL's host and
  hosts listed literally in ALLOWED_HOSTS are cached at all (core.hosts refuses absurd ports);
- the path and the query parameters the pages read (KNOWN_PARAMS), in a canonical order: a
  request with any other parameter (tracking tags, cache busters) is served fresh, uncached;
- the htmx headers (fragments are not pages).

Past VARIANTS_PER_PATH variants of one path (?page=, ?q=, HX-Target: …) per content version
further variants are served uncached, so random query strings cannot evict the pages everyone
reads. A NUL character in the path or in a filter parameter is answered 400 here, before any
view: no database stores one, and PostgreSQL raises on it (a 500). Free text (the search's
?q=) is left to its view, which cleans it.
"""

import hashlib
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponseBadRequest
from django.http.request import split_domain_port
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

VERSION_KEY = "podindex:content-version"
# Request headers the pages vary on (htmx swaps get fragments, not pages).
VARY_HEADERS = ("HTTP_HX_REQUEST", "HTTP_HX_TARGET", "HTTP_HX_HISTORY_RESTORE_REQUEST")
# Query parameters the public pages read; any other one makes a request uncacheable.
KNOWN_PARAMS = frozenset({"page", "sort", "q", "category", "language", "topic", "min_score"})
# Free-text parameters: their views clean what they read (NUL included).
FREE_TEXT_PARAMS = frozenset({"q"})
# Cached variants per path and content version beyond the plain page.
VARIANTS_PER_PATH = 100


def public_page(view):
    """Mark a view whose GET response is the same for every visitor: the cache may keep it."""
    # An attribute, not a wrapper: decorators built on functools.wraps carry it outwards.
    view.public_page = True
    return view


def watch(*model_labels: str) -> None:
    """Bump the content version whenever a row of these models ("app.Model") is saved or deleted."""
    for label in model_labels:
        for signal in (post_save, post_delete):
            signal.connect(
                bump_content_version,
                sender=label,
                weak=False,
                dispatch_uid=f"page-cache-{label}-{signal is post_save}",
            )


def content_version() -> int:
    """The current content version (starts at 1)."""
    return cache.get_or_set(VERSION_KEY, 1, timeout=None)


def bump_content_version(**kwargs) -> None:
    """Invalidate every cached page: called after any write that can change one."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, timeout=None)


def canonical_query(request) -> str | None:
    """The query string with its parameters in a canonical order; None if one is unknown.

    Sorted by name only: the values of a repeated parameter keep their order (views read the
    last one).
    """
    if set(request.GET) - KNOWN_PARAMS:
        return None
    pairs = sorted(
        ((name, value) for name in request.GET for value in request.GET.getlist(name)),
        key=lambda pair: pair[0],
    )
    return urlencode(pairs)


def is_cached_host(request) -> bool:
    """Whether the request's host is SITE_URL's or listed literally (not by a wildcard)."""
    domain, _ = split_domain_port(request.get_host())
    literal = {h.lower() for h in settings.ALLOWED_HOSTS if not h.startswith((".", "*"))}
    return domain in literal or domain == (urlsplit(settings.SITE_URL).hostname or "").lower()


def page_url(request) -> str:
    """The request's scheme and path on SITE_URL's host: what a page's copies are counted by."""
    return f"{request.scheme}://{urlsplit(settings.SITE_URL).netloc.lower()}{request.path}"


def cache_key(request) -> str | None:
    """The cache key of a request, or None when it must not be cached (see the module doc)."""
    query = canonical_query(request)
    if query is None or not is_cached_host(request):
        return None
    varying = "|".join(request.META.get(header, "") for header in VARY_HEADERS)
    raw = f"{page_url(request)}?{query}|{varying}"
    digest = hashlib.sha256(raw.encode()).hexdigest()
    return f"podindex:page:{content_version()}:{request.method}:{digest}"


def is_variant(request) -> bool:
    """Whether a request asks for something other than the plain page (a query, a fragment)."""
    return bool(request.GET) or any(request.META.get(header) for header in VARY_HEADERS)


def take_variant_slot(request) -> bool:
    """Count one more cached variant of this path; False once the path has used its share."""
    path = hashlib.sha256(page_url(request).encode())
    key = f"podindex:variants:{content_version()}:{path.hexdigest()}"
    cache.add(key, 0, settings.PODINDEX_PAGE_CACHE_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        return False
    # None: the cache is unreachable (its errors are ignored), so nothing would be stored anyway.
    return count is not None and count <= VARIANTS_PER_PATH


def has_nul(request) -> bool:
    """Whether the path or a query parameter other than free text carries a NUL character."""
    if "\x00" in request.path:
        return True
    return any(
        "\x00" in name or (name not in FREE_TEXT_PARAMS and any("\x00" in v for v in values))
        for name, values in request.GET.lists()
    )


def carries_session(request) -> bool:
    """Whether the visitor carries a session: editors do, and they always see fresh pages."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def is_cacheable_request(request) -> bool:
    if not settings.PODINDEX_PAGE_CACHE_SECONDS or request.method not in ("GET", "HEAD"):
        return False
    if carries_session(request):
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return getattr(match.func, "public_page", False)


class PublicPageCacheMiddleware:
    """Serve public pages from the cache; store fresh 200 responses for the next visitor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_nul(request):
            return HttpResponseBadRequest(
                "A URL may not contain NUL characters.", content_type="text/plain; charset=utf-8"
            )
        if not is_cacheable_request(request):
            return self.get_response(request)
        key = cache_key(request)
        if key is None:
            return self.get_response(request)
        cached = cache.get(key)
        if cached is not None:
            return self.conditional(request, cached)
        response = self.get_response(request)
        if self.is_storable(response) and (not is_variant(request) or take_variant_slot(request)):
            cache.set(key, response, settings.PODINDEX_PAGE_CACHE_SECONDS)
        return response

    @staticmethod
    def is_storable(response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "Cookie" not in response.get("Vary", "")
            and "private" not in response.get("Cache-Control", "")
        )

    @staticmethod
    def conditional(request, response):
        """Answer If-None-Match / If-Modified-Since from the cached copy's validators."""
        last_modified = response.get("Last-Modified")
        return get_conditional_response(
            request,
            etag=response.get("ETag"),
            last_modified=parse_http_date_safe(last_modified) if last_modified else None,
            response=response,
        )


# Aggregates and fragments shared by many pages (the languages of the filter, ranked counts,
# a topic's order): kept until the content version changes, and never longer than this (the
# page cache's default: writes that send no signal, such as a rubric dimension's, show that soon).
FRAGMENT_SECONDS = 300
_MISSING = object()


def cached_by_version(key: str, compute, timeout: int = FRAGMENT_SECONDS):
    """`compute()`'s value, kept in the cache until the content version changes.

    For what many pages share: a new page (another ?page=, filter or show) then pays only for
    what is its own. The value must be picklable; None is cached like any other value.
    """
    full_key = f"podindex:fragment:{content_version()}:{key}"
    value = cache.get(full_key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(full_key, value, timeout)
    return value
