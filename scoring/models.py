"""The rubric, the scorecards it produces, every scoring run, and editors' overrides."""

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone


class RubricQuerySet(models.QuerySet):
    def active(self):
        """The rubric new scores are made with (at most one: a constraint)."""
        return self.filter(is_active=True)


class Rubric(models.Model):
    """A published, versioned rubric; version 1, five dimensions of 20, is a data migration."""

    version = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=False)
    published_at = models.DateTimeField(auto_now_add=True)

    objects = RubricQuerySet.as_manager()

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


class RubricDimensionQuerySet(models.QuerySet):
    def active(self):
        """The dimensions of the active rubric (Rubric.objects.active)."""
        return self.filter(rubric__in=Rubric.objects.active())


class RubricDimension(models.Model):
    """One scored dimension of a rubric, e.g. Insight Density, 0–20."""

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="dimensions")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    description = models.TextField(help_text="What earns points.")
    max_score = models.PositiveSmallIntegerField(default=20)
    position = models.PositiveSmallIntegerField(default=0)

    objects = RubricDimensionQuerySet.as_manager()

    class Meta:
        ordering = ["rubric", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "key"], name="unique_dimension_key")
        ]

    def __str__(self):
        return self.name


def current_scorecard_q(prefix: str = "") -> Q:
    """The one rule for each episode's public scorecard: the active rubric's current one or,
    until the episode is scored under it, the current one of the newest rubric it was scored
    under. `prefix` reaches the scorecard from a related model.

    A rubric change so leaves every score in place (lists, pages and the desk all show the
    old rubric's card) while the sweeps re-score episodes under the new one.
    """
    better = Scorecard.objects.filter(
        Q(rubric__is_active=True) | Q(rubric__version__gt=OuterRef(f"{prefix}rubric__version")),
        episode=OuterRef(f"{prefix}episode"),
        is_current=True,
    )
    return Q(**{f"{prefix}is_current": True}) & (
        Q(**{f"{prefix}rubric__is_active": True}) | ~Exists(better)
    )


class ScorecardQuerySet(models.QuerySet):
    def current(self):
        """Each episode's public scorecard (current_scorecard_q)."""
        return self.filter(current_scorecard_q())

    def held(self):
        """Scores under the active rubric held for an editor's review (not public yet)."""
        return self.filter(hold=Scorecard.Hold.HELD, rubric__is_active=True)

    def standing(self):
        """Scores under the active rubric that stand until the episode's words change: the
        current one, and one an editor must decide or refused (held, rejected)."""
        return self.filter(
            Q(is_current=True) | Q(hold__in=[Scorecard.Hold.HELD, Scorecard.Hold.REJECTED]),
            rubric__is_active=True,
        )

    def decided(self):
        """Scores under the active rubric an editor must decide or has refused (held,
        rejected): the answer stands until the transcript changes."""
        return self.filter(
            hold__in=[Scorecard.Hold.HELD, Scorecard.Hold.REJECTED], rubric__is_active=True
        )


class Scorecard(models.Model):
    """The result of running a rubric over one episode's transcript."""

    class Engine(models.TextChoices):
        BASELINE = "baseline", "Baseline (offline)"
        LLM = "llm", "LLM"

    class Hold(models.TextChoices):
        NONE = "", "Not held"
        HELD = "held", "Held for an editor's review"
        RELEASED = "released", "Released by an editor"
        REJECTED = "rejected", "Rejected by an editor"
        SUPERSEDED = "superseded", "Held, then replaced by a newer score"

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
    # The guests the model named, each with the transcript passage that names them
    # (scoring.validation keeps only names the transcript or notes contain): read by people.
    guests = models.JSONField(default=list, blank=True, help_text="[{name, evidence}]")
    transcript_hash = models.CharField(max_length=64)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=10, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    quotes_dropped = models.PositiveSmallIntegerField(default=0)
    needs_review = models.BooleanField(default=False)
    # An outlier (scoring.outliers) is written held: not current, so not public, until an
    # editor releases it (it becomes current) or rejects it (it never does).
    hold = models.CharField(max_length=12, choices=Hold, blank=True, default=Hold.NONE)
    held_reasons = models.JSONField(
        default=list, blank=True, help_text="Why the score was held for an editor's review."
    )
    held_topics = models.JSONField(
        default=list,
        blank=True,
        help_text="The topics a held score names: created (and public) only once it is released.",
    )
    held_at = models.DateTimeField(null=True, blank=True)
    hold_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as written, like the override log's editor_name.
    hold_decided_by_name = models.CharField(max_length=300, blank=True)
    hold_decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScorecardQuerySet.as_manager()

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
            # episode page, pending scoring, dashboard: an episode's score held for review
            models.Index(
                fields=["episode"], condition=models.Q(hold="held"), name="scorecard_held_idx"
            ),
        ]

    def __str__(self):
        return f"{self.episode} — {self.total}/100"

    @property
    def is_baseline(self):
        return self.engine == self.Engine.BASELINE

    @property
    def is_held(self) -> bool:
        """Waiting for an editor: not public until released."""
        return self.hold == self.Hold.HELD


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


