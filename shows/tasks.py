"""Celery tasks for feed polling: thin wrappers that take ids and delegate to shows.ingest."""

from itertools import batched

from celery import shared_task

from shows import ingest

# Shows per poll_shows task: enough to keep a worker's fetch threads busy (they run
# PODINDEX_POLL_CONCURRENCY at a time), few enough to spread a dispatch over the workers.
POLL_BATCH = 250


@shared_task(ignore_result=True)
def poll_due_shows() -> int:
    """Enqueue the shows whose next poll time has come, in batches (run by beat every minute)."""
    show_ids = ingest.claim_due_shows()
    for batch in batched(show_ids, POLL_BATCH):
        poll_shows.delay(list(batch))
    return len(show_ids)


@shared_task(ignore_result=True)
def poll_shows(show_ids: list[int], force: bool = False) -> int:
    """Poll a batch of shows, their fetches running concurrently inside this worker."""
    return len(ingest.poll_many(show_ids, force=force))


@shared_task(ignore_result=True)
def poll_show(show_id: int, force: bool = False) -> None:
    """Poll one show's feed."""
    ingest.poll_by_id(show_id, force=force)
