from django.apps import AppConfig


class PodindexConfig(AppConfig):
    """The project's own configuration: registers the deploy checks."""

    name = "podindex"
    verbose_name = "Site"

    def ready(self):
        from . import checks  # noqa: F401 - registers the deploy checks
