"""Make our own transcripts: python manage.py transcribe_episodes [--episode ID] [--show SLUG]"""

import time

from django.core.management.base import BaseCommand, CommandError

from episodes import asr_budget
from episodes.models import Episode
from episodes.transcripts import transcribe

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Transcribe, here and now, the episodes waiting for our speech-to-text, best first, "
        "as far as today's budget allows. --show asks for a show's whole back catalogue, "
        "--episode for one episode; --force redoes our own transcripts; --dry-run only says "
        "what the selection would take."
    )

    def add_arguments(self, parser):
        parser.add_argument("--episode", type=int, metavar="ID", help="Only this episode.")
        parser.add_argument(
            "--show", metavar="SLUG", help="This show's episodes, its back catalogue included."
        )
        parser.add_argument("--limit", type=int, default=0, help="At most this many episodes.")
        parser.add_argument(
            "--force", action="store_true", help="Transcribe again even if we already did."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the audio hours, cost and time the selection would take; change nothing.",
        )

    def handle(self, *args, **options):
        selection = self.selection(options)
        if options["dry_run"]:
            self.dry_run(selection, options["limit"])
            return
        if options["force"]:
            episodes = list(selection[: options["limit"]] if options["limit"] else selection)
            self.run(([episode, asr_budget.charge(episode)] for episode in episodes), force=True)
            return
        if options["episode"] or options["show"]:
            transcribe.ask(selection)
        self.run(self.admitted(selection, options["limit"]), force=False)

    def selection(self, options):
        """The episodes asked for (a queryset, best first)."""
        if options["episode"]:
            episodes = Episode.objects.filter(pk=options["episode"])
            if not episodes.exists():
                raise CommandError(f"No episode {options['episode']}.")
        elif options["force"]:
            episodes = Episode.objects.exclude(audio_url="").filter(
                transcript__isnull=True
            ) | Episode.objects.filter(transcript__source="asr")
        elif options["show"]:
            episodes = Episode.objects.filter(transcript__isnull=True).exclude(audio_url="")
        else:
            episodes = asr_budget.candidates()
        if options["show"]:
            episodes = episodes.filter(show__slug=options["show"])
        return episodes.select_related("show").order_by("-published_at", "-pk")

    def admitted(self, selection, limit: int):
        """Episodes of the selection, one at a time, as the budget and the priorities admit."""
        taken = 0
        narrow = Episode.objects.filter(pk__in=selection.values("pk"))
        while not limit or taken < limit:
            admitted = asr_budget.admit(1, narrow=narrow)
            if not admitted:
                return
            taken += 1
            yield admitted[0]

    def run(self, admitted, *, force: bool) -> None:
        audio_seconds = wall_seconds = 0.0
        done = tried = 0
        started = time.monotonic()
        for episode, charge_id in admitted:
            tried += 1
            self.stdout.write(f"[{tried}] {episode.show} / {episode}")
            try:
                transcript = transcribe.transcribe_episode(
                    episode.pk, force=force, progress=self.progress
                )
            finally:
                asr_budget.settle(charge_id)
            episode.refresh_from_db(fields=["transcript_status", "transcript_error"])
            if transcript is not None and transcript.source == "asr":
                done += 1
                audio_seconds += transcript.audio_seconds or 0
                wall_seconds += transcript.wall_seconds or 0
                self.stdout.write(
                    f"\n  {len(transcript.segments)} segments, "
                    f"{len(self.labels(transcript))} speakers, "
                    f"{transcript.real_time_factor or 0:.1f}x real time"
                )
            else:
                reason = episode.transcript_error or episode.transcript_status
                self.stdout.write(f"\n  not transcribed: {reason}")
        factor = audio_seconds / wall_seconds if wall_seconds else 0
        self.stdout.write(
            f"{done} of {tried} episodes transcribed: {audio_seconds / 3600:.2f} h of audio "
            f"in {(time.monotonic() - started) / 60:.1f} min ({factor:.1f}x real time)."
        )
        self.write_left()

    def write_left(self) -> None:
        """What still waits, and why, and how to run it."""
        queue = asr_budget.queue_summary()
        if not queue["episodes"]:
            return
        self.stdout.write(
            f"Still waiting: {queue['episodes']} episodes, {queue['audio_hours']:.1f} h of audio "
            f"({queue['budget_waiting']} waiting for budget until "
            f"{asr_budget.next_day():%Y-%m-%d %H:%M} UTC). "
            "Run `manage.py transcribe_episodes` again, or leave it to the workers."
        )

    def dry_run(self, selection, limit: int) -> None:
        """Print what the selection would take, against today's budget."""
        episodes = list(selection[:limit] if limit else selection)
        estimate = asr_budget.estimate(episodes)
        usage = asr_budget.usage()
        self.stdout.write(
            f"{len(episodes)} episodes, {estimate['audio_hours']:.1f} h of audio"
            f" ({estimate['unknown_durations']} without a duration, counted as "
            f"{asr_budget.DEFAULT_EPISODE_SECONDS // 60} min)."
        )
        if asr_budget.in_dollars():
            self.stdout.write(f"  provider cost: about ${estimate['usd']:.2f}")
        self.stdout.write(
            f"  today: {usage['today']:.2f} of {usage['budget']:g} {asr_budget.unit()} spent; "
            f"last 7 days: {usage['week_audio_hours']:.1f} h of audio, ${usage['week_usd']:.2f}"
        )
        factor = usage["real_time_factor"]
        if factor:
            hours = estimate["audio_hours"] / factor
            self.stdout.write(f"  time at {factor:.1f}x real time: {hours:.1f} h of one worker")
        else:
            self.stdout.write("  time: unknown (nothing transcribed in the last 7 days)")
        days = estimate["budget_amount"] / usage["budget"] if usage["budget"] else None
        if days is not None:
            self.stdout.write(f"  days of budget: {days:.1f}")

    def progress(self, done: float, total: float) -> None:
        """A one-line bar of the seconds transcribed, redrawn in place."""
        fraction = done / total if total else 0.0
        filled = round(BAR_WIDTH * max(0.0, min(1.0, fraction)))
        self.stdout.write(
            f"\r  [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction:5.0%}", ending=""
        )
        self.stdout.flush()

    @staticmethod
    def labels(transcript) -> set[str]:
        return {segment.get("speaker") for segment in transcript.segments}
