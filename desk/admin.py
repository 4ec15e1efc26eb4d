"""The editors' desk in the admin: the review screen, the activity log and the dashboard.

The desk is the top of the admin: it registers the episode, transcript, scorecard, run,
override and show admins of the layers below (each model once, extending their classes), adds
the review screen and its links, and logs what editors change (hide with a reason, unhide,
re-score, poll now, merges, deletions, field and speaker edits, corrections of the words) in
one activity log. Score corrections reach that log from the override log (desk.receivers).
"""

import dataclasses
import functools
import json
import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter, helpers
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.db.models import Count, QuerySet
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRefresh

from core.models import ApiKey
from desk import activity, api_keys, people_edits, transcript_edits
from desk.dashboard import dashboard_data
from desk.forms import CorrectSegmentForm, MergeSpeakersForm, OverrideForm, RenameSpeakerForm
from desk.models import Activity, Dashboard
from desk.people_edits import PeopleEditRefused
from desk.review import TOTAL_KEY, review_data, review_episodes, speaker_rows
from desk.transcript_edits import EditRefused, speaker_labels
from episodes.admin import EpisodeForm, TranscriptAdmin
from episodes.models import Episode, Transcript, listed_q
from episodes.poll_queue import queue_polls
from episodes.transcripts.names import clean_name
from people.clean import clean_image
from people.models import Appearance, Person
from scoring import outliers
from scoring.admin import (
    EditorialOverrideAdmin,
    ScorecardAdmin,
    ScoredEpisodeAdmin,
    ScoringRunAdmin,
)
from scoring.models import (
    EditorialOverride,
    OverrideConflict,
    OverrideRefused,
    RubricDimension,
    Scorecard,
    ScoringRun,
)
from scoring.tasks import score_episode
from shows.admin import ShowAdmin
from shows.models import Show

logger = logging.getLogger(__name__)
BUSY = "The database was busy and nothing was saved: try again."
MAX_REASON_CHARS = 2000
HIDE_NEEDS_REASON = "Say why it is hidden: the reason goes in the activity log."


def review_url(episode_id: int) -> str:
    return reverse("admin:episodes_episode_review", args=[episode_id])


def review_link(episode_id: int, label: str = "Review"):
    return format_html('<a class="review-link" href="{}">{}</a>', review_url(episode_id), label)


class ReasonActionForm(helpers.ActionForm):
    """The action bar, with the reason a hide must give (it goes in the activity log)."""

    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_CHARS,
        label="Reason (to hide)",
        widget=forms.TextInput(attrs={"size": 30}),
    )


class LoggedActions:
    """Logs what the admin actions named in activity.LOGGED_ADMIN_ACTIONS change."""

    action_form = ReasonActionForm

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        for name, action in actions.items():
            if name in activity.LOGGED_ADMIN_ACTIONS:
                actions[name] = dataclasses.replace(action, func=_logged(action.func, name))
        return actions


def _logged(func, name):
    action = activity.LOGGED_ADMIN_ACTIONS[name]

    @functools.wraps(func)
    def run(modeladmin, request, queryset):
        reason = " ".join(request.POST.get("reason", "").split())[:MAX_REASON_CHARS]
        if action == Activity.Action.HIDE and not reason:
            modeladmin.message_user(request, f"Nothing hidden. {HIDE_NEEDS_REASON}", messages.ERROR)
            return None
        targets = activity.targets_of(action, queryset)
        response = func(modeladmin, request, queryset)
        activity.record_admin_action(action, request.user, targets, reason)
        return response

    return run


def field_changes(form, exclude=()) -> tuple[str, str, str] | None:
    """What a saved admin form changed, for the log: (which fields, before, after)."""
    names = [name for name in form.changed_data if name not in exclude]
    if not names:
        return None
    labels = [str(form.fields[name].label or name) for name in names]
    before = "\n".join(f"{name}: {_shown(form.initial.get(name))}" for name in names)
    after = "\n".join(f"{name}: {_shown(form.cleaned_data.get(name))}" for name in names)
    return "Changed " + ", ".join(labels) + ".", before, after


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, QuerySet)):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


class DeskEpisodeForm(EpisodeForm):
    """The episode form, with the reason a hide must give."""

    hide_reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_CHARS,
        label="Why hide it",
        help_text="Required to hide the episode; it goes in the activity log.",
    )

    def clean(self):
        data = super().clean()
        # A new episode is not on the site yet: hiding one that is is what needs a reason.
        hiding = self.instance.pk and "hidden" in self.changed_data and data.get("hidden")
        if hiding and not (data.get("hide_reason") or "").strip():
            self.add_error("hide_reason", HIDE_NEEDS_REASON)
        return data


