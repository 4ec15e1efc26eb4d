"""The rubric, the scorecards it produces, every scoring run, and editors' overrides."""

from django.conf import settings
from django.db import models


class Rubric(models.Model):
    """A published, versioned rubric; version 1 is SPEC §4 (loaded by a data migration)."""

    version = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=False)
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_rubric"
            )
        ]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    @property
    def max_total(self):
        return sum(d.max_score for d in self.dimensions.all())


class RubricDimension(models.Model):
    """One scored dimension of a rubric, e.g. Insight Density, 0–20."""

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="dimensions")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    description = models.TextField(help_text="What earns points.")
    max_score = models.PositiveSmallIntegerField(default=20)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rubric", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "key"], name="unique_dimension_key")
        ]

    def __str__(self):
        return self.name


class Scorecard(models.Model):
    """The result of running a rubric over one episode's transcript."""

    class Engine(models.TextChoices):
        BASELINE = "baseline", "Baseline (offline)"
        LLM = "llm", "LLM"

    episode = models.ForeignKey(
        "episodes.Episode", on_delete=models.CASCADE, related_name="scorecards"
    )
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="scorecards")
    is_current = models.BooleanField(default=True)
    engine = models.CharField(max_length=20, choices=Engine)
    model = models.CharField(max_length=200, blank=True, help_text="litellm model string.")
    prompt_version = models.CharField(max_length=20, blank=True)
    total = models.PositiveSmallIntegerField(help_text="Sum of the dimension scores, 0–100.")
    summary = models.TextField(blank=True)
    takeaways = models.JSONField(default=list, blank=True)
    topics = models.ManyToManyField("episodes.Topic", blank=True, related_name="scorecards")
    notes = models.JSONField(
        default=list, blank=True, help_text="Caveats shown with the card, e.g. sampling."
    )
    transcript_hash = models.CharField(max_length=64)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=10, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    quotes_dropped = models.PositiveSmallIntegerField(default=0)
    needs_review = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "rubric"],
                condition=models.Q(is_current=True),
                name="one_current_scorecard_per_episode_rubric",
            )
        ]
        indexes = [
            # episode page: the current scorecard of an episode
            models.Index(fields=["episode", "is_current"], name="scorecard_current_idx"),
        ]

    def __str__(self):
        return f"{self.episode} — {self.total}/100"

    @property
    def is_baseline(self):
        return self.engine == self.Engine.BASELINE


class DimensionScore(models.Model):
    """A scorecard's score on one rubric dimension, with its rationale and evidence."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="dimensions")
    dimension = models.ForeignKey(RubricDimension, on_delete=models.PROTECT)
    score = models.PositiveSmallIntegerField(help_text="The engine's score.")
    # The score after editors' overrides, stored by scoring.services (rankings average it).
    effective_score = models.PositiveSmallIntegerField(null=True, blank=True)
    rationale = models.TextField(blank=True)
    quotes = models.JSONField(
        default=list, blank=True, help_text="[{text, speaker, start, verified}]"
    )
    needs_review = models.BooleanField(default=False)
    clamped = models.BooleanField(default=False, help_text="The model's score was out of range.")

    class Meta:
        ordering = ["dimension__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "dimension"], name="unique_dimension_per_scorecard"
            )
        ]

    def __str__(self):
        return f"{self.dimension}: {self.score}"


class ScoringRun(models.Model):
    """One attempt at scoring an episode: what it cost and how it ended."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        CACHED = "cached", "Unchanged, not re-scored"
        FAILED = "failed", "Failed"
        BUDGET = "budget", "Skipped: daily budget spent"
        NO_TRANSCRIPT = "no_transcript", "Skipped: no transcript"

    episode = models.ForeignKey(
        "episodes.Episode", on_delete=models.CASCADE, related_name="scoring_runs"
    )
    scorecard = models.ForeignKey(
        Scorecard, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    engine = models.CharField(max_length=20, choices=Scorecard.Engine)
    model = models.CharField(max_length=200, blank=True)
    rubric_version = models.PositiveSmallIntegerField()
    prompt_version = models.CharField(max_length=20, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome, default=Outcome.RUNNING)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=10, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    retries = models.JSONField(
        default=list, blank=True, help_text="Failed attempts: [{attempt, error, wait}]."
    )
    warnings = models.JSONField(
        default=list,
        blank=True,
        help_text="What was fixed in the answer: clamped scores, dropped quotes, repairs.",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            # daily budget: SUM(cost_usd) WHERE started_at >= today
            models.Index(fields=["started_at"], name="scoringrun_started_idx"),
        ]

    def __str__(self):
        return f"{self.episode} · {self.outcome}"


class EditorialOverride(models.Model):
    """An editor's correction of one dimension (or the total) of an episode's score.

    Overrides belong to the episode, not to a scorecard, so they survive re-scoring.
    """

    episode = models.ForeignKey(
        "episodes.Episode", on_delete=models.CASCADE, related_name="overrides"
    )
    dimension = models.ForeignKey(
        RubricDimension,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Empty: the override replaces the total.",
    )
    score = models.PositiveSmallIntegerField()
    reason = models.TextField()
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "dimension"],
                condition=models.Q(is_active=True, dimension__isnull=False),
                name="one_active_override_per_dimension",
            ),
            models.UniqueConstraint(
                fields=["episode"],
                condition=models.Q(is_active=True, dimension__isnull=True),
                name="one_active_total_override",
            ),
        ]

    def __str__(self):
        target = self.dimension.name if self.dimension_id else "Total"
        return f"{target} → {self.score} ({self.episode})"
