"""Time site search (browse.search.search) per kind of query, uncached, on the bench catalogue.

Load the catalogue first (a scratch PostgreSQL database; see bench/browse_pages.py):

    createdb browse_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/browse_bench .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python bench/catalogue.py
    DATABASE_URL=... .venv/bin/python bench/search.py [--rounds 40] [--explain] [--pages]

Each timing is one call of search(), the work the search page does before rendering, with no
page cache in front: the shows, episodes and transcript-moment queries and the snippets. The
kinds interleave round by round so drift hits all of them alike. --pages also times the
full search page (middleware, template) with the page cache cleared before each request.
--explain prints EXPLAIN (ANALYZE, BUFFERS) of every SQL statement one search runs. --cpu adds
the CPU time of each search: this process's (median) and its PostgreSQL backend's (mean: the
kernel counts a process's CPU in clock ticks, 10 ms); unlike wall time, neither grows with the
machine's load, so two versions can be compared on busy cores.
PODINDEX_SEARCH_ENGINE=tantivy times the search engine instead (build its index first:
`manage.py rebuild_search_index`); --compare prints, per kind, how many of the first 20
episodes, transcript moments and 5 shows the two engines have in common.
Target: every kind within 50 ms at p99 with 250,000 episodes (the page searches as you type).

The bench vocabulary has 130 words, so a single word is in about a fifth of all episodes and
in most transcripts; numbers are rarer: "(49)" ends one episode title in fifty, and each
"Show 4321" title names a single show.
"""

import argparse
import gc
import os
import statistics
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from browse.search import search  # noqa: E402
from core.prepared import batched_statements  # noqa: E402
from episodes.models import Episode  # noqa: E402

# As each web worker does once loaded (podindex/wsgi.py): what the process loaded at start is
# left out of the collector's full passes, which otherwise stall a search now and then.
gc.freeze()

KINDS = {
    "one common word": "pricing",
    "common word, page 5": ("pricing", 5),
    "two words": "pricing churn",
    "two-word phrase": '"pricing churn"',
    "medium word (2%)": "49",
    "rare: 3-word phrase": '"pricing churn pipeline"',
    "rare word (one show)": "4321",
    "no hit": "zyzzyva",
    "common or no-hit": "pricing or zyzzyva",
    "common minus common": "pricing -churn",
    "phrase or no-hit": '"pricing churn" or zyzzyva',
}

# What a search sends: SELECTs, and EXECUTEs of its prepared statements (browse.search), which
# it sends together as one query (counted as the statements it holds).
STATEMENTS = ("SELECT", "EXECUTE")


def run(kind_query):
    query, page = kind_query if isinstance(kind_query, tuple) else (kind_query, 1)
    return search(query, page=page)


def explain(kind, kind_query):
    with CaptureQueriesContext(connection) as captured:
        run(kind_query)
    print(f"\n=== {kind}: {kind_query!r} ({len(captured.captured_queries)} queries)")
    for sql in [s for e in captured.captured_queries for s in batched_statements(e["sql"])]:
        print(f"\n-- {sql}\n")
        if not sql.startswith(STATEMENTS):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            for (line,) in cursor.fetchall():
                print(line)


def compare(kinds) -> None:
    """Per kind: the first 20 episodes and moments and 5 shows of each engine, in common, and
    the mean score of each engine's first 20 episodes."""
    engine = settings.PODINDEX_SEARCH_ENGINE
    print(
        f"{'kind':<24} {'shows':>7} {'episodes':>9} {'moments':>8}   in common / postgres's;"
        " mean episode score postgres/tantivy"
    )
    for kind, kind_query in kinds.items():
        query, page = kind_query if isinstance(kind_query, tuple) else (kind_query, 1)
        found, means = {}, []
        for name in ("postgres", "tantivy"):
            settings.PODINDEX_SEARCH_ENGINE = name
            results = search(query, page=page, per_page=20)
            scores = [float(episode.score or 0) for episode in results.episodes]
            means.append(f"{statistics.mean(scores):.1f}" if scores else "-")
            found[name] = (
                [show.pk for show in results.shows],
                [episode.pk for episode in results.episodes],
                [moment.episode.pk for moment in results.moments],
            )
        counts = [
            f"{len(set(ours) & set(theirs))}/{len(ours)}"
            for ours, theirs in zip(found["postgres"], found["tantivy"], strict=True)
        ]
        print(f"{kind:<24} {counts[0]:>7} {counts[1]:>9} {counts[2]:>8}   {'/'.join(means)}")
    settings.PODINDEX_SEARCH_ENGINE = engine


