"""Scoring listens to the apps below it: new words are scored, hidden episodes re-ranked."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from episodes.signals import transcript_changed, visibility_changed
from scoring.models import EditorialOverride
from scoring.services import scores_changed
from scoring.tasks import score_episode


@receiver(transcript_changed, dispatch_uid="score-changed-transcript")
def score_changed_transcript(sender, episode_id: int, **kwargs) -> None:
    """Queue scoring once the new transcript is committed (score_changed_transcripts would
    find it within a minute; this is sooner)."""
    # robust: a broker outage must not undo the stored transcript; the sweep picks it up.
    transaction.on_commit(lambda: score_episode.delay(episode_id), robust=True)


@receiver(visibility_changed, dispatch_uid="rerank-after-visibility-change")
def rerank_after_visibility_change(sender, episode_ids, **kwargs) -> None:
    """Hidden episodes stop counting in their shows' scores, and count again when shown."""
    scores_changed(episode_ids)


@receiver(post_save, sender=EditorialOverride, dispatch_uid="refresh-after-override-save")
@receiver(post_delete, sender=EditorialOverride, dispatch_uid="refresh-after-override-delete")
def refresh_after_override(sender, instance, **kwargs) -> None:
    """An override set, changed or removed from any path (admin, shell) reaches the site."""
    scores_changed([instance.episode_id])
