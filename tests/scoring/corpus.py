"""Reading the shared corpus transcripts with the project's own parsers."""

from pathlib import Path

from episodes import transcripts


def parse_corpus_file(path: Path) -> list[dict]:
    """Segments of one corpus transcript file; [] when its format cannot be parsed (yet)."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    parse = getattr(transcripts, "parse_transcript", None)
    if parse is not None:
        try:
            return parse(raw, path.suffix.lstrip("."))
        except ValueError:
            return []
    return transcripts.parse_plain_text(raw) if path.suffix == ".txt" else []
