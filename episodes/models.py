"""Episodes, their transcripts and the topics they are filed under."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import connection, models
from django.db.models import F, Q
from django.db.models.expressions import RawSQL

from core import search_index
from core.loading import QuickLoad
from core.paths import slug_path
from core.search import Searchable
from episodes.signals import visibility_changed
from episodes.transcripts.analysis import refresh_transcript_derivatives
from episodes.transcripts.names import display_name, usable_names
from shows.models import active_show_q


class Topic(models.Model):
    """A subject episodes discuss, e.g. "FinOps" or "Pricing"."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_path("episodes:topic", slug=self.slug)


def listed_q(prefix: str = "") -> Q:
    """The one rule for which episodes the public sees: not hidden, from an active show that
    is not a duplicate of another. `prefix` reaches the episode from a related model."""
    return Q(**{f"{prefix}hidden": False}) & active_show_q(f"{prefix}show__")


class EpisodeQuerySet(Searchable, models.QuerySet):
    search_fields = ("title", "notes_html")
    # Phrases are looked up as pairs of adjacent words (migration 0009).
    search_word_pairs = True

    def listed(self):
        """Episodes a listener may see (listed_q)."""
        return self.filter(listed_q())

    def scored(self):
        """Listed episodes with a public score."""
        return self.listed().filter(score__isnull=False)

    def in_topic_order(self, topic):
        """These episodes filed under `topic`: best scored first, then latest, then newest key.

        PostgreSQL reads the order from the filings' copies of score and date (migration 0011),
        so a page walks the topic's index and stops; SQLite sorts the episodes' own columns.
        """
        filed = self.filter(topics=topic)
        if connection.vendor == "postgresql":
            # The join filter(topics=...) makes, under the table's own name.
            score, published_at, key = (
                RawSQL(f"episodes_episode_topics.{column}", ())  # noqa: S611 - constant names
                for column in ("score", "published_at", "episode_id")
            )
        else:
            score, published_at, key = F("score"), F("published_at"), F("pk")
        return filed.order_by(
            score.desc(nulls_last=True), published_at.desc(nulls_last=True), key.desc()
        )

    def set_hidden(self, hidden: bool) -> int:
        """Hide (or show again) these episodes and announce it, whatever path calls this."""
        ids = list(self.exclude(hidden=hidden).values_list("pk", flat=True))
        if ids:
            Episode.objects.filter(pk__in=ids).update(hidden=hidden)
            visibility_changed.send(sender=Episode, episode_ids=ids)
        return len(ids)


