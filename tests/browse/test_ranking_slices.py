"""The rankings read keys first (browse.rankings.ranking_query): every slice is the full
order's slice, and on PostgreSQL the ids come from an index in that order."""

from itertools import product

import pytest
from django.db import connection

from browse import rankings
from shows.models import Show, ShowCategory
from tests.factories import CategoryFactory, ShowFactory

pytestmark = pytest.mark.django_db

SORTS = ("score", "recent", "episodes")


@pytest.fixture
def shows():
    """Twelve shows in two categories and two languages, with ties on every sort key."""
    finance, sales = CategoryFactory(slug="finance"), CategoryFactory(slug="sales")
    made = []
    for i in range(12):
        show = ShowFactory(
            title=f"Show {i % 5}", language="de" if i % 3 else "en", categories=[finance, sales]
        )
        Show.objects.filter(pk=show.pk).update(
            rank=1 + i // 3 if i < 10 else None,
            score=None if i == 4 else 50 + i % 4,
            episode_count=i % 3,
            latest_episode_at=None if i % 5 == 0 else f"2026-0{1 + i % 4}-01T00:00:00Z",
        )
        ShowCategory.objects.filter(show=show, category=finance).update(rank=1 + i // 2)
        made.append(show)
    return {"finance": finance, "shows": made}


def test_it_reads_every_slice_of_every_ranking_in_the_full_order(shows):
    finance = shows["finance"]
    for in_category, language, sort in product((False, True), ("", "de"), SORTS):
        category = finance if in_category else None
        full = rankings.ranked_shows(category)
        if language:
            full = full.filter(language=language)
        expected = [(s.pk, s.position) for s in full.order_by(*rankings.show_order(sort))]
        arguments = [finance.pk] * in_category + [language] * bool(language)
        for offset in range(len(expected) + 1):
            query = rankings.ranking_query(in_category, bool(language), sort, offset, 3)
            found = [(s.pk, s.position) for s in query(*arguments)]
            assert found == expected[offset : offset + 3], (in_category, language, sort, offset)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.parametrize(
    ("language", "sort", "index"),
    [
        (None, "score", "show_ranking_order_idx"),
        ("de", "score", "show_ranking_order_idx"),
        ("de", "recent", "show_language_recent_idx"),
    ],
)
def test_the_ids_of_a_ranking_page_come_from_an_index_in_its_order(
    shows, language, sort, index, index_plan
):
    # Twelve shows: once another test has left the table's statistics at a row or two, the
    # planner read the table and sorted it unless made to use an index.
    plan = index_plan(rankings.ranking_keys(None, language, sort)[1950:2001])
    assert f"Index Only Scan using {index}" in plan
    assert "Sort" not in plan
