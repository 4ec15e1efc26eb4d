"""Full-text search for any model with a `search_vector` column.

PostgreSQL: full-text search on the `search_vector` columns (kept current by triggers in the
shows and episodes migrations), `websearch_to_tsquery` syntax ("quoted phrases", -exclusions,
or), and an order that blends text relevance with the substance score. SQLite: every word or
"phrase" must appear and no -excluded one (case-insensitive substring), best score first.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, FloatField, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
SEARCH_CONFIG = "english"
# Relevance = TEXT_WEIGHT · ts_rank_cd (normalised to 0–1) + SCORE_WEIGHT · score / 100.
TEXT_WEIGHT = 0.7
SCORE_WEIGHT = 0.3
# How many matches (best substance score first) are ranked by text relevance.
CANDIDATES = 200
QUERY_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
WEBSEARCH_WORDS = {"or", "and", "not"}


def clean_query(raw: str | None) -> tuple[str, bool]:
    """The query as searched: control characters dropped, spaces collapsed, length capped.

    Returns (query, truncated).
    """
    text = " ".join(QUERY_CONTROL_CHARS.sub(" ", raw or "").split())
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


class Searchable:
    """QuerySet mixin: `search(query)` over the model's `search_vector` (or `search_fields`)."""

    search_fields: tuple[str, ...] = ()
    search_score = "score"

    def search(self, query):
        """Rows matching a websearch-style query, most relevant (and best scored) first."""
        return search_queryset(self, query, fields=self.search_fields, score=self.search_score)


def _any_field_contains(fields, term):
    matches = Q()
    for name in fields:
        matches |= Q(**{f"{name}__icontains": term})
    return matches
