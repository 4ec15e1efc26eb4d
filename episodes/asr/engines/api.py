"""Transcription APIs through litellm: OpenAI, Groq, Deepgram, or any self-hosted
OpenAI-compatible /v1/audio/transcriptions (PODINDEX_ASR_API_BASE).

Providers cap an upload's size (25 MB at OpenAI) and some its length, so the audio goes up in
MP3 pieces under both caps, cut in pauses where there is one, each reaching OVERLAP_SECONDS into
its neighbours so no word is lost to a cut. Words come back timed from their piece's start; they
are moved to absolute times, and each piece keeps only the words whose middle falls in its own
stretch, so the overlap yields every word once. A provider that answers 413 gets the piece in
halves. Our retry policy (429, 5xx, timeouts; Retry-After honoured) is the only one: the SDK's
and litellm's own retries are off. litellm is imported on first use, with its bundled price map
and offline mode, as scoring does: importing it otherwise fetches prices over the network.
"""

import itertools
import re
from collections import deque
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from core.llm import GaveUp, call_with_retries, is_timeout, load_litellm, retry_wait
from episodes.asr import audio
from episodes.asr.engines.base import Progress, Segment, Transcription, Word
from episodes.asr.errors import NoSpeech, ProviderError, ProviderTimeout, TooLarge

ENGINE = "api"
# 32 kb/s mono MP3: 4 kB a second, 25 MB is 100 minutes; transcription does not suffer.
BIT_RATE = 32_000
# Room for the MP3 container and bit-rate wobble under the byte limit.
SIZE_MARGIN = 0.9
OVERLAP_SECONDS = 1.0
# Less speech than this (by Silero VAD) is not worth an upload.
MIN_SPEECH_SECONDS = 1.0
# A piece refused as too large is halved until it is shorter than this; then we give up.
MIN_PIECE_SECONDS = 5.0
# OpenAI's verbose_json names the language ("english"); our transcripts store codes.
LANGUAGE_CODES = {
    "english": "en",
    "spanish": "es",
    "french": "fr",
    "german": "de",
    "portuguese": "pt",
    "italian": "it",
    "dutch": "nl",
    "polish": "pl",
    "swedish": "sv",
    "japanese": "ja",
    "chinese": "zh",
    "korean": "ko",
    "hindi": "hi",
}


@dataclass
class Piece:
    """A stretch of the audio [start, end) whose words this piece's answer supplies."""

    start: float
    end: float


class PieceTooLarge(Exception):
    """The provider refused a piece's size (413), or it encoded above the byte limit."""


