"""Celery tasks for feed polling: thin wrappers that take ids and delegate to episodes.ingest.

Their own module, not episodes.tasks: the poll stores episodes (episodes.feed_items), which
queue transcript tasks from episodes.tasks, so importing the poll there would be a circle.
Settings' CELERY_IMPORTS loads it in every worker.
"""

import logging
from itertools import batched

from celery import shared_task
from django.conf import settings

from core.queues import queue_lengths
from episodes import ingest
from shows.ingest.dispatch import claim_due_shows

logger = logging.getLogger(__name__)

# Shows per poll_shows task: enough to keep a worker's fetch threads busy (they run
# PODINDEX_POLL_CONCURRENCY at a time), few enough to spread a dispatch over the workers.
POLL_BATCH = 250


@shared_task(ignore_result=True)
def poll_due_shows() -> int:
    """Enqueue the shows whose next poll time has come, in batches (run by beat every minute).

    Claims at most PODINDEX_DISPATCH_LIMIT shows, and none while the workers still have
    PODINDEX_DISPATCH_MAX_WAITING batches waiting: a claim is a 30-minute lease, so claiming
    faster than the workers poll would only see the lease run out and the show claimed again.
    """
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    waiting = queue_lengths().counts.get(queue)
    if waiting is not None and waiting >= settings.PODINDEX_DISPATCH_MAX_WAITING:
        logger.warning("Not dispatching polls: %s tasks already wait in %r", waiting, queue)
        return 0
    show_ids = claim_due_shows(settings.PODINDEX_DISPATCH_LIMIT)
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
