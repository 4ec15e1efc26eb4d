"""Two editors saving the same score at the same moment: one wins, the other is told who."""

import threading

import pytest
from django.db import connection, connections

from scoring.models import EditorialOverride, OverrideConflict, RubricDimension
from tests.desk.conftest import make_editor
from tests.factories import scored_episode

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs a server database: SQLite's shared in-memory test database locks whole "
        "tables without waiting (test_sqlite.py runs the file-based default instead)",
    ),
]


def test_simultaneous_saves_of_one_score_write_one_row_and_refuse_the_other():
    episode = scored_episode()
    dimension = RubricDimension.objects.get(rubric__is_active=True, key="originality")
    editors = [make_editor("dana"), make_editor("ada", "Ada", "Lovelace")]
    start, results = threading.Barrier(2), {}

    def save(editor, score):
        try:
            start.wait()
            results[editor.username] = EditorialOverride.objects.record(
                episode=episode,
                dimension=dimension,
                editor=editor,
                score=score,
                reason=f"{editor.username}'s reading",
                version=0,
            )
        except Exception as exc:
            results[editor.username] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=(editor, score))
        for editor, score in zip(editors, (7, 12), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    saved = [r for r in results.values() if isinstance(r, EditorialOverride)]
    refused = [r for r in results.values() if isinstance(r, OverrideConflict)]
    assert (len(saved), len(refused)) == (1, 1), results
    assert str(refused[0]).startswith(f"{saved[0].editor_label} changed this at ")
    assert EditorialOverride.objects.count() == 1