class ApiEngine:
    """Any litellm transcription model; pieces under the provider's limits, seams stitched."""

    name = ENGINE
    # Speech spans decide where the audio is cut and whether there is any to upload.
    reads_speech = True

    def __init__(
        self,
        model: str,
        *,
        api_base: str = "",
        api_key: str = "",
        max_chunk_bytes: int = 24_000_000,
        max_chunk_seconds: float = 1200.0,
        timeout: float = 300.0,
        max_retries: int = 3,
        backoff: float = 2.0,
        max_wait: float = 60.0,
    ):
        self.model = model
        self.api_base = api_base or None
        self.api_key = api_key or None
        self.max_chunk_bytes = max_chunk_bytes
        self.max_chunk_seconds = max_chunk_seconds
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.max_wait = max_wait

    @classmethod
    def from_settings(cls) -> "ApiEngine":
        """The engine PODINDEX_ASR_API_* settings describe."""
        return cls(
            settings.PODINDEX_ASR_API_MODEL,
            api_base=settings.PODINDEX_ASR_API_BASE,
            api_key=settings.PODINDEX_ASR_API_KEY,
            max_chunk_bytes=settings.PODINDEX_ASR_API_MAX_CHUNK_BYTES,
            max_chunk_seconds=settings.PODINDEX_ASR_API_MAX_CHUNK_SECONDS,
            timeout=settings.PODINDEX_ASR_API_TIMEOUT,
            max_retries=settings.PODINDEX_ASR_API_MAX_RETRIES,
            backoff=settings.PODINDEX_ASR_API_RETRY_BACKOFF,
            max_wait=settings.PODINDEX_ASR_API_MAX_RETRY_WAIT,
        )

    def piece_seconds(self) -> float:
        """The longest stretch one piece may cover, overlaps included, under both limits."""
        by_size = self.max_chunk_bytes * 8 / BIT_RATE * SIZE_MARGIN
        return max(min(by_size, self.max_chunk_seconds) - 2 * OVERLAP_SECONDS, MIN_PIECE_SECONDS)

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        progress: Progress | None = None,
        speech: np.ndarray | None = None,
    ) -> Transcription:
        """Transcribe in pieces; raise NoSpeech before any upload when there is no speech."""
        spans = audio.speech_spans(samples, probabilities=speech)
        if sum(end - start for start, end in spans) < MIN_SPEECH_SECONDS:
            raise NoSpeech("No speech was found: the audio holds only music, noise or silence.")
        total = audio.duration(samples)
        litellm = load_litellm()
        queue = deque(plan_pieces(spans, total, self.piece_seconds()))
        segments: list[Segment] = []
        languages: list[str] = []
        cost = 0.0
        while queue:
            piece = queue.popleft()
            try:
                response, offset, length = self.request(litellm, samples, piece, total)
            except PieceTooLarge:
                queue.extendleft(reversed(halve(piece, spans)))
                continue
            cost += response_cost(response)
            if language := language_code(getattr(response, "language", "") or ""):
                languages.append(language)
            answered = response_segments(response, offset, length)
            segments.extend(keep_own_words(answered, piece, total))
            if progress:
                progress(min(piece.end, total), total)
        language = max(set(languages), key=languages.count) if languages else ""
        return Transcription(language, drop_seam_repeats(segments), self.model, cost)

    # --- one piece, retried ------------------------------------------------------------------

    def request(self, litellm, samples: np.ndarray, piece: Piece, total: float):
        """(the provider's answer, the time its timestamps count from, the seconds sent)."""
        first = max(piece.start - OVERLAP_SECONDS, 0.0)
        last = min(piece.end + OVERLAP_SECONDS, total)
        upload = audio.encode_mp3(
            samples[int(first * audio.SAMPLE_RATE) : int(last * audio.SAMPLE_RATE)],
            bit_rate=BIT_RATE,
        )
        if len(upload) > self.max_chunk_bytes:
            raise PieceTooLarge

        def transcribe():
            try:
                return litellm.transcription(
                    model=self.model,
                    file=("audio.mp3", upload, "audio/mpeg"),
                    api_base=self.api_base,
                    api_key=self.api_key,
                    timeout=self.timeout,
                    response_format="verbose_json",
                    timestamp_granularities=["word", "segment"],
                    drop_params=True,
                    # Only our policy retries: the SDK's and litellm's would multiply it.
                    max_retries=0,
                    num_retries=0,
                )
            except Exception as exc:
                if getattr(exc, "status_code", None) == 413:
                    raise PieceTooLarge from exc
                raise

        try:
            response = call_with_retries(
                transcribe,
                max_retries=self.max_retries,
                wait_before_retry=self.wait_before_retry,
                what="Transcription call",
                raise_as_is=(PieceTooLarge,),
            )
        except GaveUp as gave_up:
            error = ProviderTimeout if is_timeout(gave_up.error) else ProviderError
            raise error(str(gave_up)) from gave_up.error
        return response, first, last - first

    def wait_before_retry(self, attempt: int, exc: Exception) -> float:
        """Retry-After when the server says, else exponential backoff with jitter; capped."""
        return retry_wait(attempt, exc, self.backoff, self.max_wait)


# --- cutting the audio into pieces -------------------------------------------------------------


def plan_pieces(spans: list[tuple[float, float]], total: float, length: float) -> list[Piece]:
    """Consecutive pieces of at most `length` s, each cut in the latest pause of its 2nd half."""
    pieces, start = [], 0.0
    while total - start > length:
        cut = pause_between(spans, start + length / 2, start + length) or start + length
        pieces.append(Piece(start, cut))
        start = cut
    pieces.append(Piece(start, total))
    return pieces


def pause_between(spans: list[tuple[float, float]], earliest: float, latest: float) -> float:
    """The middle of the latest pause between speech spans that lies in [earliest, latest]."""
    middles = [
        (end + next_start) / 2
        for (_, end), (next_start, _) in itertools.pairwise(spans)
        if earliest <= (end + next_start) / 2 <= latest
    ]
    return max(middles, default=0.0)


