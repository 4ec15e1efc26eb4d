"""The bench catalogue's loader (bench/catalogue.py) leaves the rows the app would have made:
search vectors filled, scores and topic sort keys matching the scorecards, rankings computed,
every key valid and the schema as the migrations left it."""

import importlib.util
import random
from argparse import Namespace
from pathlib import Path

import pytest
from django.db import connection

from episodes.models import Episode, Transcript
from people.models import Appearance, Person, PersonRanking
from scoring.models import Rubric, Scorecard
from shows.models import Show

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the bench catalogue is loaded with COPY"
)

LOADER = Path(__file__).resolve().parents[2] / "bench" / "catalogue.py"
TABLES = [
    "shows_show", "shows_showcategory", "episodes_episode", "episodes_episode_topics",
    "episodes_transcript", "scoring_scorecard", "scoring_dimensionscore", "people_person",
    "people_appearance",
]  # fmt: skip


def catalogue_module():
    spec = importlib.util.spec_from_file_location("bench_catalogue", LOADER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def schema():
    """The loaded tables' constraints, indexes and own triggers as SQL, with whether each is on
    (foreign keys' internal triggers are renamed when a key is made again)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid), convalidated::text FROM pg_constraint
            WHERE conrelid = ANY(%(tables)s::regclass[])
            UNION ALL
            SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid), indisvalid::text
            FROM pg_index WHERE indrelid = ANY(%(tables)s::regclass[])
            UNION ALL
            SELECT tgname, pg_get_triggerdef(oid), tgenabled::text FROM pg_trigger
            WHERE tgrelid = ANY(%(tables)s::regclass[]) AND NOT tgisinternal
            """,
            {"tables": TABLES},
        )
        return sorted(cursor.fetchall())


def scalar(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


@pytest.fixture
def loaded():
    """A small catalogue (8 shows of 5 episodes, 30 people), and the schema before it."""
    before = schema()
    module = catalogue_module()
    rubric = Rubric.objects.active().prefetch_related("dimensions").first()
    args = Namespace(shows=8, episodes_per_show=5, transcript_share=0.5)
    module.Catalogue(random.Random(7)).load(args, rubric)
    module.People(random.Random(7)).load(30, 80)
    return before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_leaves_the_schema_as_the_migrations_made_it(loaded):
    assert schema() == loaded
    # Rows COPYed with their ids given: the next row the app writes gets a fresh one.
    show = Show.objects.first()
    added = Episode.objects.create(show=show, guid="after", title="After", slug="after")
    assert added.pk > Episode.objects.exclude(pk=added.pk).order_by("-pk").first().pk
    assert Person.objects.create(name="After", slug="after").pk > 30


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_fills_every_search_vector(loaded):
    assert Episode.objects.count() == 40
    assert not Episode.objects.filter(search_vector__isnull=True).exists()
    assert not Show.objects.filter(search_vector__isnull=True).exists()
    assert Transcript.objects.exists()
    assert not Transcript.objects.filter(search_vector__isnull=True).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_gives_each_episode_its_scorecards_total_and_time(loaded):
    for episode in Episode.objects.all():
        card = Scorecard.objects.current().get(episode=episode)
        dimensions = card.dimensions.all()
        assert len(dimensions) == 5
        assert episode.score == card.total == sum(d.score for d in dimensions)
        assert episode.scored_at == card.created_at
    # Each filing carries its episode's sort key, as the trigger would have written it.
    assert scalar("SELECT count(*) FROM episodes_episode_topics") == 80
    mismatched = """
        SELECT count(*) FROM episodes_episode_topics f
        JOIN episodes_episode e ON e.id = f.episode_id
        WHERE f.score IS DISTINCT FROM e.score OR f.published_at IS DISTINCT FROM e.published_at
    """
    assert scalar(mismatched) == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_computes_the_rankings(loaded):
    shows = Show.objects.all()
    assert all(show.score is not None and show.rank is not None for show in shows)
    assert all(show.episode_count == 5 and show.dimension_averages for show in shows)
    assert Appearance.objects.count() == 80
    assert PersonRanking.objects.filter(rank__isnull=False).exists()
