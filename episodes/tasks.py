"""Celery tasks for transcripts: thin wrappers that take ids and delegate."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from kombu.exceptions import OperationalError

from episodes import asr_budget
from episodes.models import Episode
from episodes.transcripts import transcribe
from episodes.transcripts.fetch import fetch_publisher_transcript_by_id

logger = logging.getLogger(__name__)


# Queue "fetches" (settings.CELERY_TASK_ROUTES): a feed with thousands of transcript links
# must not hold up the feed polls of the "default" queue.
@shared_task(ignore_result=True)
def fetch_transcript(episode_id: int) -> None:
    """Fetch and store the publisher transcript of one episode; if none is usable, make ours."""
    if fetch_publisher_transcript_by_id(episode_id) is None and settings.PODINDEX_ASR_ENABLED:
        queue_transcription([episode_id])


# Queue "transcripts" (settings.CELERY_TASK_ROUTES): long, CPU-heavy, one at a time per
# worker process; acks late so a killed worker's episode is delivered again.
@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def transcribe_episode(episode_id: int, force: bool = False, charge_id: int | None = None) -> None:
    """Make our own transcript of one episode, then hand the next ones to the workers."""
    try:
        transcribe.transcribe_episode(episode_id, force=force)
    except SoftTimeLimitExceeded:
        episode = Episode.objects.filter(pk=episode_id).first()
        if episode is not None:
            transcribe.record_failure(
                episode, "time_limit: the transcription ran past its time limit"
            )
    finally:
        asr_budget.settle(charge_id)
    dispatch_transcriptions()


def queue_transcription(episode_ids) -> int:
    """Our transcription is needed for these episodes: the wanted ones wait for their turn,
    which comes as the budget, the shows' shares and the priorities allow."""
    waiting = transcribe.want(episode_ids)
    dispatch_transcriptions()
    return waiting


def dispatch_transcriptions() -> int:
    """Hand the best waiting episodes to the transcription workers, within today's budget.

    At most PODINDEX_ASR_MAX_QUEUED wait in the broker at once, so the order is decided here,
    from the database, when a worker is free. In eager mode (no broker) nothing runs: the
    web process never transcribes; `transcribe_episodes`, `import_opml` and `add_show` do.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.PODINDEX_ASR_ENABLED:
        return 0
    room = settings.PODINDEX_ASR_MAX_QUEUED - asr_budget.in_flight()
    if room <= 0:
        return 0
    sent = 0
    for episode, charge_id in asr_budget.admit(room):
        limit = transcribe.time_limit(episode)
        try:
            transcribe_episode.apply_async(
                (episode.pk,),
                {"charge_id": charge_id},
                time_limit=limit,
                soft_time_limit=limit - 30,
            )
        except OperationalError:
            logger.exception("Could not queue the transcription of episode %s", episode.pk)
            asr_budget.refund(charge_id)
            Episode.objects.filter(pk=episode.pk).update(
                transcript_status=transcribe.WAITING, asr_retry_at=None
            )
            break
        sent += 1
    return sent


@shared_task(ignore_result=True)
def transcribe_pending() -> int:
    """Hand waiting transcriptions to the workers (every few minutes, and after each one)."""
    return dispatch_transcriptions()
