import ipaddress
import time

import pytest

from core import http
from tests.factories.http import stream_endless

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


def test_it_fetches_a_body_with_our_user_agent(feed_server, settings):
    url = feed_server.serve("/feed.xml", RSS)
    result = http.fetch(url)
    assert result.body == RSS
    assert result.status == 200
    assert result.final_url == url
    assert feed_server.hits("/feed.xml")[0]["headers"]["User-Agent"] == (
        settings.PODINDEX_USER_AGENT
    )


def test_it_sends_conditional_headers_and_reports_not_modified(feed_server):
    url = feed_server.serve(
        "/feed.xml", RSS, etag='"v1"', last_modified="Wed, 01 Jan 2025 00:00:00 GMT"
    )
    first = http.fetch(url)
    assert first.headers["etag"] == '"v1"'
    again = http.fetch(url, etag='"v1"', last_modified="Wed, 01 Jan 2025 00:00:00 GMT")
    assert again.not_modified
    assert again.body == b""
    sent = feed_server.hits("/feed.xml")[1]["headers"]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Wed, 01 Jan 2025 00:00:00 GMT"


def test_it_decodes_gzip(feed_server):
    url = feed_server.serve("/feed.xml", RSS, gzip=True)
    assert http.fetch(url).body == RSS


def test_it_follows_redirects_and_flags_only_all_permanent_ones(feed_server):
    target = feed_server.serve("/new.xml", RSS)
    feed_server.serve("/old.xml", status=301, headers={"Location": "/new.xml"})
    feed_server.serve("/temp.xml", status=302, headers={"Location": "/old.xml"})

    moved = http.fetch(feed_server.url("/old.xml"))
    assert moved.final_url == target
    assert moved.permanent_redirect
    via_temporary = http.fetch(feed_server.url("/temp.xml"))
    assert via_temporary.body == RSS
    assert not via_temporary.permanent_redirect


def test_it_stops_a_redirect_loop(feed_server):
    feed_server.serve("/a", status=302, headers={"Location": "/b"})
    feed_server.serve("/b", status=302, headers={"Location": "/a"})
    with pytest.raises(http.TooManyRedirects):
        http.fetch(feed_server.url("/a"))
    assert len(feed_server.requests) == http.MAX_REDIRECTS + 1


def test_it_refuses_a_redirect_to_another_scheme(feed_server):
    feed_server.serve("/a", status=302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(http.BlockedURL, match="Only http and https"):
        http.fetch(feed_server.url("/a"))


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, http.HTTPStatusError),
        (410, http.Gone),
        (500, http.HTTPStatusError),
        (429, http.HTTPStatusError),
    ],
)
def test_it_raises_an_error_carrying_the_status_for_http_errors(feed_server, status, error):
    url = feed_server.serve("/feed.xml", b"nope", status=status, headers={"Retry-After": "120"})
    with pytest.raises(error) as excinfo:
        http.fetch(url)
    assert excinfo.value.http_status == status
    assert str(status) in str(excinfo.value)
    if status == 429:
        assert excinfo.value.retry_after == 120


def test_it_refuses_a_declared_body_over_the_cap_before_reading_it(feed_server):
    url = feed_server.serve("/big.xml", b"x" * 5000)
    with pytest.raises(http.TooLarge, match="5,000 bytes"):
        http.fetch(url, max_bytes=1000)


def test_it_stops_streaming_a_50_mb_body_at_the_cap(feed_server):
    feed_server.serve("/endless.xml", handler=stream_endless())
    with pytest.raises(http.TooLarge):
        http.fetch(feed_server.url("/endless.xml"), max_bytes=1024 * 1024)
    # The server got to write far less than the 60 MB it had (socket buffers aside).
    for _ in range(50):
        if hasattr(feed_server, "streamed_bytes"):
            break
        time.sleep(0.1)
    assert feed_server.streamed_bytes < 20 * 1024 * 1024


def test_it_caps_the_decoded_size_of_a_gzip_bomb(feed_server):
    url = feed_server.serve("/bomb.xml", b"\0" * (8 * 1024 * 1024), gzip=True)
    with pytest.raises(http.TooLarge):
        http.fetch(url, max_bytes=1024 * 1024)


def test_it_times_out_on_a_slow_server(feed_server):
    url = feed_server.serve("/slow.xml", RSS, delay=3)
    with pytest.raises(http.NetworkError, match="Timed out"):
        http.fetch(url, timeout=0.5)


def test_it_reports_a_refused_connection_as_a_network_error(settings):
    settings.PODINDEX_ALLOW_PRIVATE_URLS = True
    with pytest.raises(http.NetworkError):
        http.fetch("http://127.0.0.1:9/feed.xml", timeout=2)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed.xml",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/feed.xml",
        "http://2130706433/feed.xml",
        "http://0177.0.0.1/feed.xml",
        "http://0x7f.0.0.1/feed.xml",
        "http://[::1]/feed.xml",
        "http://[::ffff:127.0.0.1]/feed.xml",
        "http://[::ffff:169.254.169.254]/feed.xml",
        "http://10.0.0.1/feed.xml",
        "http://0.0.0.0/feed.xml",
    ],
)
def test_it_refuses_private_addresses_when_the_setting_is_off(settings, url):
    settings.PODINDEX_ALLOW_PRIVATE_URLS = False
    with pytest.raises(http.BlockedURL):
        http.fetch(url, timeout=2)


def test_it_refuses_even_a_real_local_server_when_the_setting_is_off(feed_server, settings):
    url = feed_server.serve("/feed.xml", RSS)
    settings.PODINDEX_ALLOW_PRIVATE_URLS = False
    with pytest.raises(http.BlockedURL, match="non-public address"):
        http.fetch(url)
    assert feed_server.requests == []


@pytest.mark.parametrize(
    "url", ["ftp://example.com/feed.xml", "file:///etc/passwd", "javascript:alert(1)", "http://"]
)
def test_it_refuses_non_http_urls(settings, url):
    settings.PODINDEX_ALLOW_PRIVATE_URLS = True
    with pytest.raises(http.BlockedURL):
        http.fetch(url)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("100.64.0.1", False),
        ("192.168.1.1", False),
        ("224.0.0.1", False),
        ("255.255.255.255", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("ff02::1", False),
        ("2002:7f00:1::", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),
    ],
)
def test_it_classifies_addresses(address, public):
    assert http.is_public_address(ipaddress.ip_address(address)) is public
