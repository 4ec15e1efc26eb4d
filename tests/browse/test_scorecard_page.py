import json
import re

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils.text import slugify

from core.page_cache import bump_content_version
from episodes.transcripts.parse import parse_plain_text
from scoring.models import RubricDimension
from tests.factories import (
    CategoryFactory,
    EditorialOverrideFactory,
    EpisodeFactory,
    ShowFactory,
    TopicFactory,
    TranscriptFactory,
    scored_episode,
)

pytestmark = pytest.mark.django_db


def get_page(client, episode):
    response = client.get(episode.get_absolute_url())
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def headings(soup):
    return [h.get_text(" ", strip=True) for h in soup.find_all(["h1", "h2", "h3"])]


def sections_of(show, sections):
    """tests/data/reference_sections.txt for one show."""
    return [heading.replace("{show}", show.title) for heading in sections]


def text_of(soup):
    return re.sub(r"\s+", " ", soup.get_text(" ", strip=True))


def shaped_like_the_reference(transcript_text, show_title="Ledger Lessons"):
    """An episode laid out like the reference page: scores, a quote, notes, topic, siblings."""
    finance = CategoryFactory(name="Finance", slug="finance")
    show = ShowFactory(title=show_title, slug=slugify(show_title), categories=[finance])
    quote = {
        "text": "One retailer set a threshold of 2000 euros and cut its close from nine days "
        "to six",
        "speaker": "B",
        "start": 754.0,
        "verified": True,
    }
    episode = scored_episode(
        scores=(10, 8, 7, 8, 8),
        quotes=[quote],
        show=show,
        title="The close, compared",
        duration_seconds=1800,
        notes_html="<p>Two analysts report back from the Close Summit.</p>",
    )
    TranscriptFactory(episode=episode, segments=parse_plain_text(transcript_text))
    episode.topics.add(TopicFactory(name="Month-end close", slug="month-end-close"))
    for n in range(3):
        EpisodeFactory(show=show, title=f"Sibling {n}")
    return episode


@pytest.fixture
def reference_episode(three_speaker_transcript):
    """An episode shaped like the reference page, with our own three-speaker transcript."""
    return shaped_like_the_reference(three_speaker_transcript)


def test_it_has_every_section_of_the_reference_page_in_order(
    client, reference_sections, reference_episode
):
    soup = get_page(client, reference_episode)
    expected = sections_of(reference_episode.show, reference_sections)
    assert [h for h in headings(soup) if h in expected] == expected
    assert soup.h1.get_text(strip=True) == "The close, compared"
    byline = soup.select_one(".byline").get_text(" ", strip=True)
    assert re.fullmatch(r"Ledger Lessons · \d{4}-\d{2}-\d{2} · 30 min", byline)
    page = text_of(soup)
    assert "41 / 100" in page
    assert "mixed" in soup.select_one(".band").get_text()
    bars = [li.get_text(" ", strip=True) for li in soup.select(".dimension-bars li")]
    assert bars == [
        "Insight Density 10 / 20",
        "Originality 8 / 20",
        "Guest Caliber 7 / 20",
        "Specificity & Evidence 8 / 20",
        "Conversational Craft 8 / 20",
    ]
    links = {a.get_text(strip=True): a["href"] for a in soup.find_all("a")}
    assert links["Explore the best B2B Finance podcasts →"] == "/categories/finance/"
    assert links["All episodes →"] == "/shows/ledger-lessons/"
    assert links["All Ledger Lessons episodes →"] == "/shows/ledger-lessons/"
    assert "Listen to this episode" in links
    assert links["Month-end close"] == "/topics/month-end-close/"


def test_it_shows_the_hand_counted_conversation_analysis_of_our_transcript(
    client, reference_episode
):
    soup = get_page(client, reference_episode)
    shares = [li.get_text("", strip=True) for li in soup.select(".share-bars li")]
    # A says 180 of the 400 words, B 140 and C 80 (tests/data/transcripts/three_speakers.txt).
    assert shares == ["Speaker A45%", "Speaker B35%", "Speaker C20%"]
    fillers = "".join(div.get_text("", strip=True) for div in soup.select(".fillers div"))
    assert fillers == "so6like5uh4actually3you know2er1"


