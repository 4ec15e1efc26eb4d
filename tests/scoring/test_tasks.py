"""Scoring through Celery: a real worker thread consuming the "scoring" queue on Redis."""

import pytest
from celery.contrib.testing.worker import start_worker

from episodes.models import Episode
from podindex.celery import app
from scoring import tasks
from scoring.models import Scorecard, ScoringRun
from tests.factories.waiting import wait_for

BROKER = "redis://127.0.0.1:6379/14"


# Real commits are needed for the worker thread to see our rows; serialized rollback puts back
# the rubric the data migration published, which flushing the tables would remove.
pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def worker():
    """A Celery worker on Redis db 14, consuming the queues scoring tasks are routed to."""
    keys = ("broker_url", "task_always_eager", "worker_hijack_root_logger")
    saved = {key: app.conf[key] for key in keys}
    # Leave logging to pytest: a worker that takes over the root logger and stdout stalls
    # on pytest's captured streams.
    app.conf.update(broker_url=BROKER, task_always_eager=False, worker_hijack_root_logger=False)
    forget_connections()
    with app.connection_for_write() as connection:
        # Leftovers of an interrupted run would be consumed as if they were ours.
        for queue in ("scoring", "default"):
            connection.default_channel.queue_purge(queue)
    with start_worker(
        app, perform_ping_check=False, queues=["scoring", "default"], shutdown_timeout=30
    ) as running:
        yield running
    app.conf.update(saved)
    forget_connections()


def forget_connections():
    """Drop pooled broker connections: even eager .delay() opens one, to the old broker URL."""
    app.close()
    app.amqp._producer_pool = None


def test_it_scores_an_episode_through_the_task(worker, interview_episode):
    tasks.score_episode.delay(interview_episode.pk)

    assert wait_for(lambda: ScoringRun.objects.filter(outcome=ScoringRun.Outcome.OK).exists())
    # The run is committed first; the stored scores follow a moment later (scores_changed).
    assert wait_for(lambda: Episode.objects.get(pk=interview_episode.pk).score is not None)
    run = ScoringRun.objects.get()
    interview_episode.refresh_from_db()
    assert run.scorecard.is_current and run.scorecard.episode == interview_episode
    assert interview_episode.score == run.scorecard.total


def test_it_queues_every_episode_still_waiting_for_a_score(worker, interview_episode, chat_episode):
    # apply() runs the sweep here; the episodes it queues go through Redis to the worker.
    queued = tasks.score_pending.apply().get()

    assert queued == 2
    assert wait_for(lambda: Scorecard.objects.filter(is_current=True).count() == 2)
    assert tasks.score_pending.apply().get() == 0
