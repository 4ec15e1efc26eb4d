"""Narrow PostgreSQL indexes that give the rankings page the keys of its slice in order.

The page reads its rows keys first (browse.rankings.ranking_query): the ids of the slice, then
those rows whole. The first of these indexes holds the whole ORDER BY of the ranking, so the
ids of any page come from an index-only scan, and the language, so a ranking filtered by
language is read from it too:

    SELECT id FROM shows_show WHERE active AND canonical_id IS NULL [AND language = %s]
        ORDER BY rank ASC NULLS LAST, score DESC NULLS LAST, title, id LIMIT 51 OFFSET 1950

(page 40, 250,000-episode bench catalogue: 7.3 ms reading 2,000 rows of about 1 kB and
sorting them -> under 1 ms). The second serves the most recent first within a language, with a
category or without:

    SELECT shows_show.id FROM shows_show JOIN shows_showcategory ON ...
        WHERE active AND canonical_id IS NULL AND category_id = %s AND language = %s
        ORDER BY latest_episode_at DESC NULLS LAST, id LIMIT 51

(7-9 ms reading the 500 shows in the language whole -> 1.4 ms). Their predicate is
active_show_q(), which every ranking filters on.

SQL rather than Meta.indexes, like shows 0005: kept out of the model state. On other databases
(SQLite) this migration does nothing.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX IF NOT EXISTS show_ranking_order_idx
    ON shows_show (rank, score DESC NULLS LAST, title, id) INCLUDE (language)
    WHERE active AND canonical_id IS NULL;
CREATE INDEX IF NOT EXISTS show_language_recent_idx
    ON shows_show (language, latest_episode_at DESC NULLS LAST, id)
    WHERE active AND canonical_id IS NULL;
"""

BACKWARD = """
DROP INDEX IF EXISTS show_ranking_order_idx;
DROP INDEX IF EXISTS show_language_recent_idx;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("shows", "0005_show_active_cover_index")]

    operations = [migrations.RunPython(forward, backward)]
