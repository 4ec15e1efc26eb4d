"""The one HTTP seam for every outbound fetch: feeds, transcripts, anything a feed points at.

Safe by default: http(s) only, every connection's resolved address vetted (private, loopback,
link-local, multicast, reserved and embedded-IPv4 ranges refused) and then connected to by that
same address, redirects followed by hand with a limit, bodies streamed under a size cap and a
wall-clock deadline that covers everything after DNS: connecting, TLS, headers and body. A
server that drips one byte (or one header line) per second is cut off at the deadline: every
socket operation's timeout is clamped to the time left, and a watchdog shuts the sockets down
when it runs out. `PODINDEX_ALLOW_PRIVATE_URLS` lifts the address check for local testing.
"""

import contextlib
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from django.conf import settings

MAX_REDIRECTS = 5
# A slow-drip server could keep every read under the read timeout forever: the whole fetch
# (every redirect hop, headers and body) also gets a deadline of this many read timeouts.
DEADLINE_FACTOR = 3
PERMANENT_REDIRECTS = {301, 308}
REDIRECTS = {301, 302, 303, 307, 308}

# Listed explicitly because older Python patch releases misclassify some of them (CVE-2024-4032)
# and `is_global` alone says nothing about multicast.
_BLOCKED_NETWORKS = [
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "::ffff:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "2002::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
]


class FetchError(Exception):
    """A fetch that produced no usable body; callers map each subclass to their own status."""

    def __init__(self, message: str, *, http_status: int | None = None):
        super().__init__(message)
        self.http_status = http_status


class BlockedURL(FetchError):
    """The URL or an address it resolves to is not ours to fetch."""


class TooLarge(FetchError):
    """The body is over the cap."""


class NetworkError(FetchError):
    """DNS, connection, TLS, timeout or deadline failure."""


class TooManyRedirects(FetchError):
    """More redirects than MAX_REDIRECTS."""


class HTTPStatusError(FetchError):
    """An answer other than 2xx or 304."""

    def __init__(self, message: str, *, http_status: int, retry_after: int | None = None):
        super().__init__(message, http_status=http_status)
        self.retry_after = retry_after


class Gone(HTTPStatusError):
    """HTTP 410: the resource will not come back."""


@dataclass
class FetchResult:
    """What a successful fetch (2xx or 304) returned, after any redirects."""

    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    body: bytes = b""
    # True when every redirect on the way was permanent (301/308): the caller may move the feed.
    permanent_redirect: bool = False
    redirected: bool = field(default=False)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True when an address is safe to connect to from the server (a public unicast one)."""
    if isinstance(ip, ipaddress.IPv6Address):
        # Addresses that carry an IPv4 address inside are judged by that address too.
        embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        if ip in ipaddress.ip_network("64:ff9b::/96"):
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(inner is not None and not is_public_address(inner) for inner in embedded):
            return False
    if any(ip in net for net in _BLOCKED_NETWORKS if net.version == ip.version):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve_public(host: str, port: int) -> str:
    """Resolve a host and return an address to connect to, refusing any non-public answer."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise NetworkError(f"Cannot resolve {host}: {exc}") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise NetworkError(f"Cannot resolve {host}")
    for address in addresses:
        # getaddrinfo has already turned decimal/octal/hex spellings into dotted quads.
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not is_public_address(ip):
            raise BlockedURL(f"{host} resolves to a non-public address ({ip})")
    return addresses[0]


