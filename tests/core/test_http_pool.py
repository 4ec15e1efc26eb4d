"""The shared connection pool of core.http (issue 12, item 1): one SSL context per process,
connections reused, and every guarantee kept on a reused connection: addresses vetted per
new connection (and per redirect hop), no reuse across vetting modes, the deadline."""

import ssl
import time

import httpx
import pytest

from core import http
from tests.factories.http import LocalServer, Route
from tests.hostile.conftest import drip_headers

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


@pytest.fixture(autouse=True)
def fresh_pools():
    http.close_pools()
    yield
    http.close_pools()


@pytest.fixture
def connects(monkeypatch):
    """The hosts each new TCP connection was opened for (reused ones open none)."""
    opened = []
    original = http._GuardedBackend.connect_tcp

    def connect_tcp(self, host, port, *args, **kwargs):
        opened.append(host)
        return original(self, host, port, *args, **kwargs)

    monkeypatch.setattr(http._GuardedBackend, "connect_tcp", connect_tcp)
    return opened


@pytest.fixture
def public_names(monkeypatch, settings):
    """Vetting on, with made-up public names that resolve to the local test server.

    `resolved` lists each name vetted; a name listed in `private` resolves to a private
    address (as a DNS rebinding attacker would make it) and is refused.
    """
    settings.PODINDEX_ALLOW_PRIVATE_URLS = False
    state = {"resolved": [], "private": set()}

    def resolve_public(host, port):
        state["resolved"].append(host)
        if host in state["private"] or not host.endswith(".example"):
            raise http.BlockedURL(f"{host} resolves to a non-public address (127.0.0.1)")
        return "127.0.0.1"

    monkeypatch.setattr(http, "resolve_public", resolve_public)
    return state


@pytest.fixture
def ssl_contexts(monkeypatch):
    """The SSL contexts created from now on, as in a fresh process."""
    created = []
    original = ssl.create_default_context

    def counting(*args, **kwargs):
        created.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    monkeypatch.setattr(http, "_ssl_context", None)
    return created


def test_it_creates_no_ssl_context_for_20_http_fetches(feed_server, ssl_contexts):
    url = feed_server.serve("/feed.xml", RSS, etag='"v1"')
    for n in range(20):
        result = http.fetch(url, etag='"v1"' if n % 2 else "")
        assert result.status == (304 if n % 2 else 200)
    assert ssl_contexts == []


def test_it_creates_the_ssl_context_once_for_https_origins(feed_server, ssl_contexts):
    port = feed_server.base_url.rsplit(":", 1)[1]
    # The test server speaks plain HTTP: each handshake fails, after the context is made.
    for host in ("127.0.0.1", "localhost", "127.0.0.1"):
        with pytest.raises(http.NetworkError):
            http.fetch(f"https://{host}:{port}/feed.xml", timeout=2)
    assert ssl_contexts == [1]


def test_connections_are_reused_for_200_and_304_answers(feed_server, connects):
    url = feed_server.serve("/feed.xml", RSS, etag='"v1"')
    for n in range(10):
        http.fetch(url, etag='"v1"' if n % 2 else "")
    assert len(feed_server.requests) == 10
    assert len(connects) == 1


def test_a_reused_connection_goes_only_to_a_vetted_host(feed_server, public_names, connects):
    port = feed_server.base_url.rsplit(":", 1)[1]
    feed_server.serve("/feed.xml", RSS)
    feed_server.serve("/away.xml", status=302, headers={"Location": f"http://evil.test:{port}/x"})

    for _ in range(3):
        assert http.fetch(f"http://feeds.example:{port}/feed.xml").body == RSS
    # One connection, vetted once, serves the three fetches of that host.
    assert public_names["resolved"] == ["feeds.example"]
    # Another host never rides on it: a new connection, vetted.
    assert http.fetch(f"http://other.example:{port}/feed.xml").body == RSS
    assert public_names["resolved"] == ["feeds.example", "other.example"]
    assert len(connects) == 2
    # A redirect hop from a pooled host to a private one is vetted and refused.
    with pytest.raises(http.BlockedURL):
        http.fetch(f"http://feeds.example:{port}/away.xml")
    assert public_names["resolved"][-1] == "evil.test"
    assert [r["path"] for r in feed_server.requests][-1] == "/away.xml"


def test_a_connection_opened_without_vetting_is_not_reused_with_vetting_on(feed_server, settings):
    url = feed_server.serve("/feed.xml", RSS)
    assert http.fetch(url).body == RSS  # allowed: PODINDEX_ALLOW_PRIVATE_URLS is on
    settings.PODINDEX_ALLOW_PRIVATE_URLS = False

    with pytest.raises(http.BlockedURL, match="non-public address"):
        http.fetch(url)
    assert len(feed_server.requests) == 1


