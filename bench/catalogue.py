"""Load a large synthetic catalogue into PostgreSQL for the scale benchmarks (bench/).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/browse_bench .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python bench/catalogue.py [--shows 5000] [--episodes-per-show 50]
    DATABASE_URL=.../h_big .venv/bin/python bench/catalogue.py --scale 10   # 50,000 / 2,500,000

(scripts/bench-catalogue.sh does both, once.) 5,000 shows and 250,000 scored episodes by
default, each with a scorecard and five dimension scores, two topics, and a transcript for one
episode in ten, and 50,000 people on 500,000 appearances (`--people 0`: none; `--people-only`
adds them to a catalogue loaded before); `--scale N` multiplies the shows (N=10: 2,500,000
episodes without people took 80 minutes on 2 cores shared with other work: the COPYs 20, the
scores' UPDATE and the commit's deferred foreign-key checks of ~22 million rows 35, the show
rankings 25). Rows go in with COPY, streamed from generators (memory holds ids and scores, not
rows), so the search triggers fill the search vectors as they would for any other write.
"""

import argparse
import os
import random
import sys
from collections import defaultdict
from datetime import timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")

import django

django.setup()

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from episodes.models import Episode, Topic, Transcript  # noqa: E402
from people.models import Appearance, Person  # noqa: E402
from people.ranking import recompute_all as recompute_people  # noqa: E402
from scoring.models import DimensionScore, Rubric, Scorecard  # noqa: E402
from scoring.ranking import recompute_all  # noqa: E402
from shows.models import Category, Show, ShowCategory  # noqa: E402

FEED_PREFIX = "https://bench.invalid/feeds/"
PERSON_PREFIX = "bench-person-"
# A progress line every this many rows COPYed into one table.
PROGRESS_EVERY = 500_000
CATEGORIES = [
    "Finance", "Marketing", "Sales", "SaaS & Tech", "Leadership", "HR", "Operations",
    "Legal", "Supply Chain", "Data & Analytics",
]  # fmt: skip
LANGUAGES = ["en"] * 8 + ["de", "fr"]
# Enough distinct words that any one appears in about 1% of titles, like real vocabulary.
VOCABULARY = (  # noqa: SIM905 - a paragraph reads better than 130 quoted words
    "pricing churn pipeline quota forecast margin revenue retention expansion onboarding "
    "procurement audit compliance payroll hiring culture leadership strategy roadmap launch "
    "segment persona funnel attribution brand content demand outbound inbound partner channel "
    "cloud security platform integration migration analytics dashboard warehouse governance "
    "budget cashflow treasury valuation fundraising board investor acquisition merger exit "
    "negotiation contract renewal discount packaging tier freemium enterprise midmarket smb "
    "founder operator manager coach mentor team remote hybrid burnout feedback performance "
    "logistics inventory supplier sourcing freight warehouse automation robotics forecasting "
    "lawsuit regulation privacy gdpr tax accounting ledger close reconciliation billing "
    "invoice collections credit risk fraud lending banking payments fintech insurance "
    "community events webinar podcast newsletter seo search ads social video storytelling "
    "positioning messaging category competitive win loss enablement playbook cadence sequence "
    "discovery demo proposal objection closing handoff success support ticket escalation nps"
).split()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shows", type=int, default=5000)
    parser.add_argument("--scale", type=int, default=1, help="multiplies --shows and --people")
    parser.add_argument("--episodes-per-show", type=int, default=50)
    parser.add_argument("--transcript-share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--people", type=int, default=50_000, help="hosts and guests (0: none)")
    parser.add_argument("--appearances", type=int, default=500_000)
    parser.add_argument(
        "--people-only", action="store_true", help="add the people to a catalogue loaded before"
    )
    args = parser.parse_args()
    args.shows *= args.scale
    args.people *= args.scale
    args.appearances *= args.scale
    if connection.vendor != "postgresql":
        sys.exit("bench/catalogue.py needs PostgreSQL (set DATABASE_URL).")
    if args.people_only:
        if Person.objects.filter(slug__startswith=PERSON_PREFIX).exists():
            sys.exit("Bench people are already loaded here.")
        People(random.Random(args.seed)).load(args.people, args.appearances)
        return
    if Show.objects.filter(feed_url__startswith=FEED_PREFIX).exists():
        sys.exit("Bench data is already loaded here; use a fresh database.")
    rubric = Rubric.objects.active().prefetch_related("dimensions").first()
    if rubric is None:
        sys.exit("No active rubric: run migrate first.")
    Catalogue(random.Random(args.seed)).load(args, rubric)
    if args.people:
        People(random.Random(args.seed)).load(args.people, args.appearances)


