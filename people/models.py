"""People (hosts and guests) and their appearances on episodes."""

from django.db import models
from django.db.models.functions import Lower

from core.paths import slug_path


class PersonQuerySet(models.QuerySet):
    def visible(self):
        """People whose pages may be shown (an editor hid none of them)."""
        return self.filter(hidden=False)


class Person(models.Model):
    """A host or guest, one per identity however many shows name them."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    # What a source said they do ("CFO at Acme"), never made up.
    description = models.CharField(max_length=200, blank=True)
    # podcast:person img: shown only when https, never fetched by us.
    image_url = models.URLField(max_length=2048, blank=True)
    website = models.URLField(max_length=2048, blank=True)
    # podcast:person href: the strongest identity key across shows.
    href = models.URLField(max_length=2048, blank=True, db_index=True)
    # Other spellings sources gave for this person (merges keep the losing names here).
    aliases = models.JSONField(default=list, blank=True)
    # An editor hid the page (e.g. a removal request); re-ingestion never clears it.
    hidden = models.BooleanField(default=False)
    hidden_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        indexes = [
            # identity: same name (case-insensitively) with the same image or website
            models.Index(Lower("name"), name="person_lower_name_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_path("people:detail", slug=self.slug)


class Appearance(models.Model):
    """A person on an episode in one role, with the source that says so."""

    class Role(models.TextChoices):
        # The cast group of the Podcasting 2.0 person taxonomy (values as feeds spell them,
        # lowercased): the roles of people one hears. Crew roles are not kept.
        HOST = "host", "Host"
        CO_HOST = "co-host", "Co-host"
        GUEST = "guest", "Guest"
        GUEST_HOST = "guest host", "Guest host"
        CAST_MEMBER = "cast member", "Cast member"
        NARRATOR = "narrator", "Narrator"
        ANNOUNCER = "announcer", "Announcer"
        REPORTER = "reporter", "Reporter"

    class Source(models.TextChoices):
        FEED = "feed", "Feed tag"
        SHOW_FEED = "show_feed", "Show's feed"
        PUBLISHER_TRANSCRIPT = "publisher_transcript", "Publisher's transcript"
        SELF_INTRODUCTION = "self_introduction", "Self-introduction"
        MODEL = "model", "Scoring model"
        BASELINE = "baseline", "Episode notes"
        EDITOR = "editor", "Editor"

    # No index of their own: the unique constraint's leads with person, and the
    # (episode, role) index below serves episode lookups.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="appearances", db_index=False
    )
    episode = models.ForeignKey(
        "episodes.Episode", on_delete=models.CASCADE, related_name="appearances", db_index=False
    )
    role = models.CharField(max_length=40, choices=Role.choices, default=Role.GUEST)
    # The transcript's voice label ("A", "SPEAKER_01", a VTT voice) when we know it is theirs.
    speaker_label = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=24, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "episode", "role"], name="appearance_person_episode_role"
            ),
        ]
        indexes = [
            # (person page and ranking, person_id = ..., use the unique constraint's index.)
            # episode page and the people sweep: an episode's people (episode_id = ...)
            models.Index(fields=["episode", "role"], name="appearance_episode_role_idx"),
        ]

    def __str__(self):
        return f"{self.person} ({self.get_role_display()}) on episode {self.episode_id}"


class EpisodePeople(models.Model):
    """What the people sweep last read for an episode: the hash of its inputs and what it refused.

    The hand-off from ingestion, transcription and scoring is this row, not a signal: an episode
    whose inputs hash differs from the stored one is swept again (people.sweep).
    """

    episode = models.OneToOneField(
        "episodes.Episode", on_delete=models.CASCADE, primary_key=True, related_name="people_state"
    )
    inputs_hash = models.CharField(max_length=64)
    # What the sources said that we did not keep: [{source, name, reason}], bounded.
    refused = models.JSONField(default=list, blank=True)
    # [name, role] pairs (names casefolded) an editor took off this episode: no source adds
    # them back, under the person's name or any of their aliases.
    struck = models.JSONField(default=list, blank=True)
    swept_at = models.DateTimeField()

    class Meta:
        verbose_name = "episode's people sweep"

    def __str__(self):
        return f"People of episode {self.episode_id}"


# The rows /people/ lists: its indexes cover only these.
RANKED = models.Q(rank__isnull=False)


class PersonRanking(models.Model):
    """A person's stored figures (people.ranking): what /people/ sorts and filters on.

    Kept apart from Person so that editors' writes and the ranking refresh never touch the
    same rows; a person with no listed appearance has none.
    """

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, primary_key=True, related_name="ranking"
    )
    # Shrunk towards the prior like a show's score (people.ranking); None until one is scored.
    score = models.FloatField(null=True, blank=True)
    # Distinct listed episodes they are on; of those, scored; as a guest; as a host.
    appearance_count = models.PositiveIntegerField(default=0)
    scored_count = models.PositiveIntegerField(default=0)
    guest_count = models.PositiveIntegerField(default=0)
    host_count = models.PositiveIntegerField(default=0)
    # Their latest episode's date (when we found it, where the feed gave none).
    latest_appearance_at = models.DateTimeField(null=True, blank=True)
    # Dense rank among visible people with enough scored appearances (None: not ranked).
    rank = models.PositiveIntegerField(null=True, blank=True)
    # The topics of their listed episodes, most frequent first: [{name, slug, episodes}].
    topics = models.JSONField(default=list, blank=True)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # /people/ by score: ranked people ORDER BY rank
            models.Index(
                fields=["rank", "person"], name="personranking_rank_idx", condition=RANKED
            ),
            # /people/?sort=recent and ?sort=appearances, walked in order until a page is full
            models.Index(
                fields=["-latest_appearance_at", "person"],
                name="personranking_recent_idx",
                condition=RANKED,
            ),
            models.Index(
                fields=["-scored_count", "person"], name="personranking_count_idx", condition=RANKED
            ),
        ]

    def __str__(self):
        return f"{self.person_id}: {self.score} (#{self.rank})"


class PersonCategory(models.Model):
    """A category a person speaks in (their scored episodes' shows), with their rank in it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="category_ranks")
    category = models.ForeignKey("shows.Category", on_delete=models.CASCADE, related_name="+")
    # Their scored appearances on the category's shows.
    appearances = models.PositiveIntegerField(default=0)
    rank = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "category"], name="person_category_unique"),
        ]
        indexes = [
            # /people/?category=…: a category's ranked people ORDER BY rank
            models.Index(
                fields=["category", "rank"],
                name="personcategory_rank_idx",
                condition=models.Q(rank__isnull=False),
            ),
            # The same list in another order (?sort=recent or appearances): each person of the
            # overall order is looked up in the category, one entry with their rank, where the
            # person's index read every category of theirs from the table.
            models.Index(
                fields=["category", "person"],
                include=["rank"],
                name="personcategory_member_idx",
                condition=models.Q(rank__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.person_id} in {self.category_id}: #{self.rank}"