def test_the_deadline_holds_on_a_reused_connection(feed_server, connects):
    feed_server.serve("/feed.xml", RSS)
    feed_server.routes["/drip.xml"] = Route(handler=drip_headers(lines=40, interval=0.25))
    http.fetch(feed_server.url("/feed.xml"), timeout=0.5)
    started = time.monotonic()

    with pytest.raises(http.NetworkError, match="deadline"):
        http.fetch(feed_server.url("/drip.xml"), timeout=0.5)

    assert time.monotonic() - started < 0.5 * http.DEADLINE_FACTOR + 2.0
    assert len(connects) == 1  # the drip came over the pooled connection


def test_a_finished_fetchs_deadline_leaves_its_pooled_connection_alone(feed_server, connects):
    url = feed_server.serve("/feed.xml", RSS)
    assert http.fetch(url, total_timeout=0.2).body == RSS
    time.sleep(0.5)  # that fetch's deadline passes while its connection sits in the pool

    assert http.fetch(url).body == RSS
    assert len(connects) == 1


def test_the_watchdog_never_wakes_for_a_finished_fetchs_deadline(feed_server, monkeypatch):
    """A poller's every fetch woke it once, a deadline later: a GIL hand-off per fetch."""
    url = feed_server.serve("/feed.xml", RSS)
    expired = []
    expire = http._Deadline.expire
    monkeypatch.setattr(http._Deadline, "expire", lambda self: expired.append(self) or expire(self))

    for _ in range(20):
        assert http.fetch(url, total_timeout=0.1).body == RSS
    time.sleep(0.4)  # every one of those deadlines has passed

    assert expired == []
    feed_server.routes["/drip.xml"] = Route(handler=drip_headers(lines=40, interval=0.25))
    with pytest.raises(http.NetworkError, match="deadline"):
        http.fetch(feed_server.url("/drip.xml"), total_timeout=0.5)
    assert len(expired) == 1  # a fetch still running at its deadline is still ended


def test_fetches_from_many_threads_share_the_pool(feed_server, connects):
    from concurrent.futures import ThreadPoolExecutor

    url = feed_server.serve("/feed.xml", RSS, delay=0.2)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: http.fetch(url).body, range(16)))
    assert bodies == [RSS] * 16
    # Two rounds of eight at 0.2 s each, not sixteen in a row.
    assert time.monotonic() - started < 16 * 0.2 / 2
    assert len(connects) <= 8


def test_a_second_local_server_is_not_served_by_the_first_ones_connection(connects, settings):
    settings.PODINDEX_ALLOW_PRIVATE_URLS = True
    first, second = LocalServer().start(), LocalServer().start()
    try:
        first.serve("/feed.xml", b"first")
        second.serve("/feed.xml", b"second")
        assert http.fetch(first.url("/feed.xml")).body == b"first"
        assert http.fetch(second.url("/feed.xml")).body == b"second"
        assert http.fetch(first.url("/feed.xml")).body == b"first"
        assert len(connects) == 2
    finally:
        first.stop()
        second.stop()


def test_one_fetchs_cookies_are_never_sent_with_another(feed_server):
    url = feed_server.serve("/feed.xml", RSS, headers={"Set-Cookie": "session=abc; Path=/"})

    for _ in range(3):
        assert http.fetch(url).body == RSS

    assert [r["headers"].get("Cookie") for r in feed_server.requests] == [None] * 3


def test_each_fetch_sends_the_user_agent_set_now(feed_server, settings):
    url = feed_server.serve("/feed.xml", RSS)
    http.fetch(url)
    settings.PODINDEX_USER_AGENT = "PodIndexTest/2"

    http.fetch(url)

    agents = [r["headers"]["User-Agent"] for r in feed_server.requests]
    assert agents[1] == "PodIndexTest/2" != agents[0]


def test_idle_connections_to_origins_beyond_the_limit_are_closed(connects, settings, monkeypatch):
    settings.PODINDEX_ALLOW_PRIVATE_URLS = True
    monkeypatch.setattr(http, "POOL_MAX_ORIGINS", 1)
    first, second = LocalServer().start(), LocalServer().start()
    try:
        first.serve("/feed.xml", b"first")
        second.serve("/feed.xml", b"second")
        assert http.fetch(first.url("/feed.xml")).body == b"first"
        assert http.fetch(first.url("/feed.xml")).body == b"first"
        assert len(connects) == 1  # reused while its origin is the only one
        assert http.fetch(second.url("/feed.xml")).body == b"second"
        # The first origin's idle connection was closed to keep one origin's: a new one now.
        assert http.fetch(first.url("/feed.xml")).body == b"first"
        assert len(connects) == 3
    finally:
        first.stop()
        second.stop()


