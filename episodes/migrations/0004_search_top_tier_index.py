"""PostgreSQL partial GIN index for site search over well-scored episodes.

Site search (browse.search) takes its candidates for ranking from the episodes scored 70 or
more first, then from the others only when those are too few:

    SELECT id FROM episodes_episode ... WHERE search_vector @@ websearch_to_tsquery(...)
        AND score >= 70 LIMIT 200

The full index (episode_search_idx) would hand that branch every match of a common word (a
fifth of the table in the bench) to filter on the heap; this one holds only the well-scored
rows, so the branch reads about 200 rows whatever the word. Its predicate must stay equal to
browse.search.TOP_TIER, or the planner cannot use it.

SQL rather than Meta.indexes: a partial GIN index for one query, kept out of the model state
like the search triggers. On other databases (SQLite) this migration does nothing.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX IF NOT EXISTS episode_search_top_idx
    ON episodes_episode USING gin (search_vector) WHERE score >= 70;
"""

BACKWARD = "DROP INDEX IF EXISTS episode_search_top_idx;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("episodes", "0003_transcript_asr_metrics")]

    operations = [migrations.RunPython(forward, backward)]
