"""The Celery app; with no broker configured settings make every task run eagerly."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")

app = Celery("podindex")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def freeze_what_the_worker_loaded(**kwargs) -> None:
    """Leave what a pool process loaded at start (Django, the apps, the tasks) out of the
    collector's full passes, as each web worker does (podindex/wsgi.py).

    Unfrozen, a fresh worker's first batch of polls walked all ~140,000 of those objects in a
    full pass: 60 ms, a quarter of its CPU (bench/polling.py, 500 unchanged feeds).
    """
    gc.freeze()
