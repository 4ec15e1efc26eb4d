"""Fixtures for the hostile-input suite: real servers on 127.0.0.1 and cost measurements."""

import contextlib
import gc
import threading
import time
import tracemalloc
from dataclasses import dataclass

import pytest

from tests.factories.http import LocalServer


@pytest.fixture
def server(settings):
    """A real HTTP server on 127.0.0.1 (private addresses allowed for the test's fetches)."""
    settings.PODINDEX_ALLOW_PRIVATE_URLS = True
    local = LocalServer().start()
    yield local
    local.stop()


def drip_headers(lines: int = 60, interval: float = 0.25):
    """A handler that sends the status line, then one header line every `interval` seconds."""

    def handler(request):
        request.server.owner.dripped = 0
        with contextlib.suppress(OSError):
            request.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for n in range(lines):
                request.wfile.write(f"X-Drip-{n}: {n}\r\n".encode())
                request.wfile.flush()
                request.server.owner.dripped += 1
                time.sleep(interval)
            request.wfile.write(b"Content-Length: 0\r\n\r\n")
        request.close_connection = True

    return handler


def drip_body(size: int = 400, interval: float = 0.05):
    """A handler that sends full headers, then the body one byte every `interval` seconds."""

    def handler(request):
        request.server.owner.dripped = 0
        with contextlib.suppress(OSError):
            request.send_response(200)
            request.send_header("Content-Type", "application/rss+xml")
            request.send_header("Content-Length", str(size))
            request.end_headers()
            for _ in range(size):
                request.wfile.write(b"x")
                request.wfile.flush()
                request.server.owner.dripped += 1
                time.sleep(interval)
        request.close_connection = True

    return handler


def wait_for(release: threading.Event):
    """A handler that answers only once the test sets `release` (at most 30 s)."""

    def handler(request):
        release.wait(30)
        body = request.server.owner.held_body
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        with contextlib.suppress(OSError):
            request.wfile.write(body)

    return handler


@dataclass
class Cost:
    """What one call cost: CPU seconds of this process and the peak of traced allocations."""

    cpu: float
    peak_bytes: int
    result: object = None
    error: BaseException | None = None

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / 1024 / 1024


def measure(func, *args, **kwargs) -> Cost:
    """Run func once under tracemalloc and time.process_time; exceptions are kept, not raised."""
    gc.collect()
    tracemalloc.start()
    started = time.process_time()
    result = error = None
    try:
        result = func(*args, **kwargs)
    except Exception as exc:
        error = exc
    cpu = time.process_time() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Cost(cpu=cpu, peak_bytes=peak, result=result, error=error)


def cpu_seconds(func, *args, repeat: int = 3) -> float:
    """The least CPU time of a few runs (no tracing): the figure CPU ratios compare."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        with contextlib.suppress(Exception):
            func(*args)
        best = min(best, time.process_time() - started)
    return best
