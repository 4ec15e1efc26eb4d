"""Effective scores: what a scorecard says after editors' overrides are applied."""

from dataclasses import dataclass, field


@dataclass
class EffectiveDimension:
    """One dimension as the public sees it."""

    key: str
    name: str
    max_score: int
    score: int
    model_score: int
    rationale: str
    quotes: list[dict]
    needs_review: bool = False
    override: object | None = None

    @property
    def percent(self) -> int:
        return percent(self.score, self.max_score)


@dataclass
class EffectiveScore:
    """A scorecard's total and dimensions after overrides."""

    total: int
    model_total: int
    dimensions: list[EffectiveDimension]
    total_override: object | None = None
    overrides: list = field(default_factory=list)

    @property
    def adjusted(self) -> bool:
        return bool(self.overrides)


def percent(score: float, max_score: int) -> int:
    """A score as a whole-number share of its maximum, for bar widths (0–100)."""
    return max(0, min(100, round(100 * score / max_score))) if max_score else 0


def band(total: int | None) -> str:
    """The one-word band shown beside a substance score, so a number reads as a verdict."""
    if total is None:
        return ""
    if total >= 80:
        return "exceptional"
    if total >= 60:
        return "solid"
    if total >= 40:
        return "mixed"
    return "thin"


def apply_overrides(scorecard, overrides, dimension_scores=None) -> EffectiveScore:
    """Combine a scorecard's dimension scores with the episode's active overrides.

    The dimension scores (each with its `dimension`) are `dimension_scores` if given, else
    `scorecard.dimensions.all()`, which should then be prefetched; a total override wins over
    the sum of the dimensions.
    """
    by_dimension = {o.dimension_id: o for o in overrides if o.is_active}
    if dimension_scores is None:
        dimension_scores = scorecard.dimensions.all()
    dimensions = []
    for ds in dimension_scores:
        override = by_dimension.get(ds.dimension_id)
        dimensions.append(
            EffectiveDimension(
                key=ds.dimension.key,
                name=ds.dimension.name,
                max_score=ds.dimension.max_score,
                score=min(override.score, ds.dimension.max_score) if override else ds.score,
                model_score=ds.score,
                rationale=ds.rationale,
                quotes=[q for q in ds.quotes if q.get("verified")],
                needs_review=ds.needs_review,
                override=override,
            )
        )
    total_override = by_dimension.get(None)
    total = sum(d.score for d in dimensions)
    if total_override:
        total = min(total_override.score, 100)
    return EffectiveScore(
        total=total,
        model_total=scorecard.total,
        dimensions=dimensions,
        total_override=total_override,
        overrides=list(by_dimension.values()),
    )
