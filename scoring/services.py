"""Keeping an episode's denormalised score in step with its scorecard and overrides."""

from django.db.models import Exists, OuterRef, Prefetch

from episodes.models import Episode
from scoring.effective import EffectiveScore, apply_overrides
from scoring.models import DimensionScore, EditorialOverride, Rubric, Scorecard


def current_scorecard(episode) -> Scorecard | None:
    """The episode's current scorecard, the active rubric's first, with dimensions prefetched."""
    return (
        Scorecard.objects.filter(episode=episode, is_current=True)
        .select_related("rubric")
        .prefetch_related(
            Prefetch("dimensions", DimensionScore.objects.select_related("dimension"))
        )
        .order_by("-rubric__is_active", "-rubric__version", "-created_at")
        .first()
    )


def effective_score(episode, scorecard: Scorecard | None = None) -> EffectiveScore | None:
    """The public score of an episode: its current scorecard after active overrides."""
    scorecard = scorecard or current_scorecard(episode)
    if scorecard is None:
        return None
    overrides = EditorialOverride.objects.filter(episode=episode, is_active=True).select_related(
        "dimension"
    )
    return apply_overrides(scorecard, overrides)


def refresh_episode_score(episode) -> int | None:
    """Set Episode.score (effective total after overrides) and Episode.scored_at."""
    scorecard = current_scorecard(episode)
    effective = effective_score(episode, scorecard)
    episode.score = effective.total if effective else None
    episode.scored_at = scorecard.created_at if scorecard else None
    # update() rather than save(): only these two columns are ours to write.
    Episode.objects.filter(pk=episode.pk).update(score=episode.score, scored_at=episode.scored_at)
    return episode.score


def pending_episode_ids(limit: int | None = None) -> list[int]:
    """Episodes with a transcript and no current scorecard under the active rubric, oldest first."""
    rubric = Rubric.objects.filter(is_active=True).first()
    current = Scorecard.objects.filter(episode=OuterRef("pk"), is_current=True, rubric=rubric)
    ids = (
        Episode.objects.filter(transcript__isnull=False, hidden=False)
        .exclude(Exists(current))
        .order_by("published_at", "pk")
        .values_list("pk", flat=True)
    )
    return list(ids[:limit] if limit else ids)