class _Deadline:
    """One fetch's wall-clock deadline, shared by every connection the fetch opens.

    Socket timeouts bound each read; the deadline bounds their sum. `clamp` shortens each
    operation's timeout to the time left (and fails once none is left); the watchdog timer
    shuts down every socket still open when the time is up, which also ends a TLS handshake
    fed one byte at a time.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()

    def passed(self) -> bool:
        return self.expired or time.monotonic() >= self.at

    def clamp(self, timeout: float | None, error=httpcore.ReadTimeout) -> float:
        left = self.at - time.monotonic()
        if left <= 0 or self.expired:
            raise error("The fetch deadline has passed")
        return left if timeout is None else min(timeout, left)

    def watch(self, sock) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            self._shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._shutdown(sock)

    @staticmethod
    def _shutdown(sock) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read, write and TLS handshake ends by the deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline):
        self._stream = stream
        self._deadline = deadline
        deadline.watch(stream.get_extra_info("socket"))

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        timeout = self._deadline.clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, timeout), self._deadline
        )

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Vets the address of every TCP connection and connects to exactly that address.

    Checking here, rather than on the URL before the request, covers every redirect hop and
    leaves no gap between the check and the connection for DNS rebinding. Every stream it
    opens keeps to the fetch's deadline.
    """

    def __init__(self, deadline: _Deadline, check_addresses: bool = True):
        self.deadline = deadline
        self.check_addresses = check_addresses

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        address = resolve_public(host, port) if self.check_addresses else host
        timeout = self.deadline.clamp(timeout, httpcore.ConnectTimeout)
        stream = super().connect_tcp(address, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self.deadline)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the guarded network backend and no proxies from the environment."""

    def __init__(self, deadline: _Deadline, check_addresses: bool = True):
        super().__init__(trust_env=False)
        # HTTPTransport has no network_backend argument; its pool is the documented httpcore one.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=10,
            network_backend=_GuardedBackend(deadline, check_addresses),
        )


def check_url(url: str) -> None:
    """Refuse URLs we never fetch: other schemes, no host, credentials in the URL."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise BlockedURL(f"Not a valid URL: {url!r}") from exc
    if parts.scheme not in ("http", "https"):
        raise BlockedURL(f"Only http and https URLs are fetched, not {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise BlockedURL(f"URL has no host: {url!r}")
    if parts.username or parts.password:
        raise BlockedURL("URLs with credentials are not fetched")


def _client(timeout: float, deadline: _Deadline) -> httpx.Client:
    transport = _GuardedTransport(deadline, not settings.PODINDEX_ALLOW_PRIVATE_URLS)
    return httpx.Client(
        transport=transport,
        trust_env=False,
        follow_redirects=False,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        headers={"User-Agent": settings.PODINDEX_USER_AGENT},
    )


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("retry-after", "").strip()
    return int(value) if value.isdigit() else None


def _read_capped(response: httpx.Response, max_bytes: int, deadline: _Deadline, sink=None):
    """The body, capped and within the deadline; written to `sink` instead when one is given."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(
            f"Body is {int(declared):,} bytes; the limit is {max_bytes:,}",
            http_status=response.status_code,
        )
    body, size = bytearray(), 0
    # iter_bytes yields decoded (gunzipped) bytes, so the cap also stops compression bombs; with
    # no chunk size it yields what each read brought, so the deadline is checked per read.
    for chunk in response.iter_bytes():
        size += len(chunk)
        if sink is None:
            body += chunk
        else:
            sink.write(chunk)
        if size > max_bytes:
            raise TooLarge(
                f"Body exceeds the limit of {max_bytes:,} bytes", http_status=response.status_code
            )
        if deadline.passed():
            raise NetworkError(
                f"Gave up after the {deadline.seconds:g} s deadline (the body came too slowly)",
                http_status=response.status_code,
            )
    return bytes(body)


def fetch(
    url: str,
    *,
    max_bytes: int | None = None,
    etag: str = "",
    last_modified: str = "",
    accept: str = "*/*",
    timeout: float | None = None,
    total_timeout: float | None = None,
    sink=None,
) -> FetchResult:
    """GET a URL safely (conditional headers optional); raise a FetchError subclass on failure.

    `total_timeout` bounds the whole fetch (default: DEADLINE_FACTOR read timeouts); with a binary
    `sink` the body is streamed into it (large audio) and the result's body stays empty.
    """
    max_bytes = max_bytes or settings.PODINDEX_FEED_MAX_BYTES
    timeout = timeout or settings.PODINDEX_FETCH_TIMEOUT
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current, permanent, hops = url, True, 0
    with (
        _Deadline(total_timeout or timeout * DEADLINE_FACTOR) as deadline,
        _client(timeout, deadline) as client,
    ):
        while True:
            check_url(current)
            try:
                with client.stream("GET", current, headers=headers) as response:
                    status = response.status_code
                    if status in REDIRECTS and response.headers.get("location"):
                        hops += 1
                        if hops > MAX_REDIRECTS:
                            raise TooManyRedirects(
                                f"More than {MAX_REDIRECTS} redirects (last to {current})",
                                http_status=status,
                            )
                        permanent = permanent and status in PERMANENT_REDIRECTS
                        current = urljoin(current, response.headers["location"])
                        continue
                    if status == 304:
                        return _result(url, current, response, b"", permanent, hops)
                    if status == 410:
                        raise Gone("The feed is gone (HTTP 410)", http_status=status)
                    if not 200 <= status < 300:
                        raise HTTPStatusError(
                            f"HTTP {status} {response.reason_phrase}".strip(),
                            http_status=status,
                            retry_after=_retry_after(response),
                        )
                    body = _read_capped(response, max_bytes, deadline, sink)
                    return _result(url, current, response, body, permanent, hops)
            except httpx.InvalidURL as exc:
                raise BlockedURL(f"Not a valid URL: {current!r}") from exc
            except httpx.HTTPError as exc:
                if deadline.passed():
                    raise NetworkError(
                        f"Timed out fetching {current}: gave up after the "
                        f"{deadline.seconds:g} s deadline for connection, headers and body"
                    ) from exc
                if isinstance(exc, httpx.TimeoutException):
                    raise NetworkError(f"Timed out fetching {current}") from exc
                raise NetworkError(f"{type(exc).__name__}: {exc}") from exc


def _result(url, final_url, response, body, permanent, hops) -> FetchResult:
    return FetchResult(
        url=url,
        final_url=final_url,
        status=response.status_code,
        headers=response.headers,
        body=body,
        permanent_redirect=bool(hops) and permanent,
        redirected=bool(hops),
    )
