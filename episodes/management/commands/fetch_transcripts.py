import logging

from django.core.management.base import BaseCommand

from episodes.transcripts import fetch as transcripts

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Fetch publisher transcripts that are missing (new, pending or failed before)."

    def add_arguments(self, parser):
        parser.add_argument("--show", metavar="SLUG", help="Only this show's episodes.")
        parser.add_argument("--episode", type=int, metavar="ID", help="Only this episode.")
        parser.add_argument("--limit", type=int, default=0, help="At most this many episodes.")
        parser.add_argument(
            "--skip-failed", action="store_true", help="Do not retry ones that failed before."
        )

    def handle(self, *args, **options):
        episodes = transcripts.missing_transcripts(include_failed=not options["skip_failed"])
        if options["show"]:
            episodes = episodes.filter(show__slug=options["show"])
        if options["episode"]:
            episodes = episodes.filter(pk=options["episode"])
        if options["limit"]:
            episodes = episodes[: options["limit"]]
        episodes = list(episodes)
        fetched = 0
        for n, episode in enumerate(episodes, 1):
            # One episode at a time: whatever goes wrong with one is reported and the batch
            # goes on (fetch_publisher_transcript records its own failures).
            try:
                transcript = transcripts.fetch_publisher_transcript(episode)
            except Exception as exc:
                logger.exception("Fetching the transcript of episode %s failed", episode.pk)
                self.stderr.write(
                    f"[{n}/{len(episodes)}] {episode.show} / {episode}: {type(exc).__name__}: {exc}"
                )
                continue
            fetched += transcript is not None
            if transcript is not None:
                outcome = f"{transcript.format}, {len(transcript.segments)} segments"
            else:
                reason = (episode.transcript_error or episode.transcript_status).splitlines()
                outcome = f"not fetched: {reason[0] if reason else 'no link'}"
            self.stdout.write(f"[{n}/{len(episodes)}] {episode.show} / {episode}: {outcome}")
        self.stdout.write(f"{fetched} of {len(episodes)} transcripts fetched.")
