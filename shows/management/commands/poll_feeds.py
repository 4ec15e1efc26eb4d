import logging

from django.core.management.base import BaseCommand, CommandError
from kombu.exceptions import OperationalError

from shows import ingest
from shows.models import Show
from shows.tasks import poll_show

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Poll the shows that are due (what beat's dispatcher does), or one show by slug."

    def add_arguments(self, parser):
        parser.add_argument("--show", metavar="SLUG", help="Poll this show now, due or not.")
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue the polls for the workers instead."
        )
        parser.add_argument("--limit", type=int, default=ingest.DISPATCH_LIMIT)

    def handle(self, *args, **options):
        if options["show"]:
            show = Show.objects.filter(slug=options["show"]).first()
            if show is None:
                raise CommandError(f"No show with slug {options['show']!r}")
            ids = [show.pk]
        else:
            ids = ingest.claim_due_shows(options["limit"])
        if options["enqueue"]:
            try:
                for show_id in ids:
                    poll_show.delay(show_id, force=bool(options["show"]))
            except OperationalError as exc:
                raise CommandError(f"Could not queue the polls (is the broker up?): {exc}") from exc
            self.stdout.write(f"Queued {len(ids)} polls.")
            return
        failed = 0
        for n, show_id in enumerate(ids, 1):
            # Each show on its own: whatever goes wrong with one is reported and the batch
            # goes on (ingest.poll records its own failures; this catches what even that could
            # not record, such as a show deleted meanwhile).
            try:
                show = Show.objects.get(pk=show_id)
                fetch = ingest.poll(show, force=bool(options["show"]))
            except Exception as exc:
                failed += 1
                logger.exception("Polling show %s failed", show_id)
                self.stderr.write(f"[{n}/{len(ids)}] show {show_id}: {type(exc).__name__}: {exc}")
                continue
            self.stdout.write(
                f"[{n}/{len(ids)}] {show}: {fetch.get_status_display()}"
                f" ({fetch.new_count} new, {fetch.updated_count} updated)"
                + (f" - {fetch.error}" if fetch.error else "")
            )
        self.stdout.write(
            f"Polled {len(ids)} shows." + (f" {failed} could not be polled." if failed else "")
        )
