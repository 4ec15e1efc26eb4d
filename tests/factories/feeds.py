"""Build RSS feeds (as text) for tests, with iTunes and Podcasting 2.0 tags."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

BASE_DATE = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def item(n: int, **overrides) -> dict:
    """Item n of a feed: a weekly episode with audio, newest first when n is small."""
    return {
        "guid": f"ep-{n}",
        "title": f"Episode {n}",
        "published": BASE_DATE - timedelta(days=7 * n),
        "audio": f"https://cdn.example.com/ep-{n}.mp3",
        "audio_type": "audio/mpeg",
        "length": "1234567",
        "duration": "42:10",
        "description": f"<p>Notes for episode {n}.</p>",
        **overrides,
    }


def rss(items: list[dict], **channel) -> str:
    """An RSS 2.0 podcast feed with the given items (dicts as from `item`)."""
    title = channel.get("title", "The Test Show")
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:podcast="https://podcastindex.org/namespace/1.0">',
        "<channel>",
        f"<title>{escape(title)}</title>",
        f"<link>{escape(channel.get('link', 'https://show.example.com/'))}</link>",
        f"<language>{channel.get('language', 'en')}</language>",
        f"<description>{escape(channel.get('description', 'A show about B2B.'))}</description>",
        f"<itunes:author>{escape(channel.get('author', 'Jane Host'))}</itunes:author>",
        f'<itunes:image href="{channel.get("image", "https://show.example.com/art.jpg")}"/>',
        '<itunes:category text="Business"><itunes:category text="Marketing"/></itunes:category>',
    ]
    if "new_feed_url" in channel:
        head.append(f"<itunes:new-feed-url>{channel['new_feed_url']}</itunes:new-feed-url>")
    if channel.get("complete"):
        head.append("<itunes:complete>Yes</itunes:complete>")
    if "podcast_guid" in channel:
        head.append(f"<podcast:guid>{channel['podcast_guid']}</podcast:guid>")
    head.extend(channel.get("extra", []))
    body = [_item(entry) for entry in items]
    return "\n".join([*head, *body, "</channel>", "</rss>"])


def _item(entry: dict) -> str:
    parts = ["<item>", f"<title>{escape(entry['title'])}</title>"]
    if entry.get("guid") is not None:
        parts.append(f'<guid isPermaLink="false">{escape(entry["guid"])}</guid>')
    if entry.get("published") is not None:
        published = entry["published"]
        text = format_datetime(published) if isinstance(published, datetime) else published
        parts.append(f"<pubDate>{escape(text)}</pubDate>")
    if entry.get("audio"):
        parts.append(
            f"<enclosure url={quoteattr(entry['audio'])} type={quoteattr(entry['audio_type'])}"
            f" length={quoteattr(entry['length'])}/>"
        )
    if entry.get("link"):
        parts.append(f"<link>{escape(entry['link'])}</link>")
    if entry.get("duration"):
        parts.append(f"<itunes:duration>{entry['duration']}</itunes:duration>")
    if entry.get("description"):
        parts.append(f"<description>{escape(entry['description'])}</description>")
    for transcript in entry.get("transcripts", []):
        attrs = " ".join(f"{k}={quoteattr(v)}" for k, v in transcript.items())
        parts.append(f"<podcast:transcript {attrs}/>")
    for person in entry.get("people", []):
        parts.append(
            f'<podcast:person role="{person.get("role", "host")}">{person["name"]}</podcast:person>'
        )
    parts.extend(entry.get("extra", []))
    parts.append("</item>")
    return "".join(parts)
