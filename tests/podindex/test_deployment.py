"""compose.yaml and the Procfile start every role the code needs, and nothing twice."""

import shlex
from pathlib import Path

import pytest
import yaml

from core.queues import queue_names

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {
        name: shlex.split(command)
        for name, command in (line.split(":", 1) for line in lines if line.strip())
    }


def consumed_queues(commands) -> list[str]:
    """Every queue named by `-Q` in the Celery worker commands given."""
    names = []
    for command in commands:
        if command[:4] == ["celery", "-A", "podindex", "worker"]:
            names += command[command.index("-Q") + 1].split(",")
    return names


def test_it_gives_every_queue_exactly_one_kind_of_worker_in_compose(compose):
    commands = [service.get("command") or [] for service in compose["services"].values()]

    assert sorted(consumed_queues(commands)) == queue_names()


def test_it_gives_every_queue_exactly_one_kind_of_worker_in_the_procfile(procfile):
    assert sorted(consumed_queues(procfile.values())) == queue_names()


def test_it_runs_exactly_one_beat(compose, procfile):
    def is_beat(command):
        return command[:4] == ["celery", "-A", "podindex", "beat"]

    services = compose["services"].values()
    assert sum(is_beat(service.get("command") or []) for service in services) == 1
    assert sum(is_beat(command) for command in procfile.values()) == 1


def test_it_serves_the_web_with_gunicorn_after_migrating(compose, procfile):
    web = compose["services"]["web"]

    assert web["command"][:2] == ["gunicorn", "podindex.wsgi"]
    assert web["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert compose["services"]["migrate"]["command"][-2:] == ["migrate", "--no-input"]
    assert procfile["web"][:2] == ["gunicorn", "podindex.wsgi"]
    assert procfile["release"][-2:] == ["migrate", "--no-input"]


def test_it_shares_one_database_broker_and_cache_among_every_role(compose):
    roles = [
        service
        for name, service in compose["services"].items()
        if name not in {"postgres", "redis"}
    ]
    for service in roles:
        environment = service["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["CELERY_BROKER_URL"].startswith("redis://redis:")
        # A per-process cache would give every web process its own page cache.
        assert environment["CACHE_URL"].startswith("redis://redis:")
        assert "DEBUG" not in environment


@pytest.mark.django_db  # Celery's Django fix-up checks the connection as it imports tasks
def test_every_periodic_task_beat_sends_is_one_the_workers_know(settings):
    from podindex.celery import app

    app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "episodes.feed_items.fill_search_vectors" in scheduled
    assert scheduled <= set(app.tasks)