def test_an_origins_connections_are_not_closed_while_a_fetch_uses_them(
    feed_server, connects, monkeypatch
):
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(http, "POOL_MAX_ORIGINS", 0)
    slow = feed_server.serve("/slow.xml", RSS, delay=0.5)
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(http.fetch, slow)
        time.sleep(0.2)
        # Another origin (the same server by name) opens a pool while the slow fetch runs.
        other = slow.replace("127.0.0.1", "localhost")
        assert pool.submit(http.fetch, other).result().body == RSS
        assert running.result().body == RSS

    # The slow fetch's pool was kept (in use when the other origin's opened): its connection
    # serves the next fetch.
    assert http.fetch(slow).body == RSS
    assert connects == ["127.0.0.1", "localhost"]


def test_a_small_redirect_body_is_read_so_its_connection_is_reused(feed_server, connects):
    feed_server.serve("/feed.xml", RSS)
    away = feed_server.serve(
        "/away.xml", b"moved" * 100, status=302, headers={"Location": "/feed.xml"}
    )

    assert http.fetch(away).body == RSS
    assert http.fetch(away).body == RSS
    assert len(connects) == 1


def test_a_redirect_body_over_the_drain_cap_closes_its_connection(feed_server, connects):
    feed_server.serve("/feed.xml", RSS)
    big = b"x" * (http.DRAIN_MAX + 1)
    away = feed_server.serve("/away.xml", big, status=302, headers={"Location": "/feed.xml"})

    assert http.fetch(away).body == RSS
    # The redirect's body was not read to its end: its connection was closed, not pooled.
    assert len(connects) == 2


@pytest.fixture
def readability_checks(monkeypatch):
    """How many times a pooled connection was asked whether the server has closed it."""
    checks = []
    original = http._DeadlineStream.get_extra_info

    def get_extra_info(self, info):
        if info == "is_readable":
            checks.append(1)
        return original(self, info)

    monkeypatch.setattr(http._DeadlineStream, "get_extra_info", get_extra_info)
    return checks


def idle_connections(url) -> int:
    """How many idle connections the pool keeps for `url`'s origin (private URLs allowed)."""
    parsed = httpx.URL(url)
    pools = http._transport(False)._pool._pools
    origin = pools.get((parsed.raw_scheme, parsed.raw_host, parsed.port))
    return 0 if origin is None else len(origin.idle)


def open_connections(url, count: int) -> None:
    """Leave `count` idle connections to `url`'s origin, by fetching it `count` at once."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(count) as pool:
        assert list(pool.map(lambda _: http.fetch(url).body, range(count))) == [RSS] * count


def test_it_checks_only_the_connection_a_fetch_takes(feed_server, connects, readability_checks):
    slow = feed_server.serve("/slow.xml", RSS, delay=0.3)
    open_connections(slow, 4)
    assert len(connects) == 4
    readability_checks.clear()

    feed = feed_server.serve("/feed.xml", RSS)
    for _ in range(10):
        assert http.fetch(feed).body == RSS

    # One check per fetch, of the connection it reuses; httpcore's pool asked each of the four
    # idle ones at the start and at the end of every request (80 checks).
    assert len(readability_checks) == 10
    assert len(connects) == 4


def test_it_opens_a_new_connection_when_the_server_closed_the_idle_one(feed_server, connects):
    def answer_then_hang_up(request):
        # Keep-alive as far as the client knows (no "Connection: close"), then the server
        # closes the connection while it waits in the pool.
        request.send(200, RSS, {"Content-Type": "application/rss+xml"})
        request.close_connection = True

    url = feed_server.serve("/feed.xml", handler=answer_then_hang_up)
    assert http.fetch(url).body == RSS
    time.sleep(0.1)

    assert http.fetch(url).body == RSS
    assert len(connects) == 2


def test_it_closes_connections_idle_past_the_keepalive_while_the_origin_is_busy(
    feed_server, connects, monkeypatch
):
    monkeypatch.setattr(http, "POOL_KEEPALIVE_EXPIRY", 0.5)
    slow = feed_server.serve("/slow.xml", RSS, delay=0.3)
    open_connections(slow, 4)
    feed = feed_server.serve("/feed.xml", RSS)

    # One fetch at a time keeps reusing the newest connection; the other three stay idle.
    ended = time.monotonic() + 1.0
    while time.monotonic() < ended:
        assert http.fetch(feed).body == RSS
        time.sleep(0.05)

    assert idle_connections(feed) == 1
    assert len(connects) == 4
