import hashlib
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET
import pytest
from feedparser.datetimes import _parse_date

from shows.ingest import dates
from shows.ingest.cleaning import clean_html, clean_text, clean_url, item_guid, parse_duration
from shows.ingest.parse import InvalidFeed, parse_feed
from tests.factories.feeds import item, rss

DATA = Path(__file__).resolve().parents[2] / "data"
FEEDS = DATA / "feeds"
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


def value_table(name: str) -> list[tuple[str, str]]:
    """(value, expected) rows of a tests/data table; the value column is a JSON string."""
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            value, expected = line.split("\t")
            rows.append((json.loads(value), expected))
    return rows


@pytest.mark.parametrize(("value", "expected"), value_table("durations.tsv"))
def test_it_reads_real_world_duration_shapes(value, expected):
    assert parse_duration(value) == (None if expected == "none" else int(expected))


def test_it_keeps_every_item_whatever_its_date():
    rows = value_table("pubdates.tsv")
    items = [item(n, published=value, guid=f"d{n}") for n, (value, _) in enumerate(rows)]
    feed = parse_feed(rss(items).encode())
    assert [i.guid for i in feed.items] == [f"d{n}" for n in range(len(rows))]


@pytest.mark.parametrize(("value", "expected"), value_table("pubdates.tsv"))
def test_it_reads_real_world_date_shapes_as_the_moment_they_mean(value, expected):
    [parsed] = parse_feed(rss([item(1, published=value)]).encode()).items
    assert parsed.published == (None if expected == "none" else datetime.fromisoformat(expected))


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


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Q&A", "Q&A"),
        ("Q&A: earn-outs & escrow", "Q&A: earn-outs & escrow"),
        ("Sales&regulation", "Sales&regulation"),
        ("Good&times", "Good&times"),
        ("R&D;", "R&D;"),
        ("Q&amp;A", "Q&A"),
        ("It&#39;s &#x2014; live", "It's \u2014 live"),
        ("Caf&eacute;", "Caf\u00e9"),
        ("Tom &amp Jerry", "Tom & Jerry"),
        ("&amp;amp; once", "&amp; once"),
    ],
)
def test_it_keeps_bare_ampersands_as_written_and_decodes_entities_once(value, text):
    assert clean_text(value) == text


def test_it_keeps_a_title_with_bare_ampersands_exactly_as_the_feed_wrote_it():
    feed = own_feed("bare_ampersand.xml")
    assert feed.items[0].title == "Q&A: earn-outs & escrow"
    body = rss([item(1, title="placeholder")]).replace("placeholder", "Q&A with R&D").encode()
    assert parse_feed(body).items[0].title == "Q&A with R&D"


# --- our own quirky feeds (tests/data/feeds) ---------------------------------------------------

# What each of our feeds yields: the GUIDs of its episodes in order, or the InvalidFeed reason.
OWN_FEEDS = {
    "atom_entries.atom": ["urn:ledger:1", "urn:ledger:3"],
    "bare_ampersand.xml": ["ep-1"],
    "big5_declared.xml": ["ep-1"],
    "cp1252_charrefs.xml": ["ep-1"],
    "double_encoded.xml": ["ep-1"],
    "duplicate_guids.xml": ["same-guid", "ep-3"],
    "empty.xml": "empty",
    "html_entities.xml": ["ep-1"],
    "html_notes.xml": ["ep-1"],
    "html_page.xml": "HTML page",
    "invalid_utf8_after_bom.xml": ["ep-1"],
    "items_without_audio.xml": ["ep-1", "ep-6"],
    "latin1_declared.xml": ["ep-1"],
    "latin1_undeclared.xml": ["ep-1"],
    "leading_whitespace.xml": ["ep-1", "ep-2"],
    "missing_guids.xml": ["https://cdn.example.com/ep-1.mp3", "https://cdn.example.com/ep-3.mp3"],
    "multiple_enclosures.xml": ["ep-1", "ep-2", "ep-3", "ep-4"],
    "no_audio_at_all.xml": [],
    "odd_attribute_quoting.xml": ["q-1"],
    "paged_feed.xml": ["ep-1", "ep-2"],
    "podcast_namespace.xml": ["ep-1", "ep-2"],
    "psc_chapters.xml": ["ep-1", "ep-2"],
    "root_not_rss.xml": [],
    "stylesheet_first.xml": ["ep-1"],
    "truncated.xml": ["ep-1", "ep-2"],
    "undeclared_prefixes.xml": ["ep-1"],
    "unicode_titles.xml": ["ep-1"],
    "unterminated_cdata.xml": ["ep-1", "ep-2"],
    "unterminated_close_tag.xml": ["ep-1"],
    "utf16le_bom.xml": ["ep-1"],
    "utf32be_declared.xml": ["ep-1"],
    "utf8_bom.xml": ["ep-1"],
    "zero_items.xml": [],
}


