"""Quote verification: is a quoted passage really in the transcript, and who said it when?

Matching ignores case, punctuation and spacing, and tolerates small speech-recognition
differences (a word or two misheard) through rapidfuzz's partial-ratio alignment. A match is
stored as the transcript's own words, never as the text the model claimed, so every quote shown
is verbatim.
"""

import re
from bisect import bisect_right
from dataclasses import dataclass

from rapidfuzz import fuzz

# Words as the conversation analysis counts them; apostrophes are dropped when normalising so
# "it's" and "its" (a common ASR difference) compare equal.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

MIN_QUOTE_WORDS = 4
MAX_QUOTE_WORDS = 80
# rapidfuzz partial_ratio (0–100) a near-verbatim quote must reach; a paraphrase falls below.
FUZZY_CUTOFF = 90.0


def normalise_word(word: str) -> str:
    return word.lower().replace("'", "").replace("’", "")


def quote_words(text: str) -> list[str]:
    """The normalised words of a piece of text."""
    return [normalise_word(m.group(0)) for m in _WORD.finditer(text)]


@dataclass(frozen=True)
class QuoteMatch:
    """Where a quote sits in the transcript, in the transcript's own words."""

    text: str
    speaker: str
    start: float | None
    segment: int
    exact: bool

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "speaker": self.speaker,
            "start": self.start,
            "verified": True,
        }


class TranscriptIndex:
    """A transcript's words laid out once, so many quotes can be checked against it."""

    def __init__(self, segments: list[dict]):
        self.segments = segments
        # For each word: (segment index, start char, end char) in that segment's text.
        self._spans: list[tuple[int, int, int]] = []
        words: list[str] = []
        for index, segment in enumerate(segments):
            for match in _WORD.finditer(segment.get("text") or ""):
                words.append(normalise_word(match.group(0)))
                self._spans.append((index, match.start(), match.end()))
        self.word_count = len(words)
        self.text = " ".join(words)
        # Character offset of each word in self.text, for mapping alignments back to words.
        self._offsets: list[int] = []
        offset = 0
        for word in words:
            self._offsets.append(offset)
            offset += len(word) + 1

    def find(self, quote: str) -> QuoteMatch | None:
        """The transcript passage a quote stands for, or None if it is not there."""
        wanted = quote_words(quote or "")
        if not (MIN_QUOTE_WORDS <= len(wanted) <= MAX_QUOTE_WORDS):
            return None
        needle = " ".join(wanted)
        if len(needle) > len(self.text):
            return None
        position = f" {self.text} ".find(f" {needle} ")
        if position >= 0:
            first = self._word_at(position)
            return self._match(first, first + len(wanted) - 1, exact=True)
        alignment = fuzz.partial_ratio_alignment(needle, self.text, score_cutoff=FUZZY_CUTOFF)
        if alignment is None:
            return None
        first = self._word_at(alignment.dest_start)
        last = self._word_at(max(alignment.dest_end - 1, alignment.dest_start))
        # The alignment may cut a word at either edge: the ratio must also hold for the
        # whole words we would show.
        shown = self.text[self._offsets[first] : self._offsets[last] + self._word_len(last)]
        if fuzz.ratio(needle, shown) < FUZZY_CUTOFF:
            return None
        return self._match(first, last, exact=False)

    def _word_len(self, index: int) -> int:
        end = self._offsets[index + 1] - 1 if index + 1 < len(self._offsets) else len(self.text)
        return end - self._offsets[index]

    def _word_at(self, char: int) -> int:
        return max(bisect_right(self._offsets, char) - 1, 0)

    def _match(self, first: int, last: int, *, exact: bool) -> QuoteMatch | None:
        first_segment, start_char, _ = self._spans[first]
        last_segment, _, end_char = self._spans[last]
        speaker = self.segments[first_segment].get("speaker") or ""
        segments = self.segments[first_segment : last_segment + 1]
        # A passage that runs across two speakers is not anyone's quote.
        if any((s.get("speaker") or "") != speaker for s in segments):
            return None
        # Keep the sentence's closing punctuation, as a quote would.
        closing = re.match(r"[.?!…]+", self.segments[last_segment]["text"][end_char:])
        if closing:
            end_char += closing.end()
        if first_segment == last_segment:
            text = segments[0]["text"][start_char:end_char]
        else:
            parts = [segments[0]["text"][start_char:]]
            parts += [s["text"] for s in segments[1:-1]]
            parts.append(segments[-1]["text"][:end_char])
            text = " ".join(p.strip() for p in parts)
        return QuoteMatch(
            text=text.strip(),
            speaker=speaker,
            start=self._start_of(first_segment),
            segment=first_segment,
            exact=exact,
        )

    def _start_of(self, segment_index: int) -> float | None:
        start = self.segments[segment_index].get("start")
        return float(start) if start is not None else None


def verify_quotes(index: TranscriptIndex, quotes: list[str], limit: int = 2):
    """Keep the quotes found in the transcript (as its own words); count the ones dropped."""
    verified: list[dict] = []
    seen: set[tuple[int, str]] = set()
    dropped = 0
    for quote in quotes:
        match = index.find(quote)
        if match is None:
            dropped += 1
            continue
        key = (match.segment, match.text)
        if key in seen:
            continue
        seen.add(key)
        if len(verified) < limit:
            verified.append(match.as_dict())
    return verified, dropped


def current_quotes(segments: list[dict], quotes: list[dict]) -> list[dict]:
    """Stored quotes as the transcript stands now (see split_quotes); the stale ones left out."""
    return split_quotes(segments, quotes)[0]


def split_quotes(segments: list[dict], quotes: list[dict]) -> tuple[list, list]:
    """Stored quotes found again in the transcript, each with its words, speaker and time as
    they are today, and those it no longer holds (an editor corrected the words): no page
    shows words nobody said, nor a speaker an editor has renamed or merged away.

    A stored quote is the transcript's own words, so it is looked for verbatim in one segment
    first; the word index (slow to build on a long transcript) is built only for the rest.
    """
    found, stale = [], []
    index = None
    for quote in quotes:
        text = quote.get("text") or ""
        if not MIN_QUOTE_WORDS <= len(quote_words(text)) <= MAX_QUOTE_WORDS:
            stale.append(quote)
            continue
        number = next(
            (n for n, segment in enumerate(segments) if text in (segment.get("text") or "")),
            None,
        )
        if number is not None:
            segment = segments[number]
            start = segment.get("start")
            found.append(
                {
                    **quote,
                    "speaker": segment.get("speaker") or "",
                    # A transcript without times keeps the time the quote was stored with.
                    "start": float(start) if start is not None else quote.get("start"),
                    "verified": True,
                    "segment": number,
                }
            )
            continue
        if index is None:
            index = TranscriptIndex(segments)
        match = index.find(text)
        if match is None:
            stale.append(quote)
        else:
            start = match.start if match.start is not None else quote.get("start")
            found.append({**quote, **match.as_dict(), "start": start, "segment": match.segment})
    return found, stale
