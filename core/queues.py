"""The work queues: their lengths, read from the broker (Redis or RabbitMQ) through kombu, and
how long work waits in each, measured by heartbeats."""

import logging
from dataclasses import dataclass
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.utils import timezone
from kombu import Connection

from core.models import QueueHeartbeat

logger = logging.getLogger(__name__)

# What each of our queues carries, for the dashboard.
QUEUE_LABELS = {
    "default": "Feed polls and heartbeats",
    "fetches": "Publisher transcripts",
    "scoring": "Scoring",
    "transcripts": "Transcription",
}
BROKER_TIMEOUT = 2.0


@dataclass
class QueueLengths:
    """Waiting messages per queue; `inline` when there is no broker, `error` when unreachable."""

    counts: dict[str, int | None]
    inline: bool = False
    error: str = ""

    @property
    def rows(self) -> list[dict]:
        return [
            {"name": name, "label": QUEUE_LABELS.get(name, name), "count": count}
            for name, count in self.counts.items()
        ]


def queue_names() -> list[str]:
    """The default queue and every queue a task is routed to."""
    names = {settings.CELERY_TASK_DEFAULT_QUEUE}
    for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(route["queue"])
    return sorted(names)


def queue_lengths(broker_url: str | None = None) -> QueueLengths:
    """How many tasks wait in each queue; tasks run inline when no broker is configured."""
    broker_url = broker_url if broker_url is not None else settings.CELERY_BROKER_URL
    names = queue_names()
    if not broker_url:
        return QueueLengths(dict.fromkeys(names), inline=True)
    counts: dict[str, int | None] = {}
    try:
        with Connection(
            broker_url,
            connect_timeout=BROKER_TIMEOUT,
            transport_options={"socket_timeout": BROKER_TIMEOUT, "max_retries": 1},
        ) as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
            for name in names:
                counts[name] = _length(connection, name)
    except Exception as exc:  # any broker failure is shown, never raised on the dashboard
        return QueueLengths(dict.fromkeys(names), error=f"{type(exc).__name__}: {exc}")
    return QueueLengths(counts)


def _length(connection, name: str) -> int:
    # A fresh channel per queue: AMQP closes the channel when a passive declare finds nothing.
    channel = connection.channel()
    try:
        return channel.queue_declare(queue=name, passive=True).message_count
    except connection.channel_errors:
        return 0  # never declared, or empty (Redis keeps no key for an empty queue)
    finally:
        channel.close()


def send_heartbeats() -> list[str]:
    """Send a heartbeat into every queue; the queues it went to (none without a broker)."""
    if not settings.CELERY_BROKER_URL:
        return []
    now = timezone.now()
    names = queue_names()
    for name in names:
        beat, created = QueueHeartbeat.objects.get_or_create(queue=name, defaults={"sent_at": now})
        # An unanswered heartbeat keeps its time, so the lag grows for as long as the queue is
        # stuck; a new one goes out anyway in case the old message was lost.
        if not created and not beat.outstanding:
            QueueHeartbeat.objects.filter(pk=name).update(sent_at=now)
        current_app.send_task("core.tasks.heartbeat", args=[name, now.isoformat()], queue=name)
    return names


def answer_heartbeat(queue: str, sent_at: datetime) -> None:
    """A worker took a heartbeat: record how long it waited."""
    now = timezone.now()
    QueueHeartbeat.objects.update_or_create(
        queue=queue,
        defaults={"answered_at": now, "lag_seconds": (now - sent_at).total_seconds()},
        create_defaults={"sent_at": sent_at, "answered_at": now},
    )


def queue_lags() -> dict[str, float | None]:
    """Seconds work waits in each queue: the last heartbeat's wait, or longer while one is due."""
    now = timezone.now()
    lags: dict[str, float | None] = dict.fromkeys(queue_names())
    for beat in QueueHeartbeat.objects.filter(queue__in=list(lags)):
        lag = beat.lag_seconds or 0.0
        if beat.outstanding:
            lag = max(lag, (now - beat.sent_at).total_seconds())
        lags[beat.queue] = round(lag, 1)
    return lags


def queue_health() -> dict:
    """The broker and every queue for /health/: waiting tasks, lag, and whether all is well.

    `ok` is False when the broker is unreachable or a queue lags more than
    PODINDEX_HEALTH_MAX_QUEUE_LAG seconds. Broker errors go to the log, not to the public.
    """
    lengths = queue_lengths()
    if lengths.inline:
        return {"ok": True, "broker": "none (tasks run inline)", "queues": {}}
    if lengths.error:
        logger.error("Health check: the broker is unavailable: %s", lengths.error)
    lags = queue_lags()
    limit = settings.PODINDEX_HEALTH_MAX_QUEUE_LAG
    queues = {
        name: {"waiting": lengths.counts.get(name), "lag_seconds": lags.get(name)}
        for name in lengths.counts
    }
    lagging = any((lag or 0) > limit for lag in lags.values())
    return {
        "ok": not lengths.error and not lagging,
        "broker": "unavailable" if lengths.error else "ok",
        "queues": queues,
    }
