"""Editors' corrections of people: rename, merge, split, hide and unhide, and naming a voice.

Each is one transaction that logs what it was before and after (desk.activity.record_person).
The sweep (people.sweep) keeps what editors did: it matches a name to the person already on
the episode first, so a split or a merge stands after re-ingestion; a rename keeps the old name
as an alias, so the feed's spelling still finds the renamed person; a hidden page stays hidden,
as the sweep never touches `hidden`.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count

from desk import activity, transcript_edits
from desk.models import Activity
from desk.transcript_edits import EditRefused
from episodes.models import Transcript
from episodes.transcripts.names import clean_name
from people.identity import create_person
from people.models import Appearance, Person
from people.sweep import strike

Action = Activity.Action
MAX_REASON_CHARS = 2000


class PeopleEditRefused(Exception):
    """An edit of people that cannot be made; the message is for the editor, as is."""


def _summary(person: Person) -> str:
    count = person.appearances.count()
    return f"{person.name} ({person.slug}, {count} appearance{'s' if count != 1 else ''})"


def _with_alias(aliases: list, *names: str) -> list:
    kept = [a for a in aliases if isinstance(a, str)]
    for name in names:
        if name and name.casefold() not in {a.casefold() for a in kept}:
            kept.append(name)
    return kept


def rename_person(person: Person, editor, name: str) -> Activity:
    """Give a person a new name; the old one stays an alias, the slug (the page's URL) stays."""
    try:
        new = clean_name(name)
    except ValidationError as exc:
        raise PeopleEditRefused(exc.messages[0]) from None
    old = person.name
    if new == old:
        raise PeopleEditRefused(f"{old} is already this person's name: nothing to change.")
    with transaction.atomic():
        person.name = new
        person.aliases = [a for a in _with_alias(person.aliases, old) if a != new]
        person.save(update_fields=["name", "aliases", "updated_at"])
        return activity.record_person(
            Action.RENAME_PERSON, editor, person, f"{old} → {new}.", before=old, after=new
        )


def merge_people(into: Person, others, editor) -> Activity:
    """Make `others` one person with `into`: their appearances, names and links move to it."""
    others = [p for p in others if p.pk != into.pk]
    if not others:
        raise PeopleEditRefused("Choose at least two people to merge.")
    with transaction.atomic():
        before = "\n".join(_summary(p) for p in [into, *others])
        taken = set(Appearance.objects.filter(person=into).values_list("episode_id", "role"))
        for other in others:
            for appearance in Appearance.objects.filter(person=other):
                if (appearance.episode_id, appearance.role) in taken:
                    continue  # the same appearance twice: the kept person's stands
                appearance.person = into
                appearance.save(update_fields=["person"])
                taken.add((appearance.episode_id, appearance.role))
            into.aliases = _with_alias(into.aliases, other.name, *other.aliases)
            for field in ("description", "image_url", "website", "href"):
                if not getattr(into, field) and getattr(other, field):
                    setattr(into, field, getattr(other, field))
            # A removal request for any of them holds for the one person they are.
            if other.hidden and not into.hidden:
                into.hidden, into.hidden_reason = True, other.hidden_reason
        into.aliases = [a for a in into.aliases if a.casefold() != into.name.casefold()]
        into.save()
        names = ", ".join(p.name for p in others)
        for other in others:
            other.delete()
        return activity.record_person(
            Action.MERGE_PEOPLE,
            editor,
            into,
            f"Merged {names} into {into.name}.",
            before=before,
            after=_summary(into),
        )


def split_person(person: Person, appearances, editor, name: str = "") -> tuple[Person, Activity]:
    """Move some of a person's appearances to a new person (two people who share a name)."""
    chosen = [a for a in appearances if a.person_id == person.pk]
    if not chosen or len(chosen) != len(appearances):
        raise PeopleEditRefused("Choose appearances of one person to split off.")
    if len(chosen) == person.appearances.count():
        raise PeopleEditRefused("Leave this person at least one appearance: rename them instead.")
    try:
        new_name = clean_name(name) if name else person.name
    except ValidationError as exc:
        raise PeopleEditRefused(exc.messages[0]) from None
    with transaction.atomic():
        before = _summary(person)
        new = create_person(new_name)
        Appearance.objects.filter(pk__in=[a.pk for a in chosen]).update(person=new)
        entry = activity.record_person(
            Action.SPLIT_PERSON,
            editor,
            person,
            f"{len(chosen)} appearance(s) of {person.name} are now {new.name} ({new.slug}).",
            before=before,
            after=f"{_summary(person)}\n{_summary(new)}",
        )
    return new, entry


def remove_appearances(appearances, editor) -> list[Activity]:
    """Take people off episodes they are not on; the sources that named them are not heeded."""
    entries = []
    with transaction.atomic():
        for appearance in appearances:
            person, episode = appearance.person, appearance.episode
            what = f"{person.name} ({appearance.get_role_display()}) on {episode.title}"
            before = _summary(person)
            strike([appearance])
            entries.append(
                activity.record_person(
                    Action.EDIT_PERSON,
                    editor,
                    person,
                    f"Took {what} off the episode ({appearance.get_source_display()} said so).",
                    before=before,
                    after=_summary(person),
                    episode=episode,
                )
            )
    return entries


def hide_people(people, editor, reason: str) -> list[Activity]:
    """Hide these people's pages (a removal request); the reason is required and logged."""
    reason = " ".join((reason or "").split())[:MAX_REASON_CHARS]
    if not reason:
        raise PeopleEditRefused("Say why the page is hidden: the reason goes in the activity log.")
    entries = []
    with transaction.atomic():
        for person in people:
            if person.hidden:
                continue
            person.hidden, person.hidden_reason = True, reason
            person.save(update_fields=["hidden", "hidden_reason", "updated_at"])
            entries.append(
                activity.record_person(
                    Action.HIDE_PERSON, editor, person, reason, before="shown", after="hidden"
                )
            )
    return entries


def unhide_people(people, editor) -> list[Activity]:
    """Show these people's pages again."""
    entries = []
    with transaction.atomic():
        for person in people:
            if not person.hidden:
                continue
            was = person.hidden_reason
            person.hidden, person.hidden_reason = False, ""
            person.save(update_fields=["hidden", "hidden_reason", "updated_at"])
            entries.append(
                activity.record_person(
                    Action.UNHIDE_PERSON, editor, person, "", before=f"hidden: {was}", after="shown"
                )
            )
    return entries


def name_speaker(episode, editor, *, version: str, label: str, person: Person) -> Activity:
    """Say which person speaks as `label` on this episode (the review screen's speaker tools).

    The transcript's speaker takes the person's name (a logged rename, re-scored), and the
    person's appearance on the episode gets the label: an editor's appearance when no source
    had them on it. The sweep reads the same from the renamed transcript.
    """
    with transaction.atomic():
        transcript = Transcript.objects.filter(episode=episode).first()
        # Already this name: only the tie to the person is new.
        if transcript is None or transcript.names.get(label) != person.name:
            try:
                transcript_edits.rename_speaker(
                    episode, editor, version=version, label=label, name=person.name
                )
            except EditRefused as exc:
                raise PeopleEditRefused(str(exc)) from None
        label = label[:40]
        before = ", ".join(
            a.person.name
            for a in Appearance.objects.filter(episode=episode, speaker_label=label).select_related(
                "person"
            )
        )
        Appearance.objects.filter(episode=episode, speaker_label=label).exclude(
            person=person
        ).update(speaker_label="")
        mine = Appearance.objects.filter(episode=episode, person=person)
        if mine.exists():
            mine.update(speaker_label=label)
        else:
            Appearance.objects.create(
                person=person,
                episode=episode,
                role=Appearance.Role.GUEST,
                speaker_label=label,
                source=Appearance.Source.EDITOR,
            )
        return activity.record_person(
            Action.NAME_SPEAKER,
            editor,
            person,
            f"Speaker {label} of “{episode.title}” is {person.name}.",
            before=before or f"Speaker {label}",
            after=person.name,
            episode=episode,
        )


def people_with_counts():
    """People with their number of appearances (the desk's list)."""
    return Person.objects.annotate(appearance_count=Count("appearances"))
