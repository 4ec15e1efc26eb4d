"""Writing the activity log: one row per episode or show an editor acted on."""

from desk.models import Activity
from episodes.models import Episode
from scoring.models import EditorialOverride, editor_label
from shows.admin import PARKED_AFTER
from shows.models import Show

Action = Activity.Action
# Who the log names for what the poller did on its own.
INGESTION = "Ingestion (automatic)"
# Admin actions (by name, on any model admin) and what the log calls them.
LOGGED_ADMIN_ACTIONS = {
    "hide": Action.HIDE,
    "hide_episodes": Action.HIDE,
    "unhide": Action.UNHIDE,
    "rescore_episodes": Action.RESCORE,
    "poll_now": Action.POLL,
}
SHOW_ACTIONS = {Action.POLL, Action.MERGE, Action.UNMERGE, Action.DELETE_SHOW}
OVERRIDE_ACTIONS = {
    EditorialOverride.Action.SET: Action.OVERRIDE_SET,
    EditorialOverride.Action.CHANGE: Action.OVERRIDE_CHANGE,
    EditorialOverride.Action.REVERT: Action.OVERRIDE_REVERT,
}


def record_episodes(action: str, editor, episode_ids, detail: str = "") -> list[Activity]:
    """Log one row per episode (with its show, so the log filters by show too)."""
    episodes = Episode.objects.filter(pk__in=list(episode_ids)).only("pk", "title", "show_id")
    return Activity.objects.bulk_create(
        Activity(
            action=action,
            editor=editor,
            editor_name=editor_label(editor),
            episode_id=episode.pk,
            show_id=episode.show_id,
            subject=episode.title[:1000],
            detail=detail,
        )
        for episode in episodes.order_by("pk")
    )


def record_edit(action: str, editor, episode, detail: str, *, before="", after="") -> Activity:
    """Log one change of an episode or its transcript, with what it was before and after."""
    return Activity.objects.create(
        action=action,
        editor=editor,
        editor_name=editor_label(editor),
        episode_id=episode.pk,
        show_id=episode.show_id,
        subject=episode.title[:1000],
        detail=detail,
        before=before,
        after=after,
    )


def record_person(
    action: str, editor, person, detail: str, *, before="", after="", episode=None
) -> Activity:
    """Log one change of a person (and the episode it was made on, if one), before and after."""
    return Activity.objects.create(
        action=action,
        editor=editor,
        editor_name=editor_label(editor),
        person=person,
        episode_id=episode.pk if episode else None,
        show_id=episode.show_id if episode else None,
        subject=person.name[:1000],
        detail=detail,
        before=before,
        after=after,
    )


def record_shows(action: str, editor, show_ids, detail: str = "") -> list[Activity]:
    """Log one row per show."""
    shows = Show.objects.filter(pk__in=list(show_ids)).only("pk", "title", "feed_url")
    return Activity.objects.bulk_create(
        Activity(
            action=action,
            editor=editor,
            editor_name=editor_label(editor),
            show_id=show.pk,
            subject=str(show)[:1000],
            detail=detail,
        )
        for show in shows.order_by("pk")
    )


def record_override(override: EditorialOverride) -> Activity:
    """Mirror one row of the override log (every path that writes one ends here)."""
    episode = override.episode
    if override.action == EditorialOverride.Action.REVERT:
        change = f"{override.target_name}: {override.before_score} → model's score"
    else:
        before = "model's" if override.before_score is None else override.before_score
        change = f"{override.target_name}: {before} → {override.score}"
    return Activity.objects.create(
        action=OVERRIDE_ACTIONS[override.action],
        editor=override.editor,
        editor_name=override.editor_label,
        episode=episode,
        show_id=episode.show_id,
        override=override,
        subject=episode.title[:1000],
        detail=f"{change}. {override.reason}",
    )


def episode_ids_of(queryset) -> list[int]:
    """The episodes behind a selection of episodes, scorecards, runs or overrides."""
    if queryset.model is Episode:
        return list(queryset.values_list("pk", flat=True))
    return sorted(set(queryset.values_list("episode_id", flat=True)))


def targets_of(action: str, queryset) -> list[int]:
    """Before an admin action runs: the ids it may change (shows or episodes)."""
    if action == Action.POLL:
        # Demo shows are never polled (shows.admin.ShowAdmin.poll_now): nothing to log.
        return list(queryset.exclude(next_poll_at__gte=PARKED_AFTER).values_list("pk", flat=True))
    if action in SHOW_ACTIONS:
        return list(queryset.values_list("pk", flat=True))
    ids = episode_ids_of(queryset)
    if action in (Action.HIDE, Action.UNHIDE):
        # Only those whose visibility the action changes.
        hidden = action == Action.HIDE
        return list(
            Episode.objects.filter(pk__in=ids, hidden=not hidden).values_list("pk", flat=True)
        )
    return ids


def record_admin_action(action: str, editor, ids, detail: str = "") -> None:
    """After an admin action ran: log what it changed (and why, when the editor said)."""
    if action in SHOW_ACTIONS:
        record_shows(action, editor, ids, detail)
        return
    if action in (Action.HIDE, Action.UNHIDE):
        hidden = action == Action.HIDE
        ids = Episode.objects.filter(pk__in=ids, hidden=hidden).values_list("pk", flat=True)
    record_episodes(action, editor, ids, detail)


def record_hold_decision(action: str, editor, scorecard) -> list[Activity]:
    """Log a release or rejection of a score held for review, with the score and why."""
    why = " ".join(scorecard.held_reasons) or "an outlier."
    if action == Action.RELEASE_HOLD:
        detail = f"Published {scorecard.total} / 100, held because: {why}"
    else:
        detail = f"Kept {scorecard.total} / 100 off the site, held because: {why}"
    return record_episodes(action, editor, [scorecard.episode_id], detail)


def record_ingestion_merge(show, canonical, reason: str) -> Activity:
    """Log a merge the poller made itself (a feed found to be another show's)."""
    return Activity.objects.create(
        action=Action.MERGE,
        editor=None,
        editor_name=INGESTION,
        show_id=show.pk,
        subject=str(show)[:1000],
        detail=f"Same feed as {canonical} ({reason}); {canonical} is kept.",
    )
