"""Transcripts' search vectors kept in the row, their segments moved out of it first.

Site search ranks its transcript candidates by reading each one's vector twice (the match, then
ts_rank_cd), and PostgreSQL fetches an out-of-line value from the TOAST table every time: an
index probe and a chunk read per fetch. With the default storage (EXTENDED) a row too large
for the page moved whichever large column it met first, so a transcript's vector was often out
of the row while its segments (read only for the page's ten moments) stayed in it. STORAGE MAIN
makes PostgreSQL move the segments out first and keep the vector in the row (compressed if it
must); a vector too large for any row (an hour's transcript) still goes out of line.

Measured on the bench catalogue (25,117 transcripts, 2 kB vectors; issue 22): the candidate scan
of 'pricing' read 1,373 buffers and took 3.2 ms; after, 80 buffers and 0.95 ms.

Existing vectors are rewritten here (a value is stored by the storage in force when it is
written). PostgreSQL only.
"""

from django.db import migrations

# `|| ''` makes a new value of the same vector, so that it is stored afresh; the trigger (on
# segments) does not fire.
FORWARD = """
ALTER TABLE episodes_transcript ALTER COLUMN search_vector SET STORAGE MAIN;
UPDATE episodes_transcript SET search_vector = search_vector || ''::tsvector
WHERE search_vector IS NOT NULL;
"""

BACKWARD = """
ALTER TABLE episodes_transcript ALTER COLUMN search_vector SET STORAGE EXTENDED;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("episodes", "0012_scored_order_index")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
