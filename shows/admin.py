from datetime import UTC, datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from shows.ingest.store import create_show
from shows.models import Category, FeedFetch, Show, ShowCategory

FETCH_LOG_INLINE_ROWS = 10
# The demo shows are parked at 9999-01-01 (browse's demo command): their example.com feeds are
# never polled. A show parked beyond this date reads "Demo show (not polled)".
PARKED_AFTER = datetime(9000, 1, 1, tzinfo=UTC)
DEMO_STATUS = "Demo show (not polled)"
FAILED_STATUSES = [
    Show.FetchStatus.HTTP_ERROR,
    Show.FetchStatus.NETWORK_ERROR,
    Show.FetchStatus.TOO_LARGE,
    Show.FetchStatus.INVALID,
    Show.FetchStatus.BLOCKED,
    Show.FetchStatus.GONE,
]
# What identifies a show to its feed and to listeners' links: administrators only.
SHOW_IDENTITY_FIELDS = ["feed_url", "slug"]
# What goes with a show when it is deleted (verbose names; episodes sit above this app): an
# editor who may delete the show may take these with it.
DELETED_WITH_SHOW = {"episode", "transcript", "feed fetch"}


def is_parked(show: Show) -> bool:
    """Whether the show is parked outside the poller's reach (the demo shows)."""
    return show.next_poll_at is not None and show.next_poll_at >= PARKED_AFTER


def fetch_status_label(show: Show) -> str:
    return DEMO_STATUS if is_parked(show) else show.get_last_fetch_status_display()


def next_poll_label(show: Show) -> str:
    """When the show is next polled, in words where a date would mislead."""
    if is_parked(show):
        return "Not polled"
    if not show.active:
        return "Not polled: inactive"
    if show.canonical_id:
        return "Not polled: duplicate"
    return date_format(timezone.localtime(show.next_poll_at), "DATETIME_FORMAT")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class ShowCategoryInline(admin.TabularInline):
    model = ShowCategory
    extra = 1
    fields = ["category", "rank"]
    readonly_fields = ["rank"]


class FeedFetchInline(admin.TabularInline):
    model = FeedFetch
    extra = 0
    max_num = 0
    can_delete = False
    fields = [
        "started_at",
        "status",
        "http_status",
        "duration_ms",
        "new_count",
        "updated_count",
        "error",
    ]
    readonly_fields = fields
    verbose_name_plural = f"Latest fetches (last {FETCH_LOG_INLINE_ROWS})"

    def get_queryset(self, request):
        # Ids first: a sliced queryset cannot be filtered further by the inline formset.
        queryset = super().get_queryset(request)
        show_id = request.resolver_match.kwargs.get("object_id")
        latest = (
            queryset.filter(show_id=show_id)
            .order_by("-started_at")
            .values_list("pk", flat=True)[:FETCH_LOG_INLINE_ROWS]
        )
        return queryset.filter(pk__in=list(latest))


class AddShowForm(forms.ModelForm):
    """Adding a show takes only its feed URL (and categories): the rest comes from the feed."""

    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Show
        fields = ["feed_url"]
        help_texts = {
            "feed_url": "The RSS feed. It is fetched and ingested in the background when you "
            "save; the result shows on the show's page."
        }


