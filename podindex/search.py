"""Search over shows, episodes and transcripts.

PostgreSQL: full-text search on the `search_vector` columns (kept current by triggers, see
podindex/migrations), `websearch_to_tsquery` syntax ("quoted phrases", -exclusions, or), and
an order that blends text relevance with the substance score. SQLite: every word or "phrase"
must appear and no -excluded one (case-insensitive substring), best score first.
"""

import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, FloatField, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from podindex.pagination import Pager

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
SEARCH_CONFIG = "english"
# Relevance = TEXT_WEIGHT · ts_rank_cd (normalised to 0–1) + SCORE_WEIGHT · score / 100.
TEXT_WEIGHT = 0.7
SCORE_WEIGHT = 0.3
SNIPPET_CHARS = 240
# How many matches (best substance score first) are ranked by text relevance.
CANDIDATES = 200
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
WEBSEARCH_WORDS = {"or", "and", "not"}


def clean_query(raw: str | None) -> tuple[str, bool]:
    """The query as searched: control characters dropped, spaces collapsed, length capped.

    Returns (query, truncated).
    """
    text = " ".join(CONTROL_CHARS.sub(" ", raw or "").split())
    if len(text) > MAX_QUERY_LENGTH:
        return text[:MAX_QUERY_LENGTH].rsplit(" ", 1)[0] or text[:MAX_QUERY_LENGTH], True
    return text, False


def parse_query(query: str) -> tuple[list[str], list[str]]:
    """Websearch-style query → (wanted, excluded): "phrases" kept whole, -word excluded."""
    wanted, excluded = [], []
    for match in re.finditer(r'(-?)"([^"]*)"?|(-?)([^\s"]+)', query):
        negated = bool(match.group(1) or match.group(3))
        quoted = match.group(2) is not None
        text = (match.group(2) if quoted else match.group(4)).strip(" .,;:!?()[]{}'").lower()
        if not text or (not quoted and text in WEBSEARCH_WORDS):
            continue
        bucket = excluded if negated else wanted
        if text not in bucket:
            bucket.append(text)
    return wanted[:MAX_TERMS], excluded[:MAX_TERMS]


def query_terms(query: str) -> list[str]:
    """The words and phrases a reader looks for, for highlighting."""
    return parse_query(query)[0]


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def search_queryset(queryset, query: str, fields: tuple[str, ...], score: str):
    """Filter and order `queryset` by `query`, annotated with `relevance`.

    `fields` are the text fields the SQLite fallback matches; `score` is the substance
    score field blended into the order.
    """
    substance = Coalesce(Cast(F(score), FloatField()), Value(0.0)) / Value(100.0)
    if uses_full_text():
        tsquery = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        # normalization=32 maps the rank into 0–1 (rank / (rank + 1)), comparable to score/100.
        rank = SearchRank(F("search_vector"), tsquery, normalization=32, cover_density=True)
        # Ranking reads every matching vector, which is slow when a common word matches tens
        # of thousands of rows: only the best-scored CANDIDATES matches are ranked by text.
        candidates = (
            queryset.filter(search_vector=tsquery)
            .order_by(F(score).desc(nulls_last=True), "-pk")
            .values("pk")[:CANDIDATES]
        )
        return (
            queryset.filter(pk__in=Subquery(candidates))
            .annotate(relevance=Value(TEXT_WEIGHT) * rank + Value(SCORE_WEIGHT) * substance)
            .order_by("-relevance", "-pk")
        )
    wanted, excluded = parse_query(query)
    if not wanted:
        return queryset.none()
    for term in wanted:
        queryset = queryset.filter(_any_field_contains(fields, term))
    for term in excluded:
        queryset = queryset.exclude(_any_field_contains(fields, term))
    return queryset.annotate(relevance=substance).order_by("-relevance", "-pk")


def _any_field_contains(fields, term):
    matches = Q()
    for name in fields:
        matches |= Q(**{f"{name}__icontains": term})
    return matches


@dataclass
class Moment:
    """Where in a transcript the words were said."""

    episode: object
    start: float | None
    snippet: SafeString

    @property
    def url(self):
        anchor = f"#t={int(self.start)}" if self.start is not None else ""
        return self.episode.get_absolute_url() + anchor


@dataclass
class Results(Pager):
    """Search results: pages of shows, episodes and transcript moments, with no total."""

    query: str
    truncated: bool = False
    shows: list = field(default_factory=list)
    episodes: list = field(default_factory=list)
    moments: list = field(default_factory=list)
    has_next: bool = False
    number: int = 1

    @property
    def empty(self):
        return not (self.shows or self.episodes or self.moments)


def find_moment(segments: list, terms: list[str]) -> tuple[float | None, str]:
    """The segment that mentions most of `terms` (the first such): its start and its text."""
    best, best_hits = None, 0
    for segment in segments or []:
        if not isinstance(segment, dict):
            continue
        text = str(segment.get("text") or "").lower()
        hits = sum(1 for term in terms if term in text)
        if hits > best_hits:
            best, best_hits = segment, hits
            if hits == len(terms):
                break
    if best is None:
        return None, ""
    start = best.get("start")
    try:
        start = float(start) if start is not None else None
    except (TypeError, ValueError):
        start = None
    return start, str(best.get("text") or "")


def highlight(text: str, terms: list[str]) -> SafeString:
    """`text` escaped, cut to a window around the first match, with matches in <mark>."""
    if not terms:
        return escape(text[:SNIPPET_CHARS])
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    first = pattern.search(text)
    if first and len(text) > SNIPPET_CHARS:
        start = max(0, first.start() - SNIPPET_CHARS // 3)
        text = ("…" if start else "") + text[start : start + SNIPPET_CHARS] + "…"
    elif len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS] + "…"
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece is escaped above


def search(raw_query: str | None, page: int = 1, per_page: int = 10) -> Results:
    """Shows (first page only), episodes and transcript moments matching the query."""
    from episodes.models import Episode, Transcript
    from shows.models import Show

    query, truncated = clean_query(raw_query)
    results = Results(query=query, truncated=truncated, number=page)
    if not query:
        return results
    offset = (page - 1) * per_page
    if page == 1:
        results.shows = list(
            Show.objects.active()
            .search(query)
            .only("title", "slug", "author", "artwork_url", "score", "rank")[:5]
        )
    episodes = list(
        Episode.objects.public()
        .search(query)
        .select_related("show")
        .only(
            "title", "slug", "published_at", "duration_seconds", "score", "show__title",
            "show__slug",
        )[offset : offset + per_page + 1]
    )  # fmt: skip
    transcripts = list(
        search_queryset(
            Transcript.objects.filter(episode__hidden=False, episode__show__active=True),
            query,
            fields=("segments",),
            score="episode__score",
        )
        .select_related("episode__show")
        .only(
            "segments", "episode__title", "episode__slug", "episode__published_at",
            "episode__score", "episode__show__title", "episode__show__slug",
        )[offset : offset + per_page + 1]
    )  # fmt: skip
    results.has_next = len(episodes) > per_page or len(transcripts) > per_page
    results.episodes = episodes[:per_page]
    terms = query_terms(query)
    for transcript in transcripts[:per_page]:
        start, text = find_moment(transcript.segments, terms)
        results.moments.append(Moment(transcript.episode, start, highlight(text, terms)))
    return results
