"""Load a large synthetic catalogue into PostgreSQL for the scale benchmarks (bench/).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/browse_bench .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python bench/catalogue.py [--shows 5000] [--episodes-per-show 50]
    DATABASE_URL=.../h_big .venv/bin/python bench/catalogue.py --scale 10   # 50,000 / 2,500,000

(scripts/bench-catalogue.sh does both, once.) 5,000 shows and 250,000 scored episodes by
default, each with a scorecard and five dimension scores, two topics, and a transcript for one
episode in ten, and 50,000 people on 500,000 appearances (`--people 0`: none; `--people-only`
adds them to a catalogue loaded before); `--scale N` multiplies the shows and people (N=10:
50,000 shows, 2,500,000 episodes, 500,000 people on 5,000,000 appearances).

Rows go in with COPY, streamed from generators (memory holds ids, dates and scores, not rows),
each with its final values: an episode's score and scoring time are in its own row and each
topic filing carries its episode's sort key, so nothing is UPDATEd after (that UPDATE, and the
commit's deferred foreign-key checks of ~22 million rows, took 35 of the 80 minutes a scale-10
load took before). The search triggers fill the search vectors as they would for any other
write (cheaper than an UPDATE after: the same function, without rewriting every row).
Meanwhile the loaded tables have no secondary indexes, unique or foreign-key constraints:
bulk_load() drops them and makes them again, with the same names, in the load's transaction.
Each phase prints its wall time and the CPU time of this process and of its PostgreSQL backend.

Scale 10 on 2 cores shared with other work (load 5-18), phases in minutes of wall time
(Python / PostgreSQL CPU): episodes 26 (3.1 / 8.6: the search-vector triggers), scorecards
4.8, dimension scores 6.1, topics 1.0, transcripts 8.7 (1.0 / 2.6), indexes 12.5 (the
leader's CPU 4.2, its parallel workers' not counted), foreign keys 0.8, commit 0, show
rankings 7.8 (1.4 / 1.8): 68 for the catalogue, where the code before took 80 on less busy
cores and, at this load, had not finished its UPDATE after 105. Then the people: COPYs,
indexes and keys 1.5, their figures (people.ranking, 1,000 people a batch, mostly Python)
20 at load 2-6, and their re-rank 2 (see tune_session).
"""

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
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
# The tables COPYed into (bulk_load drops their secondary indexes and keys meanwhile).
CATALOGUE_MODELS = [
    Show, ShowCategory, Episode, Episode.topics.through, Scorecard, DimensionScore, Transcript,
]  # fmt: skip
PEOPLE_MODELS = [Person, Appearance]
# The topic table's sort-key columns, outside the model (episodes migration 0011).
FILING_SORT_KEY = ("score", "published_at")
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
        phases = Phases()
        tune_session()
        with transaction.atomic():
            categories = self.load_categories()
            topics = self.load_topics()
            with bulk_load(CATALOGUE_MODELS, phases):
                with phases("shows"):
                    shows = self.load_shows(args.shows, categories)
                self.load_episodes(
                    shows, args.episodes_per_show, rubric, topics, args.transcript_share, phases
                )
            commit_started = phases.now()
        phases.record("commit", *phases.since(commit_started))
        with phases("analyze"), connection.cursor() as cursor:
            # Before the rankings: their queries are planned on these statistics.
            cursor.execute("ANALYZE")
        with phases("show rankings"):
            print("Computing rankings…")
            recompute_all(progress=lambda done, total: print(f"  {done}/{total} shows"))
        with phases("analyze"), connection.cursor() as cursor:
            # The rankings wrote every show's score, rank and figures.
            cursor.execute("ANALYZE shows_show, shows_showcategory")
        phases.summary()
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
            Show.objects.filter(feed_url__startswith=FEED_PREFIX)
            .order_by("pk")
            .values_list("pk", "slug")
        )
        placements = []
        for pk, _ in shows:
            for category in self.random.sample(categories, self.random.choice((1, 1, 2))):
                placements.append({"show_id": pk, "category_id": category.pk})
        copy_rows(ShowCategory, placements)
        return [(pk, quality[slug]) for pk, slug in shows]

    def scored_at(self, published):
        """When scoring left an episode's score: its scorecard's time."""
        return min(self.now, published + timedelta(days=2))

    def episode_rows(self, shows, per_show, first_id, published, scores):
        """The episodes' rows, made as COPY takes them, with their final score; each episode's
        date and five dimension scores go in `published` and `scores` for the rows after."""
        pk = first_id
        for show_id, quality in shows:
            for j in range(per_show):
                published_at = self.now - timedelta(days=self.random.uniform(1, 3 * 365))
                row = {
                    "id": pk,
                    "show_id": show_id,
                    "guid": f"bench-{show_id}-{j}",
                    "title": f"{self.words(5).capitalize()} ({j})",
                    "slug": f"episode-{j}",
                    "published_at": published_at,
                    "duration_seconds": self.random.randint(900, 4800),
                    "audio_url": f"https://bench.invalid/audio/{show_id}/{j}.mp3",
                    "audio_type": "audio/mpeg",
                    "audio_size": self.random.randint(10**7, 10**8),
                    "notes_html": f"<p>{self.words(25)}</p>",
                    "transcript_status": "ok",
                }
                card = [max(0, min(20, round(self.random.gauss(quality / 5, 3)))) for _ in range(5)]
                scores.extend(card)
                published.append(published_at)
                # Scores as scoring leaves them: the effective total and when it was computed.
                row["score"] = sum(card)
                row["scored_at"] = self.scored_at(published_at)
                pk += 1
                yield row

    def load_episodes(self, shows, per_show, rubric, topics, transcript_share, phases):
        """Episodes, then their scorecards, dimension scores, topics and transcripts: ids are
        given, not read back, and every row goes in with its final values (no UPDATE after)."""
        total = len(shows) * per_show
        print(f"Episodes: {total}")
        first_episode = next_id(Episode)
        published = []
        scores = bytearray()  # five per episode, in episode order
        with phases("episodes"):
            copy_rows(
                Episode,
                self.episode_rows(shows, per_show, first_episode, published, scores),
                with_pk=True,
            )
        print("Scorecards, dimension scores, topics, transcripts…")
        first_card = next_id(Scorecard)
        with phases("scorecards"):
            copy_rows(
                Scorecard,
                (
                    {
                        "id": first_card + i,
                        "episode_id": first_episode + i,
                        "rubric_id": rubric.pk,
                        "engine": Scorecard.Engine.BASELINE,
                        "total": sum(scores[5 * i : 5 * i + 5]),
                        "summary": f"An episode on {self.words(10)}.",
                        "transcript_hash": "0" * 64,
                        "created_at": self.scored_at(published_at),
                    }
                    for i, published_at in enumerate(published)
                ),
                with_pk=True,
            )
        dimensions = list(rubric.dimensions.all())
        with phases("dimension scores"):
            copy_rows(
                DimensionScore,
                (
                    {
                        "scorecard_id": first_card + i,
                        "dimension_id": d.pk,
                        "score": score,
                        "effective_score": score,
                        "rationale": "Bench.",
                    }
                    for i in range(total)
                    for d, score in zip(dimensions, scores[5 * i : 5 * i + 5], strict=True)
                ),
            )
        with phases("topics"):
            # Each filing carries its episode's sort key (episodes migration 0011), written
            # here rather than looked up by the trigger for every row.
            copy_rows(
                Episode.topics.through,
                (
                    {
                        "episode_id": first_episode + i,
                        "topic_id": topic.pk,
                        "score": sum(scores[5 * i : 5 * i + 5]),
                        "published_at": published_at,
                    }
                    for i, published_at in enumerate(published)
                    for topic in self.random.sample(topics, 2)
                ),
                extra_columns=FILING_SORT_KEY,
                without_triggers=["episodes_filing_sort_key_trg"],
            )
        with phases("transcripts"):
            copy_rows(
                Transcript,
                (
                    {
                        "episode_id": first_episode + i,
                        "format": "json",
                        "segments": [
                            {"speaker": "AB"[k % 2], "start": k * 30.0, "text": self.words(14)}
                            for k in range(20)
                        ],
                        "word_count": 280,
                    }
                    for i in range(total)
                    if self.random.random() < transcript_share
                ),
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
        phases = Phases()
        tune_session()
        with transaction.atomic(), bulk_load(PEOPLE_MODELS, phases):
            first = next_id(Person)
            with phases("people"):
                copy_rows(
                    Person, (self.person_row(i, first + i) for i in range(count)), with_pk=True
                )
            ids = range(first, first + count)
            with phases("appearances"):
                copy_rows(
                    Appearance,
                    self.appearance_rows(ids, hosts, episodes, transcribed, appearances),
                )
        with phases("analyze"), connection.cursor() as cursor:
            cursor.execute("ANALYZE people_person, people_appearance")
        with phases("people's figures"):
            print("Computing people's figures…")
            recompute_people(progress=lambda done, total: print(f"  {done}/{total} people"))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE people_person, people_appearance, people_personranking")
        phases.summary()

    def person_row(self, i, pk):
        name = f"{self.random.choice(self.FIRST)} {self.random.choice(self.LAST)} {i}"
        described = self.random.random() < 0.5
        return {
            "id": pk,
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


class Phases:
    """Wall time of each phase of a load, with the CPU time of this process and of its
    PostgreSQL backend (when the server runs here): printed as each ends, and all at the end."""

    def __init__(self):
        self.times = {}
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backend = Path(f"/proc/{cursor.fetchone()[0]}/stat")

    def backend_cpu(self):
        """CPU seconds of the server process serving this connection (0 when not local)."""
        try:
            fields = self.backend.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        # utime and stime, fields 14 and 15 of proc(5), counted after the command's ")".
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @contextmanager
    def __call__(self, name):
        started = self.now()
        yield
        self.record(name, *self.since(started))

    def now(self):
        return time.monotonic(), time.process_time(), self.backend_cpu()

    def since(self, started):
        return [now - then for now, then in zip(self.now(), started, strict=True)]

    def record(self, name, wall, python=0.0, server=0.0):
        total = self.times.get(name, (0.0, 0.0, 0.0))
        self.times[name] = (total[0] + wall, total[1] + python, total[2] + server)
        print(
            f"  [{name}: {wall:.1f} s; CPU: Python {python:.1f} s, PostgreSQL {server:.1f} s]",
            flush=True,
        )

    def summary(self):
        total = sum(wall for wall, _, _ in self.times.values())
        print(
            f"Phases ({total / 60:.1f} min; wall/Python CPU/PostgreSQL CPU s): "
            + ", ".join(
                f"{name} {wall:.0f}/{python:.0f}/{server:.0f}"
                for name, (wall, python, server) in self.times.items()
            )
        )


def tune_session():
    """Settings for this load's connection only: a bulk load need not wait for each commit's
    flush, and index builds sort in memory. The re-ranks' `NOT IN (subquery)` is hashed only
    when the subquery's rows fit in work_mem: with the default 4 MB, re-ranking 500,000 people
    (scale 10) is planned as every ranked person against every other (cost 4e11; stopped)."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET work_mem = '256MB'")


@contextmanager
def bulk_load(models_loaded, phases):
    """Drop the tables' secondary indexes, unique and foreign-key constraints for the COPYs,
    then create them again as they were (same names and definitions), in the same transaction.

    One index build after the COPY is many times faster than maintaining the index row by row
    (the search vectors' GIN indexes most of all), and a foreign key added to a full table is
    checked by one join, where a deferred key queues a check of every row for the commit (22
    million at scale 10, half an hour). The keys are still checked: adding one fails on any
    row without its referenced row. Primary keys stay.
    """
    tables = [m._meta.db_table for m in models_loaded]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u')
            ORDER BY contype, conrelid::regclass::text, conname
            """,
            [tables],
        )
        constraints = cursor.fetchall()  # foreign keys first ('f' < 'u'): dropped first
        cursor.execute(
            """
            SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid)
            FROM pg_index
            WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary
              AND indexrelid NOT IN (SELECT conindid FROM pg_constraint)
            ORDER BY 1
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _ in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        with phases("indexes"):
            for _, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in reversed(constraints):
                if definition.startswith("UNIQUE"):
                    cursor.execute(
                        f"ALTER TABLE {table} ADD CONSTRAINT "
                        f"{connection.ops.quote_name(name)} {definition}"
                    )
        with phases("foreign keys"):
            for table, name, definition in constraints:
                if definition.startswith("FOREIGN KEY"):
                    cursor.execute(
                        f"ALTER TABLE {table} ADD CONSTRAINT "
                        f"{connection.ops.quote_name(name)} {definition}"
                    )


def next_id(model):
    """The first id after the table's rows (rows are COPYed with their ids given)."""
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(model._meta.db_table)
        cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
        return cursor.fetchone()[0]


def copy_rows(model, rows, with_pk=False, extra_columns=(), without_triggers=()):
    """COPY dicts of attribute values into the model's table; missing fields get defaults.

    `with_pk`: the rows give their ids (the identity sequence is moved past them after);
    `extra_columns`: columns outside the model, taken from the rows by name;
    `without_triggers`: the table's triggers not fired for these rows (the rows give what
    they would have written).

    Only JSON values go through their field's preparation: psycopg adapts the strings, numbers,
    booleans, datetimes and NULLs of these rows itself (the per-value preparation, through the
    `connection` proxy, was most of a 2,500,000-episode load's Python time).
    """
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    columns = ", ".join(
        connection.ops.quote_name(name) for name in [f.column for f in fields] + list(extra_columns)
    )
    now = timezone.now()
    database = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the proxy
    defaults = dict.fromkeys(extra_columns)
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
    ] + [(name, None) for name in extra_columns]
    count = 0
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        for trigger in without_triggers:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
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
        for trigger in without_triggers:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        if with_pk:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), max(id)) FROM {table}",
                [model._meta.db_table],
            )


def _adapted(field) -> bool:
    """Whether psycopg needs the field's own preparation of its values (JSON: a wrapper)."""
    return field.get_internal_type() == "JSONField"


if __name__ == "__main__":
    main()
