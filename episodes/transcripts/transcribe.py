"""Our own transcripts: an episode's audio, through speech-to-text, into a Transcript.

Used when the publisher links no transcript or every link failed. The audio is streamed
through the HTTP seam (SSRF checks on every hop, PODINDEX_AUDIO_MAX_BYTES) into a temporary
file that is deleted whatever happens; episodes.asr decodes, transcribes and labels the
speakers. Every outcome is recorded on the episode: a retryable failure (network, provider)
as "transcription_failed" with the time of the next attempt (1 h, 6 h, 24 h, then 3 days
later), a permanent one (no speech, not English for an English-only model, too long, audio
over the size cap or at an address we refuse) or the last allowed attempt as
"untranscribable", each with its reason. Audio that answers 404 or 410 twice is not fetched
again until the feed names another URL.
"""

import logging
import re
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import http
from episodes.asr.errors import AsrError
from episodes.asr.pipeline import transcribe_file
from episodes.models import Episode, Transcript
from episodes.signals import transcript_changed
from episodes.transcripts.analysis import segments_hash

logger = logging.getLogger(__name__)

AUDIO_ACCEPT = "audio/*, video/*;q=0.5, */*;q=0.1"
# Statuses (Episode.transcript_status) of our own transcription.
WAITING = "to_transcribe"  # wanted, waiting for its turn
BUDGET_WAIT = "waiting_for_budget"  # today's budget or the show's share is spent
QUEUED = "transcribing"
DONE = "transcribed"
FAILED = "transcription_failed"  # may work later: tried again at asr_retry_at
UNTRANSCRIBABLE = "untranscribable"  # will not work: transcript_error says why
# Waits before the 2nd, 3rd, ... attempt; after the last one the episode is untranscribable.
RETRY_WAITS = (
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=24),
    timedelta(days=3),
)
# Download failures that say something about the audio, not about the moment.
PERMANENT_DOWNLOAD = (http.TooLarge, http.BlockedURL)
GONE_STATUSES = (404, 410)
# ASR errors that say something about the audio, not about the moment: no retry.
PERMANENT = {
    "unreadable_audio",
    "unsupported_codec",
    "truncated_audio",
    "no_speech",
    "too_long",
    "too_large",
    "unsupported_language",
}
# A temporary audio file older than this was left by a worker that was killed: removed.
STALE_AUDIO_SECONDS = 6 * 3600
# The longest a transcription may take per second of audio (a slow CPU, a cold model), and
# the floor: the task's time limit follows from the episode's duration.
SECONDS_PER_AUDIO_SECOND = 1.0
MIN_TIME_LIMIT = 10 * 60
# Self-introductions that let us put a name to a speaker label ("I'm your host, Eric").
INTRODUCTION = r"\b(?:i'm|i am|my name is|this is)\s+(?:your host,?\s+)?{name}\b"
INTRODUCTION_WINDOW = 180.0


def time_limit(episode: Episode) -> int:
    """Seconds the transcription task of this episode may run."""
    duration = episode.duration_seconds or settings.PODINDEX_ASR_MAX_SECONDS
    seconds = min(duration, settings.PODINDEX_ASR_MAX_SECONDS) * SECONDS_PER_AUDIO_SECOND
    return max(MIN_TIME_LIMIT, round(seconds))


def longest_time_limit() -> int:
    """The longest any transcription task may run under the current settings."""
    seconds = settings.PODINDEX_ASR_MAX_SECONDS * SECONDS_PER_AUDIO_SECOND
    return max(MIN_TIME_LIMIT, round(seconds))


def want(episode_ids) -> int:
    """These episodes need our transcript: the wanted ones among them wait for their turn.

    Whatever path led here (no link in the feed, every link failed, a publisher transcript
    removed), an episode not marked wanted when it was found is left alone: a new show's back
    catalogue is transcribed only on request.
    """
    return (
        Episode.objects.filter(pk__in=list(episode_ids), asr_wanted=True, transcript__isnull=True)
        .exclude(audio_url="")
        .exclude(transcript_status__in=[QUEUED, UNTRANSCRIBABLE, FAILED, BUDGET_WAIT])
        .update(transcript_status=WAITING, transcript_error="")
    )


def ask(episodes) -> int:
    """Someone asked for these episodes' transcription: wanted, with a fresh set of attempts."""
    return (
        episodes.filter(transcript__isnull=True)
        .exclude(audio_url="")
        .exclude(transcript_status=QUEUED)
        .update(
            asr_wanted=True,
            asr_attempts=0,
            asr_retry_at=None,
            audio_gone_url="",
            transcript_status=WAITING,
            transcript_error="",
        )
    )


def speaker_count(episode: Episode) -> int | None:
    """How many people speak, where the feed says (podcast:person hosts and guests)."""
    speaking = {
        person["name"].casefold()
        for person in episode.people or []
        if person.get("name") and person.get("role", "host") in ("host", "co-host", "guest")
    }
    return len(speaking) or None


def name_speakers(segments: list[dict], people: list[dict]) -> dict[str, str]:
    """Labels → names, only where a speaker introduces themself early on by that name."""
    names = {}
    for person in people or []:
        full = (person.get("name") or "").strip()
        first = full.split()[0] if full else ""
        if len(first) < 2:
            continue
        pattern = re.compile(INTRODUCTION.format(name=re.escape(first)), re.IGNORECASE)
        labels = {
            segment["speaker"]
            for segment in segments
            if (segment.get("start") or 0) <= INTRODUCTION_WINDOW
            and pattern.search(segment.get("text", ""))
        }
        # Two labels saying the same name, or one label two names: we do not know.
        if len(labels) == 1:
            names.setdefault(labels.pop(), []).append(full)
    return {label: found[0] for label, found in names.items() if len(found) == 1}


