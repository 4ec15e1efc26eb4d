"""Heartbeats through every queue, so /health/ can say how long work waits in each."""

from datetime import datetime

from celery import shared_task

from core import queues


@shared_task(ignore_result=True)
def send_heartbeats() -> list[str]:
    """Send one heartbeat into every queue (beat runs this every minute)."""
    return queues.send_heartbeats()


@shared_task(ignore_result=True)
def heartbeat(queue: str, sent_at: str) -> None:
    """Record how long this heartbeat waited in its queue."""
    queues.answer_heartbeat(queue, datetime.fromisoformat(sent_at))
