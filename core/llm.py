"""litellm, shared by scoring and our transcription: loaded offline once, with one retry policy.

`import litellm` fetches a price map over the network unless told not to, and costs seconds:
it is imported here, lazily, with the local cost map and offline mode set first.
"""

import logging
import os
import random
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

from django.utils import timezone

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 529}
TIMEOUT_ERRORS = {"Timeout", "APITimeoutError", "ReadTimeout", "ConnectTimeout"}
CONNECTION_ERRORS = {"APIConnectionError", "ServiceUnavailableError", "InternalServerError"}

logger = logging.getLogger(__name__)

_import_lock = threading.Lock()


def load_litellm():
    """Import litellm offline (bundled cost map, no tokenizer downloads), once."""
    with _import_lock:
        os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
        os.environ["LITELLM_OFFLINE_MODE"] = "true"
        import litellm

        litellm.suppress_debug_info = True
        litellm.telemetry = False
        return litellm


def is_timeout(exc: Exception) -> bool:
    """Whether a provider call failed by running out of time."""
    return type(exc).__name__ in TIMEOUT_ERRORS


def is_retryable(exc: Exception) -> bool:
    """Rate limits, server errors, timeouts and dropped connections are worth another try."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status in RETRYABLE_STATUS
    return is_timeout(exc) or type(exc).__name__ in CONNECTION_ERRORS


def describe_error(exc: Exception) -> str:
    """One line naming the error, its HTTP status and its message."""
    status = getattr(exc, "status_code", None)
    message = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}" + (f" {status}" if status else "") + f": {message}"


def retry_after_seconds(exc: Exception) -> float | None:
    """The server's Retry-After (seconds or an HTTP date), if it sent one."""
    headers = getattr(exc, "litellm_response_headers", None)
    response = getattr(exc, "response", None)
    if headers is None and response is not None:
        headers = getattr(response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - timezone.now()).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


def retry_wait(attempt: int, exc: Exception, backoff: float, max_wait: float) -> float:
    """Retry-After when the server says, else exponential backoff with jitter; capped."""
    retry_after = retry_after_seconds(exc)
    if retry_after is not None:
        return min(retry_after, max_wait)
    return min(backoff * (2**attempt) * random.uniform(0.5, 1.0), max_wait)


class GaveUp(Exception):
    """A call that failed for good: not worth retrying, or out of attempts.

    The message says why and after how many attempts; `error` is the last error.
    """

    def __init__(self, message: str, error: Exception):
        super().__init__(message)
        self.error = error


def call_with_retries[T](
    call: Callable[[], T],
    *,
    max_retries: int,
    wait_before_retry: Callable[[int, Exception], float],
    what: str,
    on_retry: Callable[[int, str, float], None] | None = None,
    raise_as_is: tuple[type[Exception], ...] = (),
) -> T:
    """call(), retried up to max_retries times on the errors worth another try.

    `wait_before_retry(attempt, error)` says how long to sleep first; `on_retry(attempt,
    reason, wait)` hears of each retry. An error that is not worth retrying, or the last one,
    is raised as GaveUp; errors of the types in `raise_as_is` (the caller's own answers to
    an error, such as "cut the upload smaller") go up unchanged at once.
    """
    for attempt in range(max_retries + 1):
        try:
            return call()
        except raise_as_is:
            raise
        except Exception as exc:
            reason = describe_error(exc)
            if not is_retryable(exc) or attempt == max_retries:
                raise GaveUp(
                    f"{reason} (after {attempt + 1} attempt{'s' if attempt else ''})", exc
                ) from exc
            wait = wait_before_retry(attempt, exc)
            if on_retry is not None:
                on_retry(attempt, reason, wait)
            logger.info("%s failed (%s); retrying in %.1fs", what, reason, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises
