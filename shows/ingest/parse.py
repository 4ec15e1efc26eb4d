"""Feed parsing: the bytes of an RSS/Atom feed in, plain dataclasses out.

feedparser does the tolerant heavy lifting. It loses the text and repeats of Podcasting 2.0
tags (`podcast:person` names, all but the last `podcast:transcript`), so its strict (expat)
parser is extended to read the `podcast:` namespace in the same pass (`_OnePassFeedParser`).
Only when the XML is not well-formed, and feedparser falls back to its loose parser, does a
second, safe pass with defusedxml (no entity expansion, no network) read that namespace from the
bytes, repairing what it can.

This is the one place where feed data enters, so it is the one place that defends:

- Entity declarations are refused before any parser runs. feedparser's loose parser expands
  the entities it finds in the prolog (even inside a comment, even after a line of junk that
  makes the strict parsers fail), once per reference: 310 KB became 4.9 GB. No real feed
  declares entities, so any prolog with `<!ENTITY` or a DOCTYPE internal subset is refused.
- Every string is cleaned of what XML 1.0, UTF-8 and PostgreSQL cannot carry (C0 controls,
  lone surrogates, NUL) before anything else sees it: HTML through nh3, text stripped of
  markup, URLs limited to http(s) and resolved against the feed's own URL when relative.
- A crash anywhere in parsing is an InvalidFeed ("unparseable"), never an exception that
  stops a batch.
"""

import calendar
import hashlib
import html
import io
import re
import threading
import warnings
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from html.entities import name2codepoint
from urllib.parse import urljoin, urlsplit

import defusedxml.ElementTree as SafeET
import feedparser
import nh3
from dateutil import parser as dateutil_parser
from defusedxml import DefusedXmlException

from core.html import sanitize_html
from core.text import xml_safe

PODCAST_NAMESPACES = (
    "https://podcastindex.org/namespace/1.0",
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
)
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM_NS = "http://www.w3.org/2005/Atom"
AUDIO_EXTENSIONS = (".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac", ".mp2")
# Enclosure types that say nothing; such an enclosure counts as audio by its file extension.
VAGUE_TYPES = ("", "application/octet-stream", "binary/octet-stream")
MAX_DURATION = 48 * 3600
MAX_URL = 2048
MAX_GUID = 1000
_ALLOWED_SCHEMES = {"http", "https"}
_HTTP_START = re.compile(r"https?:", re.IGNORECASE)
# What str.isspace() calls whitespace (the same set for a str pattern).
_WHITESPACE = re.compile(r"\s")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
_ENTITY = re.compile(r"&(#?[A-Za-z0-9]+);?")
# Declarations that define entities: refused wherever a parser could act on them.
_DECLARES_ENTITY = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_ELEMENT_START = re.compile(rb"<\w")
# Numeric character references; the ones to characters XML cannot carry are dropped before
# parsing (feedparser's loose parser raised UnicodeEncodeError on &#xD800;).
_CHARREF = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]{1,8})|([0-9]{1,10}));")
# An "&" that starts no character reference: "Q&A", "R&D", "Sales&regulation". HTML parsers
# read the legacy "&reg" of "&regulation" as "®", and feedparser's loose parser writes "&A" as
# "&A;"; escaped first, such an ampersand stays what it was. A numeric reference and the four
# common names without their ";" ("&#39s", "&amp ") are references, as HTML reads them.
_NOT_A_REFERENCE = (
    r"&(?!#[0-9]{1,10}|#[xX][0-9A-Fa-f]{1,8}|[A-Za-z][A-Za-z0-9]{0,40};"
    r"|(?:amp|lt|gt|quot)(?![A-Za-z0-9;]))"
)
_BARE_AMPERSAND = re.compile(_NOT_A_REFERENCE)
_BARE_AMPERSAND_BYTES = re.compile(_NOT_A_REFERENCE.encode())
# More undeclared namespace prefixes than this is not a feed worth repairing.
MAX_UNDECLARED_PREFIXES = 50
_DURATION_WORDS = re.compile(
    r"^(?:(?P<h>\d+)\s*h(?:ours?|rs?)?)?\s*(?:(?P<m>\d+)\s*m(?:in(?:ute)?s?)?)?\s*"
    r"(?:(?P<s>\d+)\s*s(?:ec(?:ond)?s?)?)?$",
    re.IGNORECASE,
)


