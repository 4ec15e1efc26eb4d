"""Editors' and operators' view of scoring: rubrics, scorecards, runs and spend, overrides.

Rubrics are registered here; the episode, scorecard, run and override admins are registered
once, by the editors' desk (desk.admin), which extends them with its review screen and log.
"""

import logging
from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from episodes.admin import EpisodeAdmin
from episodes.models import Episode
from scoring import budget
from scoring.models import (
    DimensionScore,
    Rubric,
    RubricDimension,
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


class EpisodeActionPermissions:
    """Re-scoring and hiding change episodes: they take episodes.change_episode, whatever
    model the list shows (a scorecard viewer may not hide its episode)."""

    def has_rescore_permission(self, request):
        return request.user.has_perm("episodes.change_episode")

    def has_hide_permission(self, request):
        return request.user.has_perm("episodes.change_episode")


@admin.action(
    description="Re-score the selected episodes (even if unchanged)", permissions=["rescore"]
)
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


@admin.action(description="Hide the selected episodes from the public site", permissions=["hide"])
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


class ScorecardAdmin(EpisodeActionPermissions, admin.ModelAdmin):
    list_display = [
        "episode",
        "total",
        "engine",
        "model",
        "is_current",
        "hold",
        "needs_review",
        "quotes_dropped",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "created_at",
    ]
    list_filter = ["engine", "is_current", "hold", "needs_review", "rubric", "model"]
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
        "hold",
        "held_reasons",
        "held_at",
        "hold_decided_by_name",
        "hold_decided_at",
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


class ScoringRunAdmin(EpisodeActionPermissions, admin.ModelAdmin):
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


class ScoredEpisodeAdmin(EpisodeActionPermissions, EpisodeAdmin):
    """The episode's admin page with a re-score action (corrections: the review screen)."""

    actions = [*EpisodeAdmin.actions, rescore_episodes]


class EditorialOverrideAdmin(EpisodeActionPermissions, admin.ModelAdmin):
    """The override log: read only. Scores are corrected on an episode's review screen, where
    each change is appended through EditorialOverride.objects.record()."""

    list_display = [
        "created_at",
        "episode",
        "target",
        "action",
        "before_score",
        "after",
        "model_score",
        "editor_label",
        "short_reason",
        "is_active",
    ]
    list_filter = ["action", "is_active", "dimension"]
    list_select_related = ["episode", "dimension", "editor"]
    search_fields = ["episode__title", "reason", "editor_name"]
    date_hierarchy = "created_at"
    actions = [rescore_episodes]
    readonly_fields = [
        "episode",
        "dimension",
        "action",
        "before_score",
        "score",
        "model_score",
        "reason",
        "editor",
        "editor_name",
        "previous",
        "is_active",
        "created_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-pk")

    @admin.display(description="Score")
    def target(self, obj):
        return obj.target_name

    @admin.display(description="After")
    def after(self, obj):
        return obj.after_label

    @admin.display(description="Editor", ordering="editor_name")
    def editor_label(self, obj):
        return obj.editor_label

    @admin.display(description="Reason")
    def short_reason(self, obj):
        return obj.reason if len(obj.reason) <= 120 else obj.reason[:119] + "…"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Only as part of deleting its episode (an administrator's job): the log itself is
        # never edited, so the delete view and action are refused below.
        return request.user.is_superuser

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied("The override log is append-only: revert the correction instead.")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {"show_delete": False, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)