def needs_transcription(episode: Episode) -> bool:
    """An episode with audio and no transcript we would keep over ours."""
    return bool(episode.audio_url) and not Transcript.objects.filter(episode=episode).exists()


def transcribe_episode(episode_id: int, *, force: bool = False, progress=None):
    """Transcribe one episode by id and store the transcript; None when nothing was stored."""
    episode = Episode.objects.select_related("show").filter(pk=episode_id).first()
    if episode is None:
        return None
    existing = Transcript.objects.filter(episode=episode).first()
    if existing is not None and not force:
        # A publisher's or an editor's transcript beats ours; ours is not redone unasked.
        return existing
    if existing is not None and existing.source == Transcript.Source.EDITOR:
        return existing
    if not episode.audio_url:
        _set_status(episode, UNTRANSCRIBABLE, "no_audio: the feed gives no audio enclosure")
        return None
    _set_status(episode, QUEUED, "")
    Episode.objects.filter(pk=episode.pk).update(asr_attempts=F("asr_attempts") + 1)
    episode.refresh_from_db(fields=["asr_attempts", "audio_gone_url"])
    _remove_stale_audio()
    try:
        with tempfile.NamedTemporaryFile(dir=_audio_dir(), suffix=".audio") as audio:
            http.fetch(
                episode.audio_url,
                max_bytes=settings.PODINDEX_AUDIO_MAX_BYTES,
                accept=AUDIO_ACCEPT,
                total_timeout=settings.PODINDEX_AUDIO_FETCH_SECONDS,
                sink=audio,
            )
            audio.flush()
            return transcribe_audio(episode, Path(audio.name), progress=progress)
    except PERMANENT_DOWNLOAD as exc:
        record_failure(episode, f"download: {exc}", permanent=True)
        return None
    except http.FetchError as exc:
        gone = exc.http_status in GONE_STATUSES
        again = gone and episode.audio_gone_url == episode.audio_url
        if gone:
            Episode.objects.filter(pk=episode.pk).update(audio_gone_url=episode.audio_url)
        reason = "audio_gone: answered 404 or 410 twice; " if again else ""
        record_failure(episode, f"download: {reason}{exc}", permanent=again)
        return None


def record_failure(episode: Episode, reason: str, *, permanent: bool = False) -> None:
    """Record a failed attempt: tried again after a longer wait each time, or given up on."""
    attempts = episode.asr_attempts
    if permanent or attempts > len(RETRY_WAITS):
        if not permanent:
            reason = f"gave up after {attempts} attempts; the last: {reason}"
        _set_status(episode, UNTRANSCRIBABLE, reason)
        Episode.objects.filter(pk=episode.pk).update(asr_retry_at=None)
        return
    retry_at = timezone.now() + RETRY_WAITS[max(attempts, 1) - 1]
    _set_status(
        episode, FAILED, f"{reason} (attempt {attempts}; next after {retry_at:%Y-%m-%d %H:%M} UTC)"
    )
    Episode.objects.filter(pk=episode.pk).update(asr_retry_at=retry_at)


def transcribe_audio(episode: Episode, path: Path, *, progress=None) -> Transcript | None:
    """Transcribe an audio file of this episode and store it; failures are recorded."""
    started = time.monotonic()
    try:
        result = transcribe_file(path, speakers=speaker_count(episode), progress=progress)
    except AsrError as exc:
        record_failure(episode, f"{exc.status}: {exc}", permanent=exc.status in PERMANENT)
        return None
    logger.info(
        "Transcribed episode %s: %.0f s of audio in %.0f s",
        episode.pk,
        result.audio_seconds,
        time.monotonic() - started,
    )
    return _store(episode, result)


def _store(episode: Episode, result) -> Transcript:
    with transaction.atomic():
        # A publisher transcript that arrived meanwhile wins: ours is not written over it.
        current = Transcript.objects.select_for_update().filter(episode=episode).first()
        if current is not None and current.source != Transcript.Source.ASR:
            _set_status(episode, DONE, "")
            return current
        transcript = current or Transcript(episode=episode)
        changed = current is None or segments_hash(result.segments) != current.content_hash
        transcript.source = Transcript.Source.ASR
        transcript.source_url = episode.audio_url
        transcript.format = "asr"
        transcript.language = (result.language or "")[:20]
        transcript.segments = result.segments
        transcript.speaker_names = name_speakers(result.segments, episode.people)
        transcript.engine = result.engine
        transcript.model = result.model[:200]
        transcript.audio_seconds = result.audio_seconds
        transcript.wall_seconds = result.wall_seconds
        transcript.cpu_seconds = result.cpu_seconds
        transcript.cost_usd = Decimal(str(result.cost_usd or 0))
        transcript.low_confidence = result.low_confidence
        transcript.confidence = result.confidence
        transcript.save()
        _set_status(episode, DONE, "")
        if changed:
            transcript_changed.send(sender=Transcript, episode_id=episode.pk)
    return transcript


def _set_status(episode: Episode, status: str, error: str) -> None:
    episode.transcript_status = status
    episode.transcript_error = error[:5000]
    Episode.objects.filter(pk=episode.pk).update(
        transcript_status=status, transcript_error=episode.transcript_error
    )


def _audio_dir() -> Path:
    folder = Path(settings.PODINDEX_ASR_TMP_DIR or tempfile.gettempdir()) / "podindex-audio"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _remove_stale_audio() -> None:
    cutoff = time.time() - STALE_AUDIO_SECONDS
    for path in _audio_dir().glob("*.audio"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue
