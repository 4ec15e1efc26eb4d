"""The timing set-up the page benchmarks share: URLs through the full middleware stack with
Django's test client, rounds interleaved so drift hits every URL alike, medians against a
trivial view measured in the same run.

Import after django.setup() (the scripts set their environment first).
"""

import argparse
import statistics
import sys
import time

from django.db import connection
from django.test import Client

TRIVIAL = "trivial view (robots.txt)"


def arguments(description: str) -> argparse.Namespace:
    """--rounds and --warmup; exits unless the database is PostgreSQL (the bench catalogue)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against the PostgreSQL bench database (DATABASE_URL).")
    return args


def time_urls(
    urls: dict[str, str], rounds: int, warmup: int, headers=None, client=None
) -> dict[str, list[float]]:
    """Milliseconds per request of each named URL (the trivial view first), warm-up left out."""
    headers = headers or {}
    client = client or Client()
    urls = {TRIVIAL: "/robots.txt", **urls}
    timings = {name: [] for name in urls}
    for round_number in range(warmup + rounds):
        for name, url in urls.items():
            started = time.perf_counter()
            response = client.get(url, headers=headers.get(name, {}))
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                sys.exit(f"{url} answered {response.status_code}")
            if round_number >= warmup:
                timings[name].append(elapsed * 1000)
    return timings


def report(timings: dict[str, list[float]], heading: str = "page") -> None:
    """Median, p95 and the median's ratio to the trivial view's, one line per URL."""
    base = statistics.median(timings[TRIVIAL])
    print(f"{heading:<30} {'median ms':>10} {'p95 ms':>8} {'× trivial':>10}")
    for name, values in timings.items():
        median = statistics.median(values)
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"{name:<30} {median:>10.2f} {p95:>8.2f} {median / base:>10.2f}")
