"""What a test reads of the statements a piece of code sent to the database."""

import re

from django.db import connection

from core.prepared import batched_statements


def executed_statements(captured_queries) -> list[str]:
    """Each statement of the queries a CaptureQueriesContext captured, a batch of prepared
    statements (core.prepared.fetch_together, logged as one query) split into its EXECUTEs."""
    return [
        statement for entry in captured_queries for statement in batched_statements(entry["sql"])
    ]


def statement_sql(statement: str) -> str:
    """The SQL a logged statement ran: for an EXECUTE, its prepared statement's own (from the
    session's pg_prepared_statements)."""
    executed = re.match(r"EXECUTE (\w+)", statement)
    if not executed:
        return statement
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE name = %s", [executed[1]]
        )
        (prepared,) = cursor.fetchone()
    return prepared.split(" AS ", 1)[1]
