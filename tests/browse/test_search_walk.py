"""A common word's episode candidates walk the well-scored episodes best first (search_walk):
the choice from PostgreSQL's statistics, and the candidates it gives."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from browse import search_walk
from browse.search import _best_scored_episodes, _episode_search, _rows, search
from tests.factories import ShowFactory, scored_episode

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL statistics only"),
]
TABLE, TIER_INDEX = "episodes_episode", "episode_search_top_idx"


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


def test_it_ranks_the_best_scored_matches_when_it_walks(pricing_library, monkeypatch):
    monkeypatch.setattr("core.search.CANDIDATES", 3)
    monkeypatch.setattr("browse.search.CANDIDATES", 3)
    best_three = {episode.pk for episode in pricing_library[-3:]}

    found = {episode.pk for episode in search("pricing", per_page=5).episodes}
    # As the scan yields them: the first three in the table, the lowest scores.
    assert found.isdisjoint(best_three)

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
        walked = _rows(_best_scored_episodes, "pricing", 0, 3)
    assert [episode.pk for episode in walked] == [episode.pk for episode in pricing_library[:-4:-1]]

    (statement,) = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement["sql"])
        (plan,) = cursor.fetchone()[0]
    # The walked tier, the rest of the episodes (read only if the tier has too few matches)
    # and the page's rows: no read of each candidate again by its key.
    assert _table_scans(plan["Plan"], TABLE) == 3
