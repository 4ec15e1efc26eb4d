"""Handing a show's poll to a worker: a web request never fetches a feed itself.

With a broker the poll is a Celery task like any other. Without one (eager mode: `make run`,
no CELERY_BROKER_URL) `.delay()` would run the task inside the request, so the editor's
browser would wait on the publisher's server (up to the fetch deadline). Instead the poll runs
in a background thread of the web process, started once the request's transaction has
committed: the response goes out at once and the result appears on the show's admin page
(Feed health, Latest fetches) when the poll is done. Eager mode is development only
(`check --deploy` refuses it), so one short-lived thread per added show is fine there.
"""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from kombu.exceptions import OperationalError

from episodes import ingest
from episodes.poll_tasks import poll_show, poll_shows

logger = logging.getLogger(__name__)

# Background polls started in eager mode and still running (tests wait on them).
running: set[threading.Thread] = set()


def queue_polls(show_ids, *, force: bool = True) -> None:
    """Poll shows outside the request ("Poll now", a show just added), after commit.

    Several shows go as one batch, polled concurrently like the dispatcher's batches.
    """
    show_ids = list(show_ids)
    transaction.on_commit(lambda: _hand_off(show_ids, force))


def _hand_off(show_ids: list[int], force: bool) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        thread = threading.Thread(
            target=_poll_in_background,
            args=(show_ids, force),
            name=f"poll-shows-{show_ids[0]}",
            daemon=True,
        )
        running.add(thread)
        thread.start()
        return
    try:
        if len(show_ids) == 1:
            poll_show.delay(show_ids[0], force=force)
        else:
            poll_shows.delay(show_ids, force=force)
    except OperationalError:
        # A new show is due now (next_poll_at): the dispatcher polls it once the broker is back.
        logger.exception("Could not queue a poll of shows %s", show_ids)


def _poll_in_background(show_ids: list[int], force: bool) -> None:
    try:
        close_old_connections()
        ingest.poll_many(show_ids, force=force)
    except Exception:
        logger.exception("Background poll of shows %s failed", show_ids)
    finally:
        connections.close_all()
        running.discard(threading.current_thread())
