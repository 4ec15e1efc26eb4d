"""A PostgreSQL index of the scored episodes, best first, for the home page.

The home page lists the best episodes scored in the last 30 days:

    SELECT ... FROM episodes_episode JOIN shows_show ...
        WHERE NOT hidden AND score IS NOT NULL AND scored_at >= now() - '30 days' AND <show listed>
        ORDER BY score DESC, scored_at DESC, id DESC LIMIT 8

Over the scored_at index that sorts every episode of the window (7,235 rows at 250,000
episodes: 25 ms). This index is in the query's order, so PostgreSQL walks it from the best score
and stops at the eighth recent, listed episode (0.2 ms), checking scored_at in the index. Its
predicate must stay within the query's (Episode.objects.scored()).

Site search walks it too: the well-scored episodes holding a common word, best first
(browse.search.TOP_TIER_ORDER), stopping at the 200th.

SQL rather than Meta.indexes, like the search indexes: kept out of the model state. On other
databases (SQLite) this migration does nothing.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX IF NOT EXISTS episode_best_scored_idx
    ON episodes_episode (score DESC, scored_at DESC, id DESC)
    WHERE NOT hidden AND score IS NOT NULL;
"""

BACKWARD = "DROP INDEX IF EXISTS episode_best_scored_idx;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("episodes", "0005_deferred_episode_search_vector")]

    operations = [migrations.RunPython(forward, backward)]
