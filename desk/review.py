"""What the review screen shows: the scorecard as the public sees it, each score's evidence,
log and form, and the transcript with the quoted passages marked."""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Prefetch

from desk.transcript_edits import speaker_labels, transcript_version
from episodes.models import Episode
from episodes.transcripts.analysis import count_words
from scoring.effective import apply_overrides, band
from scoring.models import DimensionScore, EditorialOverride, Scorecard, ScoringRun
from scoring.quotes import split_quotes

TOTAL_KEY = "total"
RECENT_RUNS = 5


@dataclass
class ReviewTarget:
    """One correctable score (a dimension, or the total) with its log and current value."""

    key: str
    name: str
    max_score: int
    model_score: int | None
    score: int | None
    dimension: object | None = None
    rationale: str = ""
    quotes: list[dict] = field(default_factory=list)
    # Quotes the transcript no longer holds (corrected since): kept off the public page.
    stale_quotes: list[dict] = field(default_factory=list)
    needs_review: bool = False
    clamped: bool = False
    current: EditorialOverride | None = None
    history: list[EditorialOverride] = field(default_factory=list)
    form: object | None = None

    @property
    def version(self) -> int:
        """The optimistic-lock version: the id of the newest log row (0: none yet)."""
        return self.history[0].pk if self.history else 0


def review_episodes():
    """Episodes with what the review screen reads prefetched."""
    return Episode.objects.select_related("show", "transcript").prefetch_related(
        Prefetch(
            "scorecards",
            # The scorecard readers see.
            queryset=Scorecard.objects.current()
            .select_related("rubric")
            .prefetch_related(
                Prefetch("dimensions", DimensionScore.objects.select_related("dimension"))
            )
            .order_by("-created_at"),
            to_attr="current_scorecards",
        ),
        Prefetch(
            "overrides",
            queryset=EditorialOverride.objects.select_related("dimension", "editor").order_by(
                "-pk"
            ),
            to_attr="override_log",
        ),
    )


def review_data(episode) -> dict:
    """The review screen's data for an episode fetched with review_episodes()."""
    scorecard = episode.current_scorecards[0] if episode.current_scorecards else None
    log = episode.override_log
    current = [o for o in log if o.is_active]
    effective = apply_overrides(scorecard, current) if scorecard else None
    transcript = getattr(episode, "transcript", None)
    speaker = transcript.display_name if transcript else str
    segments = transcript.segments if transcript else []
    marks: dict[int, list[tuple[str, str]]] = {}

    targets = []
    if scorecard is not None:
        rows = {row.dimension_id: row for row in scorecard.dimensions.all()}
        for row, shown in zip(scorecard.dimensions.all(), effective.dimensions, strict=True):
            found, stale = split_quotes(segments, shown.quotes)
            quotes = []
            for number, quote in enumerate(found, start=1):
                anchor = f"quote-{row.dimension.key}-{number}"
                marks.setdefault(quote["segment"], []).append((quote["text"], anchor))
                quotes.append(
                    {**quote, "anchor": anchor, "speaker_name": speaker(quote["speaker"])}
                )
            targets.append(
                ReviewTarget(
                    key=row.dimension.key,
                    name=row.dimension.name,
                    max_score=row.dimension.max_score,
                    model_score=row.score,
                    score=shown.score,
                    dimension=row.dimension,
                    rationale=row.rationale,
                    quotes=quotes,
                    stale_quotes=stale,
                    needs_review=row.needs_review,
                    clamped=row.clamped,
                    current=shown.override,
                    history=[o for o in log if o.dimension_id == row.dimension_id],
                )
            )
        targets.append(
            ReviewTarget(
                key=TOTAL_KEY,
                name="Total",
                max_score=100,
                model_score=scorecard.total,
                score=effective.total,
                current=effective.total_override,
                history=[o for o in log if o.dimension_id is None],
            )
        )
        # Log rows of dimensions the current rubric no longer scores stay readable.
        orphans = [o for o in log if o.dimension_id and o.dimension_id not in rows]
    else:
        orphans = list(log)
    return {
        "scorecard": scorecard,
        "effective": effective,
        "band": band(effective.total) if effective else "",
        "dimension_sum": sum(d.score for d in effective.dimensions) if effective else None,
        "targets": targets,
        "other_log": orphans,
        "transcript": transcript,
        "transcript_version": transcript_version(transcript) if transcript else "",
        "speakers": speaker_rows(transcript) if transcript else [],
        "segments": [
            {
                "number": number,
                "start": segment.get("start"),
                "speaker": speaker(segment.get("speaker") or ""),
                "text": segment.get("text") or "",
                "parts": _marked(segment.get("text") or "", marks.get(number - 1, [])),
                "quoted": number - 1 in marks,
            }
            for number, segment in enumerate(segments, start=1)
        ],
        "runs": list(
            ScoringRun.objects.filter(episode=episode).order_by("-started_at")[:RECENT_RUNS]
        ),
        "held": held_data(episode),
    }


def speaker_rows(transcript) -> list[dict]:
    """One row per speaker label: how it is shown, and how many words it has."""
    words = Counter()
    for segment in transcript.segments:
        words[segment.get("speaker") or ""] += count_words(segment.get("text") or "")
    names = transcript.names
    return [
        {
            "number": number,
            "label": label,
            "name": transcript.display_name(label),
            "named": label in names,
            "words": words[label],
        }
        for number, label in enumerate(speaker_labels(transcript), start=1)
    ]


def held_data(episode) -> dict | None:
    """The score held for the editor's review (scoring.outliers), as the model gave it."""
    held = (
        Scorecard.objects.held()
        .filter(episode=episode)
        .prefetch_related(
            Prefetch("dimensions", DimensionScore.objects.select_related("dimension"))
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if held is None:
        return None
    return {
        "scorecard": held,
        "band": band(held.total),
        "dimensions": [
            {
                "name": row.dimension.name,
                "score": row.score,
                "max_score": row.dimension.max_score,
                "rationale": row.rationale,
                "verified_quotes": sum(1 for q in row.quotes if q.get("verified")),
            }
            for row in held.dimensions.all()
        ],
    }


def _marked(text: str, quotes: list[tuple[str, str]]) -> list[dict]:
    """A segment's text cut into plain and quoted parts ({text, anchor}); a quote that cannot
    be found verbatim (it runs across segments) marks the whole segment."""
    spans = []
    lowered = text.lower()
    for quote, anchor in quotes:
        start = lowered.find(quote.lower()) if quote else -1
        if start < 0:
            return [{"text": text, "anchor": anchor}]
        spans.append((start, start + len(quote), anchor))
    parts, position = [], 0
    for start, end, anchor in sorted(spans):
        if start < position:
            continue  # overlaps the previous quote: that mark covers it
        if start > position:
            parts.append({"text": text[position:start], "anchor": ""})
        parts.append({"text": text[start:end], "anchor": anchor})
        position = end
    if position < len(text):
        parts.append({"text": text[position:], "anchor": ""})
    return parts
