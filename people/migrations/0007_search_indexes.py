"""PostgreSQL indexes for finding people by name in site search (browse.search.matching_people).

- person_upper_name_trgm_idx replaces person_name_trgm_idx (0003): Django writes
  name__icontains as UPPER(name::text) LIKE UPPER('%…%'), which an index on the plain name
  never answered, so every search read all of people_person.
- personranking_score_idx: the best-scored people first, so a name fragment that many people
  share (two characters, too short for trigrams) is answered by reading people in score order
  until enough match, not by sorting every match.

On other databases (SQLite) this migration does nothing.
"""

from django.db import migrations

FORWARD = (
    "DROP INDEX IF EXISTS person_name_trgm_idx",
    "CREATE INDEX IF NOT EXISTS person_upper_name_trgm_idx"
    " ON people_person USING gin (upper(name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS personranking_score_idx"
    " ON people_personranking (score DESC NULLS LAST, person_id)",
)

BACKWARD = (
    "DROP INDEX IF EXISTS personranking_score_idx",
    "DROP INDEX IF EXISTS person_upper_name_trgm_idx",
    "CREATE INDEX IF NOT EXISTS person_name_trgm_idx ON people_person USING gin (name gin_trgm_ops)",
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("people", "0006_episode_people_struck")]

    operations = [migrations.RunPython(forward, backward)]
