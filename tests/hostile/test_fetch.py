"""Item 5 of issue 11 (the fetch deadline) and the SSRF spellings that held up.

Before: a server sending one header line (or one body byte) at a time kept every read under
the read timeout: 40 header lines at 0.25 s held a fetch with a 1.5 s deadline for 10.2 s, 400
body bytes at 0.05 s for 20.4 s. After: both end at the deadline (1.5 s).
"""

import time

import pytest

from core import http
from episodes import ingest
from shows.models import Show
from tests.factories import ShowFactory
from tests.factories.http import Route
from tests.hostile.conftest import drip_body, drip_headers

TIMEOUT = 0.5
DEADLINE = TIMEOUT * http.DEADLINE_FACTOR
# Scheduling slack on a busy machine: the fetch must end near the deadline, not at the
# server's pace (the drips below last 10 and 20 seconds).
SLACK = 2.0


@pytest.mark.parametrize(
    ("handler", "total"),
    [(drip_headers(lines=40, interval=0.25), 40), (drip_body(size=400, interval=0.05), 400)],
    ids=["headers", "body"],
)
def test_a_slow_drip_server_is_cut_off_at_the_deadline(server, handler, total):
    server.routes["/drip.xml"] = Route(handler=handler)
    started = time.monotonic()

    with pytest.raises(http.NetworkError, match="deadline"):
        http.fetch(server.url("/drip.xml"), timeout=TIMEOUT)

    assert time.monotonic() - started < DEADLINE + SLACK
    assert server.dripped < total


@pytest.mark.django_db
def test_a_poll_of_a_slow_drip_feed_is_recorded_as_a_network_error(server, settings):
    settings.PODINDEX_FETCH_TIMEOUT = TIMEOUT
    server.routes["/drip.xml"] = Route(handler=drip_headers(lines=40, interval=0.25))
    show = ShowFactory(feed_url=server.url("/drip.xml"))

    fetch = ingest.poll(show)

    assert fetch.status == Show.FetchStatus.NETWORK_ERROR
    assert "deadline" in fetch.error
    assert fetch.duration_ms < (DEADLINE + SLACK) * 1000


def test_a_normal_fetch_is_unaffected(server):
    url = server.serve("/feed.xml", b"<rss/>" * 10_000)
    assert http.fetch(url, timeout=TIMEOUT).body == b"<rss/>" * 10_000


# Spellings of this machine's loopback address, each pointing at the real server's port: none
# may reach it while private addresses are refused.
LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "127.0.1",
    "2130706433",
    "0x7f000001",
    "0x7f.0x0.0x0.0x1",
    "017700000001",
    "0177.0.0.01",
    "0177.0000.0000.0001",
    "127.000.000.001",
    "127.0.0.2",
    "127.255.255.254",
    "localhost",
    "LOCALHOST",
    "localhost.",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:127.0.0.1]",
    "[::127.0.0.1]",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::]",
    "0.0.0.0",
    "0",
    "[::]",
    "[::ffff:0.0.0.0]",
    "127.0.0.1.",
    "%31%32%37.0.0.1",
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_no_spelling_of_loopback_reaches_a_local_server(server, settings, host):
    port = server.base_url.rsplit(":", 1)[1]
    server.serve("/feed.xml", b"<rss/>")
    settings.PODINDEX_ALLOW_PRIVATE_URLS = False

    with pytest.raises(http.FetchError):
        http.fetch(f"http://{host}:{port}/feed.xml", timeout=2)

    assert server.requests == []
