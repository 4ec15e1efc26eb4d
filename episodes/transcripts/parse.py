"""Transcript parsing: files in the formats podcasts publish → segments.

A segment is ``{"speaker": str, "start": float | None, "end": float | None, "text": str}``.

Whatever the bytes, `parse_transcript` returns segments or raises TranscriptError with the
reason: a crash inside one format's parser (deep JSON, odd markup) counts as that format
failing, the next plausible format is tried, and the format that read the file is recorded.
Every parser here is linear in its input: HTML goes through nh3 (html5ever, tamed) first, never
html.parser (quadratic on hostile input on some Python releases: 120 KB of "<a " took
minutes), and every pattern is written so that a failed match fails fast.
"""

import html
import itertools
import json
import math
import re
import string
from dataclasses import dataclass, field

from core.html import clean as html_clean
from core.text import xml_safe

# "Speaker A: text", "Jane Doe: text", "[12:34] Jane: text"; names are short and start a line.
_TEXT_LINE = re.compile(
    r"^\s*(?:\[(?P<ts>\d{1,2}(?::\d{2}){1,2}(?:\.\d+)?)\]\s*)?"
    r"(?:(?P<speaker>[^\W\d_][\w .'’&-]{0,48}?)\s*:\s+)?(?P<text>.*\S)?\s*$"
)


# No episode is longer than a week: a larger time is a unit mix-up or an attack (1e999).
MAX_SECONDS = 7 * 24 * 3600
# The most text one transcript may have (the fetch caps bytes; this caps direct callers).
MAX_TRANSCRIPT_CHARS = 20_000_000


def parse_timestamp(value: str) -> float | None:
    """Seconds from "hh:mm:ss(.fff)", "mm:ss" or "ss" (comma decimals allowed)."""
    try:
        parts = [float(p) for p in value.strip().replace(",", ".").split(":")]
    except ValueError:
        return None
    if not parts or len(parts) > 3 or any(not math.isfinite(p) or p < 0 for p in parts):
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds if seconds <= MAX_SECONDS else None


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
            segments[-1]["parts"].append(body)
            continue
        segments.append(
            {
                "speaker": _label(speaker) if speaker else "",
                "start": start,
                "end": None,
                "parts": [body],
            }
        )
    return _label_unknown_speakers(_join_parts(segments))


