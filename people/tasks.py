"""Celery tasks for people: thin wrappers over people.sweep."""

from celery import shared_task

from people import sweep


@shared_task
def sweep_people(limit: int = sweep.SWEEP_BATCH) -> int:
    """Read the people of episodes whose inputs changed (every minute)."""
    return sweep.sweep(limit)
