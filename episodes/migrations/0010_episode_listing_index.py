"""A narrow PostgreSQL index of each episode's listing columns, for search's joins.

Transcript search scans transcripts and keeps those of listed episodes of listed shows, one
episode lookup per scanned transcript:

    SELECT ... FROM episodes_transcript JOIN episodes_episode ON ... JOIN shows_show ON ...
        WHERE NOT episodes_episode.hidden AND ... AND episodes_transcript.search_vector @@ ...

The episodes table is wide (show notes, URLs and the search vector: about 2.4 kB a row, 600 MB
at 250,000 episodes), so each lookup read a heap page of its own, mostly not in shared buffers:
500 of them were 22 ms of a 32 ms phrase search. This index holds what the join and the
ranking read (show, hidden, score), about 10 MB, so the lookups are index-only scans of pages
that stay cached.

SQL rather than Meta.indexes, like the search indexes: kept out of the model state. On other
databases (SQLite) this migration does nothing.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX IF NOT EXISTS episode_listing_idx
    ON episodes_episode (id) INCLUDE (show_id, hidden, score);
"""

BACKWARD = "DROP INDEX IF EXISTS episode_listing_idx;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("episodes", "0009_episode_search_word_pairs")]

    operations = [migrations.RunPython(forward, backward)]
