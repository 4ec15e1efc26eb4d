"""Fetching publisher transcripts (podcast:transcript) into Transcript rows.

Each link is tried in turn and each one's failure (fetch, parse, a parser crash, a value the
database refuses) is recorded with its reason before the next is tried; fetching an episode's
transcript never raises, so one bad file cannot stop a worker or a batch. Only the best
MAX_LINKS links are tried, all within one deadline per episode
(PODINDEX_TRANSCRIPT_EPISODE_SECONDS): an item listing a thousand slow links costs what one
ordinary episode may. Celery's soft time limit is the exception that does get through: the
worker asked the task to stop.
"""

import logging
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, transaction

from core import http
from core.text import xml_safe
from episodes.models import Episode, Transcript
from episodes.signals import transcript_changed
from episodes.transcripts.analysis import segments_hash
from episodes.transcripts.parse import CONTENT_TYPES, TranscriptError, parse_transcript

logger = logging.getLogger(__name__)

# Best first: JSON and VTT carry speakers and times, SRT times, HTML and text the least.
PREFERENCE = ("json", "vtt", "srt", "html", "text")
ACCEPT = "application/json, text/vtt, application/x-subrip, text/html;q=0.8, text/plain;q=0.7"
# Links of one episode tried at most; publishers link one per format and language.
MAX_LINKS = 5


class TranscriptStatus:
    """Values of Episode.transcript_status."""

    NONE = "none"  # the feed links no transcript
    PENDING = "pending"  # queued for fetching
    FETCHED = "fetched"
    FAILED = "failed"  # every link failed; transcript_error says why
    # Every link's file came but none could be read or stored (a parser crash included):
    # trying again will not help until the files change. transcript_error says why, per link.
    UNPARSEABLE = "unparseable"
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
    queues scoring when the stored words changed. Never raises: an unexpected error is
    recorded on the episode as a failure with its reason.
    """
    try:
        return _fetch_publisher_transcript(episode)
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        logger.exception("Fetching the transcript of episode %s failed", episode.pk)
        try:
            _set_status(episode, TranscriptStatus.FAILED, f"{type(exc).__name__}: {exc}")
        except DatabaseError:
            logger.exception("Could not record the failure on episode %s", episode.pk)
        return None


def _fetch_publisher_transcript(episode: Episode) -> Transcript | None:
    existing = Transcript.objects.filter(episode=episode).first()
    if existing is not None and existing.source == Transcript.Source.EDITOR:
        _set_status(episode, TranscriptStatus.KEPT, "")
        return existing
    links = ranked_links(episode.transcript_links, episode.show.language)[:MAX_LINKS]
    if not links:
        _set_status(episode, TranscriptStatus.NONE, "")
        return None
    errors, fetch_failed = [], False
    deadline = time.monotonic() + settings.PODINDEX_TRANSCRIPT_EPISODE_SECONDS
    for link in links:
        left = deadline - time.monotonic()
        if left <= 0:
            errors.append(f"{link['url']}: not tried: the episode's time for its links ran out")
            fetch_failed = True
            break
        try:
            result = http.fetch(
                link["url"],
                max_bytes=settings.PODINDEX_TRANSCRIPT_MAX_BYTES,
                accept=ACCEPT,
                total_timeout=left,
            )
        except http.FetchError as exc:
            errors.append(f"{link['url']}: {exc}")
            fetch_failed = True
            continue
        try:
            parsed = parse_transcript(
                result.body, content_type=result.content_type or link.get("type")
            )
        except SoftTimeLimitExceeded:
            raise
        except (Exception, RecursionError) as exc:
            # parse_transcript raises only TranscriptError; anything else is still this
            # link's failure, recorded, and the next link is tried.
            reason = str(exc) if isinstance(exc, TranscriptError) else type(exc).__name__
            errors.append(f"{link['url']}: unparseable: {reason}")
            continue
        if parsed.fallbacks:
            logger.info(
                "Transcript %s read as %s after: %s",
                link["url"],
                parsed.format,
                "; ".join(parsed.fallbacks),
            )
        try:
            return _store_publisher_transcript(episode, existing, link, parsed)
        except DatabaseError as exc:
            errors.append(f"{link['url']}: could not be stored: {type(exc).__name__}: {exc}")
            existing = Transcript.objects.filter(episode=episode).first()
    # A failed fetch may work later (FAILED is retried); files that came but could not be
    # read will not (UNPARSEABLE, retried by fetch_transcripts unless --skip-failed).
    status = TranscriptStatus.FAILED if fetch_failed else TranscriptStatus.UNPARSEABLE
    _set_status(episode, status, "\n".join(errors))
    return None


def _store_publisher_transcript(episode, existing, link, parsed) -> Transcript:
    # A savepoint: a value the database refuses rolls back this link's rows only.
    with transaction.atomic():
        transcript = existing or Transcript(episode=episode)
        changed = existing is None or segments_hash(parsed.segments) != existing.content_hash
        transcript.source = Transcript.Source.PUBLISHER
        transcript.source_url = link["url"]
        transcript.format = parsed.format
        transcript.language = (link.get("language") or episode.show.language or "")[:20]
        transcript.segments = parsed.segments
        transcript.speaker_names = parsed.speaker_names
        # Our model's doubts were about our words, which the publisher's replace.
        transcript.low_confidence = False
        transcript.confidence = {}
        transcript.save()
        _set_status(episode, TranscriptStatus.FETCHED, "")
        if changed:
            transcript_changed.send(sender=Transcript, episode_id=episode.pk)
    return transcript


def _set_status(episode: Episode, status: str, error: str) -> None:
    episode.transcript_status = status
    episode.transcript_error = xml_safe(error)[:5000]
    episode.save(update_fields=["transcript_status", "transcript_error", "updated_at"])


def missing_transcripts(include_failed: bool = True):
    """Episodes whose feed links a transcript we do not have yet."""
    statuses = [
        "",
        TranscriptStatus.PENDING,
        *([TranscriptStatus.FAILED, TranscriptStatus.UNPARSEABLE] if include_failed else []),
    ]
    return (
        Episode.objects.filter(transcript__isnull=True, transcript_status__in=statuses)
        .exclude(transcript_links=[])
        .select_related("show")
        .order_by("-published_at", "-id")
    )
