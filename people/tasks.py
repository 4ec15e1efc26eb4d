"""Celery tasks for people: thin wrappers over people.sweep and people.ranking."""

from celery import shared_task

from people import ranking, sweep


@shared_task
def sweep_people(limit: int = sweep.SWEEP_BATCH) -> int:
    """Read the people of episodes whose inputs changed (every minute)."""
    return sweep.sweep(limit)


@shared_task
def refresh_people_rankings() -> int:
    """Refresh the figures of people whose episodes or records changed (every minute)."""
    return ranking.refresh_changed()


@shared_task
def recompute_people_rankings() -> None:
    """Recompute every person's figures and ranks (nightly)."""
    ranking.recompute_all()
