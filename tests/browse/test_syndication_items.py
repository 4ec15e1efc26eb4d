"""Feed items are built once per set of values: after a scoring burst only changed ones are
built again, and a cached item is byte for byte what building it gives."""

import pytest

from browse import syndication
from episodes.models import Episode
from scoring.models import Scorecard
from shows.models import Show
from tests.factories import ShowFactory, scored_episode

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(monkeypatch, settings):
    """Titles of the items built (not taken from the cache), request by request."""
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0  # the item cache, not the page cache
    titles = []
    original = syndication.PodcastRssFeed._item_xml

    def counting(self, item):
        titles.append(item["title"])
        return original(self, item)

    monkeypatch.setattr(syndication.PodcastRssFeed, "_item_xml", counting)
    return titles


@pytest.fixture
def show():
    show = ShowFactory(title="Revenue Room", slug="revenue-room")
    for n in range(3):
        scored_episode(show=show, title=f"Episode {n}", total=60 + n)
    return show


def test_it_builds_each_item_once_and_serves_the_same_bytes_from_the_cache(client, show, built):
    first = client.get("/rss/").content
    assert sorted(built) == ["Episode 0", "Episode 1", "Episode 2"]

    second = client.get("/rss/").content

    assert second == first
    assert len(built) == 3  # nothing built the second time


def test_it_builds_again_only_the_item_whose_values_changed(client, show, built):
    client.get("/rss/")
    built.clear()
    Episode.objects.filter(show=show, title="Episode 1").update(title="Episode 1, revised")

    body = client.get("/rss/").content.decode()

    assert built == ["Episode 1, revised"]
    assert "Episode 1, revised" in body


def test_it_builds_again_the_items_of_a_renamed_show_and_a_new_summary(client, show, built):
    client.get("/rss/")
    built.clear()
    Scorecard.objects.filter(episode__title="Episode 0").update(summary="A sharper summary.")
    Show.objects.filter(pk=show.pk).update(title="Revenue Room Weekly")

    body = client.get("/rss/").content.decode()

    assert sorted(built) == ["Episode 0", "Episode 1", "Episode 2"]
    assert "A sharper summary." in body and "Revenue Room Weekly" in body


def test_it_keeps_the_feed_date_of_its_newest_item_when_every_item_is_cached(client, show, built):
    first = client.get("/rss/").content.decode()
    second = client.get("/rss/").content.decode()

    def build_date(body):
        return body.split("<lastBuildDate>")[1].split("</lastBuildDate>")[0]

    assert build_date(second) == build_date(first)


def test_it_lists_a_feed_in_two_queries_however_many_items(
    client, show, django_assert_max_num_queries
):
    for n in range(20):
        scored_episode(show=show, title=f"More {n}", total=50)

    with django_assert_max_num_queries(2):
        client.get(show.get_absolute_url() + "rss/")


def test_it_reads_an_unchanged_feeds_items_as_one_cache_entry(client, show, built, monkeypatch):
    first = client.get("/rss/").content
    keyed = []
    original = syndication.item_key
    monkeypatch.setattr(syndication, "item_key", lambda e: keyed.append(e.pk) or original(e))

    second = client.get("/rss/").content

    assert second == first
    assert keyed == []  # no item looked up on its own
