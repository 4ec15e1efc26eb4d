"""Celery tasks for ingestion: thin wrappers that take ids and delegate to plain modules."""

from celery import shared_task

from shows import sync


@shared_task(ignore_result=True)
def poll_due_shows() -> int:
    """Enqueue one poll per show whose next poll time has come (run by beat every minute)."""
    show_ids = sync.claim_due_shows()
    for show_id in show_ids:
        poll_show.delay(show_id)
    return len(show_ids)


@shared_task(ignore_result=True)
def poll_show(show_id: int, force: bool = False) -> None:
    """Poll one show's feed."""
    sync.poll_by_id(show_id, force=force)


@shared_task(ignore_result=True)
def fetch_transcript(episode_id: int) -> None:
    """Fetch and store the publisher transcript of one episode."""
    from episodes import ingest

    ingest.fetch_transcript_by_id(episode_id)


@shared_task(ignore_result=True)
def recompute_rankings() -> None:
    """Recompute every show's score and rank (nightly: category means drift between runs)."""
    from shows import ranking

    ranking.recompute_all()