class OverrideRefused(Exception):
    """An override that cannot be recorded; the message is for the editor, as is."""


class OverrideConflict(OverrideRefused):
    """Someone else recorded a change to the same score since the editor's form was loaded."""

    def __init__(self, latest: "EditorialOverride"):
        self.latest = latest
        when = timezone.localtime(latest.created_at).strftime("%H:%M")
        super().__init__(f"{latest.editor_label} changed this at {when}: reload to see it.")


class EditorialOverrideQuerySet(models.QuerySet):
    def current(self):
        """The rows apply_overrides reads: at most one per (episode, dimension or total)."""
        return self.filter(is_active=True)

    def for_target(self, episode_id: int, dimension_id: int | None):
        """One score's log (a dimension's, or the total's when dimension_id is None)."""
        if dimension_id is None:
            return self.filter(episode_id=episode_id, dimension__isnull=True)
        return self.filter(episode_id=episode_id, dimension_id=dimension_id)

    def latest_for(self, episode_id: int, dimension_id: int | None):
        """The newest log row of one score, or None: its id is the optimistic-lock version."""
        return (
            self.for_target(episode_id, dimension_id)
            .select_related("editor")
            .order_by("-pk")
            .first()
        )

    def record(
        self,
        *,
        episode,
        dimension,
        editor,
        reason: str,
        score: int | None = None,
        revert: bool = False,
        version: int | None = None,
    ) -> "EditorialOverride":
        """Append one change of an episode's score (set, change or revert) to the log.

        `version` is the id of the newest row the editor saw (0: none): when another row was
        added since, OverrideConflict is raised and nothing is written. The new row becomes the
        current value (a revert leaves none); its post_save reaches scoring.services.
        """
        reason = (reason or "").strip()
        if revert and not reason:
            reason = "Back to the model's score."
        if not reason:
            raise OverrideRefused("Say why: the reason is shown with the score.")
        dimension_id = dimension.pk if dimension is not None else None
        try:
            with transaction.atomic():
                # Serialise writers of one episode (PostgreSQL; SQLite's IMMEDIATE transactions
                # serialise every writer), then compare versions under the lock.
                locked = type(episode).objects.select_for_update().filter(pk=episode.pk)
                if not list(locked.values_list("pk", flat=True)):
                    raise OverrideRefused("This episode has been deleted.")
                latest = self.latest_for(episode.pk, dimension_id)
                if version is not None and (latest.pk if latest else 0) != version:
                    if latest is not None:
                        raise OverrideConflict(latest)
                    raise OverrideRefused(
                        "This score changed since you loaded it: reload to see it."
                    )
                model_score = self._model_score(episode, dimension)
                current = latest if latest is not None and latest.is_active else None
                before = current.score if current else model_score
                if revert:
                    if current is None:
                        raise OverrideRefused("There is no correction to revert.")
                    action, after = self.model.Action.REVERT, None
                else:
                    maximum = dimension.max_score if dimension is not None else 100
                    if score is None or not 0 <= score <= maximum:
                        raise OverrideRefused(f"Give a whole number from 0 to {maximum}.")
                    if score == before:
                        # Logged, it would label the page "adjusted by our editors" for nothing.
                        raise OverrideRefused(f"It is {before} already: nothing to change.")
                    action = self.model.Action.CHANGE if current else self.model.Action.SET
                    after = score
                if current is not None:
                    # The only update the log allows: the superseded row stops being current.
                    self.filter(pk=current.pk).update(is_active=False)
                return self.create(
                    episode=episode,
                    dimension=dimension,
                    action=action,
                    score=after,
                    before_score=before,
                    model_score=model_score,
                    previous=latest,
                    reason=reason,
                    editor=editor,
                    editor_name=editor_label(editor),
                    is_active=not revert,
                )
        except IntegrityError:
            # Another save won the race between our check and our insert (a database without
            # the lock above): report it like any other conflict.
            latest = self.latest_for(episode.pk, dimension_id)
            if latest is None:
                raise
            raise OverrideConflict(latest) from None

    def _model_score(self, episode, dimension) -> int:
        """The current scorecard's own score for the dimension (or its total)."""
        scorecard = Scorecard.objects.current().filter(episode=episode).first()
        if scorecard is None:
            if Scorecard.objects.held().filter(episode=episode).exists():
                raise OverrideRefused(
                    "This episode's score is held for review and it has no public score yet: "
                    "release the held score, then correct it."
                )
            raise OverrideRefused(
                "This episode has not been scored yet: its score can be corrected once it is."
            )
        if dimension is None:
            return scorecard.total
        row = scorecard.dimensions.filter(dimension=dimension).first()
        if row is None:
            raise OverrideRefused(f"The current scorecard has no {dimension.name} score.")
        return row.score


