import pytest

from episodes.models import Topic
from scoring.models import DimensionScore, Rubric, Scorecard, ScoringRun
from scoring.pipeline import run_scoring
from shows.models import Show
from tests.factories import EditorialOverrideFactory, EpisodeFactory, TranscriptFactory

pytestmark = pytest.mark.django_db


def test_it_writes_a_complete_current_scorecard(interview_episode):
    run = run_scoring(interview_episode.pk)

    interview_episode.refresh_from_db()
    scorecard = run.scorecard
    rubric = Rubric.objects.get(is_active=True)
    assert run.outcome == ScoringRun.Outcome.OK
    assert run.finished_at is not None
    assert scorecard.is_current and scorecard.engine == Scorecard.Engine.BASELINE
    assert scorecard.rubric == rubric
    assert [d.dimension.key for d in scorecard.dimensions.all()] == [
        d.key for d in rubric.dimensions.all()
    ]
    assert scorecard.total == sum(d.score for d in scorecard.dimensions.all())
    assert scorecard.transcript_hash == interview_episode.transcript.content_hash
    assert len(scorecard.takeaways) == 5 and scorecard.summary
    assert scorecard.topics.count() >= 3
    assert set(interview_episode.topics.all()) == set(scorecard.topics.all())
    assert interview_episode.score == scorecard.total
    assert interview_episode.scored_at == scorecard.created_at


def test_it_refreshes_the_shows_ranking_figures(interview_episode):
    run_scoring(interview_episode.pk)

    show = Show.objects.get(pk=interview_episode.show_id)
    assert show.scored_episode_count == 1
    assert show.dimension_averages


def test_it_reuses_existing_topics_by_slug(interview_episode):
    existing = Topic.objects.create(name="Price", slug="price")

    scorecard = run_scoring(interview_episode.pk).scorecard

    assert existing in scorecard.topics.all()
    assert Topic.objects.filter(slug="price").count() == 1


def test_it_does_not_rescore_an_unchanged_transcript(interview_episode):
    first = run_scoring(interview_episode.pk)

    second = run_scoring(interview_episode.pk)

    assert second.outcome == ScoringRun.Outcome.CACHED
    assert second.scorecard == first.scorecard
    assert Scorecard.objects.filter(episode=interview_episode).count() == 1


def test_it_rescores_when_forced_and_keeps_one_current_scorecard(interview_episode):
    first = run_scoring(interview_episode.pk)

    second = run_scoring(interview_episode.pk, force=True)

    first.scorecard.refresh_from_db()
    assert second.outcome == ScoringRun.Outcome.OK
    assert second.scorecard != first.scorecard
    assert not first.scorecard.is_current
    assert list(Scorecard.objects.filter(episode=interview_episode, is_current=True)) == [
        second.scorecard
    ]


def test_it_rescores_when_the_transcript_changes(interview_episode):
    first = run_scoring(interview_episode.pk)
    transcript = interview_episode.transcript
    transcript.segments = [*transcript.segments[:-2]]
    transcript.save()

    second = run_scoring(interview_episode.pk)

    assert second.outcome == ScoringRun.Outcome.OK
    assert second.scorecard.transcript_hash != first.scorecard.transcript_hash


def test_it_keeps_editorial_overrides_across_rescoring(interview_episode):
    first = run_scoring(interview_episode.pk).scorecard
    craft = first.dimensions.get(dimension__key="conversational_craft")
    EditorialOverrideFactory(episode=interview_episode, dimension=craft.dimension, score=2)

    second = run_scoring(interview_episode.pk, force=True).scorecard

    interview_episode.refresh_from_db()
    assert interview_episode.overrides.filter(is_active=True).count() == 1
    assert interview_episode.score == second.total - craft.score + 2


def test_it_records_an_episode_without_a_transcript():
    episode = EpisodeFactory()

    run = run_scoring(episode.pk)

    assert run.outcome == ScoringRun.Outcome.NO_TRANSCRIPT
    assert run.scorecard is None
    assert not Scorecard.objects.filter(episode=episode).exists()


def test_it_fails_cleanly_on_a_trailer_and_keeps_the_previous_scorecard(interview_episode):
    previous = run_scoring(interview_episode.pk).scorecard
    transcript = interview_episode.transcript
    transcript.segments = [{"speaker": "A", "start": 0, "end": 3, "text": "Coming soon."}]
    transcript.save()

    run = run_scoring(interview_episode.pk)

    interview_episode.refresh_from_db()
    previous.refresh_from_db()
    assert run.outcome == ScoringRun.Outcome.FAILED
    assert "at least 50" in run.error
    assert previous.is_current
    assert interview_episode.score == previous.total


def test_it_refreshes_the_conversation_analysis_before_scoring(interview_episode):
    transcript = interview_episode.transcript
    # Written behind the model's back (queryset update skips Transcript.save()).
    transcript.__class__.objects.filter(pk=transcript.pk).update(analysis={})

    run_scoring(interview_episode.pk)

    transcript.refresh_from_db()
    assert transcript.analysis["speakers"][0]["label"] == "B"


def test_it_stores_dimension_quotes_with_speaker_and_verified_flag(make_episode):
    episode = make_episode("")
    TranscriptFactory._meta.model.objects.filter(episode=episode).update(
        segments=[
            {
                "speaker": "A",
                "start": 12.0,
                "end": 20.0,
                "text": "Why did your churn drop from 9% to 4% after the migration?",
            },
            {
                "speaker": "B",
                "start": 20.0,
                "end": 80.0,
                "text": "We rebuilt onboarding around the first 14 days, and our customers "
                "who finished setup in week one churned at 4%, against 11% for the rest. "
                "We measured it across 2,300 accounts at Copperline over two quarters. "
                + "Then we moved the budget from ads into onboarding calls. "
                * 6,
            },
        ]
    )

    run = run_scoring(episode.pk)

    quotes = [q for d in DimensionScore.objects.filter(scorecard=run.scorecard) for q in d.quotes]
    assert quotes
    assert {tuple(sorted(q)) for q in quotes} == {("speaker", "start", "text", "verified")}
    assert {(q["speaker"], q["start"]) for q in quotes} <= {("A", 12.0), ("B", 20.0)}


def test_it_lets_the_task_skip_an_episode_deleted_before_it_ran(interview_episode):
    from scoring.tasks import score_episode as task

    episode_id = interview_episode.pk
    interview_episode.delete()

    assert task.run(episode_id) is None
    assert not ScoringRun.objects.exists()
