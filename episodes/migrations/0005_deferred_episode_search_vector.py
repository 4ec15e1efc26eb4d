"""Episode search vectors: one SQL function for the vector, and a trigger that can defer it.

`episodes_episode_vector(title, notes_html)` is what the trigger of 0002 computed inline; the
trigger and the batch fill (`episodes.feed_items.fill_search_vectors`) now share it.

A feed's first ingest writes thousands of episodes in one statement, and computing their
vectors there (to_tsvector over megabytes of show notes) cost as much as parsing the feed. The
ingest sets `podindex.defer_search_vector` to 'on' for its own statement only (set_config, local
to the transaction, reset after the statement): the trigger then leaves the vector NULL, and a
batch UPDATE after the commit fills every NULL vector of the show. Every other write path keeps
computing the vector in the trigger, as before. PostgreSQL only; nothing on SQLite.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION episodes_episode_vector(title text, notes_html text)
RETURNS tsvector AS $$
    SELECT setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', left(podindex_strip_html(notes_html), 100000)), 'C')
$$ LANGUAGE sql IMMUTABLE;

CREATE OR REPLACE FUNCTION episodes_episode_search_vector() RETURNS trigger AS $$
BEGIN
    IF current_setting('podindex.defer_search_vector', true) = 'on' THEN
        -- Filled by the batch after the ingest commits (NULL: never a stale vector).
        NEW.search_vector := NULL;
    ELSE
        NEW.search_vector := episodes_episode_vector(NEW.title, NEW.notes_html);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""

# The trigger function of 0002 (constants only in the SQL).
BACKWARD = """
CREATE OR REPLACE FUNCTION episodes_episode_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A')
        || setweight(
            to_tsvector('english', left(podindex_strip_html(NEW.notes_html), 100000)), 'C'
        );
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

UPDATE episodes_episode SET search_vector = episodes_episode_vector(title, notes_html)
    WHERE search_vector IS NULL;
DROP FUNCTION IF EXISTS episodes_episode_vector(text, text);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("episodes", "0004_search_top_tier_index")]

    operations = [migrations.RunPython(forward, backward)]
