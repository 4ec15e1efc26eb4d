from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from kombu.exceptions import OperationalError

from shows import ingest
from shows.models import Category, FeedFetch, Show, ShowCategory
from shows.tasks import poll_show

FETCH_LOG_INLINE_ROWS = 10


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
        help_texts = {"feed_url": "The RSS feed. It is fetched and ingested when you save."}


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin):
    list_display = [
        "title_or_url",
        "active",
        "last_fetch_status",
        "last_fetched_at",
        "next_poll_at",
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
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return [] if obj is None else [ShowCategoryInline, FeedFetchInline]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        show, fetch = ingest.add_show(
            form.cleaned_data["feed_url"], form.cleaned_data["categories"], show=obj
        )
        level = messages.SUCCESS if fetch.status in ingest.INGESTED else messages.ERROR
        self.message_user(
            request,
            f"Fetched {show.feed_url}: {fetch.get_status_display()}, "
            f"{fetch.new_count} episodes. {fetch.error}".strip(),
            level,
        )

    @admin.display(description="Show", ordering="title")
    def title_or_url(self, obj):
        return obj.title or obj.feed_url

    @admin.action(description="Poll now")
    def poll_now(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        try:
            for show_id in ids:
                poll_show.delay(show_id, force=True)
        except OperationalError as exc:
            self.message_user(request, f"Could not queue the polls: {exc}", messages.ERROR)
            return
        self.message_user(request, f"Polling {len(ids)} show(s).", messages.SUCCESS)


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
