"""The daily budget and the order of our own transcription.

Our engines are counted in hours of audio (PODINDEX_DAILY_ASR_AUDIO_HOURS), a provider's in
dollars (PODINDEX_DAILY_ASR_BUDGET_USD). What each attempt takes is a TranscriptionCharge row,
so every worker and command sees the same figures: written with an estimate from the feed's
duration when the attempt starts (workers starting at once cannot overspend) and settled to
what the transcript measured when it ends. The day is the UTC day.

One show may take at most PODINDEX_BUDGET_SHOW_SHARE of a day, and all the shows added in
the last PODINDEX_NEW_SHOW_DAYS together PODINDEX_BUDGET_NEW_SHOWS_SHARE: one feed, however
many episodes it lists, cannot use up what the other shows need. An episode that does not fit
waits ("waiting for budget") and goes first the next day; nothing is dropped.

Only episodes marked wanted are admitted (a show's latest few when they were found, or ones
someone asked for), newest first, ranked shows before the rest.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Q, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from episodes.models import Episode, Transcript, TranscriptionCharge
from episodes.transcripts import transcribe

# What an episode whose feed gives no duration is expected to last.
DEFAULT_EPISODE_SECONDS = 45 * 60
# Episodes looked at per admission, best first: enough to pass over shows whose share is spent.
CANDIDATES = 500
# Any constant: the key of the database lock that serialises admissions.
ADMISSION_LOCK = 1_700_017
# A queued task's lease outlives its time limit by this much (the worker's own start-up).
LEASE_MARGIN = 10 * 60
# The statuses of an episode waiting for our transcription, in the broker or not.
QUEUE_STATUSES = [
    transcribe.WAITING,
    transcribe.BUDGET_WAIT,
    transcribe.FAILED,
    transcribe.QUEUED,
]


def start_of_day(now: datetime | None = None) -> datetime:
    """Midnight UTC that begins the current budget day."""
    now = (now or timezone.now()).astimezone(UTC)
    return datetime.combine(now.date(), time.min, tzinfo=UTC)


def next_day(now: datetime | None = None) -> datetime:
    """When the budget resets."""
    return start_of_day(now) + timedelta(days=1)


def in_dollars() -> bool:
    """Whether the budget is counted in provider cost (api engine) rather than audio hours."""
    return settings.PODINDEX_ASR_ENGINE == "api"


def daily_budget() -> float:
    """The day's budget in its unit: USD for the api engine, else hours of audio."""
    if in_dollars():
        return float(settings.PODINDEX_DAILY_ASR_BUDGET_USD)
    return float(settings.PODINDEX_DAILY_ASR_AUDIO_HOURS)


def unit() -> str:
    return "USD" if in_dollars() else "audio hours"


def estimated_seconds(episode: Episode) -> float:
    """Seconds of audio we expect from the feed's duration, within the length we accept."""
    seconds = episode.duration_seconds or DEFAULT_EPISODE_SECONDS
    return float(min(seconds, settings.PODINDEX_ASR_MAX_SECONDS))


def estimated_usd(seconds: float) -> Decimal:
    """What a provider charges for this much audio, at PODINDEX_ASR_API_USD_PER_MINUTE."""
    rate = Decimal(str(settings.PODINDEX_ASR_API_USD_PER_MINUTE))
    return (Decimal(str(seconds)) / 60 * rate).quantize(Decimal("0.000001"))


@dataclass
class Spend:
    """Audio seconds and dollars taken by a set of charges (estimates until settled)."""

    seconds: float = 0.0
    usd: Decimal = field(default_factory=Decimal)

    def amount(self) -> float:
        """The figure the budget counts."""
        return float(self.usd) if in_dollars() else self.seconds / 3600

    def add(self, seconds: float, usd: Decimal) -> None:
        self.seconds += seconds
        self.usd += usd


def spend(charges) -> Spend:
    """What these charges took: settled ones what they measured, open ones their estimate."""
    totals = charges.aggregate(
        seconds=Sum(Coalesce("audio_seconds", "estimated_seconds")),
        usd=Sum(Coalesce("cost_usd", "estimated_usd")),
    )
    return Spend(totals["seconds"] or 0.0, totals["usd"] or Decimal(0))


def spent_today(**filters) -> Spend:
    """What today's attempts took (all shows, or those the filters name)."""
    return spend(TranscriptionCharge.objects.filter(created_at__gte=start_of_day(), **filters))


def new_show_since() -> datetime:
    return timezone.now() - timedelta(days=settings.PODINDEX_NEW_SHOW_DAYS)


