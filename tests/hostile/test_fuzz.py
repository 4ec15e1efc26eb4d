"""Fuzzing (hypothesis) the two parsers of untrusted files: feed XML and every transcript
format. Whatever the bytes, the outcome is parsed or refused with a reason (InvalidFeed,
TranscriptError), never another exception; and what is parsed is storable text."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.text import XML_ILLEGAL
from episodes.transcripts.parse import FORMATS, TranscriptError, parse_transcript
from shows.ingest.parse import InvalidFeed, parse_feed
from tests.factories.feeds import item, rss

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

# Pieces that have broken parsers: markup, declarations, references, odd characters.
FEED_PIECES = [
    "<rss>", "</rss>", "<channel>", "</channel>", "<item>", "</item>", "<title>", "</title>",
    '<enclosure url="//cdn.example/a.mp3" type="audio/mpeg" length="9"/>',
    '<enclosure url="https://cdn.example/b.mp3" type="audio/mpeg" length="-1"/>',
    "<guid>", "</guid>", '<itunes:image href="x.png"/>', "<podcast:transcript url='t.vtt'/>",
    "<![CDATA[", "]]>", "<!--", "-->", "<!DOCTYPE rss>", "<!DOCTYPE rss [", "]>",
    '<!ENTITY a "aaaa">', "&a;", "&amp;", "&#xD800;", "&#0;", "&#x110000;", "&#1;", "&nbsp;",
    "<?xml version='1.0' encoding='utf-16'?>", "<?xml version=\"1.0\"?>", "\x00", "\x01",
    "\ufeff", "\ud800", "<", ">", "&", "'", '"', "\n", "text", "é", "<a ", "<![", "xmlns:x='y'",
]  # fmt: skip
TRANSCRIPT_PIECES = [
    "WEBVTT\n", "\n\n", "00:00:01.000 --> 00:00:02.000\n", "1\n00:00:01,000 --> 00:00:02,000\n",
    "-->", "<v Jane>", "</v>", "<cite>", "</cite>", "<time>", "</time>", "<p>", "</p>",
    "<![foo[", "<!--", "<script>", "Speaker 1 00:00:05\n", "[00:00:05] Dana: ", "Dana: ",
    "{", "}", "[", "]", '"segments": ', '{"speaker": "A", "startTime": 1e999, "body": "x"}',
    ",", "99999999999999999999:00", "\x00", "\ud800", "\x0b", "words ", "é", "<a ", "&#12;",
]  # fmt: skip


def documents(pieces):
    return st.lists(st.one_of(st.sampled_from(pieces), st.text(max_size=20)), max_size=60).map(
        "".join
    )


def encodings():
    return st.sampled_from(["utf-8", "utf-16", "latin-1"])


def encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="surrogatepass" if encoding != "latin-1" else "replace")


@FUZZ
@given(text=documents(FEED_PIECES), encoding=encodings())
def test_feed_xml_is_parsed_or_refused(text, encoding):
    try:
        feed = parse_feed(encode(text, encoding), base_url="https://feeds.example/show.xml")
    except InvalidFeed:
        return
    for value in [feed.title, feed.artwork_url, *(i.title for i in feed.items)]:
        assert not XML_ILLEGAL.search(value)


@FUZZ
@given(titles=st.lists(st.text(max_size=40), min_size=1, max_size=5))
def test_a_valid_feed_with_any_titles_parses(titles):
    body = rss([item(n, title=title) for n, title in enumerate(titles)])
    feed = parse_feed(encode(body, "utf-8"))
    assert len(feed.items) == len(titles)
    for parsed in feed.items:
        assert not XML_ILLEGAL.search(parsed.title)


@pytest.mark.parametrize("fmt", ["auto", *FORMATS])
@FUZZ
@given(text=documents(TRANSCRIPT_PIECES), encoding=encodings())
def test_every_transcript_format_is_parsed_or_refused(fmt, text, encoding):
    try:
        parsed = parse_transcript(encode(text, encoding), format=fmt)
    except TranscriptError:
        return
    assert parsed.format in FORMATS and parsed.segments
    json.dumps(parsed.segments, allow_nan=False)  # storable in a JSON column
    for segment in parsed.segments:
        assert segment["text"] and not XML_ILLEGAL.search(segment["text"] + segment["speaker"])
