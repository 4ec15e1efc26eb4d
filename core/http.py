"""The one HTTP seam for every outbound fetch: feeds, transcripts, anything a feed points at.

Safe by default: http(s) only, every connection's resolved address vetted (private, loopback,
link-local, multicast, reserved and embedded-IPv4 ranges refused) and then connected to by that
same address, redirects followed by hand with a limit, bodies streamed under a size cap and a
wall-clock deadline that covers everything after DNS: connecting, TLS, headers and body. A
server that drips one byte (or one header line) per second is cut off at the deadline: every
socket operation's timeout is clamped to the time left, and a watchdog shuts the sockets down
when it runs out; a body that comes slower than a minimum rate is cut off sooner. Compressed
bodies are inflated here, one piece at a time, so the cap bounds what is ever held in memory.
`PODINDEX_ALLOW_PRIVATE_URLS` lifts the address check for local testing.
"""

import contextlib
import functools
import heapq
import ipaddress
import os
import socket
import ssl
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
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


class _Watchdog:
    """One thread per process that ends the fetches whose deadline has passed.

    A fetch registers its deadline here instead of starting a timer thread of its own (a
    thread per fetch cost more CPU than the rest of an unchanged poll). The thread is started
    on first use and again after a fork (threads do not survive one).
    """

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._cond = threading.Condition()
        self._started = False
        self._counter = 0

    def add(self, deadline: "_Deadline") -> None:
        with self._cond:
            if not self._started:
                self._started = True
                threading.Thread(target=self._run, name="fetch-deadlines", daemon=True).start()
            self._counter += 1
            heapq.heappush(self._heap, (deadline.at, self._counter, deadline))
            if self._heap[0][2] is deadline:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    # Deadlines whose fetch has ended are dropped without waiting for their
                    # time: waking at each of those (a poller's every fetch, a deadline later)
                    # cost a GIL hand-off per fetch.
                    while self._heap and self._heap[0][2].done:
                        heapq.heappop(self._heap)
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    self._cond.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                _, _, deadline = heapq.heappop(self._heap)
            deadline.expire()


_watchdog = _Watchdog()
# The deadline of the fetch running in this thread: the pooled streams read it on every
# operation, since one connection may serve several fetches in turn.
_current = threading.local()


