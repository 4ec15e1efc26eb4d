"""The Celery app; with no broker configured settings make every task run eagerly."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")

app = Celery("podindex")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
