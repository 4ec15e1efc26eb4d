"""The transcript moments a search shows: the segment picked (in the database on PostgreSQL,
as find_moment picks it) and their rows, rendered once and shown changed at once."""

import pytest
from django.core.cache import cache

from browse.search import MOMENT_ROW, find_moment, highlight, moment_of, search, with_moment
from episodes.models import Episode, Transcript
from tests.factories import ShowFactory, TranscriptFactory, scored_episode

pytestmark = pytest.mark.django_db

SEGMENTS = [
    "not a segment",
    {"start": 1.0, "text": None},
    {"start": 2.0, "text": "Churn is up."},
    {"start": "3.5", "text": "Our CHURN fell and pricing held."},
    {"start": None, "text": "Pricing, pricing, pricing."},
    {"start": 5.0, "text": "École de pricing: churn fell again."},
    {"text": "The net revenue retention story"},
    {"start": "soon", "text": "Retention, at last"},
]


def with_segments(segments):
    """A transcript holding `segments` as given (its save would analyse them), as a queryset."""
    rows = Transcript.objects.filter(pk=TranscriptFactory().pk)
    rows.update(segments=segments)
    return rows.select_related("episode__show")


@pytest.mark.parametrize(
    ("terms", "start", "text"),
    [
        (["churn"], 2.0, "Churn is up."),
        # The first segment holding the most terms, not the first holding one.
        (["churn", "fell"], 3.5, "Our CHURN fell and pricing held."),
        (["fell", "churn", "again"], 5.0, "École de pricing: churn fell again."),
        (["école", "pricing"], 5.0, "École de pricing: churn fell again."),
        (["pricing, pricing"], None, "Pricing, pricing, pricing."),
        (["net revenue"], None, "The net revenue retention story"),
        (["at last"], None, "Retention, at last"),
        (["zyzzyva"], None, ""),
        ([], None, ""),
    ],
)
def test_it_picks_the_segment_holding_most_of_the_words_first(terms, start, text):
    rows = with_segments(SEGMENTS)

    moment = moment_of(with_moment(rows.only(*MOMENT_ROW), tuple(terms)).get(), terms)

    assert find_moment(SEGMENTS, terms) == (start, text)
    assert (moment.start, str(moment.snippet)) == (start, str(highlight(text, terms)))


@pytest.mark.parametrize("segments", [[], {"text": "churn"}, [["churn"]], [{"start": 1}]])
def test_it_finds_no_moment_in_segments_of_another_shape(segments):
    rows = with_segments(segments)

    moment = moment_of(with_moment(rows.only(*MOMENT_ROW), ("churn",)).get(), ["churn"])

    assert (moment.start, str(moment.snippet)) == (None, "")


def test_it_renders_each_moment_once_and_shows_a_changed_one_at_once(client, settings):
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0
    cache.clear()
    for title in ("Churn talk", "Retention talk"):
        TranscriptFactory(
            episode=scored_episode(title=title), segments=[{"start": 61, "text": "Churn fell."}]
        )

    def moments_rendered(query):
        response = client.get("/search/", {"q": query})
        html = response.content.decode()
        rendered = [t.name for t in response.templates].count("search/_moment_row.html")
        return rendered, html.count('<blockquote class="moment-snippet">'), html

    assert moments_rendered("churn")[:2] == (2, 2)
    assert moments_rendered("churn")[:2] == (0, 2)
    # Another query marks other words: its moments are rows of their own.
    assert moments_rendered("fell")[:2] == (2, 2)
    Episode.objects.filter(title="Churn talk").update(title="Churn talk, edited")
    rendered, shown, html = moments_rendered("churn")
    assert (rendered, shown) == (1, 2)
    assert "Churn talk, edited" in html
    assert [moment.start for moment in search("churn").moments] == [61.0, 61.0]


def test_it_makes_no_snippet_for_a_moment_row_found_in_the_cache(client, settings, monkeypatch):
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0
    cache.clear()
    for title in ("Churn talk", "Retention talk"):
        TranscriptFactory(
            episode=scored_episode(title=title), segments=[{"start": 61, "text": "Churn fell."}]
        )
    made = []

    def counted(text, terms):
        made.append(text)
        return highlight(text, terms)

    monkeypatch.setattr("browse.search.highlight", counted)

    first = client.get("/search/", {"q": "churn"}).content
    snippets_first = len(made)
    second = client.get("/search/", {"q": "churn"}).content

    # The rows' keys hold the segment's text and the terms, which decide the snippet.
    assert snippets_first == 2
    assert len(made) == 2
    assert first == second
    assert first.decode().count("<mark>Churn</mark> fell.") == 2


def test_it_reads_an_unchanged_page_of_rows_as_one_cache_entry_per_list(
    client, settings, monkeypatch
):
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0
    cache.clear()
    for number in range(2):
        show = ShowFactory(title=f"Churn weekly {number}")
        TranscriptFactory(
            episode=scored_episode(title=f"Churn talk {number}", show=show),
            segments=[{"start": 61, "text": "Churn fell."}],
        )
    first = client.get("/search/", {"q": "churn"}).content
    many_reads = []
    read_many = cache.get_many

    def counted(keys, *args, **kwargs):
        many_reads.append(list(keys))
        return read_many(keys, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", counted)
    second = client.get("/search/", {"q": "churn"}).content

    # Shows, episodes and moments: each list of two rows is one entry, not a read per row.
    assert second == first
    assert first.decode().count("<mark>Churn</mark> fell.") == 2
    assert first.decode().count("Churn weekly") >= 2
    assert many_reads == []
