"""Editors' and operators' view of scoring: rubrics, scorecards, runs and spend, overrides."""

import logging
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from episodes.admin import EpisodeAdmin
from episodes.models import Episode
from scoring import budget
from scoring.models import (
    DimensionScore,
    EditorialOverride,
    Rubric,
    RubricDimension,
    Scorecard,
    ScoringRun,
)
from scoring.tasks import score_episode

logger = logging.getLogger(__name__)
SPEND_SUMMARY_DAYS = 14


def _episode_ids(queryset) -> list[int]:
    """The episodes behind a selection of episodes, scorecards, runs or overrides."""
    if queryset.model is Episode:
        return list(queryset.values_list("pk", flat=True))
    return sorted(set(queryset.values_list("episode_id", flat=True)))


@admin.action(description="Re-score the selected episodes (even if unchanged)")
def rescore_episodes(modeladmin, request, queryset):
    """Queue a forced re-score of every selected episode."""
    queued = 0
    for episode_id in _episode_ids(queryset):
        try:
            score_episode.delay(episode_id, force=True)
        except Exception as exc:
            # The broker is down (delay() raises after about a second): say so, stop trying.
            logger.exception("Could not queue re-scoring")
            modeladmin.message_user(
                request,
                f"Queued {queued}; could not queue the rest: {exc}",
                messages.ERROR,
            )
            return
        queued += 1
    modeladmin.message_user(request, f"Re-scoring queued for {queued} episode(s).")


@admin.action(description="Hide the selected episodes from the public site")
def hide_episodes(modeladmin, request, queryset):
    """Hide episodes (kept, with their scorecards) and refresh their shows' rankings."""
    hidden = Episode.objects.filter(pk__in=_episode_ids(queryset)).set_hidden(True)
    modeladmin.message_user(request, f"Hid {hidden} episode(s).")


class RubricDimensionInline(admin.TabularInline):
    model = RubricDimension
    extra = 0
    fields = ["position", "key", "name", "description", "max_score"]


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "is_active", "published_at"]
    inlines = [RubricDimensionInline]


