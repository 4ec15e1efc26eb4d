"""Compressed bodies, and bodies that come too slowly.

Before: httpx inflated every layer named in Content-Encoding, each chunk whole, before the cap
was checked: 1,827 bytes sent as "gzip, gzip" took a fetch to 2,198 MiB. Here a 200 MB gzip
bomb under a 1 MB cap held 64x the cap at once. After: layered codings are refused, one coding
is inflated a bounded piece at a time, and what a fetch holds stays within about the cap.
A body dripping a byte at a time lived until the deadline (30 minutes for audio); it now ends
once it has come slower than the minimum rate for one window.
"""

import gzip
import io
import time
import zlib

import pytest

from core import http
from episodes import ingest
from shows.models import Show
from tests.factories import ShowFactory
from tests.factories.http import Route
from tests.hostile.conftest import drip_body, measure

CAP = 8 * 1024 * 1024
BOMB_SIZE = 200 * 1024 * 1024
# What a refused or capped fetch may hold at its peak, as a multiple of the cap (the body
# itself up to the cap, one inflated piece and the transport's buffers).
MEMORY_RATIO = 1.5


def gzip_of_zeros(size: int) -> bytes:
    """`size` zero bytes, gzipped without ever holding them (about 1,000 to 1)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    return b"".join([*parts, compressor.flush()])


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_of_zeros(BOMB_SIZE)


class CountingSink:
    """A sink that keeps nothing: what a streamed download holds is the fetch's own memory."""

    def __init__(self):
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)


def test_it_refuses_a_body_compressed_in_layers_before_inflating_it(server, bomb):
    layered = gzip.compress(bomb)
    url = server.serve("/layers.xml", layered, headers={"Content-Encoding": "gzip, gzip"})

    cost = measure(http.fetch, url, max_bytes=CAP)

    assert isinstance(cost.error, http.TooLarge)
    assert "layers" in str(cost.error)
    assert cost.peak_bytes < MEMORY_RATIO * CAP


def test_it_refuses_layers_named_in_separate_headers(server):
    def two_headers(request):
        body = gzip.compress(gzip.compress(b"<rss/>"))
        request.send_response(200)
        request.send_header("Content-Encoding", "gzip")
        request.send_header("Content-Encoding", "gzip")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    server.routes["/two.xml"] = Route(handler=two_headers)

    with pytest.raises(http.TooLarge, match="layers"):
        http.fetch(server.url("/two.xml"), max_bytes=CAP)


def test_a_gzip_bomb_is_stopped_at_the_cap_holding_about_the_cap(server, bomb):
    url = server.serve("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})

    cost = measure(http.fetch, url, max_bytes=CAP)

    assert isinstance(cost.error, http.TooLarge)
    assert cost.peak_bytes < MEMORY_RATIO * CAP


def test_a_streamed_download_of_a_gzip_bomb_holds_less_than_the_cap(server, bomb):
    url = server.serve("/bomb.mp3", bomb, headers={"Content-Encoding": "gzip"})
    sink = CountingSink()

    cost = measure(http.fetch, url, max_bytes=2 * CAP, sink=sink)

    assert isinstance(cost.error, http.TooLarge)
    assert CAP < sink.size <= 2 * CAP
    assert cost.peak_bytes < CAP / 4


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # no zlib wrapper
        ("identity", lambda data: data),
    ],
    ids=["gzip", "x-gzip", "deflate", "raw-deflate", "identity"],
)
def test_it_inflates_a_body_in_one_coding_to_the_bytes_sent(server, coding, compress):
    body = b"<rss>" + bytes(range(256)) * 4_000 + b"</rss>"
    url = server.serve("/feed.xml", compress(body), headers={"Content-Encoding": coding})

    result = http.fetch(url, max_bytes=CAP)

    assert result.body == body
    assert server.hits("/feed.xml")[0]["headers"]["Accept-Encoding"] == "gzip, deflate"


def test_a_gzip_body_within_the_cap_is_returned_whole_to_a_sink(server):
    body = bytes(range(256)) * 20_000
    url = server.serve("/ep.mp3", gzip.compress(body), headers={"Content-Encoding": "gzip"})
    sink = io.BytesIO()

    http.fetch(url, max_bytes=CAP * 10, sink=sink)

    assert sink.getvalue() == body


@pytest.mark.django_db
def test_a_poll_of_a_layered_feed_is_recorded_as_too_large(server):
    body = gzip.compress(gzip.compress(b"<rss/>" * 1000))
    url = server.serve("/layers.xml", body, headers={"Content-Encoding": "gzip, gzip"})
    show = ShowFactory(feed_url=url)

    fetch = ingest.poll(show)

    assert fetch.status == Show.FetchStatus.TOO_LARGE
    assert "layers" in fetch.error


# --- minimum transfer rate ------------------------------------------------------------------


def test_a_body_under_the_minimum_rate_ends_after_one_window(server, settings):
    settings.PODINDEX_FETCH_MIN_RATE = 100
    settings.PODINDEX_FETCH_MIN_RATE_SECONDS = 1.0
    # 20 bytes a second for 20 s; the deadline (3 x 10 s) would allow all of it.
    server.routes["/drip.mp3"] = Route(handler=drip_body(size=400, interval=0.05))
    started = time.monotonic()

    with pytest.raises(http.NetworkError, match="under the minimum of 100 bytes/s"):
        http.fetch(server.url("/drip.mp3"), timeout=10.0)

    assert time.monotonic() - started < 3 * settings.PODINDEX_FETCH_MIN_RATE_SECONDS + 1
    assert server.dripped < 400


def test_a_body_over_the_minimum_rate_is_not_cut(server, settings):
    settings.PODINDEX_FETCH_MIN_RATE = 10
    settings.PODINDEX_FETCH_MIN_RATE_SECONDS = 0.5
    # 20 bytes a second, for 1.5 s: three windows, each over the minimum.
    server.routes["/drip.xml"] = Route(handler=drip_body(size=30, interval=0.05))

    assert http.fetch(server.url("/drip.xml"), timeout=10.0).body == b"x" * 30


@pytest.mark.django_db
def test_a_poll_of_a_dripping_feed_records_the_rate(server, settings):
    settings.PODINDEX_FETCH_MIN_RATE = 100
    settings.PODINDEX_FETCH_MIN_RATE_SECONDS = 1.0
    settings.PODINDEX_FETCH_TIMEOUT = 10.0
    server.routes["/drip.xml"] = Route(handler=drip_body(size=400, interval=0.05))
    show = ShowFactory(feed_url=server.url("/drip.xml"))

    fetch = ingest.poll(show)

    assert fetch.status == Show.FetchStatus.NETWORK_ERROR
    assert "minimum of 100 bytes/s" in fetch.error
