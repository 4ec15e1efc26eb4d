"""Celery tasks for transcripts: thin wrappers that take ids and delegate."""

from celery import shared_task

from episodes.transcripts import fetch as transcripts


@shared_task(ignore_result=True)
def fetch_transcript(episode_id: int) -> None:
    """Fetch and store the publisher transcript of one episode."""
    transcripts.fetch_publisher_transcript_by_id(episode_id)
