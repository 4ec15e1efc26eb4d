"""Conversation analysis: who did the talking, and the verbal tics along the way.

Deterministic and LLM-free: word shares per speaker and filler-word counts from segments.
"""

import hashlib
import json
import re
from collections import Counter

from episodes.transcripts.names import display_name, usable_names

# Each filler word and the spellings counted under it; matched case-insensitively as whole
# words or phrases. "er" also counts the hesitations "ah" and "erm".
FILLERS: dict[str, tuple[str, ...]] = {
    "so": ("so",),
    "like": ("like",),
    "uh": ("uh",),
    "actually": ("actually",),
    "right": ("right",),
    "kind of": ("kind of",),
    "basically": ("basically",),
    "um": ("um",),
    "er": ("er", "ah", "erm"),
    "you know": ("you know",),
    "sort of": ("sort of",),
    "i mean": ("i mean",),
    "literally": ("literally",),
}
FILLER_LABELS = {"i mean": "I mean"}

# Words are runs of letters/digits with inner apostrophes or hyphens ("don't", "AI-native").
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_FILLER_PATTERN = re.compile(
    r"(?<![\w'’-])(?:"
    + "|".join(
        sorted(
            (re.escape(s).replace(r"\ ", r"\s+") for v in FILLERS.values() for s in v),
            key=len,
            reverse=True,
        )
    )
    + r")(?![\w'’-])",
    re.IGNORECASE,
)
_SPELLING_TO_FILLER = {s: word for word, spellings in FILLERS.items() for s in spellings}


def count_words(text: str) -> int:
    """Count the words in a piece of text."""
    return sum(1 for _ in _WORD.finditer(text))


def speaker_shares(segments: list[dict], names: dict[str, str] | None = None) -> list[dict]:
    """Whole-percent share of words per speaker, largest first (ties by first appearance).

    Labels that `names` gives the same name are one person (the speaker recognition split
    them, or an editor said so), so they count as one row under the first label.
    """
    names = names or {}
    words: Counter[str] = Counter()
    labels: dict[str, list[str]] = {}
    for segment in segments:
        label = segment.get("speaker") or "?"
        person = display_name(names, label).casefold()
        if label not in labels.setdefault(person, []):
            labels[person].append(label)
        words[person] += count_words(segment.get("text", ""))
    total = sum(words.values())
    if not total:
        return []
    order = {person: i for i, person in enumerate(words)}
    ranked = sorted(words.items(), key=lambda item: (-item[1], order[item[0]]))
    rows = []
    for person, count in ranked:
        if count:
            row = {"label": labels[person][0], "words": count, "share": round(100 * count / total)}
            if len(labels[person]) > 1:
                row["labels"] = labels[person]
            rows.append(row)
    return rows


def filler_counts(segments: list[dict]) -> list[dict]:
    """Filler-word counts over all segments, largest first, zeros left out."""
    counts: Counter[str] = Counter()
    for segment in segments:
        for match in _FILLER_PATTERN.finditer(segment.get("text", "")):
            spelling = re.sub(r"\s+", " ", match.group(0).lower())
            counts[_SPELLING_TO_FILLER[spelling]] += 1
    order = {word: i for i, word in enumerate(FILLERS)}
    ranked = sorted(counts.items(), key=lambda item: (-item[1], order[item[0]]))
    return [{"word": FILLER_LABELS.get(word, word), "count": n} for word, n in ranked if n]


def analyze(segments: list[dict], names: dict[str, str] | None = None) -> dict:
    """The full conversation analysis of a transcript's segments, speakers merged by name."""
    return {"speakers": speaker_shares(segments, names), "fillers": filler_counts(segments)}


def segments_hash(segments: list[dict]) -> str:
    """A stable hash of the transcript's content, for caching what is derived from it."""
    payload = json.dumps(segments, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def refresh_transcript_derivatives(transcript) -> None:
    """Recompute a transcript's hash, word count and analysis when its segments or its
    speakers' names changed."""
    digest = segments_hash(transcript.segments)
    names = usable_names(transcript.speaker_names)
    analysis = transcript.analysis if isinstance(transcript.analysis, dict) else {}
    if digest == transcript.content_hash and analysis and analysis.get("names", {}) == names:
        return
    transcript.content_hash = digest
    transcript.word_count = sum(count_words(s.get("text", "")) for s in transcript.segments)
    # With the names its speaker rows were grouped by: a rename makes the analysis stale.
    transcript.analysis = {**analyze(transcript.segments, names), "names": names}