class BackendCpu:
    """CPU milliseconds of this process and of the PostgreSQL backend serving its connection
    (when the server runs on this machine)."""

    def __init__(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
        if not self.stat.exists():
            sys.exit("--cpu needs the PostgreSQL server on this machine.")
        self.python, self.postgres = [], []

    def backend_ms(self) -> float:
        # utime and stime, fields 14 and 15 of proc(5), counted after the command's ")".
        fields = self.stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")

    @contextmanager
    def measure(self, keep: bool):
        python, postgres = time.process_time(), self.backend_ms()
        yield
        if keep:
            self.python.append((time.process_time() - python) * 1000)
            self.postgres.append(self.backend_ms() - postgres)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--pages", action="store_true")
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--cpu", action="store_true", help="also the CPU of Python and PostgreSQL")
    parser.add_argument("--only", help="run only the kinds whose name contains this")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against the PostgreSQL bench database (DATABASE_URL).")
    kinds = {k: q for k, q in KINDS.items() if not args.only or args.only in k}

    if args.explain:
        for kind, kind_query in kinds.items():
            explain(kind, kind_query)
        return
    if args.compare:
        compare(kinds)
        return

    timings = {kind: [] for kind in kinds}
    page_timings = {kind: [] for kind in kinds}
    cpu = {kind: BackendCpu() for kind in kinds} if args.cpu else {}
    found = {}
    client = Client()
    for round_number in range(args.warmup + args.rounds):
        for kind, kind_query in kinds.items():
            measured = cpu[kind].measure(round_number >= args.warmup) if cpu else nullcontext()
            with CaptureQueriesContext(connection) as captured, measured:
                started = time.perf_counter()
                results = run(kind_query)
                elapsed = (time.perf_counter() - started) * 1000
            found[kind] = (
                len(results.shows),
                len(results.episodes),
                len(results.moments),
                results.has_next,
                sum(
                    statement.startswith(STATEMENTS)
                    for entry in captured.captured_queries
                    for statement in batched_statements(entry["sql"])
                ),
            )
            if round_number >= args.warmup:
                timings[kind].append(elapsed)
            if args.pages:
                query, page = kind_query if isinstance(kind_query, tuple) else (kind_query, 1)
                cache.clear()
                started = time.perf_counter()
                response = client.get("/search/", {"q": query, "page": page})
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    sys.exit(f"search {query!r} page {page} answered {response.status_code}")
                if round_number >= args.warmup:
                    page_timings[kind].append(elapsed)

    print(
        f"{args.rounds} rounds; {Episode.objects.count()} episodes; search() uncached;"
        f" engine {settings.PODINDEX_SEARCH_ENGINE}"
    )
    header = f"{'kind':<24} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    if args.pages:
        header += f" {'page p50':>9} {'page p99':>9}"
    if cpu:
        header += f" {'CPU py':>7} {'CPU pg':>7}"
    print(header + "   shows/episodes/moments, more?, statements")
    for kind, values in timings.items():
        line = (
            f"{kind:<24} {statistics.median(values):>8.1f} {percentile(values, 0.99):>8.1f}"
            f" {max(values):>8.1f}"
        )
        if args.pages:
            pages = page_timings[kind]
            line += f" {statistics.median(pages):>9.1f} {percentile(pages, 0.99):>9.1f}"
        if cpu:
            python, postgres = cpu[kind].python, cpu[kind].postgres
            line += f" {statistics.median(python):>7.2f} {statistics.mean(postgres):>7.2f}"
        shows, episodes, moments, more, queries = found[kind]
        print(f"{line}   {shows}/{episodes}/{moments}, {'more' if more else 'last'}, {queries}")


if __name__ == "__main__":
    main()
