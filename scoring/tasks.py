"""Celery tasks for scoring (queue "scoring"): thin wrappers that take ids and delegate."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from core.queues import queue_lengths
from episodes.models import Episode
from scoring import budget, pipeline, ranking
from scoring.services import changed_since_scoring_ids, pending_episode_ids

logger = logging.getLogger(__name__)

# Where settings.CELERY_TASK_ROUTES sends this module's tasks.
SCORING_QUEUE = "scoring"


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=3,
    # Per worker: run the scoring queue with bounded concurrency to respect the API's limit.
    rate_limit=settings.PODINDEX_SCORING_RATE_LIMIT or None,
)
def score_episode(episode_id: int, force: bool = False) -> dict | None:
    """Score one episode; model failures are recorded on the run, not raised."""
    try:
        run = pipeline.run_scoring(episode_id, force=force)
    except Episode.DoesNotExist:
        logger.info("Episode %s was deleted before it could be scored", episode_id)
        return None
    return {"run": run.pk, "outcome": run.outcome}


@shared_task
def score_pending(limit: int = 200) -> int:
    """Enqueue episodes with a transcript but no current scorecard, while budget remains."""
    if settings.PODINDEX_SCORING_MODEL and not budget.allows():
        return 0
    ids = pending_episode_ids(limit)
    for episode_id in ids:
        score_episode.delay(episode_id)
    return len(ids)


@shared_task
def score_changed_transcripts(limit: int = 200) -> int:
    """Enqueue episodes whose words changed since they were last scored (every minute).

    The database carries the hand-off: any writer of a transcript (a fetch, our
    speech-to-text, an editor, the admin, a shell) leaves a hash that differs from the
    scorecard's, and this sweep finds it. The on-commit nudges only make it sooner. While
    scorings still wait in the queue it adds none: those may be the very episodes it would
    find (a run is recorded only when it starts).
    """
    if settings.PODINDEX_SCORING_MODEL and not budget.allows():
        return 0
    if queue_lengths().counts.get(SCORING_QUEUE):
        return 0
    ids = changed_since_scoring_ids(limit)
    for episode_id in ids:
        score_episode.delay(episode_id)
    return len(ids)


@shared_task(ignore_result=True)
def recompute_rankings() -> None:
    """Recompute every show's score and rank (nightly: category means drift between runs)."""
    ranking.recompute_all()


@shared_task(ignore_result=True, name=ranking.RERANK_TASK)
def rerank() -> None:
    """Re-rank every show once after a burst of score changes (ranking.request_rerank)."""
    ranking.rerank_now()


@shared_task(ignore_result=True)
def refresh_drifted_shows() -> int:
    """Keep category means current and re-score the shows whose prior moved (every minute)."""
    return ranking.refresh_drifted_shows()
