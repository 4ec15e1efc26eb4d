"""Feed parsing: the bytes of an RSS/Atom feed in, plain dataclasses out.

feedparser does the tolerant heavy lifting. Its strict (expat) parser is extended to read the
`podcast:` namespace in the same pass (one_pass.py); only when the XML is not well-formed, and
feedparser falls back to its loose parser, does a second, safe pass read that namespace from
the bytes (namespace.py).

This is the one place where feed data enters, so it is the one place that defends: the bytes
are checked and repaired before any parser runs (guards.py), every value is cleaned
(cleaning.py, dates.py), and a crash anywhere in parsing is an InvalidFeed ("unparseable"),
never an exception that stops a batch.
"""

import heapq
import io
import re
from datetime import UTC, datetime
from functools import partial

import feedparser
from django.conf import settings

from core.text import xml_safe
from shows.ingest.cleaning import (
    clean_html,
    clean_text,
    clean_url,
    is_audio,
    item_guid,
    parse_bool,
    parse_duration,
    parse_int,
)
from shows.ingest.dates import parse_date
from shows.ingest.feed import Feed, InvalidFeed, Item
from shows.ingest.guards import (
    drop_illegal_charrefs,
    escape_bare_ampersands,
    refuse_crowded_elements,
    refuse_entity_declarations,
)
from shows.ingest.namespace import align, channel_namespace, item_namespace, namespace_pass
from shows.ingest.namespace import transcript as namespace_transcript
from shows.ingest.one_pass import NAMESPACE_KEY, CpuBudget, one_pass

# Items without a date count as older than any dated one when a feed is cut to its newest.
_UNDATED = datetime.min.replace(tzinfo=UTC)


def parse_feed(
    body: bytes,
    base_url: str = "",
    *,
    max_items: int | None = None,
    cpu_seconds: float | None = None,
) -> Feed:
    """Parse feed bytes into a Feed; raise InvalidFeed when they are not a podcast feed.

    `base_url` is where the feed was fetched from: relative URLs in it are resolved against it.
    Whatever the bytes, the outcome is a Feed or an InvalidFeed: a crash in a parser is
    reported as an unparseable feed with its reason. At most `max_items` items are kept, the
    newest (PODINDEX_FEED_MAX_ITEMS), and a parse that takes more than `cpu_seconds` of CPU
    is refused (PODINDEX_FEED_PARSE_CPU_SECONDS).
    """
    if not body or not body.strip():
        raise InvalidFeed("The feed is empty.")
    if max_items is None:
        max_items = settings.PODINDEX_FEED_MAX_ITEMS
    if cpu_seconds is None:
        cpu_seconds = settings.PODINDEX_FEED_PARSE_CPU_SECONDS
    try:
        return _parse_feed(body, base_url, max_items, CpuBudget(cpu_seconds))
    except InvalidFeed:
        raise
    except (Exception, RecursionError) as exc:
        raise InvalidFeed(
            f"Unparseable feed: the parser failed ({type(exc).__name__}: {xml_safe(exc)[:200]})."
        ) from exc


def _parse_feed(body: bytes, base_url: str, max_items: int, budget: CpuBudget) -> Feed:
    # feedparser is handed the UTF-8 it would make of the body itself, so the check for entity
    # declarations sees exactly what it parses (UTF-16 and EBCDIC included).
    data = feedparser.encodings.convert_to_utf8({}, body, feedparser.FeedParserDict())
    refuse_entity_declarations(data)
    refuse_crowded_elements(data)
    if b"\x00" in body[:1024]:
        # UTF-16/32 that feedparser failed to decode: judged as expat will read it.
        refuse_entity_declarations(body.replace(b"\x00", b""))
    data = escape_bare_ampersands(drop_illegal_charrefs(data))
    with one_pass(budget):
        parsed = feedparser.parse(
            io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False
        )
    channel = dict.get(parsed.feed, NAMESPACE_KEY)
    if channel is not None:
        # The strict parser read the whole document, namespace tags included: one pass.
        extra = channel_namespace(channel, base_url)
        extra["items"] = [
            item_namespace(element, base_url) if element is not None else {}
            for element in (dict.get(entry, NAMESPACE_KEY) for entry in parsed.entries)
        ]
    else:
        # Not well-formed: feedparser's loose parser read it, and a second pass repairs what it
        # can of the bytes as served (expat decodes UTF-16 itself); defusedxml refuses any
        # entity declaration it meets there.
        extra = namespace_pass(drop_illegal_charrefs(body), base_url)
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
        items_extra = align(parsed.entries, extra["items"] if extra else [])
    seen: set[str] = set()
    for entry, entry_extra in zip(parsed.entries, items_extra, strict=True):
        budget.check()
        item = _item(entry, entry_extra, channel_people, base_url)
        if item is None:
            feed.skipped_without_audio += 1
        elif item.guid in seen:
            feed.skipped_duplicates += 1
        else:
            seen.add(item.guid)
            feed.items.append(item)
    if len(feed.items) > max_items:
        _keep_newest(feed, max_items)
    return feed


def _keep_newest(feed: Feed, count: int) -> None:
    """Cut the feed's items to its `count` newest, in the order listed, and say so."""
    items = feed.items
    # Undated items are the oldest; of equal dates, the one listed first is kept.
    newest = heapq.nlargest(
        count, range(len(items)), key=lambda i: (items[i].published or _UNDATED, -i)
    )
    feed.items = [items[i] for i in sorted(newest)]
    feed.skipped_over_limit = len(items) - count
    feed.warnings.append(
        f"Kept the newest {count:,} of {len(items):,} items (the limit per feed); "
        f"{feed.skipped_over_limit:,} older ones were not stored."
    )


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
        # dict.get too for the keys FeedParserDict does not map ("url" it maps, to "href").
        if dict.get(enclosure, "rel") != "enclosure":
            continue
        url = clean_url(dict.get(enclosure, "href") or enclosure.get("url"), base)
        if url and is_audio(url, dict.get(enclosure, "type", "")):
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
        audio_type=clean_text(dict.get(enclosure, "type"), 100).lower(),
        audio_size=parse_int(dict.get(enclosure, "length"), maximum=2**62) or None,
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


def _fallback_transcripts(entry, base: str = "") -> list[dict]:
    """The one transcript feedparser kept, when the namespace pass could not read the XML."""
    attrs = entry.get("podcast_transcript") or {}
    return [link] if (link := namespace_transcript(attrs.get, base)) else []