class ShowAdmin(admin.ModelAdmin):
    """Shows and their feed health; the editors' desk registers it (desk.admin), with its log."""

    list_display = [
        "title_or_url",
        "active",
        "fetch_status",
        "last_fetched_at",
        "next_poll",
        "consecutive_failures",
        "episode_count",
        "score",
        "rank",
    ]
    list_filter = ["active", "last_fetch_status", "categories", "complete"]
    search_fields = ["title", "author", "feed_url", "slug"]
    readonly_fields = [
        "etag",
        "last_modified",
        "body_hash",
        "last_fetch_status",
        "last_http_status",
        "last_error",
        "last_fetched_at",
        "consecutive_failures",
        "poll_interval",
        "feed_categories",
        "podcast_guid",
        "complete",
        "score",
        "scored_episode_count",
        "rank",
        "latest_episode_at",
        "episode_count",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "feed_url",
                    "title",
                    "slug",
                    "author",
                    "description",
                    "artwork_url",
                    "website_url",
                    "language",
                    "explicit",
                ]
            },
        ),
        ("Polling", {"fields": ["active", "inactive_reason", "canonical", "next_poll_at"]}),
        (
            "Feed health",
            {
                "fields": [
                    "last_fetch_status",
                    "last_http_status",
                    "last_error",
                    "last_fetched_at",
                    "consecutive_failures",
                    "poll_interval",
                    "etag",
                    "last_modified",
                    "body_hash",
                    "feed_categories",
                    "podcast_guid",
                    "complete",
                ]
            },
        ),
        (
            "Ranking",
            {
                "fields": [
                    "score",
                    "scored_episode_count",
                    "rank",
                    "latest_episode_at",
                    "episode_count",
                ]
            },
        ),
    ]
    raw_id_fields = ["canonical"]
    actions = ["poll_now"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AddShowForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["feed_url", "categories"]})]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if request.user.is_superuser:
            return self.readonly_fields
        return [*SHOW_IDENTITY_FIELDS, *self.readonly_fields]

    def has_delete_permission(self, request, obj=None):
        """Editors may delete a show added by mistake: one none of whose episodes is scored."""
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return not obj.episodes.filter(scored_at__isnull=False).exists()

    def get_deleted_objects(self, objs, request):
        """A show's episodes, transcripts and fetch log go with it, whoever may delete it."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed = {name for name in perms_needed if name not in DELETED_WITH_SHOW}
        if Show._meta.verbose_name in perms_needed:
            perms_needed.discard(Show._meta.verbose_name)
            perms_needed.add("show with scored episodes (an administrator can delete it)")
        return deleted, counts, perms_needed, protected

    @admin.display(description="Last fetch", ordering="last_fetch_status")
    def fetch_status(self, obj):
        return fetch_status_label(obj)

    @admin.display(description="Next poll", ordering="next_poll_at")
    def next_poll(self, obj):
        return next_poll_label(obj)

    def get_inlines(self, request, obj):
        return [] if obj is None else [ShowCategoryInline, FeedFetchInline]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # The request only creates the show; a worker (or, without a broker, a background
        # thread) fetches the feed after commit: an editor never waits on a slow server.
        show, _ = create_show(
            form.cleaned_data["feed_url"], form.cleaned_data["categories"], show=obj
        )
        self.queue_polls([show.pk], force=True)
        self.message_user(
            request,
            f"Fetching {show.feed_url} in the background: its title, episodes and the result "
            "of the fetch (Feed health, Latest fetches) appear on this page when it is done.",
            messages.INFO,
        )

    def response_add(self, request, obj, post_url_continue=None):
        """After adding, the show's own page, where the fetch's result appears."""
        response = super().response_add(request, obj, post_url_continue)
        if "_addanother" in request.POST or IS_POPUP_VAR in request.POST:
            return response
        return HttpResponseRedirect(reverse("admin:shows_show_change", args=[obj.pk]))

    @admin.display(description="Show", ordering="title")
    def title_or_url(self, obj):
        return obj.title or obj.feed_url

    def queue_polls(self, show_ids, *, force: bool) -> None:
        """Have these shows polled soon: made due now, the dispatcher takes them within a minute.

        The poll stores episodes, so it lives above shows (episodes.ingest): the desk's admin,
        which registers this one, hands the shows to a worker at once instead.
        """
        Show.objects.filter(pk__in=list(show_ids)).update(next_poll_at=timezone.now())

    @admin.action(description="Poll now", permissions=["change"])
    def poll_now(self, request, queryset):
        # Queued, never fetched in the request: the results appear on each show's page.
        shows = list(queryset.only("pk", "title", "feed_url", "next_poll_at"))
        demo = [show for show in shows if is_parked(show)]
        ids = [show.pk for show in shows if not is_parked(show)]
        if ids:
            self.queue_polls(ids, force=True)
            self.message_user(
                request,
                f"Polling {len(ids)} show(s) in the background: see Feed health on each show.",
                messages.SUCCESS,
            )
        if demo:
            # Their example.com feeds do not exist: a poll would only mark them failing.
            self.message_user(
                request,
                f"Not polled: {', '.join(str(show) for show in demo)} "
                f"{'is a demo show' if len(demo) == 1 else 'are demo shows'}, never polled.",
                messages.WARNING,
            )


@admin.register(FeedFetch)
class FeedFetchAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "show_link",
        "status",
        "http_status",
        "duration_ms",
        "new_count",
        "updated_count",
        "short_error",
    ]
    list_filter = ["status"]
    list_select_related = ["show"]
    search_fields = ["show__title", "url", "error"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Show", ordering="show__title")
    def show_link(self, obj):
        url = reverse("admin:shows_show_change", args=[obj.show_id])
        return format_html('<a href="{}">{}</a>', url, obj.show.title or obj.url)

    @admin.display(description="Error")
    def short_error(self, obj):
        return obj.error[:120]
