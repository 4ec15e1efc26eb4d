import hashlib
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core import http
from episodes import ingest
from episodes.ingest import store_feed
from episodes.models import Episode
from shows.ingest import schedule as scheduling
from shows.ingest.dispatch import claim_due_shows
from shows.ingest.fetch import FetchedFeed
from shows.ingest.parse import parse_feed
from shows.models import FeedFetch, Show
from tests.factories import CategoryFactory, ShowFactory
from tests.factories.feeds import item, rss

pytestmark = pytest.mark.django_db

ETAG = '"abc123"'


def serve_feed(server, items, path="/feed.xml", **kwargs):
    channel = kwargs.pop("channel", {})
    return server.serve(path, rss(items, **channel), **kwargs)


def test_it_adds_a_show_and_ingests_its_episodes(feed_server):
    finance = CategoryFactory(slug="finance", name="Finance")
    url = serve_feed(feed_server, [item(1), item(2), item(3)], channel={"title": "CFO Talk"})

    show, fetch = ingest.add_show(url, [finance])

    show.refresh_from_db()
    assert fetch.status == Show.FetchStatus.OK
    assert fetch.new_count == 3
    assert show.title == "CFO Talk"
    assert show.slug == "cfo-talk"
    assert show.author == "Jane Host"
    assert show.artwork_url == "https://show.example.com/art.jpg"
    assert show.feed_categories == ["Business", "Marketing"]
    assert list(show.categories.all()) == [finance]
    assert show.episode_count == 3
    assert show.latest_episode_at == item(1)["published"]
    episodes = list(show.episodes.order_by("-published_at"))
    assert [e.guid for e in episodes] == ["ep-1", "ep-2", "ep-3"]
    assert episodes[0].slug == "episode-1"
    assert episodes[0].duration_seconds == 42 * 60 + 10
    assert episodes[0].audio_size == 1234567
    assert episodes[0].notes_html == "<p>Notes for episode 1.</p>"


def test_it_repolls_an_unchanged_feed_with_one_conditional_request_and_no_writes(feed_server):
    url = serve_feed(feed_server, [item(1), item(2)], etag=ETAG)
    show, _ = ingest.add_show(url)
    before = dict(Episode.objects.values_list("guid", "updated_at"))

    fetch = ingest.poll(Show.objects.get(pk=show.pk))

    assert fetch.status == Show.FetchStatus.NOT_MODIFIED
    assert fetch.http_status == 304
    assert len(feed_server.hits("/feed.xml")) == 2
    assert feed_server.hits("/feed.xml")[1]["headers"]["If-None-Match"] == ETAG
    assert dict(Episode.objects.values_list("guid", "updated_at")) == before


def test_it_skips_parsing_when_the_body_hash_is_unchanged(
    feed_server, django_assert_max_num_queries
):
    url = serve_feed(feed_server, [item(n) for n in range(1, 40)])
    show, _ = ingest.add_show(url)
    show = Show.objects.get(pk=show.pk)
    before = dict(Episode.objects.values_list("guid", "updated_at"))

    # No per-episode work at all: only the show's bookkeeping and the fetch log.
    with django_assert_max_num_queries(8):
        fetch = ingest.poll(show)

    assert fetch.status == Show.FetchStatus.NOT_MODIFIED
    assert fetch.http_status == 200
    assert dict(Episode.objects.values_list("guid", "updated_at")) == before


def test_it_writes_only_the_new_episode_when_one_is_added(feed_server):
    items = [item(n) for n in range(1, 6)]
    url = serve_feed(feed_server, items)
    show, _ = ingest.add_show(url)
    before = dict(Episode.objects.values_list("guid", "updated_at"))

    serve_feed(feed_server, [item(0), *items])
    fetch = ingest.poll(Show.objects.get(pk=show.pk))

    assert (fetch.new_count, fetch.updated_count) == (1, 0)
    after = dict(Episode.objects.values_list("guid", "updated_at"))
    assert {guid for guid in after if after[guid] != before.get(guid)} == {"ep-0"}
    assert Show.objects.get(pk=show.pk).episode_count == 6


def test_it_updates_changed_episodes_and_keeps_their_slugs(feed_server):
    url = serve_feed(feed_server, [item(1), item(2)])
    show, _ = ingest.add_show(url)

    serve_feed(feed_server, [item(1, title="Episode 1 (re-edited)"), item(2)])
    fetch = ingest.poll(Show.objects.get(pk=show.pk))

    assert (fetch.new_count, fetch.updated_count) == (0, 1)
    episode = Episode.objects.get(guid="ep-1")
    assert episode.title == "Episode 1 (re-edited)"
    assert episode.slug == "episode-1"