# Zone abbreviations seen in real pubDates, as minutes east of UTC. feedparser's RFC 822 parser
# reads any name it does not know (CET, BST, IST, JST, AEDT) as UTC, so a trailing abbreviation
# from this table is rewritten as a numeric offset before any parser sees the date. Ambiguous
# names get the reading podcast feeds mean most often: CST is US Central (not China), IST is
# India (not Ireland or Israel), BST is British Summer Time (not Bangladesh), AST is Atlantic
# (not Arabia). A name not in the table is left to the parsers, which read it as UTC.
_ZONES = {
    "WET": 0,
    "WEST": 60,
    "BST": 60,
    "CET": 60,
    "MET": 60,
    "CEST": 120,
    "MEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "IST": 330,
    "SGT": 480,
    "HKT": 480,
    "AWST": 480,
    "JST": 540,
    "KST": 540,
    "ACST": 570,
    "ACDT": 630,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
    "HST": -600,
    "AKST": -540,
    "AKDT": -480,
    "PST": -480,
    "PDT": -420,
    "MST": -420,
    "MDT": -360,
    "CST": -360,
    "CDT": -300,
    "EST": -300,
    "EDT": -240,
    "AST": -240,
    "ADT": -180,
    "NST": -210,
    "NDT": -150,
    "BRT": -180,
}
# The earliest moment a podcast episode can have: an older date is a misread (a year 1159 from
# a Unix time read as a date), stored as no date. Dates in the future are the store's to judge
# (episodes.feed_items: first seen instead).
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
MAX_DATE_CHARS = 200
_TRAILING_ZONE = re.compile(r"(?<=\d)\s?([A-Za-z]{1,4})$")
# A time of day without a date: "20:00 CET", "11:00:00 EST", "9:30 -0500".
_TIME_ONLY = re.compile(
    r"\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d+)?\s?(?:[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?"
)
# A Unix time: seconds since 1970, 9 or 10 digits (1973 to 2286; the bounds narrow it).
_EPOCH = re.compile(r"\d{9,10}")
# "09-11-2012 14:38:02", "6/30/2013 10:00:00 -0600", "Sa, 25.08.2012 18:00:00 +0100".
_NUMERIC_DATE = re.compile(r"(?:[A-Za-z]{2,9}\.?,?\s?)?(\d{1,2}([-./])\d{1,2}\2\d{4}(?:[\sT].*)?)")


def parse_date(value: str | None) -> datetime | None:
    """The moment a feed's date string means, in UTC; None when it does not say one.

    - A bare 9- or 10-digit number is a Unix time ("1159704938": 2006-10-01 12:15:38).
    - A trailing zone abbreviation is applied (_ZONES): "20:00:00 CET" is 19:00 UTC.
    - Numeric dates: dashed or dotted ones are day first ("09-11-2012" is 9 November, as in
      European feeds), slashed ones month first ("6/30/2013", as in US feeds); where that
      reading is impossible ("12-31-2015", "31/12/2015") the other one is taken.
    - A month and year is the first of the month ("jan 2007"); a year alone is 1 January.
    - No date without a year ("20:00 CET", "EST"), nor before 1990 (a misread); digits alone
      are a year (4), YYYYMMDD (8) or a Unix time (9, 10), else no date: "201208" could be
      YYYYMM or YYMMDD (ISO 8601 forbids the first form for that reason).

    Everything else goes to feedparser's date parsers, then to dateutil's lenient one.
    """
    text = " ".join(xml_safe(value).split())
    if not text or len(text) > MAX_DATE_CHARS:
        return None
    if _EPOCH.fullmatch(text):
        moment = datetime.fromtimestamp(int(text), tz=UTC)
    elif (text.isdigit() and len(text) not in (4, 8)) or _TIME_ONLY.fullmatch(text):
        # feedparser's ISO 8601 reader takes "201208" for YYMMDD and dates a bare time today.
        return None
    else:
        text = _numeric_zone(text)
        if numeric := _NUMERIC_DATE.fullmatch(text):
            moment = _dateutil_date(numeric.group(1), dayfirst=numeric.group(2) != "/")
        else:
            moment = _date(feedparser.datetimes._parse_date(text)) or _dateutil_date(text)
    return moment if moment is not None and moment >= EARLIEST_DATE else None


def _numeric_zone(text: str) -> str:
    """ "Mon, 31 Jan 2015 20:00:00 CET" → "Mon, 31 Jan 2015 20:00:00 +0100"."""
    match = _TRAILING_ZONE.search(text)
    if match is None or (offset := _ZONES.get(match.group(1).upper())) is None:
        return text
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    return f"{text[: match.start()]} {sign}{hours:02d}{minutes:02d}"


