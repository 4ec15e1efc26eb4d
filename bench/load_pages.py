"""Every public page cold, under concurrent load: gunicorn with 4 workers, page cache off, and a
load generator in a separate process. Prints p50 and p99 per page and the ratio to a trivial view.

Load the catalogue first (see bench/browse_pages.py), then:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/browse_bench .venv/bin/python \\
        bench/load_pages.py [--requests 200] [--concurrency 4]

Targets: every page's p50 within 5x of the trivial view's and its p99 under 100 ms, so a page
after a cache flush costs the web machines little more than one that does nothing; the JSON
API's endpoints (served the same way) within 10x.

The load generator makes its clients once, before it times anything. Until December 2026 it
made four anew for each page and round, about 20 ms of CPU each (an httpx client builds an SSL
context), on the two cores the server had, just as each page's first requests were served: the
generator's CPU per trivial request was 3.6 ms (now 1.4; the worker's is 1). That inflated
every figure, and the trivial view's p50 most, so figures and ratios from before are not
comparable with later ones (same server code, load 12-19: trivial view p50 / p99 19.2 / 246.5
-> 4.9 / 32.8 ms).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
# --port or BENCH_PORT: another port, so two runs on one machine do not answer each other.
DEFAULT_PORT = int(os.environ.get("BENCH_PORT", "8799"))
TRIVIAL = "trivial view (robots.txt)"


def page_urls() -> dict[str, str]:
    """One URL per kind of public page, picked from the bench catalogue."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")
    import django

    django.setup()
    from django.db import connection

    from episodes.models import Episode, Topic
    from shows.models import Category, Show

    if connection.vendor != "postgresql":
        sys.exit("Run against the PostgreSQL bench database (DATABASE_URL).")
    show = Show.objects.ranked()[100]
    category = Category.objects.order_by("position").first()
    episode = Episode.objects.scored().order_by("-scored_at").first()
    topic = Topic.objects.order_by("pk").first()
    urls = {
        TRIVIAL: "/robots.txt",
        "home": "/",
        "ranking page": "/shows/",
        "ranking page 40": "/shows/?page=40",
        "ranking, filtered": f"/shows/?category={category.slug}&language=de&sort=recent",
        "category page": category.get_absolute_url(),
        "show page": show.get_absolute_url(),
        "show page by score": show.get_absolute_url() + "?sort=score",
        "episode page": episode.get_absolute_url(),
        "site RSS": "/rss/",
        "show RSS": show.get_absolute_url() + "rss/",
        "search, one word": "/search/?q=pricing",
        "search, two words": "/search/?q=pricing+churn",
        "methodology": "/methodology/",
    }
    if topic is not None:
        urls["topic page"] = topic.get_absolute_url()
    urls |= people_urls(category)
    urls |= api_urls(show, episode, category)
    connection.close()
    return urls


def api_urls(show, episode, category) -> dict[str, str]:
    """The JSON API's endpoints, served and loaded exactly as the pages are."""
    from episodes.models import Episode

    api = "/api/v1"
    episode_path = f"{api}/shows/{episode.show.slug}/episodes/{episode.slug}"
    # The newest scored episode may have no transcript (its analysis and transcript are 404s).
    transcribed = (
        Episode.objects.scored()
        .filter(transcript__isnull=False)
        .select_related("show")
        .order_by("-scored_at")
        .first()
    )
    transcribed_path = f"{api}/shows/{transcribed.show.slug}/episodes/{transcribed.slug}"
    return {
        "API shows": f"{api}/shows",
        "API shows, category by score": f"{api}/shows?category={category.slug}&sort=score",
        "API show": f"{api}/shows/{show.slug}",
        "API show's episodes": f"{api}/shows/{show.slug}/episodes",
        "API episode": episode_path,
        "API episode's analysis": transcribed_path + "/analysis",
        "API episode's transcript": transcribed_path + "/transcript",
        "API rankings": f"{api}/rankings",
        "API newly scored": f"{api}/episodes/scored",
        "API people": f"{api}/people",
        "API search": f"{api}/search?q=pricing",
    }


def people_urls(category) -> dict[str, str]:
    """The people pages, where the catalogue has people (bench/catalogue.py --people)."""
    from people.models import PersonRanking

    ranked = PersonRanking.objects.filter(rank__isnull=False).select_related("person")
    busiest = ranked.order_by("-appearance_count", "pk").first()
    typical = ranked.filter(guest_count__gt=0).order_by("rank", "pk")[100:101].first()
    if busiest is None or typical is None:
        return {}
    return {
        "people page": "/people/",
        "people, filtered": f"/people/?category={category.slug}&role=guest&sort=recent",
        "person page (typical guest)": typical.person.get_absolute_url(),
        "person page (busiest)": busiest.person.get_absolute_url(),
        "person RSS": typical.person.get_absolute_url() + "rss/",
    }


