import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from episodes.analysis import analyze
from episodes.transcripts import parse_plain_text


class Command(BaseCommand):
    help = "Print the conversation analysis (share of words, filler words) of a transcript file."

    def add_arguments(self, parser):
        parser.add_argument("file", help='Transcript file, e.g. "Speaker A: text" lines.')
        parser.add_argument("--json", action="store_true", help="Print JSON instead of text.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8-sig", errors="replace")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        result = analyze(parse_plain_text(text))
        if options["json"]:
            speakers = [{"label": s["label"], "share": s["share"]} for s in result["speakers"]]
            self.stdout.write(json.dumps({"speakers": speakers, "fillers": result["fillers"]}))
            return
        self.stdout.write("Share of words spoken")
        for speaker in result["speakers"]:
            self.stdout.write(f"  {speaker['label']:<20} {speaker['share']:>3}%")
        self.stdout.write("Filler words")
        for filler in result["fillers"]:
            self.stdout.write(f"  {filler['word']:<20} {filler['count']:>5}")
