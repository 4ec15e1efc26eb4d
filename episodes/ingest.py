"""The poll: fetch a show's feed, parse it, store the show and its episodes in one transaction.

The one entry point for polling a show, used by the tasks, the commands and the admin. It sits
in episodes because it writes both apps' rows: shows' fetch, parse and store steps
(shows.ingest) and the episodes' upsert (episodes.feed_items.store_feed_items), which it hands
to shows' store by name so the items are written in the show's transaction, under its row
lock. An unchanged feed costs one request: a 304, or a body whose hash we already have, is
never parsed. Whatever happens inside a poll is recorded as a FeedFetch with its reason (and
the show backs off): a poll never raises, so one bad feed cannot stop a batch.

Polling scales with connections, not processes: `poll_many`, run by the `poll_shows` task on
batches of due shows and by `manage.py poll_feeds`, keeps up to
PODINDEX_POLL_CONCURRENCY fetches in flight in a thread pool (at most PODINDEX_POLL_PER_HOST
per host) over the process's one connection pool and SSL context (core.http), and checks,
parses and stores each result in the calling thread as it arrives. Threads rather than an
asyncio client or a gevent pool: core.http's guarantees (address vetting on every connection,
manual redirects, the size cap, the deadline) are written against httpcore's sync backend and
stay as they are; the work between fetches is CPU-bound and serialised by the GIL anyway; and
a thread pool needs neither a second HTTP stack nor monkey-patching of the Celery worker.
Only the fetch runs in the threads, so a worker needs one database connection and the parser
(not thread-safe: it swaps warning filters) runs in one thread. Measured with
bench/polling.py (2 shared cores, PostgreSQL, 500 local feeds): an unchanged 304 poll went
from 49 ms to 2.5 ms of CPU (about 400 polls per CPU-second, 7x a bare conditional GET over a
reused client, was 117x), 286 polls/s in one process (was 19); behind 200 ms of latency 221
polls/s per process (was 4). An unchanged poll is one request and, on PostgreSQL, one
statement: the show's UPDATE and the FeedFetch INSERT (store.record_unchanged); the fetch log
is pruned once per batch. Issue 22 (same machine, load ~17, in one run): 2.7 ms of CPU per
unchanged poll became 1.5 ms (the ORM's two writes, httpcore's scan of one pool for every
host, a client built per fetch and `wait` over 64 futures were most of the difference). Then
(load 10-12, 3 runs each, old and new in turn): 3.2x the bare GET's CPU became 2.2x (1.04 ms
to 0.65 ms per poll), with unchanged polls written many to a statement (UnchangedBatch), the
fetch threads kept from batch to batch, and no SSL context made for http feeds.
"""

import logging
import os
import threading
import time
from collections import Counter, defaultdict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from queue import SimpleQueue
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from episodes.feed_items import store_feed_items
from shows.ingest import store
from shows.ingest.feed import Feed
from shows.ingest.fetch import FeedFetchFailed, FetchedFeed, fetch_feed
from shows.ingest.parse import InvalidFeed, parse_feed
from shows.ingest.store import (
    UnchangedBatch,
    create_show,
    prune_fetch_log,
    record_failure,
    record_unchanged,
)
from shows.models import FeedFetch, Show

logger = logging.getLogger(__name__)


def poll(show: Show, *, force: bool = False) -> FeedFetch:
    """Fetch, parse and store one show's feed; every outcome is recorded as a FeedFetch.

    An unexpected error (a database refusing a value, a bug) is recorded as a failed poll
    with its reason instead of being raised.
    """
    return _finish(show, _fetch(show, force), force)


@dataclass
class _Attempt:
    """What a fetch thread hands back: the fetched feed, or the error that stopped it."""

    outcome: FetchedFeed | Exception
    started_at: datetime
    clock: float


def _fetch(show: Show, force: bool) -> _Attempt:
    """The network part of a poll: no database access, so it may run in any thread."""
    started_at, clock = timezone.now(), time.monotonic()
    try:
        outcome = fetch_feed(show, force=force)
    except Exception as exc:
        outcome = exc
    return _Attempt(outcome, started_at, clock)


def _finish(
    show: Show, attempt: _Attempt, force: bool, unchanged: UnchangedBatch | None = None
) -> FeedFetch:
    """The rest of a poll, in the thread that owns the database connection.

    With `unchanged`, an unchanged poll's writes wait in that batch (see `poll_many`).
    """

    def elapsed() -> int:
        return round((time.monotonic() - attempt.clock) * 1000)

    started_at = attempt.started_at
    try:
        if isinstance(attempt.outcome, Exception):
            raise attempt.outcome
        return _store(show, attempt.outcome, force, started_at, elapsed, unchanged)
    except FeedFetchFailed as exc:
        return record_failure(
            show,
            exc.status,
            str(exc),
            started_at,
            elapsed(),
            http_status=exc.http_status,
            retry_after=exc.retry_after,
        )
    except Exception as exc:
        logger.exception("Poll of show %s failed unexpectedly", show.pk)
        return record_failure(
            show,
            Show.FetchStatus.INVALID,
            f"Unexpected error while polling: {type(exc).__name__}: {exc}",
            started_at,
            elapsed(),
        )


def _store(
    show: Show, fetched: FetchedFeed, force: bool, started_at, elapsed, unchanged=None
) -> FeedFetch:
    if fetched.unchanged_since(show) and not force:
        return record_unchanged(show, fetched, started_at, elapsed(), batch=unchanged)
    try:
        feed = parse_feed(fetched.result.body, base_url=fetched.result.final_url)
    except InvalidFeed as exc:
        return record_failure(
            show,
            Show.FetchStatus.INVALID,
            str(exc),
            started_at,
            elapsed(),
            http_status=fetched.result.status,
        )
    return store_feed(show, fetched, feed, started_at, elapsed, force=force)


