"""Every kind of bad feed gets a recorded status and a clear message, never a crash."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import http
from episodes import ingest
from episodes.models import Episode
from episodes.poll_tasks import poll_due_shows
from shows.ingest.fetch import status_for
from shows.models import Show
from tests.factories import ShowFactory
from tests.factories.feeds import item, rss
from tests.factories.http import stream_endless

pytestmark = pytest.mark.django_db

TRANSCRIPTS = [
    {"url": "https://cdn.example.com/t.json", "type": "application/json"},
    {"url": "https://cdn.example.com/t.vtt", "type": "text/vtt", "language": "en"},
]


def poll_body(server, body, **kwargs):
    show = ShowFactory(feed_url=server.serve("/feed.xml", body, **kwargs), title="")
    fetch = ingest.poll(show)
    show.refresh_from_db()
    return show, fetch


def test_it_ingests_a_feed_with_an_undefined_entity(feed_server):
    body = rss([item(1, transcripts=TRANSCRIPTS), item(2)]).replace(
        "<title>Episode 2</title>", "<title>Episode 2 &gtgt; &nbsp;more</title>"
    )
    show, fetch = poll_body(feed_server, body)

    assert fetch.status == Show.FetchStatus.OK
    assert show.episodes.count() == 2
    # The namespace pass repaired the entity, so both transcripts survived.
    assert len(Episode.objects.get(guid="ep-1").transcript_links) == 2


def test_it_ingests_malformed_xml_as_far_as_feedparser_reads_it(feed_server):
    body = rss([item(1), item(2)]).replace("</item>", "", 1)
    show, fetch = poll_body(feed_server, body)
    assert fetch.status == Show.FetchStatus.OK
    assert show.episodes.count() >= 1


def test_it_reads_latin1_bytes_declared_as_utf8(feed_server):
    body = rss([item(1, title="Café Finanzas")], title="Señor CFO").encode("latin-1")
    show, fetch = poll_body(feed_server, body, content_type="application/rss+xml")
    assert fetch.status == Show.FetchStatus.OK
    assert show.title == "Señor CFO"
    assert Episode.objects.get().title == "Café Finanzas"


def test_it_reads_a_feed_without_encoding_declaration(feed_server):
    body = rss([item(1, title="Ünïcode")]).replace(' encoding="UTF-8"', "").encode("utf-8")
    _show, fetch = poll_body(feed_server, body, content_type="text/xml")
    assert fetch.status == Show.FetchStatus.OK
    assert Episode.objects.get().title == "Ünïcode"


def test_it_reads_utf16(feed_server):
    text = rss([item(1, transcripts=TRANSCRIPTS)], title="Wide Show").replace("UTF-8", "UTF-16")
    show, fetch = poll_body(feed_server, text.encode("utf-16"), content_type="text/xml")
    assert fetch.status == Show.FetchStatus.OK
    assert show.title == "Wide Show"
    assert len(Episode.objects.get().transcript_links) == 2


def test_it_reads_a_feed_with_whitespace_before_the_xml_declaration(feed_server):
    _show, fetch = poll_body(feed_server, "\n\n   " + rss([item(1, transcripts=TRANSCRIPTS)]))
    assert fetch.status == Show.FetchStatus.OK
    assert len(Episode.objects.get().transcript_links) == 2


def test_it_records_an_html_page_as_invalid(feed_server):
    page = "<!DOCTYPE html><html><head><title>Moved</title></head><body>Gone</body></html>"
    show, fetch = poll_body(feed_server, page, content_type="text/html")
    assert fetch.status == Show.FetchStatus.INVALID
    assert "HTML page, not a feed" in fetch.error
    assert show.last_error == fetch.error
    assert show.consecutive_failures == 1


def test_it_records_an_empty_body_as_invalid(feed_server):
    _show, fetch = poll_body(feed_server, b"")
    assert fetch.status == Show.FetchStatus.INVALID
    assert "empty" in fetch.error


def test_it_refuses_entity_expansion(feed_server):
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
            for n in range(1, 10)
        )
        + ']>\n<rss version="2.0"><channel><title>&lol9;</title>'
        '<item><title>x</title><enclosure url="https://a.example/x.mp3" type="audio/mpeg"/>'
        "</item></channel></rss>"
    )
    show, fetch = poll_body(feed_server, laughs)
    assert fetch.status == Show.FetchStatus.INVALID
    assert "entities" in fetch.error
    assert show.episodes.count() == 0


def test_it_stops_a_50_mb_body_at_the_cap(feed_server):
    feed_server.serve("/feed.xml", handler=stream_endless())
    show = ShowFactory(feed_url=feed_server.url("/feed.xml"))
    fetch = ingest.poll(show)
    assert fetch.status == Show.FetchStatus.TOO_LARGE
    assert "limit" in fetch.error


def test_it_times_out_on_a_slow_server(feed_server, settings):
    settings.PODINDEX_FETCH_TIMEOUT = 0.5
    _show, fetch = poll_body(feed_server, rss([item(1)]), delay=3)
    assert fetch.status == Show.FetchStatus.NETWORK_ERROR
    assert "Timed out" in fetch.error


def test_it_records_a_redirect_loop(feed_server):
    feed_server.serve("/a.xml", status=302, headers={"Location": "/b.xml"})
    feed_server.serve("/b.xml", status=302, headers={"Location": "/a.xml"})
    show = ShowFactory(feed_url=feed_server.url("/a.xml"))
    fetch = ingest.poll(show)
    assert fetch.status == Show.FetchStatus.HTTP_ERROR
    assert "redirects" in fetch.error


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/feed.xml", "http://169.254.169.254/latest/meta-data/"]
)
def test_it_refuses_private_feed_urls_when_the_setting_is_off(settings, url):
    settings.PODINDEX_ALLOW_PRIVATE_URLS = False
    show = ShowFactory(feed_url=url)
    fetch = ingest.poll(show)
    show.refresh_from_db()
    assert fetch.status == Show.FetchStatus.BLOCKED
    assert "non-public address" in show.last_error


def test_it_strips_script_from_every_text_field(feed_server):
    evil = '<script>alert("x")</script><img src=x onerror="alert(1)">'
    body = rss(
        [
            item(
                1,
                title=f"Title {evil}",
                description=f'<p onclick="steal()">Notes</p>{evil}'
                '<a href="javascript:alert(1)">link</a>',
                link="javascript:alert(1)",
                transcripts=[{"url": "javascript:alert(1)", "type": "text/vtt"}, *TRANSCRIPTS],
                people=[{"name": "Eve &lt;script&gt;alert(1)&lt;/script&gt;"}],
                extra=[
                    '<itunes:image href="javascript:alert(1)"/>',
                    f"<content:encoded><![CDATA[<p>Body</p>{evil}]]></content:encoded>",
                    '<podcast:chapters url="javascript:alert(1)" type="application/json"/>',
                ],
            ),
            item(2, audio="javascript:alert(1)//x.mp3"),
        ],
        title=f"Show {evil}",
        author=f"Host {evil}",
        description=f"About {evil}",
        link="javascript:alert(1)",
        image="javascript:alert(1)",
    )
    show, fetch = poll_body(feed_server, body)

    assert fetch.status == Show.FetchStatus.OK
    episode = Episode.objects.get()
    stored = [
        show.title,
        show.author,
        show.description,
        show.website_url,
        show.artwork_url,
        episode.title,
        episode.notes_html,
        episode.link,
        episode.image_url,
        episode.chapters_url,
        str(episode.transcript_links),
        str(episode.people),
    ]
    for value in stored:
        lowered = value.lower()
        assert "<script" not in lowered
        assert "onerror" not in lowered
        assert "onclick" not in lowered
        assert "javascript:" not in lowered
    assert episode.title == "Title"
    assert episode.notes_html.startswith("<p>Body</p>")
    assert [link["url"] for link in episode.transcript_links] == [t["url"] for t in TRANSCRIPTS]
    assert episode.people[0]["name"] == "Eve"


def test_the_dispatcher_keeps_going_past_bad_feeds(feed_server, settings):
    past = timezone.now() - timedelta(minutes=5)
    good = ShowFactory(feed_url=feed_server.serve("/good.xml", rss([item(1)])), next_poll_at=past)
    html = ShowFactory(
        feed_url=feed_server.serve("/html.xml", "<html><body>no</body></html>"), next_poll_at=past
    )
    missing = ShowFactory(feed_url=feed_server.url("/missing.xml"), next_poll_at=past)

    assert poll_due_shows.delay().get() == 3

    statuses = dict(Show.objects.values_list("pk", "last_fetch_status"))
    assert statuses == {
        good.pk: Show.FetchStatus.OK,
        html.pk: Show.FetchStatus.INVALID,
        missing.pk: Show.FetchStatus.HTTP_ERROR,
    }
    assert good.episodes.count() == 1


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (http.HTTPStatusError("HTTP 404", http_status=404), Show.FetchStatus.HTTP_ERROR),
        (http.Gone("HTTP 410", http_status=410), Show.FetchStatus.GONE),
        (http.TooManyRedirects("loop"), Show.FetchStatus.HTTP_ERROR),
        (http.BlockedURL("private"), Show.FetchStatus.BLOCKED),
        (http.TooLarge("big"), Show.FetchStatus.TOO_LARGE),
        (http.NetworkError("timed out"), Show.FetchStatus.NETWORK_ERROR),
    ],
)
def test_it_records_each_fetch_error_as_its_own_status(error, status):
    assert status_for(error) == status
