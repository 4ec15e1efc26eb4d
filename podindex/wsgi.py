"""WSGI entry point."""

import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podindex.settings")
application = get_wsgi_application()
# The code, models and views (imported by the URLconf) a worker loads at start live as long as
# it does: frozen, they are left out of the collector's full passes, each of which walked all
# ~150,000 of them (25-45 ms on a busy machine, every few dozen searches).
import_module(settings.ROOT_URLCONF)
gc.freeze()