def halve(piece: Piece, spans: list[tuple[float, float]]) -> list[Piece]:
    """Two pieces for one the provider found too large, cut in a pause near the middle."""
    length = piece.end - piece.start
    if length < 2 * MIN_PIECE_SECONDS:
        raise TooLarge(
            f"The provider refuses even a {length:.0f} s piece as too large: lower "
            "PODINDEX_ASR_API_MAX_CHUNK_BYTES or check the provider's limits."
        )
    middle = piece.start + length / 2
    cut = pause_between(spans, middle - length / 4, middle + length / 4) or middle
    return [Piece(piece.start, cut), Piece(cut, piece.end)]


# --- reading the answer ----------------------------------------------------------------------


def response_segments(response, offset: float, length: float) -> list[Segment]:
    """The answer's segments with their words, in absolute time.

    An answer with text alone (a provider without timestamps) becomes one segment spanning
    the piece.
    """
    words = [
        Word(offset + float(item["start"]), offset + float(item["end"]), str(item["word"]))
        for item in map(as_dict, getattr(response, "words", None) or [])
    ]
    raw = [as_dict(item) for item in getattr(response, "segments", None) or []]
    text = (getattr(response, "text", "") or "").strip()
    if not raw and text:
        first, last = (words[0].start, words[-1].end) if words else (offset, offset + length)
        raw = [{"start": first - offset, "end": last - offset, "text": text}]
    segments = []
    for item in raw:
        start, end = offset + float(item["start"]), offset + float(item["end"])
        text = str(item.get("text", "")).strip()
        inside = [w for w in words if start - 0.01 <= (w.start + w.end) / 2 <= end + 0.01]
        segments.append(Segment(start, end, text, punctuate(inside, text, start, end)))
    return segments


def punctuate(words: list[Word], text: str, start: float, end: float) -> list[Word]:
    """The segment's words spelled as in its text (punctuation kept), or made from the text.

    OpenAI's word timestamps come without punctuation, which speaker changes are snapped to.
    """
    tokens = text.split()
    if not words:
        # No word timestamps: the segment's words spread evenly over its time.
        step = (end - start) / max(len(tokens), 1)
        return [
            Word(start + n * step, start + (n + 1) * step, f" {t}") for n, t in enumerate(tokens)
        ]
    if len(tokens) == len(words) and all(
        bare(token) == bare(word.text) for token, word in zip(tokens, words, strict=True)
    ):
        return [Word(w.start, w.end, f" {token}") for w, token in zip(words, tokens, strict=True)]
    return [Word(w.start, w.end, f" {w.text.strip()}") for w in words]


def bare(text: str) -> str:
    return re.sub(r"[^\w']", "", text.lower())


def keep_own_words(segments: list[Segment], piece: Piece, total: float) -> list[Segment]:
    """The segments trimmed to the words whose middle lies in the piece's own stretch."""
    end = piece.end if piece.end < total else float("inf")
    kept = []
    for segment in segments:
        words = [w for w in segment.words if piece.start <= (w.start + w.end) / 2 < end]
        if not words:
            continue
        text = segment.text if len(words) == len(segment.words) else joined(words)
        kept.append(Segment(words[0].start, words[-1].end, text, words))
    return kept


def drop_seam_repeats(segments: list[Segment]) -> list[Segment]:
    """Drop a segment's first word when it repeats the word before at the same time.

    Only a seam yields that: two pieces each kept a word that straddles their boundary.
    """
    result: list[Segment] = []
    previous: Word | None = None
    for segment in segments:
        words = list(segment.words)
        if previous is not None and words:
            first = words[0]
            if bare(first.text) == bare(previous.text) and first.start < previous.end:
                words = words[1:]
        if words:
            text = segment.text if len(words) == len(segment.words) else joined(words)
            result.append(Segment(words[0].start, words[-1].end, text, words))
            previous = words[-1]
    return result


def joined(words: list[Word]) -> str:
    return "".join(word.text for word in words).strip()


def as_dict(item) -> dict:
    return item if isinstance(item, dict) else item.model_dump()


def language_code(name: str) -> str:
    """OpenAI's language names as codes ("english" → "en"); codes pass through."""
    name = name.strip().lower()
    return LANGUAGE_CODES.get(name, name)


def response_cost(response) -> float:
    """What litellm priced the call at; 0 when it does not know the model's price."""
    hidden = getattr(response, "_hidden_params", None) or {}
    return float(hidden.get("response_cost") or 0.0)
