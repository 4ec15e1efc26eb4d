"""What every engine takes and returns, independent of how it scores."""

from dataclasses import dataclass, field
from decimal import Decimal

from episodes.transcripts.names import display_name, usable_names


@dataclass(frozen=True)
class DimensionSpec:
    """One rubric dimension as an engine sees it."""

    key: str
    name: str
    description: str
    max_score: int = 20


@dataclass
class EpisodeContext:
    """Everything an engine may read about one episode."""

    title: str
    show_title: str
    segments: list[dict]
    dimensions: list[DimensionSpec]
    notes: str = ""
    guests: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    speaker_names: dict = field(default_factory=dict)
    duration_seconds: int | None = None

    def speaker(self, label: str) -> str:
        """The speaker's display name, as the transcript page shows it."""
        return display_name(usable_names(self.speaker_names), label)


@dataclass
class DimensionResult:
    """An engine's verdict on one dimension, with verified quotes only."""

    key: str
    score: int
    rationale: str
    quotes: list[dict] = field(default_factory=list)
    quotes_dropped: int = 0
    clamped: bool = False
    needs_review: bool = False


@dataclass
class Usage:
    """What calling a model cost, accumulated over attempts."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    latency_ms: int = 0
    attempts: int = 0
    retries: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class EngineResult:
    """A complete, validated scorecard ready to be written."""

    dimensions: list[DimensionResult]
    summary: str
    takeaways: list[str]
    topics: list[str]
    notes: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    # [{"name", "evidence"}]: the guests the model named, evidence a verified quote or None.
    guests: list[dict] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(d.score for d in self.dimensions)

    @property
    def quotes_dropped(self) -> int:
        return sum(d.quotes_dropped for d in self.dimensions)

    @property
    def needs_review(self) -> bool:
        return any(d.needs_review for d in self.dimensions)


class ScoringError(Exception):
    """Scoring failed; `usage` says what the failed attempts cost."""

    def __init__(self, message: str, usage: Usage | None = None):
        super().__init__(message)
        self.usage = usage or Usage()


class BudgetExceeded(ScoringError):
    """Today's LLM budget is spent: no call was made."""
