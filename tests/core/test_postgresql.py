"""The PostgreSQL backend's health check: no round trip while the socket is quiet, and a
connection the server closed is still replaced before the request's first query."""

import select

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL backend's own health check"
)


@pytest.fixture
def checked(monkeypatch):
    """The default connection, open, as at the start of a request with health checks on."""
    default = connections["default"]
    default.ensure_connection()
    monkeypatch.setattr(default, "health_check_enabled", True)
    default.health_check_done = False
    return default


@pytest.fixture
def round_trips(monkeypatch, checked):
    """How many times the health check asked the server (SELECT 1)."""
    calls = []
    is_usable = type(checked).is_usable

    def counted(self):
        calls.append(1)
        return is_usable(self)

    monkeypatch.setattr(type(checked), "is_usable", counted)
    return calls


@pytest.mark.django_db
def test_it_sends_no_select_1_on_a_quiet_connection(checked, round_trips):
    with checked.cursor() as cursor:
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)
    assert round_trips == []
    assert checked.health_check_done


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_replaces_a_connection_the_server_closed(checked, round_trips):
    pid = checked.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    # The server's farewell reaches the socket a moment after the other backend returns.
    select.select([checked.connection.fileno()], [], [], 5)
    with checked.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
    assert round_trips == [1]
