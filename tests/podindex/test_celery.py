"""A Celery pool process leaves what it loaded at start out of the collector's full passes."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_it_freezes_django_the_apps_and_the_tasks_when_a_pool_process_starts():
    # What a prefork child goes through: the parent loaded Django and the task modules, then
    # Celery sends worker_process_init in the child.
    script = (
        "import gc, sys, django; from podindex.celery import app; django.setup(); "
        "app.loader.import_default_modules(); "
        "from celery.signals import worker_process_init; "
        "before = gc.get_freeze_count(); worker_process_init.send(sender=None); "
        "print(before, gc.get_freeze_count(), 'episodes.tasks' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert int(out[0]) == 0
    assert int(out[1]) > 50_000
    assert out[2] == "True"
