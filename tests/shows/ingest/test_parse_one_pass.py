"""One XML pass: feedparser's strict parser reads the podcast: namespace too."""

import io
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest

from shows.ingest import one_pass, parse
from shows.ingest.one_pass import FEEDPARSER_STRICT
from shows.ingest.parse import InvalidFeed, parse_feed
from tests.factories.feeds import item, rss
from tests.hostile import payloads

FEEDPARSER_ONLY = "Podcast namespace tags were read by feedparser only (bad XML)."
FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"
PEOPLE = [{"name": "Jane Host"}]
GUEST = '<podcast:person role="guest" href="/sam">Sam Guest</podcast:person>'
TRANSCRIPTS = [
    {"url": "https://cdn.example.com/1.vtt", "type": "text/vtt"},
    {"url": "https://cdn.example.com/1.json", "type": "application/json", "language": "en"},
]


@pytest.fixture
def second_passes(monkeypatch):
    calls = []
    real = parse.namespace_pass

    def spy(body, base=""):
        calls.append(len(body))
        return real(body, base)

    monkeypatch.setattr(parse, "namespace_pass", spy)
    return calls


def two_pass(body: bytes, base_url: str = ""):
    """parse_feed as it was: feedparser as shipped, then the defusedxml namespace pass."""
    ours, one_pass.STRICT_PARSER = one_pass.STRICT_PARSER, FEEDPARSER_STRICT
    try:
        return parse_feed(body, base_url)
    finally:
        one_pass.STRICT_PARSER = ours


def test_it_reads_a_well_formed_feeds_namespace_tags_without_a_second_pass(second_passes):
    body = rss([item(1, transcripts=TRANSCRIPTS, people=PEOPLE, extra=[GUEST]), item(2)]).encode()

    feed = parse_feed(body, "https://feeds.example.com/show.xml")

    assert second_passes == []
    first, second = feed.items
    assert [t["url"] for t in first.transcript_links] == [t["url"] for t in TRANSCRIPTS]
    assert [(p["name"], p["role"], p["href"]) for p in first.people] == [
        ("Jane Host", "host", ""),
        ("Sam Guest", "guest", "https://feeds.example.com/sam"),
    ]
    assert second.transcript_links == [] and second.people == []
    assert feed.warnings == []


def test_it_still_repairs_xml_that_is_not_well_formed_in_a_second_pass(second_passes):
    body = (FEEDS / "html_entities.xml").read_bytes()
    [episode] = parse_feed(body).items
    assert len(second_passes) == 1
    assert [t["type"] for t in episode.transcript_links] == ["text/vtt", "application/x-subrip"]


@pytest.mark.parametrize("name", sorted(path.name for path in FEEDS.iterdir()))
def test_it_reads_every_feed_of_ours_as_the_two_pass_parser_did(name):
    body = (FEEDS / name).read_bytes()
    try:
        expected = two_pass(body, "https://feeds.example.com/feed.xml")
    except InvalidFeed as exc:
        with pytest.raises(InvalidFeed, match=str(exc)[:40].replace("(", ".").replace(")", ".")):
            parse_feed(body, "https://feeds.example.com/feed.xml")
        return
    ours = parse_feed(body, "https://feeds.example.com/feed.xml")
    # Where the old second pass failed on bytes feedparser could read once repaired
    # (bare_ampersand.xml, utf32be_declared.xml), the one pass reads the namespace tags too.
    assert ours.warnings in (
        expected.warnings,
        [w for w in expected.warnings if w != FEEDPARSER_ONLY],
    )
    assert replace(ours, warnings=[]) == replace(expected, warnings=[])


def test_it_reads_channel_tags_and_only_the_direct_children_of_items():
    nested = "<podcast:liveItem><podcast:person>Nested</podcast:person></podcast:liveItem>"
    body = rss(
        [item(1, people=[{"name": "Item Person"}]), item(2, extra=[nested])],
        extra=["<podcast:person>Channel Host</podcast:person>", "<podcast:guid>abc</podcast:guid>"],
    ).encode()
    feed = parse_feed(body)
    assert feed == two_pass(body)
    assert feed.podcast_guid == "abc"
    assert [p["name"] for p in feed.items[0].people] == ["Item Person"]
    assert [p["name"] for p in feed.items[1].people] == ["Channel Host"]


@pytest.mark.parametrize(
    "body",
    [
        payloads.billion_laughs_feed(),
        payloads.xxe_feed("http://127.0.0.1:9/secret"),
        payloads.utf16_entity_feed(),
    ],
)
def test_it_still_refuses_entity_declarations(body):
    with pytest.raises(InvalidFeed, match="entit"):
        parse_feed(body)


def test_it_leaves_feedparser_as_shipped_for_anyone_else():
    body = rss([item(1)]).encode()
    parse_feed(body)
    assert feedparser.api.StrictFeedParser is FEEDPARSER_STRICT
    other = feedparser.parse(io.BytesIO(body))
    assert other.entries[0].published_parsed is not None
    assert "podindex_namespace" not in other.entries[0]
