"""The episode page's fragments are cached under what they show: any change to that shows at
once, and nothing else empties them. The whole-page cache is off here, so a stale fragment
would be served as it is."""

import re

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from episodes.models import Transcript
from scoring.models import EditorialOverride, RubricDimension
from tests.factories import (
    AppearanceFactory,
    EpisodeFactory,
    PersonFactory,
    ShowFactory,
    TranscriptFactory,
    score_episode,
    scored_episode,
)
from tests.statements import executed_statements, statement_sql

pytestmark = pytest.mark.django_db

QUOTE = {"text": "we cut the close from nine days to six", "speaker": "B", "start": 4.0}


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def episode():
    """A scored episode with a transcript that holds its one quote."""
    episode = scored_episode(
        scores=(10, 8, 7, 8, 8), quotes=[{**QUOTE, "verified": True}], duration_seconds=1800
    )
    TranscriptFactory(
        episode=episode,
        segments=[
            {"speaker": "A", "start": 0.0, "end": 4.0, "text": "How did the close go?"},
            {"speaker": "B", "start": 4.0, "end": 9.0, "text": QUOTE["text"] + "."},
        ],
    )
    return episode


def page_text(client, episode) -> str:
    response = client.get(episode.get_absolute_url())
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    return re.sub(r"\s+", " ", soup.get_text(" ", strip=True))


def tables_read(client, episode) -> str:
    """The SQL of one view of the page: each statement's, a prepared statement's own for an
    EXECUTE (whose logged SQL names the statement, not its tables)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(episode.get_absolute_url()).status_code == 200
    if connection.vendor != "postgresql":
        return " ".join(q["sql"] for q in queries.captured_queries)
    return " ".join(map(statement_sql, executed_statements(queries.captured_queries)))


def test_it_builds_the_fragments_once_and_then_reads_no_scorecard_or_words(client, episode):
    first = tables_read(client, episode)
    assert "scoring_dimensionscore" in first
    again = tables_read(client, episode)
    assert "scoring_dimensionscore" not in again
    assert '"segments"' not in again  # the transcript's words stay in the database


def test_it_keeps_the_fragments_through_writes_to_other_pages(client, episode):
    page_text(client, episode)
    other = EpisodeFactory(show=episode.show)  # bumps the whole-page cache's content version
    score_episode(other)
    assert "scoring_dimensionscore" not in tables_read(client, episode)


def test_it_shows_an_override_at_once(client, episode, django_user_model):
    assert "41 / 100" in page_text(client, episode)
    editor = django_user_model.objects.create_user("editor", is_staff=True)
    dimension = RubricDimension.objects.get(key="guest_caliber", rubric__is_active=True)
    EditorialOverride.objects.record(
        episode=episode, dimension=dimension, editor=editor, reason="First-hand numbers.", score=15
    )
    text = page_text(client, episode)
    assert "49 / 100" in text
    assert "Guest Caliber set to 15: First-hand numbers." in text

    EditorialOverride.objects.record(
        episode=episode, dimension=dimension, editor=editor, reason="", revert=True
    )
    text = page_text(client, episode)
    assert "41 / 100" in text
    assert "Adjusted by our editors" not in text


def test_it_shows_a_new_score_at_once(client, episode):
    assert "41 / 100" in page_text(client, episode)
    score_episode(episode, scores=(15, 15, 15, 15, 15))
    assert "75 / 100" in page_text(client, episode)


def test_it_shows_edited_words_and_drops_a_quote_they_no_longer_hold(client, episode):
    assert QUOTE["text"] in page_text(client, episode)
    transcript = episode.transcript
    transcript.segments = [
        {"speaker": "A", "start": 0.0, "end": 4.0, "text": "How did the close go?"},
        {"speaker": "B", "start": 4.0, "end": 9.0, "text": "It went well, all told."},
    ]
    transcript.save()
    text = page_text(client, episode)
    assert "It went well, all told." in text
    assert QUOTE["text"] not in text


def test_it_shows_renamed_speakers_in_quotes_and_transcript(client, episode):
    assert "Maya Lin" not in page_text(client, episode)
    # update(), not save(): the names count even when the edit time does not move.
    Transcript.objects.filter(episode=episode).update(speaker_names={"B": "Maya Lin"})
    text = page_text(client, episode)
    assert "Maya Lin: " + QUOTE["text"] in text  # the transcript's line
    assert text.count("Maya Lin") >= 3  # the quote's caption and the share of words too


def test_it_shows_a_renamed_show_in_the_transcript_note(client):
    show = ShowFactory(title="Old Name")
    episode = scored_episode(show=show)
    TranscriptFactory(episode=episode, source="publisher")
    assert "Transcript published by Old Name" in page_text(client, episode)
    show.title = "New Name"
    show.save()
    assert "Transcript published by New Name" in page_text(client, episode)


def test_it_links_a_voice_to_its_person_at_once_and_unlinks_a_hidden_one(client, episode):
    assert "Maya Lin" not in page_text(client, episode)
    person = PersonFactory(name="Maya Lin", slug="maya-lin")
    AppearanceFactory(person=person, episode=episode, speaker_label="B")
    response = client.get(episode.get_absolute_url())
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one("ol.segments a[href='/people/maya-lin/']") is not None
    assert "Maya Lin" in soup.select_one("figure.quote figcaption").get_text()

    person.hidden = True
    person.save()
    assert "Maya Lin" not in page_text(client, episode)