def store_feed(show: Show, fetched: FetchedFeed, feed: Feed, started_at, elapsed, *, force):
    """Store a parsed feed: the show's fields and its items as episodes, in one transaction."""
    return store.store_feed(
        show, fetched, feed, started_at, elapsed, force=force, store_items=store_feed_items
    )


def poll_many(
    show_ids,
    *,
    force: bool = False,
    active_only: bool = True,
    concurrency: int | None = None,
    per_host: int | None = None,
    on_done=None,
) -> list[FeedFetch]:
    """Poll many shows at once, each exactly once; returns their FeedFetches as they finished.

    Fetches run in the process's fetch threads, `concurrency` (PODINDEX_POLL_CONCURRENCY) at a
    time, at most `per_host` (PODINDEX_POLL_PER_HOST) against one host, hosts in turn. The
    threads only fetch: checking, parsing and storing happen here, in the calling thread, as
    each fetch completes, so one slow feed holds up only its own thread, a worker needs one
    database connection however many fetches it runs, and the parser runs in one thread at a
    time (it is CPU-bound, so more threads would not make it faster). At most `concurrency`
    fetched bodies wait in memory. `on_done(show, fetch)` is called after each show recorded.
    Shows that are gone (or inactive, with `active_only`) are skipped, and so is one whose
    failure could not even be recorded (it is logged).
    """
    concurrency = max(1, concurrency or settings.PODINDEX_POLL_CONCURRENCY)
    per_host = max(1, per_host or settings.PODINDEX_POLL_PER_HOST)
    ids = list(dict.fromkeys(show_ids))
    shows = Show.objects.filter(pk__in=ids)
    if active_only:
        shows = shows.active()
    by_id = shows.in_bulk()
    queues: dict[str, deque[Show]] = defaultdict(deque)
    for show_id in ids:
        if show_id in by_id:
            queues[_host(by_id[show_id].feed_url)].append(by_id[show_id])
    ready = deque(queues)  # hosts with shows waiting and a free slot, in turn
    busy: Counter[str] = Counter()
    running: dict[Future, tuple[str, Show]] = {}
    # Each fetch puts its future here as it ends: taking them one at a time costs the same
    # however many are in flight, where `wait` watched every running future each time.
    finished: SimpleQueue[Future] = SimpleQueue()
    fetches: list[FeedFetch] = []
    # Unchanged polls are written together when no other fetch has finished meanwhile, or
    # UNCHANGED_BATCH of them wait: a poller that keeps up writes each at once, as before.
    unchanged = UnchangedBatch()
    pool = _fetch_pool(concurrency)

    def recorded(show: Show, fetch: FeedFetch) -> None:
        fetches.append(fetch)
        if on_done is not None:
            on_done(show, fetch)

    def write_unchanged() -> None:
        for show, fetch in unchanged.write():
            if fetch is not None:
                recorded(show, fetch)

    def submit() -> None:
        while ready and len(running) < concurrency:
            host = ready.popleft()
            show = queues[host].popleft()
            busy[host] += 1
            future = pool.submit(_fetch, show, force)
            running[future] = (host, show)
            future.add_done_callback(finished.put)
            if queues[host] and busy[host] < per_host:
                ready.append(host)

    try:
        submit()
        while running:
            if unchanged and (finished.empty() or len(unchanged) >= UNCHANGED_BATCH):
                write_unchanged()
            future = finished.get()
            host, show = running.pop(future)
            busy[host] -= 1
            if queues[host] and busy[host] == per_host - 1:
                ready.append(host)  # it had no free slot: it has one now
            submit()
            try:
                fetch = _finish(show, future.result(), force, unchanged)
            except Exception:
                # Not even the failure could be recorded (the show was deleted meanwhile):
                # the batch goes on.
                logger.exception("Poll of show %s could not be recorded", show.pk)
                continue
            if fetch.pk is not None:
                recorded(show, fetch)
        write_unchanged()
    finally:
        # An error above leaves fetches running: they end on their own, and their results go.
        for future in running:
            future.cancel()
    prune_fetch_log(by_id)
    return fetches


# Unchanged polls written in one statement at most (see `poll_many`).
UNCHANGED_BATCH = 100

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def _fetch_pool(concurrency: int) -> ThreadPoolExecutor:
    """The process's fetch threads, kept from batch to batch (starting 64 threads per batch
    cost a fresh worker's poll more CPU than its SSL context); at least `concurrency` of them.
    """
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < concurrency:
            if _pool is not None:
                _pool.shutdown(wait=False)  # what it runs now still ends, and its threads
            _pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="poll-fetch")
            _pool_size = concurrency
        return _pool


def _forget_pool_after_fork() -> None:
    # A forked worker has none of the parent's threads: it starts its own pool.
    global _pool, _pool_size, _pool_lock
    _pool, _pool_size, _pool_lock = None, 0, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def poll_by_id(show_id: int, *, force: bool = False) -> FeedFetch | None:
    """Poll a show by id; None when it is gone or inactive by the time the task runs."""
    show = Show.objects.active().filter(pk=show_id).first()
    return poll(show, force=force) if show else None


def add_show(url: str, categories=(), *, show: Show | None = None) -> tuple[Show, FeedFetch]:
    """Create a show for a feed URL (or reuse the one that has it) and poll it now.

    For commands and workers: a web request creates the show and queues its poll instead
    (`create_show`, then `episodes.poll_queue.queue_polls`).
    """
    show, created = create_show(url, categories, show=show)
    fetch = poll(show, force=created)
    # The poll works on a locked copy of the row: hand back what it stored.
    show.refresh_from_db()
    return show, fetch
