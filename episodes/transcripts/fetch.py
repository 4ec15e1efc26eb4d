"""Fetching publisher transcripts (podcast:transcript) into Transcript rows."""

import logging

from django.conf import settings
from django.db import transaction

from core import http
from episodes.models import Episode, Transcript
from episodes.signals import transcript_changed
from episodes.transcripts.analysis import segments_hash
from episodes.transcripts.parse import CONTENT_TYPES, TranscriptError, parse_transcript

logger = logging.getLogger(__name__)

# Best first: JSON and VTT carry speakers and times, SRT times, HTML and text the least.
PREFERENCE = ("json", "vtt", "srt", "html", "text")
ACCEPT = "application/json, text/vtt, application/x-subrip, text/html;q=0.8, text/plain;q=0.7"


class TranscriptStatus:
    """Values of Episode.transcript_status."""

    NONE = "none"  # the feed links no transcript
    PENDING = "pending"  # queued for fetching
    FETCHED = "fetched"
    FAILED = "failed"  # every link failed; transcript_error says why
    KEPT = "kept"  # an editor's transcript is not replaced by the publisher's


def ranked_links(links: list[dict], language: str = "") -> list[dict]:
    """Transcript links best first: by format preference, then the show's language first."""

    def rank(link: dict) -> tuple[int, int]:
        fmt = CONTENT_TYPES.get((link.get("type") or "").split(";")[0].strip().lower())
        lang = (link.get("language") or "").lower()
        same_language = not language or not lang or lang.split("-")[0] == language.split("-")[0]
        return (PREFERENCE.index(fmt) if fmt else len(PREFERENCE), 0 if same_language else 1)

    # rel="captions" files are transcripts too: a link needs only a URL.
    return sorted((link for link in links if link.get("url")), key=rank)


def fetch_publisher_transcript_by_id(episode_id: int) -> Transcript | None:
    """Fetch the transcript of an episode by id (no-op when the episode is gone)."""
    episode = Episode.objects.select_related("show").filter(pk=episode_id).first()
    return fetch_publisher_transcript(episode) if episode else None


def fetch_publisher_transcript(episode: Episode) -> Transcript | None:
    """Fetch the best of an episode's transcript links, parse it and store it.

    Falls back to the next link when one fails; records the outcome on the episode and
    queues scoring when the stored words changed.
    """
    existing = Transcript.objects.filter(episode=episode).first()
    if existing is not None and existing.source == Transcript.Source.EDITOR:
        _set_status(episode, TranscriptStatus.KEPT, "")
        return existing
    links = ranked_links(episode.transcript_links, episode.show.language)
    if not links:
        _set_status(episode, TranscriptStatus.NONE, "")
        return None
    errors = []
    for link in links:
        try:
            result = http.fetch(
                link["url"], max_bytes=settings.PODINDEX_TRANSCRIPT_MAX_BYTES, accept=ACCEPT
            )
            parsed = parse_transcript(
                result.body, content_type=result.content_type or link.get("type")
            )
        except (http.FetchError, TranscriptError) as exc:
            errors.append(f"{link['url']}: {exc}")
            continue
        return _store_publisher_transcript(episode, existing, link, parsed)
    _set_status(episode, TranscriptStatus.FAILED, "\n".join(errors))
    return None


def _store_publisher_transcript(episode, existing, link, parsed) -> Transcript:
    with transaction.atomic():
        transcript = existing or Transcript(episode=episode)
        changed = existing is None or segments_hash(parsed.segments) != existing.content_hash
        transcript.source = Transcript.Source.PUBLISHER
        transcript.source_url = link["url"]
        transcript.format = parsed.format
        transcript.language = (link.get("language") or episode.show.language or "")[:20]
        transcript.segments = parsed.segments
        transcript.speaker_names = parsed.speaker_names
        transcript.save()
        _set_status(episode, TranscriptStatus.FETCHED, "")
        if changed:
            transcript_changed.send(sender=Transcript, episode_id=episode.pk)
    return transcript


def _set_status(episode: Episode, status: str, error: str) -> None:
    episode.transcript_status = status
    episode.transcript_error = error[:5000]
    episode.save(update_fields=["transcript_status", "transcript_error", "updated_at"])


def missing_transcripts(include_failed: bool = True):
    """Episodes whose feed links a transcript we do not have yet."""
    statuses = [
        "",
        TranscriptStatus.PENDING,
        *([TranscriptStatus.FAILED] if include_failed else []),
    ]
    return (
        Episode.objects.filter(transcript__isnull=True, transcript_status__in=statuses)
        .exclude(transcript_links=[])
        .select_related("show")
        .order_by("-published_at", "-id")
    )
