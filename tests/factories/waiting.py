"""Waiting on another thread or process (a Celery worker) until its effect is visible."""

import time

from django.db import OperationalError


def wait_for(condition, seconds: float = 60) -> bool:
    """Poll `condition` until it holds (True) or `seconds` pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError:
            pass  # in-memory SQLite says "table is locked" while a worker writes
        time.sleep(0.1)
    return False
