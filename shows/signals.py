"""What the shows app announces to the apps above it (they listen; shows imports none of them).

`feed_items_received` is sent inside the poll's transaction, with the show's row locked, so
listeners store the items atomically with the show. A listener returns an `ItemChanges`.
"""

from dataclasses import dataclass

from django.dispatch import Signal

# sender=Show, show=Show, items=list[shows.ingest.parse.Item], now=datetime
feed_items_received = Signal()

# sender=Show, show=Show (now a duplicate), canonical=Show (the one kept), reason=str.
# Sent when a poll finds that a show's feed is another show's (a redirect, the same GUID):
# the desk logs it beside the editors' own merges.
show_merged = Signal()


@dataclass
class ItemChanges:
    """What storing a feed's items changed: the FeedFetch records these counts."""

    new: int = 0
    updated: int = 0
    left_feed: int = 0


def store_items(show, items, now) -> ItemChanges:
    """Hand a feed's items to the listeners and add up what they changed."""
    total = ItemChanges()
    for _receiver, changes in feed_items_received.send(
        sender=type(show), show=show, items=items, now=now
    ):
        if isinstance(changes, ItemChanges):
            total.new += changes.new
            total.updated += changes.updated
            total.left_feed += changes.left_feed
    return total
