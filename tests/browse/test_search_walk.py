"""A common word's candidates are walked (search_walk): the well-scored episodes best first, the
shows best score first, the newest transcripts first; the choice from PostgreSQL's statistics,
the candidates it gives, and the plans PostgreSQL keeps for the statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from browse import search_walk
from browse.search import (
    _best_scored_episodes,
    _best_scored_shows,
    _episode_search,
    _episodes,
    _moment_search,
    _moments,
    _newest_moments,
    _pending,
    _show_search,
    _shows,
    search,
)
from core.prepared import fetch_together
from tests.factories import ShowFactory, TranscriptFactory, scored_episode
from tests.statements import executed_statements

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL statistics only"),
]
TABLE, TIER_INDEX, BAND_INDEX = (
    "episodes_episode",
    "episode_search_top_idx",
    "episode_search_band_idx",
)


@pytest.fixture
def fresh_statistics(monkeypatch):
    """Statistics read anew by the next search, not kept from an earlier test."""
    monkeypatch.setattr(search_walk, "_statistics", {})


@pytest.fixture
def pricing_library(fresh_statistics):
    """Eight well-scored episodes, lowest score first in the table, all about pricing; four
    about churn; and analysed, so PostgreSQL's statistics count their words."""
    show = ShowFactory(title="Unit Economics")
    episodes = [
        scored_episode(
            total=72 + 3 * i,
            show=show,
            title=f"Pricing talk {i}" + (" on churn" if i % 2 else ""),
            notes_html="<p>Pricing power.</p>",
        )
        for i in range(8)
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE episodes_episode")
    return episodes


def test_it_estimates_the_share_of_episodes_a_query_matches(pricing_library):
    shares, tier_rows = search_walk.statistics(TABLE, TIER_INDEX)
    assert tier_rows == 8

    def share(query):
        return search_walk.estimated_shares(query, shares)[0]

    assert share("pricing") == pytest.approx(1.0)
    assert share("churn") == pytest.approx(0.5)
    assert share("pricing churn") == pytest.approx(0.5)
    assert share("pricing -churn") == pytest.approx(0.5)
    # A stop word is left out, as the search leaves it out.
    assert share("the churn") == pytest.approx(0.5)
    # Either group: capped at every episode.
    assert share("churn or pricing") == pytest.approx(1.0)
    # A word the statistics do not count as common is rare; a phrase is never walked.
    assert share("zebra") == 0.0
    assert share('"pricing talk"') == 0.0
    # What the index reads: every word's posting list, an excluded one's too.
    assert search_walk.estimated_shares("pricing -churn", shares)[1] == pytest.approx(1.5)


def test_it_walks_only_where_the_bitmap_would_cost_more(pricing_library, monkeypatch):
    # Eight episodes: a bitmap of eight entries is always cheaper than a walk.
    assert not search_walk.walks_tier("pricing", TABLE, TIER_INDEX)
    assert _episode_search("pricing") is not _best_scored_episodes

    monkeypatch.setattr(search_walk, "MATCH_US", 10_000.0)
    assert search_walk.walks_tier("pricing", TABLE, TIER_INDEX)
    assert _episode_search("pricing") is _best_scored_episodes
    assert not search_walk.walks_tier("zebra", TABLE, TIER_INDEX)


def test_it_weighs_a_walk_against_the_best_bands_bitmap_where_the_band_holds_enough(
    pricing_library, monkeypatch
):
    monkeypatch.setattr("core.search.CANDIDATES", 3)
    monkeypatch.setattr(search_walk, "MATCH_US", 0.5)
    assert search_walk.statistics(TABLE, BAND_INDEX)[1] == 5

    # Walking to three matches costs 3.9 us: less than a bitmap of the tier's eight (4.8)...
    assert search_walk.walks_tier("pricing", TABLE, TIER_INDEX)
    # ...more than one of the five scored 80 or more (3.0), where the three are found.
    assert not search_walk.walks_tier("pricing", TABLE, TIER_INDEX, band_index=BAND_INDEX)
    assert _episode_search("pricing") is _episodes


def test_it_ranks_the_best_scored_matches_when_it_walks(pricing_library, monkeypatch):
    monkeypatch.setattr("core.search.CANDIDATES", 3)
    monkeypatch.setattr("browse.search.CANDIDATES", 3)
    best_three = {episode.pk for episode in pricing_library[-3:]}

    found = {episode.pk for episode in search("pricing", per_page=5).episodes}
    # As the scan yields them: the first three in the table of the band scored 80 or more.
    assert found == {episode.pk for episode in pricing_library[3:6]}
    assert [episode.score for episode in pricing_library[3:6]] == [81, 84, 87]

    monkeypatch.setattr(search_walk, "MATCH_US", 10_000.0)
    found = {episode.pk for episode in search("pricing", per_page=5).episodes}
    assert found == best_three


def test_it_asks_for_the_lexemes_of_unseen_words_in_one_query(
    monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(search_walk, "_lexemes", {})

    with django_assert_num_queries(1):
        first = search_walk.words_lexemes(["pricing", "e-mail", "the"])
    with django_assert_num_queries(0):
        again = search_walk.words_lexemes(["the", "pricing"])

    assert first == {"pricing": ("price",), "e-mail": ("e", "e-mail", "mail"), "the": ()}
    assert again == {"the": (), "pricing": ("price",)}


def _table_scans(plan: dict, table: str) -> int:
    """How many nodes of an EXPLAIN (FORMAT JSON) plan read `table`."""
    own = 1 if plan.get("Relation Name") == table else 0
    return own + sum(_table_scans(child, table) for child in plan.get("Plans", []))


def test_it_ranks_the_walked_candidates_from_the_rows_it_walked(pricing_library):
    with CaptureQueriesContext(connection) as queries:
        (walked,) = fetch_together(_pending(_best_scored_episodes, "pricing", 0, 3))
    assert [episode.pk for episode in walked] == [episode.pk for episode in pricing_library[:-4:-1]]

    (statement,) = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement["sql"])
        (plan,) = cursor.fetchone()[0]
    # The walked tier, the rest of the episodes (read only if the tier has too few matches)
    # and the page's rows: no read of each candidate again by its key.
    assert _table_scans(plan["Plan"], TABLE) == 3


@pytest.fixture
def pricing_talk(pricing_library):
    """pricing_library with a transcript of each episode and three shows on pricing, all
    saying "pricing" (and the transcripts "part"), as their statistics say. Given, not
    analysed: ANALYZE's row counts outlive a test and would plan later tests' searches for
    these tables."""
    for episode in pricing_library:
        TranscriptFactory(
            episode=episode, segments=[{"start": 1.0, "text": f"Pricing, part {episode.pk}."}]
        )
    shows = [ShowFactory(title=f"Pricing Hour {i}", score=50.0 + i) for i in range(3)]
    for table, index, shares, rows in [
        ("episodes_transcript", "episodes_transcript_pkey", {"price": 1.0, "part": 1.0}, 8),
        ("shows_show", "show_score_order_idx", {"price": 0.75}, len(shows) + 1),
    ]:
        search_walk._statistics[(table, index)] = (float("inf"), shares, float(rows))
    return pricing_library


def test_it_walks_the_shows_and_the_transcripts_of_common_words_too(pricing_talk, monkeypatch):
    # A handful of rows: the GIN index's matches are always cheaper than a walk.
    assert _show_search("pricing") is _shows
    assert _moment_search("pricing") is _moments

    monkeypatch.setattr(search_walk, "MATCH_US", 10_000.0)
    # The shows' every match is read and sorted, at its own cost.
    assert _show_search("pricing") is _shows
    monkeypatch.setattr(search_walk, "READ_MATCH_US", 10_000.0)
    assert _show_search("pricing") is _best_scored_shows
    assert _moment_search("pricing") is _newest_moments
    assert _show_search("zebra") is _shows
    assert _moment_search("zebra") is _moments
    # A phrase's transcripts are walked as its words would be; an episode's phrase is looked
    # up as its word pairs, which no statistics call common.
    assert _moment_search('"pricing part"') is _newest_moments
    assert _episode_search('"pricing talk"') is _episodes


def test_it_finds_the_newest_transcripts_first_when_it_walks_them(pricing_talk, monkeypatch):
    monkeypatch.setattr("core.search.CANDIDATES", 3)
    monkeypatch.setattr("browse.search.CANDIDATES", 3)
    newest_three = {episode.pk for episode in pricing_talk[-3:]}

    monkeypatch.setattr(search_walk, "MATCH_US", 10_000.0)
    found = {moment.episode.pk for moment in search("pricing", per_page=5).moments}
    assert found == newest_three
    # A phrase: the newest three transcripts holding its words, each saying it.
    monkeypatch.setattr("browse.search.TRANSCRIPT_PHRASE_SCAN", 3)
    found = {moment.episode.pk for moment in search('"pricing part"', per_page=5).moments}
    assert found == newest_three


def test_it_plans_a_search_once_and_keeps_the_plan_for_every_query_of_its_shape(
    pricing_talk, no_prepared_statements
):
    for query in ["pricing", "churn", "power", "talk", "pricing", "churn", "power"]:
        with CaptureQueriesContext(connection) as queries:
            results = search(query)
        assert results.episodes
    prepared = [
        statement.split("(", 1)[0].removeprefix("EXECUTE ")
        for statement in executed_statements(queries.captured_queries)
        if statement.startswith("EXECUTE ")
    ]

    # Shows, people, episodes, moments: seven searches of one shape with four queries;
    # PostgreSQL planned each statement for its first five runs, then kept a plan, as good as
    # those since none of them could see the words (nor, for people, the name's fragment).
    assert len(prepared) == 4
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = ANY(%s)",
            [prepared],
        )
        plans = cursor.fetchall()
    assert len(plans) == 4
    assert all(kept >= 2 and planned <= 5 for kept, planned in plans), plans