class _Deadline:
    """One fetch's wall-clock deadline, shared by every connection the fetch uses.

    Socket timeouts bound each read; the deadline bounds their sum. `clamp` shortens each
    operation's timeout to the time left (and fails once none is left); the watchdog shuts
    down every socket the fetch used when the time is up, which also ends a TLS handshake fed
    one byte at a time. A deadline whose fetch has ended touches no socket (the connection may
    be back in the pool, serving another fetch).
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self.done = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self):
        self._outer = getattr(_current, "deadline", None)
        _current.deadline = self
        _watchdog.add(self)
        return self

    def __exit__(self, *exc_info):
        with self._lock:
            self.done = True
            self._sockets.clear()
        _current.deadline = self._outer

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

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            for sock in self._sockets:
                self._shutdown(sock)

    @staticmethod
    def _shutdown(sock) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _deadline() -> "_Deadline | None":
    return getattr(_current, "deadline", None)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read, write and TLS handshake ends by the current deadline.

    Pooled: the stream outlives the fetch that opened it, so each operation takes the deadline
    of the fetch using it now (this thread's) and puts the socket under that deadline's watch.
    """

    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream
        self._sock = stream.get_extra_info("socket")
        self._watched_by = None
        self._watch()

    def _watch(self) -> "_Deadline | None":
        deadline = _deadline()
        if deadline is not None and self._watched_by is not deadline:
            self._watched_by = deadline
            deadline.watch(self._sock)
        return deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        deadline = self._watch()
        if deadline is not None:
            timeout = deadline.clamp(timeout)
        return self._stream.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        deadline = self._watch()
        if deadline is not None:
            timeout = deadline.clamp(timeout, httpcore.WriteTimeout)
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        deadline = self._watch()
        if deadline is not None:
            timeout = deadline.clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Vets the address of every TCP connection and connects to exactly that address.

    Checking here, rather than on the URL before the request, covers every redirect hop and
    leaves no gap between the check and the connection for DNS rebinding. A pooled connection
    is only ever reused for the origin (scheme, host, port) it was opened for, so a reused
    connection goes to an address vetted when it was opened. Every stream it opens keeps to
    the deadline of the fetch using it.
    """

    def __init__(self, check_addresses: bool = True):
        self.check_addresses = check_addresses

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        address = resolve_public(host, port) if self.check_addresses else host
        deadline = _deadline()
        if deadline is not None:
            timeout = deadline.clamp(timeout, httpcore.ConnectTimeout)
        stream = super().connect_tcp(address, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream)


# Idle connections kept per origin (scheme, host, port), origins whose idle connections are
# kept (a poller keeps up to PODINDEX_POLL_PER_HOST per host: 64 in all), and how long an
# idle connection is kept.
POOL_MAX_KEEPALIVE = 64
POOL_MAX_ORIGINS = 16
POOL_KEEPALIVE_EXPIRY = 15.0


class _OriginPool:
    """One origin's idle connections, the fetches using it now and when it was last taken."""

    def __init__(self):
        # (when it went idle, connection), the most recently used last
        self.idle: deque[tuple[float, httpcore.HTTPConnection]] = deque()
        self.in_use = 0
        self.used_at = time.monotonic()
        self.closed = False

    def stale(self, now: float) -> list[httpcore.HTTPConnection]:
        """Take out the connections idle past POOL_KEEPALIVE_EXPIRY (under the pools' lock)."""
        stale = []
        while self.idle and now - self.idle[0][0] > POOL_KEEPALIVE_EXPIRY:
            stale.append(self.idle.popleft()[1])
        return stale

    def close(self) -> None:
        """Close the idle connections; those in use are closed as their fetches end."""
        self.closed = True
        while self.idle:
            self.idle.popleft()[1].close()


class _PoolPerOrigin:
    """Keep-alive connections by origin: a request takes an idle one of its own origin or opens one.

    In the place of httpcore's ConnectionPool, which looks at every connection it holds at the
    start and at the end of each request, and asks each idle one whether the server has closed
    it (a poll() system call, which lets go of the GIL): with a poller's 64 fetches in flight
    those checks and the thread switches they caused were about a fifth of an unchanged poll's
    CPU. Here a request checks only the connection it takes, once, before sending on it (one
    the server closed meanwhile is closed, and the next one taken). A connection goes back to
    its origin when its response is closed and it can serve another (httpcore's HTTPConnection
    knows); one idle past POOL_KEEPALIVE_EXPIRY is closed. Pools that no fetch is using are
    closed when more than POOL_MAX_ORIGINS are open (the least recently used first) and once
    idle past POOL_KEEPALIVE_EXPIRY, so idle connections stay bounded.
    """

    def __init__(self, make_connection):
        self._make_connection = make_connection  # called with the request's origin
        self._pools: dict[tuple, _OriginPool] = {}
        self._lock = threading.Lock()
        self._swept_at = time.monotonic()

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        url = request.url
        key = (url.scheme, url.host, url.port)
        with self._lock:
            origin = self._pools.get(key)
            if origin is None:
                origin = self._pools[key] = _OriginPool()
            origin.in_use += 1
            origin.used_at = now = time.monotonic()
            closing = self._surplus(now)
        for pool in closing:
            pool.close()
        try:
            connection = self._idle_connection(origin) or self._make_connection(url.origin)
            try:
                response = connection.handle_request(request)
            except BaseException:
                connection.close()
                raise
        except BaseException:
            self._release(origin)
            raise
        response.stream = _Released(response.stream, lambda: self._release(origin, connection))
        return response

    def _idle_connection(self, origin: _OriginPool) -> "httpcore.HTTPConnection | None":
        """The origin's most recently used idle connection that is still open, or None."""
        while True:
            with self._lock:
                if not origin.idle:
                    return None
                _, connection = origin.idle.pop()
            if not connection.has_expired():
                return connection
            connection.close()

    def _release(self, origin: _OriginPool, connection=None) -> None:
        """A fetch is done with `origin`; its connection goes back, if it can serve another."""
        keep = connection is not None and connection.is_idle() and not connection.is_closed()
        with self._lock:
            origin.in_use -= 1
            now = time.monotonic()
            closing = origin.stale(now)
            if keep and not origin.closed and len(origin.idle) < POOL_MAX_KEEPALIVE:
                origin.idle.append((now, connection))
            elif connection is not None:
                closing.append(connection)
        for stale in closing:
            stale.close()

    def _surplus(self, now: float) -> list[_OriginPool]:
        """Take out the pools to close (under the lock): unused ones beyond POOL_MAX_ORIGINS,
        the least recently used first, and every POOL_KEEPALIVE_EXPIRY the unused ones idle
        that long."""
        count = len(self._pools) - POOL_MAX_ORIGINS
        sweep = now - self._swept_at > POOL_KEEPALIVE_EXPIRY
        if count <= 0 and not sweep:
            return []
        unused = sorted((o.used_at, key) for key, o in self._pools.items() if not o.in_use)
        if sweep:
            self._swept_at = now
            stale = sum(1 for used_at, _ in unused if now - used_at > POOL_KEEPALIVE_EXPIRY)
            count = max(count, stale)
        return [self._pools.pop(key) for _, key in unused[: max(count, 0)]]

    def close(self) -> None:
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            pool.close()