def _dateutil_date(text: str, dayfirst: bool = False) -> datetime | None:
    """dateutil's lenient reading in UTC (a naive time is UTC); None without a year."""
    try:
        with warnings.catch_warnings():
            # An unknown zone name leaves the time naive, which is then read as UTC.
            warnings.simplefilter("ignore", dateutil_parser.UnknownTimezoneWarning)
            # Year 1 marks a missing year: the bound refuses it. A missing month is January,
            # a missing day the 1st, a missing time midnight.
            parsed = dateutil_parser.parse(
                text, default=_NO_YEAR, dayfirst=dayfirst, tzinfos=_DATEUTIL_ZONES
            )
    except (ValueError, OverflowError):
        return None
    if parsed.year == _NO_YEAR.year:
        return None
    try:
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


_NO_YEAR = datetime(1, 1, 1)
# For a zone name that is not last ("10:00 am EST, Monday"): dateutil takes offsets in seconds.
_DATEUTIL_ZONES = {name: minutes * 60 for name, minutes in _ZONES.items()}


class InvalidFeed(Exception):
    """The bytes are not a podcast feed we can read (HTML page, empty body, hostile XML)."""


@dataclass
class Item:
    """One episode as the feed describes it, already sanitised and normalised."""

    guid: str
    title: str
    audio_url: str
    audio_type: str = ""
    audio_size: int | None = None
    published: datetime | None = None
    duration_seconds: int | None = None
    link: str = ""
    image_url: str = ""
    season: int | None = None
    number: int | None = None
    episode_type: str = ""
    explicit: bool = False
    notes_html: str = ""
    transcript_links: list[dict] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)
    chapters_url: str = ""
    podcast_guid: str = ""


@dataclass
class Feed:
    """A parsed feed: the show's fields and its unique audio items, newest first as listed."""

    title: str = ""
    author: str = ""
    description: str = ""
    artwork_url: str = ""
    website_url: str = ""
    language: str = ""
    categories: list[str] = field(default_factory=list)
    new_feed_url: str = ""
    complete: bool = False
    explicit: bool = False
    podcast_guid: str = ""
    items: list[Item] = field(default_factory=list)
    # Entries left out, for the fetch log: no audio enclosure, or a GUID seen earlier in the feed.
    skipped_without_audio: int = 0
    skipped_duplicates: int = 0
    warnings: list[str] = field(default_factory=list)


def clean_html(value: str | None) -> str:
    """Sanitise feed HTML for display (the site-wide sanitiser: safe tags, http(s) links)."""
    return xml_safe(sanitize_html(xml_safe(value))).strip()


# How much longer than the text it keeps a field may be, markup and references included.
TEXT_INPUT_FACTOR = 10


def clean_text(value: str | None, max_length: int = 1000) -> str:
    """Plain text from a feed field: markup and script removed, entities decoded, one line."""
    if not value:
        return ""
    # Before nh3 (which refuses lone surrogates) and after unescaping (&#12; is a control).
    # nh3 decodes each reference once and escapes every "&" it returns: one unescape after it
    # decodes once ("&amp;" → "&", "&amp;amp;" → "&amp;"); bare ampersands are escaped before
    # it so that it keeps them as written ("Q&A", "Sales&regulation").
    # The sanitiser's time grows with the square of the ampersands it is given: a field is cut
    # to what could still hold `max_length` characters of text first.
    text = xml_safe(value[: max_length * TEXT_INPUT_FACTOR + 1000])
    # Without markup, references or a byte order mark (which the HTML parser drops) the
    # sanitiser would return the text as it is: most feed fields, read without calling it.
    if "<" in text or "&" in text or "\ufeff" in text:
        escaped = _BARE_AMPERSAND.sub("&amp;", text)
        text = xml_safe(html.unescape(nh3.clean(escaped, tags=set())))
    return " ".join(text.split())[:max_length]


def clean_url(value: str | None, base: str = "") -> str:
    """An absolute http(s) URL, or "" (javascript:, data:, overlong URLs).

    A relative or protocol-relative URL ("//cdn.example/ep.mp3", "../ep.mp3") is resolved
    against `base`, the feed's own URL; without a base it is dropped.
    """
    if not value:
        return ""
    url = xml_safe(value).strip()
    try:
        # "http:…" and "https:…" have a scheme: no need to split them to find out.
        if base and not _HTTP_START.match(url) and not urlsplit(url).scheme:
            url = urljoin(base, url)
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in _ALLOWED_SCHEMES or not parts.netloc or len(url) > MAX_URL:
        return ""
    if _WHITESPACE.search(url):
        url = url.replace(" ", "%20")
        if _WHITESPACE.search(url):
            return ""
    return url


