import logging
import time
from itertools import batched

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kombu.exceptions import OperationalError

from episodes import ingest
from episodes.poll_tasks import POLL_BATCH, poll_show, poll_shows
from shows.ingest.dispatch import claim_due_shows
from shows.models import Show

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Poll the shows that are due (what beat's dispatcher does), or one show by slug, with "
        "the workers' concurrent path (fetches in parallel, results stored as they come)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--show", metavar="SLUG", help="Poll this show now, due or not.")
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue the polls for the workers instead."
        )
        parser.add_argument("--limit", type=int, default=settings.PODINDEX_DISPATCH_LIMIT)
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help="Fetches in flight at once (default: PODINDEX_POLL_CONCURRENCY, "
            f"{settings.PODINDEX_POLL_CONCURRENCY}).",
        )

    def handle(self, *args, **options):
        force = bool(options["show"])
        if options["show"]:
            show = Show.objects.filter(slug=options["show"]).first()
            if show is None:
                raise CommandError(f"No show with slug {options['show']!r}")
            ids = [show.pk]
        else:
            ids = claim_due_shows(options["limit"])
        if options["enqueue"]:
            try:
                if force:
                    poll_show.delay(ids[0], force=True)
                else:
                    for batch in batched(ids, POLL_BATCH):
                        poll_shows.delay(list(batch))
            except OperationalError as exc:
                raise CommandError(f"Could not queue the polls (is the broker up?): {exc}") from exc
            self.stdout.write(f"Queued {len(ids)} polls.")
            return
        done = 0

        def report(show, fetch):
            nonlocal done
            done += 1
            self.stdout.write(
                f"[{done}/{len(ids)}] {show}: {fetch.get_status_display()}"
                f" ({fetch.new_count} new, {fetch.updated_count} updated)"
                + (f" - {fetch.error}" if fetch.error else "")
            )

        started = time.monotonic()
        # ingest.poll_many records every failure of a poll as a FeedFetch; what is left is a
        # show that vanished meanwhile (or one that could not even be recorded: logged).
        try:
            ingest.poll_many(
                ids,
                force=force,
                active_only=False,
                concurrency=options["concurrency"],
                on_done=report,
            )
        except Exception as exc:
            logger.exception("Polling failed")
            raise CommandError(f"Polling stopped: {type(exc).__name__}: {exc}") from exc
        seconds = time.monotonic() - started
        missing = len(ids) - done
        self.stdout.write(
            f"Polled {done} shows in {seconds:.1f} s"
            + (f" ({done / seconds:.0f} polls/s)." if done and seconds else ".")
            + (f" {missing} could not be polled (gone meanwhile)." if missing else "")
        )
