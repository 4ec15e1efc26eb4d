"""Opaque, signed cursors: a client pages on with the cursor it was given, and cannot forge one."""

from django.core import signing

# Deeper than this is a crawler walking off the end of a list, not a reader.
MAX_OFFSET = 100_000


class BadCursor(ValueError):
    """A cursor we did not issue for this list (tampered, truncated or from another list)."""


def encode(list_key: str, offset: int) -> str:
    """The cursor of the page that starts at `offset` in the list named `list_key`."""
    return signing.dumps(offset, salt=f"api.cursor:{list_key}")


def decode(list_key: str, cursor: str | None) -> int:
    """The offset a cursor stands for (0 without one); BadCursor if it is not ours."""
    if not cursor:
        return 0
    try:
        offset = signing.loads(cursor, salt=f"api.cursor:{list_key}")
    except signing.BadSignature as exc:
        raise BadCursor("This cursor was not issued for this list.") from exc
    if not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise BadCursor("This cursor was not issued for this list.")
    return offset


def page(queryset, list_key: str, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of an ordered queryset and the cursor of the next (None at the end).

    One row more than the page is fetched to know whether another page follows: no COUNT.
    """
    offset = decode(list_key, cursor)
    rows = list(queryset[offset : offset + limit + 1])
    more = len(rows) > limit and offset + limit <= MAX_OFFSET
    return rows[:limit], encode(list_key, offset + limit) if more else None