def parse_duration(value: str | None) -> int | None:
    """Seconds from "hh:mm:ss", "mm:ss", "ss", "1:02:03.5", "3723.5" or "1h 2m"; else None.

    The first field may be large ("309:57", "00:71:53" after zero padding); the others must be
    minutes or seconds, two digits below 60 ("11:25:474" and "1:61:36" are no duration).
    """
    if not value:
        return None
    text = clean_text(str(value), 100).replace(",", ".").strip().strip(":")
    if not text:
        return None
    seconds: float | None = None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        seconds = float(text)
    elif re.fullmatch(r"\d+(?::\d+){1,2}(?:\.\d+)?", text):
        fields = text.split(":")
        # Zero fields in front are padding: "00:71:53" is 71 minutes, "00:020:56" 20.
        while len(fields) > 1 and not fields[0].strip("0"):
            fields.pop(0)
        first, *rest = fields
        # After the first field, minutes and seconds are two digits below 60: "11:25:474" and
        # "1:61:36" are typos whose meaning is a guess, so no duration rather than 41,574 s.
        if any(len(part.split(".")[0]) > 2 or float(part) >= 60 for part in rest):
            return None
        seconds = float(first)
        for part in rest:
            seconds = seconds * 60 + float(part)
    elif (match := _DURATION_WORDS.match(text)) and any(match.groups()):
        h, m, s = (int(g or 0) for g in match.group("h", "m", "s"))
        seconds = h * 3600 + m * 60 + s
    # Longer than two days is a value in another unit (milliseconds, bytes), not a duration.
    if seconds is None or seconds > MAX_DURATION:
        return None
    return round(seconds)


def parse_int(value, maximum: int = 2**31 - 1) -> int | None:
    """A non-negative integer from a feed string ("5", " 12 "), else None."""
    text = str(value or "").strip()
    if not text.isdigit():
        return None
    number = int(text)
    return number if number <= maximum else None


def parse_bool(value) -> bool:
    """itunes-style yes/true/explicit flags."""
    return str(value or "").strip().lower() in {"yes", "true", "explicit", "1"}


def is_audio(url: str, mime: str) -> bool:
    """Whether an enclosure is audio: an audio/* type, or a vague type and an audio extension."""
    mime = (mime or "").split(";")[0].strip().lower()
    if mime.startswith("audio/"):
        return True
    return mime in VAGUE_TYPES and urlsplit(url).path.lower().endswith(AUDIO_EXTENSIONS)


def parse_feed(body: bytes, base_url: str = "") -> Feed:
    """Parse feed bytes into a Feed; raise InvalidFeed when they are not a podcast feed.

    `base_url` is where the feed was fetched from: relative URLs in it are resolved against it.
    Whatever the bytes, the outcome is a Feed or an InvalidFeed: a crash in a parser is
    reported as an unparseable feed with its reason.
    """
    if not body or not body.strip():
        raise InvalidFeed("The feed is empty.")
    try:
        return _parse_feed(body, base_url)
    except InvalidFeed:
        raise
    except (Exception, RecursionError) as exc:
        raise InvalidFeed(
            f"Unparseable feed: the parser failed ({type(exc).__name__}: {xml_safe(exc)[:200]})."
        ) from exc


def _parse_feed(body: bytes, base_url: str) -> Feed:
    # feedparser is handed the UTF-8 it would make of the body itself, so the check for entity
    # declarations sees exactly what it parses (UTF-16 and EBCDIC included).
    data = feedparser.encodings.convert_to_utf8({}, body, feedparser.FeedParserDict())
    refuse_entity_declarations(data)
    if b"\x00" in body[:1024]:
        # UTF-16/32 that feedparser failed to decode: judged as expat will read it.
        refuse_entity_declarations(body.replace(b"\x00", b""))
    data = escape_bare_ampersands(_CHARREF.sub(_drop_illegal_charref, data))
    with _one_pass():
        parsed = feedparser.parse(
            io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False
        )
    channel = dict.get(parsed.feed, _NAMESPACE_KEY)
    if channel is not None:
        # The strict parser read the whole document, namespace tags included: one pass.
        extra = _channel_namespace(channel, base_url)
        extra["items"] = [
            _item_namespace(element, base_url) if element is not None else {}
            for element in (dict.get(entry, _NAMESPACE_KEY) for entry in parsed.entries)
        ]
    else:
        # Not well-formed: feedparser's loose parser read it, and a second pass repairs what it
        # can of the bytes as served (expat decodes UTF-16 itself); defusedxml refuses any
        # entity declaration it meets there.
        extra = _namespace_pass(_CHARREF.sub(_drop_illegal_charref, body), base_url)
    if not parsed.get("version") and not parsed.entries:
        if re.search(rb"<(?:html|head|body)[\s>]", body[:4096], re.IGNORECASE):
            raise InvalidFeed("The URL returned an HTML page, not a feed.")
        reason = parsed.get("bozo_exception")
        reason = xml_safe(reason)[:200] if reason else ""
        raise InvalidFeed(f"Not an RSS or Atom feed{f' ({reason})' if reason else ''}.")
    feed = _feed_fields(parsed.feed, extra, base_url)
    if extra is None:
        feed.warnings.append("Podcast namespace tags were read by feedparser only (bad XML).")
    channel_people = extra["people"] if extra else []
    if channel is not None:
        items_extra = extra["items"]
    else:
        items_extra = _align(parsed.entries, extra["items"] if extra else [])
    seen: set[str] = set()
    for entry, entry_extra in zip(parsed.entries, items_extra, strict=True):
        item = _item(entry, entry_extra, channel_people, base_url)
        if item is None:
            feed.skipped_without_audio += 1
        elif item.guid in seen:
            feed.skipped_duplicates += 1
        else:
            seen.add(item.guid)
            feed.items.append(item)
    return feed


