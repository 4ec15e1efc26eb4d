"""Anonymous API use is limited per client address, counted in the shared cache.

The counter lives in the default cache (Redis in production), so every web process counts
against the same limit: a limit kept per process would multiply with the process count.
Windows are fixed and aligned to the clock, so the time to the next one needs no stored start.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from core.logins import client_address


@dataclass(frozen=True)
class Quota:
    """Where one request leaves its client's quota."""

    limit: int
    remaining: int
    reset: int  # seconds until the window ends
    allowed: bool

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


def take(request, now: float | None = None) -> Quota:
    """Count one request against its client address's quota for the current window."""
    limit = settings.PODINDEX_API_RATE_LIMIT
    window = settings.PODINDEX_API_RATE_WINDOW_SECONDS
    now = time.time() if now is None else now
    start = int(now // window) * window
    reset = max(1, int(start + window - now))
    address = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    key = f"podindex:api-rate:{address}:{start}"
    cache.add(key, 0, window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: the next window has begun
        count = None
    if count is None:
        # The cache is unreachable (its errors are ignored) or the window just turned: serve
        # rather than refuse everyone.
        return Quota(limit=limit, remaining=limit - 1, reset=reset, allowed=True)
    return Quota(limit=limit, remaining=max(0, limit - count), reset=reset, allowed=count <= limit)