def own_feed(name: str):
    return parse_feed((FEEDS / name).read_bytes())


def test_it_has_an_expectation_for_every_feed_of_ours():
    assert sorted(path.name for path in FEEDS.iterdir()) == sorted(OWN_FEEDS)


@pytest.mark.parametrize("name", sorted(OWN_FEEDS))
def test_it_reads_the_episodes_of_each_of_our_quirky_feeds(name):
    expected = OWN_FEEDS[name]
    if isinstance(expected, str):
        with pytest.raises(InvalidFeed, match=expected):
            own_feed(name)
    else:
        assert [i.guid for i in own_feed(name).items] == expected


def test_it_counts_unique_audio_items_of_our_feeds_like_a_strict_reader(data_dir):
    checked = 0
    for path in sorted((data_dir / "feeds").iterdir()):
        body = path.read_bytes()
        expected = expected_episode_count(body.lstrip(b" \t\r\n"))
        if expected is None:
            continue
        checked += 1
        assert len(own_feed(path.name).items) == expected, path.name
    # Half of them are well-formed: the count check must not pass vacuously.
    assert checked >= 15


@pytest.mark.parametrize(
    ("name", "title", "episode_title"),
    [
        ("utf8_bom.xml", "Café Controllers", "Naïve questions about accruals"),
        ("utf16le_bom.xml", "Überweisung Weekly", "Zahlungsläufe"),
        ("utf32be_declared.xml", "Grand Livre", "Clôture"),
        ("latin1_declared.xml", "Trésorerie Today", "Prévisions de trésorerie"),
        ("latin1_undeclared.xml", "Trésorerie Tonight", "Crédit fournisseur"),
        ("invalid_utf8_after_bom.xml", "Broken Bytes", "Café"),
        ("big5_declared.xml", "財務週報", "月結"),
        (
            "cp1252_charrefs.xml",
            "Quotes \u201cInside\u201d",
            "The \u201cclose\u201d \u2013 explained",
        ),
        ("double_encoded.xml", "Café Finance", "Naïve budgeting"),
        ("unicode_titles.xml", "𝔏𝔢𝔡𝔤𝔢𝔯 📈 帳簿", "الميزانية 📊 बजट"),
        ("html_entities.xml", "Profit & Loss", "Café margins >gt; everything"),
    ],
)
def test_it_decodes_text_in_every_encoding_of_our_feeds(name, title, episode_title):
    feed = own_feed(name)
    assert feed.title == title
    assert feed.items[0].title == episode_title


def test_it_reads_every_podcast_namespace_tag_we_use():
    feed = own_feed("podcast_namespace.xml")
    assert feed.podcast_guid == "5f2a8a34-7a1d-5e3e-9b6e-3c1f0d2a9b10"
    first, second = feed.items
    assert [(t["type"], t["rel"], t["language"]) for t in first.transcript_links] == [
        ("text/plain", "", ""),
        ("text/vtt", "captions", ""),
        ("application/json", "", "en"),
        ("application/x-subrip", "", ""),
        ("text/html", "", ""),
    ]
    assert first.chapters_url == "https://cdn.example.com/1-chapters.json"
    assert (first.season, first.number, first.episode_type) == (3, 12, "full")
    assert first.podcast_guid == "ep-1-podcast-guid"
    assert [(p["name"], p["role"]) for p in first.people] == [("Priya Natarajan", "guest")]
    # An item without people of its own gets the channel's host; the live item is no episode.
    assert second.people[0]["name"] == "Dana Reyes"
    assert second.people[0]["img"] == "https://ledger.example.com/dana.jpg"
    assert second.transcript_links == []


def test_it_reads_namespace_tags_whose_prefixes_were_never_declared():
    feed = own_feed("undeclared_prefixes.xml")
    [episode] = feed.items
    assert feed.author == "Dana Reyes"
    assert feed.warnings == []
    assert [t["url"] for t in episode.transcript_links] == [
        "https://cdn.example.com/1.json",
        "https://cdn.example.com/1.html",
    ]
    assert [p["name"] for p in episode.people] == ["Priya Natarajan"]
    assert episode.duration_seconds == 750


