"""Each endpoint runs the same number of queries for one row as for many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from episodes.transcripts.parse import parse_plain_text
from scoring.models import RubricDimension
from tests.factories import (
    CategoryFactory,
    EditorialOverrideFactory,
    TopicFactory,
    TranscriptFactory,
    scored_episode,
)
from tests.factories.browse import show_with_scores

pytestmark = pytest.mark.django_db


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def richly_scored(show):
    """An episode with quotes, a transcript and two overrides: everything the card shows."""
    quote = "We priced by outcome and the churn halved"
    episode = scored_episode(
        show=show, quotes=[{"text": quote, "speaker": "A", "start": 3.0, "verified": True}]
    )
    TranscriptFactory(episode=episode, segments=parse_plain_text(f"Speaker A: {quote}."))
    for dimension in RubricDimension.objects.active()[:2]:
        EditorialOverrideFactory(episode=episode, dimension=dimension, score=12, reason="Why.")
    return episode


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/shows",
        "/api/v1/shows?category=finance&sort=score",
        "/api/v1/shows?sort=recent&language=en",
        "/api/v1/shows/{slug}",
        "/api/v1/shows/{slug}/episodes",
        "/api/v1/shows/{slug}/episodes?sort=score",
    ],
)
def test_it_runs_as_many_queries_for_many_rows_as_for_one(
    client, url, django_assert_max_num_queries
):
    finance, retail = CategoryFactory(slug="finance"), CategoryFactory(slug="retail")
    first = show_with_scores(60, categories=[finance])
    one = queries_of(client, url.format(slug=first.slug))
    for n in range(6):
        show_with_scores(50 + n, 40, None, categories=[finance, retail])
    show_with_scores(*range(30, 90, 5), categories=[finance, retail], slug="many")
    with django_assert_max_num_queries(one):
        client.get(url.format(slug="many"))


def test_it_reads_a_full_scorecard_in_as_many_queries_as_a_bare_one(
    client, django_assert_max_num_queries
):
    show = show_with_scores(60, categories=[CategoryFactory()])
    bare = show.episodes.get()
    url = "/api/v1/shows/{}/episodes/{}"
    one = queries_of(client, url.format(show.slug, bare.slug))
    rich = richly_scored(show)
    with django_assert_max_num_queries(one):
        response = client.get(url.format(show.slug, rich.slug))
    overridden = [d for d in response.json()["scorecard"]["dimensions"] if d["override"]]
    assert len(overridden) == 2


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/categories",
        "/api/v1/rankings",
        "/api/v1/rankings?category=finance",
        "/api/v1/topics",
        "/api/v1/topics/pricing/episodes",
        "/api/v1/episodes/scored",
        "/api/v1/episodes/scored?category=finance&topic=pricing&min_score=10",
        "/api/v1/search?q=pricing",
    ],
)
def test_each_list_runs_as_many_queries_for_many_rows_as_for_one(
    client, url, django_assert_max_num_queries
):
    finance, pricing = CategoryFactory(slug="finance"), TopicFactory(slug="pricing")

    def filed_show(*scores):
        show = show_with_scores(*scores, categories=[finance], title="Pricing talk")
        for episode in show.episodes.all():
            episode.topics.add(pricing)
            episode.title = f"Pricing {episode.title}"
            episode.save()

    filed_show(60, 70, 80)
    one = queries_of(client, url)
    for n in range(5):
        filed_show(50 + n, 40 + n, 60 + n, 30)
        TopicFactory()
        CategoryFactory()
    with django_assert_max_num_queries(one):
        client.get(url)


def test_a_search_reads_as_many_queries_for_many_moments_as_for_one(
    client, django_assert_max_num_queries
):
    def said(count):
        for _ in range(count):
            TranscriptFactory(
                episode=scored_episode(), segments=[{"start": 5, "text": "We priced by outcome."}]
            )

    said(1)
    one = queries_of(client, "/api/v1/search?q=priced")
    said(5)
    with django_assert_max_num_queries(one):
        response = client.get("/api/v1/search?q=priced")
    moments = response.json()["moments"]
    assert len(moments) == 6
    assert all(moment["episode"]["duration_seconds"] is not None for moment in moments)


def test_an_episodes_analysis_and_transcript_take_as_many_queries_long_or_short(
    client, django_assert_max_num_queries
):
    show = show_with_scores(60)
    short = show.episodes.get()
    TranscriptFactory(episode=short, segments=parse_plain_text("Speaker A: Hello."))
    long = richly_scored(show)
    long.transcript.segments = parse_plain_text("Speaker A: Hello.\nSpeaker B: Bye.\n" * 50)
    long.transcript.save()
    for part in ("analysis", "transcript"):
        one = queries_of(client, f"/api/v1/shows/{show.slug}/episodes/{short.slug}/{part}")
        with django_assert_max_num_queries(one):
            client.get(f"/api/v1/shows/{show.slug}/episodes/{long.slug}/{part}")


@pytest.mark.parametrize("part", ["", "/analysis", "/transcript"])
def test_an_episode_of_a_kind_met_before_compiles_no_sql(client, record_compiled, part):
    show = show_with_scores(60, 70)
    first, second = (richly_scored(show) for _ in range(2))
    url = f"/api/v1/shows/{show.slug}/episodes/{{}}{part}"
    queries_of(client, url.format(first.slug))
    compiled = record_compiled()
    queries_of(client, url.format(second.slug))

    # The episode, its people, its scorecard's dimension scores and its overrides: each query's
    # SQL was compiled by the first call; this one binds its values.
    assert compiled == []
