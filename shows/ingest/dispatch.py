"""Handing due shows to the pollers: a claim is a lease, so several dispatchers never collide."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from shows.models import Show

# How long a claimed show waits before it may be claimed again if its poll task is lost (the
# poll itself sets the real next time).
DISPATCH_LEASE = timedelta(minutes=30)


def claim_due_shows(limit: int) -> list[int]:
    """Ids of active shows due a poll, pushed a lease ahead so the next dispatch skips them."""
    now = timezone.now()
    with transaction.atomic():
        # SKIP LOCKED lets several dispatchers run at once without claiming the same shows.
        ids = list(
            Show.objects.active()
            .filter(next_poll_at__lte=now)
            .order_by("next_poll_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        Show.objects.filter(pk__in=ids).update(next_poll_at=now + DISPATCH_LEASE)
    return ids
