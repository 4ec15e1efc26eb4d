"""Transcript parsing: files in the formats podcasts publish → segments.

A segment is ``{"speaker": str, "start": float | None, "end": float | None, "text": str}``.
"""

import html
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

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


# --- Publisher transcript formats (podcast:transcript) -------------------------------------

FORMATS = ("json", "vtt", "srt", "html", "text")
CONTENT_TYPES = {
    "application/json": "json",
    "text/json": "json",
    "text/vtt": "vtt",
    "application/x-subrip": "srt",
    "application/srt": "srt",
    "text/srt": "srt",
    "text/x-srt": "srt",
    "text/html": "html",
    "text/plain": "text",
}
# A merged segment stops growing at a sentence end past the soft limit, or anywhere past the
# hard one: word-level JSON and 3-second cues become readable turns that still seek precisely.
MERGE_SOFT_CHARS = 300
MERGE_HARD_CHARS = 1000

_TIMING = re.compile(r"^\s*(?P<start>[\d:.,]+)\s*-->\s*(?P<end>[\d:.,]+)(?:\s|$)")
_TAG = re.compile(r"<[^>]*>")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
# "Name: text" at the start of a cue or line: one to four capitalised words, or an id such as
# SPEAKER_1, so that "So here's the thing: ..." is not taken for a speaker.
_NAME_PREFIX = re.compile(
    r"^(?P<name>(?:[A-Z][\w.'’&-]*|\d+)(?:\s+(?:[A-Z][\w.'’&-]*|\d+)){0,3})\s*:\s+(?P<text>.*)$"
)
_BARE_TS = re.compile(r"^\s*\[?(?P<ts>\d{1,2}(?::\d{2}){1,2}(?:[.,]\d+)?)\]?\s+(?P<rest>.*)$")
_GENERIC_SPEAKER = re.compile(r"(?:speaker|spk|spkr)?[\s_-]*(?P<id>[A-Z]|\d{1,3})", re.I)


class TranscriptError(ValueError):
    """A transcript that cannot be used; the message says why."""


@dataclass
class ParsedTranscript:
    format: str
    segments: list[dict]
    speaker_names: dict[str, str] = field(default_factory=dict)


def parse_transcript(
    body: bytes | str, format: str = "auto", content_type: str | None = None
) -> ParsedTranscript:
    """Parse a transcript in any publisher format into labelled, timed segments.

    Speakers are labelled A, B, C in order of appearance; real names (VTT voice tags, JSON
    `speaker`, "Name:" prefixes, HTML <cite>) go into `speaker_names`.
    """
    text = _decode(body, content_type)
    if not text.strip():
        raise TranscriptError("The transcript is empty.")
    fmt = detect_format(text, content_type) if format == "auto" else format
    if fmt not in FORMATS:
        raise TranscriptError(f"Unknown transcript format {format!r}")
    raw = {
        "json": _parse_json,
        "vtt": _parse_cues,
        "srt": _parse_cues,
        "html": _parse_html,
        "text": _parse_text,
    }[fmt](text)
    raw = [s for s in raw if s["text"]]
    if not raw:
        raise TranscriptError(f"The {fmt} transcript has no text.")
    segments, names = _assign_labels(raw)
    if fmt in ("json", "vtt", "srt"):
        segments = _merge(segments)
    return ParsedTranscript(format=fmt, segments=segments, speaker_names=names)


def detect_format(text: str, content_type: str | None = None) -> str:
    """The format of a transcript, from its content first and its declared type second."""
    head = text.lstrip()[:2000]
    if head.startswith(("{", "[")):
        return "json"
    if head.startswith("WEBVTT"):
        return "vtt"
    if re.search(r"\d{2}:\d{2}:\d{2},\d{1,3}\s*-->", head):
        return "srt"
    if "-->" in head and _TIMING.search(head.split("-->")[0].splitlines()[-1] + "-->0"):
        return "vtt"
    declared = CONTENT_TYPES.get((content_type or "").split(";")[0].strip().lower())
    if declared:
        return declared
    if re.search(r"<(?:p|cite|html|body|div)[\s>]", head, re.I):
        return "html"
    return "text"


def _decode(body: bytes | str, content_type: str | None) -> str:
    if isinstance(body, str):
        return body.lstrip("\ufeff")
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16", errors="replace")
    charset = re.search(r"charset=([\w.-]+)", content_type or "", re.I)
    for encoding in ("utf-8-sig", charset.group(1) if charset else None):
        if encoding:
            try:
                return body.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    return body.decode("cp1252", errors="replace")


def _segment(speaker, start, end, text) -> dict:
    return {"speaker": speaker or "", "start": start, "end": end, "text": text}


