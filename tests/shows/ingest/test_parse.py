import hashlib
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET
import pytest

from shows.ingest.parse import (
    InvalidFeed,
    clean_html,
    clean_text,
    clean_url,
    item_guid,
    parse_duration,
    parse_feed,
)
from tests.factories.feeds import item, rss

ATOM = "{http://www.w3.org/2005/Atom}"
AUDIO_EXTENSIONS = (".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac", ".mp2")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1:02:03", 3723),
        ("01:02:03", 3723),
        ("02:27", 147),
        ("2:5", 125),
        ("3600", 3600),
        ("3723.6", 3724),
        ("00:03:36.241", 216),
        ("1:02:03,5", 3724),
        (":9:15", 555),
        ("  42:10 ", 2530),
        ("45 min", 2700),
        ("1h 2m 3s", 3723),
        ('<span class="hms">1:00:00</span>', 3600),
        ("", None),
        ("abc", None),
        ("1:2:3:4", None),
        ("9999999999", None),
    ],
)
def test_it_normalises_durations(value, seconds):
    assert parse_duration(value) == seconds


def test_it_survives_every_real_world_duration(corpus_dir):
    lines = (corpus_dir / "misc" / "mdewilde__durations.txt").read_text().splitlines()
    values = [line for line in lines if line.strip()]
    parsed = [parse_duration(value) for value in values]
    assert all(p is None or 0 <= p <= 48 * 3600 for p in parsed)
    # The odd ones out are frame counts, milliseconds and free text.
    assert sum(p is not None for p in parsed) / len(values) > 0.95


@pytest.mark.parametrize(
    ("name", "share"),
    [("mdewilde__problemdates.txt", 0.45), ("mdewilde__realproblemdates.txt", 0.8)],
)
def test_it_survives_every_real_world_problem_date(corpus_dir, name, share):
    lines = (corpus_dir / "misc" / name).read_text().splitlines()
    items = [item(n, published=line.strip(), guid=f"d{n}") for n, line in enumerate(lines)]
    feed = parse_feed(rss(items).encode())
    assert len(feed.items) == len(items)
    dated = [i.published for i in feed.items if i.published is not None]
    assert all(d.tzinfo is not None for d in dated)
    # The rest are non-English month names, hour 24, bare zone names and mojibake: no date
    # rather than a wrong one.
    assert len(dated) > share * len(items)


def test_it_reads_the_show_fields():
    feed = parse_feed(
        rss(
            [item(1)],
            title="CFO &amp; Friends",
            new_feed_url="https://new.example.com/feed",
            complete=True,
            podcast_guid="917393e3-1b1e-5cef-ace4-edaa54e1f810",
            extra=["<itunes:explicit>true</itunes:explicit>"],
        ).encode()
    )
    assert feed.title == "CFO & Friends"
    assert feed.author == "Jane Host"
    assert feed.language == "en"
    assert feed.website_url == "https://show.example.com/"
    assert feed.artwork_url == "https://show.example.com/art.jpg"
    assert feed.categories == ["Business", "Marketing"]
    assert feed.new_feed_url == "https://new.example.com/feed"
    assert feed.complete
    assert feed.explicit
    assert feed.podcast_guid == "917393e3-1b1e-5cef-ace4-edaa54e1f810"


def test_it_reads_every_transcript_person_and_chapters_of_an_item():
    entry = item(
        1,
        transcripts=[
            {"url": "https://ex.com/t.json", "type": "application/json", "language": "en"},
            {"url": "https://ex.com/t.vtt", "type": "text/vtt", "rel": "captions"},
        ],
        people=[{"name": "Jane Host"}, {"name": "Omar Guest", "role": "guest"}],
        extra=[
            '<podcast:chapters url="https://ex.com/ch.json" type="application/json+chapters"/>',
            "<itunes:season>2</itunes:season><itunes:episode>14</itunes:episode>",
            "<itunes:episodeType>Full</itunes:episodeType>",
            "<content:encoded><![CDATA[<p>Long <b>notes</b></p>]]></content:encoded>",
        ],
    )
    [parsed] = parse_feed(rss([entry]).encode()).items
    assert parsed.transcript_links == [
        {"url": "https://ex.com/t.json", "type": "application/json", "language": "en", "rel": ""},
        {"url": "https://ex.com/t.vtt", "type": "text/vtt", "language": "", "rel": "captions"},
    ]
    assert [(p["name"], p["role"]) for p in parsed.people] == [
        ("Jane Host", "host"),
        ("Omar Guest", "guest"),
    ]
    assert parsed.chapters_url == "https://ex.com/ch.json"
    assert (parsed.season, parsed.number, parsed.episode_type) == (2, 14, "full")
    assert parsed.notes_html == "<p>Long <b>notes</b></p>"
    assert parsed.published == datetime(2025, 2, 22, 9, 0, tzinfo=UTC)


def test_it_reads_audio_enclosures_from_atom():
    body = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Atom Cast</title><id>urn:x</id><updated>2025-01-01T00:00:00Z</updated>"
        "<entry><id>urn:e1</id><title>One</title><updated>2025-01-01T00:00:00Z</updated>"
        '<link rel="enclosure" href="https://ex.com/1.m4a" type="audio/x-m4a" length="10"/>'
        "</entry></feed>"
    )
    feed = parse_feed(body.encode())
    assert [(i.guid, i.audio_url) for i in feed.items] == [("urn:e1", "https://ex.com/1.m4a")]