class Ledger:
    """Today's spend, total, per show and for new shows, kept current while admitting."""

    def __init__(self):
        self.budget = daily_budget()
        self.total = spent_today()
        self.new_shows = spent_today(show__created_at__gte=new_show_since())
        self.shows: dict[int, Spend] = {}
        self.since = new_show_since()

    def show(self, show_id: int) -> Spend:
        if show_id not in self.shows:
            self.shows[show_id] = spent_today(show_id=show_id)
        return self.shows[show_id]

    def refusal(self, episode: Episode, seconds: float, usd: Decimal) -> str:
        """Why this episode does not fit today ("" when it does)."""
        cost = float(usd) if in_dollars() else seconds / 3600
        if self.total.amount() + cost > self.budget:
            return f"today's transcription budget ({self.budget:g} {unit()}) is spent"
        share = settings.PODINDEX_BUDGET_SHOW_SHARE * self.budget
        if self.show(episode.show_id).amount() + cost > share:
            return f"this show's share of today's budget ({share:g} {unit()}) is spent"
        share = settings.PODINDEX_BUDGET_NEW_SHOWS_SHARE * self.budget
        if episode.show.created_at >= self.since and self.new_shows.amount() + cost > share:
            return f"new shows' share of today's budget ({share:g} {unit()}) is spent"
        return ""

    def take(self, episode: Episode, seconds: float, usd: Decimal) -> None:
        self.total.add(seconds, usd)
        self.show(episode.show_id).add(seconds, usd)
        if episode.show.created_at >= self.since:
            self.new_shows.add(seconds, usd)


def candidates(now: datetime | None = None):
    """Episodes our transcription may take now, best first: wanted, without a transcript,
    not waiting out a back-off; a task whose lease ran out (its message was lost) again."""
    now = now or timezone.now()
    return (
        Episode.objects.filter(asr_wanted=True, transcript__isnull=True)
        .filter(transcript_status__in=QUEUE_STATUSES)
        .filter(Q(asr_retry_at__isnull=True) | Q(asr_retry_at__lte=now))
        .exclude(audio_url="")
        .select_related("show")
        .annotate(
            tier=Case(
                When(show__rank__isnull=False, then=0), default=1, output_field=IntegerField()
            )
        )
        .order_by("tier", F("published_at").desc(nulls_last=True), "-id")
    )


def revive_changed_audio() -> int:
    """Episodes given up on because their audio was gone, whose feed now names other audio."""
    return (
        Episode.objects.filter(transcript_status=transcribe.UNTRANSCRIBABLE, asr_wanted=True)
        .exclude(audio_gone_url="")
        .exclude(audio_url=F("audio_gone_url"))
        .exclude(audio_url="")
        .update(
            transcript_status=transcribe.WAITING,
            transcript_error="",
            asr_attempts=0,
            asr_retry_at=None,
        )
    )


def in_flight(now: datetime | None = None) -> int:
    """Attempts handed to a worker whose lease has not run out."""
    now = now or timezone.now()
    return Episode.objects.filter(transcript_status=transcribe.QUEUED, asr_retry_at__gt=now).count()


def admit(limit: int, *, narrow=None) -> list[tuple[Episode, int]]:
    """Take up to `limit` episodes, best first, that today's budget and shares allow.

    Each is marked queued with a lease (a task lost with its message is admitted again when
    the lease ends) and charged its estimate; (episode, charge id) pairs are returned. The
    ones that do not fit are marked "waiting for budget" with the reason and the time the
    budget resets. `narrow` (episodes) limits the candidates to an operator's selection.
    """
    now = timezone.now()
    admitted = []
    with transaction.atomic():
        _lock()
        revive_changed_audio()
        ledger = Ledger()
        resets = f"{next_day(now):%Y-%m-%d %H:%M} UTC"
        waiting = {}
        pool = candidates(now)
        if narrow is not None:
            pool = pool.filter(pk__in=narrow.values("pk"))
        for episode in pool[:CANDIDATES]:
            if len(admitted) >= limit:
                break
            seconds = estimated_seconds(episode)
            usd = estimated_usd(seconds) if in_dollars() else Decimal(0)
            reason = ledger.refusal(episode, seconds, usd)
            if reason:
                waiting[episode.pk] = f"Waiting for budget: {reason}; resumes after {resets}."
                continue
            ledger.take(episode, seconds, usd)
            charge = TranscriptionCharge.objects.create(
                episode=episode,
                show_id=episode.show_id,
                estimated_seconds=seconds,
                estimated_usd=usd,
            )
            lease = transcribe.time_limit(episode) + LEASE_MARGIN
            Episode.objects.filter(pk=episode.pk).update(
                transcript_status=transcribe.QUEUED,
                transcript_error="",
                asr_retry_at=now + timedelta(seconds=lease),
            )
            admitted.append((episode, charge.pk))
        for pk, reason in waiting.items():
            Episode.objects.filter(pk=pk).update(
                transcript_status=transcribe.BUDGET_WAIT, transcript_error=reason
            )
    return admitted


