from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from episodes import ingest
from shows.ingest.store import INGESTED
from shows.models import Category


def categories_from_slugs(slugs: list[str]) -> list[Category]:
    """The categories named by slug; unknown slugs are a CommandError."""
    categories = list(Category.objects.filter(slug__in=slugs))
    missing = sorted(set(slugs) - {c.slug for c in categories})
    if missing:
        known = ", ".join(Category.objects.values_list("slug", flat=True)) or "none yet"
        raise CommandError(f"Unknown category: {', '.join(missing)} (known: {known})")
    return categories


class Command(BaseCommand):
    help = "Add a show by its feed URL, fetch and ingest it now, and print what was found."

    def add_arguments(self, parser):
        parser.add_argument("url", help="The RSS/Atom feed URL.")
        parser.add_argument(
            "--category",
            action="append",
            default=[],
            metavar="SLUG",
            help="File the show under this category (repeatable).",
        )

    def handle(self, *args, **options):
        url = options["url"].strip()
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError as exc:
            raise CommandError(f"Not an http(s) URL: {url}") from exc
        categories = categories_from_slugs(options["category"])
        show, fetch = ingest.add_show(url, categories)
        show.refresh_from_db()
        self.stdout.write(f"{show.title or show.feed_url}  (/{show.slug}/)")
        if show.author:
            self.stdout.write(f"  by {show.author}")
        self.stdout.write(
            f"  fetch: {fetch.get_status_display()}"
            + (f" (HTTP {fetch.http_status})" if fetch.http_status else "")
            + f" in {fetch.duration_ms} ms"
        )
        self.stdout.write(
            f"  episodes: {show.episode_count} ({fetch.new_count} new, "
            f"{fetch.updated_count} updated)"
        )
        with_links = show.episodes.exclude(transcript_links=[]).count()
        stored = show.episodes.filter(transcript__isnull=False).count()
        self.stdout.write(f"  transcripts: {stored} stored of {with_links} linked in the feed")
        failed = show.episodes.filter(transcript_status="failed").count()
        if failed:
            self.stdout.write(
                f"  transcripts failed: {failed} (see the episodes' transcript error)"
            )
        if categories:
            self.stdout.write("  categories: " + ", ".join(c.name for c in categories))
        if show.canonical_id:
            self.stdout.write(f"  duplicate of: {show.canonical}")
        if fetch.error:
            self.stdout.write(f"  note: {fetch.error}")
        if fetch.status not in INGESTED:
            raise CommandError(f"The feed could not be ingested: {fetch.error}")
