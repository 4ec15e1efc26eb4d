"""Failed sign-ins are counted and, past a limit, refused for a short window.

Three counters share one window (PODINDEX_LOGIN_WINDOW_SECONDS), each starting at its first
failure: one address guessing one account, one address trying many accounts, and many
addresses guessing one account. While a counter is at its limit, sign-ins it covers are
refused with a clear message before the password is even checked (a guess costs nothing to
refuse, and the right password cannot be confirmed). The window is short and the tightest
limit is per address *and* account, so an attacker cannot keep an editor out for long; the
account-wide limit is high, so only a wide attack reaches it. Counters live in the shared cache.
"""

import hashlib
import logging

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.dispatch import receiver

logger = logging.getLogger(__name__)


def client_address(request) -> str:
    """The address a sign-in comes from: behind our TLS proxy, the one it forwarded."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.SECURE_PROXY_SSL_HEADER and forwarded:
        # The proxy appends the address it saw: only the last entry is not the client's word.
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR") or "unknown"


def _counters(request, username: str) -> list[tuple[str, int]]:
    """(cache key, limit) of every counter a sign-in attempt falls under."""
    address = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    account = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    prefix = "podindex:login-failures"
    return [
        (f"{prefix}:pair:{address}:{account}", settings.PODINDEX_LOGIN_FAILURES_PER_PAIR),
        (f"{prefix}:address:{address}", settings.PODINDEX_LOGIN_FAILURES_PER_ADDRESS),
        (f"{prefix}:account:{account}", settings.PODINDEX_LOGIN_FAILURES_PER_ACCOUNT),
    ]


def is_throttled(request, username: str) -> bool:
    """Whether a sign-in as `username` from this request's address is refused for now."""
    counters = _counters(request, username)
    counts = cache.get_many([key for key, _ in counters])
    return any(counts.get(key, 0) >= limit for key, limit in counters)


@receiver(user_login_failed, dispatch_uid="core-logins-failed")
def count_failure(sender, credentials, request=None, **kwargs):
    """Count a failed sign-in against its address, its account and the pair."""
    if request is None:
        return
    window = settings.PODINDEX_LOGIN_WINDOW_SECONDS
    for key, _ in _counters(request, credentials.get("username") or ""):
        # add() starts the window; incr() keeps its expiry (a fixed window, not a sliding one).
        cache.add(key, 0, window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr: a new window begins
            cache.set(key, 1, window)


@receiver(user_logged_in, dispatch_uid="core-logins-succeeded")
def forget_failures(sender, request=None, user=None, **kwargs):
    """A successful sign-in clears its own address and account's count (typos are forgiven)."""
    if request is not None and user is not None:
        cache.delete(_counters(request, user.get_username())[0][0])


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in form, refusing attempts past the limits before checking a password."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if is_throttled(self.request, username):
            logger.warning(
                "Sign-in refused for %r from %s: too many failed attempts",
                username[:150],
                client_address(self.request),
            )
            minutes = max(1, round(settings.PODINDEX_LOGIN_WINDOW_SECONDS / 60))
            raise ValidationError(
                "Too many failed sign-ins for this account or from your network. "
                "Wait %(minutes)d minutes, then try again.",
                code="throttled",
                params={"minutes": minutes},
            )
        return super().clean()
