"""Indexes for the people ranking's sweep (people.ranking.changed_since): appearances added and
people edited since the previous sweep, found without reading every row.

Raw SQL rather than Meta indexes: the models are the people app's own, and these serve only the
ranking sweep.
"""

from django.db import migrations

INDEXES = {
    "appearance_created_idx": "people_appearance (created_at)",
    "person_updated_idx": "people_person (updated_at)",
}


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_ranking_topics_and_sorts"),
    ]

    operations = [
        migrations.RunSQL(f"CREATE INDEX {name} ON {target}", f"DROP INDEX {name}")
        for name, target in INDEXES.items()
    ]
