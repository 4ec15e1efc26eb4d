"""The desk listens to the override log (every path that corrects a score reaches the log) and
to the poller's own merges."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from desk import activity
from scoring.models import EditorialOverride
from shows.signals import show_merged


@receiver(post_save, sender=EditorialOverride, dispatch_uid="desk-log-override")
def log_override(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        activity.record_override(instance)


@receiver(show_merged, dispatch_uid="desk-log-ingestion-merge")
def log_ingestion_merge(sender, show, canonical, reason, **kwargs) -> None:
    activity.record_ingestion_merge(show, canonical, reason)
