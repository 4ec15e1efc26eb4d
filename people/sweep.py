"""Keeping each episode's appearances in step with what its sources say.

The hand-off is database state, not signals: ingestion, transcription, editors and scoring
write the episode, its transcript or a scorecard; the sweep (every minute, people.tasks) finds
the episodes whose rows changed since it last read them, and reads an episode's people again
when the hash of its inputs differs from the stored one. Editors' appearances are never
touched by it.
"""

import logging
import time

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from episodes.models import Episode, Transcript
from people.identity import fill_blanks, find_person, new_person
from people.models import Appearance, EpisodePeople, Person
from people.sources import Inputs, claims
from scoring.models import Scorecard

logger = logging.getLogger(__name__)
SWEEP_BATCH = 200
# Beat starts a sweep every minute; each reads batches until none is left or this is spent, so
# the first pass over a catalogue is not held to one batch a minute.
SWEEP_SECONDS = 40.0


def episode_inputs(episode: Episode) -> Inputs:
    """What the episode's people are read from: its feed, transcript and current scorecard."""
    transcript = Transcript.objects.filter(episode=episode).only("source", "speaker_names").first()
    scorecard = Scorecard.objects.current().filter(episode=episode).only("guests").first()
    return Inputs(
        people=episode.people,
        show_author=episode.show.author,
        title=episode.title,
        notes_html=episode.notes_html,
        transcript_source=transcript.source if transcript else "",
        speaker_names=transcript.speaker_names if transcript else None,
        model_guests=scorecard.guests if scorecard else None,
    )


def refresh_episode(episode: Episode, *, force: bool = False) -> bool:
    """Read the episode's people again if its inputs changed; True when it did."""
    started = timezone.now()
    inputs = episode_inputs(episode)
    digest = inputs.digest()
    state = EpisodePeople.objects.filter(episode=episode).first()
    if state is not None and state.inputs_hash == digest and not force:
        EpisodePeople.objects.filter(pk=state.pk).update(swept_at=started)
        return False
    found, refused = claims(inputs)
    struck = {tuple(pair) for pair in state.struck} if state is not None else set()
    with transaction.atomic():
        _reconcile(episode, found, struck)
        EpisodePeople.objects.update_or_create(
            episode=episode,
            defaults={"inputs_hash": digest, "refused": list(refused), "swept_at": started},
        )
    if refused:
        logger.info("Episode %s: %d people claims refused", episode.pk, len(refused))
    return True


def _reconcile(episode: Episode, found, struck: set) -> None:
    existing = {(a.person_id, a.role): a for a in Appearance.objects.filter(episode=episode)}
    wanted = {}
    # One name on one episode is one person, whatever roles it is listed in.
    people = {}
    for claim in found:
        if (claim.key, claim.role) in struck:
            continue
        person = people.get((claim.key, claim.href)) or find_person(claim, episode)
        if person is None:
            person = new_person(claim)
        else:
            fill_blanks(person, claim)
        people[claim.key, claim.href] = person
        wanted.setdefault((person.pk, claim.role), claim)
    dropped = set()
    for key, appearance in existing.items():
        if appearance.source != Appearance.Source.EDITOR and key not in wanted:
            appearance.delete()
            dropped.add(appearance.person_id)
    for (person_id, role), claim in wanted.items():
        appearance = existing.get((person_id, role))
        if appearance is None:
            Appearance.objects.create(
                person_id=person_id,
                episode=episode,
                role=role,
                source=claim.source,
                speaker_label=claim.speaker_label,
            )
        elif appearance.source != Appearance.Source.EDITOR and (
            (appearance.source, appearance.speaker_label) != (claim.source, claim.speaker_label)
        ):
            appearance.source, appearance.speaker_label = claim.source, claim.speaker_label
            appearance.save(update_fields=["source", "speaker_label"])
    # A person no source names any more (a feed's typo fixed) goes, unless an editor's work
    # rests on them: a hidden page must stay hidden, aliases come from renames and merges.
    Person.objects.filter(pk__in=dropped, hidden=False, aliases=[]).exclude(
        Exists(Appearance.objects.filter(person=OuterRef("pk")))
    ).delete()


def strike(appearances) -> None:
    """Delete appearances an editor took off their episodes, so no sweep adds them back."""
    now = timezone.now()
    for appearance in appearances:
        state, _ = EpisodePeople.objects.get_or_create(
            episode_id=appearance.episode_id, defaults={"inputs_hash": "", "swept_at": now}
        )
        person = appearance.person
        for name in [person.name, *person.aliases]:
            pair = [str(name).casefold(), appearance.role]
            if pair not in state.struck:
                state.struck.append(pair)
        state.save(update_fields=["struck"])
        appearance.delete()


def changed_episodes():
    """Episodes never swept, or whose episode, transcript or scorecard rows changed since."""
    swept = OuterRef("people_state__swept_at")
    return Episode.objects.filter(
        Q(people_state__isnull=True)
        | Q(updated_at__gt=F("people_state__swept_at"))
        | Exists(Transcript.objects.filter(episode=OuterRef("pk"), updated_at__gt=swept))
        | Exists(
            Scorecard.objects.filter(episode=OuterRef("pk")).filter(
                Q(created_at__gt=swept) | Q(hold_decided_at__gt=swept)
            )
        )
    )


def sweep(limit: int = SWEEP_BATCH, seconds: float = SWEEP_SECONDS) -> int:
    """Refresh the people of changed episodes, `limit` at a time in id order, until none is left
    or `seconds` are spent; how many changed."""
    stop = time.monotonic() + seconds
    changed, after = 0, 0
    while True:
        # Onwards from the last batch, so an episode that still looks changed after its read
        # (a timestamp in the future) is not read again and again within one sweep.
        batch = list(
            changed_episodes().filter(pk__gt=after).select_related("show").order_by("pk")[:limit]
        )
        changed += sum(refresh_episode(episode) for episode in batch)
        if len(batch) < limit or time.monotonic() >= stop:
            return changed
        after = batch[-1].pk
