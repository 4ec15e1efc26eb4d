"""The API's response types: the OpenAPI schema is generated from these same classes."""

from datetime import datetime
from typing import Any

import ninja
from ninja.schema import DjangoGetter
from pydantic import ModelWrapValidatorHandler, ValidationInfo, model_validator


class Schema(ninja.Schema):
    """ninja's Schema, but a dict (what the views return) is validated by pydantic directly.

    ninja wraps every object validated, dicts too, in a DjangoGetter, which reads each field
    through Python (__getattr__, then a check for managers, querysets, callables and files):
    some 300 such reads for a page of search results were a quarter of the API search's CPU.
    The views' dicts hold plain values only, which pydantic reads as they are. This method
    replaces ninja's root validator by taking its name; other objects get ninja's DjangoGetter,
    without ninja's first pass for extra="forbid" or validate_assignment, which no response
    schema here sets.
    """

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler, info: ValidationInfo
    ) -> Any:
        if type(values) is dict:
            return handler(values)
        return handler(DjangoGetter(values, cls, info.context))


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
    analysis_url: str
    transcript_url: str


class EpisodeRef(Schema):
    slug: str
    title: str
    api_url: str


class SpeakerShare(Schema):
    """A speaker's share of the words spoken (labels the same person spoke under, merged)."""

    label: str
    labels: list[str] | None = None
    name: str
    words: int
    share: int  # whole percent
    person_url: str | None  # the page of the person whose voice it is, where known


class FillerCount(Schema):
    word: str
    count: int


class Analysis(Schema):
    """Conversation analysis, computed from the transcript."""

    episode: EpisodeRef
    word_count: int
    speakers: list[SpeakerShare]
    fillers: list[FillerCount]


class Segment(Schema):
    index: int  # from 0, in the order spoken
    start: float | None  # seconds from the start of the audio
    end: float | None
    speaker: str
    speaker_name: str
    text: str


class TranscriptPage(Schema):
    episode: EpisodeRef
    source: str  # publisher, asr (our speech-to-text) or editor
    language: str
    word_count: int
    items: list[Segment]
    next_cursor: str | None
    next: str | None


class CategoryOut(Schema):
    slug: str
    name: str
    ranked_count: int
    url: str
    rankings_url: str


class CategoryList(Schema):
    items: list[CategoryOut]


class RankingPage(Schema):
    category: CategoryRef | None
    ranked_count: int
    min_episodes: int  # scored episodes a show needs to be ranked
    items: list[ShowSummary]
    next_cursor: str | None
    next: str | None


class TopicOut(Schema):
    slug: str
    name: str
    url: str
    episodes_url: str


class TopicList(Schema):
    items: list[TopicOut]


class ListedEpisode(EpisodeSummary):
    """An episode in a list of many shows' episodes."""

    show: ShowRef


class ListedEpisodePage(Schema):
    items: list[ListedEpisode]
    next_cursor: str | None
    next: str | None


class ScoredEpisode(ListedEpisode):
    scored_at: datetime


class ScoredEpisodePage(Schema):
    items: list[ScoredEpisode]
    next_cursor: str | None
    next: str | None


class Moment(Schema):
    """Where in an episode's transcript the words were said."""

    episode: ListedEpisode
    start: float | None
    snippet_html: str  # the transcript's words, escaped, the matches in <mark>


class FoundShow(Schema):
    slug: str
    title: str
    author: str
    artwork_url: str
    score: float | None
    rank: int | None
    url: str
    api_url: str


class SearchPage(Schema):
    query: str  # as searched: cleaned, and cut when too long
    truncated: bool
    capped: bool  # the last page of a capped search: more rows match than are ranked
    cap: int
    shows: list[FoundShow]  # on the first page only
    items: list[ListedEpisode]
    moments: list[Moment]
    next_cursor: str | None
    next: str | None


class PersonSummary(Schema):
    slug: str
    name: str
    description: str
    image_url: str  # https only, else ""
    rank: int | None  # overall, or within the category the list is filtered by
    score: float | None
    scored_count: int
    guest_count: int
    host_count: int
    url: str
    api_url: str


class PersonPage(Schema):
    min_appearances: int  # scored episodes a person needs to be ranked
    items: list[PersonSummary]
    next_cursor: str | None
    next: str | None


class PersonTopic(Schema):
    name: str
    slug: str
    episodes: int


class PersonQuote(Schema):
    """A verified quote in the person's own voice, still in the transcript as it stands."""

    text: str
    start: float | None
    dimension: str
    url: str  # the episode page at the moment it was said
    episode: EpisodeRef


class PersonDetail(PersonSummary):
    website: str
    placements: list[Placement]
    topics: list[PersonTopic]
    quotes: list[PersonQuote]
    latest_episodes: list[ListedEpisode]
