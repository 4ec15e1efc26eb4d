"""Queue lengths, read from the broker (Redis or RabbitMQ) through kombu."""

from dataclasses import dataclass

from django.conf import settings
from kombu import Connection

# What each of our queues carries, for the dashboard.
QUEUE_LABELS = {
    "default": "Feed polls and publisher transcripts",
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
