"""A feed keeps its newest PODINDEX_FEED_MAX_ITEMS items.

Before: no limit: a 14 MB feed of 150,000 items was parsed in 11.3 s at 395 MiB and every item
stored. After: the newest N (10,000 by default) are kept and the fetch log says how many were
not.
"""

from datetime import timedelta

import pytest

from episodes import ingest
from episodes.models import Episode
from shows.ingest.parse import parse_feed
from shows.models import Show
from tests.factories import ShowFactory
from tests.factories.feeds import BASE_DATE, item, rss


def dated(n: int, **overrides) -> dict:
    return item(n, published=BASE_DATE - timedelta(days=n), **overrides)


def test_it_keeps_the_newest_items_in_the_order_listed():
    # Listed oldest first, as some feeds are.
    body = rss([dated(n) for n in range(30, 0, -1)]).encode()

    feed = parse_feed(body, max_items=10)

    assert [i.guid for i in feed.items] == [f"ep-{n}" for n in range(10, 0, -1)]
    assert feed.skipped_over_limit == 20
    assert feed.warnings == [
        "Kept the newest 10 of 30 items (the limit per feed); 20 older ones were not stored."
    ]


def test_undated_items_go_first_and_equal_dates_keep_the_first_listed():
    undated = [item(n, published=None) for n in (100, 101)]
    same_day = [item(n, published=BASE_DATE) for n in (1, 2, 3)]

    feed = parse_feed(rss([undated[0], *same_day, undated[1]]).encode(), max_items=2)

    assert [i.guid for i in feed.items] == ["ep-1", "ep-2"]


def test_a_feed_within_the_limit_is_kept_whole():
    feed = parse_feed(rss([dated(n) for n in range(1, 11)]).encode(), max_items=10)

    assert len(feed.items) == 10
    assert feed.skipped_over_limit == 0
    assert feed.warnings == []


@pytest.mark.django_db
def test_a_poll_stores_only_the_newest_items_and_logs_the_cut(server, settings):
    settings.PODINDEX_FEED_MAX_ITEMS = 5
    show = ShowFactory(feed_url=server.serve("/many.xml", rss([dated(n) for n in range(1, 21)])))

    fetch = ingest.poll(show)

    assert fetch.status == Show.FetchStatus.OK
    assert fetch.new_count == 5
    stored = Episode.objects.filter(show=show).order_by("-published_at")
    assert [e.guid for e in stored] == [f"ep-{n}" for n in range(1, 6)]
    assert "Kept the newest 5 of 20 items" in fetch.error
