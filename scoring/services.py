"""Keeping the stored scores in step with scorecards, overrides and hidden episodes.

The effective score (a scorecard after editors' overrides) is computed in one place,
`scoring.effective.apply_overrides`, and stored: Episode.score for the total and
DimensionScore.effective_score per dimension. Rankings read only those columns.
"""

from django.db.models import Exists, OuterRef, Prefetch

from episodes.models import Episode
from scoring.effective import EffectiveScore, apply_overrides
from scoring.models import DimensionScore, EditorialOverride, Scorecard, ScoringRun
from scoring.ranking import refresh_show


def current_scorecard(episode) -> Scorecard | None:
    """The episode's current scorecard (Scorecard.objects.current), dimensions prefetched."""
    return (
        Scorecard.objects.current()
        .filter(episode=episode)
        .select_related("rubric")
        .prefetch_related(
            Prefetch("dimensions", DimensionScore.objects.select_related("dimension"))
        )
        .first()
    )


def effective_score(episode, scorecard: Scorecard | None = None) -> EffectiveScore | None:
    """The public score of an episode: its current scorecard after active overrides."""
    scorecard = scorecard or current_scorecard(episode)
    if scorecard is None:
        return None
    overrides = (
        EditorialOverride.objects.current().filter(episode=episode).select_related("dimension")
    )
    return apply_overrides(scorecard, overrides)


def refresh_episode_score(episode) -> int | None:
    """Store the effective scores: Episode.score and scored_at, DimensionScore.effective_score."""
    scorecard = current_scorecard(episode)
    effective = effective_score(episode, scorecard)
    episode.score = effective.total if effective else None
    episode.scored_at = scorecard.created_at if scorecard else None
    # update() rather than save(): only these two columns are ours to write.
    Episode.objects.filter(pk=episode.pk).update(score=episode.score, scored_at=episode.scored_at)
    if scorecard is not None:
        for row, dimension in zip(scorecard.dimensions.all(), effective.dimensions, strict=True):
            if row.effective_score != dimension.score:
                DimensionScore.objects.filter(pk=row.pk).update(effective_score=dimension.score)
    return episode.score


def scores_changed(episode_ids) -> None:
    """The one hand-off after anything that changes public scores: scoring, overrides, hiding.

    Stores each episode's effective scores, then refreshes its show's figures and ranks.
    """
    episodes = list(Episode.objects.filter(pk__in=list(episode_ids)))
    for episode in episodes:
        refresh_episode_score(episode)
    for show_id in sorted({episode.show_id for episode in episodes}):
        refresh_show(show_id)


def waiting_to_be_scored():
    """Episodes due for scoring: with a transcript, not hidden, and no standing scorecard
    (Scorecard.objects.standing) made from the transcript's words as they are now.

    Whatever wrote the words (a fetch, our speech-to-text, an editor, the admin, a shell),
    a transcript whose content hash differs from its scorecard's is due: the database says
    so, not the writer.
    """
    same_words = Scorecard.objects.standing().filter(
        episode=OuterRef("pk"), transcript_hash=OuterRef("transcript__content_hash")
    )
    return Episode.objects.filter(transcript__isnull=False, hidden=False).exclude(
        Exists(same_words)
    )


def changed_since_scoring_ids(limit: int | None = None) -> list[int]:
    """Episodes waiting to be scored whose transcript was written after their latest scoring
    attempt (or never tried), oldest first: what the every-minute sweep queues.

    One that was tried since (and failed: too few words, the model down) waits for the
    hourly sweep, so a failing episode costs one attempt an hour, not one a minute.
    """
    tried = ScoringRun.objects.filter(
        episode=OuterRef("pk"), started_at__gte=OuterRef("transcript__updated_at")
    )
    ids = (
        waiting_to_be_scored()
        .exclude(Exists(tried))
        .order_by("transcript__updated_at", "pk")
        .values_list("pk", flat=True)
    )
    return list(ids[:limit] if limit else ids)


def pending_episode_ids(limit: int | None = None) -> list[int]:
    """Episodes waiting to be scored (waiting_to_be_scored), oldest first: the hourly sweep.

    An episode whose score is held for an editor (or was rejected by one) is not pending: the
    editor decides, and new words queue it again.
    """
    ids = waiting_to_be_scored().order_by("published_at", "pk").values_list("pk", flat=True)
    return list(ids[:limit] if limit else ids)
