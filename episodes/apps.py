from django.apps import AppConfig

from core.page_cache import watch


class EpisodesConfig(AppConfig):
    name = "episodes"

    def ready(self):
        watch("episodes.Episode", "episodes.Topic", "episodes.Transcript")
