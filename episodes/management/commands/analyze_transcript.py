import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from episodes.transcripts.analysis import analyze
from episodes.transcripts.parse import FORMATS, TranscriptError, parse_transcript


class Command(BaseCommand):
    help = "Print the conversation analysis (share of words, filler words) of a transcript file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Transcript file: JSON, WebVTT, SRT, HTML or text.")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of text.")
        parser.add_argument(
            "--format",
            choices=["auto", *FORMATS],
            default="auto",
            help="The file's format (default: detected from its content).",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        try:
            transcript = parse_transcript(body, format=options["format"])
        except TranscriptError as exc:
            raise CommandError(f"Cannot parse {path}: {exc}") from exc
        result = analyze(transcript.segments, transcript.speaker_names)
        names = transcript.speaker_names
        if options["json"]:
            speakers = [{"label": s["label"], "share": s["share"]} for s in result["speakers"]]
            for speaker in speakers:
                if speaker["label"] in names:
                    speaker["name"] = names[speaker["label"]]
            self.stdout.write(json.dumps({"speakers": speakers, "fillers": result["fillers"]}))
            return
        self.stdout.write("Share of words spoken")
        for speaker in result["speakers"]:
            label = names.get(speaker["label"], speaker["label"])
            self.stdout.write(f"  {label:<20} {speaker['share']:>3}%")
        self.stdout.write("Filler words")
        for filler in result["fillers"]:
            self.stdout.write(f"  {filler['word']:<20} {filler['count']:>5}")
