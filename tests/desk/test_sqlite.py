"""The embedded SQLite default under two editors: WAL, a busy timeout, IMMEDIATE transactions."""

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="about the SQLite default (DATABASE_URL is not SQLite)",
    ),
    pytest.mark.django_db,
]


def test_settings_turn_on_wal_a_busy_timeout_and_immediate_transactions():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["init_command"] == "PRAGMA journal_mode=WAL;"
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] == 20


def test_simultaneous_read_then_write_transactions_all_succeed(tmp_path):
    """Six writers that read, then write, in one transaction each, all at the same moment: the
    pattern that failed with "database is locked" under SQLite's deferred transactions."""
    config = {
        **settings.DATABASES["default"],
        "NAME": str(tmp_path / "two-editors.sqlite3"),
        "TEST": {},
    }
    setup = DatabaseWrapper(config, alias="setup")
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, after INTEGER)")
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    setup.close()

    start, errors = threading.Barrier(6), []

    def editor(n):
        db = DatabaseWrapper(config, alias=f"editor-{n}")
        try:
            start.wait()
            with _atomic(db), db.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM log")
                seen = cursor.fetchone()[0]
                cursor.execute("INSERT INTO log (after) VALUES (%s)", [seen + 1])
        except Exception as exc:
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    check = DatabaseWrapper(config, alias="check")
    with check.cursor() as cursor:
        cursor.execute("SELECT after FROM log ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == [1, 2, 3, 4, 5, 6]
    check.close()


class _atomic:
    """BEGIN … COMMIT on one DatabaseWrapper, the way transaction.atomic() opens it."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.ensure_connection()
        # As transaction.atomic() does: SQLite's BEGIN comes from Django, in transaction_mode.
        self.db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.db.commit()
        else:
            self.db.rollback()
        self.db.set_autocommit(True)