def editor_label(user) -> str:
    """How an editor is named in the log: full name, else username."""
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username()).strip()


class EditorialOverride(models.Model):
    """One entry of the append-only log of editors' corrections to an episode's score.

    Every change (set, change, revert) is a new row with its editor, time, the score before and
    after, and the reason; earlier rows are never edited or deleted. The current value of a
    dimension (or of the total, dimension empty) is its newest row when that row is active; a
    revert row is never active, so the model's score applies again. Overrides belong to the
    episode, not to a scorecard, so they survive re-scoring. Write through
    `EditorialOverride.objects.record()`.
    """

    class Action(models.TextChoices):
        SET = "set", "Set"
        CHANGE = "change", "Changed"
        REVERT = "revert", "Reverted"

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
    action = models.CharField(max_length=10, choices=Action, default=Action.SET)
    score = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The score after this change (empty: a revert)."
    )
    before_score = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The public score before this change."
    )
    model_score = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The scorecard's own score when the change was made."
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The log row this one follows.",
    )
    reason = models.TextField()
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as written, so the log still names the editor after the account is renamed or gone.
    editor_name = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(
        default=True, help_text="This row is the current value of its score."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EditorialOverrideQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "dimension"],
                condition=models.Q(is_active=True, dimension__isnull=False),
                name="one_active_override_per_dimension",
                violation_error_message=(
                    "This dimension already has a current correction: reload to see it."
                ),
            ),
            models.UniqueConstraint(
                fields=["episode"],
                condition=models.Q(is_active=True, dimension__isnull=True),
                name="one_active_total_override",
                violation_error_message=(
                    "The total already has a current correction: reload to see it."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=False) | models.Q(score__isnull=False),
                name="active_override_has_score",
                violation_error_message="A current correction needs a score.",
            ),
            models.CheckConstraint(
                condition=~models.Q(action="revert") | models.Q(is_active=False),
                name="revert_is_never_current",
                violation_error_message="A revert cannot be a current correction.",
            ),
        ]
        indexes = [
            # a score's log, newest first (review screen, optimistic lock)
            models.Index(fields=["episode", "dimension", "-id"], name="override_log_idx"),
        ]

    def __str__(self):
        target = self.dimension.name if self.dimension_id else "Total"
        if self.action == self.Action.REVERT:
            return f"{target} reverted to the model's score ({self.episode})"
        return f"{target} → {self.score} ({self.episode})"

    @property
    def target_name(self) -> str:
        return self.dimension.name if self.dimension_id else "Total"

    @property
    def editor_label(self) -> str:
        return self.editor_name or editor_label(self.editor) or "An editor"

    @property
    def after_label(self) -> str:
        """The score after this change, as the log shows it."""
        if self.score is None:
            return f"model's {self.model_score}" if self.model_score is not None else "model's"
        return str(self.score)