class _Released:
    """A response body stream that tells its pool when it is closed."""

    def __init__(self, stream, release):
        self._stream, self._release = stream, release

    def __iter__(self):
        yield from self._stream

    def close(self) -> None:
        try:
            if hasattr(self._stream, "close"):
                self._stream.close()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the guarded network backend and no proxies from the environment.

    Only https origins' connections get the SSL context, made when the first is opened: loading the
    CA certificates took ~20 ms of a fresh worker's CPU, which a poller of http feeds never needs.
    """

    def __init__(self, ssl_context: Callable[[], ssl.SSLContext], check_addresses: bool = True):
        # Not HTTPTransport.__init__: it would build an SSL context and a pool only to drop them.
        # Its other methods use `_pool` alone, here httpcore's documented connections by origin.
        backend = _GuardedBackend(check_addresses)
        self._pool = _PoolPerOrigin(
            lambda origin: httpcore.HTTPConnection(
                origin,
                ssl_context=ssl_context() if origin.scheme == b"https" else None,
                keepalive_expiry=POOL_KEEPALIVE_EXPIRY,
                network_backend=backend,
            )
        )


_transports: dict[bool, _GuardedTransport] = {}
_transports_lock = threading.Lock()
_ssl_context: ssl.SSLContext | None = None
_ssl_context_lock = threading.Lock()


def _shared_ssl_context() -> ssl.SSLContext:
    """This process's one SSL context (no settings from the environment), made on first use."""
    global _ssl_context
    if _ssl_context is None:
        with _ssl_context_lock:
            if _ssl_context is None:
                _ssl_context = httpx.create_ssl_context(trust_env=False)
    return _ssl_context


def _transport(check_addresses: bool) -> _GuardedTransport:
    """This process's connection pool for one vetting mode, sharing the one SSL context.

    Vetted and unvetted (PODINDEX_ALLOW_PRIVATE_URLS) connections live in separate pools, so
    a connection opened without the address check is never reused once the check is on. A
    forked worker starts with none (see `_after_fork_in_child`) and opens its own.
    """
    transport = _transports.get(check_addresses)
    if transport is None:
        with _transports_lock:
            transport = _transports.get(check_addresses)
            if transport is None:
                transport = _GuardedTransport(_shared_ssl_context, check_addresses)
                _transports[check_addresses] = transport
    return transport


