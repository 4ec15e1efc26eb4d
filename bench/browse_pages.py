"""Time the browsing pages against a trivial Django view, in one run, with one client.

Load the catalogue first (a scratch PostgreSQL database):

    createdb browse_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/browse_bench .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python bench/catalogue.py
    DATABASE_URL=... .venv/bin/python bench/browse_pages.py [--rounds 60]

Requests go through the full middleware stack via Django's test client; rounds interleave
the URLs so drift hits all of them alike. Target: every page within 3x of the trivial view.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")

import django

django.setup()

from bench import timing  # noqa: E402
from bench.load_pages import people_urls  # noqa: E402
from scoring.ranking import refresh_show  # noqa: E402
from shows.models import Category, Show  # noqa: E402


def main():
    args = timing.arguments(__doc__)
    show = Show.objects.ranked()[100]
    category = Category.objects.order_by("position").first()
    urls = {
        "health (SELECT 1)": "/health/",
        "ranking page": "/shows/",
        "ranking, htmx filter": f"/shows/?category={category.slug}&language=de&sort=recent",
        "ranking page 40": "/shows/?page=40",
        "category page": category.get_absolute_url(),
        "show page": show.get_absolute_url(),
        "show page by score": show.get_absolute_url() + "?sort=score",
        "site RSS": "/rss/",
        "filtered RSS": f"/rss/?category={category.slug}&min_score=60",
        "search, two words": "/search/?q=pricing+churn",
        "search, one word": "/search/?q=pricing",
        "search, phrase": '/search/?q="net+revenue"',
    }
    urls |= people_urls(category)
    htmx = {"ranking, htmx filter": {"HX-Request": "true", "HX-Target": "ranking"}}
    timings = timing.time_urls(urls, args.rounds, args.warmup, headers=htmx)
    print(f"{args.rounds} rounds; {Show.objects.count()} shows")
    timing.report(timings)

    refresh = []
    for _ in range(10):
        started = time.perf_counter()
        refresh_show(show.pk)
        refresh.append((time.perf_counter() - started) * 1000)
    print(f"\nrefresh_show (one show, re-rank all): median {statistics.median(refresh):.1f} ms")


if __name__ == "__main__":
    main()
