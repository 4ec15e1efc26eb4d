"""Celery tasks for transcripts: thin wrappers that take ids and delegate."""

from celery import shared_task
from django.conf import settings

from episodes.models import Episode
from episodes.transcripts import transcribe
from episodes.transcripts.fetch import fetch_publisher_transcript_by_id


@shared_task(ignore_result=True)
def fetch_transcript(episode_id: int) -> None:
    """Fetch and store the publisher transcript of one episode; if none is usable, make ours."""
    if fetch_publisher_transcript_by_id(episode_id) is None and settings.PODINDEX_ASR_ENABLED:
        queue_transcription([episode_id])


# Queue "transcripts" (settings.CELERY_TASK_ROUTES): long, CPU-heavy, one at a time per
# worker process; acks late so a killed worker's episode is delivered again.
@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def transcribe_episode(episode_id: int, force: bool = False) -> None:
    """Make our own transcript of one episode."""
    transcribe.transcribe_episode(episode_id, force=force)


def queue_transcription(episode_ids) -> int:
    """Queue our transcription of these episodes, each with a time limit from its length."""
    episodes = list(Episode.objects.filter(pk__in=list(episode_ids)).exclude(audio_url=""))
    Episode.objects.filter(pk__in=[e.pk for e in episodes]).update(
        transcript_status=transcribe.QUEUED, transcript_error=""
    )
    for episode in episodes:
        limit = transcribe.time_limit(episode)
        transcribe_episode.apply_async((episode.pk,), time_limit=limit, soft_time_limit=limit - 30)
    return len(episodes)


@shared_task(ignore_result=True)
def transcribe_pending(limit: int = 100) -> int:
    """Re-queue transcriptions that failed for a passing reason (hourly)."""
    ids = transcribe.episodes_to_transcribe().values_list("pk", flat=True)[:limit]
    return queue_transcription(ids)
