"""Cleaning feed values: every string made safe to store and show, every number checked.

Every string is cleaned of what XML 1.0, UTF-8 and PostgreSQL cannot carry (C0 controls, lone
surrogates, NUL) before anything else sees it: HTML through nh3, text stripped of markup, URLs
limited to http(s) and resolved against the feed's own URL when relative.
"""

import hashlib
import html
import re
from urllib.parse import urljoin, urlsplit

from core.html import clean, sanitize_html
from core.text import xml_safe

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
_DURATION_WORDS = re.compile(
    r"^(?:(?P<h>\d+)\s*h(?:ours?|rs?)?)?\s*(?:(?P<m>\d+)\s*m(?:in(?:ute)?s?)?)?\s*"
    r"(?:(?P<s>\d+)\s*s(?:ec(?:ond)?s?)?)?$",
    re.IGNORECASE,
)


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
    # decodes once ("&amp;" → "&", "&amp;amp;" → "&amp;"); `clean` escapes bare ampersands
    # before it so that it keeps them as written ("Q&A", "Sales&regulation").
    # A field is cut to what could still hold `max_length` characters of text first.
    text = xml_safe(value[: max_length * TEXT_INPUT_FACTOR + 1000])
    # Without markup, references or a byte order mark (which the HTML parser drops) the
    # sanitiser would return the text as it is: most feed fields, read without calling it.
    if "<" in text or "&" in text or "\ufeff" in text:
        text = xml_safe(html.unescape(clean(text, tags=set())))
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
