"""Time the conversation analysis of a 4-hour (~40,000-word) transcript.

Run: .venv/bin/python bench/analysis_bench.py
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from episodes.transcripts.analysis import analyze
from episodes.transcripts.parse import parse_plain_text

SENTENCES = [
    "So we basically cut our close from nine days to four, and you know, it held.",
    "I mean the real cost was uh, about $40,000 a quarter in contractor time.",
    "Right, and like, kind of the hard part was the controller team, actually.",
    "Um, we sort of literally rebuilt the revenue schedule in a spreadsheet first.",
]


def build_transcript(words: int = 40_000) -> str:
    lines, count, turn = [], 0, 0
    while count < words:
        text = " ".join(SENTENCES[(turn + i) % 4] for i in range(3))
        lines.append(f"Speaker {'ABC'[turn % 3]}: {text}")
        count += len(text.split())
        turn += 1
    return "\n".join(lines)


def main():
    text = build_transcript()
    segments = parse_plain_text(text)
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        result = analyze(segments)
        timings.append(time.perf_counter() - started)
    words = sum(s["words"] for s in result["speakers"])
    print(f"words: {words}, segments: {len(segments)}")
    print(
        f"analyze(): median {statistics.median(timings) * 1000:.1f} ms, "
        f"min {min(timings) * 1000:.1f} ms over {len(timings)} runs"
    )
    started = time.perf_counter()
    parse_plain_text(text)
    print(f"parse_plain_text(): {(time.perf_counter() - started) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