class DeskEpisodeAdmin(LoggedActions, ScoredEpisodeAdmin):
    """Episodes, with the review screen: the whole job of judging and correcting a score."""

    list_display = [*ScoredEpisodeAdmin.list_display, "review"]
    form = DeskEpisodeForm

    def get_urls(self):
        review = path(
            "<path:object_id>/review/",
            self.admin_site.admin_view(self.review_view),
            name="episodes_episode_review",
        )
        return [review, *super().get_urls()]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        (name, options), *rest = fieldsets
        rest = [
            (title, {**opts, "fields": _after(opts["fields"], "hidden", "hide_reason")})
            for title, opts in rest
        ]
        return [(name, {**options, "fields": [*options["fields"], "review"]}), *rest]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            return
        if "hidden" in form.changed_data:
            action = Activity.Action.HIDE if obj.hidden else Activity.Action.UNHIDE
            reason = " ".join((form.cleaned_data.get("hide_reason") or "").split())
            activity.record_episodes(action, request.user, [obj.pk], reason)
        changes = field_changes(form, exclude=("hidden", "hide_reason"))
        if changes:
            detail, before, after = changes
            activity.record_edit(
                Activity.Action.EDIT_EPISODE, request.user, obj, detail, before=before, after=after
            )

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for inline in formset.initial_forms:
            changes = field_changes(inline) if inline.instance.pk else None
            if changes and isinstance(inline.instance, Transcript):
                log_transcript_edit(request.user, inline.instance, changes, inline.changed_data)

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "review"]

    @admin.display(description="Review")
    def review(self, obj):
        return review_link(obj.pk, "Review the score") if obj.pk else "-"

    # --- the review screen ---------------------------------------------------------------

    def review_view(self, request, object_id):
        episode = review_episodes().filter(pk=_int(object_id)).first()
        if episode is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, episode):
            raise PermissionDenied
        can_correct = request.user.has_perm("scoring.add_editorialoverride")
        can_change = self.has_change_permission(request, episode)
        can_edit_transcript = request.user.has_perm("episodes.change_transcript")
        bound = {}
        edits = {"editing": _int(request.GET.get("edit"))}
        partial = ""
        status = 200
        if request.method == "POST":
            op = request.POST.get("op", "")
            if op in ("hide", "unhide", "rescore"):
                if not can_change:
                    raise PermissionDenied
                response = self._episode_action(request, episode, op)
                if not isinstance(response, str):
                    return response
                edits["hide_error"] = response
            elif op in TRANSCRIPT_OPS:
                if not can_edit_transcript:
                    raise PermissionDenied
                response = self._edit_transcript(request, episode, op)
                if not isinstance(response, dict):
                    return response
                edits.update(response)
                partial = "segment" if op == CORRECT_TEXT else "speakers"
            elif op == NAME_SPEAKER:
                if not (can_edit_transcript and request.user.has_perm("people.change_person")):
                    raise PermissionDenied
                return self._name_speaker(request, episode)
            elif op in (RELEASE_HOLD, REJECT_HOLD):
                # Publishing a score (or keeping it off the site) is a judgement of the score:
                # the same permission as correcting one.
                if not can_correct:
                    raise PermissionDenied
                return self._decide_hold(request, episode, op)
            elif op not in (OverrideForm.SAVE, OverrideForm.REVERT):
                messages.error(request, "Nothing was saved: the form was not understood.")
                return redirect(review_url(episode.pk))
            else:
                if not can_correct:
                    raise PermissionDenied
                response = self._save_override(request, episode, op)
                if not isinstance(response, OverrideForm):
                    return response
                bound[request.POST.get("target")] = response
                status = 409 if getattr(response, "conflict", None) else 200
        elif edits["editing"] and _htmx_target(request) == f"seg-{edits['editing']}":
            partial = "segment"
        data = review_data(episode)
        episode_people = _speaker_people(episode, data["speakers"])
        for target in data["targets"]:
            target.form = bound.get(target.key) or OverrideForm(
                prefix=target.key,
                maximum=target.max_score,
                initial={
                    "version": target.version,
                    "score": target.current.score if target.current else None,
                },
            )
        context = {
            **self.admin_site.each_context(request),
            **data,
            **self._edit_forms(data, edits),
            "opts": self.opts,
            "title": f"Review: {episode.title}",
            "subtitle": None,
            # The scores and the transcript need the width more than the app list does.
            "is_nav_sidebar_enabled": False,
            "episode": episode,
            "show": episode.show,
            "can_correct": can_correct,
            "can_change": can_change,
            "can_edit_transcript": can_edit_transcript and data["transcript"] is not None,
            "episode_people": episode_people,
            "can_name_people": can_edit_transcript
            and data["transcript"] is not None
            and request.user.has_perm("people.change_person"),
            "review_path": review_url(episode.pk),
            "public_url": (
                episode.get_absolute_url()
                if Episode.objects.filter(listed_q(), pk=episode.pk).exists()
                else ""
            ),
            "links": self._links(episode, data),
        }
        request.current_app = self.admin_site.name
        template = "admin/desk/review.html"
        if partial == "segment" and context["edited_segment"] is None:
            partial = ""  # no such segment: the whole page, with the error above the transcript
        if partial and _htmx_target(request):
            # An htmx swap of the part that was edited: the speakers, or one segment.
            template += f"#{partial}"
            if partial == "segment":
                context["segment"] = context["edited_segment"]
        return TemplateResponse(request, template, context, status=status)

    def _edit_forms(self, data, edits) -> dict:
        """The transcript's correction forms: bound (with their errors) where one failed."""
        editing = edits.get("editing") or 0
        segments = data["segments"]
        edited = segments[editing - 1] if 0 < editing <= len(segments) else None
        version = data["transcript_version"]
        rename = edits.get("rename")
        placed = False
        for row in data["speakers"]:
            if rename is not None and rename.prefix == f"speaker-{row['number']}":
                row["form"], placed = rename, True
            else:
                row["form"] = RenameSpeakerForm(
                    prefix=f"speaker-{row['number']}",
                    initial={"version": version, "label": row["label"]},
                )
        segment_form = edits.get("segment_form")
        if edited is not None:
            edited["editing"] = True
            edited["form"] = segment_form or CorrectSegmentForm(
                prefix="segment",
                initial={"version": version, "number": editing, "text": edited["text"]},
            )
        # A form that has no place on the screen (its row or segment is not there) says why
        # above the transcript.
        unplaced = (rename if rename is not None and not placed else None) or (
            segment_form if segment_form is not None and edited is None else None
        )
        return {
            "merge_form": edits.get("merge_form")
            or MergeSpeakersForm(
                prefix="merge",
                labels=_speaker_choices(data["speakers"]),
                initial={"version": version},
            ),
            "edited_segment": edited,
            "hide_error": edits.get("hide_error", ""),
            "transcript_error": " ".join(
                message for errors in unplaced.errors.values() for message in errors
            )
            if unplaced is not None
            else "",
        }

    def _edit_transcript(self, request, episode, op):
        """Make one correction of the transcript; the bound forms when it was not made."""
        transcript = getattr(episode, "transcript", None)
        if transcript is None:
            messages.error(request, "Nothing was saved: this episode has no transcript.")
            return redirect(review_url(episode.pk))
        if op == RENAME_SPEAKER:
            # Each speaker's row has its own form, named by the row's number.
            rows = range(len(speaker_labels(transcript)) + 1)
            number = next((n for n in rows if f"speaker-{n}-label" in request.POST), 0)
            form = RenameSpeakerForm(request.POST, prefix=f"speaker-{number}")
            key, place = "rename", "#speakers"
        elif op == MERGE_SPEAKERS:
            form = MergeSpeakersForm(
                request.POST, prefix="merge", labels=_speaker_choices(speaker_rows(transcript))
            )
            key, place = "merge_form", "#speakers"
        else:
            form = CorrectSegmentForm(request.POST, prefix="segment")
            key, place = "segment_form", ""
        if not form.is_valid():
            return _refused(form, key)
        data = form.cleaned_data
        try:
            if op == RENAME_SPEAKER:
                done = transcript_edits.rename_speaker(
                    episode,
                    request.user,
                    version=data["version"],
                    label=data["label"],
                    name=data["name"],
                )
            elif op == MERGE_SPEAKERS:
                done = transcript_edits.merge_speakers(
                    episode,
                    request.user,
                    version=data["version"],
                    label=data["label"],
                    into=data["into"],
                )
            else:
                done = transcript_edits.correct_segment(
                    episode,
                    request.user,
                    version=data["version"],
                    number=data["number"],
                    text=data["text"],
                )
                place = f"#seg-{data['number']}"
        except EditRefused as exc:
            form.add_error(None, str(exc))
            return _refused(form, key)
        except OperationalError:
            logger.exception("Correcting the transcript of episode %s failed", episode.pk)
            form.add_error(None, BUSY)
            return _refused(form, key)
        messages.success(
            request,
            f"{done.get_action_display()}: {done.detail} The conversation analysis is updated; "
            "the episode is being re-scored.",
        )
        if _htmx_target(request):
            # The score, the analysis and the quotes may all have changed: load the page again
            # (a redirect to the same page with an anchor would only scroll).
            return HttpResponseClientRefresh()
        return redirect(review_url(episode.pk) + place)

    def _name_speaker(self, request, episode):
        """Tie a speaker label to one of the episode's people (and name the speaker so)."""
        person = Person.objects.filter(
            pk=_int(request.POST.get("person")), appearances__episode=episode
        ).first()
        if person is None:
            messages.error(request, "Nothing was saved: choose one of this episode's people.")
            return redirect(review_url(episode.pk) + "#speakers")
        try:
            done = people_edits.name_speaker(
                episode,
                request.user,
                version=request.POST.get("version", ""),
                label=request.POST.get("label", ""),
                person=person,
            )
        except (PeopleEditRefused, EditRefused) as exc:
            messages.error(request, f"Nothing was saved: {exc}")
            return redirect(review_url(episode.pk) + "#speakers")
        except OperationalError:
            logger.exception("Naming a speaker of episode %s failed", episode.pk)
            messages.error(request, BUSY)
            return redirect(review_url(episode.pk) + "#speakers")
        messages.success(request, f"{done.get_action_display()}: {done.detail}")
        if _htmx_target(request):
            return HttpResponseClientRefresh()
        return redirect(review_url(episode.pk) + "#speakers")

    def _links(self, episode, data) -> dict:
        by_episode = urlencode({"episode__id__exact": episode.pk})
        links = {
            "change": reverse("admin:episodes_episode_change", args=[episode.pk]),
            "show": reverse("admin:shows_show_change", args=[episode.show_id]),
            "runs": reverse("admin:scoring_scoringrun_changelist") + "?" + by_episode,
            "overrides": reverse("admin:scoring_editorialoverride_changelist") + "?" + by_episode,
            "activity": reverse("admin:desk_activity_changelist")
            + "?"
            + urlencode({"episode": episode.pk}),
        }
        if data["transcript"] is not None:
            links["transcript"] = reverse(
                "admin:episodes_transcript_change", args=[data["transcript"].pk]
            )
        if data["scorecard"] is not None:
            links["scorecard"] = reverse(
                "admin:scoring_scorecard_change", args=[data["scorecard"].pk]
            )
        return links

    def _save_override(self, request, episode, op):
        """Record one correction; the bound form (with its errors) when it was not saved."""
        key = request.POST.get("target", "")
        if key == TOTAL_KEY:
            dimension, maximum = None, 100
        else:
            dimension = RubricDimension.objects.active().filter(key=key).first()
            if dimension is None:
                messages.error(request, "Nothing was saved: that score is not in the rubric.")
                return redirect(review_url(episode.pk))
            maximum = dimension.max_score
        form = OverrideForm(request.POST, prefix=key, maximum=maximum, op=op)
        if not form.is_valid():
            return form
        try:
            override = EditorialOverride.objects.record(
                episode=episode,
                dimension=dimension,
                editor=request.user,
                score=form.cleaned_data.get("score"),
                reason=form.cleaned_data.get("reason") or "",
                revert=op == OverrideForm.REVERT,
                version=form.cleaned_data["version"],
            )
        except OverrideConflict as exc:
            form.conflict = exc.latest
            form.add_error(None, str(exc))
            return form
        except OverrideRefused as exc:
            form.add_error(None, str(exc))
            return form
        except OperationalError:
            logger.exception("Saving a correction of episode %s failed", episode.pk)
            form.add_error(None, BUSY)
            return form
        name = override.target_name
        if override.action == EditorialOverride.Action.REVERT:
            messages.success(request, f"{name} is back to the model's score.")
        else:
            messages.success(request, f"{name} set to {override.score}.")
        if episode.hidden:
            messages.warning(request, "This episode is hidden: readers see it once it is shown.")
        return redirect(review_url(episode.pk) + f"#score-{key}")

    def _decide_hold(self, request, episode, op):
        """Release or reject the episode's score held for review (scoring.outliers), logged."""
        decide = outliers.release if op == RELEASE_HOLD else outliers.reject
        try:
            scorecard = decide(episode, request.user)
        except outliers.HoldRefused as exc:
            messages.error(request, str(exc))
            return redirect(review_url(episode.pk))
        except OperationalError:
            logger.exception("Deciding on the held score of episode %s failed", episode.pk)
            messages.error(request, BUSY)
            return redirect(review_url(episode.pk))
        if op == RELEASE_HOLD:
            activity.record_hold_decision(Activity.Action.RELEASE_HOLD, request.user, scorecard)
            messages.success(
                request,
                f"Released: {scorecard.total} / 100 is now the public score"
                + (
                    " (the editors' corrections still apply)."
                    if episode.overrides.current().exists()
                    else "."
                ),
            )
        else:
            activity.record_hold_decision(Activity.Action.REJECT_HOLD, request.user, scorecard)
            messages.success(request, f"Rejected: {scorecard.total} / 100 will not be published.")
        return redirect(review_url(episode.pk))

    def _episode_action(self, request, episode, op):
        """Hide, unhide or re-score the episode from its review screen (logged); the error to
        show when a hide gives no reason."""
        user = request.user
        if op in ("hide", "unhide"):
            hidden = op == "hide"
            reason = " ".join(request.POST.get("reason", "").split())[:MAX_REASON_CHARS]
            if hidden and not episode.hidden and not reason:
                return HIDE_NEEDS_REASON
            try:
                changed = Episode.objects.filter(pk=episode.pk).set_hidden(hidden)
            except OperationalError:
                messages.error(request, BUSY)
                return redirect(review_url(episode.pk))
            if changed:
                action = Activity.Action.HIDE if hidden else Activity.Action.UNHIDE
                activity.record_episodes(action, user, [episode.pk], reason)
            messages.success(
                request,
                ("Hidden from the public site." if hidden else "Shown on the public site again.")
                if changed
                else "Nothing to do: it already was.",
            )
        else:
            try:
                score_episode.delay(episode.pk, force=True)
            except Exception as exc:
                logger.exception("Could not queue re-scoring")
                messages.error(request, f"Could not queue the re-scoring: {exc}")
                return redirect(review_url(episode.pk))
            activity.record_episodes(Activity.Action.RESCORE, user, [episode.pk])
            messages.success(request, "Re-scoring queued.")
        return redirect(review_url(episode.pk))


