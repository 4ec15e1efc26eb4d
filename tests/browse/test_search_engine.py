"""Site search on the search engine (PODINDEX_SEARCH_ENGINE=tantivy, core.search_index)."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from browse.search import search
from core import search_index
from core.env import env_choice
from episodes.feed_items import store_feed_items
from episodes.models import Episode
from shows.ingest.parse import Item
from tests.factories import ShowFactory, TranscriptFactory, scored_episode
from tests.statements import executed_statements, statement_sql

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def engine(settings, tmp_path):
    """The engine on, over an index of its own."""
    if search_index.tantivy is None:  # a dependency: missing only where setup did not run
        pytest.skip("tantivy is not installed (make setup installs it)")
    settings.PODINDEX_SEARCH_ENGINE = "tantivy"
    settings.PODINDEX_SEARCH_INDEX_DIR = tmp_path / "index"
    search_index.forget()
    cache.clear()
    yield tmp_path / "index"
    search_index.forget()


@pytest.fixture
def catalogue():
    sales = ShowFactory(title="Sales Floor", author="Dana Quota")
    finops = ShowFactory(title="The FinOps Hour", description="<p>Cloud <b>pricing</b>.</p>")
    scored_episode(total=80, show=sales, title="Pricing churn in SaaS", notes_html="<p>x</p>")
    scored_episode(total=60, show=sales, title="Churn before pricing", notes_html="<p>y</p>")
    scored_episode(total=70, show=finops, title="Cost of sales", notes_html="<p>margins</p>")
    scored_episode(total=50, show=finops, title="Cost to sales teams", notes_html="pricing")
    talk = scored_episode(total=65, show=finops, title="A talk", notes_html="<p>none</p>")
    TranscriptFactory(
        episode=talk,
        segments=[
            {"speaker": "A", "start": 0.0, "end": 4.0, "text": "Welcome back."},
            {"speaker": "B", "start": 310.0, "end": 316.0, "text": "Our net churn fell again."},
        ],
    )
    return {"sales": sales, "finops": finops, "talk": talk}


def titles(query: str) -> set[str]:
    return {episode.title for episode in search(query).episodes}


# What PostgreSQL's websearch_to_tsquery finds in the catalogue, kind by kind.
EXPECTED = {
    '"pricing churn"': {"Pricing churn in SaaS"},
    "pricing churn": {"Pricing churn in SaaS", "Churn before pricing"},
    "churn -pricing": set(),
    "pricing -churn": {"Cost to sales teams"},
    "margins or zyzzyva": {"Cost of sales"},
    '"pricing churn" or margins': {"Pricing churn in SaaS", "Cost of sales"},
    # A stop word inside a phrase leaves a gap any word fills, as in PostgreSQL.
    '"cost of sales"': {"Cost of sales", "Cost to sales teams"},
    "zyzzyva": set(),
    "the": set(),
}


@pytest.mark.parametrize("query", EXPECTED)
def test_it_finds_what_postgresql_finds(engine, catalogue, settings, query):
    if connection.vendor == "postgresql":
        settings.PODINDEX_SEARCH_ENGINE = "postgres"
        assert titles(query) == EXPECTED[query]  # the database's own search
        settings.PODINDEX_SEARCH_ENGINE = "tantivy"
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert titles(query) == EXPECTED[query]


def test_it_finds_shows_and_transcript_moments(engine, catalogue):
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert [show.title for show in search("quota").shows] == ["Sales Floor"]
    assert [show.title for show in search("pricing").shows] == ["The FinOps Hour"]
    (moment,) = search('"net churn"').moments
    assert moment.episode == catalogue["talk"]
    assert moment.start == 310.0
    assert str(moment.snippet) == "Our <mark>net churn</mark> fell again."


def test_it_orders_as_postgresql_blends_text_and_score(engine, catalogue):
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))  # noqa: SIM115

    # A title match weighs more than one in the notes (PostgreSQL's weights A and C) ...
    assert [e.title for e in search("pricing").episodes][-1] == "Cost to sales teams"
    # ... and between equal matches, the better-scored episode comes first.
    assert [e.title for e in search("sales").episodes] == ["Cost of sales", "Cost to sales teams"]


def test_it_finds_an_episode_written_after_the_index_was_built(
    engine, catalogue, django_capture_on_commit_callbacks
):
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert titles("onboarding") == set()

    with django_capture_on_commit_callbacks(execute=True):
        scored_episode(total=40, show=catalogue["sales"], title="Onboarding that sticks")

    assert titles("onboarding") == {"Onboarding that sticks"}


def test_it_finds_episodes_a_feed_ingest_wrote_and_their_new_words(
    engine, django_capture_on_commit_callbacks
):
    show = ShowFactory()
    search_index.rebuild([])
    item = Item(
        guid="ep-1",
        title="Renewals desk",
        audio_url="https://cdn.example.com/1.mp3",
        audio_type="audio/mpeg",
        published=timezone.now(),
        notes_html="<p>Expansion revenue.</p>",
    )

    with django_capture_on_commit_callbacks(execute=True):
        store_feed_items(show, [item], timezone.now())
    assert titles("expansion") == {"Renewals desk"}

    item.notes_html = "<p>Net retention.</p>"
    with django_capture_on_commit_callbacks(execute=True):
        store_feed_items(show, [item], timezone.now())
    assert titles("expansion") == set()
    assert titles("retention") == {"Renewals desk"}


def test_it_finds_a_transcript_written_after_the_index_was_built(
    engine, catalogue, django_capture_on_commit_callbacks
):
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))  # noqa: SIM115
    transcript = catalogue["talk"].transcript
    transcript.segments = [{"speaker": "A", "start": 1.0, "end": 2.0, "text": "Quota relief."}]

    with django_capture_on_commit_callbacks(execute=True):
        transcript.save()

    assert [m.episode for m in search("relief").moments] == [catalogue["talk"]]
    assert search('"net churn"').moments == []


def test_it_leaves_out_hidden_and_deleted_episodes(
    engine, catalogue, django_capture_on_commit_callbacks
):
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))  # noqa: SIM115
    Episode.objects.filter(title="Cost of sales").update(hidden=True)
    gone = Episode.objects.get(title="Pricing churn in SaaS")

    with django_capture_on_commit_callbacks(execute=True):
        gone.delete()

    assert titles("sales") == {"Cost to sales teams"}
    assert titles("pricing") == {"Churn before pricing", "Cost to sales teams"}
    # The deleted one is gone from the index itself, not only from the pages.
    assert gone.pk not in {pk for pk, _rank in search_index.search("episode", "pricing", 10)}
    Episode.objects.filter(title="Cost of sales").update(hidden=False)
    assert titles("sales") == {"Cost of sales", "Cost to sales teams"}


def test_it_removes_a_deleted_shows_episodes_and_transcripts_from_the_index(
    engine, catalogue, django_capture_on_commit_callbacks
):
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))  # noqa: SIM115

    with django_capture_on_commit_callbacks(execute=True):
        catalogue["finops"].delete()

    assert search_index.search("show", "finops", 10) == []
    assert search_index.search("episode", "margins", 10) == []
    assert search_index.search("transcript", "churn", 10) == []


def test_it_serves_the_search_page_and_the_api_from_the_engine(engine, catalogue, client):
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # Words only the engine's index holds: found only when the page asks the engine.
    search_index.write([search_index.episode_doc(catalogue["talk"].pk, "A talk", "zebracorn")])

    page = client.get("/search/", {"q": "zebracorn"})
    api = client.get("/api/v1/search", {"q": "zebracorn"})

    assert page.status_code == 200
    assert f'href="{catalogue["talk"].get_absolute_url()}"' in page.content.decode()
    assert api.status_code == 200
    assert [e["title"] for e in api.json()["items"]] == ["A talk"]


def test_it_sees_another_processes_commits(engine):
    search_index.rebuild([])
    assert search_index.search("episode", "zebracorn", 10) == []
    code = (
        "import django; django.setup()\n"
        "from core import search_index\n"
        "search_index.write([search_index.episode_doc(7, 'Zebracorn', '')])\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "podindex.settings",
        "PODINDEX_SEARCH_ENGINE": "tantivy",
        "PODINDEX_SEARCH_INDEX_DIR": str(engine),
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)

    # The reader watches the index's meta file: no reload called here.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not search_index.search("episode", "zebracorn", 10):
        time.sleep(0.1)
    assert [pk for pk, _rank in search_index.search("episode", "zebracorn", 10)] == [7]


def test_it_parses_the_engine_setting_strictly(monkeypatch):
    choices = ("postgres", "tantivy")
    monkeypatch.delenv("PODINDEX_SEARCH_ENGINE", raising=False)
    assert env_choice("PODINDEX_SEARCH_ENGINE", "postgres", choices) == "postgres"
    monkeypatch.setenv("PODINDEX_SEARCH_ENGINE", " Tantivy ")
    assert env_choice("PODINDEX_SEARCH_ENGINE", "postgres", choices) == "tantivy"
    monkeypatch.setenv("PODINDEX_SEARCH_ENGINE", "elastic")
    with pytest.raises(ImproperlyConfigured, match="PODINDEX_SEARCH_ENGINE='elastic'"):
        env_choice("PODINDEX_SEARCH_ENGINE", "postgres", choices)


def test_it_refuses_an_unknown_engine_at_start_up():
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "podindex.settings",
        "PODINDEX_SEARCH_ENGINE": "elasticsearch",
        "PYTHONPATH": str(ROOT),
    }
    code = "import django; django.setup()"
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
    )

    assert run.returncode != 0
    assert "PODINDEX_SEARCH_ENGINE='elasticsearch' is not one of postgres, tantivy" in run.stderr


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the page query is PostgreSQL's")
def test_it_reads_whole_only_the_rows_of_the_page(engine):
    show = ShowFactory(title="Renewals")
    for number in range(8):
        episode = scored_episode(total=40 + number, show=show, title=f"Churn talk {number}")
        TranscriptFactory(episode=episode, segments=[{"start": 1.0, "text": "Churn again."}])
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))  # noqa: SIM115

    with CaptureQueriesContext(connection) as captured:
        results = search("churn", per_page=2)

    assert len(results.episodes) == 2 and len(results.moments) == 2
    # Shows, people, episodes and moments, sent together.
    (batch,) = captured.captured_queries[-1:]
    statements = [statement_sql(sql) for sql in executed_statements([batch])[-2:]]
    for sql, columns in zip(statements, ('"title"', '"segments"'), strict=True):
        # The candidates are put in order from their keys and scores alone, and only the
        # page's end (3 rows: one tells whether there is a next page) is read whole.
        assert " IN (SELECT " in sql
        rows, ranking = sql.split(" IN (SELECT ", 1)
        assert columns in rows and columns not in ranking
        assert "array_position" in ranking and ranking.rsplit("))", 1)[0].endswith("LIMIT 3")