# The pages take turns in rounds, so a change in the machine's load while the bench runs
# (other processes on two cores) weighs on every page and on the trivial view alike, instead
# of on whichever page was being timed then.
ROUNDS = 10


def generate(urls: dict[str, str], port: int, requests: int, concurrency: int) -> None:
    """The load generator (its own process): every page in turn, `concurrency` clients at once."""
    results = {name: {"timings": [], "errors": []} for name in urls}
    rounds = min(ROUNDS, requests)
    # One client per thread for the whole run, made before any request is timed: making one
    # costs about 20 ms of CPU (see the module's doc), taken from the server being measured.
    clients = [
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) for _ in range(concurrency)
    ]
    for round_number in range(rounds):
        share = requests // rounds + (round_number < requests % rounds)
        for name, path in urls.items():
            result = load(clients, path, share)
            results[name]["timings"] += result["timings"]
            results[name]["errors"] += result["errors"]
    for client in clients:
        client.close()
    print(json.dumps(results))


def load(clients: list, path: str, requests: int) -> dict:
    """`requests` GETs of one path shared among the clients, each in its own thread: timings
    and errors."""
    timings: list[float] = []
    errors: list[int] = []
    tickets = iter(range(requests))
    lock = threading.Lock()

    def client_loop(client):
        while True:
            with lock:
                if next(tickets, None) is None:
                    return
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if response.status_code != 200:
                    errors.append(response.status_code)
                timings.append(elapsed)

    threads = [threading.Thread(target=client_loop, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"timings": timings, "errors": errors}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200, help="per page, after warm-up")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="gunicorn's port")
    parser.add_argument(
        "--only", nargs="+", metavar="WORD", help="only the pages whose names hold one of these"
    )
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(json.loads(args.generate), args.port, args.requests, args.concurrency)
        return

    port = args.port
    if answers(port):
        sys.exit(f"Something already answers on port {port}: pick another with --port.")
    urls = page_urls()
    if args.only:
        urls = {
            name: url
            for name, url in urls.items()
            if name == TRIVIAL or any(word in name for word in args.only)
        }
    env = {
        **os.environ,
        "DEBUG": "",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-" + "x" * 50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        # Cold: every request renders the page.
        "PODINDEX_PAGE_CACHE_SECONDS": "0",
        # One client sends every request: the API's per-address limit would answer 429.
        "PODINDEX_API_RATE_LIMIT": str(10**9),
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "podindex.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(port)
        load_at_start = load_average()
        command = [
            *(sys.executable, __file__, "--port", str(port)),
            *("--concurrency", str(args.concurrency)),
        ]
        # Warm-up: each worker process loads its code and opens its connection.
        subprocess.run(
            [*command, "--requests", "20", "--generate", json.dumps(urls)],
            check=True,
            capture_output=True,
        )
        out = subprocess.run(
            [*command, "--requests", str(args.requests), "--generate", json.dumps(urls)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        server.terminate()
        server.wait(30)
    report(json.loads(out), args, (load_at_start, load_average()))


def load_average() -> str:
    """The machine's one-minute load average, printed with the figures it weighs on."""
    return f"{os.getloadavg()[0]:.1f}"


def answers(port: int) -> bool:
    """Whether a server already answers on the port."""
    try:
        httpx.get(f"http://127.0.0.1:{port}/robots.txt", timeout=1)
    except httpx.HTTPError:
        return False
    return True


# Four workers importing the site on two busy cores (load 11 and more) took over 30 s to answer.
def wait_until_up(port: int, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answers(port):
            return
        time.sleep(0.2)
    sys.exit(f"gunicorn did not answer within {seconds:.0f} s")


def report(results: dict, args, loads: tuple[str, str]) -> None:
    def quantile(values, q):
        values = sorted(values)
        return values[min(len(values) - 1, int(q * len(values)))]

    base = statistics.median(results[TRIVIAL]["timings"])
    print(
        f"gunicorn 4 workers, page cache off, {args.concurrency} clients, "
        f"{args.requests} requests per page in {min(ROUNDS, args.requests)} rounds, "
        f"load average {loads[0]} at the start and {loads[1]} at the end"
    )
    print(f"{'page':<28} {'p50 ms':>8} {'p99 ms':>8} {'p50 × trivial':>14} {'errors':>7}")
    for name, result in results.items():
        values = result["timings"]
        p50 = statistics.median(values)
        print(
            f"{name:<28} {p50:>8.1f} {quantile(values, 0.99):>8.1f} {p50 / base:>14.1f} "
            f"{len(result['errors']):>7}"
        )


if __name__ == "__main__":
    main()
