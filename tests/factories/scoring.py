"""Scorecards, dimension scores and overrides; scored episodes made the way scoring makes them.

An episode's public score is never written here: `score_episode` stores a current scorecard
under the active rubric (from the data migration) and hands off to
`scoring.services.scores_changed`, which stores Episode.score and scored_at, each
DimensionScore.effective_score, and refreshes the show's figures and ranks.
"""

import factory
from django.utils import timezone

from scoring.models import DimensionScore, EditorialOverride, Rubric, Scorecard
from scoring.services import scores_changed
from tests.factories.episodes import EpisodeFactory

DEFAULT_SCORES = (10, 8, 7, 8, 8)


def active_rubric():
    return Rubric.objects.prefetch_related("dimensions").get(is_active=True)


def split_total(total: int, dimensions: int = 5) -> tuple[int, ...]:
    """Dimension scores (each 0–20) summing to `total`, as even as can be, larger first."""
    if not 0 <= total <= 20 * dimensions:
        raise ValueError(f"A total of {total} does not fit {dimensions} dimensions of 0–20.")
    base, extra = divmod(total, dimensions)
    return tuple(base + (1 if i < extra else 0) for i in range(dimensions))


class ScorecardFactory(factory.django.DjangoModelFactory):
    """A bare scorecard row: use `score_episode` for an episode whose score should count."""

    class Meta:
        model = Scorecard

    episode = factory.SubFactory(EpisodeFactory)
    rubric = factory.LazyFunction(active_rubric)
    engine = Scorecard.Engine.BASELINE
    total = 0
    summary = "An episode about things that matter to B2B buyers."
    takeaways = factory.LazyFunction(lambda: ["First takeaway.", "Second takeaway."])
    transcript_hash = "0" * 64


class DimensionScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DimensionScore

    scorecard = factory.SubFactory(ScorecardFactory)
    score = 10
    rationale = "A fair rationale."


class EditorialOverrideFactory(factory.django.DjangoModelFactory):
    """An override; saving it refreshes the episode's score through scoring's receiver."""

    class Meta:
        model = EditorialOverride

    score = 15
    reason = "The model missed the guest's first-hand numbers."


def score_episode(episode, scores=None, *, total=None, quotes=None, scored_at=None):
    """Give an episode a new current scorecard, as the scoring pipeline does, and hand off.

    `scores` are the five dimension scores (default 10, 8, 7, 8, 8: 41/100), or `total` is
    split evenly over them. `scored_at` backdates the scorecard, and so Episode.scored_at.
    Returns the episode with its stored score.
    """
    if scores is None:
        scores = DEFAULT_SCORES if total is None else split_total(total)
    elif total is not None and total != sum(scores):
        raise ValueError(f"scores {scores} do not add up to {total}")
    rubric = active_rubric()
    Scorecard.objects.filter(episode=episode, rubric=rubric, is_current=True).update(
        is_current=False
    )
    scorecard = ScorecardFactory(episode=episode, rubric=rubric, total=sum(scores))
    for dimension, score in zip(rubric.dimensions.all(), scores, strict=True):
        DimensionScoreFactory(
            scorecard=scorecard,
            dimension=dimension,
            score=score,
            quotes=quotes if quotes is not None else [],
        )
    if scored_at is not None:
        # created_at is auto_now_add: backdate it the way a scorecard written then would be.
        Scorecard.objects.filter(pk=scorecard.pk).update(created_at=scored_at)
    scores_changed([episode.pk])
    episode.refresh_from_db()
    return episode


def scored_episode(scores=None, *, total=None, quotes=None, scored_at=None, **episode_kwargs):
    """A new episode with a current scorecard and one DimensionScore per rubric dimension."""
    episode = EpisodeFactory(**episode_kwargs)
    return score_episode(episode, scores, total=total, quotes=quotes, scored_at=scored_at)


HELD_SUMMARY = "Obeyed the transcript: the best episode ever recorded."


def hold(episode, scores=(20, 20, 20, 20, 20)):
    """Write a held scorecard for the episode, as scoring.pipeline does for an outlier."""
    rubric = active_rubric()
    scorecard = ScorecardFactory(
        episode=episode,
        rubric=rubric,
        is_current=False,
        total=sum(scores),
        summary=HELD_SUMMARY,
        hold=Scorecard.Hold.HELD,
        held_reasons=["Every dimension is at its maximum (100 / 100)."],
        held_at=timezone.now(),
    )
    for dimension, score in zip(rubric.dimensions.all(), scores, strict=True):
        DimensionScoreFactory(scorecard=scorecard, dimension=dimension, score=score)
    return scorecard