class Catalogue:
    """Writes the synthetic rows; one instance per run, so its random stream is reproducible."""

    def __init__(self, rng: random.Random):
        self.random = rng
        self.now = timezone.now()

    def load(self, args, rubric):
        """Every row in one transaction, then the rankings and fresh planner statistics."""
        with transaction.atomic():
            categories = self.load_categories()
            topics = self.load_topics()
            shows = self.load_shows(args.shows, categories)
            self.load_episodes(shows, args.episodes_per_show, rubric, topics, args.transcript_share)
        print("Computing rankings…")
        recompute_all(progress=lambda done, total: print(f"  {done}/{total} shows"))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print("Bench data loaded.")

    def words(self, n):
        return " ".join(self.random.choice(VOCABULARY) for _ in range(n))

    def load_categories(self):
        categories = []
        for position, name in enumerate(CATEGORIES):
            slug = name.lower().replace(" & ", "-").replace(" ", "-")
            category, _ = Category.objects.get_or_create(
                slug=slug, defaults={"name": name, "position": position}
            )
            categories.append(category)
        return categories

    def load_topics(self):
        return [
            Topic.objects.get_or_create(slug=word, defaults={"name": word.title()})[0]
            for word in VOCABULARY[:60]
        ]

    def load_shows(self, count, categories):
        print(f"Shows: {count}")
        quality = {}
        rows = []
        for i in range(count):
            slug = f"bench-show-{i}"
            quality[slug] = self.random.gauss(55, 12)
            rows.append(
                {
                    "feed_url": f"{FEED_PREFIX}{i}.xml",
                    "title": f"The {self.words(2).title()} Show {i}",
                    "slug": slug,
                    "author": f"Host {i}",
                    "description": f"<p>A B2B show about {self.words(12)}.</p>",
                    "language": self.random.choice(LANGUAGES),
                    "last_fetch_status": Show.FetchStatus.OK,
                }
            )
        copy_rows(Show, rows)
        shows = list(
            Show.objects.filter(feed_url__startswith=FEED_PREFIX).values_list("pk", "slug")
        )
        placements = []
        for pk, _ in shows:
            for category in self.random.sample(categories, self.random.choice((1, 1, 2))):
                placements.append({"show_id": pk, "category_id": category.pk})
        copy_rows(ShowCategory, placements)
        return [(pk, quality[slug]) for pk, slug in shows]

    def episode_rows(self, shows, per_show):
        """The episodes' rows, made as COPY takes them (the random stream in the same order)."""
        for show_id, _ in shows:
            for j in range(per_show):
                published = self.now - timedelta(days=self.random.uniform(1, 3 * 365))
                yield {
                    "show_id": show_id,
                    "guid": f"bench-{show_id}-{j}",
                    "title": f"{self.words(5).capitalize()} ({j})",
                    "slug": f"episode-{j}",
                    "published_at": published,
                    "duration_seconds": self.random.randint(900, 4800),
                    "audio_url": f"https://bench.invalid/audio/{show_id}/{j}.mp3",
                    "audio_type": "audio/mpeg",
                    "audio_size": self.random.randint(10**7, 10**8),
                    "notes_html": f"<p>{self.words(25)}</p>",
                    "transcript_status": "ok",
                }

    def scorecard_rows(self, episodes, quality, scores, rubric):
        """The scorecards' rows, made as COPY takes them; each episode's five scores go in
        `scores` for its dimension scores."""
        for pk, show_id, published in episodes:
            scores[pk] = [
                max(0, min(20, round(self.random.gauss(quality[show_id] / 5, 3)))) for _ in range(5)
            ]
            yield {
                "episode_id": pk,
                "rubric_id": rubric.pk,
                "engine": Scorecard.Engine.BASELINE,
                "total": sum(scores[pk]),
                "summary": f"An episode on {self.words(10)}.",
                "transcript_hash": "0" * 64,
                "created_at": min(self.now, published + timedelta(days=2)),
            }

    def load_episodes(self, shows, per_show, rubric, topics, transcript_share):
        total = len(shows) * per_show
        print(f"Episodes: {total}")
        copy_rows(Episode, self.episode_rows(shows, per_show))
        quality = dict(shows)
        episodes = list(
            Episode.objects.filter(show__feed_url__startswith=FEED_PREFIX).values_list(
                "pk", "show_id", "published_at"
            )
        )
        print("Scorecards, dimension scores, topics, transcripts…")
        scores = {}
        copy_rows(Scorecard, self.scorecard_rows(episodes, quality, scores, rubric))
        dimensions = list(rubric.dimensions.all())
        # A list, not an iterator: the connection is busy with COPY while rows are written.
        cards = list(
            Scorecard.objects.filter(episode__show__feed_url__startswith=FEED_PREFIX).values_list(
                "pk", "episode_id"
            )
        )
        copy_rows(
            DimensionScore,
            (
                {
                    "scorecard_id": card,
                    "dimension_id": d.pk,
                    "score": score,
                    "effective_score": score,
                    "rationale": "Bench.",
                }
                for card, episode_id in cards
                for d, score in zip(dimensions, scores[episode_id], strict=True)
            ),
        )
        through = Episode.topics.through
        copy_rows(
            through,
            (
                {"episode_id": pk, "topic_id": topic.pk}
                for pk, _, _ in episodes
                for topic in self.random.sample(topics, 2)
            ),
        )
        copy_rows(
            Transcript,
            (
                {
                    "episode_id": pk,
                    "format": "json",
                    "segments": [
                        {"speaker": "AB"[k % 2], "start": k * 30.0, "text": self.words(14)}
                        for k in range(20)
                    ],
                    "word_count": 280,
                }
                for pk, _, _ in episodes
                if self.random.random() < transcript_share
            ),
        )
        # Scores as scoring leaves them: the effective total and when it was computed.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE episodes_episode e SET score = s.total, scored_at = s.created_at
                FROM scoring_scorecard s
                WHERE s.episode_id = e.id AND e.guid LIKE %s
                """,
                ["bench-%"],
            )


class People:
    """Hosts and guests on the catalogue's episodes: one host per show, on all its episodes,
    and guests on the rest of the appearances, a few of them on many shows (a skewed draw)."""

    FIRST = ["Ana", "Ben", "Chloe", "Dev", "Erin", "Farid", "Grace", "Hugo", "Ines", "Jon"]
    LAST = ["Okafor", "Schmidt", "Tanaka", "Silva", "Novak", "Reyes", "Kowalski", "Dubois"]
    TITLES = ["CFO", "VP Sales", "Head of RevOps", "CMO", "COO", "Founder", "General Counsel"]

    def __init__(self, rng: random.Random):
        self.random = rng

    def load(self, count, appearances):
        """COPY the people and their appearances, then compute their figures and ranks."""
        episodes = defaultdict(list)
        for pk, show_id in (
            Episode.objects.filter(show__feed_url__startswith=FEED_PREFIX)
            .order_by("pk")
            .values_list("pk", "show_id")
        ):
            episodes[show_id].append(pk)
        transcribed = set(Transcript.objects.values_list("episode_id", flat=True))
        hosts = min(count, len(episodes))
        print(f"People: {count:,} ({hosts:,} hosts)")
        with transaction.atomic():
            copy_rows(Person, (self.person_row(i) for i in range(count)))
            ids = list(
                Person.objects.filter(slug__startswith=PERSON_PREFIX)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            copy_rows(
                Appearance, self.appearance_rows(ids, hosts, episodes, transcribed, appearances)
            )
        print("Computing people's figures…")
        recompute_people(progress=lambda done, total: print(f"  {done}/{total} people"))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE people_person, people_appearance, people_personranking")

    def person_row(self, i):
        name = f"{self.random.choice(self.FIRST)} {self.random.choice(self.LAST)} {i}"
        described = self.random.random() < 0.5
        return {
            "name": name,
            "slug": f"{PERSON_PREFIX}{i}",
            "description": f"{self.random.choice(self.TITLES)} at {name.split()[1]} Co"
            if described
            else "",
            "aliases": [],
        }

    def appearance_rows(self, ids, hosts, episodes, transcribed, total):
        """Each show's host on all its episodes; guests, skewed, on random episodes."""
        every = [pk for show in episodes.values() for pk in show]
        made = 0
        for host, show_episodes in zip(ids[:hosts], episodes.values(), strict=False):
            for episode in show_episodes:
                made += 1
                yield self.appearance(host, episode, Appearance.Role.HOST, "A", transcribed)
        guests = ids[hosts:]
        seen = set()
        while guests and made < total:
            # Squared: the first guests are drawn far more often (a few regulars, many one-offs).
            guest = guests[int(len(guests) * self.random.random() ** 2)]
            episode = self.random.choice(every)
            if (guest, episode) in seen:
                continue
            seen.add((guest, episode))
            made += 1
            yield self.appearance(guest, episode, Appearance.Role.GUEST, "B", transcribed)

    @staticmethod
    def appearance(person, episode, role, label, transcribed):
        return {
            "person_id": person,
            "episode_id": episode,
            "role": role,
            "speaker_label": label if episode in transcribed else "",
            "source": Appearance.Source.FEED,
        }


