"""API use is limited per key, or per client address without one, counted in the shared cache.

The counters live in the default cache (Redis in production), so every web process counts
against the same limit: a limit kept per process would multiply with the process count.
Windows are fixed and aligned to the clock, so the time to the next one needs no stored start.

A request with a key (`Authorization: Bearer pi_…`) counts against that key's limit. Its use
is added up in the cache too, and written to the key's row by the request that opens a window
(core.models.ApiKey.count_request): the API writes nothing on most requests.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from core.logins import client_address
from core.models import ApiKey

BEARER = "bearer "


class UnknownKey(Exception):
    """The request names a key that does not exist or was revoked."""


@dataclass(frozen=True)
class Quota:
    """Where one request leaves its client's quota."""

    limit: int
    remaining: int
    reset: int  # seconds until the window ends
    allowed: bool
    keyed: bool = False

    def headers(self) -> dict[str, str]:
        """RateLimit-* headers (IETF draft), and Retry-After once the quota is spent."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": f"{self.limit};w={settings.PODINDEX_API_RATE_WINDOW_SECONDS}",
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset)
        return headers


def presented_key(request) -> str | None:
    """The API key the request carries in its Authorization header, if any."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith(BEARER):
        return None
    return header[len(BEARER) :].strip()


def take(request, now: float | None = None) -> Quota:
    """Count one request against its key's quota (or its address's) for the current window.

    UnknownKey when it carries a key we do not know: better refused than served as anonymous,
    which would hide a typo until the lower limit bites.
    """
    window = settings.PODINDEX_API_RATE_WINDOW_SECONDS
    now = time.time() if now is None else now
    start = int(now // window) * window
    reset = max(1, int(start + window - now))
    key = presented_key(request)
    if key is None:
        address = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
        bucket, limit, key_id = f"address:{address}", settings.PODINDEX_API_RATE_LIMIT, None
    else:
        found = ApiKey.find(key)
        if found is None:
            raise UnknownKey
        key_id, limit = found
        bucket = f"key:{key_id}"
    count = _incr(f"podindex:api-rate:{bucket}:{start}", window + 1)
    if key_id is not None:
        ApiKey.count_request(key_id, write=count == 1)
    if count is None:
        # The cache is unreachable (its errors are ignored) or the window just turned: serve
        # rather than refuse everyone.
        return Quota(limit, limit - 1, reset, allowed=True, keyed=key_id is not None)
    return Quota(
        limit, max(0, limit - count), reset, allowed=count <= limit, keyed=key_id is not None
    )


def _incr(key: str, timeout: int) -> int | None:
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        return None