class Episode(QuickLoad, models.Model):
    """One item of a show's feed."""

    show = models.ForeignKey("shows.Show", on_delete=models.CASCADE, related_name="episodes")
    guid = models.CharField(max_length=1000)
    title = models.CharField(max_length=1000)
    slug = models.SlugField(max_length=120)
    published_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    audio_url = models.URLField(max_length=2048, blank=True)
    audio_type = models.CharField(max_length=100, blank=True)
    audio_size = models.BigIntegerField(null=True, blank=True)
    link = models.URLField(max_length=2048, blank=True)
    image_url = models.URLField(max_length=2048, blank=True)
    season = models.PositiveIntegerField(null=True, blank=True)
    number = models.PositiveIntegerField(null=True, blank=True)
    episode_type = models.CharField(max_length=20, blank=True)
    explicit = models.BooleanField(default=False)
    notes_html = models.TextField(blank=True, help_text="Sanitised HTML from the feed.")
    transcript_links = models.JSONField(
        default=list, blank=True, help_text="podcast:transcript: [{url, type, language, rel}]"
    )
    people = models.JSONField(
        default=list, blank=True, help_text="podcast:person: [{name, role, group, href, img}]"
    )
    chapters_url = models.URLField(max_length=2048, blank=True)
    podcast_guid = models.CharField(max_length=200, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="episodes")

    hidden = models.BooleanField(default=False, help_text="Hidden by an editor.")
    in_feed = models.BooleanField(default=True, help_text="Still listed in the show's feed.")
    transcript_status = models.CharField(max_length=20, blank=True)
    transcript_error = models.TextField(blank=True)
    # Our own transcription (episodes.transcripts.transcribe, episodes.asr_budget). Only
    # episodes marked wanted are transcribed without being asked: a show's latest few when
    # they were found, or ones an editor or operator asked for.
    # Database defaults: the feed's bulk upsert (episodes.feed_items) names its own columns.
    asr_wanted = models.BooleanField(db_default=False)
    asr_attempts = models.PositiveSmallIntegerField(db_default=0)
    # Not tried again before this time (back-off after a failure; a queued task's lease).
    asr_retry_at = models.DateTimeField(null=True, blank=True)
    # The audio URL that last answered 404 or 410: a second such answer ends the retries
    # until the feed names another.
    audio_gone_url = models.URLField(max_length=2048, blank=True, db_default="")

    # Effective substance score of the current scorecard (after editorial overrides),
    # denormalised by scoring.services so lists can sort and filter on it.
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    # Title and notes, kept current by the search module (PostgreSQL only).
    search_vector = SearchVectorField(null=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["show", "guid"], name="unique_episode_guid_per_show"),
            models.UniqueConstraint(fields=["show", "slug"], name="unique_episode_slug_per_show"),
        ]
        indexes = [
            # show page: a show's episodes ORDER BY published_at DESC
            models.Index(fields=["show", "-published_at"], name="episode_show_pub_idx"),
            # show page sorted by score; ranking aggregates per show
            models.Index(fields=["show", "-score"], name="episode_show_score_idx"),
            # home, site RSS and the API's newly scored: ORDER BY scored_at DESC, id DESC (the
            # key too, so rows scored at one instant are not all read and sorted for a page)
            models.Index(fields=["-scored_at", "-id"], name="episode_scored_at_idx"),
            # search: search_vector @@ websearch_to_tsquery(...)
            GinIndex(fields=["search_vector"], name="episode_search_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if search_index.touches(kwargs.get("update_fields"), EpisodeQuerySet.search_fields):
            search_index.write_on_commit(
                [search_index.episode_doc(self.pk, self.title, self.notes_html)]
            )

    def get_absolute_url(self):
        return slug_path("episodes:detail", show_slug=self.show.slug, slug=self.slug)

    def delete(self, *args, **kwargs):
        removed = [("episode", self.pk)]
        if search_index.enabled():
            removed += [
                ("transcript", pk)
                for pk in Transcript.objects.filter(episode=self).values_list("pk", flat=True)
            ]
        search_index.write_on_commit(removed=removed)
        return super().delete(*args, **kwargs)


class TranscriptQuerySet(models.QuerySet):
    def listed(self):
        """Transcripts of listed episodes."""
        return self.filter(listed_q("episode__"))


class Transcript(QuickLoad, models.Model):
    """The words of one episode, as timed, speaker-labelled segments."""

    class Source(models.TextChoices):
        PUBLISHER = "publisher", "Publisher"
        ASR = "asr", "Speech recognition"
        EDITOR = "editor", "Editor"

    episode = models.OneToOneField(Episode, on_delete=models.CASCADE, related_name="transcript")
    source = models.CharField(max_length=20, choices=Source, default=Source.PUBLISHER)
    source_url = models.URLField(max_length=2048, blank=True)
    format = models.CharField(max_length=20, blank=True, help_text="json, vtt, srt, html, text")
    language = models.CharField(max_length=20, blank=True)
    # Our own transcripts (source "asr"): what made them and what it cost.
    engine = models.CharField(max_length=20, blank=True, help_text="local or api")
    model = models.CharField(max_length=200, blank=True)
    audio_seconds = models.FloatField(null=True, blank=True)
    wall_seconds = models.FloatField(null=True, blank=True)
    cpu_seconds = models.FloatField(null=True, blank=True)
    cost_usd = models.DecimalField(max_digits=10, decimal_places=6, default=0)
    # Our model doubted its words (noise, a far voice, maybe another language) but did not
    # refuse them: editors should listen before trusting them. `confidence` holds the figures.
    low_confidence = models.BooleanField(default=False)
    confidence = models.JSONField(
        default=dict, blank=True, help_text="{words, word_probability, …, doubts}"
    )
    segments = models.JSONField(default=list, help_text="[{speaker, start, end, text}]")
    speaker_names = models.JSONField(
        default=dict, blank=True, help_text="Speaker label → display name."
    )
    content_hash = models.CharField(max_length=64, blank=True)
    word_count = models.PositiveIntegerField(default=0)
    # Conversation analysis (transcripts/analysis.py) of the segments, cached with their hash.
    analysis = models.JSONField(default=dict, blank=True)
    # Transcript words, kept current by a trigger (PostgreSQL only).
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TranscriptQuerySet.as_manager()

    class Meta:
        indexes = [
            # search: search_vector @@ websearch_to_tsquery(...)
            GinIndex(fields=["search_vector"], name="transcript_search_idx"),
        ]

    def __str__(self):
        return f"Transcript of {self.episode}"

    def save(self, *args, **kwargs):
        refresh_transcript_derivatives(self)
        super().save(*args, **kwargs)
        if search_index.touches(kwargs.get("update_fields"), ("segments",)):
            search_index.write_on_commit([search_index.transcript_doc(self.pk, self.segments)])

    def delete(self, *args, **kwargs):
        search_index.write_on_commit(removed=[("transcript", self.pk)])
        return super().delete(*args, **kwargs)

    @property
    def real_time_factor(self) -> float | None:
        """Seconds of audio transcribed per second of wall time."""
        if self.audio_seconds and self.wall_seconds:
            return self.audio_seconds / self.wall_seconds
        return None

    @property
    def names(self) -> dict[str, str]:
        """Label → name, leaving out whatever in speaker_names is not a usable name."""
        return usable_names(self.speaker_names)

    def display_name(self, label) -> str:
        """How the speaker with this label is shown."""
        return display_name(self.names, label)


class TranscriptionCharge(models.Model):
    """What one attempt at our own transcription took from the day's budget.

    Written when the attempt is handed to a worker (with the estimate from the feed's
    duration, so that workers running at once cannot overspend) and settled to what the
    transcript measured when it ends; a failed attempt costs nothing.
    """

    episode = models.ForeignKey(
        Episode, on_delete=models.SET_NULL, null=True, related_name="transcription_charges"
    )
    show = models.ForeignKey(
        "shows.Show", on_delete=models.SET_NULL, null=True, related_name="transcription_charges"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    estimated_seconds = models.FloatField(default=0)
    estimated_usd = models.DecimalField(max_digits=10, decimal_places=6, default=0)
    audio_seconds = models.FloatField(null=True, blank=True)
    wall_seconds = models.FloatField(null=True, blank=True)
    cost_usd = models.DecimalField(max_digits=10, decimal_places=6, null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["show", "created_at"], name="charge_show_created_idx"),
        ]

    def __str__(self):
        return f"Transcription of episode {self.episode_id} at {self.created_at:%Y-%m-%d %H:%M}"
