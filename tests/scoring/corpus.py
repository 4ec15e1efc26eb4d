"""Reading transcript files (ours in tests/data, or the shared corpus) with our own parser."""

from pathlib import Path

from episodes.transcripts.parse import TranscriptError, parse_transcript


def parse_transcript_file(path: Path) -> list[dict]:
    """Segments of one transcript file; [] for the deliberately broken ones."""
    try:
        return parse_transcript(path.read_bytes()).segments
    except TranscriptError:
        return []
