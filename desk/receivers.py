"""The desk listens to the override log: every path that corrects a score reaches the log."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from desk import activity
from scoring.models import EditorialOverride


@receiver(post_save, sender=EditorialOverride, dispatch_uid="desk-log-override")
def log_override(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        activity.record_override(instance)
