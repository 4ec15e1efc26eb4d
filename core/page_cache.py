"""A whole-response cache for the public pages, invalidated by a content version.

Public pages are the same for every visitor (no per-user content, no CSRF tokens, no CSP
nonces), so a rendered page can be served again until the content changes. Any write that
can change a page bumps the content version (each app `watch()`es the models its pages show,
and the ranking refresh bumps it too); the timeout bounds staleness for bulk writes that
send no signals. A view opts in with `@public_page`.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

VERSION_KEY = "podindex:content-version"
# Request headers the pages vary on (htmx swaps get fragments, not pages).
VARY_HEADERS = ("HTTP_HX_REQUEST", "HTTP_HX_TARGET", "HTTP_HX_HISTORY_RESTORE_REQUEST")


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


def cache_key(request) -> str:
    varying = "|".join(request.META.get(header, "") for header in VARY_HEADERS)
    digest = hashlib.sha256(f"{request.get_full_path()}|{varying}".encode()).hexdigest()
    return f"podindex:page:{content_version()}:{request.method}:{digest}"


def is_cacheable_request(request) -> bool:
    if not settings.PODINDEX_PAGE_CACHE_SECONDS or request.method not in ("GET", "HEAD"):
        return False
    # Editors carry a session: they always see fresh pages.
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
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
        if not is_cacheable_request(request):
            return self.get_response(request)
        key = cache_key(request)
        cached = cache.get(key)
        if cached is not None:
            return self.conditional(request, cached)
        response = self.get_response(request)
        if self.is_storable(response):
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