def test_it_takes_the_first_audio_enclosure_and_guesses_vague_types_by_extension():
    entry = item(
        1,
        audio="https://ex.com/v.mp4",
        audio_type="video/mp4",
        extra=['<enclosure url="https://ex.com/a.mp3?x=1" type="application/octet-stream"/>'],
    )
    [parsed] = parse_feed(rss([entry]).encode()).items
    assert parsed.audio_url == "https://ex.com/a.mp3?x=1"


def test_it_falls_back_from_guid_to_enclosure_link_and_hash():
    assert item_guid("g", "https://a/x.mp3", "https://a/", "T", "D") == "g"
    assert item_guid("", "https://a/x.mp3", "https://a/", "T", "D") == "https://a/x.mp3"
    assert item_guid(" ", "", "https://a/", "T", "D") == "https://a/"
    assert item_guid("", "", "", "T", "D") == "sha256:" + hashlib.sha256(b"T\nD").hexdigest()
    assert item_guid("x" * 2000, "", "", "", "").startswith("sha256:")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<!DOCTYPE html><html><body>Hi</body></html>", "HTML page"),
        (b'{"feed": "json"}', "Not an RSS or Atom feed"),
    ],
)
def test_it_rejects_what_is_not_a_feed(body, message):
    with pytest.raises(InvalidFeed, match=message):
        parse_feed(body)


def test_it_sanitises_html_text_and_urls():
    assert clean_html('<p onclick="x()">Hi<script>bad()</script></p>') == "<p>Hi</p>"
    assert (
        clean_html('<a href="javascript:alert(1)">x</a>')
        == '<a rel="nofollow noopener noreferrer ugc">x</a>'
    )
    assert clean_text("  A &amp; B <b>bold</b>\n<script>x</script> ") == "A & B bold"
    assert clean_url(" https://ex.com/a b.mp3 ") == "https://ex.com/a%20b.mp3"
    for bad in ("javascript:alert(1)", "data:text/html,x", "/relative.mp3", "ftp://ex.com/x"):
        assert clean_url(bad) == ""


# --- the shared corpus ------------------------------------------------------------------------


def corpus_body(path):
    body = path.read_bytes()
    if path.name.startswith("pi-capture__"):
        # Last-Modified, ETag, URL and fetch time precede the body.
        body = body.split(b"\n", 4)[4] if body.count(b"\n") >= 4 else b""
    return body


def expected_episode_count(body: bytes) -> int | None:
    """Unique items with audio, read straight from the XML; None when not well-formed.

    An item has audio when one of its enclosures (RSS <enclosure>, Atom link rel=enclosure)
    has an http(s) URL and an audio/* type, or no/octet-stream type and an audio file
    extension. Items are the same when their identity is: the GUID (Atom id), else the audio
    URL, else the link, else title and date. Only the first item of each identity counts.
    """
    try:
        root = SafeET.fromstring(body)
    except (ET.ParseError, ValueError):
        return None
    if root.tag == "rss":
        channel = root.find("channel")
        entries = channel.findall("item") if channel is not None else []
        enclosures = [
            [(e.get("url"), e.get("type")) for e in i.findall("enclosure")] for i in entries
        ]
        ids = [(i.findtext("guid") or "").strip() for i in entries]
        links = [(i.findtext("link") or "").strip() for i in entries]
    elif root.tag == f"{ATOM}feed":
        entries = root.findall(f"{ATOM}entry")
        enclosures = [
            [
                (link.get("href"), link.get("type"))
                for link in e.findall(f"{ATOM}link")
                if link.get("rel") == "enclosure"
            ]
            for e in entries
        ]
        ids = [(e.findtext(f"{ATOM}id") or "").strip() for e in entries]
        links = ["" for _ in entries]
    else:
        return None
    seen = set()
    for found, guid, link in zip(enclosures, ids, links, strict=True):
        audio = next(
            (url.strip() for url, mime in found if url and _is_audio(url.strip(), mime)), None
        )
        if audio:
            seen.add(guid or audio or link)
    return len(seen)


def _is_audio(url, mime):
    mime = (mime or "").split(";")[0].strip().lower()
    if urlsplit(url).scheme not in ("http", "https"):
        return False
    if mime.startswith("audio/"):
        return True
    return mime in ("", "application/octet-stream", "binary/octet-stream") and urlsplit(
        url
    ).path.lower().endswith(AUDIO_EXTENSIONS)


def test_it_parses_every_corpus_feed_and_counts_unique_audio_items(corpus_dir):
    checked, mismatches, crashes = 0, [], []
    for path in sorted((corpus_dir / "feeds").iterdir()):
        body = corpus_body(path)
        try:
            feed = parse_feed(body)
        except InvalidFeed:
            feed = None
        except Exception as exc:
            crashes.append(f"{path.name}: {type(exc).__name__}: {exc}")
            continue
        expected = expected_episode_count(body.lstrip(b" \t\r\n"))
        if expected is None:
            continue
        checked += 1
        got = len(feed.items) if feed else 0
        if got != expected:
            mismatches.append(f"{path.name}: parsed {got} episodes, expected {expected}")
    assert crashes == []
    assert mismatches == []
    # Most of the corpus is well-formed: the count check must not pass vacuously.
    assert checked > 60
