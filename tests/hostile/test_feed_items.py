"""Items 4, 7 and 8 of issue 11 for feeds: what a feed stores is clean, one bad item or feed
never stops a batch, and relative URLs are resolved against the feed's URL."""

from datetime import timedelta

import feedparser
import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone

from core.text import XML_ILLEGAL
from episodes import ingest
from episodes.models import Episode
from shows.ingest import parse as feed_parse
from shows.ingest.parse import parse_feed
from shows.models import FeedFetch, Show
from tests.factories import ShowFactory
from tests.factories.feeds import item, rss
from tests.hostile import payloads

pytestmark = pytest.mark.django_db


def test_a_lone_surrogate_in_a_title_is_dropped_and_the_feed_parses():
    # Before: UnicodeEncodeError out of parse_feed (feedparser's loose parser).
    feed = parse_feed(payloads.feed_with_title("Bad &#xD800; title &#1; &#12;"))

    assert [i.title for i in feed.items] == ["Bad title"]


def test_control_characters_never_reach_a_stored_field(server):
    controls = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r")
    body = rss(
        [item(1, title=f"Ctl{controls} title", audio=f"https://cdn.example.com/a{controls}.mp3")],
        title=f"Show{controls}",
        author=f"Jane{controls}",
        image="https://cdn.example.com/art\x01.jpg",
    ).encode()
    show = ShowFactory(feed_url=server.serve("/feed.xml", body), title="")

    fetch = ingest.poll(show)

    show.refresh_from_db()
    episode = show.episodes.get()
    assert fetch.status == Show.FetchStatus.OK
    stored = [show.title, show.author, show.artwork_url, episode.title, episode.audio_url]
    assert stored[0] == "Show" and episode.title == "Ctl title"
    assert show.artwork_url == "https://cdn.example.com/art.jpg"
    assert not any(XML_ILLEGAL.search(value) for value in stored)


def test_one_bad_feed_never_stops_a_poll_batch(server, monkeypatch, capsys):
    past = timezone.now() - timedelta(minutes=5)
    shows = [
        ShowFactory(feed_url=server.serve(f"/f{n}.xml", rss([item(1)])), next_poll_at=past)
        for n in range(10)
    ]
    # One lone surrogate, one parser crash, one database refusal among ten.
    server.serve("/f2.xml", payloads.feed_with_title("&#xD800;"))
    server.serve("/f5.xml", rss([item(1, title="Crash the parser")]))
    server.serve("/f8.xml", rss([item(1, title="Refused by the database")]))
    real_parse, real_store = feedparser.parse, ingest.store_feed

    def crashing_parse(stream, **kwargs):
        if b"Crash the parser" in stream.getvalue():
            raise RecursionError("maximum recursion depth exceeded")
        return real_parse(stream, **kwargs)

    def refusing_store(show, fetched, feed, *args, **kwargs):
        if feed.items and feed.items[0].title == "Refused by the database":
            raise IntegrityError("value refused")
        return real_store(show, fetched, feed, *args, **kwargs)

    monkeypatch.setattr(feed_parse.feedparser, "parse", crashing_parse)
    monkeypatch.setattr(ingest, "store_feed", refusing_store)

    call_command("poll_feeds")

    assert FeedFetch.objects.count() == 10
    statuses = {s.pk: s.last_fetch_status for s in Show.objects.all()}
    assert [statuses[s.pk] for s in shows] == [
        Show.FetchStatus.OK if n not in (5, 8) else Show.FetchStatus.INVALID for n in range(10)
    ]
    crashed, refused = Show.objects.get(pk=shows[5].pk), Show.objects.get(pk=shows[8].pk)
    assert "Unparseable feed" in crashed.last_error and "RecursionError" in crashed.last_error
    assert "IntegrityError" in refused.last_error
    # Recorded failures back off: the next poll is the schedule's, not the 30-minute lease.
    assert crashed.consecutive_failures == refused.consecutive_failures == 1
    assert "Polled 10 shows in " in capsys.readouterr().out
    assert Episode.objects.filter(title="").count() == 0


def test_relative_and_protocol_relative_urls_are_resolved_against_the_feed(server):
    show = ShowFactory(feed_url=server.serve("/podcast/feed.xml", payloads.relative_urls_feed()))

    fetch = ingest.poll(show)

    show.refresh_from_db()
    assert fetch.status == Show.FetchStatus.OK
    assert show.artwork_url == "http://cdn.example.net/show.jpg"
    by_guid = {e.guid: e for e in show.episodes.all()}
    first, second = by_guid["ep-1"], by_guid["ep-2"]
    assert first.audio_url == "http://cdn.example.net/ep-1.mp3"
    assert first.image_url == server.url("/art/ep-1.png")
    assert first.transcript_links[0]["url"] == server.url("/podcast/transcripts/ep-1.vtt")
    assert second.audio_url == server.url("/media/ep-2.mp3")


def test_a_relative_url_without_a_feed_url_is_still_dropped():
    assert parse_feed(payloads.relative_urls_feed()).items == []
