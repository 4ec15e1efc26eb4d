"""An episode's conversation analysis and its transcript, as its page shows them."""

import pytest
from bs4 import BeautifulSoup

from episodes.transcripts.parse import parse_plain_text
from tests.factories import (
    AppearanceFactory,
    EpisodeFactory,
    PersonFactory,
    TranscriptFactory,
    scored_episode,
)

pytestmark = pytest.mark.django_db

TEXT = """Speaker A: So, welcome back, um, to the show.
Speaker B: Thanks. We basically cut the close from nine days to six.
Speaker A: How, you know, did you do it?
Speaker B: One threshold, set once, and, um, honestly a lot of patience with the team.
Speaker A: Right."""


@pytest.fixture
def episode():
    episode = scored_episode(total=70)
    TranscriptFactory(
        episode=episode, segments=parse_plain_text(TEXT), speaker_names={"B": "Dana Cost"}
    )
    return episode


def url(episode, part=""):
    return f"/api/v1/shows/{episode.show.slug}/episodes/{episode.slug}{part}"


def test_it_gives_the_analysis_the_episode_page_shows(client, episode):
    data = client.get(url(episode, "/analysis")).json()
    soup = BeautifulSoup(client.get(episode.get_absolute_url()).content, "html.parser")
    on_page = [
        (li.select_one(".speaker-name").get_text(strip=True), li.select_one(".share").get_text())
        for li in soup.select(".share-bars li")
    ]
    assert [(s["name"], f"{s['share']}%") for s in data["speakers"]] == on_page
    assert data["speakers"][0]["name"] == "Dana Cost"
    fillers = {div.dt.get_text(): int(div.dd.get_text()) for div in soup.select(".fillers div")}
    assert {f["word"]: f["count"] for f in data["fillers"]} == fillers
    assert fillers["um"] == 2
    assert data["word_count"] == episode.transcript.word_count


def test_it_pages_through_the_transcript_the_page_shows(client, episode):
    first = client.get(url(episode, "/transcript"), {"limit": 2}).json()
    segments = list(first["items"])
    data = first
    while data["next"]:
        data = client.get(data["next"]).json()
        segments += data["items"]
    assert len(first["items"]) == 2
    assert [s["index"] for s in segments] == [0, 1, 2, 3, 4]
    soup = BeautifulSoup(client.get(episode.get_absolute_url()).content, "html.parser")
    on_page = [li.get_text(" ", strip=True) for li in soup.select("ol.segments li")]
    for segment, line in zip(segments, on_page, strict=True):
        assert f"{segment['speaker_name']}:" in line
        assert segment["text"] in line
    assert first["source"] == "publisher"
    assert first["episode"]["slug"] == episode.slug


def test_it_links_the_episode_to_its_analysis_and_transcript(client, episode):
    data = client.get(url(episode)).json()
    assert client.get(data["analysis_url"]).status_code == 200
    assert client.get(data["transcript_url"]).status_code == 200


def test_it_answers_404_for_an_episode_without_a_transcript(client):
    bare = EpisodeFactory()
    for part in ("/analysis", "/transcript"):
        response = client.get(url(bare, part))
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_a_corrected_transcript_does_not_take_a_cursor_into_the_old_text(client, episode):
    first = client.get(url(episode, "/transcript"), {"limit": 2}).json()
    transcript = episode.transcript
    transcript.segments = parse_plain_text("Speaker A: A shorter text now.")
    transcript.save()
    assert client.get(first["next"]).status_code == 400


def test_it_names_a_voice_by_its_person_as_the_page_does(client, episode):
    person = PersonFactory(name="Jo Example")
    AppearanceFactory(episode=episode, person=person, speaker_label="A", role="host")
    data = client.get(url(episode, "/analysis")).json()
    soup = BeautifulSoup(client.get(episode.get_absolute_url()).content, "html.parser")
    on_page = [s.get_text(strip=True) for s in soup.select(".share-bars .speaker-name")]
    assert [s["name"] for s in data["speakers"]] == on_page
    host = next(s for s in data["speakers"] if s["label"] == "A")
    assert (host["name"], host["person_url"].endswith(person.get_absolute_url())) == (
        "Jo Example",
        True,
    )
    segments = client.get(url(episode, "/transcript")).json()["items"]
    assert segments[0]["speaker_name"] == "Jo Example"
