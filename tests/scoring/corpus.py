"""Reading the shared corpus transcripts with the project's own parser."""

from pathlib import Path

from episodes.transcripts.parse import TranscriptError, parse_transcript


def parse_corpus_file(path: Path) -> list[dict]:
    """Segments of one corpus transcript file; [] for the deliberately broken ones."""
    try:
        return parse_transcript(path.read_bytes()).segments
    except TranscriptError:
        return []
