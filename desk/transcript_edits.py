"""Editors' corrections of a transcript: a speaker's name, two labels that are one person, the
words of one segment.

Each change is written under the episode's row lock, checked against the version the editor
saw, logged with what it was before and after, and followed on commit by a re-score: the
scorer reads the words and the speakers' names (the host/guest reading of two dimensions rests
on them), so a correction of either asks the question again. The conversation analysis and the
hash follow from Transcript.save().
"""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from desk import activity
from desk.models import Activity
from episodes.models import Episode, Transcript
from episodes.transcripts.names import clean_name, display_name
from people.sweep import refresh_episode
from scoring.tasks import score_episode

logger = logging.getLogger(__name__)
# A corrected segment may grow (a missed phrase put back), not become an essay.
MAX_SEGMENT_CHARS = 5000
STALE = "The transcript changed since you loaded it: reload to see it, then correct it again."


class EditRefused(Exception):
    """A correction that cannot be made; the message is for the editor, as is."""


@dataclass(frozen=True)
class Change:
    """What one correction did, for the log; `names_changed` asks for a forced re-score."""

    action: str
    detail: str
    before: str
    after: str
    names_changed: bool = False


def transcript_version(transcript: Transcript) -> str:
    """A short token of the words and names an editor saw (the forms' optimistic lock)."""
    payload = json.dumps([transcript.content_hash, transcript.speaker_names], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def speaker_labels(transcript: Transcript) -> list[str]:
    """The transcript's speaker labels in the order they first speak."""
    return list(dict.fromkeys(s.get("speaker") or "" for s in transcript.segments))


def rename_speaker(episode: Episode, editor, *, version: str, label: str, name: str) -> Activity:
    """Give the speaker with this label a name (a person's, or "Host" / "Guest")."""

    def change(transcript: Transcript) -> Change:
        if label not in speaker_labels(transcript):
            raise EditRefused(f"No speaker is labelled {label!r} in this transcript.")
        try:
            new = clean_name(name)
        except ValidationError as exc:
            raise EditRefused(exc.messages[0]) from None
        names = transcript.names
        old = display_name(names, label)
        if new == names.get(label):
            raise EditRefused(f"{old} is already the name of speaker {label}: nothing to change.")
        transcript.speaker_names = {**names, label: new}
        return Change(
            Activity.Action.RENAME_SPEAKER,
            f"Speaker {label}: {old} → {new}.",
            before=old,
            after=new,
            names_changed=True,
        )

    return _edit(episode, editor, version, change)


def merge_speakers(episode: Episode, editor, *, version: str, label: str, into: str) -> Activity:
    """Make every segment of `label` one of `into`: the recognition split one person in two."""

    def change(transcript: Transcript) -> Change:
        labels = speaker_labels(transcript)
        if label == into:
            raise EditRefused("Choose two different speakers to merge.")
        if label not in labels or into not in labels:
            raise EditRefused("Both speakers must be in this transcript.")
        names = transcript.names
        before = f"{display_name(names, label)} ({label}); {display_name(names, into)} ({into})"
        moved = 0
        for segment in transcript.segments:
            if (segment.get("speaker") or "") == label:
                segment["speaker"] = into
                moved += 1
        kept = names.pop(label, None)
        if into not in names and kept:
            names[into] = kept  # the only name the person had
        transcript.speaker_names = names
        after = f"{display_name(names, into)} ({into})"
        return Change(
            Activity.Action.MERGE_SPEAKERS,
            f"{moved} segment(s) of speaker {label} are now {after}.",
            before=before,
            after=after,
            names_changed=True,
        )

    return _edit(episode, editor, version, change)


def correct_segment(episode: Episode, editor, *, version: str, number: int, text: str) -> Activity:
    """Replace the words of segment `number` (1-based, as the review screen numbers them)."""

    def change(transcript: Transcript) -> Change:
        if not 1 <= number <= len(transcript.segments):
            raise EditRefused(f"This transcript has no segment {number}.")
        segment = transcript.segments[number - 1]
        old = segment.get("text") or ""
        new = " ".join((text or "").split())
        if not new:
            raise EditRefused("Give the words of the segment: a segment cannot be empty.")
        if len(new) > max(MAX_SEGMENT_CHARS, 2 * len(old)):
            raise EditRefused(f"A segment has at most {MAX_SEGMENT_CHARS} characters.")
        if new == " ".join(old.split()):
            raise EditRefused("That is what the segment says already: nothing to change.")
        segment["text"] = new
        who = display_name(transcript.names, segment.get("speaker") or "")
        return Change(
            Activity.Action.CORRECT_TEXT,
            f"Segment {number} ({who}).",
            before=old,
            after=new,
        )

    return _edit(episode, editor, version, change)


def _edit(episode: Episode, editor, version: str, change: Callable[[Transcript], Change]):
    with transaction.atomic():
        # Serialise editors (and the scorer) on this episode, then compare versions.
        if not Episode.objects.select_for_update().filter(pk=episode.pk).exists():
            raise EditRefused("This episode has been deleted.")
        transcript = Transcript.objects.filter(episode_id=episode.pk).first()
        if transcript is None:
            raise EditRefused("This episode has no transcript.")
        if transcript_version(transcript) != version:
            raise EditRefused(STALE)
        done = change(transcript)
        transcript.save()  # recomputes the hash, the word count and the conversation analysis
        entry = activity.record_edit(
            done.action, editor, episode, done.detail, before=done.before, after=done.after
        )
        # A rename leaves the words' hash as it was: without force the scorer would skip it.
        rescore_on_commit(episode.pk, force=done.names_changed)
        if done.names_changed:
            # The names are who the episode's people are: read them now, not at the next sweep.
            transaction.on_commit(lambda: refresh_episode(Episode.objects.get(pk=episode.pk)))
    return entry


def rescore_on_commit(episode_id: int, *, force: bool) -> None:
    """Score the episode again once the correction is committed."""
    transaction.on_commit(lambda: _rescore(episode_id, force))


def _rescore(episode_id: int, force: bool) -> None:
    try:
        score_episode.delay(episode_id, force=force)
    except Exception:
        # The correction is saved; a broker outage only delays the new score (the sweep of
        # transcripts whose words differ from their scorecard's picks text changes up).
        logger.exception("Could not queue re-scoring of episode %s after a correction", episode_id)
