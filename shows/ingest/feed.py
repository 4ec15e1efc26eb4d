"""What a parse yields: a Feed of Items, or an InvalidFeed."""

from dataclasses import dataclass, field
from datetime import datetime


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
    # Items past the limit per feed (the oldest), not stored.
    skipped_over_limit: int = 0
    warnings: list[str] = field(default_factory=list)
