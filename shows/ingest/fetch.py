"""Fetching a show's feed over the HTTP seam, with conditional GET, and naming each failure."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from core import http
from shows.models import Show

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
# Each error the HTTP seam raises, as the status a FeedFetch records (most specific first).
STATUS_BY_ERROR = (
    (http.Gone, Show.FetchStatus.GONE),
    (http.HTTPStatusError, Show.FetchStatus.HTTP_ERROR),
    (http.TooManyRedirects, Show.FetchStatus.HTTP_ERROR),
    (http.BlockedURL, Show.FetchStatus.BLOCKED),
    (http.TooLarge, Show.FetchStatus.TOO_LARGE),
    (http.NetworkError, Show.FetchStatus.NETWORK_ERROR),
)


class FeedFetchFailed(Exception):
    """A fetch that produced no feed body, with the status, HTTP code and back-off it implies."""

    def __init__(self, error: http.FetchError):
        super().__init__(str(error))
        self.status = status_for(error)
        self.http_status = error.http_status
        retry_after = getattr(error, "retry_after", None)
        self.retry_after = timedelta(seconds=retry_after) if retry_after else None


@dataclass
class FetchedFeed:
    """A fetched feed: the HTTP result and the hash of its body ("" for a 304)."""

    result: http.FetchResult
    body_hash: str

    def unchanged_since(self, show: Show) -> bool:
        """True for a 304 or for the very bytes the show already stored."""
        return self.result.not_modified or self.body_hash == show.body_hash


def status_for(error: http.FetchError) -> str:
    """The Show.FetchStatus a fetch error records."""
    for error_class, status in STATUS_BY_ERROR:
        if isinstance(error, error_class):
            return status
    return Show.FetchStatus.NETWORK_ERROR


def fetch_feed(show: Show, *, force: bool = False) -> FetchedFeed:
    """GET the show's feed, conditional on its validators unless forced."""
    try:
        result = http.fetch(
            show.feed_url,
            max_bytes=settings.PODINDEX_FEED_MAX_BYTES,
            etag="" if force else show.etag,
            last_modified="" if force else show.last_modified,
            accept=FEED_ACCEPT,
        )
    except http.FetchError as exc:
        raise FeedFetchFailed(exc) from exc
    body_hash = "" if result.not_modified else hashlib.sha256(result.body).hexdigest()
    return FetchedFeed(result, body_hash)
