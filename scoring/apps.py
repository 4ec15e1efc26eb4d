from django.apps import AppConfig

from core.page_cache import watch


class ScoringConfig(AppConfig):
    name = "scoring"

    def ready(self):
        from . import receivers  # noqa: F401 - importing connects them (after the models load)

        watch("scoring.Scorecard", "scoring.EditorialOverride", "scoring.Rubric")