def refuse_entity_declarations(data: bytes) -> None:
    """Raise InvalidFeed when the prolog declares entities or has a DOCTYPE internal subset.

    Scans everything before the root element, linearly: processing instructions are skipped,
    comments are searched too (feedparser's DOCTYPE rewrite reads `<!ENTITY` lines inside
    them), and the scan stops at the first element start outside a comment, which is at or
    after where feedparser's own prolog ends. An internal subset after the root element is
    not well-formed for expat, and feedparser takes entities only from its prolog.
    """
    refused = InvalidFeed(
        "The feed declares XML entities (refused: entity expansion is an attack vector)."
    )
    position, size = 0, len(data)
    while position < size:
        start = data.find(b"<", position)
        if start < 0:
            return
        if data.startswith(b"<!--", start):
            end = data.find(b"-->", start + 4)
            if _DECLARES_ENTITY.search(data, start, size if end < 0 else end):
                raise refused
            if end < 0:
                return
            position = end + 3
        elif data.startswith(b"<?", start):
            end = data.find(b"?>", start + 2)
            if end < 0:
                return
            position = end + 2
        elif data.startswith(b"<!", start):
            keyword = data[start + 2 : start + 12].lstrip().upper()
            if keyword.startswith(b"ENTITY"):
                raise refused
            if keyword.startswith(b"DOCTYPE"):
                close, subset = data.find(b">", start), data.find(b"[", start)
                if subset >= 0 and (close < 0 or subset < close):
                    raise InvalidFeed(
                        "The feed declares XML entities or other markup in its DOCTYPE "
                        "(refused: entity expansion is an attack vector)."
                    )
            position = start + 2
        elif _ELEMENT_START.match(data, start):
            return
        else:
            position = start + 1


def escape_bare_ampersands(data: bytes) -> bytes:
    """The feed with each "&" that starts no reference written "&amp;", outside CDATA sections.

    An unescaped "&" makes a feed ill-formed, and feedparser's loose parser then turns "Q&A"
    into "Q&A;". Escaped, it reads as the "&" the publisher meant, whichever parser runs. One
    pass of find and a bounded pattern: linear in the feed's size.
    """
    if b"&" not in data:
        return data
    parts, position = [], 0
    while True:
        start = data.find(b"<![CDATA[", position)
        parts.append(
            _BARE_AMPERSAND_BYTES.sub(b"&amp;", data[position : None if start < 0 else start])
        )
        if start < 0:
            break
        end = data.find(b"]]>", start + 9)
        if end < 0:
            parts.append(data[start:])
            break
        parts.append(data[start : end + 3])
        position = end + 3
    return b"".join(parts)


def _drop_illegal_charref(match: re.Match) -> bytes:
    hexa, decimal = match.groups()
    code = int(hexa, 16) if hexa else int(decimal)
    if code > 0x10FFFF or xml_safe(chr(code)) == "":
        return b""
    return match.group(0)


def item_guid(entry_id: str, audio_url: str, link: str, title: str, date: str) -> str:
    """The item's identity: its GUID, else its enclosure URL, else its link, else a hash."""
    for candidate in (entry_id, audio_url, link):
        candidate = (candidate or "").strip()
        if candidate:
            if len(candidate) > MAX_GUID:
                return "sha256:" + hashlib.sha256(candidate.encode()).hexdigest()
            return candidate
    digest = hashlib.sha256(f"{title}\n{date}".encode()).hexdigest()
    return f"sha256:{digest}"