RELEASE_HOLD = "release_hold"
REJECT_HOLD = "reject_hold"
RENAME_SPEAKER, MERGE_SPEAKERS, CORRECT_TEXT = "rename_speaker", "merge_speakers", "correct_text"
TRANSCRIPT_OPS = (RENAME_SPEAKER, MERGE_SPEAKERS, CORRECT_TEXT)
NAME_SPEAKER = "name_speaker"


def _speaker_people(episode, rows) -> list[Person]:
    """The episode's people; each speaker row gets the person whose voice it is, if known."""
    appearances = Appearance.objects.filter(episode=episode).select_related("person")
    by_label = {a.speaker_label: a.person for a in appearances if a.speaker_label}
    for row in rows:
        row["person"] = by_label.get(row["label"])
    return sorted({a.person_id: a.person for a in appearances}.values(), key=lambda p: p.name)


def _htmx_target(request) -> str:
    """The element an htmx request will swap ("" for a plain request or a history restore)."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request:
        return ""
    return htmx.target or ""


def _speaker_choices(rows) -> list[tuple[str, str]]:
    return [(row["label"], f"{row['name']} ({row['label']})") for row in rows]


def _refused(form, key: str) -> dict:
    """What the screen needs to show a correction that was not made: its form, in place."""
    edits = {key: form}
    if key == "segment_form":
        edits["editing"] = _int(form.data.get("segment-number"))
    return edits


def _after(fields, anchor, name) -> list:
    """`fields` with `name` placed right after `anchor` (when the anchor is there)."""
    if anchor not in fields:
        return list(fields)
    at = fields.index(anchor) + 1
    return [*fields[:at], name, *fields[at:]]


def log_transcript_edit(editor, transcript, changes, changed: list[str]) -> None:
    """Log an edit of a transcript's fields; new words or names are scored again."""
    detail, before, after = changes
    episode = Episode.objects.only("pk", "title", "show_id").get(pk=transcript.episode_id)
    activity.record_edit(
        Activity.Action.EDIT_TRANSCRIPT, editor, episode, detail, before=before, after=after
    )
    if "segments" in changed or "speaker_names" in changed:
        transcript_edits.rescore_on_commit(episode.pk, force="speaker_names" in changed)


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@admin.action(
    description="Release the selected held scores (publish them)", permissions=["correct"]
)
def release_held_scores(modeladmin, request, queryset):
    """Publish each selected scorecard held for review (scoring.outliers), logged per episode."""
    decide_held_scores(
        modeladmin, request, queryset, outliers.release, Activity.Action.RELEASE_HOLD, "Released"
    )


