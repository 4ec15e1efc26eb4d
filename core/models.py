"""Plumbing tables: when each work queue last answered a heartbeat, and the API's keys."""

import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import F
from django.utils import timezone

KEY_CACHE_SECONDS = 60


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


def _default_key_limit() -> int:
    return settings.PODINDEX_API_KEY_RATE_LIMIT


class ApiKeyQuerySet(models.QuerySet):
    def usable(self):
        """Keys that are not revoked."""
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A developer's key to the public API: a higher rate limit, and its use counted.

    Here, below both the API and the desk, because both use it: the desk creates and revokes
    keys, the API checks them, and neither may import the other (the layers contract).

    Only a hash of the key is stored: the key is shown once, when it is made (new_key). A key
    is 256 random bits, so a plain SHA-256 is enough: a slow password hash guards guessable
    secrets, and a random key is not guessable; a fast one costs the API nothing per request.
    """

    PREFIX = "pi_"

    name = models.CharField(max_length=200, help_text="Who the key is for, and what for.")
    # The start of the key, to tell keys apart in lists without storing them.
    lead = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    rate_limit = models.PositiveIntegerField(
        default=_default_key_limit, help_text="Requests per rate window (a minute by default)."
    )
    request_count = models.PositiveBigIntegerField(default=0, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.lead}…)"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # A revoked key stops working at once, a changed limit applies at once.
        cache.delete(self._cache_key(self.digest))

    @staticmethod
    def digest_of(key: str) -> str:
        """The stored form of a key."""
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def find(cls, key: str) -> tuple[int, int] | None:
        """(id, rate limit) of the usable key `key`, or None: kept a minute in the shared cache,
        so a request with a key costs no query (saving a key forgets its entry)."""
        digest = cls.digest_of(key)
        entry = cache.get(cls._cache_key(digest))
        if entry is None:
            found = cls.objects.usable().filter(digest=digest).values_list("pk", "rate_limit")
            entry = found.first() or ()
            cache.set(cls._cache_key(digest), entry, KEY_CACHE_SECONDS)
        return tuple(entry) or None

    @staticmethod
    def _cache_key(digest: str) -> str:
        return f"podindex:api-key:{digest}"

    @classmethod
    def count_request(cls, key_id: int, write: bool) -> None:
        """Count one request made with a key, in the shared cache; `write` moves the count so far
        to the key's row (the API does once a rate window, not once a request)."""
        usage = cls._usage_key(key_id)
        cache.add(usage, 0, None)
        try:
            cache.incr(usage)
        except ValueError:  # evicted between add and incr: one request uncounted
            return
        pending = cache.get(usage) if write else 0
        if pending:
            cls.objects.filter(pk=key_id).update(
                request_count=F("request_count") + pending, last_used_at=timezone.now()
            )
            cache.decr(usage, pending)

    @property
    def uses(self) -> int:
        """Requests served with this key: those on its row and those counted since."""
        return self.request_count + (cache.get(self._usage_key(self.pk)) or 0)

    @staticmethod
    def _usage_key(key_id: int) -> str:
        return f"podindex:api-usage:{key_id}"

    def new_key(self) -> str:
        """Give this (unsaved) key its secret and return it: the only time it is seen whole."""
        key = self.PREFIX + secrets.token_urlsafe(32)
        self.lead = key[: len(self.PREFIX) + 6]
        self.digest = self.digest_of(key)
        return key
