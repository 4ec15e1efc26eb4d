"""PostgreSQL trigger that keeps Show.search_vector current: kept current on every write path.

Triggers rather than model save() hooks, so every write path keeps the vectors current:
save(), bulk_create(), queryset.update() of the indexed columns, COPY and raw SQL. On other
databases (SQLite) this migration does nothing: search there falls back to plain matching.
Idempotent (CREATE OR REPLACE, DROP ... IF EXISTS): databases that ran the same SQL from the
former podindex migration get it again unchanged.
"""

from django.db import migrations

CONFIG = "english"

FORWARD = f"""
CREATE OR REPLACE FUNCTION podindex_strip_html(html text) RETURNS text AS $$
    SELECT regexp_replace(coalesce(html, ''), '<[^>]*>', ' ', 'g')
$$ LANGUAGE sql IMMUTABLE;

CREATE OR REPLACE FUNCTION shows_show_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('{CONFIG}', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('{CONFIG}', coalesce(NEW.author, '')), 'B')
        || setweight(to_tsvector('{CONFIG}', left(podindex_strip_html(NEW.description), 100000)), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS shows_show_search_vector_trg ON shows_show;
CREATE TRIGGER shows_show_search_vector_trg
    BEFORE INSERT OR UPDATE OF title, author, description ON shows_show
    FOR EACH ROW EXECUTE FUNCTION shows_show_search_vector();

-- Existing rows: touching an indexed column fires the trigger.
UPDATE shows_show SET title = title;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS shows_show_search_vector_trg ON shows_show;
DROP FUNCTION IF EXISTS shows_show_search_vector();
DROP FUNCTION IF EXISTS podindex_strip_html(text);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("shows", "0002_feedfetch"),
    ]

    operations = [migrations.RunPython(forward, backward)]
