"""Queue heartbeats and /health/: the broker and how long work waits, against real Redis."""

import uuid
from datetime import timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from core import queues, tasks
from core.models import QueueHeartbeat
from podindex.celery import app
from tests.factories.waiting import wait_for

BROKER = "redis://127.0.0.1:6379/13"


@pytest.fixture
def private_queues(settings):
    """Routes to two queues of our own on Redis db 13, so nothing else consumes them."""
    suffix = uuid.uuid4().hex[:8]
    names = [f"health-a-{suffix}", f"health-b-{suffix}"]
    # Saved before the settings change: the app may read its configuration for the first time
    # here, and would then keep these queues and routes for every later test in the process.
    keys = ("broker_url", "task_always_eager", "task_default_queue", "task_routes")
    saved = {key: app.conf[key] for key in keys}
    settings.CELERY_BROKER_URL = BROKER
    settings.CELERY_TASK_DEFAULT_QUEUE = names[0]
    settings.CELERY_TASK_ROUTES = {"nothing.*": {"queue": names[1]}}
    app.conf.update(
        broker_url=BROKER,
        task_always_eager=False,
        task_default_queue=names[0],
        task_routes=settings.CELERY_TASK_ROUTES,
    )
    forget_connections()
    yield names
    redis.Redis.from_url(BROKER).delete(*names)
    app.conf.update(saved)
    forget_connections()


def forget_connections():
    """Drop pooled broker connections, which still point at the previous broker URL."""
    app.close()
    app.amqp._producer_pool = None


@pytest.mark.django_db
def test_it_says_tasks_run_inline_without_a_broker(client, settings):
    settings.CELERY_BROKER_URL = ""

    report = client.get("/health/").json()

    assert report == {
        "status": "ok",
        "database": "ok",
        "broker": "none (tasks run inline)",
        "queues": {},
    }
    assert queues.send_heartbeats() == []


@pytest.mark.django_db
def test_it_sends_one_heartbeat_into_every_queue(private_queues):
    sent = queues.send_heartbeats()

    assert sent == sorted(private_queues)
    broker = redis.Redis.from_url(BROKER)
    assert [broker.llen(name) for name in private_queues] == [1, 1]
    assert QueueHeartbeat.objects.filter(queue__in=private_queues).count() == 2


@pytest.mark.django_db
def test_it_reports_waiting_tasks_and_a_growing_lag_while_a_heartbeat_is_unanswered(
    client, private_queues, settings
):
    settings.PODINDEX_HEALTH_MAX_QUEUE_LAG = 600
    queues.send_heartbeats()
    stuck, fine = private_queues
    twenty_minutes_ago = timezone.now() - timedelta(minutes=20)
    QueueHeartbeat.objects.filter(queue=stuck).update(sent_at=twenty_minutes_ago)
    queues.answer_heartbeat(fine, timezone.now() - timedelta(seconds=3))

    response = client.get("/health/")

    report = response.json()
    # A lagging queue degrades the report but must not take the web out of a load balancer.
    assert response.status_code == 200
    assert report["status"] == "degraded"
    assert report["broker"] == "ok"
    assert report["queues"][stuck]["waiting"] == 1
    assert report["queues"][stuck]["lag_seconds"] >= 1200
    assert 3 <= report["queues"][fine]["lag_seconds"] < 10


@pytest.mark.django_db
def test_it_keeps_the_oldest_unanswered_heartbeat_time(private_queues):
    queues.send_heartbeats()
    first = QueueHeartbeat.objects.get(queue=private_queues[0]).sent_at

    queues.send_heartbeats()

    assert QueueHeartbeat.objects.get(queue=private_queues[0]).sent_at == first


@pytest.mark.django_db
def test_it_says_degraded_without_publishing_the_error_when_the_broker_is_down(
    client, settings, caplog
):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/health/")

    report = response.json()
    assert response.status_code == 200
    assert report["status"] == "degraded"
    assert report["broker"] == "unavailable"
    assert "127.0.0.1:1" not in response.content.decode()
    assert "broker is unavailable" in caplog.text


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_answers_the_heartbeats_and_the_site_says_ok(client, private_queues):
    tasks.send_heartbeats.apply()

    with start_worker(
        app, perform_ping_check=False, queues=private_queues, pool="solo", shutdown_timeout=30
    ):
        assert wait_for(
            lambda: (
                not QueueHeartbeat.objects.filter(
                    queue__in=private_queues, answered_at__isnull=True
                ).exists()
            )
        )

    report = client.get("/health/").json()
    assert report["status"] == "ok"
    assert {name: row["waiting"] for name, row in report["queues"].items()} == dict.fromkeys(
        private_queues, 0
    )
    assert all(0 <= row["lag_seconds"] < 30 for row in report["queues"].values())
