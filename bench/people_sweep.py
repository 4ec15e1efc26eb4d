"""Benchmark the people sweep: episodes read per second, and what an idle minute costs.

Run by hand against PostgreSQL (migrated first; the bench rows are added to what is there):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_people .venv/bin/python \\
        bench/people_sweep.py --shows 100 --episodes 100

It makes SHOWS shows of EPISODES episodes, each item tagged with its show's host and two
guests drawn from a pool shared across shows (half with an href, so one guest is one person
across shows), then measures:

- the first sweep of every episode (episodes per second, in batches as beat runs them);
- an idle sweep, nothing changed: the query that finds changed episodes, against a count of
  the episodes (the floor of any query that looks at all of them);
- a sweep after 1% of the episodes changed their tags.

Medians of several runs; give `uptime`'s load average with the figures.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/h_people")


def timed(func, runs: int) -> float:
    """Median seconds of `runs` calls."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def build(shows: int, episodes: int, tag: str) -> list[int]:
    from django.utils import timezone

    from episodes.models import Episode
    from shows.models import Show

    rng = random.Random(7)
    pool = [
        f"Guest{chr(65 + n % 26)} Person{chr(65 + n // 26 % 26)}{chr(97 + n // 676)}"
        for n in range(3000)
    ]
    made = Show.objects.bulk_create(
        Show(
            feed_url=f"https://bench.example/{tag}/{s}.xml",
            title=f"Bench {tag} {s}",
            slug=f"bench-{tag}-{s}",
            author="Bench Media",
        )
        for s in range(shows)
    )
    now = timezone.now()
    rows = []
    for show in made:
        letters = "".join(chr(97 + int(d)) for d in str(show.pk))
        host = {"name": f"Host B{letters}", "role": "host"}
        for e in range(episodes):
            guests = [
                {"name": name, "role": "guest"}
                | ({"href": f"https://people.example/{name.replace(' ', '-')}"} if i % 2 else {})
                for i, name in enumerate(rng.sample(pool, 2))
            ]
            rows.append(
                Episode(
                    show=show,
                    guid=f"{tag}-{show.pk}-{e}",
                    title=f"Episode {e}",
                    slug=f"episode-{e}",
                    published_at=now,
                    people=[host, *guests],
                    created_at=now,
                    updated_at=now,
                )
            )
    Episode.objects.bulk_create(rows, batch_size=2000)
    return [show.pk for show in made]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shows", type=int, default=100)
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import logging

    import django

    django.setup()
    logging.getLogger("people.sweep").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from episodes.models import Episode
    from people import sweep
    from people.models import Person

    tag = str(int(time.time()))
    show_ids = build(args.shows, args.episodes, tag)
    total = args.shows * args.episodes
    print(f"{total} episodes on {args.shows} shows; load {os.getloadavg()}", flush=True)

    started = time.perf_counter()
    done = 0
    while True:
        changed = sweep.sweep(sweep.SWEEP_BATCH)
        done += changed
        if not changed:
            break
    first = time.perf_counter() - started
    people = Person.objects.count()
    print(
        f"first sweep: {done} episodes in {first:.1f} s = {done / first:.0f} episodes/s; "
        f"{people} people"
    )

    count = timed(lambda: Episode.objects.count(), args.runs)
    idle = timed(
        lambda: list(sweep.changed_episodes().order_by("pk").values_list("pk")[:200]), args.runs
    )
    print(
        f"idle minute: changed-episodes query {idle * 1000:.0f} ms; count(*) of episodes "
        f"{count * 1000:.0f} ms; ratio {idle / count:.1f}x"
    )

    touched = list(
        Episode.objects.filter(show_id__in=show_ids)
        .order_by("?")
        .values_list("pk", flat=True)[: total // 100]
    )
    for episode in Episode.objects.filter(pk__in=touched):
        episode.people = [*episode.people[:1], {"name": "Changed Guest", "role": "guest"}]
        episode.save(update_fields=["people", "updated_at"])
    started = time.perf_counter()
    changed = sweep.sweep(len(touched) + 10)
    after = time.perf_counter() - started
    print(f"after 1% changed: {changed} episodes in {after * 1000:.0f} ms; load {os.getloadavg()}")


if __name__ == "__main__":
    main()
