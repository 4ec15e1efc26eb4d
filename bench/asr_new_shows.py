"""How many episodes an OPML of new shows sends to our transcription when every transcript link
and every audio file is gone (the corpus feeds in ../shared/corpus, served on 127.0.0.1 with
each url="..." attribute pointed at a 404).

Run by hand (a scratch SQLite file, tasks eager as with the embedded defaults):

    .venv/bin/python bench/asr_new_shows.py

Prints the shows ingested, their episodes, the episodes sent to our transcription (waiting,
queued, tried or given up on) in all and for the show with the most, and the wall time of the
import_opml command.
"""

import io
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")
os.environ.setdefault("PODINDEX_ALLOW_PRIVATE_URLS", "1")
os.environ.setdefault("PODINDEX_ASR_ENABLED", "1")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from episodes.models import Episode  # noqa: E402
from tests.factories.http import LocalServer  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
CORPUS = Path(os.environ.get("PODINDEX_SHARED_DIR") or SHARED) / "corpus" / "feeds"
# Every status of our own transcription: the episode was sent to it.
SENT = [
    "to_transcribe",
    "waiting_for_budget",
    "transcribing",
    "transcribed",
    "transcription_failed",
    "untranscribable",
]


def feed_body(path: Path, gone: str) -> bytes:
    text = path.read_bytes()
    if path.name.startswith("pi-capture__"):
        text = text.split(b"\n", 4)[4]  # the capture's 4-line header
    return re.sub(rb'url="https?://[^"]*"', f'url="{gone}"'.encode(), text)


def main():
    if not CORPUS.is_dir():
        sys.exit(f"No corpus at {CORPUS}")
    call_command("migrate", verbosity=0)
    server = LocalServer().start()
    gone = server.url("/gone")
    urls = [
        server.serve(f"/{path.name}", feed_body(path, gone))
        for path in sorted(CORPUS.iterdir())
        if path.is_file()
    ]
    outlines = "".join(f'<outline type="rss" xmlUrl="{url}"/>' for url in urls)
    opml = Path(tempfile.mkdtemp()) / "corpus.opml"
    opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>')
    started = time.monotonic()
    call_command("import_opml", str(opml), stdout=io.StringIO())
    wall = time.monotonic() - started
    sent = Counter(
        Episode.objects.filter(transcript_status__in=SENT).values_list("show_id", flat=True)
    )
    shows = Episode.objects.values("show_id").distinct().count()
    print(f"shows with episodes: {shows}, episodes: {Episode.objects.count()}")
    print(
        f"sent to our transcription: {sum(sent.values())} "
        f"(most for one show: {max(sent.values(), default=0)})"
    )
    print(f"import_opml wall time: {wall:.1f} s")
    server.stop()


if __name__ == "__main__":
    main()
