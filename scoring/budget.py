"""The daily LLM spend cap: once today's runs have spent it, scoring waits for tomorrow.

One show may spend at most PODINDEX_BUDGET_SHOW_SHARE of a day's budget, and all shows added
in the last PODINDEX_NEW_SHOW_DAYS together PODINDEX_BUDGET_NEW_SHOWS_SHARE: a feed of
hundreds of new items cannot leave the other shows' new episodes unscored.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from scoring.models import ScoringRun


def start_of_day(now: datetime | None = None) -> datetime:
    """Midnight (in the site's time zone) that begins the current budget day."""
    now = timezone.localtime(now or timezone.now())
    return datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)


def next_day(now: datetime | None = None) -> datetime:
    """When the budget resets."""
    return start_of_day(now) + timedelta(days=1)


def spent_today() -> Decimal:
    """USD spent today on scoring runs (failed ones too: they were billed). A provider's
    transcription has its own budget (episodes.asr_budget), so neither can use up the other."""
    scoring = ScoringRun.objects.filter(started_at__gte=start_of_day()).aggregate(s=Sum("cost_usd"))
    return scoring["s"] or Decimal(0)


def daily_budget() -> Decimal:
    return Decimal(str(settings.PODINDEX_DAILY_LLM_BUDGET_USD))


def remaining() -> Decimal:
    """What may still be spent today (never below zero)."""
    return max(daily_budget() - spent_today(), Decimal(0))


def allows(estimate: Decimal = Decimal(0)) -> bool:
    """Whether a call expected to cost `estimate` fits in what is left of today's budget."""
    left = remaining()
    return left > 0 and estimate <= left


def show_refusal(show) -> str:
    """Why this show's episodes may not be scored today ("" while its share lasts).

    With the whole day's budget spent this says nothing: the engine gives that reason.
    """
    if remaining() <= 0:
        return ""
    since = start_of_day()
    runs = ScoringRun.objects.filter(started_at__gte=since)
    share = Decimal(str(settings.PODINDEX_BUDGET_SHOW_SHARE)) * daily_budget()
    spent = runs.filter(episode__show=show).aggregate(s=Sum("cost_usd"))["s"] or Decimal(0)
    if spent >= share:
        return f"This show's share of today's LLM budget (${share:.2f}) is spent.{_resumes()}"
    new_since = timezone.now() - timedelta(days=settings.PODINDEX_NEW_SHOW_DAYS)
    if show.created_at >= new_since:
        share = Decimal(str(settings.PODINDEX_BUDGET_NEW_SHOWS_SHARE)) * daily_budget()
        new_runs = runs.filter(episode__show__created_at__gte=new_since)
        spent = new_runs.aggregate(s=Sum("cost_usd"))["s"] or Decimal(0)
        if spent >= share:
            return f"New shows' share of today's LLM budget (${share:.2f}) is spent.{_resumes()}"
    return ""


def _resumes() -> str:
    return f" Scoring resumes after {timezone.localtime(next_day()):%Y-%m-%d %H:%M %Z}."