def _after_fork_in_child() -> None:
    # The parent's watchdog thread and locks did not come along; its sockets are its own.
    global _transports_lock, _ssl_context_lock
    _watchdog.reset()
    _transports.clear()
    _transports_lock, _ssl_context_lock = threading.Lock(), threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def close_pools() -> None:
    """Close this process's pooled connections (tests; the next fetch opens new ones)."""
    with _transports_lock:
        transports = list(_transports.values())
        _transports.clear()
    for transport in transports:
        transport.close()


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


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("retry-after", "").strip()
    return int(value) if value.isdigit() else None


# The content codings we undo, as zlib's window bits (the gzip wrapper, the zlib one). httpx
# would inflate every coding the header names, all of each chunk at once, before the cap could
# be checked (1.8 KB sent as "gzip, gzip" became 2.2 GB): the fetch asks for these only and
# inflates them itself, a bounded piece at a time.
_CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
ACCEPT_ENCODING = "gzip, deflate"
# Inflated bytes handed on at a time (to the body or the sink).
INFLATE_PIECE = 256 * 1024


class _Inflater:
    """One gzip or deflate coding undone a bounded piece at a time."""

    def __init__(self, coding: str):
        self._wbits = _CODINGS[coding]
        self._zlib = zlib.decompressobj(self._wbits)
        # Servers send "deflate" both with and without the zlib wrapper (as httpx, try both).
        self._may_be_raw = coding == "deflate"

    def pieces(self, data: bytes) -> Iterator[bytes]:
        """The inflated bytes of `data`, in pieces of at most INFLATE_PIECE bytes."""
        # What follows the end of the compressed stream is ignored, as httpx does.
        while not self._zlib.eof:
            try:
                piece = self._zlib.decompress(data, INFLATE_PIECE)
            except zlib.error as exc:
                if not self._may_be_raw:
                    raise httpx.DecodingError(f"Cannot inflate the body: {exc}") from exc
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                piece = b""
            else:
                data = self._zlib.unconsumed_tail
            self._may_be_raw = False
            if piece:
                yield piece
            # A full piece may leave more output pending even when all input was taken.
            if not data and len(piece) < INFLATE_PIECE:
                return


def _content_coding(response: httpx.Response) -> _Inflater | None:
    """The inflater for the body's content coding; None for an uncompressed body."""
    codings = [
        value.strip().lower()
        for value in response.headers.get_list("content-encoding", split_commas=True)
        if value.strip() and value.strip().lower() != "identity"
    ]
    if len(codings) > 1:
        # No server compresses twice by mistake: layers are how a few bytes become gigabytes.
        raise TooLarge(
            f"The body is compressed in layers ({', '.join(codings)}): refused, as a "
            "compression bomb would be",
            http_status=response.status_code,
        )
    if codings and codings[0] in _CODINGS:
        return _Inflater(codings[0])
    # A coding we did not ask for is passed on as sent (as httpx does): the caller's parser
    # then refuses bytes it cannot read.
    return None


def _body_pieces(response: httpx.Response) -> Iterator[bytes]:
    """The body, inflated when it is compressed, in pieces of bounded size."""
    inflater = _content_coding(response)
    for chunk in response.iter_raw():
        if inflater is None:
            yield chunk
        else:
            yield from inflater.pieces(chunk)


