"""Time a ranking refresh after one score change, at the bench catalogue's size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/browse_bench .venv/bin/python bench/ranking.py

(load the catalogue as bench/browse_pages.py says). Prints, as a deployment with workers runs
them: refresh_show (one show's figures; ranks deferred), the debounced re-rank of every show,
and the every-minute pass that refreshes category means and the shows of drifted categories;
then, where the catalogue has people, one person's refresh, their re-rank and the sweep.
Target: refresh after one scorecard ≤ 20 ms at 5,000 shows.
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

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from people import ranking as people_ranking  # noqa: E402
from people.models import PersonRanking  # noqa: E402
from scoring import ranking  # noqa: E402
from shows.models import Show  # noqa: E402

ROUNDS = 20


def timed_ms(function, rounds=ROUNDS):
    """Median milliseconds of `function`, each run rolled back so every round starts alike."""
    times = []
    for _ in range(rounds):
        with transaction.atomic():
            started = time.perf_counter()
            function()
            times.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
    return statistics.median(times)


def main():
    if connection.vendor != "postgresql":
        sys.exit("Run against the PostgreSQL bench database (DATABASE_URL).")
    # As deployed: workers run the debounced re-rank (the queued message is rolled back here).
    settings.CELERY_TASK_ALWAYS_EAGER = False
    ranking.refresh_category_means()
    show = Show.objects.ranked()[100]
    print(f"{Show.objects.count()} shows; median of {ROUNDS} runs")
    figures = {
        "refresh_show (one show, ranks deferred)": timed_ms(lambda: ranking.refresh_show(show.pk)),
        "rerank_now (every show, debounced task)": timed_ms(ranking.rerank_now),
        "refresh_drifted_shows (nothing drifted)": timed_ms(ranking.refresh_drifted_shows, 5),
    }
    figures |= people_figures()
    for name, ms in figures.items():
        print(f"{name:<42} {ms:8.1f} ms")


def people_figures() -> dict[str, float]:
    """The people's refresh (people.ranking), where the catalogue has people."""
    guest = (
        PersonRanking.objects.filter(rank__isnull=False, guest_count__gt=0)
        .order_by("rank", "pk")[100:101]
        .first()
    )
    if guest is None:
        return {}
    print(f"{PersonRanking.objects.count()} people with figures")
    # The sweep's start: nothing changed since the previous one.
    cache.set(people_ranking.SWEPT_KEY, timezone.now())
    return {
        "refresh_people (one guest, unchanged)": timed_ms(
            lambda: people_ranking.refresh_people([guest.person_id])
        ),
        "people rerank (every person)": timed_ms(people_ranking.rerank, 5),
        "people sweep (nothing changed)": timed_ms(people_ranking.refresh_changed, 5),
    }


if __name__ == "__main__":
    main()
