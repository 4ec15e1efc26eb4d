"""Time the JSON API's endpoints against a trivial Django view, in one run, with one client.

Load the catalogue first (see bench/browse_pages.py), then:

    DATABASE_URL=... .venv/bin/python bench/api_pages.py [--rounds 60]

Requests go through the full middleware stack via Django's test client, rounds interleaved.
Target: list endpoints and an episode within 10x the trivial view. The rate limit is lifted:
one client sends every request.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")
os.environ.setdefault("PODINDEX_API_RATE_LIMIT", str(10**9))

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from episodes.models import Episode  # noqa: E402
from shows.models import Category, Show  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against the PostgreSQL bench database (DATABASE_URL).")

    show = Show.objects.ranked()[100]
    category = Category.objects.order_by("position").first()
    episode = Episode.objects.scored().filter(show=show).order_by("-score").first()
    client = Client()
    deep = client.get("/api/v1/shows?limit=100")
    for _ in range(8):  # the cursor of the 900th show
        deep = client.get(deep.json()["next"])
    urls = {
        "trivial view (robots.txt)": "/robots.txt",
        "shows": "/api/v1/shows",
        "shows, category by score": f"/api/v1/shows?category={category.slug}&sort=score",
        "shows, recent, language": "/api/v1/shows?sort=recent&language=de",
        "shows, 900th onwards": deep.json()["next"],
        "show": f"/api/v1/shows/{show.slug}",
        "show's episodes": f"/api/v1/shows/{show.slug}/episodes",
        "show's episodes by score": f"/api/v1/shows/{show.slug}/episodes?sort=score",
        "episode with scorecard": f"/api/v1/shows/{show.slug}/episodes/{episode.slug}",
    }
    timings = {name: [] for name in urls}
    for round_number in range(args.warmup + args.rounds):
        for name, url in urls.items():
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                sys.exit(f"{url} answered {response.status_code}")
            if round_number >= args.warmup:
                timings[name].append(elapsed * 1000)

    base = statistics.median(timings["trivial view (robots.txt)"])
    shows, episodes = Show.objects.count(), Episode.objects.count()
    print(f"{args.rounds} rounds; {shows} shows, {episodes} episodes")
    print(f"{'endpoint':<28} {'median ms':>10} {'p95 ms':>8} {'× trivial':>10}")
    for name, values in timings.items():
        median = statistics.median(values)
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"{name:<28} {median:>10.2f} {p95:>8.2f} {median / base:>10.2f}")


if __name__ == "__main__":
    main()
