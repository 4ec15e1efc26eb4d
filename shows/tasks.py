"""Celery tasks for feed polling: thin wrappers that take ids and delegate to shows.ingest."""

from celery import shared_task

from shows import ingest


@shared_task(ignore_result=True)
def poll_due_shows() -> int:
    """Enqueue one poll per show whose next poll time has come (run by beat every minute)."""
    show_ids = ingest.claim_due_shows()
    for show_id in show_ids:
        poll_show.delay(show_id)
    return len(show_ids)


@shared_task(ignore_result=True)
def poll_show(show_id: int, force: bool = False) -> None:
    """Poll one show's feed."""
    ingest.poll_by_id(show_id, force=force)