@admin.action(
    description="Reject the selected held scores (keep them off the site)", permissions=["correct"]
)
def reject_held_scores(modeladmin, request, queryset):
    """Keep each selected scorecard held for review off the site, logged per episode."""
    decide_held_scores(
        modeladmin, request, queryset, outliers.reject, Activity.Action.REJECT_HOLD, "Rejected"
    )


def decide_held_scores(modeladmin, request, queryset, decide, action, done: str) -> None:
    """Apply one editor's decision to each selected held scorecard, logged per episode."""
    decided = 0
    held = queryset.held()
    for episode in Episode.objects.filter(pk__in=held.values("episode_id")).order_by("pk"):
        try:
            scorecard = decide(episode, request.user)
        except outliers.HoldRefused:
            continue  # decided by someone else meanwhile
        activity.record_hold_decision(action, request.user, scorecard)
        decided += 1
    skipped = queryset.count() - decided
    modeladmin.message_user(
        request,
        f"{done} {decided} held score(s)"
        + (f"; {skipped} selected were not held." if skipped else "."),
        messages.SUCCESS if decided else messages.WARNING,
    )


class DeskScorecardAdmin(LoggedActions, ScorecardAdmin):
    list_display = [*ScorecardAdmin.list_display, "review"]
    actions = [*ScorecardAdmin.actions, release_held_scores, reject_held_scores]

    def has_correct_permission(self, request):
        """Releasing or rejecting a held score is a judgement of the score, like correcting
        one."""
        return request.user.has_perm("scoring.add_editorialoverride")

    @admin.display(description="Review")
    def review(self, obj):
        return review_link(obj.episode_id)


