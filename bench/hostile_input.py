"""What hostile feeds and transcripts cost: CPU seconds, peak memory, and what was kept.

Run by hand (a scratch SQLite file by default, or any DATABASE_URL), all cases or some:

    .venv/bin/python bench/hostile_input.py
    .venv/bin/python bench/hostile_input.py attributes notes

Cases: `compression` (a 1.8 KB body sent as "gzip, gzip" and a 200 MB gzip bomb, under the
20 MB feed cap: peak memory traced), `drip` (a body of one byte every 0.5 s: seconds until
the fetch ends), `items` (a feed of 150,000 items: parse CPU, peak memory, items kept, and
the episodes stored by a poll), `attributes` (one element with 20k/40k attributes in a feed),
`transcript` (1 MB of nested <div> and of "&" as an HTML transcript), `notes` (20 items
whose notes are 100 KB of nested <div>), `batch` (that feed polled in one batch with two
small ones: the seconds the small ones record). Each costly case prints a normal input of
the same size next to it.
"""

import contextlib
import gc
import gzip
import os
import sys
import tempfile
import time
import tracemalloc
import zlib
from datetime import timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")
os.environ.setdefault("PODINDEX_ALLOW_PRIVATE_URLS", "1")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from core import http  # noqa: E402
from episodes import ingest  # noqa: E402
from episodes.models import Episode  # noqa: E402
from episodes.transcripts.parse import parse_transcript  # noqa: E402
from podindex.celery import app  # noqa: E402
from shows.ingest.parse import parse_feed  # noqa: E402
from shows.models import Show  # noqa: E402
from tests.factories.feeds import BASE_DATE, item, rss  # noqa: E402
from tests.factories.http import LocalServer, Route  # noqa: E402
from tests.hostile import payloads  # noqa: E402

MB = 1024 * 1024


def cost(func, *args, trace=True):
    """(CPU seconds, peak traced MiB, result or exception) of one call."""
    gc.collect()
    if trace:
        tracemalloc.start()
    started = time.process_time()
    try:
        result = func(*args)
    except Exception as exc:
        result = exc
    cpu = time.process_time() - started
    peak = tracemalloc.get_traced_memory()[1] / MB if trace else 0.0
    if trace:
        tracemalloc.stop()
    return cpu, peak, result


def show(label, func, *args, trace=False):
    """Print a call's CPU seconds (untraced) and, with `trace`, its peak memory (a second run)."""
    cpu, _, result = cost(func, *args, trace=False)
    peak = cost(func, *args)[1] if trace else 0.0
    if isinstance(result, Exception):
        outcome = f"{type(result).__name__}: {str(result)[:90]}"
    elif hasattr(result, "items") and hasattr(result, "warnings"):
        outcome = f"{len(result.items)} items; {' '.join(result.warnings)[:90]}"
    else:
        outcome = type(result).__name__
    memory = f", peak {peak:,.1f} MiB" if trace else ""
    print(f"  {label}: {cpu:.2f} s CPU{memory} -> {outcome}")


