"""Opaque, signed cursors: a client pages on with the cursor it was given, and cannot forge one.

Two kinds: an offset (short lists, where OFFSET reads a few rows) and a keyset, the sort keys of
the last row served (long lists, where an OFFSET would read every row before the page).
"""

from django.core import signing

# Deeper than this is a crawler walking off the end of a list, not a reader.
MAX_OFFSET = 100_000


class BadCursor(ValueError):
    """A cursor we did not issue for this list (tampered, truncated or from another list)."""


def encode(list_key: str, position) -> str:
    """The cursor of the page after `position` (an offset or a row's keys) in list `list_key`."""
    return signing.dumps(position, salt=f"api.cursor:{list_key}")


def _loads(list_key: str, cursor: str):
    try:
        return signing.loads(cursor, salt=f"api.cursor:{list_key}")
    except signing.BadSignature as exc:
        raise BadCursor("This cursor was not issued for this list.") from exc


def decode(list_key: str, cursor: str | None) -> int:
    """The offset a cursor stands for (0 without one); BadCursor if it is not ours."""
    if not cursor:
        return 0
    offset = _loads(list_key, cursor)
    if not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise BadCursor("This cursor was not issued for this list.")
    return offset


def page(rows, list_key: str, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of an ordered queryset (or list) and the cursor of the next (None at the end).

    One row more than the page is fetched to know whether another page follows: no COUNT.
    """
    offset = decode(list_key, cursor)
    rows = list(rows[offset : offset + limit + 1])
    more = len(rows) > limit and offset + limit <= MAX_OFFSET
    return rows[:limit], encode(list_key, offset + limit) if more else None


def keyset_page(
    queryset, list_key: str, cursor: str | None, limit: int, keys_of, after
) -> tuple[list, str | None]:
    """One page of an ordered queryset that starts after the row the cursor names.

    `keys_of(row)` gives a row's sort keys (JSON values), `after(keys)` the filter of the rows
    that follow it in the queryset's order: the database seeks on its index, however deep.
    """
    if cursor:
        keys = _loads(list_key, cursor)
        try:
            queryset = queryset.filter(after(keys))
        except (TypeError, ValueError, IndexError) as exc:
            raise BadCursor("This cursor was not issued for this list.") from exc
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    return rows[:limit], encode(list_key, keys_of(rows[limit - 1])) if more else None
