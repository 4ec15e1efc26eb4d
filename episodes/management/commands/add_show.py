from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
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


def transcribe_after_ingest(command, options) -> None:
    """Once every feed is in, transcribe what the budget and the priorities allow.

    Only without a broker: with one, the transcription workers take the waiting episodes.
    The ingest itself never transcribes, so one show's audio cannot hold up the next feed.
    """
    if options["no_transcribe"] or not settings.PODINDEX_ASR_ENABLED:
        return
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        command.stdout.write("Transcriptions are handed to the workers as the budget allows.")
        return
    command.stdout.write("Transcribing the waiting episodes, best first, within today's budget:")
    call_command("transcribe_episodes", stdout=command.stdout, stderr=command.stderr)


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
        parser.add_argument(
            "--no-transcribe",
            action="store_true",
            help="Only ingest; leave the waiting episodes to transcribe_episodes or the workers.",
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
        transcribe_after_ingest(self, options)