def test_it_keeps_both_transcripts_of_a_feed_with_undefined_entities():
    [episode] = own_feed("html_entities.xml").items
    assert [t["type"] for t in episode.transcript_links] == ["text/vtt", "application/x-subrip"]


def test_it_falls_back_to_feedparser_for_xml_too_broken_to_repair():
    for name in ("truncated.xml", "unterminated_cdata.xml", "unterminated_close_tag.xml"):
        assert own_feed(name).warnings == [
            "Podcast namespace tags were read by feedparser only (bad XML)."
        ], name


def test_it_counts_what_it_left_out():
    duplicates = own_feed("duplicate_guids.xml")
    assert [i.title for i in duplicates.items] == ["First with the guid", "Episode 3"]
    assert (duplicates.skipped_duplicates, duplicates.skipped_without_audio) == (2, 0)
    # No enclosure, video only, a javascript: URL and a relative URL.
    assert own_feed("items_without_audio.xml").skipped_without_audio == 4
    assert own_feed("missing_guids.xml").skipped_without_audio == 1
    assert own_feed("no_audio_at_all.xml").skipped_without_audio == 2


def test_it_picks_the_audio_among_several_enclosures_and_repairs_their_urls():
    items = own_feed("multiple_enclosures.xml").items
    assert [(i.audio_url, i.audio_type, i.audio_size) for i in items] == [
        ("https://cdn.example.com/1.mp3", "audio/mpeg", 9),
        ("https://cdn.example.com/2.m4a?v=2", "application/octet-stream", None),
        ("https://cdn.example.com/3.mp3", "audio/mpeg", None),
        ("https://cdn.example.com/episode%204.mp3", "audio/mpeg", None),
    ]


def test_it_dates_atom_entries_by_published_else_updated():
    items = own_feed("atom_entries.atom").items
    assert [(i.title, i.published) for i in items] == [
        ("Published and updated", datetime(2025, 3, 1, 9, 0, tzinfo=UTC)),
        ("Updated only", datetime(2025, 2, 10, 8, 0, tzinfo=UTC)),
    ]


def test_it_prefers_content_encoded_notes_and_sanitises_them():
    [episode] = own_feed("html_notes.xml").items
    assert episode.notes_html == (
        '<p>Long <b>notes</b><a rel="nofollow noopener noreferrer ugc">link</a></p>'
    )


def test_it_reads_links_with_bare_ampersands_and_odd_attribute_quoting():
    feed = own_feed("bare_ampersand.xml")
    assert feed.title == "Mergers & Acquisitions"
    assert feed.items[0].link == "https://ma.example.com/?ep=1&src=rss"
    quoted = own_feed("odd_attribute_quoting.xml")
    assert quoted.author == "Dana Reyes"
    assert quoted.items[0].audio_url == "https://cdn.example.com/q-1.mp3"
    assert quoted.items[0].duration_seconds == 3723


def test_it_gives_an_empty_show_for_feeds_without_items():
    for name in ("zero_items.xml", "root_not_rss.xml"):
        feed = own_feed(name)
        assert feed.items == [] and feed.title, name


# --- the shared corpus (../shared), an extra layer -------------------------------------------


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


@pytest.mark.parametrize(
    "value",
    [
        "Sat, 01 Mar 2025 05:00:00 +0000",
        "1 Mar 2025 23:59:59 GMT",
        "Mon, 31 Dec 2029 23:30:00 -0530",
        "Tue, 01 Jan 1991 00:10:00 +1400",
        "Sun, 29 Feb 2024 12:00:00 -1259",
        "Wed, 31 Feb 2024 12:00:00 +0000",  # no such day: the other readers judge
        "Thu, 01 Mar 2025 24:00:00 +0000",
        "Fri, 01 Mar 9999 23:00:00 -0500",  # beyond the last moment a datetime holds
    ],
)
def test_it_reads_the_commonest_date_shape_as_feedparsers_rfc_822_reader_does(value):
    expected = dates._date(_parse_date(value)) or dates._dateutil_date(value)
    if expected is not None and expected < dates.EARLIEST_DATE:
        expected = None
    assert dates.parse_date(value) == expected