def _feed_fields(channel, extra: dict | None, base: str = "") -> Feed:
    image = channel.get("image") or {}
    artwork = (extra or {}).get("image") or image.get("href") or image.get("url")
    categories = []
    for tag in channel.get("tags") or []:
        term = clean_text(tag.get("term"), 100)
        if term and term not in categories:
            categories.append(term)
    explicit = (extra or {}).get("explicit")
    return Feed(
        title=clean_text(channel.get("title"), 500),
        author=clean_text(
            channel.get("author") or channel.get("itunes_author") or channel.get("publisher"), 500
        ),
        description=clean_html(channel.get("summary") or channel.get("subtitle")),
        artwork_url=clean_url(artwork, base),
        website_url=clean_url(channel.get("link"), base),
        language=clean_text(channel.get("language"), 20).lower(),
        categories=categories,
        new_feed_url=clean_url(channel.get("itunes_new-feed-url"), base),
        complete=parse_bool(channel.get("itunes_complete")),
        explicit=parse_bool(explicit if explicit is not None else channel.get("itunes_explicit")),
        podcast_guid=clean_text((extra or {}).get("guid") or channel.get("podcast_guid"), 64),
    )


def _item(entry, extra: dict, channel_people: list[dict], base: str = "") -> Item | None:
    # `get` is dict.get: feedparser's own get() maps keys (none of these) and warns while
    # mapping updated to published, at several times the cost.
    get = partial(dict.get, entry)
    audio = None
    # What feedparser's entry["enclosures"] lists: the links with rel "enclosure".
    for enclosure in get("links") or []:
        if enclosure.get("rel") != "enclosure":
            continue
        url = clean_url(enclosure.get("href") or enclosure.get("url"), base)
        if url and is_audio(url, enclosure.get("type", "")):
            audio = (url, enclosure)
            break
    if audio is None:
        return None
    audio_url, enclosure = audio
    title = clean_text(get("title"), 1000)
    link = clean_url(get("link"), base)
    date_text = get("published") or get("updated") or ""
    guid = item_guid(clean_text(get("id"), 5000), audio_url, link, title, date_text)
    content = get("content") or []
    notes = next((c.get("value") for c in content if "html" in (c.get("type") or "")), None)
    notes = notes or (content[0].get("value") if content else None) or get("summary")
    transcripts = extra.get("transcripts") or _fallback_transcripts(entry, base)
    explicit = extra.get("explicit")
    return Item(
        guid=guid,
        title=title or "Untitled episode",
        audio_url=audio_url,
        audio_type=clean_text(enclosure.get("type"), 100).lower(),
        audio_size=parse_int(enclosure.get("length"), maximum=2**62) or None,
        # The raw strings, not feedparser's readings: those lose zones and misread numeric
        # dates.
        published=parse_date(get("published")) or parse_date(get("updated")),
        duration_seconds=parse_duration(get("itunes_duration")),
        link=link,
        image_url=clean_url(extra.get("image") or (get("image") or {}).get("href"), base),
        season=parse_int(get("itunes_season")),
        number=parse_int(get("itunes_episode")),
        episode_type=clean_text(get("itunes_episodetype"), 20).lower(),
        explicit=parse_bool(explicit if explicit is not None else get("itunes_explicit")),
        notes_html=clean_html(notes),
        transcript_links=transcripts,
        people=extra.get("people") or channel_people,
        chapters_url=extra.get("chapters")
        or clean_url((get("podcast_chapters") or {}).get("url"), base),
        podcast_guid=clean_text(extra.get("guid"), 200),
    )


