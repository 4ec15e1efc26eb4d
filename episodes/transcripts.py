"""Transcript parsing: files in the formats podcasts publish → segments.

A segment is ``{"speaker": str, "start": float | None, "end": float | None, "text": str}``.
"""

import re

# "Speaker A: text", "Jane Doe: text", "[12:34] Jane: text"; names are short and start a line.
_TEXT_LINE = re.compile(
    r"^\s*(?:\[(?P<ts>\d{1,2}(?::\d{2}){1,2}(?:\.\d+)?)\]\s*)?"
    r"(?:(?P<speaker>[^\W\d_][\w .'’&-]{0,48}?)\s*:\s+)?(?P<text>.*\S)?\s*$"
)


def parse_timestamp(value: str) -> float | None:
    """Seconds from "hh:mm:ss(.fff)", "mm:ss" or "ss" (comma decimals allowed)."""
    try:
        parts = [float(p) for p in value.strip().replace(",", ".").split(":")]
    except ValueError:
        return None
    if not parts or len(parts) > 3 or any(p < 0 for p in parts):
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def parse_plain_text(text: str) -> list[dict]:
    """Parse "Speaker: text" lines; unlabelled lines continue the previous speaker's turn."""
    segments: list[dict] = []
    for line in text.lstrip("\ufeff").splitlines():
        match = _TEXT_LINE.match(line)
        if not match or not match.group("text"):
            continue
        speaker, body = match.group("speaker"), match.group("text")
        start = parse_timestamp(match.group("ts")) if match.group("ts") else None
        if speaker is None and segments and start is None:
            segments[-1]["text"] += " " + body
            continue
        segments.append(
            {
                "speaker": _label(speaker) if speaker else "",
                "start": start,
                "end": None,
                "text": body,
            }
        )
    return _label_unknown_speakers(segments)


def _label(speaker: str) -> str:
    """ "Speaker A" → "A"; real names stay as they are."""
    match = re.fullmatch(r"speaker\s+(\w{1,3})", speaker.strip(), re.IGNORECASE)
    return match.group(1).upper() if match else speaker.strip()


def _label_unknown_speakers(segments: list[dict]) -> list[dict]:
    """Give unlabelled segments a speaker "A" so analysis still counts their words."""
    for segment in segments:
        if not segment["speaker"]:
            segment["speaker"] = "A"
    return segments
