import json
import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import http
from episodes.asr.engines import ENGINES
from episodes.asr.errors import AsrError
from episodes.asr.pipeline import AsrResult, transcribe_file
from episodes.transcripts.transcribe import AUDIO_ACCEPT


class Command(BaseCommand):
    help = "Transcribe an audio (or video) file or URL, with speakers labelled A, B, C…"

    def add_arguments(self, parser):
        parser.add_argument("source", help="An audio or video file, or an http(s) URL.")
        parser.add_argument("--json", action="store_true", help="Print the transcript as JSON.")
        parser.add_argument(
            "--speakers",
            type=int,
            choices=range(1, 9),
            metavar="N",
            help="How many people speak (1-8); estimated when not given.",
        )
        parser.add_argument("--engine", choices=list(ENGINES), help="Default: PODINDEX_ASR_ENGINE.")

    def handle(self, *args, **options):
        source = options["source"]
        with tempfile.TemporaryDirectory() as folder:
            if re.match(r"https?://", source, re.IGNORECASE):
                path = download(source, Path(folder) / "audio")
            else:
                path = Path(source)
                if not path.is_file():
                    raise CommandError(f"No such file: {path}")
            try:
                result = transcribe_file(
                    path, speakers=options["speakers"], engine=options["engine"]
                )
            except AsrError as exc:
                raise CommandError(f"{exc.status}: {exc}") from exc
        # On stderr, so --json stays exactly what the pipeline stores.
        for doubt in result.confidence.get("doubts", []):
            self.stderr.write(f"Low confidence: {doubt}")
        if options["json"]:
            self.stdout.write(json.dumps(result.to_json(), ensure_ascii=False))
            return
        for segment in result.segments:
            self.stdout.write(
                f"[{timestamp(segment['start'])}] Speaker {segment['speaker']}: {segment['text']}"
            )
        self.stderr.write(summary(result))


def download(url: str, path: Path) -> Path:
    """Stream audio through the guarded HTTP seam into `path`."""
    try:
        with path.open("wb") as sink:
            http.fetch(
                url,
                max_bytes=settings.PODINDEX_AUDIO_MAX_BYTES,
                accept=AUDIO_ACCEPT,
                total_timeout=settings.PODINDEX_AUDIO_FETCH_SECONDS,
                sink=sink,
            )
    except http.FetchError as exc:
        raise CommandError(f"Cannot download {url}: {exc}") from exc
    return path


def timestamp(seconds: float) -> str:
    """00:07, or 1:02:03 past the hour."""
    minutes, second = divmod(int(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}" if hours else f"{minute:02d}:{second:02d}"


def summary(result: AsrResult) -> str:
    return (
        f"{result.audio_seconds:.0f} s of {result.language} audio, {len(result.speakers)} "
        f"speaker(s), in {result.wall_seconds:.1f} s ({result.real_time_factor:.0f}x real time) "
        f"by {result.engine} {result.model}"
        + (f", ${result.cost_usd:.4f}" if result.cost_usd else "")
    )