class DeskScoringRunAdmin(LoggedActions, ScoringRunAdmin):
    pass


class DeskEditorialOverrideAdmin(LoggedActions, EditorialOverrideAdmin):
    list_display = [*EditorialOverrideAdmin.list_display, "review"]

    @admin.display(description="Review")
    def review(self, obj):
        return review_link(obj.episode_id)


class DeskShowAdmin(LoggedActions, ShowAdmin):
    """Shows, with merges (setting "canonical") and deletions in the activity log, and polls
    handed to a worker at once."""

    def queue_polls(self, show_ids, *, force: bool) -> None:
        """Poll the shows outside the request, after commit (a worker, or a background thread
        without a broker)."""
        queue_polls(show_ids, force=force)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "canonical" in form.changed_data:
            if obj.canonical_id:
                activity.record_shows(
                    Activity.Action.MERGE, request.user, [obj.pk], f"Into {obj.canonical}."
                )
            else:
                activity.record_shows(Activity.Action.UNMERGE, request.user, [obj.pk])

    def delete_model(self, request, obj):
        activity.record_shows(Activity.Action.DELETE_SHOW, request.user, [obj.pk])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        activity.record_shows(Activity.Action.DELETE_SHOW, request.user, ids)
        super().delete_queryset(request, queryset)


