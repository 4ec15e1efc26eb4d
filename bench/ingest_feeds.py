"""Benchmark the feed poller against a locally served 2,000-item feed and a 50 MB body.

Run by hand (a scratch SQLite file by default, or any DATABASE_URL):

    .venv/bin/python bench/ingest_feeds.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ingest_bench .venv/bin/python \
        bench/ingest_feeds.py

Prints: feedparser's own parse time of the feed bytes (feedparser as shipped, defaults); our
parse alone; a show's first ingest (fetch, parse, write; median of three shows) and its ratio
to feedparser's parse; on
PostgreSQL, the search-vector batch the ingest leaves for after its commit;
re-polling unchanged (requests, writes); a changed copy with one new item (rows written);
and peak memory while the 50 MB body is refused at the cap.
"""

import io
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")
os.environ.setdefault("PODINDEX_ALLOW_PRIVATE_URLS", "1")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django

django.setup()

import feedparser  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from core import http  # noqa: E402
from episodes import ingest  # noqa: E402
from episodes.feed_items import fill_search_vectors  # noqa: E402
from episodes.models import Episode  # noqa: E402
from podindex.celery import app  # noqa: E402
from shows.ingest.one_pass import FEEDPARSER_STRICT  # noqa: E402
from shows.ingest.parse import parse_feed  # noqa: E402
from shows.models import Show  # noqa: E402
from tests.factories.feeds import BASE_DATE, item, rss  # noqa: E402
from tests.factories.http import LocalServer, stream_endless  # noqa: E402

ITEMS = 2000
NOTES = "<p>" + "We talk about pricing, churn and the CFO's view of SaaS metrics. " * 30 + "</p>"


def build_feed(count: int, first: int = 1) -> bytes:
    items = [
        item(
            n,
            published=BASE_DATE - timedelta(hours=n),
            description=NOTES,
            transcripts=[{"url": f"https://cdn.example.com/{n}.vtt", "type": "text/vtt"}],
            people=[{"name": "Jane Host"}, {"name": f"Guest {n}", "role": "guest"}],
        )
        for n in range(first, first + count)
    ]
    return rss(items, title="Benchmark Show").encode()


def timed(fn, repeat=1):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def writes(queries) -> int:
    return sum(
        1 for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    )


def repoll(server, show, label: str) -> None:
    """Poll the show again and print the requests, status and episode writes it cost."""
    before = len(server.requests)
    with CaptureQueriesContext(connection) as queries:
        fetch, poll_time = timed(lambda: ingest.poll(Show.objects.get(pk=show.pk)))
    episode_writes = sum(
        1
        for q in queries
        if "episodes_episode" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    )
    print(
        f"{label}: {len(server.requests) - before} request, status {fetch.status}, "
        f"{episode_writes} episode writes, {poll_time * 1000:.0f} ms"
    )


def main():
    # Transcript fetches are queued (as in production, for the workers), not run inline: an
    # in-memory broker takes them.
    app.conf.update(broker_url="memory://", task_always_eager=False)
    call_command("migrate", verbosity=0)
    Show.objects.filter(feed_url__startswith="http://127.0.0.1").delete()
    server = LocalServer().start()
    body = build_feed(ITEMS)
    print(f"Feed: {ITEMS} items, {len(body) / 1e6:.1f} MB")

    url = server.serve("/feed.xml", body, etag='"v1"')
    # Three rounds of: feedparser's parse, ours, and a show's first ingest (the show deleted
    # before, untimed); the median of each. Interleaved, so a busy machine slows all three.
    parse_times, own_times, ingest_times = [], [], []
    for _ in range(3):
        # feedparser as shipped (our one-pass subclass is in place during parse_feed only).
        assert feedparser.api.StrictFeedParser is FEEDPARSER_STRICT
        parse_times.append(timed(lambda: feedparser.parse(io.BytesIO(body)))[1])
        own_times.append(timed(lambda: parse_feed(body, "http://127.0.0.1/feed.xml"))[1])
        Show.objects.filter(feed_url=url).delete()
        (show, fetch), ingest_time = timed(lambda: ingest.add_show(url))
        ingest_times.append(ingest_time)
    parse_time, own_parse, ingest_time = map(
        statistics.median, (parse_times, own_times, ingest_times)
    )
    print(f"feedparser.parse alone (defaults, median of 3): {parse_time:.2f} s")
    print(
        f"Our parse_feed alone (median of 3): {own_parse:.2f} s = "
        f"{own_parse / parse_time:.2f}x feedparser's parse time"
    )
    print(
        f"First ingest (fetch + parse + write {fetch.new_count} episodes, median of 3: "
        f"{', '.join(f'{t:.2f}' for t in ingest_times)}): {ingest_time:.2f} s"
        f" = {ingest_time / parse_time:.2f}x feedparser's parse time"
    )

    if connection.vendor == "postgresql":
        # Queued after the commit (for a worker): the search vectors the ingest deferred.
        filled, fill_time = timed(lambda: fill_search_vectors(show.pk))
        print(f"Search vectors filled after the commit (task): {filled} in {fill_time:.2f} s")

    repoll(server, show, "Re-poll unchanged (ETag)")

    server.serve("/feed.xml", body)  # no ETag now: the body hash must catch it
    show = Show.objects.get(pk=show.pk)
    show.etag = ""
    show.save(update_fields=["etag"])
    repoll(server, show, "Re-poll unchanged (same bytes, no validators)")

    changed = build_feed(ITEMS + 1, first=0)
    server.serve("/feed.xml", changed)
    stamps = dict(Episode.objects.filter(show=show).values_list("guid", "updated_at"))
    with CaptureQueriesContext(connection) as queries:
        fetch, change_time = timed(lambda: ingest.poll(Show.objects.get(pk=show.pk)))
    after = dict(Episode.objects.filter(show=show).values_list("guid", "updated_at"))
    touched = [guid for guid, stamp in after.items() if stamps.get(guid) != stamp]
    print(
        f"Changed copy with one new item: {fetch.new_count} new, {fetch.updated_count} "
        f"updated, rows written {len(touched)} ({touched}), {writes(queries)} write "
        f"statements, {change_time:.2f} s"
    )

    server.serve("/huge.xml", handler=stream_endless())
    tracemalloc.start()
    start = time.perf_counter()
    try:
        http.fetch(server.url("/huge.xml"))
    except http.TooLarge as exc:
        outcome = f"refused: {exc}"
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    time.sleep(0.5)
    streamed = getattr(server, "streamed_bytes", 0)
    print(
        f"50 MB body: {outcome}; peak Python memory {peak / 1e6:.1f} MB; server wrote "
        f"{streamed / 1e6:.1f} MB before the hang-up; {time.perf_counter() - start:.2f} s"
    )
    server.stop()


if __name__ == "__main__":
    main()
