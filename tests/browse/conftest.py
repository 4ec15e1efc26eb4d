"""Shared fixtures of the browse tests."""

import pytest
from django.db import connection


@pytest.fixture
def index_plan():
    """PostgreSQL's EXPLAIN of a queryset's SQL with index scans made the only choice: a test's
    few rows fit a page, and without this the planner would read the table and sort it."""

    def explain(queryset) -> str:
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())

    return explain
