"""Query parameters and paging links, as every endpoint reads and writes them."""

from django.http import HttpResponse
from django.utils.http import http_date, urlencode

from core.absolute import absolute_url

MAX_LIMIT = 100


class BadParameter(ValueError):
    """A query parameter the endpoint does not know, or a value it cannot use."""


def only_params(request, *allowed: str) -> None:
    """Refuse parameters the endpoint does not read: a typo should not pass for a filter."""
    unknown = sorted(set(request.GET) - set(allowed))
    if unknown:
        raise BadParameter(f"Unknown parameter: {', '.join(unknown)}.")


def limited(limit: int, most: int = MAX_LIMIT) -> int:
    """A page size within bounds: large requests are capped, not refused."""
    return min(limit, most)


def next_url(request, next_cursor: str | None) -> str | None:
    """The absolute URL of the next page: the same query with the next cursor."""
    if next_cursor is None:
        return None
    query = {k: v for k, v in request.GET.items() if k != "cursor"} | {"cursor": next_cursor}
    return absolute_url(f"{request.path}?{urlencode(query)}")


def paged(request, items: list, next_cursor: str | None, **extra) -> dict:
    """A page of a list: its items, and the cursor and URL of the next page (None at the end)."""
    return {
        **extra,
        "items": items,
        "next_cursor": next_cursor,
        "next": next_url(request, next_cursor),
    }


def set_last_modified(response: HttpResponse, *moments) -> None:
    """Last-Modified from the newest of the given datetimes (those that are set)."""
    known = [m for m in moments if m is not None]
    if known:
        response["Last-Modified"] = http_date(max(known).timestamp())
