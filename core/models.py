"""The one table of plumbing: when each work queue last answered a heartbeat."""

from django.db import models


class QueueHeartbeat(models.Model):
    """The oldest unanswered heartbeat sent into a queue, and the lag of the last answered one.

    Beat sends a heartbeat into every queue each minute; the worker that takes it records how
    long it waited. In the database, not the cache, so every web process sees what every worker
    wrote even when the cache is per process.
    """

    queue = models.CharField(max_length=100, primary_key=True)
    sent_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    lag_seconds = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return self.queue

    @property
    def outstanding(self) -> bool:
        return self.answered_at is None or self.answered_at < self.sent_at