def _date(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _fallback_transcripts(entry, base: str = "") -> list[dict]:
    """The one transcript feedparser kept, when the namespace pass could not read the XML."""
    attrs = entry.get("podcast_transcript") or {}
    return [link] if (link := _transcript(attrs.get, base)) else []


def _transcript(get, base: str = "") -> dict | None:
    url = clean_url(get("url"), base)
    if not url:
        return None
    return {
        "url": url,
        "type": clean_text(get("type"), 100).lower(),
        "language": clean_text(get("language"), 20),
        "rel": clean_text(get("rel"), 40),
    }


# --- the podcast: namespace pass -----------------------------------------------------------


def _namespace_pass(body: bytes, base: str = "") -> dict | None:
    """Read podcast:* (and itunes image/explicit) with a safe XML parser; None if unreadable.

    Raises InvalidFeed for entity declarations: no real feed needs them and they are how
    entity-expansion ("billion laughs") attacks work.
    """
    try:
        root = _safe_parse(body)
    except InvalidFeed:
        raise
    except (ET.ParseError, ValueError, LookupError, RecursionError):
        return None
    channel = root.find("channel")
    if channel is None:
        channel = root
    items = channel.findall("item") or channel.findall(f"{{{ATOM_NS}}}entry")
    extra = _channel_namespace(channel, base)
    extra["items"] = [_item_namespace(item, base) for item in items]
    return extra


def _channel_namespace(channel: ET.Element, base: str = "") -> dict:
    return {
        "guid": _podcast_text(channel, "guid"),
        "image": _itunes_image(channel),
        "explicit": _itunes_text(channel, "explicit"),
        "people": _people(channel, base),
    }


def _safe_parse(body: bytes) -> ET.Element:
    # Whitespace before "<?xml" is a fatal error to expat but common in real feeds.
    stripped = body.lstrip(b" \t\r\n") if body[:1].isspace() else body
    try:
        return SafeET.fromstring(stripped)
    except DefusedXmlException as exc:
        raise InvalidFeed(
            "The feed declares XML entities (refused: entity expansion is an attack vector)."
        ) from exc
    except (ET.ParseError, ValueError):
        pass
    # Second chance for the usual breakage: undeclared HTML entities and namespace prefixes,
    # encodings expat lacks (multi-byte ones).
    text = _decode(stripped)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    text = _ENTITY.sub(_fix_entity, text)
    text = _declare_prefixes(text)
    try:
        return SafeET.fromstring(text)
    except DefusedXmlException as exc:
        raise InvalidFeed("The feed declares XML entities (refused).") from exc


def _decode(body: bytes) -> str:
    declared = re.match(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']", body)
    for encoding in ((declared.group(1).decode() if declared else None), "utf-8"):
        if encoding:
            try:
                return body.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    return body.decode("utf-8", errors="replace")


def _declare_prefixes(text: str) -> str:
    """Declare namespace prefixes a feed uses without declaring (itunes: is the usual one)."""
    used = set(re.findall(r"</?([A-Za-z_][\w.-]*):[A-Za-z_]", text))
    used |= set(re.findall(r"\s([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*\s*=", text))
    declared = set(re.findall(r"xmlns:([A-Za-z_][\w.-]*)\s*=", text))
    missing = used - declared - {"xml", "xmlns"}
    root = re.search(r"<[A-Za-z_][\w:.-]*", text)
    if not missing or root is None or len(missing) > MAX_UNDECLARED_PREFIXES:
        return text
    known = {"itunes": ITUNES_NS, "podcast": PODCAST_NAMESPACES[0], "atom": ATOM_NS}
    declarations = "".join(
        f' xmlns:{p}="{known.get(p, "urn:undeclared:" + p)}"' for p in sorted(missing)
    )
    return text[: root.end()] + declarations + text[root.end() :]


def _fix_entity(match: re.Match) -> str:
    name = match.group(1)
    if match.group(0).endswith(";"):
        if name in _XML_ENTITIES or name.startswith("#"):
            return match.group(0)
        if name in name2codepoint:
            return f"&#{name2codepoint[name]};"
    return "&amp;" + match.group(0)[1:]


def _podcast(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for ns in PODCAST_NAMESPACES for child in element.findall(f"{{{ns}}}{name}")]


def _podcast_text(element: ET.Element, name: str) -> str:
    found = _podcast(element, name)
    return (found[0].text or "").strip() if found else ""


def _itunes_text(element: ET.Element, name: str) -> str | None:
    found = element.find(f"{{{ITUNES_NS}}}{name}")
    return None if found is None else (found.text or "").strip()


def _itunes_image(element: ET.Element) -> str:
    found = element.find(f"{{{ITUNES_NS}}}image")
    return "" if found is None else (found.get("href") or "").strip()


def _people(element: ET.Element, base: str = "") -> list[dict]:
    people = []
    for person in _podcast(element, "person"):
        name = clean_text(person.text, 200)
        if name:
            people.append(
                {
                    "name": name,
                    "role": clean_text(person.get("role") or "host", 50).lower(),
                    "group": clean_text(person.get("group") or "cast", 50).lower(),
                    "href": clean_url(person.get("href"), base),
                    "img": clean_url(person.get("img"), base),
                }
            )
    return people


def _item_namespace(item: ET.Element, base: str = "") -> dict:
    chapters = _podcast(item, "chapters")
    guid = item.find("guid")
    if guid is None:
        guid = item.find(f"{{{ATOM_NS}}}id")
    return {
        "id": (guid.text or "").strip() if guid is not None else "",
        "guid": _podcast_text(item, "guid"),
        "explicit": _itunes_text(item, "explicit"),
        "image": _itunes_image(item),
        "transcripts": [
            t for t in (_transcript(e.get, base) for e in _podcast(item, "transcript")) if t
        ],
        "people": _people(item, base),
        "chapters": clean_url(chapters[0].get("url"), base) if chapters else "",
    }


def _align(entries, extras: list[dict]) -> list[dict]:
    """Pair feedparser's entries with the namespace pass's items: by position, else by GUID."""
    if len(extras) == len(entries):
        return extras
    by_id = {extra["id"]: extra for extra in extras if extra["id"]}
    return [by_id.get((entry.get("id") or "").strip(), {}) for entry in entries]


# --- the same, in feedparser's own pass ----------------------------------------------------

# Where the one-pass parser leaves what it read: on feedparser's feed and entry dicts.
_NAMESPACE_KEY = "podindex_namespace"
# The elements the namespace functions above read, by (namespace, name).
_READ_ELEMENTS = frozenset(
    [
        (ns, name)
        for ns in PODCAST_NAMESPACES
        for name in ("guid", "person", "transcript", "chapters")
    ]
    + [(ITUNES_NS, "image"), (ITUNES_NS, "explicit")]
)
_ITEM_ELEMENTS = frozenset([(None, "item"), (ATOM_NS, "entry")])
_CHANNEL_ELEMENTS = frozenset([(None, "channel"), (ATOM_NS, "feed")])


class _OnePassFeedParser(feedparser.api.StrictFeedParser):
    """feedparser's strict parser, also copying the namespace tags it loses, in the same pass.

    The children of each item (and of the channel) that `_item_namespace` and
    `_channel_namespace` read are copied, with their attributes and text, into a small
    ElementTree element left on the entry's dict (the feed's dict for the channel), so the very
    functions of the defusedxml pass read them. Nothing else of feedparser's work changes; its
    loose parser (for XML that is not well-formed) is not this class, so its result carries no
    such element and `_parse_feed` runs the second pass instead.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._open: list[tuple] = []  # (namespace, name) of the open elements
        self._copy: ET.Element | None = None  # the element whose text is being read
        self._copy_depth = 0
        self._text: list[str] = []
        self._channel = ET.Element("channel")
        dict.__setitem__(self.feeddata, _NAMESPACE_KEY, self._channel)

    def startElementNS(self, name, qname, attrs):
        if name in _READ_ELEMENTS and self._open and self._copy is None:
            parent = self._open[-1]
            if parent in _ITEM_ELEMENTS and self.inentry and self.entries:
                target = dict.get(self.entries[-1], _NAMESPACE_KEY)
                if target is None:
                    target = ET.Element("item")
                    dict.__setitem__(self.entries[-1], _NAMESPACE_KEY, target)
            elif parent in _CHANNEL_ELEMENTS or (len(self._open) == 1 and parent != (None, "rss")):
                target = self._channel
            else:
                target = None
            if target is not None:
                tag = name[1] if name[0] is None else f"{{{name[0]}}}{name[1]}"
                attributes = {key: value for (ns, key), value in attrs.items() if not ns}
                self._copy = ET.SubElement(target, tag, attributes)
                self._copy_depth, self._text = len(self._open) + 1, []
        self._open.append(name)
        super().startElementNS(name, qname, attrs)

    # No published_parsed/updated_parsed: _item reads the raw strings (feedparser's readings
    # lose zones and misread numeric dates), so its date parsing is skipped in this pass.
    def _end_published(self):
        self.pop("published")

    _end_issued = _end_pubdate = _end_published

    def _end_updated(self):
        self.pop("updated")

    _end_modified = _end_lastbuilddate = _end_updated

    def characters(self, text):
        if self._copy is not None and len(self._open) == self._copy_depth:
            self._text.append(text)
        super().characters(text)

    def endElementNS(self, name, qname):
        if self._copy is not None and len(self._open) == self._copy_depth:
            self._copy.text = "".join(self._text)
            self._copy, self._text = None, []
        if self._open:
            self._open.pop()
        super().endElementNS(name, qname)


# feedparser as shipped, and the strict parser _parse_feed has it use (tests put the first
# back to compare).
FEEDPARSER_STRICT = feedparser.api.StrictFeedParser
STRICT_PARSER = _OnePassFeedParser
_SWAP = threading.Lock()


@contextmanager
def _one_pass():
    """feedparser.parse builds its strict parser from `feedparser.api.StrictFeedParser`: our
    subclass is put there for our own calls only, so any other user of feedparser in the
    process gets feedparser as shipped (the lock keeps two of our parses from interleaving
    the swap; they are CPU-bound under one GIL anyway)."""
    with _SWAP:
        feedparser.api.StrictFeedParser = STRICT_PARSER
        try:
            yield
        finally:
            feedparser.api.StrictFeedParser = FEEDPARSER_STRICT
