"""Shows with scored episodes, quickly: for the browsing pages, rankings and feeds."""

from datetime import timedelta

from django.utils import timezone

from tests.factories.episodes import EpisodeFactory
from tests.factories.scoring import scored_episode
from tests.factories.shows import ShowFactory


def show_with_scores(*scores, categories=(), days_apart=7, **show_kwargs):
    """A show whose episodes are scored these totals (None: not scored), newest first.

    Each scored episode goes through scoring's hand-off, so the show's figures and ranks are
    current when this returns.
    """
    show = ShowFactory(categories=list(categories), **show_kwargs)
    now = timezone.now()
    for i, score in enumerate(scores):
        published_at = now - timedelta(days=1 + i * days_apart)
        if score is None:
            EpisodeFactory(show=show, published_at=published_at)
        else:
            scored_episode(
                total=score,
                show=show,
                published_at=published_at,
                scored_at=now - timedelta(hours=i),
            )
    return show
