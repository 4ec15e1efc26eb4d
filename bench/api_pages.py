"""Time the JSON API's endpoints against a trivial Django view, in one run, with one client.

Load the catalogue first (see bench/browse_pages.py), then:

    DATABASE_URL=... .venv/bin/python bench/api_pages.py [--rounds 60]

Two passes, timed as bench/browse_pages.py times the pages (bench/timing.py): cold, with the
response cache off, so every request runs its queries; then warm, as a repeat request is
served until the content changes. Target: list endpoints and an episode cold within 10x the
trivial view. The rate limit is lifted: one client sends every request.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")
os.environ.setdefault("PODINDEX_API_RATE_LIMIT", str(10**9))

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from bench import timing  # noqa: E402
from episodes.models import Episode, Topic, Transcript  # noqa: E402
from people.models import PersonRanking  # noqa: E402
from shows.models import Category, Show  # noqa: E402


def main():
    args = timing.arguments(__doc__)
    show = Show.objects.ranked()[100]
    category = Category.objects.order_by("position").first()
    episode = Episode.objects.scored().filter(show=show).order_by("-score").first()
    transcribed = Transcript.objects.listed().select_related("episode__show").first().episode
    topic = Topic.objects.order_by("pk").first()
    person = PersonRanking.objects.filter(rank__isnull=False).order_by("rank").first().person
    client = Client()
    deep = client.get("/api/v1/shows?limit=100")
    for _ in range(8):  # the cursor of the 900th show
        deep = client.get(deep.json()["next"])
    scored = client.get("/api/v1/episodes/scored?limit=100")
    for _ in range(20):  # the cursor of the 2,100th newly scored episode
        scored = client.get(scored.json()["next"])
    episode_url = f"/api/v1/shows/{show.slug}/episodes/{episode.slug}"
    transcribed_url = f"/api/v1/shows/{transcribed.show.slug}/episodes/{transcribed.slug}"
    urls = {
        "shows": "/api/v1/shows",
        "shows, category by score": f"/api/v1/shows?category={category.slug}&sort=score",
        "shows, recent, language": "/api/v1/shows?sort=recent&language=de",
        "shows, 900th onwards": deep.json()["next"],
        "show": f"/api/v1/shows/{show.slug}",
        "show's episodes": f"/api/v1/shows/{show.slug}/episodes",
        "show's episodes by score": f"/api/v1/shows/{show.slug}/episodes?sort=score",
        "episode with scorecard": episode_url,
        "episode's analysis": f"{transcribed_url}/analysis",
        "episode's transcript": f"{transcribed_url}/transcript",
        "categories": "/api/v1/categories",
        "rankings": "/api/v1/rankings",
        "rankings, category": f"/api/v1/rankings?category={category.slug}",
        "topics": "/api/v1/topics",
        "topic's episodes": f"/api/v1/topics/{topic.slug}/episodes",
        "newly scored": "/api/v1/episodes/scored",
        "newly scored, 2,100th on": scored.json()["next"],
        "newly scored, filtered": f"/api/v1/episodes/scored?category={category.slug}&min_score=60",
        "search, one word": "/api/v1/search?q=pricing",
        "people": "/api/v1/people",
        "people, category": f"/api/v1/people?category={category.slug}",
        "person": f"/api/v1/people/{person.slug}",
    }
    print(f"{Show.objects.count()} shows, {Episode.objects.count()} episodes")
    for label, seconds in (("cold (response cache off)", 0), ("warm (response cache on)", 300)):
        settings.PODINDEX_PAGE_CACHE_SECONDS = seconds
        print(f"\n{label}, {args.rounds} rounds")
        timing.report(timing.time_urls(urls, args.rounds, args.warmup, client=client), "endpoint")


if __name__ == "__main__":
    main()