class DeskTranscriptAdmin(TranscriptAdmin):
    """Transcripts, with edits of their fields (speaker names above all) in the activity log."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changes = field_changes(form) if change else None
        if changes:
            log_transcript_edit(request.user, obj, changes, form.changed_data)


# Each model's one admin: the classes of the layers below, extended by the desk.
admin.site.register(ApiKey, api_keys.ApiKeyAdmin)
admin.site.register(Episode, DeskEpisodeAdmin)
admin.site.register(Transcript, DeskTranscriptAdmin)
admin.site.register(Scorecard, DeskScorecardAdmin)
admin.site.register(ScoringRun, DeskScoringRunAdmin)
admin.site.register(EditorialOverride, DeskEditorialOverrideAdmin)
admin.site.register(Show, DeskShowAdmin)


class PersonActionForm(helpers.ActionForm):
    """The people list's action bar: why a page is hidden, and whom a merge keeps."""

    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_CHARS,
        label="Reason (to hide)",
        widget=forms.TextInput(attrs={"size": 24}),
    )
    into = forms.SlugField(
        required=False,
        label="Merge into (slug)",
        help_text="Empty: the one with the most appearances.",
        widget=forms.TextInput(attrs={"size": 16}),
    )


class PersonForm(forms.ModelForm):
    """A person, with the name an editor may give and the reason a hide must give."""

    name = forms.CharField(max_length=100, validators=[clean_name])

    class Meta:
        model = Person
        fields = [
            "name",
            "slug",
            "description",
            "image_url",
            "website",
            "href",
            "hidden",
            "hidden_reason",
        ]

    def clean_image_url(self):
        # Shown on the public page, never fetched: https on the public web only.
        url = self.cleaned_data.get("image_url") or ""
        if url and not clean_image(url):
            raise forms.ValidationError("Give an https image address on the public web.")
        return url

    def clean(self):
        data = super().clean()
        hiding = data.get("hidden") and not (self.instance.pk and self.instance.hidden)
        if hiding and not (data.get("hidden_reason") or "").strip():
            self.add_error("hidden_reason", HIDE_NEEDS_REASON)
        return data


