"""Make our own transcripts: python manage.py transcribe_episodes [--episode ID] [--show SLUG]"""

import time

from django.core.management.base import BaseCommand

from episodes.models import Episode
from episodes.transcripts import transcribe

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Transcribe episodes with our speech-to-text: by default those whose transcription "
        "failed for a passing reason or never ran; --force redoes our own transcripts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--episode", type=int, metavar="ID", help="Only this episode.")
        parser.add_argument("--show", metavar="SLUG", help="Only this show's episodes.")
        parser.add_argument("--limit", type=int, default=0, help="At most this many episodes.")
        parser.add_argument(
            "--force", action="store_true", help="Transcribe again even if we already did."
        )

    def handle(self, *args, **options):
        episodes = self.selection(options)
        total = len(episodes)
        audio_seconds = wall_seconds = 0.0
        done = 0
        started = time.monotonic()
        for n, episode in enumerate(episodes, 1):
            self.stdout.write(f"[{n}/{total}] {episode.show} / {episode}")
            transcript = transcribe.transcribe_episode(
                episode.pk, force=options["force"], progress=self.progress
            )
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
            f"{done} of {total} episodes transcribed: {audio_seconds / 3600:.2f} h of audio "
            f"in {(time.monotonic() - started) / 60:.1f} min ({factor:.1f}x real time)."
        )

    def selection(self, options) -> list[Episode]:
        if options["episode"]:
            episodes = Episode.objects.filter(pk=options["episode"])
        elif options["force"]:
            episodes = Episode.objects.exclude(audio_url="").filter(
                transcript__isnull=True
            ) | Episode.objects.filter(transcript__source="asr")
        else:
            episodes = transcribe.episodes_to_transcribe(
                (transcribe.FAILED, transcribe.QUEUED, "", "none")
            )
        if options["show"]:
            episodes = episodes.filter(show__slug=options["show"])
        episodes = episodes.select_related("show").order_by("-published_at", "-pk")
        return list(episodes[: options["limit"]] if options["limit"] else episodes)

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