def test_it_shows_quotes_with_speaker_and_a_timestamp_that_seeks(client, reference_episode):
    soup = get_page(client, reference_episode)
    figure = soup.select_one("#dimension-insight_density figure.quote")
    assert "from nine days to six" in figure.blockquote.get_text()
    caption = figure.figcaption
    assert "Speaker B" in caption.get_text()
    seek = caption.select_one("a.seek")
    assert seek.get_text() == "12:34"
    assert seek["data-seek"] == "754.0"


def test_it_collapses_a_speaker_labelled_timestamped_transcript(client):
    episode = scored_episode()
    TranscriptFactory(
        episode=episode,
        segments=[
            {"speaker": "A", "start": 0.0, "end": 3.0, "text": "Welcome back."},
            {"speaker": "B", "start": 3725.0, "end": 3730.0, "text": "Glad to be here."},
        ],
        speaker_names={"A": "Dana Reyes"},
    )
    soup = get_page(client, episode)
    details = soup.select_one("details.transcript")
    assert details is not None and not details.has_attr("open")
    lines = [li.get_text(" ", strip=True) for li in details.select("ol.segments li")]
    assert lines == ["00:00 Dana Reyes: Welcome back.", "1:02:05 Speaker B: Glad to be here."]


def test_it_says_when_an_episode_is_not_scored_yet(client):
    episode = EpisodeFactory(duration_seconds=None, notes_html="", published_at=None)
    soup = get_page(client, episode)
    page = text_of(soup)
    assert "This episode has not been scored yet." in page
    assert "No transcript yet." in page
    assert "The publisher gave no notes for this episode." in page
    assert soup.select(".dimension-bars") == []
    assert soup.select_one(".byline").get_text(strip=True) == episode.show.title


def test_it_labels_a_baseline_scorecard(client):
    soup = get_page(client, scored_episode())
    notice = soup.select_one(".notice-baseline")
    assert notice is not None
    assert "baseline" in notice.get_text().lower()


def test_it_shows_an_editorial_adjustment_and_its_reason(client):
    episode = scored_episode(scores=(10, 8, 7, 8, 8))
    dimension = RubricDimension.objects.get(key="guest_caliber", rubric__is_active=True)
    EditorialOverrideFactory(
        episode=episode, dimension=dimension, score=15, reason="The guest ran the team."
    )
    soup = get_page(client, episode)
    assert "49 / 100" in text_of(soup)
    notice = soup.select_one(".notice-adjusted").get_text(" ", strip=True)
    assert "Adjusted by our editors" in notice
    assert "Guest Caliber set to 15: The guest ran the team." in notice
    assert "41 / 100" in notice  # the model's own figure stays visible


def test_it_never_shows_an_unverified_quote(client):
    invented = {
        "text": "We tripled revenue overnight",
        "speaker": "A",
        "start": 1.0,
        "verified": False,
    }
    episode = scored_episode(quotes=[invented])
    assert "tripled revenue overnight" not in text_of(get_page(client, episode))


HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)">'


def test_it_never_puts_script_from_data_into_the_page(client):
    show = ShowFactory(title=f"Show {HOSTILE}")
    episode = scored_episode(
        show=show,
        title=f"Title {HOSTILE}",
        notes_html=f'<p>Notes</p>{HOSTILE}<a href="javascript:alert(1)">x</a>',
        quotes=[{"text": f"Quote {HOSTILE}", "speaker": "A", "start": 2.0, "verified": True}],
    )
    episode.scorecards.update(summary=f"Summary {HOSTILE}", takeaways=[f"Take {HOSTILE}"])
    episode.scorecards.first().dimensions.update(rationale=f"Because {HOSTILE}")
    TranscriptFactory(
        episode=episode,
        segments=[{"speaker": f"<b>{HOSTILE}</b>", "start": 0, "end": 1, "text": HOSTILE}],
    )
    episode.topics.add(TopicFactory(name=f"Topic {HOSTILE}", slug="hostile"))
    html = get_page(client, episode).decode()
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("img", attrs={"onerror": True}) is None
    scripts = soup.find_all("script")
    assert all(s.get("src") or s.get("type") == "application/ld+json" for s in scripts)
    assert "javascript:" not in html
    assert 'alert("x")</script>' not in html
    # The JSON-LD block cannot be closed early by data inside it.
    ld = soup.find("script", type="application/ld+json").string
    assert "</script" not in ld.lower()
    assert json.loads(ld)["name"] == f"Title {HOSTILE}"


