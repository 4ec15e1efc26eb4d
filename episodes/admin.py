"""The episodes' admin classes. The editors' desk registers them (desk.admin), extended with
its review screen and activity log, so each model has one admin."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html

from episodes.models import Episode, Topic, Transcript
from episodes.tasks import dispatch_transcriptions
from episodes.transcripts import transcribe
from episodes.transcripts.names import validate_speaker_names

# What identifies an episode to its feed and to listeners' links, and when it came out (the
# home page and the feeds order by it): set by ingestion, editable only by administrators (an
# editor's slip would orphan links, duplicate the episode or pin it to the top for years).
EPISODE_IDENTITY_FIELDS = ["show", "guid", "slug", "audio_url", "published_at"]
# A publish date may run ahead of our clock by a time zone or a scheduled release, not more.
FUTURE_PUBLISH_TOLERANCE = timedelta(days=1)
# The stored words and where they came from: re-fetched, never typed in by hand.
TRANSCRIPT_RAW_FIELDS = ["segments", "source_url", "content_hash"]
# What made a transcript and what it cost: a record of what happened, not an opinion.
TRANSCRIPT_PROVENANCE_FIELDS = [
    "source",
    "source_url",
    "format",
    "language",
    "engine",
    "model",
    "audio_seconds",
    "wall_seconds",
    "cpu_seconds",
    "cost_usd",
]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "episode_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(num_episodes=Count("episodes"))

    @admin.display(ordering="num_episodes", description="Episodes")
    def episode_count(self, obj):
        return obj.num_episodes


def bundled_transcript(episode) -> bool:
    """Whether the episode's transcript came from a bundled file of ours ("/static/…"): a path,
    not a URL an administrator could retype, so its form field would refuse any unrelated edit."""
    transcript = getattr(episode, "transcript", None)
    return transcript is not None and transcript.source_url.startswith("/")


class TranscriptInline(admin.StackedInline):
    model = Transcript
    extra = 0
    fields = ["source", "format", "language", "source_url", "word_count", "content_hash"]
    readonly_fields = ["word_count", "content_hash"]
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            locked = [*TRANSCRIPT_RAW_FIELDS, *TRANSCRIPT_PROVENANCE_FIELDS]
            fields += [f for f in locked if f in self.fields and f not in fields]
        elif obj is not None and bundled_transcript(obj):
            fields.append("source_url")
        return fields


class EpisodeForm(forms.ModelForm):
    """Refuses a publish date far in the future (it would top every "latest" list until then)."""

    def clean_published_at(self):
        published_at = self.cleaned_data.get("published_at")
        if "published_at" not in self.changed_data:
            return published_at  # a stored date from the feed does not block other edits
        if published_at and published_at > timezone.now() + FUTURE_PUBLISH_TOLERANCE:
            raise forms.ValidationError(
                "That date is in the future: an episode is listed from when it came out."
            )
        return published_at


class EpisodeAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "show",
        "published_at",
        "score",
        "scored_at",
        "transcript_status",
        "hidden",
        "in_feed",
    ]
    list_filter = ["hidden", "in_feed", "transcript_status", "show__categories", "published_at"]
    search_fields = ["title", "guid", "show__title"]
    list_select_related = ["show"]
    raw_id_fields = ["show"]
    filter_horizontal = ["topics"]
    date_hierarchy = "published_at"
    readonly_fields = ["score", "scored_at", "created_at", "updated_at", "public_link"]
    form = EpisodeForm
    inlines = [TranscriptInline]
    actions = ["hide", "unhide", "transcribe_again"]
    fieldsets = [
        (None, {"fields": ["show", "title", "slug", "guid", "published_at", "public_link"]}),
        ("Listing", {"fields": ["hidden", "in_feed", "score", "scored_at", "topics"]}),
        (
            "Media",
            {"fields": ["audio_url", "audio_type", "audio_size", "duration_seconds", "link"]},
        ),
        (
            "Feed details",
            {
                "classes": ["collapse"],
                "fields": [
                    "season",
                    "number",
                    "episode_type",
                    "notes_html",
                    "transcript_links",
                    "transcript_status",
                    "transcript_error",
                    "people",
                    "chapters_url",
                    "podcast_guid",
                    "created_at",
                    "updated_at",
                ],
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_superuser:
            fields += [f for f in EPISODE_IDENTITY_FIELDS if f not in fields]
        elif obj is not None and obj.audio_url.startswith("/"):
            # A bundled file of ours ("/static/…"), not a URL an administrator could retype.
            fields.append("audio_url")
        return fields

    def save_model(self, request, obj, form, change):
        if not (change and "hidden" in form.changed_data):
            super().save_model(request, obj, form, change)
            return
        # Through set_hidden, like every other path, so the show's figures and ranks follow.
        hidden, obj.hidden = obj.hidden, not obj.hidden
        super().save_model(request, obj, form, change)
        Episode.objects.filter(pk=obj.pk).set_hidden(hidden)
        obj.hidden = hidden

    @admin.display(description="Public page")
    def public_link(self, obj):
        if not obj.pk:
            return "-"
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), "View on site")

    @admin.action(description="Hide selected episodes from the site", permissions=["change"])
    def hide(self, request, queryset):
        self.message_user(request, f"Hid {queryset.set_hidden(True)} episode(s).")

    @admin.action(description="Show selected episodes on the site", permissions=["change"])
    def unhide(self, request, queryset):
        self.message_user(request, f"Unhid {queryset.set_hidden(False)} episode(s).")

    @admin.action(
        description="Transcribe with our speech-to-text (again, with fresh attempts)",
        permissions=["change"],
    )
    def transcribe_again(self, request, queryset):
        # Queued for the workers, within the budget: never transcribed inside this request.
        count = transcribe.ask(queryset)
        transaction.on_commit(dispatch_transcriptions)
        where = (
            "run `manage.py transcribe_episodes` to transcribe them"
            if settings.CELERY_TASK_ALWAYS_EAGER
            else "the workers take them as the budget allows"
        )
        self.message_user(request, f"{count} episode(s) wait for transcription; {where}.")


class TranscriptForm(forms.ModelForm):
    """Speaker names must be {label: name}: anything else would name nobody on the pages."""

    def clean_speaker_names(self):
        names = self.cleaned_data.get("speaker_names")
        validate_speaker_names(names)
        return names


class TranscriptAdmin(admin.ModelAdmin):
    list_display = ["episode", "source", "format", "language", "word_count", "updated_at"]
    list_filter = ["source", "format", "language"]
    search_fields = ["episode__title", "episode__show__title"]
    list_select_related = ["episode", "episode__show"]
    readonly_fields = ["content_hash", "word_count", "analysis", "created_at", "updated_at"]
    raw_id_fields = ["episode"]
    form = TranscriptForm

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and request.user.is_superuser and obj.source_url.startswith("/"):
            fields.append("source_url")
        if obj is not None and not request.user.is_superuser:
            locked = ["episode", *TRANSCRIPT_RAW_FIELDS, *TRANSCRIPT_PROVENANCE_FIELDS]
            fields += [f for f in locked if f not in fields]
        return fields
