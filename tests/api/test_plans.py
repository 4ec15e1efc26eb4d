"""On PostgreSQL, the API's longest lists are read from an index in their order, not sorted."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CategoryFactory, ShowFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans"),
]


def test_it_walks_a_categorys_shows_by_score_through_the_score_index(client):
    finance = CategoryFactory(slug="finance")
    for n in range(12):
        ShowFactory(categories=[finance], score=40 + n)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/shows", {"category": "finance", "sort": "score"})
    assert [show["score"] for show in response.json()["items"]][:3] == [51, 50, 49]
    (listing,) = [q["sql"] for q in captured if "ORDER BY" in q["sql"] and "shows_show" in q["sql"]]

    with connection.cursor() as cursor:
        # Twelve shows fit a page: without these the planner would read the table and sort it
        # (and, once another test has left the table's statistics at a row or two, it did).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {listing}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using show_score_order_idx" in plan
    assert "Sort" not in plan