class DimensionScoreInline(admin.TabularInline):
    model = DimensionScore
    extra = 0
    can_delete = False
    fields = ["dimension", "score", "clamped", "needs_review", "rationale", "quotes"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = [
        "episode",
        "total",
        "engine",
        "model",
        "is_current",
        "needs_review",
        "quotes_dropped",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "created_at",
    ]
    list_filter = ["engine", "is_current", "needs_review", "rubric", "model"]
    list_select_related = ["episode"]
    search_fields = ["episode__title", "episode__show__title"]
    date_hierarchy = "created_at"
    raw_id_fields = ["episode"]
    inlines = [DimensionScoreInline]
    actions = [rescore_episodes, hide_episodes]
    readonly_fields = [
        "episode",
        "rubric",
        "is_current",
        "engine",
        "model",
        "prompt_version",
        "total",
        "summary",
        "takeaways",
        "topics",
        "notes",
        "transcript_hash",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "latency_ms",
        "quotes_dropped",
        "needs_review",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False


class TokensFilter(admin.SimpleListFilter):
    title = "tokens"
    parameter_name = "tokens"
    BUCKETS = {
        "none": ("None", Q(prompt_tokens=0, completion_tokens=0)),
        "small": ("Under 10k", Q(prompt_tokens__gt=0, prompt_tokens__lt=10_000)),
        "medium": ("10k–50k", Q(prompt_tokens__gte=10_000, prompt_tokens__lt=50_000)),
        "large": ("50k or more", Q(prompt_tokens__gte=50_000)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.BUCKETS.items()]

    def queryset(self, request, queryset):
        bucket = self.BUCKETS.get(self.value())
        return queryset.filter(bucket[1]) if bucket else queryset


class CostFilter(admin.SimpleListFilter):
    title = "cost"
    parameter_name = "cost"
    BUCKETS = {
        "free": ("Nothing", Q(cost_usd=0)),
        "cents": ("Under $0.01", Q(cost_usd__gt=0, cost_usd__lt=0.01)),
        "dimes": ("$0.01–$0.10", Q(cost_usd__gte=0.01, cost_usd__lt=0.10)),
        "dear": ("$0.10 or more", Q(cost_usd__gte=0.10)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.BUCKETS.items()]

    def queryset(self, request, queryset):
        bucket = self.BUCKETS.get(self.value())
        return queryset.filter(bucket[1]) if bucket else queryset


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    list_display = [
        "episode",
        "outcome",
        "engine",
        "model",
        "attempts",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "latency_ms",
        "started_at",
    ]
    list_filter = ["outcome", "engine", "model", TokensFilter, CostFilter, "started_at"]
    list_select_related = ["episode"]
    search_fields = ["episode__title", "error"]
    date_hierarchy = "started_at"
    actions = [rescore_episodes]
    readonly_fields = [f.name for f in ScoringRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        """The run list, headed by a daily spend summary and today's budget."""
        since = budget.start_of_day() - timedelta(days=SPEND_SUMMARY_DAYS - 1)
        days = (
            ScoringRun.objects.filter(started_at__gte=since)
            .annotate(day=TruncDate("started_at", tzinfo=timezone.get_current_timezone()))
            .values("day")
            .annotate(
                runs=Count("pk"),
                ok=Count("pk", filter=Q(outcome=ScoringRun.Outcome.OK)),
                failed=Count("pk", filter=Q(outcome=ScoringRun.Outcome.FAILED)),
                skipped=Count("pk", filter=Q(outcome=ScoringRun.Outcome.BUDGET)),
                prompt_tokens=Sum("prompt_tokens"),
                completion_tokens=Sum("completion_tokens"),
                cost=Sum("cost_usd"),
            )
            .order_by("-day")
        )
        context = {
            "spend_days": list(days),
            "spent_today": budget.spent_today(),
            "daily_budget": budget.daily_budget(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)


class EditorialOverrideForm(forms.ModelForm):
    class Meta:
        model = EditorialOverride
        fields = ["episode", "dimension", "score", "reason", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "dimension" in self.fields:
            self.fields["dimension"].queryset = RubricDimension.objects.filter(
                rubric__is_active=True
            )

    def clean(self):
        data = super().clean()
        dimension, score = data.get("dimension"), data.get("score")
        maximum = dimension.max_score if dimension else 100
        if score is not None and score > maximum:
            self.add_error("score", f"At most {maximum}.")
        if not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why: the reason is shown with the score.")
        return data


class EditorialOverrideInline(admin.TabularInline):
    """Corrections edited on the episode's own admin page."""

    model = EditorialOverride
    form = EditorialOverrideForm
    fields = ["dimension", "score", "reason", "is_active", "editor", "created_at"]
    readonly_fields = ["editor", "created_at"]
    extra = 0


admin.site.unregister(Episode)


@admin.register(Episode)
class ScoredEpisodeAdmin(EpisodeAdmin):
    """The episode's admin page with its editorial corrections inline and a re-score action."""

    inlines = [EditorialOverrideInline, *EpisodeAdmin.inlines]
    actions = [*EpisodeAdmin.actions, rescore_episodes]

    def save_formset(self, request, form, formset, change):
        """Record who made each correction (saving one refreshes the public scores)."""
        if formset.model is not EditorialOverride:
            return super().save_formset(request, form, formset, change)
        with transaction.atomic():
            for override in formset.save(commit=False):
                override.editor = request.user
                override.save()
            for override in formset.deleted_objects:
                override.delete()
        return None


@admin.register(EditorialOverride)
class EditorialOverrideAdmin(admin.ModelAdmin):
    form = EditorialOverrideForm
    list_display = ["episode", "target", "score", "editor", "is_active", "created_at"]
    list_filter = ["is_active", "dimension"]
    list_select_related = ["episode", "dimension", "editor"]
    search_fields = ["episode__title", "reason"]
    raw_id_fields = ["episode"]
    readonly_fields = ["editor", "created_at"]
    actions = [rescore_episodes]

    @admin.display(description="Overrides")
    def target(self, obj):
        return obj.dimension.name if obj.dimension_id else "Total"

    def save_model(self, request, obj, form, change):
        """Record who made the correction (saving it refreshes the public scores)."""
        obj.editor = request.user
        super().save_model(request, obj, form, change)

    def delete_queryset(self, request, queryset):
        """Delete one by one, so each deletion refreshes the scores it changed."""
        for override in queryset:
            override.delete()
