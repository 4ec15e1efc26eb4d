"""PostgreSQL partial GIN index for site search over the best-scored episodes (80 or more).

Site search (browse.search) takes the candidates of a search whose words are not common enough
to walk from the episodes scored 80 or more first, then from those scored 70 to 80 (the rest of
the tier, episode_search_top_idx), then from the others, each only when those before are too
few:

    SELECT id FROM episodes_episode ... WHERE search_vector @@ websearch_to_tsquery(...)
        AND score >= 80 LIMIT 200

A GIN index answers a query with a bitmap of every row it matches, before the first row is
read: for 'pricing churn' in the bench catalogue (250,000 episodes), 1,458 entries of the
tier's index took 0.84 ms of the statement's 1.8; this index holds a quarter of the tier, and
the same candidates' bitmap 349 entries (the statement 1.0 ms). Its predicate must stay equal
to browse.search.TOP_BAND, or the planner cannot use it.

SQL rather than Meta.indexes: a partial GIN index for one query, kept out of the model state
like the search triggers and the tier's index. On other databases (SQLite) this migration does
nothing.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX IF NOT EXISTS episode_search_band_idx
    ON episodes_episode USING gin (search_vector) WHERE score >= 80;
"""

BACKWARD = "DROP INDEX IF EXISTS episode_search_band_idx;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("episodes", "0013_transcript_vector_inline")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
