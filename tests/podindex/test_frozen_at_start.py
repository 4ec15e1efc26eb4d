"""Web workers and Celery pool processes leave what they load at start out of the collector's
full passes (gc.freeze)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def printed_by_a_fresh_process(script: str) -> list[str]:
    """What `script` prints, run by a new interpreter in the project (nothing frozen yet)."""
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


def test_it_freezes_the_code_models_and_views_a_worker_loads_at_start():
    out = printed_by_a_fresh_process(
        "import gc, sys, podindex.wsgi; "
        "print(gc.get_freeze_count(), 'browse.views.site' in sys.modules)"
    )

    assert int(out[0]) > 50_000
    assert out[1] == "True"


def test_it_freezes_django_the_apps_and_the_tasks_when_a_pool_process_starts():
    # What a prefork child goes through: the parent loaded Django and the task modules, then
    # Celery sends worker_process_init in the child.
    out = printed_by_a_fresh_process(
        "import gc, sys, django; from podindex.celery import app; django.setup(); "
        "app.loader.import_default_modules(); "
        "from celery.signals import worker_process_init; "
        "before = gc.get_freeze_count(); worker_process_init.send(sender=None); "
        "print(before, gc.get_freeze_count(), 'episodes.tasks' in sys.modules)"
    )

    assert int(out[0]) == 0
    assert int(out[1]) > 50_000
    assert out[2] == "True"