def _clean(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def _seconds(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if isinstance(value, str):
        return parse_timestamp(value)
    return None


def _parse_json(text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptError(f"Invalid JSON transcript: {exc}") from exc
    items = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise TranscriptError('A JSON transcript needs a "segments" list.')
    segments = []
    for item in items:
        if not isinstance(item, dict):
            continue
        body = item.get("body", item.get("text"))
        if not isinstance(body, str):
            continue
        speaker = item.get("speaker")
        segments.append(
            _segment(
                _clean(str(speaker)) if speaker not in (None, "") else "",
                _seconds(item.get("startTime", item.get("start"))),
                _seconds(item.get("endTime", item.get("end"))),
                _clean(body),
            )
        )
    return segments


def _parse_cues(text: str) -> list[dict]:
    """WebVTT and SRT cues; blocks with bad or missing timings keep their text, untimed."""
    segments: list[dict] = []
    cue: dict | None = None
    loose: list[str] = []

    def flush():
        nonlocal cue, loose
        if cue is not None:
            segments.append(_cue_segment(cue["lines"], cue["start"], cue["end"]))
        elif loose and not loose[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            # No timing line: an SRT block whose first line is just its number.
            lines = loose[1:] if loose[0].strip().isdigit() and len(loose) > 1 else loose
            segments.append(_cue_segment(lines, None, None))
        cue, loose = None, []

    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            flush()
        elif "-->" in line:
            # A timing line starts a cue even without the blank line that should precede it.
            if cue is not None:
                flush()
            match = _TIMING.match(line)
            start = parse_timestamp(match["start"]) if match else None
            end = parse_timestamp(match["end"]) if match else None
            cue, loose = {"lines": [], "start": start, "end": end}, []
        elif cue is not None:
            cue["lines"].append(line)
        else:
            loose.append(line)
    flush()
    return segments


def _cue_segment(lines: list[str], start, end) -> dict:
    raw = " ".join(line.strip() for line in lines)
    voice = _VOICE.search(raw)
    speaker = _clean(voice.group(1)) if voice else ""
    body = re.sub(r"^-\s+", "", _clean(raw))
    if not speaker and (prefix := _NAME_PREFIX.match(body)):
        speaker, body = prefix["name"], prefix["text"]
    return _segment(speaker, start, end, body)


class _HTMLTranscript(HTMLParser):
    """The podcast-namespace HTML format: <cite>Name:</cite> <time>0:00</time> <p>text</p>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.segments: list[dict] = []
        self.speaker, self.start = "", None
        self._tag, self._buffer, self._skip = None, [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("cite", "time", "p"):
            self._tag, self._buffer = tag, []

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
            return
        if tag != self._tag:
            return
        value = " ".join("".join(self._buffer).split())
        if tag == "cite":
            self.speaker = value.rstrip(":").strip()
        elif tag == "time":
            self.start = parse_timestamp(value) if value else None
        elif value:
            self.segments.append(_segment(self.speaker, self.start, None, value))
            self.start = None
        self._tag = None

    def handle_data(self, data):
        if self._tag and not self._skip:
            self._buffer.append(data)


def _parse_html(text: str) -> list[dict]:
    parser = _HTMLTranscript()
    parser.feed(text)
    parser.close()
    if parser.segments:
        return parser.segments
    # Not the namespace layout: fall back to the page's text, line by line.
    return _parse_text(_clean(re.sub(r"<(?:br|/p|/div|/li)\b[^>]*>", "\n", text)))


def _parse_text(text: str) -> list[dict]:
    """Plain text: optional "[hh:mm:ss]" or "hh:mm:ss" stamps and "Name:" prefixes per line."""
    segments: list[dict] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        start = None
        if stamp := _BARE_TS.match(line):
            start, line = parse_timestamp(stamp["ts"]), stamp["rest"]
        speaker = ""
        if prefix := _NAME_PREFIX.match(line):
            speaker, line = prefix["name"], prefix["text"]
        if not speaker and start is None and segments:
            segments[-1]["text"] += " " + line
            continue
        segments.append(_segment(speaker, start, None, line))
    return segments


def _assign_labels(segments: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """Label speakers A, B, C in order of appearance; keep real names in a label → name map.

    A segment without a speaker continues the previous one's (VTT cues and SRT blocks name the
    speaker only when it changes). "Speaker B"-style labels keep their letter.
    """
    labels: dict[str, str] = {}
    names: dict[str, str] = {}
    used: set[str] = set()
    letters = (chr(c) for c in range(ord("A"), ord("Z") + 1))
    fallback = (f"{a}{b}" for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJ")

    def new_label(raw: str) -> str:
        generic = _GENERIC_SPEAKER.fullmatch(raw) if raw else None
        if generic and generic["id"].isalpha() and generic["id"].upper() not in used:
            label = generic["id"].upper()
        else:
            label = next((c for c in letters if c not in used), None) or next(fallback)
        used.add(label)
        if raw and not generic:
            names[label] = raw[:100]
        return label

    current = None
    for segment in segments:
        raw = segment["speaker"].strip()
        if raw:
            if raw.lower() not in labels:
                labels[raw.lower()] = new_label(raw)
            current = labels[raw.lower()]
        elif current is None:
            current = new_label("")
        segment["speaker"] = current
    return segments, names


def _merge(segments: list[dict]) -> list[dict]:
    """Join consecutive pieces of one speaker's turn into readable segments."""
    merged: list[dict] = []
    for segment in segments:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last["speaker"] == segment["speaker"]
            and len(last["text"]) < MERGE_HARD_CHARS
            and (len(last["text"]) < MERGE_SOFT_CHARS or not last["text"].endswith((".", "?", "!")))
        ):
            last["text"] += " " + segment["text"]
            if segment["end"] is not None:
                last["end"] = segment["end"]
            if last["start"] is None:
                last["start"] = segment["start"]
            continue
        merged.append(dict(segment))
    return merged
