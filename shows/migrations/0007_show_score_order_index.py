"""A narrow PostgreSQL index that lists the ranked shows by score, best first.

The API's shows in a category by score (/api/v1/shows?category=finance&sort=score) read

    SELECT ... FROM shows_show JOIN shows_showcategory ON ...
        WHERE active AND canonical_id IS NULL AND category_id = %s
        ORDER BY score DESC NULLS LAST, id LIMIT 51

and without it PostgreSQL read every show and sorted the category's: 138 ms at 50,000 shows
(the 2,500,000-episode bench catalogue), growing with the catalogue. With it, the shows are
walked best first and each is looked up in the category until the page is full: 19 ms cold,
reading 407 shows for 51. Its predicate is active_show_q(), which every ranking filters on.

SQL rather than Meta.indexes, like shows 0005 and 0006: kept out of the model state. On other
databases (SQLite) this migration does nothing.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX IF NOT EXISTS show_score_order_idx
    ON shows_show (score DESC NULLS LAST, id)
    WHERE active AND canonical_id IS NULL;
"""

BACKWARD = "DROP INDEX IF EXISTS show_score_order_idx;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("shows", "0006_show_ranking_order_indexes")]

    operations = [migrations.RunPython(forward, backward)]
