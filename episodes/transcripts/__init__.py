"""Transcripts: parse every format we meet and analyse the conversation (no database here).

Fetching publisher transcripts into the database is `episodes.transcripts.fetch`.
"""

from episodes.transcripts.analysis import analyze, segments_hash
from episodes.transcripts.parse import FORMATS, TranscriptError, parse_plain_text, parse_transcript

__all__ = [
    "FORMATS",
    "TranscriptError",
    "analyze",
    "parse_plain_text",
    "parse_transcript",
    "segments_hash",
]