def test_it_marks_episodes_that_left_the_feed_and_never_deletes_them(feed_server):
    url = serve_feed(feed_server, [item(1), item(2), item(3)])
    show, _ = ingest.add_show(url)

    serve_feed(feed_server, [item(1)])
    ingest.poll(Show.objects.get(pk=show.pk))

    assert Episode.objects.count() == 3
    assert set(Episode.objects.filter(in_feed=False).values_list("guid", flat=True)) == {
        "ep-2",
        "ep-3",
    }
    serve_feed(feed_server, [item(1), item(2)])
    ingest.poll(Show.objects.get(pk=show.pk))
    assert Episode.objects.get(guid="ep-2").in_feed


def test_it_keeps_one_episode_per_duplicate_guid_and_says_so(feed_server):
    url = serve_feed(feed_server, [item(1), item(2, guid="ep-1", title="Copy"), item(3)])
    _show, fetch = ingest.add_show(url)

    assert sorted(Episode.objects.values_list("guid", flat=True)) == ["ep-1", "ep-3"]
    assert Episode.objects.get(guid="ep-1").title == "Episode 1"
    assert "1 repeated GUID" in fetch.error


def test_it_gives_same_titled_episodes_distinct_slugs(feed_server):
    url = serve_feed(feed_server, [item(1, title="Weekly Update"), item(2, title="Weekly Update")])
    ingest.add_show(url)
    assert sorted(Episode.objects.values_list("slug", flat=True)) == [
        "weekly-update",
        "weekly-update-2",
    ]


def test_it_never_gives_an_episode_the_slug_of_the_shows_feed(feed_server, client):
    url = serve_feed(feed_server, [item(1, title="RSS")])
    ingest.add_show(url)
    episode = Episode.objects.select_related("show").get()
    show = episode.show
    assert episode.slug == "rss-2"
    assert client.get(episode.get_absolute_url()).status_code == 200
    feed = client.get(f"/shows/{show.slug}/rss/")
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("application/rss")


def test_it_identifies_items_without_guid_by_enclosure_and_skips_ones_without_audio(
    feed_server,
):
    url = serve_feed(
        feed_server,
        [item(1, guid=None), item(2, audio=None), item(3, audio_type="video/mp4")],
    )
    show, fetch = ingest.add_show(url)

    assert list(Episode.objects.values_list("guid", flat=True)) == [item(1)["audio"]]
    assert "2 item(s) without audio" in fetch.error
    # The same feed again does not duplicate the GUID-less episode.
    serve_feed(feed_server, [item(1, guid=None, title="Renamed")])
    ingest.poll(Show.objects.get(pk=show.pk))
    assert Episode.objects.count() == 1


def test_it_clamps_future_dates_to_first_seen(feed_server):
    future = timezone.now() + timedelta(days=400)
    url = serve_feed(feed_server, [item(1, published=future), item(2, published="not a date")])
    before = timezone.now()
    show, _ = ingest.add_show(url)

    first_seen = Episode.objects.get(guid="ep-1").published_at
    assert before <= first_seen <= timezone.now()
    assert Episode.objects.get(guid="ep-2").published_at is None
    # Re-polling a changed copy keeps the first-seen date rather than moving it.
    serve_feed(feed_server, [item(1, published=future, title="Changed"), item(2)])
    ingest.poll(Show.objects.get(pk=show.pk))
    assert Episode.objects.get(guid="ep-1").published_at == first_seen


@pytest.mark.parametrize(
    ("status", "fetch_status"),
    [
        (404, Show.FetchStatus.HTTP_ERROR),
        (500, Show.FetchStatus.HTTP_ERROR),
        (429, Show.FetchStatus.HTTP_ERROR),
    ],
)
def test_it_records_http_errors_and_backs_off(feed_server, status, fetch_status):
    url = feed_server.serve("/feed.xml", b"error page", status=status)
    show = ShowFactory(feed_url=url)

    fetch = ingest.poll(show)

    show.refresh_from_db()
    assert fetch.status == fetch_status
    assert fetch.http_status == status
    assert str(status) in fetch.error
    assert show.last_error == fetch.error
    assert show.consecutive_failures == 1
    assert show.active
    assert show.poll_interval == scheduling.poll_interval([], timezone.now(), failures=1)


def test_it_honours_retry_after_on_429(feed_server):
    url = feed_server.serve("/feed.xml", b"slow down", status=429, headers={"Retry-After": "7200"})
    show = ShowFactory(feed_url=url)
    ingest.poll(show)
    show.refresh_from_db()
    assert show.poll_interval >= timedelta(seconds=7200)