def copy_rows(model, rows):
    """COPY dicts of attribute values into the model's table; missing fields get defaults.

    Only JSON values go through their field's preparation: psycopg adapts the strings, numbers,
    booleans, datetimes and NULLs of these rows itself (the per-value preparation, through the
    `connection` proxy, was most of a 2,500,000-episode load's Python time).
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    now = timezone.now()
    database = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the proxy
    defaults = {}
    for f in fields:
        if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
            defaults[f.attname] = now
        elif f.has_db_default():
            # COPY sends every column, so the database's own default is spelled out here.
            defaults[f.attname] = getattr(f.db_default, "value", f.db_default)
        else:
            defaults[f.attname] = f.get_default()
    columns_prepared = [
        (f.attname, partial(f.get_db_prep_save, connection=database) if _adapted(f) else None)
        for f in fields
    ]
    count = 0
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(model._meta.db_table)
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [
                        prepare(row.get(name, defaults[name]))
                        if prepare
                        else row.get(name, defaults[name])
                        for name, prepare in columns_prepared
                    ]
                )
                count += 1
                if not count % PROGRESS_EVERY:
                    print(f"  {model._meta.db_table}: {count:,} rows", flush=True)


def _adapted(field) -> bool:
    """Whether psycopg needs the field's own preparation of its values (JSON: a wrapper)."""
    return field.get_internal_type() == "JSONField"


if __name__ == "__main__":
    main()
