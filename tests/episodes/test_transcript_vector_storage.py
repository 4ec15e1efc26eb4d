"""Transcripts keep their search vector in the row and move their segments out first
(migration 0013): search reads every candidate's vector, and only ten rows' segments."""

import random
import string

import pytest
from django.db import connection

from tests.factories import TranscriptFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL storage only"),
]


def toasted_bytes() -> dict[int, int]:
    """The bytes of each value in the transcripts' TOAST table, by value."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltoastrelid::regclass::text FROM pg_class"
            " WHERE oid = 'episodes_transcript'::regclass"
        )
        (toast,) = cursor.fetchone()
        # The table's name comes from the catalogue, not from input.
        cursor.execute(
            f"SELECT chunk_id, sum(octet_length(chunk_data)) FROM {toast} GROUP BY chunk_id"  # noqa: S608
        )
        return dict(cursor.fetchall())


def test_it_keeps_the_vector_in_the_row():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute"
            " WHERE attrelid = 'episodes_transcript'::regclass AND attname = 'search_vector'"
        )
        assert cursor.fetchone() == ("m",)


def test_it_moves_the_segments_out_of_a_row_too_large_for_the_page():
    # Words no compressor shrinks much, so that the row must give up a value: the vector
    # (each word with its position) is the larger of the two, and the segments must go.
    words = random.Random(22)
    text = " ".join(
        "".join(words.choice(string.ascii_lowercase) for _ in range(9)) for _ in range(300)
    )
    before = toasted_bytes()
    transcript = TranscriptFactory(segments=[{"start": 0.0, "end": 60.0, "text": text}])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_size(search_vector), pg_column_size(segments)"
            " FROM episodes_transcript WHERE id = %s",
            [transcript.pk],
        )
        vector_bytes, segments_bytes = cursor.fetchone()
    assert vector_bytes > segments_bytes
    added = [size for chunk, size in toasted_bytes().items() if chunk not in before]
    # The segments went out of the row (smaller values may follow them); the vector did not.
    assert segments_bytes in added
    assert vector_bytes not in added