class _MinimumRate:
    """Ends a body that comes slower than `rate` bytes a second over any `window` seconds.

    The deadline alone let a server dripping a byte every few seconds hold an audio download
    for its whole 30 minutes; this ends it after one window.
    """

    def __init__(self, rate: int, window: float):
        self.rate, self.window = rate, window
        self._since, self._bytes = time.monotonic(), 0

    def check(self, received: int, response: httpx.Response) -> None:
        if self.rate <= 0:
            return
        self._bytes += received
        elapsed = time.monotonic() - self._since
        if elapsed < self.window:
            return
        if self._bytes < self.rate * elapsed:
            raise NetworkError(
                f"Gave up: the body came at {self._bytes / elapsed:,.0f} bytes/s over "
                f"{elapsed:.0f} s, under the minimum of {self.rate:,} bytes/s",
                http_status=response.status_code,
            )
        self._since, self._bytes = time.monotonic(), 0


def _read_capped(response: httpx.Response, max_bytes: int, deadline: _Deadline, sink=None):
    """The body, capped and within the deadline; written to `sink` instead when one is given."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(
            f"Body is {int(declared):,} bytes; the limit is {max_bytes:,}",
            http_status=response.status_code,
        )
    body, size = bytearray(), 0
    rate = _MinimumRate(settings.PODINDEX_FETCH_MIN_RATE, settings.PODINDEX_FETCH_MIN_RATE_SECONDS)
    # The cap is checked on inflated bytes, piece by piece, so it also stops compression bombs;
    # the raw chunks are what each read brought, so the deadline is checked per read.
    for chunk in _body_pieces(response):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(
                f"Body exceeds the limit of {max_bytes:,} bytes", http_status=response.status_code
            )
        if sink is None:
            body += chunk
        else:
            sink.write(chunk)
        if deadline.passed():
            raise NetworkError(
                f"Gave up after the {deadline.seconds:g} s deadline (the body came too slowly)",
                http_status=response.status_code,
            )
        rate.check(len(chunk), response)
    return bytes(body)


# A body we do not use (a redirect's, a 304's) is read up to this size, so that the connection
# can go back to the pool; a larger one closes the connection instead.
DRAIN_MAX = 64 * 1024


def _drain(response: httpx.Response, deadline: _Deadline) -> None:
    # Raw bytes, dropped as they come: nothing is inflated or kept. Stopping early (too large,
    # too late, a broken read) leaves the body unread, so closing the response closes the
    # connection instead of pooling it.
    size = 0
    with contextlib.suppress(httpx.HTTPError):
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > DRAIN_MAX or deadline.passed():
                return


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
    headers = {
        "Accept": accept,
        "Accept-Encoding": ACCEPT_ENCODING,
        "User-Agent": settings.PODINDEX_USER_AGENT,
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current, permanent, hops = url, True, 0
    # Requests go straight to the pooled transport: an httpx.Client would only add URL and
    # header merging, cookie handling and redirect machinery this fetch does not use (it
    # sends no cookies and follows redirects by hand), at a third of a 304 poll's HTTP CPU.
    transport = _transport(not settings.PODINDEX_ALLOW_PRIVATE_URLS)
    extensions = {"timeout": httpx.Timeout(timeout, connect=min(timeout, 10.0)).as_dict()}
    with _Deadline(total_timeout or timeout * DEADLINE_FACTOR) as deadline:
        while True:
            check_url(current)
            try:
                request = httpx.Request(
                    "GET", _parsed_url(current), headers=headers, extensions=extensions
                )
                with _send(transport, request) as response:
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
                        _drain(response, deadline)
                        continue
                    if status == 304:
                        _drain(response, deadline)
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


@functools.lru_cache(maxsize=4096)
def _parsed_url(url: str) -> httpx.URL:
    """httpx's parse of a URL, kept: a poller fetches the same feed URLs over and over, and
    parsing one was a tenth of an unchanged poll's fetch CPU. httpx URLs are immutable."""
    return httpx.URL(url)


@contextlib.contextmanager
def _send(transport: _GuardedTransport, request: httpx.Request) -> Iterator[httpx.Response]:
    """The response to `request`, its body unread, closed (its connection released) on exit."""
    response = transport.handle_request(request)
    response.request = request
    try:
        yield response
    finally:
        response.close()


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
