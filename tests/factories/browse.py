"""Shows with scored episodes, quickly: for the browsing pages, rankings and feeds."""

from datetime import timedelta

from django.utils import timezone

from tests.factories.episodes import EpisodeFactory
from tests.factories.shows import ShowFactory


def show_with_scores(*scores, categories=(), days_apart=7, **show_kwargs):
    """A show whose episodes carry these effective scores (None: not scored), newest first."""
    show = ShowFactory(categories=list(categories), **show_kwargs)
    now = timezone.now()
    for i, score in enumerate(scores):
        EpisodeFactory(
            show=show,
            score=score,
            scored_at=now - timedelta(hours=i) if score is not None else None,
            published_at=now - timedelta(days=1 + i * days_apart),
        )
    return show