def charge(episode: Episode) -> int:
    """Charge an attempt someone forced past the budget (it still counts in the day's spend)."""
    seconds = estimated_seconds(episode)
    usd = estimated_usd(seconds) if in_dollars() else Decimal(0)
    return TranscriptionCharge.objects.create(
        episode=episode, show_id=episode.show_id, estimated_seconds=seconds, estimated_usd=usd
    ).pk


def settle(charge_id: int | None) -> None:
    """Set an attempt's charge to what its transcript measured; a failed attempt costs nothing."""
    if charge_id is None:
        return
    charge = TranscriptionCharge.objects.filter(pk=charge_id).first()
    if charge is None or charge.settled_at is not None:
        return
    made = Transcript.objects.filter(
        episode_id=charge.episode_id,
        source=Transcript.Source.ASR,
        updated_at__gte=charge.created_at,
    ).first()
    charge.audio_seconds = (made.audio_seconds or 0.0) if made else 0.0
    charge.wall_seconds = (made.wall_seconds or 0.0) if made else 0.0
    charge.cost_usd = made.cost_usd if made else Decimal(0)
    charge.settled_at = timezone.now()
    charge.save(update_fields=["audio_seconds", "wall_seconds", "cost_usd", "settled_at"])


def refund(charge_id: int) -> None:
    """An attempt that never reached a worker: its estimate is given back."""
    TranscriptionCharge.objects.filter(pk=charge_id, settled_at__isnull=True).update(
        audio_seconds=0.0, cost_usd=Decimal(0), settled_at=timezone.now()
    )


def _lock() -> None:
    # Admissions from several workers at once would each see the same spend and overspend;
    # SQLite (development) serialises writers by itself.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADMISSION_LOCK])


# --- What it will cost and what it cost -------------------------------------------------


def _in_budget_unit(seconds: float) -> float:
    return float(estimated_usd(seconds)) if in_dollars() else seconds / 3600


def estimate(episodes) -> dict:
    """Audio hours and provider cost these episodes would take, in the budget's unit too."""
    seconds = [estimated_seconds(episode) for episode in episodes]
    usd = estimated_usd(sum(seconds))
    hours = sum(seconds) / 3600
    return {
        "episodes": len(seconds),
        "audio_hours": hours,
        "usd": usd,
        "unknown_durations": sum(1 for episode in episodes if not episode.duration_seconds),
        "budget_amount": _in_budget_unit(sum(seconds)),
    }


def usage(now: datetime | None = None) -> dict:
    """Today's and the last 7 days' spend, against the daily budget, and the measured speed."""
    today = start_of_day(now)
    day = spent_today()
    week_charges = TranscriptionCharge.objects.filter(created_at__gte=today - timedelta(days=6))
    week = spend(week_charges)
    measured = week_charges.filter(settled_at__isnull=False, wall_seconds__gt=0).aggregate(
        audio=Sum("audio_seconds"), wall=Sum("wall_seconds")
    )
    return {
        "budget": daily_budget(),
        "unit": unit(),
        "today": day.amount(),
        "today_audio_hours": day.seconds / 3600,
        "today_usd": day.usd,
        "week_audio_hours": week.seconds / 3600,
        "week_usd": week.usd,
        "real_time_factor": (measured["audio"] / measured["wall"]) if measured["wall"] else None,
        "resets_at": next_day(now),
    }


def queue_summary() -> dict:
    """The episodes waiting for our transcription: how many, how much audio, how long."""
    waiting = Episode.objects.filter(
        asr_wanted=True, transcript__isnull=True, transcript_status__in=QUEUE_STATUSES
    ).exclude(audio_url="")
    totals = waiting.aggregate(
        known=Sum("duration_seconds"),
        unknown=Count("pk", filter=Q(duration_seconds__isnull=True) | Q(duration_seconds=0)),
        count=Count("pk"),
        budget_waiting=Count("pk", filter=Q(transcript_status=transcribe.BUDGET_WAIT)),
    )
    seconds = (totals["known"] or 0) + totals["unknown"] * DEFAULT_EPISODE_SECONDS
    factor = usage()["real_time_factor"]
    return {
        "episodes": totals["count"],
        "budget_waiting": totals["budget_waiting"],
        "audio_hours": seconds / 3600,
        "hours_to_empty": (seconds / 3600 / factor) if factor else None,
        "budget_days": (_in_budget_unit(seconds) / daily_budget()) if daily_budget() else None,
    }
