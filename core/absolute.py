"""Absolute URLs of our own pages, from SITE_URL: never from the request's Host header.

A response that took its host from the request could be cached (by us or by a proxy) with
another visitor's `Host: evil.example` in its links; SITE_URL is configuration.
"""

from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(url: str) -> str:
    """`url` on our site made absolute ("/shows/x/" → "https://site/shows/x/").

    Absolute http(s) URLs are returned as they are; protocol-relative ones get SITE_URL's
    scheme.
    """
    if not url:
        return ""
    if url.startswith("//"):
        return f"{urlsplit(settings.SITE_URL).scheme or 'https'}:{url}"
    if urlsplit(url).scheme in ("http", "https"):
        return url
    return settings.SITE_URL.rstrip("/") + "/" + url.lstrip("/")