def test_it_describes_the_episode_in_json_ld(client, reference_episode):
    soup = get_page(client, reference_episode)
    data = json.loads(soup.find("script", type="application/ld+json").string)
    assert data["@type"] == "PodcastEpisode"
    assert data["partOfSeries"]["name"] == "Ledger Lessons"
    assert data["review"]["reviewRating"]["ratingValue"] == 41
    assert data["timeRequired"] == "PT30M"
    assert soup.find("meta", property="og:title")["content"] == "The close, compared · 41/100"


def test_it_hides_hidden_episodes(client):
    episode = scored_episode()
    episode.hidden = True
    episode.save()
    assert client.get(episode.get_absolute_url()).status_code == 404


def test_it_refuses_an_episode_of_another_show(client):
    episode = scored_episode()
    other = ShowFactory()
    url = reverse("episodes:detail", kwargs={"show_slug": other.slug, "slug": episode.slug})
    assert client.get(url).status_code == 404


def build_episode(siblings, topics, segments, quotes):
    show = ShowFactory(categories=[CategoryFactory(slug="finance", name="Finance")])
    # Quotes are shown only while the transcript still holds them: these are its segments'.
    said = [f"so we grew {n} accounts" if n < quotes else "so we grew" for n in range(segments)]
    quote_list = [
        {"text": said[n], "speaker": "AB"[n % 2], "start": n * 5.0, "verified": True}
        for n in range(quotes)
    ]
    episode = scored_episode(show=show, quotes=quote_list)
    TranscriptFactory(
        episode=episode,
        segments=[
            {"speaker": "AB"[n % 2], "start": n * 5.0, "end": n * 5.0 + 5, "text": said[n]}
            for n in range(segments)
        ],
    )
    episode.topics.add(*[TopicFactory() for _ in range(topics)])
    for _ in range(siblings):
        scored_episode(show=show)
    return episode


@pytest.mark.parametrize(
    ("siblings", "topics", "segments", "quotes"), [(1, 1, 2, 1), (12, 9, 4000, 2)]
)
def test_it_runs_a_constant_number_of_queries(
    client, django_assert_max_num_queries, siblings, topics, segments, quotes
):
    episode = build_episode(siblings, topics, segments, quotes)
    with django_assert_max_num_queries(9):
        response = client.get(episode.get_absolute_url())
    # Again, with the whole-page cache emptied: the fragments are still cached, and the page
    # reads only the episode, its topics and people, the show's other episodes and the
    # categories.
    bump_content_version()
    with django_assert_max_num_queries(5):
        assert client.get(episode.get_absolute_url()).content == response.content
    soup = BeautifulSoup(response.content, "html.parser")
    assert len(soup.select("ol.segments li")) == segments
    assert len(soup.select(".topics li")) == topics
    assert len(soup.select("#dimension-insight_density figure.quote")) == quotes
    assert len(soup.select(".episode-list li")) == min(siblings, 5)


def test_it_renders_a_four_hour_transcript(client):
    episode = scored_episode(duration_seconds=4 * 3600)
    words = "so we basically doubled the pipeline in two quarters you know and it held up "
    TranscriptFactory(
        episode=episode,
        segments=[
            {"speaker": "AB"[n % 2], "start": n * 18.0, "end": n * 18.0 + 18, "text": words * 3}
            for n in range(800)
        ],
    )
    soup = get_page(client, episode)
    assert len(soup.select("ol.segments li")) == 800
    assert soup.select_one(".transcript summary").get_text().startswith("4 h")
    shares = [li.get_text("", strip=True) for li in soup.select(".share-bars li")]
    assert shares == ["Speaker A50%", "Speaker B50%"]


# --- the reference page (../shared), an extra layer -------------------------------------------


def test_its_section_list_follows_the_reference_page(reference_page, reference_sections):
    lines = [line.strip() for line in reference_page.splitlines()]
    # Each heading is a line of its own on the reference page, in the listed order.
    positions = [lines.index(h.replace("{show}", "Next in Tech")) for h in reference_sections]
    assert positions == sorted(positions)


def test_it_shows_the_reference_conversation_analysis(client, reference_transcript):
    episode = shaped_like_the_reference(reference_transcript, show_title="Next in Tech")
    soup = get_page(client, episode)
    shares = [li.get_text("", strip=True) for li in soup.select(".share-bars li")]
    assert shares == ["Speaker A43%", "Speaker B40%", "Speaker C17%"]
    fillers = "".join(div.get_text("", strip=True) for div in soup.select(".fillers div"))
    assert fillers == "so33like24uh18actually15right10kind of7basically6um3er2you know1sort of1"
