"""PostgreSQL triggers that keep Episode and Transcript.search_vector current: kept current on every write path.

Triggers rather than model save() hooks, so every write path keeps the vectors current:
save(), bulk_create(), queryset.update() of the indexed columns, COPY and raw SQL. On other
databases (SQLite) this migration does nothing: search there falls back to plain matching.
Idempotent (CREATE OR REPLACE, DROP ... IF EXISTS): databases that ran the same SQL from the
former podindex migration get it again unchanged.
"""

from django.db import migrations

CONFIG = "english"

FORWARD = f"""CREATE OR REPLACE FUNCTION episodes_episode_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('{CONFIG}', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('{CONFIG}', left(podindex_strip_html(NEW.notes_html), 100000)), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS episodes_episode_search_vector_trg ON episodes_episode;
CREATE TRIGGER episodes_episode_search_vector_trg
    BEFORE INSERT OR UPDATE OF title, notes_html ON episodes_episode
    FOR EACH ROW EXECUTE FUNCTION episodes_episode_search_vector();

-- The words of every segment; capped so a very long transcript stays under the 1 MB
-- tsvector limit instead of failing the write.
CREATE OR REPLACE FUNCTION episodes_transcript_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := to_tsvector('{CONFIG}', left(coalesce((
        SELECT string_agg(segment ->> 'text', ' ')
        FROM jsonb_array_elements(
            CASE WHEN jsonb_typeof(NEW.segments) = 'array' THEN NEW.segments ELSE '[]'::jsonb END
        ) AS segment
        WHERE jsonb_typeof(segment) = 'object'
    ), ''), 300000));
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS episodes_transcript_search_vector_trg ON episodes_transcript;
CREATE TRIGGER episodes_transcript_search_vector_trg
    BEFORE INSERT OR UPDATE OF segments ON episodes_transcript
    FOR EACH ROW EXECUTE FUNCTION episodes_transcript_search_vector();

-- Existing rows: touching an indexed column fires the triggers.
UPDATE episodes_episode SET title = title;
UPDATE episodes_transcript SET segments = segments;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS episodes_episode_search_vector_trg ON episodes_episode;
DROP TRIGGER IF EXISTS episodes_transcript_search_vector_trg ON episodes_transcript;
DROP FUNCTION IF EXISTS episodes_episode_search_vector();
DROP FUNCTION IF EXISTS episodes_transcript_search_vector();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("episodes", "0001_initial"),
        # podindex_strip_html() is created there.
        ("shows", "0003_search_trigger"),
    ]

    operations = [migrations.RunPython(forward, backward)]