def gzip_of_zeros(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(MB)
    parts = [compressor.compress(block) for _ in range(size // MB)]
    return b"".join([*parts, compressor.flush()])


def compression(server):
    print("compression (cap 20 MiB):")
    layered = gzip.compress(gzip_of_zeros(2048 * MB))
    url = server.serve("/layers.xml", layered, headers={"Content-Encoding": "gzip, gzip"})
    show(f"{len(layered):,} bytes as 'gzip, gzip' (2 GiB inflated)", http.fetch, url, trace=True)
    bomb = gzip_of_zeros(200 * MB)
    url = server.serve("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})
    show(f"{len(bomb):,} bytes as 'gzip' (200 MiB inflated)", http.fetch, url, trace=True)


def drip(server):
    print("drip (one byte every 0.5 s, 400 bytes; deadline 3 x 20 s):")

    def handler(request):
        with contextlib.suppress(OSError):
            request.send_response(200)
            request.send_header("Content-Length", "400")
            request.end_headers()
            for _ in range(400):
                request.wfile.write(b"x")
                request.wfile.flush()
                time.sleep(0.5)

    server.routes["/drip.mp3"] = Route(handler=handler)
    started = time.monotonic()
    try:
        http.fetch(server.url("/drip.mp3"), timeout=20.0)
        outcome = "finished"
    except http.FetchError as exc:
        outcome = str(exc)
    print(f"  ended after {time.monotonic() - started:.1f} s: {outcome}")


def many_items_feed(count: int) -> bytes:
    entries = "".join(
        f"<item><guid>{n}</guid><pubDate>{BASE_DATE - timedelta(minutes=n):%d %b %Y %H:%M}"
        f' GMT</pubDate><enclosure url="https://c.example/{n}.mp3" type="audio/mpeg"/></item>'
        for n in range(count)
    )
    return f'<rss version="2.0"><channel><title>Many</title>{entries}</channel></rss>'.encode()


def items(server):
    body = many_items_feed(150_000)
    print(f"items (150,000 items, {len(body) / MB:.1f} MiB):")
    show("parse", parse_feed, body, trace=True)
    url = server.serve("/many.xml", body)
    target = Show.objects.create(feed_url=url, slug="many-items")
    started = time.monotonic()
    fetch = ingest.poll(target)
    print(
        f"  poll: {time.monotonic() - started:.1f} s, {fetch.status}, "
        f"{Episode.objects.filter(show=target).count():,} episodes stored; {fetch.error[:120]}"
    )


def attributes_feed(count: int) -> bytes:
    attrs = " ".join(f'a{i}="1"' for i in range(count))
    return payloads.feed_with_title("T").replace(
        b"<title>T</title>", f"<title>T</title><x {attrs}/>".encode(), 1
    )


def attributes(server):
    print("attributes (one element with N attributes):")
    for count in (20_000, 40_000):
        body = attributes_feed(count)
        show(f"{count:,} attributes ({len(body) / MB:.2f} MiB)", parse_feed, body)
        show("  normal feed of that size", parse_feed, payloads.normal_feed(len(body)))


def transcript(server):
    print("transcript (HTML, 1 MB):")
    parse_html = partial(parse_transcript, content_type="text/html")
    normal = payloads.normal_html_transcript(MB)
    for label, body in (
        ("nested <div>", b"<div>" * (MB // 5)),
        ('"&"', b"<p>" + b"&" * MB + b"</p>"),
    ):
        show(label, parse_html, body)
    show("normal transcript of that size", parse_html, normal)


def notes_feed() -> bytes:
    notes = "<div>" * 20_000
    return (
        rss([item(n, description="@@NOTES@@") for n in range(1, 21)])
        .replace("@@NOTES@@", f"<![CDATA[{notes}]]>")
        .encode()
    )


def notes(server):
    body = notes_feed()
    print(f"notes (20 items of 100 KB of nested <div>, {len(body) / MB:.1f} MiB):")
    show("hostile", parse_feed, body)
    show("normal feed of that size", parse_feed, payloads.normal_feed(len(body)))


def batch(server):
    print("batch (the 40k-attribute feed polled with two small feeds that come a second later):")
    slow = server.serve("/slow.xml", attributes_feed(40_000))
    # The small feeds arrive a second later, while the slow one is being parsed.
    small = [
        server.serve(f"/small-{n}.xml", payloads.normal_feed(20_000), delay=1.0) for n in (1, 2)
    ]
    shows = [
        Show.objects.create(feed_url=url, slug=f"batch-{n}") for n, url in enumerate([slow, *small])
    ]
    started = time.monotonic()
    fetches = ingest.poll_many([s.pk for s in shows], concurrency=3)
    print(f"  batch took {time.monotonic() - started:.1f} s")
    for fetch in fetches:
        name = fetch.show.feed_url.rsplit("/", 1)[1]
        print(f"  {name}: {fetch.status}, recorded {fetch.duration_ms / 1000:.1f} s")


CASES = {
    "compression": compression,
    "drip": drip,
    "items": items,
    "attributes": attributes,
    "transcript": transcript,
    "notes": notes,
    "batch": batch,
}


def main():
    app.conf.update(broker_url="memory://", task_always_eager=False)
    call_command("migrate", verbosity=0)
    Show.objects.filter(feed_url__startswith="http://127.0.0.1").delete()
    server = LocalServer().start()
    try:
        for name in sys.argv[1:] or CASES:
            CASES[name](server)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
