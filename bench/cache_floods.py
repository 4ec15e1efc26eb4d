"""What a flood of Host-header spellings and sitemap query strings leaves in the cache.

Runs on a scratch SQLite file with the local-memory cache (values are stored pickled, so their
lengths are the bytes a shared cache would hold):

    .venv/bin/python bench/cache_floods.py [--episodes 5000] [--ports 200] [--queries 8]

Prints the cached bytes after one request and after the flood, and the time per request.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ.pop("CACHE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from episodes.models import Episode  # noqa: E402
from tests.factories import EpisodeFactory, ShowFactory  # noqa: E402


def cached(markers: tuple[str, ...]) -> tuple[int, int]:
    """(entries, bytes) under keys containing one of `markers`."""
    values = [value for key, value in cache._cache.items() if any(m in key for m in markers)]
    return len(values), sum(len(value) for value in values)


def flood(client, label, marker, first, urls_and_hosts):
    cache.clear()
    client.get(first[0], headers={"Host": first[1]})
    one = cached(marker)
    started = time.perf_counter()
    for url, host in urls_and_hosts:
        client.get(url, headers={"Host": host})
    per_request = (time.perf_counter() - started) / len(urls_and_hosts)
    after = cached(marker)
    print(
        f"{label}: one request {one[0]} entries / {one[1]:,} B; after {len(urls_and_hosts)} more "
        f"{after[0]} entries / {after[1]:,} B (x{after[1] / max(one[1], 1):.1f}); "
        f"{1000 * per_request:.1f} ms per request"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=5000)
    parser.add_argument("--ports", type=int, default=200)
    parser.add_argument("--queries", type=int, default=8)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    show = ShowFactory(slug="bench")
    Episode.objects.bulk_create(EpisodeFactory.build_batch(args.episodes, show=show))
    client = Client()
    ports = random.sample(range(1024, 65536), args.ports)
    flood(
        client,
        f"/shows/ over {args.ports} Host ports",
        (":podindex:page:",),
        ("/shows/", "localhost"),
        [("/shows/", f"localhost:{port}") for port in ports],
    )
    flood(
        client,
        f"/sitemap-episodes.xml ({args.episodes:,} episodes) over {args.queries} query strings",
        # Ours, and Django's cache_page (which the sitemaps used before).
        (":podindex:sitemap:", "cache_page"),
        ("/sitemap-episodes.xml", "localhost"),
        [
            (f"/sitemap-episodes.xml?x={random.getrandbits(32)}", "localhost")
            for _ in range(args.queries)
        ],
    )


if __name__ == "__main__":
    main()
