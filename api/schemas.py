"""The API's response types: the OpenAPI schema is generated from these same classes."""

from datetime import datetime

from ninja import Schema


class Problem(Schema):
    """An error, as an RFC 9457 problem document (served as application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str | None = None


class CategoryRef(Schema):
    slug: str
    name: str


class Placement(Schema):
    """A show's place in one category."""

    category: CategoryRef
    rank: int | None


class ShowSummary(Schema):
    slug: str
    title: str
    author: str
    artwork_url: str
    language: str
    score: float | None
    rank: int | None  # overall, or within the category the list is filtered by
    scored_episode_count: int
    episode_count: int
    latest_episode_at: datetime | None
    url: str
    api_url: str


class ShowPage(Schema):
    items: list[ShowSummary]
    next_cursor: str | None
    next: str | None


class DimensionAverage(Schema):
    name: str
    average: float
    max_score: int
    percent: int


class TrendPoint(Schema):
    """A month's average score (month as YYYY-MM), oldest first."""

    month: str
    score: float
    episodes: int


class ShowDetail(ShowSummary):
    description: str
    website_url: str
    feed_url: str
    placements: list[Placement]
    dimension_averages: list[DimensionAverage]
    score_trend: list[TrendPoint]
    episodes_url: str


class EpisodeSummary(Schema):
    slug: str
    title: str
    published_at: datetime | None
    duration_seconds: int | None
    score: int | None
    url: str
    api_url: str


class EpisodePage(Schema):
    items: list[EpisodeSummary]
    next_cursor: str | None
    next: str | None


class Quote(Schema):
    text: str
    speaker: str
    speaker_name: str
    start: float | None
    verified: bool


class Override(Schema):
    """An editor's correction of a score, with the reason shown beside it."""

    score: int | None
    reason: str
    created_at: datetime


class Dimension(Schema):
    key: str
    name: str
    max_score: int
    score: int
    model_score: int
    rationale: str
    quotes: list[Quote]
    override: Override | None


class ScorecardOut(Schema):
    total: int
    band: str
    model_total: int
    engine: str
    model: str
    rubric_version: int
    summary: str
    scored_at: datetime
    total_override: Override | None
    dimensions: list[Dimension]


class ShowRef(Schema):
    slug: str
    title: str
    api_url: str


class EpisodeDetail(EpisodeSummary):
    show: ShowRef
    audio_url: str
    score_held: bool  # a newer score awaits an editor's review; its figures are not public
    scorecard: ScorecardOut | None
