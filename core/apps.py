from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Plumbing every app uses: HTTP, HTML, pagination, htmx, page cache, search, heartbeats."""

    name = "core"
