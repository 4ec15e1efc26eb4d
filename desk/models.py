"""The editors' activity log, and the dashboard's place in the admin."""

from django.conf import settings
from django.db import models


class Activity(models.Model):
    """One thing an editor did: hide, unhide, re-score, poll now, merge, delete, correct a score,
    release or reject a score held for review, rename or merge speakers, correct the words,
    edit an episode's or a transcript's details, add, rename, merge, split or hide people (with
    what it was before and after).

    Append-only, like the override log it mirrors: rows are written by desk.activity and never
    edited. Episode and show links survive as text (`subject`) when the row they point at goes.
    """

    class Action(models.TextChoices):
        HIDE = "hide", "Hid episode"
        UNHIDE = "unhide", "Unhid episode"
        RESCORE = "rescore", "Queued re-scoring"
        POLL = "poll", "Polled now"
        MERGE = "merge", "Merged show"
        UNMERGE = "unmerge", "Unmerged show"
        DELETE_SHOW = "delete_show", "Deleted show"
        OVERRIDE_SET = "override_set", "Set a score"
        OVERRIDE_CHANGE = "override_change", "Changed a score"
        OVERRIDE_REVERT = "override_revert", "Reverted a score"
        RELEASE_HOLD = "release_hold", "Released a held score"
        REJECT_HOLD = "reject_hold", "Rejected a held score"
        RENAME_SPEAKER = "rename_speaker", "Renamed a speaker"
        MERGE_SPEAKERS = "merge_speakers", "Merged two speakers"
        CORRECT_TEXT = "correct_text", "Corrected the words"
        EDIT_EPISODE = "edit_episode", "Edited an episode"
        EDIT_TRANSCRIPT = "edit_transcript", "Edited a transcript"
        ADD_PERSON = "add_person", "Added a person"
        EDIT_PERSON = "edit_person", "Edited a person"
        RENAME_PERSON = "rename_person", "Renamed a person"
        MERGE_PEOPLE = "merge_people", "Merged people"
        SPLIT_PERSON = "split_person", "Split a person"
        HIDE_PERSON = "hide_person", "Hid a person's page"
        UNHIDE_PERSON = "unhide_person", "Unhid a person's page"
        NAME_SPEAKER = "name_speaker", "Named a speaker's person"

    action = models.CharField(max_length=20, choices=Action)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    editor_name = models.CharField(max_length=300, blank=True)
    episode = models.ForeignKey(
        "episodes.Episode", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    show = models.ForeignKey(
        "shows.Show", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    override = models.ForeignKey(
        "scoring.EditorialOverride",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # People's changes (merges, splits, renames, hides); the name stays in `subject`.
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # activity_person_idx below leads with it
    )
    subject = models.CharField(max_length=1000, blank=True, help_text="What was acted on.")
    detail = models.TextField(blank=True)
    before = models.TextField(blank=True, help_text="What the change replaced.")
    after = models.TextField(blank=True, help_text="What the change made.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "activity"
        verbose_name_plural = "activity log"
        indexes = [
            models.Index(fields=["episode", "-created_at"], name="activity_episode_idx"),
            models.Index(fields=["show", "-created_at"], name="activity_show_idx"),
            models.Index(fields=["editor", "-created_at"], name="activity_editor_idx"),
            models.Index(fields=["action", "-created_at"], name="activity_action_idx"),
            # a person's history in the log (?person=ID)
            models.Index(fields=["person", "-created_at"], name="activity_person_idx"),
        ]

    def __str__(self):
        return f"{self.editor_name or 'Someone'}: {self.get_action_display()} {self.subject}"


class Dashboard(models.Model):
    """No table: gives the dashboard its place (and its view permission) in the admin."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = "dashboard"
        verbose_name_plural = "dashboard"

    def __str__(self):
        return "Dashboard"
