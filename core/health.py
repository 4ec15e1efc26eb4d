"""/health/: what a load balancer and a monitor ask of every web process."""

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from core.queues import queue_health

logger = logging.getLogger(__name__)


@require_GET
def health(request):
    """The database, the broker and how long work waits in each queue, for monitors.

    503 only when the database is down: the site cannot serve. A broker that is down or a
    queue that lags makes the status "degraded" with 200, because the web keeps serving and a
    load balancer must not take it out. Errors go to the log, not to the public: they can
    name hosts and users.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("Health check: the database is unavailable")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    work = queue_health()
    return JsonResponse(
        {
            "status": "ok" if work["ok"] else "degraded",
            "database": "ok",
            "broker": work["broker"],
            "queues": work["queues"],
        },
        headers={"Cache-Control": "no-store"},
    )
