"""Shows (podcast feeds) and the B2B categories they are ranked in."""

from datetime import timedelta

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from core import search_index
from core.loading import QuickLoad
from core.paths import slug_path
from core.search import Searchable


class Category(models.Model):
    """A B2B vertical shows are ranked in (Finance, Marketing, ...)."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # Mean effective score of the category's scored episodes: the prior of its shows'
    # rankings, kept current by scoring.ranking.refresh_category_means (every minute).
    mean_score = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_path("shows:category", slug=self.slug)


def active_show_q(prefix: str = "") -> models.Q:
    """The one rule for the shows we follow and list: active and not a duplicate of another.
    `prefix` reaches the show from a related model."""
    return models.Q(**{f"{prefix}active": True, f"{prefix}canonical__isnull": True})


class ShowQuerySet(Searchable, models.QuerySet):
    search_fields = ("title", "author", "description")

    def active(self):
        """Shows we follow and list (active_show_q)."""
        return self.filter(active_show_q())

    def ranked(self):
        """Shows with a rank, best first."""
        return self.active().filter(rank__isnull=False).order_by("rank")


class Show(QuickLoad, models.Model):
    """One podcast, followed through its RSS feed."""

    class FetchStatus(models.TextChoices):
        NEW = "new", "Not fetched yet"
        OK = "ok", "OK"
        NOT_MODIFIED = "not_modified", "Not modified"
        HTTP_ERROR = "http_error", "HTTP error"
        NETWORK_ERROR = "network_error", "Network error"
        TOO_LARGE = "too_large", "Too large"
        INVALID = "invalid", "Not a valid feed"
        BLOCKED = "blocked", "Blocked address"
        GONE = "gone", "Gone"
        MOVED = "moved", "Moved"
        DUPLICATE = "duplicate", "Duplicate of another show"

    feed_url = models.URLField(max_length=2048, unique=True)
    title = models.CharField(max_length=500, blank=True)
    slug = models.SlugField(max_length=120, unique=True)
    author = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True, help_text="Sanitised HTML from the feed.")
    artwork_url = models.URLField(max_length=2048, blank=True)
    website_url = models.URLField(max_length=2048, blank=True)
    language = models.CharField(max_length=20, blank=True, db_index=True)
    categories = models.ManyToManyField(Category, through="ShowCategory", related_name="shows")
    feed_categories = models.JSONField(default=list, blank=True, help_text="itunes:category.")
    explicit = models.BooleanField(default=False)
    complete = models.BooleanField(default=False, help_text="itunes:complete: no new episodes.")
    podcast_guid = models.CharField(max_length=64, blank=True)

    # Fetch state (conditional GET and scheduling).
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    body_hash = models.CharField(max_length=64, blank=True)
    last_fetch_status = models.CharField(
        max_length=20, choices=FetchStatus, default=FetchStatus.NEW
    )
    last_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveSmallIntegerField(default=0)
    poll_interval = models.DurationField(default=timedelta(hours=1))
    next_poll_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True)
    inactive_reason = models.CharField(max_length=500, blank=True)
    canonical = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        help_text="The show this feed duplicates or moved to.",
    )

    # Ranking figures, denormalised by scoring.ranking (recompute_rankings).
    score = models.FloatField(null=True, blank=True)
    scored_episode_count = models.PositiveIntegerField(default=0)
    rank = models.PositiveIntegerField(null=True, blank=True)
    dimension_averages = models.JSONField(default=dict, blank=True)
    score_trend = models.JSONField(default=list, blank=True)
    latest_episode_at = models.DateTimeField(null=True, blank=True)
    episode_count = models.PositiveIntegerField(default=0)

    # Kept current by the search module (PostgreSQL only; unused on SQLite).
    search_vector = SearchVectorField(null=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ShowQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        indexes = [
            # poll dispatcher: active shows WHERE next_poll_at <= now ORDER BY next_poll_at
            models.Index(fields=["active", "next_poll_at"], name="show_poll_due_idx"),
            # rankings page: ranked shows ORDER BY rank
            models.Index(fields=["rank"], name="show_rank_idx"),
            # "recent" sort on the rankings page
            models.Index(fields=["-latest_episode_at"], name="show_latest_idx"),
            # search: search_vector @@ websearch_to_tsquery(...)
            GinIndex(fields=["search_vector"], name="show_search_idx"),
        ]

    def __str__(self):
        return self.title or self.feed_url

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if search_index.touches(kwargs.get("update_fields"), ShowQuerySet.search_fields):
            search_index.write_on_commit(
                [search_index.show_doc(self.pk, self.title, self.author, self.description)]
            )

    def get_absolute_url(self):
        return slug_path("shows:detail", slug=self.slug)

    def delete(self, *args, **kwargs):
        # Its episodes and transcripts go with it (a cascade that calls no delete()).
        removed = [("show", self.pk)]
        if search_index.enabled():
            removed += [("episode", pk) for pk in self.episodes.values_list("pk", flat=True)]
            removed += [
                ("transcript", pk)
                for pk in self.episodes.filter(transcript__isnull=False).values_list(
                    "transcript", flat=True
                )
            ]
        search_index.write_on_commit(removed=removed)
        return super().delete(*args, **kwargs)


class ShowCategory(models.Model):
    """A show's place in one category, with its rank there."""

    show = models.ForeignKey(Show, on_delete=models.CASCADE)
    category = models.ForeignKey(Category, on_delete=models.CASCADE)
    rank = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["show", "category"], name="unique_show_category")
        ]
        indexes = [
            # category page: shows in a category ORDER BY rank
            models.Index(fields=["category", "rank"], name="showcategory_rank_idx"),
        ]

    def __str__(self):
        return f"{self.show} in {self.category}"


class FeedFetch(models.Model):
    """One poll of a show's feed and what came of it, for editors watching feed health."""

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="fetches")
    url = models.URLField(max_length=2048)
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Show.FetchStatus)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    new_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"
        indexes = [
            # show admin inline and pruning: a show's fetches ORDER BY started_at DESC
            models.Index(fields=["show", "-started_at"], name="feedfetch_show_latest_idx"),
            # fetch log list: all fetches ORDER BY started_at DESC, filtered by status
            models.Index(fields=["-started_at", "status"], name="feedfetch_latest_idx"),
        ]

    def __str__(self):
        return f"{self.show} at {self.started_at:%Y-%m-%d %H:%M}: {self.get_status_display()}"