class AppearanceInline(admin.TabularInline):
    model = Appearance
    extra = 0
    fields = ("episode", "role", "speaker_label", "source", "created_at")
    readonly_fields = ("source", "created_at")
    raw_id_fields = ("episode",)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """People: add, correct, rename, merge and hide (splits are on the appearances' list).

    Every change is logged with what it was before and after (desk.people_edits).
    """

    form = PersonForm
    action_form = PersonActionForm
    list_display = ("name", "slug", "description", "appearance_count", "hidden", "updated_at")
    list_filter = ("hidden",)
    search_fields = ("name", "slug", "href")
    readonly_fields = ("aliases", "created_at", "updated_at")
    inlines = [AppearanceInline]
    actions = ["merge_people", "hide_people", "unhide_people"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(appearance_count=Count("appearances"))

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # A page's address stays what it was: a rename keeps the slug.
        return [*fields, "slug"] if obj else fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else {"slug": ("name",)}

    @admin.display(description="Appearances", ordering="appearance_count")
    def appearance_count(self, obj):
        link = reverse("admin:people_appearance_changelist") + "?" + urlencode({"person": obj.pk})
        return format_html('<a href="{}">{}</a>', link, obj.appearance_count)

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            activity.record_person(
                Activity.Action.ADD_PERSON, request.user, obj, "Added.", after=obj.name
            )
            return
        # Name and visibility go through people_edits (alias kept, reason logged).
        name, hidden, reason = obj.name, obj.hidden, obj.hidden_reason
        renamed = "name" in form.changed_data
        hiding = "hidden" in form.changed_data
        if renamed:
            obj.name = form.initial["name"]
        if hiding:
            obj.hidden, obj.hidden_reason = form.initial["hidden"], form.initial["hidden_reason"]
        super().save_model(request, obj, form, change)
        changes = field_changes(form, exclude=("name", "hidden", "hidden_reason"))
        if changes:
            activity.record_person(
                Activity.Action.EDIT_PERSON,
                request.user,
                obj,
                changes[0],
                before=changes[1],
                after=changes[2],
            )
        if renamed:
            people_edits.rename_person(obj, request.user, name)
        if hiding and hidden:
            people_edits.hide_people([obj], request.user, reason)
        elif hiding:
            people_edits.unhide_people([obj], request.user)

    def save_formset(self, request, form, formset, change):
        # What an editor adds here is the editor's word, and the sweep leaves it alone.
        for inline in formset.forms:
            if not inline.instance.pk and not inline.instance.source:
                inline.instance.source = Appearance.Source.EDITOR
        instances = formset.save(commit=False)
        # A removed appearance stays removed: the sweep no longer heeds the source that gave it.
        people_edits.remove_appearances(formset.deleted_objects, request.user)
        for instance in instances:
            instance.save()

    @admin.action(description="Merge the selected people into one", permissions=["change"])
    def merge_people(self, request, queryset):
        people = list(queryset.order_by("-appearance_count", "pk"))
        slug = request.POST.get("into", "").strip()
        into = next((p for p in people if p.slug == slug), None) if slug else people[0]
        if into is None:
            self.message_user(request, f"Nothing merged: {slug} is not selected.", messages.ERROR)
            return
        try:
            done = people_edits.merge_people(into, people, request.user)
        except PeopleEditRefused as exc:
            self.message_user(request, f"Nothing merged: {exc}", messages.ERROR)
            return
        self.message_user(request, done.detail, messages.SUCCESS)

    @admin.action(description="Hide the selected people's pages", permissions=["change"])
    def hide_people(self, request, queryset):
        try:
            done = people_edits.hide_people(queryset, request.user, request.POST.get("reason", ""))
        except PeopleEditRefused as exc:
            self.message_user(request, f"Nothing hidden. {exc}", messages.ERROR)
            return
        self.message_user(request, f"Hid {len(done)} page(s).", messages.SUCCESS)

    @admin.action(description="Show the selected people's pages again", permissions=["change"])
    def unhide_people(self, request, queryset):
        done = people_edits.unhide_people(queryset, request.user)
        self.message_user(request, f"Showed {len(done)} page(s) again.", messages.SUCCESS)


class SplitActionForm(helpers.ActionForm):
    """The appearances' action bar: the name of the person a split makes."""

    name = forms.CharField(
        required=False,
        max_length=100,
        label="New person's name",
        help_text="Empty: the same name.",
        widget=forms.TextInput(attrs={"size": 24}),
    )


class PersonFilter(admin.SimpleListFilter):
    """?person=ID (from a person's appearance count): shown only while it filters."""

    title = "person"
    parameter_name = "person"

    def lookups(self, request, model_admin):
        person = Person.objects.filter(pk=_int(self.value())).only("name").first()
        return [(str(person.pk), person.name)] if person else []

    def queryset(self, request, queryset):
        return queryset.filter(person_id=_int(self.value())) if self.value() else queryset


@admin.register(Appearance)
class AppearanceAdmin(admin.ModelAdmin):
    """Who was on which episode, and which source says so; split a person from here."""

    action_form = SplitActionForm
    list_display = ("person", "episode", "show", "role", "speaker_label", "source", "created_at")
    list_filter = (PersonFilter, "role", "source")
    search_fields = ("person__name", "episode__title")
    list_select_related = ("person", "episode__show")
    raw_id_fields = ("person", "episode")
    readonly_fields = ("source", "created_at")
    actions = ["split_off"]

    @admin.display(description="Show")
    def show(self, obj):
        return obj.episode.show

    def save_model(self, request, obj, form, change):
        if not change:
            obj.source = Appearance.Source.EDITOR
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        people_edits.remove_appearances([obj], request.user)

    def delete_queryset(self, request, queryset):
        people_edits.remove_appearances(queryset.select_related("person", "episode"), request.user)

    @admin.action(description="Split off into a new person", permissions=["change"])
    def split_off(self, request, queryset):
        appearances = list(queryset.select_related("person"))
        person = appearances[0].person
        try:
            new, _ = people_edits.split_person(
                person, appearances, request.user, request.POST.get("name", "")
            )
        except PeopleEditRefused as exc:
            self.message_user(request, f"Nothing split: {exc}", messages.ERROR)
            return
        self.message_user(
            request,
            f"{len(appearances)} appearance(s) of {person.name} are now {new.name} ({new.slug}).",
            messages.SUCCESS,
        )


class EpisodeFilter(admin.SimpleListFilter):
    """?episode=ID (from the review screen): shown only while it filters."""

    title = "episode"
    parameter_name = "episode"

    def lookups(self, request, model_admin):
        episode = Episode.objects.filter(pk=_int(self.value())).only("title").first()
        return [(str(episode.pk), episode.title)] if episode else []

    def queryset(self, request, queryset):
        return queryset.filter(episode_id=_int(self.value())) if self.value() else queryset


class ShowFilter(admin.SimpleListFilter):
    """?show=ID: shown only while it filters."""

    title = "show"
    parameter_name = "show"

    def lookups(self, request, model_admin):
        show = Show.objects.filter(pk=_int(self.value())).only("title", "feed_url").first()
        return [(str(show.pk), str(show))] if show else []

    def queryset(self, request, queryset):
        return queryset.filter(show_id=_int(self.value())) if self.value() else queryset


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """One log of what editors did, filterable by episode, show, editor and action."""

    list_display = [
        "created_at",
        "editor_label",
        "action",
        "episode_link",
        "show_link",
        "detail",
        "before_and_after",
    ]
    list_filter = ["action", ("editor", RelatedOnlyFieldListFilter), EpisodeFilter, ShowFilter]
    search_fields = ["subject", "detail", "editor_name"]
    date_hierarchy = "created_at"
    list_select_related = ["episode", "show"]
    actions = None

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-pk")

    @admin.display(description="Editor", ordering="editor_name")
    def editor_label(self, obj):
        return obj.editor_name or "-"

    @admin.display(description="Episode")
    def episode_link(self, obj):
        if obj.episode_id:
            return format_html(
                '<a href="?{}">{}</a> · {}',
                urlencode({"episode": obj.episode_id}),
                obj.episode.title,
                review_link(obj.episode_id),
            )
        return obj.subject if not obj.show_id else "-"

    @admin.display(description="Before → after")
    def before_and_after(self, obj):
        if not (obj.before or obj.after):
            return "-"
        return format_html(
            '<del class="before">{}</del> → <ins class="after">{}</ins>',
            _clip(obj.before),
            _clip(obj.after),
        )

    @admin.display(description="Show")
    def show_link(self, obj):
        if obj.show_id:
            return format_html('<a href="?{}">{}</a>', urlencode({"show": obj.show_id}), obj.show)
        return obj.subject if obj.action in activity.SHOW_ACTIONS else "-"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    """Feed health, queues, spend and flagged scorecards on one page."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name="desk_dashboard_changelist",
            )
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            **dashboard_data(),
            "opts": self.opts,
            "title": "Editors' dashboard",
            "subtitle": None,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/desk/dashboard.html", context)
