from django.apps import AppConfig


class PodindexConfig(AppConfig):
    name = "podindex"
    verbose_name = "Site"

    def ready(self):
        from podindex import checks  # noqa: F401 - registers the deploy checks
