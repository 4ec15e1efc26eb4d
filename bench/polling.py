"""Benchmark feed polling throughput: polls per second per process.

Run by hand against PostgreSQL (the database is created when missing):

    .venv/bin/python bench/polling.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/polling_bench .venv/bin/python \\
        bench/polling.py --feeds 500 --processes 1,2,4

A separate server process serves FEEDS small feeds (10 items, ~5 KB) from 16 loopback
addresses (127.0.0.1-16, so the per-host limit applies as it would to 16 publishers' hosts).
Every feed is ingested once, then re-polled by 1, 2 and 4 worker processes (each takes its
share and polls it the way a Celery worker runs `poll_shows` batches, having frozen what it loaded
at start as a Celery pool process does) in four cases:

- unchanged 304: the server honours If-None-Match;
- unchanged 200: no validators, the same bytes again (the body hash catches it);
- changed: every request adds one item (parse, store one new episode);
- 304 behind 200 ms of latency per response.

Printed per case and process count: polls/s in all, polls/s per process, and CPU ms per poll
(this process's CPU, all threads; the server's is not counted), and first of all a bare
conditional GET over one reused httpx client, the floor an unchanged poll is compared with.
With a checkout that has no `ingest.poll_many` (an older one) each process polls its share
one show at a time with `poll_by_id`, as one `poll_show` task per show did.
"""

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")
os.environ.setdefault("PODINDEX_ALLOW_PRIVATE_URLS", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/polling_bench")

HOSTS = 16
ITEMS = 10
LATENCY = 0.2
CASES = [
    ("unchanged 304", "etag"),
    ("unchanged 200, same body", "same"),
    ("changed (one new item)", "changed"),
    (f"304 behind {LATENCY * 1000:.0f} ms latency", "slow"),
]


# --- the feed server (its own process) ---------------------------------------------------


def feed_body(n: int, generation: int = 0) -> bytes:
    from tests.factories.feeds import item, rss

    items = [item(g, guid=f"feed{n}-ep{g}") for g in range(-generation, ITEMS - generation)]
    return rss(items, title=f"Bench Show {n}").encode()


class _Feeds(asyncio.Protocol):
    """Just enough HTTP/1.1 (keep-alive, GET, If-None-Match) to serve the bench feeds fast."""

    bodies: dict[int, bytes] = {}
    generations: dict[int, int] = {}

    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""

    def data_received(self, data):
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            headers = {k.lower(): v for k, v in headers.items()}
            self.answer(path, headers)

    def answer(self, path, headers):
        _, mode, name = path.split("/")
        n = int(name.split(".")[0])
        if n not in self.bodies:
            self.bodies[n] = feed_body(n)
        etag = f'"v{n}"'
        extra = ""
        if mode == "changed":
            self.generations[n] = self.generations.get(n, 0) + 1
            status, body = 200, feed_body(n, self.generations[n])
        elif mode in ("etag", "slow") and headers.get("if-none-match") == etag:
            status, body, extra = 304, b"", f"ETag: {etag}\r\n"
        elif mode in ("etag", "slow"):
            status, body, extra = 200, self.bodies[n], f"ETag: {etag}\r\n"
        else:
            status, body = 200, self.bodies[n]
        reason = {200: "OK", 304: "Not Modified"}[status]
        response = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/rss+xml\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        if mode == "slow":
            asyncio.get_running_loop().call_later(LATENCY, self._write, response)
        else:
            self._write(response)

    def _write(self, response):
        if not self.transport.is_closing():
            self.transport.write(response)


def serve(ports, ready):
    import django

    django.setup()  # the feed builder lives in the tests' factories package

    async def main():
        loop = asyncio.get_running_loop()
        servers = [
            await loop.create_server(_Feeds, f"127.0.0.{h + 1}", 0, backlog=1024)
            for h in range(HOSTS)
        ]
        ports.extend([s.sockets[0].getsockname()[1] for s in servers])
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


# --- the pollers -------------------------------------------------------------------------


def setup_django():
    import django

    django.setup()
    from podindex.celery import app

    # Work queued by new episodes (scoring, transcripts) stays queued, as with real workers.
    app.conf.update(broker_url="memory://", task_always_eager=False)


def poll_share(ids, batch, concurrency=None):
    from episodes import ingest

    if hasattr(ingest, "poll_many"):
        for start in range(0, len(ids), batch):
            ingest.poll_many(ids[start : start + batch], concurrency=concurrency)
    else:
        for show_id in ids:
            ingest.poll_by_id(show_id)


def worker(ids, batch, concurrency, barrier, results):
    setup_django()
    from django.db import connection

    from podindex.celery import freeze_what_the_worker_loaded

    freeze_what_the_worker_loaded()  # as each Celery pool process does once loaded

    connection.ensure_connection()
    barrier.wait()
    wall, cpu = time.perf_counter(), time.process_time()
    poll_share(ids, batch, concurrency)
    results.put((len(ids), time.perf_counter() - wall, time.process_time() - cpu))
    connection.close()


def run_case(ids, processes, batch, concurrency):
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    shares = [ids[p::processes] for p in range(processes)]
    procs = [
        ctx.Process(target=worker, args=(s, batch, concurrency, barrier, results)) for s in shares
    ]
    for proc in procs:
        proc.start()
    rows = [results.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join()
    polls = sum(r[0] for r in rows)
    slowest = max(r[1] for r in rows)
    per_process = statistics.mean(r[0] / r[1] for r in rows)
    cpu_ms = sum(r[2] for r in rows) / polls * 1000
    return polls / slowest, per_process, cpu_ms


def point_feeds(ports, mode, *, keep_validators):
    """Point every bench show at `mode`'s URL for its feed (the show's row only)."""
    from shows.models import Show

    for show in Show.objects.filter(slug__startswith="bench-show-").only("pk", "feed_url", "etag"):
        n = int(show.feed_url.rsplit("/", 1)[1].split(".")[0])
        base = f"http://127.0.0.{n % HOSTS + 1}:{ports[n % HOSTS]}"
        show.feed_url = f"{base}/{mode}/{n}.xml"
        if not keep_validators:
            show.etag = ""
        elif mode in ("etag", "slow"):
            show.etag = f'"v{n}"'
        show.save(update_fields=["feed_url", "etag"])


def bare_get(ports, repeat=2000):
    import httpx

    url = f"http://127.0.0.1:{ports[0]}/etag/0.xml"
    headers = {"If-None-Match": '"v0"'}
    with httpx.Client() as client:
        client.get(url, headers=headers)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(repeat):
            assert client.get(url, headers=headers).status_code == 304
        return (time.perf_counter() - wall) / repeat, (time.process_time() - cpu) / repeat


def create_database():
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] not in ("django.db.backends.postgresql", "core.postgresql"):
        return
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres"
    ) as conn:
        conn.autocommit = True
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--batch", type=int, default=250, help="shows per poll_shows task")
    parser.add_argument(
        "--concurrency", type=int, default=None, help="fetches in flight per process"
    )
    parser.add_argument("--cases", default=",".join(mode for _, mode in CASES))
    args = parser.parse_args()
    setup_django()
    create_database()
    from django.core.management import call_command
    from django.db import connection

    from shows.models import Show

    call_command("migrate", verbosity=0)
    ctx = multiprocessing.get_context("spawn")
    manager = ctx.Manager()
    ports, ready = manager.list(), ctx.Event()
    server = ctx.Process(target=serve, args=(ports, ready), daemon=True)
    server.start()
    ready.wait(30)
    ports = list(ports)
    print(f"{os.cpu_count()} CPUs; {args.feeds} feeds on {HOSTS} local hosts; {connection.vendor}")

    bare_wall, bare_cpu = bare_get(ports)
    print(
        f"Bare conditional GET (one reused httpx client): {bare_wall * 1000:.2f} ms wall, "
        f"{bare_cpu * 1000:.2f} ms CPU per request"
    )

    Show.objects.filter(slug__startswith="bench-show-").delete()
    shows = [
        Show(
            feed_url=f"http://127.0.0.{n % HOSTS + 1}:{ports[n % HOSTS]}/etag/{n}.xml",
            slug=f"bench-show-{n}",
            title=f"Bench Show {n}",
        )
        for n in range(args.feeds)
    ]
    ids = [s.pk for s in Show.objects.bulk_create(shows)]
    started = time.perf_counter()
    cpu = time.process_time()
    poll_share(ids, args.batch)
    elapsed = time.perf_counter() - started
    print(
        f"First ingest ({ITEMS} episodes each), one process: {len(ids) / elapsed:.0f} polls/s, "
        f"{(time.process_time() - cpu) / len(ids) * 1000:.1f} ms CPU per poll"
    )

    processes = [int(p) for p in args.processes.split(",")]
    unchanged_cpu = None
    for label, mode in CASES:
        if mode not in args.cases.split(","):
            continue
        print(f"\n{label}:")
        for count in processes:
            point_feeds(ports, mode, keep_validators=mode != "same")
            connection.close()
            total, per_process, cpu_ms = run_case(ids, count, args.batch, args.concurrency)
            print(
                f"  {count} process(es): {total:6.0f} polls/s in all, {per_process:6.0f} per "
                f"process, {cpu_ms:5.2f} ms CPU per poll ({1000 / cpu_ms:.0f} polls per CPU-s)"
            )
            if mode == "etag" and count == 1:
                unchanged_cpu = cpu_ms
    if unchanged_cpu:
        print(
            f"\nUnchanged 304 poll against the bare conditional GET: "
            f"{unchanged_cpu / (bare_cpu * 1000):.1f}x the CPU"
        )
    server.kill()


if __name__ == "__main__":
    main()