def _join_parts(segments: list[dict]) -> list[dict]:
    """Join each segment's collected lines into its text, once."""
    for segment in segments:
        segment["text"] = " ".join(part for part in segment.pop("parts") if part)
    return segments


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
# No "<" inside: an unclosed "<" then fails at the next one, so stripping stays linear.
_TAG = re.compile(r"<[^<>]*>")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^<>]+)>")
# "Name: text" at the start of a cue or line: one to four capitalised words, or an id such as
# SPEAKER_1, so that "So here's the thing: ..." is not taken for a speaker.
_NAME_PREFIX = re.compile(
    r"^(?P<name>(?:[A-Z][\w.'’&-]*|\d+)(?:\s+(?:[A-Z][\w.'’&-]*|\d+)){0,3})\s*:\s+(?P<text>.*)$"
)
_BARE_TS = re.compile(r"^\s*\[?(?P<ts>\d{1,2}(?::\d{2}){1,2}(?:[.,]\d+)?)\]?\s+(?P<rest>.*)$")
_GENERIC_SPEAKER = re.compile(r"(?:speaker|spk|spkr)?[\s_-]*(?P<id>[A-Z]|\d{1,3})", re.I)
# ASR tools' text exports: "Speaker 1 00:00:05", "Jane Doe (00:05):" or "SPEAKER_01 [0:05] text",
# on a line of its own (the words follow) or before the words.
_NAME_STAMP = re.compile(
    r"^(?P<name>[A-Z][\w.'’&-]*(?:\s+(?:[A-Z][\w.'’&-]*|\d{1,3}(?!\S))){0,3})\s*"
    r"[(\[]?(?P<ts>\d{1,2}(?::\d{2}){1,2}(?:[.,]\d+)?)[)\]]?\s*(?P<sep>[:|-]?)\s*(?P<rest>.*)$"
)
# "Jane:" alone on a line, the words on the next lines.
_NAME_ONLY = re.compile(
    r"^(?P<name>(?:[A-Z][\w.'’&-]*|\d+)(?:\s+(?:[A-Z][\w.'’&-]*|\d+)){0,3})\s*:$"
)
# JSON that is an array of values, as opposed to a text starting with "[00:00:05]" or "[Music]".
_JSON_ARRAY = re.compile(
    r'\[\s*(?:[\[{"\]]|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\s*[,\]]|true|false|null)'
)
# Tags the HTML transcript format uses, and the block elements that end a paragraph in any
# other HTML page; nh3 keeps these (no attributes) and drops the rest, keeping their text.
_HTML_TAGS = {"cite", "time", "p", "br", "div", "li"}
_HTML_BLOCKS = {
    *("p", "div", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "hr"),
    *("section", "article", "aside", "header", "footer", "main", "nav", "figure", "figcaption"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tfoot", "tr", "td", "th"),
}
# Whose text is not the page's: dropped with their content.
_HTML_DROPPED = {"script", "style", "title", "template", "noscript"}
_HTML_TOKEN = re.compile(r"<(/?)([a-z][a-z0-9]*)[^<>]*>|([^<]+)")
_HTML_SPACE = re.compile(r"\s+")


class TranscriptError(ValueError):
    """A transcript that cannot be used; the message says why."""


@dataclass
class ParsedTranscript:
    format: str
    segments: list[dict]
    speaker_names: dict[str, str] = field(default_factory=dict)
    # The format first guessed, and why each format tried before `format` failed.
    detected: str = ""
    fallbacks: list[str] = field(default_factory=list)


def parse_transcript(
    body: bytes | str, format: str = "auto", content_type: str | None = None
) -> ParsedTranscript:
    """Parse a transcript in any publisher format into labelled, timed segments.

    Speakers are labelled A, B, C in order of appearance; real names (VTT voice tags, JSON
    `speaker`, "Name:" prefixes, HTML <cite>) go into `speaker_names`. With format "auto" the
    formats are tried in order (`candidate_formats`) and the first that reads the file wins;
    TranscriptError says why each one failed.
    """
    text = xml_safe(_decode(body, content_type))
    if not text.strip():
        raise TranscriptError("The transcript is empty.")
    if len(text) > MAX_TRANSCRIPT_CHARS:
        raise TranscriptError(
            f"The transcript has {len(text):,} characters; the limit is {MAX_TRANSCRIPT_CHARS:,}."
        )
    if format == "auto":
        candidates = candidate_formats(text, content_type)
    elif format in FORMATS:
        candidates = [format]
    else:
        raise TranscriptError(f"Unknown transcript format {format!r}")
    failures: list[str] = []
    for fmt in candidates:
        try:
            parsed = _parse_as(text, fmt)
        except TranscriptError as exc:
            failures.append(f"{fmt}: {exc}")
            last = exc
            continue
        except (Exception, RecursionError) as exc:
            # A crash in one format's parser is that format failing, never the caller's crash.
            failures.append(f"{fmt}: parser error ({type(exc).__name__})")
            last = TranscriptError(f"Unparseable {fmt} transcript ({type(exc).__name__}).")
            continue
        parsed.detected, parsed.fallbacks = candidates[0], failures
        return parsed
    if len(failures) == 1:
        raise last
    raise TranscriptError("Unparseable transcript: " + "; ".join(failures))


def candidate_formats(text: str, content_type: str | None = None) -> list[str]:
    """The formats to try, in order: the detected one, any other whose marks the text has,
    then plain text (which reads anything) unless the text is unmistakably another format."""
    head = text.lstrip()[:2000]
    order = [detect_format(text, content_type)]
    sniffs = (
        ("vtt", head.startswith("WEBVTT") or "-->" in head),
        ("srt", bool(re.search(r"\d{2}:\d{2}:\d{2},\d{1,3}\s*-->", head))),
        ("html", bool(re.search(r"<(?:p|cite|html|body|div|time)[\s>]", head, re.I))),
    )
    order += [fmt for fmt, marked in sniffs if marked and fmt not in order]
    unmistakable = (
        head.startswith(("{", "WEBVTT")) or bool(_JSON_ARRAY.match(head)) or "-->" in head
    )
    if "text" not in order and not unmistakable:
        order.append("text")
    return order


def _parse_as(text: str, fmt: str) -> ParsedTranscript:
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
    return ParsedTranscript(format=fmt, segments=segments, speaker_names=names, detected=fmt)


def detect_format(text: str, content_type: str | None = None) -> str:
    """The format of a transcript, from its content first and its declared type second."""
    head = text.lstrip()[:2000]
    if head.startswith(("{", "[")):
        return "json"
    if head.startswith("WEBVTT"):
        return "vtt"
    if re.search(r"\d{2}:\d{2}:\d{2},\d{1,3}\s*-->", head):
        return "srt"
    before_arrow = head.split("-->", 1)[0].splitlines()
    if "-->" in head and before_arrow and _TIMING.search(before_arrow[-1] + "-->0"):
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
    return " ".join(xml_safe(html.unescape(_TAG.sub("", text))).split())


def _seconds(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:
            return None
        return seconds if math.isfinite(seconds) and 0 <= seconds <= MAX_SECONDS else None
    if isinstance(value, str):
        return parse_timestamp(value)
    return None


def _parse_json(text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptError(f"Invalid JSON transcript: {exc}") from exc
    except RecursionError as exc:
        raise TranscriptError("Invalid JSON transcript: nested too deeply.") from exc
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
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


def _parse_html(text: str) -> list[dict]:
    """HTML transcripts: the podcast-namespace layout, else any page's paragraphs and lines.

    The namespace layout is <cite>Name:</cite> <time>0:00</time> <p>text</p>. Any other page
    (or one whose <cite> and <time> name no speaker and no time) is read as text: each block
    element (<p>, <div>, <li>, <h2>, <tr>, ...) is a paragraph and each <br> a line, so "Name:"
    prefixes, "[00:05]" stamps and "Jane 00:05" headers are found as in plain text, and each
    paragraph is a segment of its own (a paragraph without a name continues the speaker).

    nh3 (html5ever, made linear on any input by `core.html.clean`) first keeps only these
    tags, without attributes, comments, marked sections, scripts or styles; what it returns is
    well-formed and read with one regular expression, in one pass.
    """
    clean = html_clean(
        text,
        tags=_HTML_TAGS | _HTML_BLOCKS,
        clean_content_tags=_HTML_DROPPED,
        attributes={},
        strip_comments=True,
    )
    segments = _namespace_html(clean)
    if any(s["speaker"] or s["start"] is not None for s in segments):
        return segments
    return _plain_html(clean)


def _unescape(text: str) -> str:
    """html.unescape of nh3's output, with its many "&amp;" turned back at C speed.

    Split on "&amp;", no reference spans two parts, so each part is unescaped on its own.
    """
    if "&amp;" not in text:
        return html.unescape(text)
    return "&".join(html.unescape(part) for part in text.split("&amp;"))


def _namespace_html(clean: str) -> list[dict]:
    segments: list[dict] = []
    speaker, start, current, buffer = "", None, None, []
    for match in _HTML_TOKEN.finditer(clean):
        closing, tag, data = match.groups()
        if data is not None:
            if current:
                buffer.append(data)
        elif not closing and tag in ("cite", "time", "p"):
            current, buffer = tag, []
        elif closing and tag == current:
            value = " ".join(xml_safe(_unescape("".join(buffer))).split())
            if tag == "cite":
                speaker = value.rstrip(":").strip()
            elif tag == "time":
                start = parse_timestamp(value) if value else None
            elif value:
                segments.append(_segment(speaker, start, None, value))
                start = None
            current = None
    return segments


def _plain_html(clean: str) -> list[dict]:
    """Any HTML page's text: a segment per paragraph (block), a line per <br>."""
    segments: list[dict] = []
    block: list[str] = []

    def flush():
        for segment in _parse_text(xml_safe(_unescape("".join(block)))):
            header = segments[-1] if segments and not segments[-1]["text"] else None
            if header and not segment["speaker"] and segment["start"] is None:
                # The words under a "<h3>Jane 00:05</h3>" or "<p><b>Jane:</b></p>" header.
                segment["speaker"], segment["start"] = header["speaker"], header["start"]
            segments.append(segment)
        block.clear()

    for match in _HTML_TOKEN.finditer(clean):
        _, tag, data = match.groups()
        if data is not None:
            # Whitespace in HTML text, line ends included, is one space: only tags break lines.
            block.append(_HTML_SPACE.sub(" ", data))
        elif tag == "br":
            block.append("\n")
        elif tag in _HTML_BLOCKS:
            flush()
    flush()
    return segments


def _parse_text(text: str) -> list[dict]:
    """Plain text: optional "[hh:mm:ss]" or "hh:mm:ss" stamps and "Name:" prefixes per line,
    and the "Speaker 1 00:00:05" headers of ASR tools' exports (the words on the next lines)."""
    segments: list[dict] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        start, speaker = None, ""
        if stamp := _BARE_TS.match(line):
            start, line = parse_timestamp(stamp["ts"]), stamp["rest"]
        elif (named := _NAME_STAMP.match(line)) and _is_speaker_stamp(named):
            speaker, start, line = named["name"], parse_timestamp(named["ts"]), named["rest"]
        if not speaker:
            if prefix := _NAME_PREFIX.match(line):
                speaker, line = prefix["name"], prefix["text"]
            elif alone := _NAME_ONLY.match(line):
                speaker, line = alone["name"], ""
        if not speaker and start is None and segments:
            segments[-1]["parts"].append(line)
            continue
        segments.append({**_segment(speaker, start, None, ""), "parts": [line]})
    return _join_parts(segments)


def _is_speaker_stamp(match: re.Match) -> bool:
    """Whether "Name 00:05 ..." names a speaker, not a sentence that starts with a time:
    a header line of its own, a generic label ("Speaker 1") or a separator after the time."""
    return (
        not match["rest"] or bool(match["sep"]) or bool(_GENERIC_SPEAKER.fullmatch(match["name"]))
    )


def _assign_labels(segments: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """Label speakers A, B, C in order of appearance; keep real names in a label → name map.

    A segment without a speaker continues the previous one's (VTT cues and SRT blocks name the
    speaker only when it changes). "Speaker B"-style labels keep their letter.
    """
    labels: dict[str, str] = {}
    names: dict[str, str] = {}
    used: set[str] = set()
    # A, B, … Z, AA, AB, … without end: any number of speakers gets a label.
    sequence = (
        "".join(letters)
        for size in itertools.count(1)
        for letters in itertools.product(string.ascii_uppercase, repeat=size)
    )

    def new_label(raw: str) -> str:
        generic = _GENERIC_SPEAKER.fullmatch(raw) if raw else None
        if generic and generic["id"].isalpha() and generic["id"].upper() not in used:
            label = generic["id"].upper()
        else:
            label = next(c for c in sequence if c not in used)
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
