"""HTTP conventions shared by every API response: problem documents, validators, CORS, the
response cache and gzip."""

import hashlib
import json
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.http import parse_http_date_safe

from api import ratelimit
from core.page_cache import content_version, take_variant_slot

PREFIX = "/api/"
PROBLEM_TYPE = "application/problem+json"
# Responses are the same for every client (no cookies are read), so shared caches may keep
# them; a minute bounds how stale a ranking can look.
MAX_AGE = 60
# Read-only: a browser on any origin may GET, with the conditional headers it caches by.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, If-None-Match, If-Modified-Since",
    "Access-Control-Expose-Headers": (
        "ETag, Last-Modified, Retry-After, RateLimit-Limit, RateLimit-Remaining, "
        "RateLimit-Reset, RateLimit-Policy"
    ),
    "Access-Control-Max-Age": "86400",
}


def problem(status: int, detail: str = "") -> HttpResponse:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    return HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_TYPE)


def has_nul(request) -> bool:
    """Whether the path or any query parameter, name or value, carries a NUL character."""
    return "\x00" in request.path or any(
        "\x00" in name or any("\x00" in value for value in values)
        for name, values in request.GET.lists()
    )


class ApiHttpMiddleware:
    """Under /api/: the rate limit, NUL refused as a problem, every error a problem document,
    validators and 304s on successful GETs, Cache-Control and CORS on everything."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        head = request.method == "HEAD"
        if head:
            # The endpoints are declared for GET: a HEAD is answered as that GET, without a body.
            request.method = "GET"
        quota = None
        if request.method == "OPTIONS":
            # A preflight is the browser's, not the developer's: it does not count.
            response = HttpResponse(status=204)
        elif (quota := self.take(request)) is None:
            response = problem(401, "This API key is not valid (unknown or revoked).")
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        elif not quota.allowed:
            spent = "with this key" if quota.keyed else "from this address"
            response = problem(429, f"Too many requests {spent}: see Retry-After.")
        elif has_nul(request):
            # No database stores one, and PostgreSQL raises on it.
            response = problem(400, "A URL may not contain NUL characters.")
        else:
            response = self.cached_response(request)
        if response.status_code >= 400 and response.get("Content-Type") != PROBLEM_TYPE:
            allow = response.get("Allow")
            response = problem(response.status_code)
            if allow:  # a 405 names the methods that would do
                response["Allow"] = allow
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response = self.conditional(request, response)
        elif response.status_code != 204:
            response["Cache-Control"] = "no-store"
        for name, value in CORS_HEADERS.items():
            response[name] = value
        for name, value in (quota.headers() if quota else {}).items():
            response[name] = value
        if head and not response.streaming:
            response.content = b""
        return response

    def cached_response(self, request):
        """The endpoint's response, kept until the content changes, as the public pages are.

        The body is the same for every client (URLs come from SITE_URL, no cookie or key is
        read), so one copy serves all; core.page_cache's content version retires it, and its
        variant budget keeps random cursors and queries from flooding the cache.
        """
        if request.method != "GET" or not settings.PODINDEX_PAGE_CACHE_SECONDS:
            return self.get_response(request)
        key = response_cache_key(request)
        cached = cache.get(key)
        if cached is not None:
            return cached
        response = self.get_response(request)
        if (
            response.status_code == 200
            and not response.streaming
            and (not request.GET or take_variant_slot(request))
        ):
            cache.set(key, response, settings.PODINDEX_PAGE_CACHE_SECONDS)
        return response

    @staticmethod
    def take(request) -> ratelimit.Quota | None:
        """The request's quota, counted; None if it carries a key we do not know."""
        try:
            return ratelimit.take(request)
        except ratelimit.UnknownKey:
            return None

    @staticmethod
    def conditional(request, response):
        """ETag from the body, Last-Modified as the endpoint set it, 304 when they match."""
        patch_cache_control(response, public=True, max_age=MAX_AGE)
        if response.streaming:
            return response
        set_response_etag(response)
        last_modified = response.get("Last-Modified")
        return get_conditional_response(
            request,
            etag=response["ETag"],
            last_modified=parse_http_date_safe(last_modified) if last_modified else None,
            response=response,
        )


def response_cache_key(request) -> str:
    """The cache key of an API GET: its path and query (in a canonical order), this content."""
    query = sorted((name, value) for name in request.GET for value in request.GET.getlist(name))
    digest = hashlib.sha256(f"{request.path}?{query!r}".encode()).hexdigest()
    return f"podindex:api:{content_version()}:{digest}"


class ApiGZipMiddleware(GZipMiddleware):
    """gzip for the API's responses only.

    Their bodies hold no secret (no CSRF token, no session, never an API key), so compression
    cannot leak one to an attacker who measures sizes (BREACH); the pages and the desk, whose
    forms carry tokens, are left as they are.
    """

    def process_response(self, request, response):
        if not request.path.startswith(PREFIX):
            return response
        return super().process_response(request, response)