def test_it_stops_polling_a_gone_feed(feed_server):
    url = feed_server.serve("/feed.xml", b"gone", status=410)
    show = ShowFactory(feed_url=url)

    fetch = ingest.poll(show)

    show.refresh_from_db()
    assert fetch.status == Show.FetchStatus.GONE
    assert not show.active
    assert "410" in show.inactive_reason


def test_it_deactivates_a_show_after_repeated_failures_with_the_reason(feed_server):
    url = feed_server.serve("/feed.xml", b"oops", status=500)
    show = ShowFactory(feed_url=url, consecutive_failures=scheduling.MAX_FAILURES - 1)

    ingest.poll(show)

    show.refresh_from_db()
    assert not show.active
    assert f"after {scheduling.MAX_FAILURES} failed fetches" in show.inactive_reason
    assert "HTTP 500" in show.inactive_reason


def test_it_resets_failures_after_a_good_fetch(feed_server):
    url = serve_feed(feed_server, [item(1)])
    show = ShowFactory(feed_url=url, consecutive_failures=4)
    ingest.poll(show)
    show.refresh_from_db()
    assert show.consecutive_failures == 0
    assert show.last_fetch_status == Show.FetchStatus.OK


def test_it_follows_a_permanent_redirect_by_updating_the_feed_url(feed_server):
    new_url = serve_feed(feed_server, [item(1)], path="/new.xml")
    old_url = feed_server.serve("/old.xml", status=301, headers={"Location": "/new.xml"})
    show = ShowFactory(feed_url=old_url)

    fetch = ingest.poll(show)

    show.refresh_from_db()
    assert show.feed_url == new_url
    assert fetch.status == Show.FetchStatus.MOVED
    assert show.episodes.count() == 1


def test_it_keeps_the_feed_url_on_a_temporary_redirect(feed_server):
    serve_feed(feed_server, [item(1)], path="/new.xml")
    old_url = feed_server.serve("/old.xml", status=302, headers={"Location": "/new.xml"})
    show = ShowFactory(feed_url=old_url)
    ingest.poll(show)
    show.refresh_from_db()
    assert show.feed_url == old_url


def test_it_follows_itunes_new_feed_url(feed_server):
    new_url = feed_server.url("/moved.xml")
    url = serve_feed(feed_server, [item(1)], channel={"new_feed_url": new_url})
    show = ShowFactory(feed_url=url)
    ingest.poll(show)
    show.refresh_from_db()
    assert show.feed_url == new_url
    assert show.episodes.count() == 1


def test_it_links_a_feed_that_moved_onto_another_show_instead_of_duplicating(feed_server):
    target = serve_feed(feed_server, [item(1)], path="/canonical.xml")
    original = ShowFactory(feed_url=target)
    url = serve_feed(feed_server, [item(1)], channel={"new_feed_url": target})
    duplicate = ShowFactory(feed_url=url)

    fetch = ingest.poll(duplicate)

    duplicate.refresh_from_db()
    assert fetch.status == Show.FetchStatus.DUPLICATE
    assert duplicate.canonical == original
    assert not duplicate.active
    assert duplicate.episodes.count() == 0
    assert original.feed_url in duplicate.inactive_reason


def test_it_reuses_the_show_when_adding_a_url_twice(feed_server):
    url = serve_feed(feed_server, [item(1)])
    first, _ = ingest.add_show(url)
    second, _ = ingest.add_show(url)
    assert first.pk == second.pk
    assert Show.objects.count() == 1


def test_it_stops_polling_a_complete_feed_but_keeps_its_episodes(feed_server):
    url = serve_feed(feed_server, [item(1), item(2)], channel={"complete": True})
    show, _ = ingest.add_show(url)
    show.refresh_from_db()
    assert show.complete
    assert not show.active
    assert "complete" in show.inactive_reason
    assert show.episodes.count() == 2


def test_it_logs_every_fetch_and_prunes_old_entries(feed_server, monkeypatch):
    monkeypatch.setattr("shows.ingest.store.FETCH_LOG_KEEP", 3)
    url = serve_feed(feed_server, [item(1)], etag=ETAG)
    show, _ = ingest.add_show(url)
    for _ in range(4):
        ingest.poll(Show.objects.get(pk=show.pk))
    # An unchanged poll leaves pruning to the batch it ran in (one statement per batch).
    assert FeedFetch.objects.filter(show=show).count() == 5
    ingest.poll_many([show.pk])
    fetches = list(FeedFetch.objects.filter(show=show))
    assert len(fetches) == 3
    assert {f.status for f in fetches} == {Show.FetchStatus.NOT_MODIFIED}
    assert all(f.url == url for f in fetches)


