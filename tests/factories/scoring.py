import factory
from django.utils import timezone

from scoring.models import DimensionScore, EditorialOverride, Rubric, Scorecard
from tests.factories.episodes import EpisodeFactory


def active_rubric():
    return Rubric.objects.prefetch_related("dimensions").get(is_active=True)


class ScorecardFactory(factory.django.DjangoModelFactory):
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
    class Meta:
        model = EditorialOverride

    score = 15
    reason = "The model missed the guest's first-hand numbers."


def scored_episode(scores=(10, 8, 7, 8, 8), quotes=None, **episode_kwargs):
    """An episode with a current scorecard and one DimensionScore per rubric dimension."""
    episode = EpisodeFactory(**episode_kwargs)
    rubric = active_rubric()
    scorecard = ScorecardFactory(episode=episode, rubric=rubric, total=sum(scores))
    for dimension, score in zip(rubric.dimensions.all(), scores, strict=True):
        DimensionScoreFactory(
            scorecard=scorecard,
            dimension=dimension,
            score=score,
            quotes=quotes if quotes is not None else [],
        )
    episode.score = sum(scores)
    episode.scored_at = timezone.now()
    episode.save(update_fields=["score", "scored_at"])
    return episode
