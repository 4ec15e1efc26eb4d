"""Time the baseline scorer on the reference transcript, the corpus, and a 4-hour transcript.

Run: .venv/bin/python bench/scoring_baseline.py
"""

import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")

import django  # noqa: E402

django.setup()

from episodes.transcripts.parse import TranscriptError, parse_plain_text, parse_transcript  # noqa: E402
from scoring.engines.base import DimensionSpec, EpisodeContext  # noqa: E402
from scoring.engines.baseline import BaselineEngine  # noqa: E402

SHARED = ROOT.parent / "shared"
KEYS = [
    "insight_density",
    "originality",
    "guest_caliber",
    "specificity_evidence",
    "conversational_craft",
]
RUBRIC = [DimensionSpec(k, k, "") for k in KEYS]


def timed(segments, repeat=5):
    engine = BaselineEngine()
    context = EpisodeContext(title="", show_title="", segments=segments, dimensions=RUBRIC)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = engine.score(context)
        times.append(time.perf_counter() - started)
    return result, statistics.median(times)


def main():
    body = (SHARED / "reference" / "seed-episode-page.txt").read_text(encoding="utf-8")
    body = body.split("Transcribed and scored by The B2B Podcast Index.", 1)[1]
    reference = parse_plain_text(
        "\n".join(line for line in body.splitlines() if re.match(r"Speaker [A-Z]: ", line))
    )
    result, seconds = timed(reference)
    words = sum(len(s["text"].split()) for s in reference)
    print(f"reference ({words:,} words): {result.total}/100 in {seconds * 1000:.0f} ms")

    long = reference * 8
    result, seconds = timed(long, repeat=3)
    words = sum(len(s["text"].split()) for s in long)
    print(f"reference x8 (~4 h, {words:,} words): {seconds * 1000:.0f} ms")

    for path in sorted((SHARED / "corpus" / "transcripts").iterdir()):
        try:
            segments = parse_transcript(path.read_bytes()).segments
        except TranscriptError:
            continue
        words = sum(len(s["text"].split()) for s in segments)
        if words < 50:
            continue
        result, seconds = timed(segments, repeat=3)
        print(f"{path.name[:50]:50} {words:6,} words {result.total:3}/100 {seconds * 1000:5.0f} ms")


if __name__ == "__main__":
    main()
