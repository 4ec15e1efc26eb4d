import io

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command

from episodes.models import Episode, Transcript
from scoring.models import Scorecard, ScoringRun
from shows.models import Show
from tests.browse.test_scorecard_page import headings, sections_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_it_loads_at_least_three_shows_with_three_scored_episodes_each(demo):
    shows = Show.objects.all()
    assert shows.count() >= 3
    for show in shows:
        episodes = show.episodes.all()
        assert episodes.count() >= 3, show
        assert all(e.score is not None for e in episodes), show
        assert show.categories.exists()
    assert "Demo loaded" in demo


def test_it_gives_realistic_transcripts_and_complete_scorecards(demo):
    for transcript in Transcript.objects.filter(source=Transcript.Source.PUBLISHER):
        assert transcript.word_count >= 1500
        assert len(set(transcript.speaker_names.values())) >= 2
        assert transcript.analysis["speakers"] and transcript.analysis["fillers"]
    for scorecard in Scorecard.objects.filter(is_current=True).prefetch_related("dimensions"):
        assert scorecard.dimensions.count() == 5
        assert scorecard.summary and scorecard.takeaways
        assert scorecard.topics.exists()
        assert scorecard.total == sum(d.score for d in scorecard.dimensions.all())


def test_it_transcribes_the_bundled_audio_with_our_own_speech_to_text(demo):
    transcript = Transcript.objects.get(source=Transcript.Source.ASR)
    # Its audio plays offline, from our static files, and its two voices were told apart and
    # named from their introductions ("I'm your host, Dana", "I'm Marcus").
    assert transcript.episode.audio_url.startswith("/static/demo/audio/")
    assert {segment["speaker"] for segment in transcript.segments} == {"A", "B"}
    assert transcript.speaker_names == {"A": "Dana Whitcombe", "B": "Marcus Feld"}
    assert transcript.engine == "local" and transcript.audio_seconds > 90
    assert "four days" in " ".join(segment["text"] for segment in transcript.segments).lower()
    assert transcript.episode.score is not None


def test_it_spans_thin_to_exceptional_episodes(demo):
    scores = list(Episode.objects.values_list("score", flat=True))
    assert min(scores) < 40
    assert max(scores) >= 80


def test_it_is_idempotent(demo):
    counts = (Show.objects.count(), Episode.objects.count(), Scorecard.objects.count())
    runs = ScoringRun.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert (Show.objects.count(), Episode.objects.count(), Scorecard.objects.count()) == counts
    # The second load re-scores nothing: every run is a cache hit.
    new_runs = ScoringRun.objects.order_by("-id")[: Episode.objects.count()]
    assert ScoringRun.objects.count() - runs == Episode.objects.count()
    assert {run.outcome for run in new_runs} == {ScoringRun.Outcome.CACHED}


def test_it_keeps_demo_feeds_away_from_the_poller(demo):
    from django.utils import timezone

    assert not Show.objects.filter(next_poll_at__lte=timezone.now()).exists()


def test_its_episode_pages_have_every_section_of_the_reference(client, demo, reference_sections):
    for episode in Episode.objects.select_related("show"):
        response = client.get(episode.get_absolute_url())
        soup = BeautifulSoup(response.content, "html.parser")
        expected = sections_of(episode.show, reference_sections)
        assert [h for h in headings(soup) if h in expected] == expected, episode
        assert len(soup.select("#dimension-insight_density figure.quote")) >= 1
        assert soup.select_one(".share-bars li") is not None
        assert soup.select("ol.segments li")
