from pathlib import Path
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.core.management.base import BaseCommand, CommandError

from episodes.management.commands.add_show import categories_from_slugs, transcribe_after_ingest
from episodes.poll_tasks import poll_show
from shows.ingest.cleaning import clean_url
from shows.ingest.store import create_show


def feed_urls(path: Path) -> list[str]:
    """The distinct http(s) feed URLs of an OPML file's outlines, in order."""
    try:
        root = SafeET.parse(path).getroot()
    except (OSError, ParseError, DefusedXmlException) as exc:
        raise CommandError(f"Cannot read OPML from {path}: {exc}") from exc
    urls = []
    for outline in root.iter("outline"):
        url = clean_url(outline.get("xmlUrl") or outline.get("xmlurl") or outline.get("url"))
        if url and url not in urls:
            urls.append(url)
    return urls


class Command(BaseCommand):
    help = (
        "Add every feed of an OPML file and poll each (queued when a broker is configured); "
        "then, without a broker, transcribe what today's budget allows."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="An OPML file of podcast feeds.")
        parser.add_argument("--category", action="append", default=[], metavar="SLUG")
        parser.add_argument(
            "--no-transcribe",
            action="store_true",
            help="Only ingest; leave the waiting episodes to transcribe_episodes or the workers.",
        )

    def handle(self, *args, **options):
        categories = categories_from_slugs(options["category"])
        urls = feed_urls(Path(options["file"]))
        if not urls:
            raise CommandError("The OPML file lists no feed URLs (outline xmlUrl).")
        added = 0
        for n, url in enumerate(urls, 1):
            show, created = create_show(url, categories)
            added += created
            if created:
                # Eager without a broker (polls right here), otherwise queued for the workers.
                poll_show.delay(show.pk, force=True)
                show.refresh_from_db()
            state = show.get_last_fetch_status_display()
            label = "added" if created else "exists"
            self.stdout.write(
                f"[{n}/{len(urls)}] {label}: {url} ({state}, {show.episode_count} episodes)"
            )
        self.stdout.write(f"{added} shows added, {len(urls) - added} already present.")
        transcribe_after_ingest(self, options)
