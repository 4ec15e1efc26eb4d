"""Feed health and the work queues at a glance: what the dashboard shows."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, Sum, When
from django.utils import timezone

from core.queues import queue_lengths
from desk.models import Activity
from episodes import asr_budget
from episodes.models import Episode, Transcript
from episodes.transcripts import transcribe
from episodes.transcripts.fetch import TranscriptStatus
from scoring import budget
from scoring.models import DimensionScore, Scorecard, ScoringRun
from scoring.services import waiting_to_be_scored
from shows.admin import FAILED_STATUSES, PARKED_AFTER, fetch_status_label, next_poll_label
from shows.models import Show

LIST_ROWS = 20
RECENT = timedelta(hours=24)
# An editor's correction this far from the model's score (share of the maximum) is flagged.
LARGE_GAP_SHARE = 0.25
LARGE_TOTAL_GAP = 15


def dashboard_data() -> dict:
    since = timezone.now() - RECENT
    return {
        "feeds": feed_health(),
        "queues": queue_lengths(),
        "scoring": scoring_health(since),
        "transcripts": transcript_health(since),
        "transcription": transcription_budget(),
        "spend": {
            "spent": budget.spent_today(),
            "budget": budget.daily_budget(),
            "model": settings.PODINDEX_SCORING_MODEL,
            "runs": ScoringRun.objects.filter(started_at__gte=budget.start_of_day()).count(),
        },
        "flagged": flagged_scorecards(),
        "activity": Activity.objects.select_related("episode", "show")[:10],
        "since_hours": int(RECENT.total_seconds() // 3600),
    }


def feed_health() -> dict:
    """Failing feeds (worst first) with their error and next poll, and the demo shows."""
    failing = (
        Show.objects.filter(
            Q(consecutive_failures__gt=0)
            | Q(last_fetch_status__in=FAILED_STATUSES)
            | Q(active=False, canonical__isnull=True)
        )
        .exclude(next_poll_at__gte=PARKED_AFTER)
        .only(
            "title",
            "feed_url",
            "active",
            "inactive_reason",
            "canonical_id",
            "last_fetch_status",
            "last_error",
            "last_fetched_at",
            "consecutive_failures",
            "next_poll_at",
        )
        .order_by("-consecutive_failures", "next_poll_at", "pk")
    )
    rows = [
        {"show": show, "status": fetch_status_label(show), "next_poll": next_poll_label(show)}
        for show in failing[:LIST_ROWS]
    ]
    return {
        "failing": rows,
        "failing_count": failing.count(),
        "active_count": Show.objects.active().exclude(next_poll_at__gte=PARKED_AFTER).count(),
        "demo": list(Show.objects.filter(next_poll_at__gte=PARKED_AFTER).only("title", "feed_url")),
        "due_count": Show.objects.active().filter(next_poll_at__lte=timezone.now()).count(),
    }


def scoring_health(since) -> dict:
    failed = ScoringRun.objects.filter(started_at__gte=since, outcome=ScoringRun.Outcome.FAILED)
    return {
        "waiting": waiting_to_be_scored().count(),
        "held": Scorecard.objects.held().count(),
        "failed_count": failed.count(),
        "failed": list(failed.select_related("episode").order_by("-started_at")[:5]),
        "budget_skipped": ScoringRun.objects.filter(
            started_at__gte=since, outcome=ScoringRun.Outcome.BUDGET
        ).count(),
    }


def transcript_health(since) -> dict:
    """Publisher transcripts waiting and failed, and our own speech-to-text: its queue and
    what it made recently (two aggregate queries and the latest failures)."""
    failed = Episode.objects.filter(transcript_status=TranscriptStatus.FAILED)
    statuses = Episode.objects.aggregate(
        waiting=Count("pk", filter=Q(transcript_status=TranscriptStatus.PENDING)),
        failed_count=Count("pk", filter=Q(transcript_status=TranscriptStatus.FAILED)),
        failed_recently=Count(
            "pk", filter=Q(transcript_status=TranscriptStatus.FAILED, updated_at__gte=since)
        ),
        transcribing=Count("pk", filter=Q(transcript_status=transcribe.QUEUED)),
        to_transcribe=Count("pk", filter=Q(transcript_status=transcribe.WAITING)),
        budget_waiting=Count("pk", filter=Q(transcript_status=transcribe.BUDGET_WAIT)),
        transcription_failed=Count("pk", filter=Q(transcript_status=transcribe.FAILED)),
        untranscribable=Count("pk", filter=Q(transcript_status=transcribe.UNTRANSCRIBABLE)),
    )
    made = Transcript.objects.filter(source=Transcript.Source.ASR, updated_at__gte=since).aggregate(
        count=Count("pk"),
        audio=Sum("audio_seconds"),
        wall=Sum("wall_seconds"),
        cpu=Sum("cpu_seconds"),
        cost=Sum("cost_usd"),
    )
    return {
        **statuses,
        "made": made["count"],
        "audio_hours": (made["audio"] or 0) / 3600,
        "cpu_hours": (made["cpu"] or 0) / 3600,
        "real_time_factor": (made["audio"] / made["wall"]) if made["wall"] else None,
        "cost": made["cost"] or 0,
        "failed": list(
            failed.select_related("show")
            .only("title", "transcript_error", "updated_at", "show__title")
            .order_by("-updated_at")[:5]
        ),
    }


def transcription_budget() -> dict:
    """Our transcription's queue in audio hours, its spend today and over 7 days against the
    daily budget, and how long the queue takes to empty at the measured speed."""
    usage = asr_budget.usage()
    budget = usage["budget"]
    return {
        "queue": asr_budget.queue_summary(),
        "usage": usage,
        "in_dollars": asr_budget.in_dollars(),
        "today_share": (usage["today"] / budget) if budget else None,
        "week_budget": budget * 7,
    }


def flagged_scorecards() -> dict:
    """Current scorecards an editor should look at, with why: clamped scores, dimensions
    without verified evidence, corrections far from the model's score."""
    gap_dimensions = DimensionScore.objects.filter(scorecard=OuterRef("pk")).filter(
        Q(effective_score__gte=F("score") + F("dimension__max_score") * LARGE_GAP_SHARE)
        | Q(effective_score__lte=F("score") - F("dimension__max_score") * LARGE_GAP_SHARE)
    )
    # A score held for review is not current (not public): it waits here first.
    flagged = Scorecard.objects.held() | Scorecard.objects.current().filter(
        Q(needs_review=True)
        | Exists(gap_dimensions)
        | Q(episode__score__gte=F("total") + LARGE_TOTAL_GAP)
        | Q(episode__score__lte=F("total") - LARGE_TOTAL_GAP)
    )
    rows = []
    page = (
        flagged.select_related("episode", "episode__show")
        .prefetch_related(
            Prefetch("dimensions", DimensionScore.objects.select_related("dimension"))
        )
        .order_by(Case(When(hold=Scorecard.Hold.HELD, then=0), default=1), "-created_at", "-pk")[
            :LIST_ROWS
        ]
    )
    for scorecard in page:
        rows.append({"scorecard": scorecard, "reasons": flag_reasons(scorecard)})
    return {"rows": rows, "count": flagged.count()}


def flag_reasons(scorecard) -> list[str]:
    if scorecard.hold == Scorecard.Hold.HELD:
        # Its own figures are not public: the corrections below apply to the public scorecard.
        return ["Held, not public: " + " ".join(scorecard.held_reasons or ["an outlier"])]
    reasons = []
    dimensions = list(scorecard.dimensions.all())
    clamped = [d.dimension.name for d in dimensions if d.clamped]
    if clamped:
        reasons.append("Clamped: " + ", ".join(clamped))
    unsupported = [d.dimension.name for d in dimensions if not d.quotes]
    if unsupported:
        reasons.append("No verified evidence: " + ", ".join(unsupported))
    for d in dimensions:
        if d.effective_score is not None and abs(d.effective_score - d.score) >= (
            d.dimension.max_score * LARGE_GAP_SHARE
        ):
            reasons.append(f"{d.dimension.name}: corrected {d.score} → {d.effective_score}")
    episode_score = scorecard.episode.score
    if episode_score is not None and abs(episode_score - scorecard.total) >= LARGE_TOTAL_GAP:
        reasons.append(f"Total: corrected {scorecard.total} → {episode_score}")
    if not reasons and scorecard.needs_review:
        reasons.append("Flagged by the scorer")
    return reasons
