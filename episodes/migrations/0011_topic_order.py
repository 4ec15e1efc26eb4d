"""The topic page's order stored in PostgreSQL: each filing carries its episode's sort key.

A topic page lists the topic's episodes best scored first (score, then publication date, then
newest key). Sorting every episode a topic files, a few thousand at 250,000 episodes, read one
episode row each and took 190 ms after every content change (issue 22). Now each row of the
topic table (episodes_episode_topics) carries its episode's score and publication date, and an
index holds each topic's filings in page order: a page walks that index and stops after its
rows.

Kept current by triggers on every write path, like the search vectors: a filing copies the
episode's values when it is made; a change of an episode's score or date updates its filings.
Hidden episodes and unlisted shows are left out by the page's own filter.

SQL rather than the model: the columns are not in the model state (the topic table stays
Django's automatic many-to-many table), so the ORM never writes them. On other databases
(SQLite) this migration does nothing, and the page sorts the episodes' own columns.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE episodes_episode_topics
    ADD COLUMN IF NOT EXISTS score smallint,
    ADD COLUMN IF NOT EXISTS published_at timestamp with time zone;

CREATE OR REPLACE FUNCTION episodes_filing_sort_key() RETURNS trigger AS $$
BEGIN
    SELECT score, published_at INTO NEW.score, NEW.published_at
        FROM episodes_episode WHERE id = NEW.episode_id;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS episodes_filing_sort_key_trg ON episodes_episode_topics;
CREATE TRIGGER episodes_filing_sort_key_trg
    BEFORE INSERT OR UPDATE OF episode_id ON episodes_episode_topics
    FOR EACH ROW EXECUTE FUNCTION episodes_filing_sort_key();

CREATE OR REPLACE FUNCTION episodes_episode_filings_sort_key() RETURNS trigger AS $$
BEGIN
    UPDATE episodes_episode_topics SET score = NEW.score, published_at = NEW.published_at
        WHERE episode_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS episodes_episode_filings_sort_key_trg ON episodes_episode;
CREATE TRIGGER episodes_episode_filings_sort_key_trg
    AFTER UPDATE OF score, published_at ON episodes_episode
    FOR EACH ROW
    WHEN (OLD.score IS DISTINCT FROM NEW.score
        OR OLD.published_at IS DISTINCT FROM NEW.published_at)
    EXECUTE FUNCTION episodes_episode_filings_sort_key();

UPDATE episodes_episode_topics AS filing
    SET score = episode.score, published_at = episode.published_at
    FROM episodes_episode AS episode
    WHERE episode.id = filing.episode_id;

CREATE INDEX IF NOT EXISTS topic_order_idx ON episodes_episode_topics
    (topic_id, score DESC NULLS LAST, published_at DESC NULLS LAST, episode_id DESC);
"""

BACKWARD = """
DROP TRIGGER IF EXISTS episodes_episode_filings_sort_key_trg ON episodes_episode;
DROP TRIGGER IF EXISTS episodes_filing_sort_key_trg ON episodes_episode_topics;
DROP FUNCTION IF EXISTS episodes_episode_filings_sort_key();
DROP FUNCTION IF EXISTS episodes_filing_sort_key();
DROP INDEX IF EXISTS topic_order_idx;
ALTER TABLE episodes_episode_topics DROP COLUMN IF EXISTS score, DROP COLUMN IF EXISTS published_at;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("episodes", "0010_episode_listing_index")]

    operations = [migrations.RunPython(forward, backward)]