def log_fetches(show, minutes_ago) -> None:
    now = timezone.now()
    FeedFetch.objects.bulk_create(
        FeedFetch(show=show, url=show.feed_url, started_at=now - timedelta(minutes=m), status="ok")
        for m in minutes_ago
    )


def test_it_prunes_each_shows_log_to_its_newest_entries(monkeypatch):
    from shows.ingest.store import prune_fetch_log

    monkeypatch.setattr("shows.ingest.store.FETCH_LOG_KEEP", 3)
    busy, quiet, other = ShowFactory(), ShowFactory(), ShowFactory()
    log_fetches(busy, range(10))
    log_fetches(quiet, [5, 1])
    log_fetches(other, range(6))

    assert prune_fetch_log([busy.pk, quiet.pk]) == 7

    newest = timezone.now() - timedelta(minutes=2, seconds=30)
    assert all(f.started_at > newest for f in FeedFetch.objects.filter(show=busy))
    assert FeedFetch.objects.filter(show=busy).count() == 3
    assert FeedFetch.objects.filter(show=quiet).count() == 2
    assert FeedFetch.objects.filter(show=other).count() == 6  # not in the batch


@pytest.mark.skipif(connection.vendor != "postgresql", reason="other databases rank in Python")
def test_it_prunes_a_batchs_logs_in_one_statement(monkeypatch, django_assert_num_queries):
    from shows.ingest.store import prune_fetch_log

    monkeypatch.setattr("shows.ingest.store.FETCH_LOG_KEEP", 3)
    shows = ShowFactory.create_batch(3)
    for show in shows:
        log_fetches(show, range(5))

    with django_assert_num_queries(1):
        assert prune_fetch_log([show.pk for show in shows]) == 6


def test_it_schedules_the_next_poll_from_the_release_rhythm(feed_server):
    now = timezone.now()
    daily = [item(n, published=now - timedelta(days=n)) for n in range(1, 8)]
    url = serve_feed(feed_server, daily)
    show, _ = ingest.add_show(url)
    show.refresh_from_db()
    # A daily show: polled ten times per day's gap.
    assert timedelta(hours=2.3) < show.poll_interval < timedelta(hours=2.5)
    assert show.next_poll_at - show.last_fetched_at == show.poll_interval


def test_it_claims_due_shows_once(feed_server):
    due = ShowFactory(next_poll_at=timezone.now() - timedelta(minutes=1))
    ShowFactory(next_poll_at=timezone.now() + timedelta(hours=1))
    ShowFactory(next_poll_at=timezone.now() - timedelta(minutes=1), active=False)

    assert claim_due_shows(limit=10) == [due.pk]
    assert claim_due_shows(limit=10) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_polls_of_one_feed_do_not_duplicate_episodes(feed_server):
    url = serve_feed(feed_server, [item(n) for n in range(1, 31)])
    show = ShowFactory(feed_url=url)
    errors = []

    def poll():
        try:
            ingest.poll(Show.objects.get(pk=show.pk), force=True)
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # PostgreSQL queues the polls on the show's row lock; SQLite's shared-cache test database
    # refuses a concurrent writer outright, and which writer it lets through, if any, is luck
    # (now and then it refuses all four). Either way no episode is ever written twice.
    stored = Episode.objects.filter(show=show).count()
    if connection.vendor == "postgresql":
        assert errors == []
        assert FeedFetch.objects.filter(show=show).count() == 4
        assert stored == 30
    else:
        assert all("locked" in str(exc) for exc in errors)
        assert stored in (0, 30)
    assert sum(FeedFetch.objects.filter(show=show).values_list("new_count", flat=True)) == stored


def test_a_poll_that_lost_the_race_stores_nothing_twice(feed_server):
    url = serve_feed(feed_server, [item(1), item(2)])
    show = ShowFactory(feed_url=url)
    stale = Show.objects.get(pk=show.pk)
    # The slow poll fetched and parsed the feed; meanwhile a quick one stored it.
    result = http.fetch(url)
    feed = parse_feed(result.body)
    ingest.poll(Show.objects.get(pk=show.pk))

    body_hash = hashlib.sha256(result.body).hexdigest()
    fetched = FetchedFeed(result, body_hash)
    fetch = store_feed(stale, fetched, feed, timezone.now(), lambda: 0, force=False)

    assert fetch.status == Show.FetchStatus.NOT_MODIFIED
    assert Episode.objects.filter(show=show).count() == 2
    forced = store_feed(stale, fetched, feed, timezone.now(), lambda: 0, force=True)
    assert (forced.new_count, forced.updated_count) == (0, 0)
    assert Episode.objects.filter(show=show).count() == 2
