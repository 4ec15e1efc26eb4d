"""The admin lists an editor works from stay a handful of queries with 5,000 episodes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from desk.models import Activity
from episodes.models import Episode
from scoring.models import DimensionScore, EditorialOverride, Rubric, Scorecard, ScoringRun
from shows.models import Show

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="about PostgreSQL at production size: set DATABASE_URL to a PostgreSQL database",
    ),
]
SHOWS, EPISODES = 50, 5000


@pytest.fixture
def catalogue(editor):
    """5,000 scored episodes over 50 shows, with runs, corrections and activity."""
    now = timezone.now()
    rubric = Rubric.objects.prefetch_related("dimensions").get(is_active=True)
    dimensions = list(rubric.dimensions.all())
    shows = Show.objects.bulk_create(
        Show(feed_url=f"https://feeds.example.com/{n}.xml", title=f"Show {n}", slug=f"show-{n}")
        for n in range(SHOWS)
    )
    episodes = Episode.objects.bulk_create(
        Episode(
            show=shows[n % SHOWS],
            guid=f"guid-{n}",
            title=f"Episode {n} about pricing",
            slug=f"episode-{n}",
            published_at=now - timedelta(hours=n),
            score=40 + n % 50,
            scored_at=now,
        )
        for n in range(EPISODES)
    )
    scorecards = Scorecard.objects.bulk_create(
        Scorecard(
            episode=episode,
            rubric=rubric,
            engine="baseline",
            total=episode.score,
            transcript_hash="0" * 64,
            needs_review=n % 7 == 0,
        )
        for n, episode in enumerate(episodes)
    )
    DimensionScore.objects.bulk_create(
        DimensionScore(scorecard=card, dimension=d, score=8, effective_score=8)
        for card in scorecards
        for d in dimensions
    )
    ScoringRun.objects.bulk_create(
        ScoringRun(episode=e, engine="baseline", rubric_version=1, outcome="ok") for e in episodes
    )
    EditorialOverride.objects.bulk_create(
        EditorialOverride(
            episode=e, dimension=None, score=50, reason="Bulk.", editor=editor, editor_name="Dana"
        )
        for e in episodes[:500]
    )
    Activity.objects.bulk_create(
        Activity(action="hide", editor=editor, editor_name="Dana", episode=e, show_id=e.show_id)
        for e in episodes[:2000]
    )
    return episodes


# Page: (URL name, query, most queries allowed). Every figure is independent of the catalogue's
# size: a query per row would take thousands.
PAGES = {
    "episodes": ("admin:episodes_episode_changelist", {}, 14),
    "episode search": ("admin:episodes_episode_changelist", {"q": "pricing"}, 14),
    "hidden episodes": ("admin:episodes_episode_changelist", {"hidden__exact": "1"}, 14),
    "scorecards": ("admin:scoring_scorecard_changelist", {}, 14),
    "flagged scorecards": ("admin:scoring_scorecard_changelist", {"needs_review__exact": "1"}, 14),
    "runs": ("admin:scoring_scoringrun_changelist", {}, 14),
    "override log": ("admin:scoring_editorialoverride_changelist", {}, 14),
    "activity": ("admin:desk_activity_changelist", {}, 14),
    "activity of a show": ("admin:desk_activity_changelist", {"show": "SHOW"}, 14),
    "shows": ("admin:shows_show_changelist", {}, 14),
    "review screen": ("admin:episodes_episode_review", "EPISODE", 14),
    # Many small counts (feeds, queues, scoring, transcripts, spend, flags, and the
    # transcription budget's queue, today and week), none per row.
    "dashboard": ("admin:desk_dashboard_changelist", {}, 30),
}


def test_admin_pages_take_a_bounded_number_of_queries(
    editor_client, catalogue, django_assert_max_num_queries
):
    """One catalogue for every page: building 5,000 scored episodes takes a while."""
    first = catalogue[0]
    for page, (name, params, limit) in PAGES.items():
        if params == "EPISODE":
            url, params = reverse(name, args=[first.pk]), {}
        else:
            url = reverse(name)
            params = {k: first.show_id if v == "SHOW" else v for k, v in params.items()}
        with django_assert_max_num_queries(limit):
            response = editor_client.get(url, params)
        assert response.status_code == 200, page
