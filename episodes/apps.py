from django.apps import AppConfig

from core.page_cache import watch


class EpisodesConfig(AppConfig):
    name = "episodes"

    def ready(self):
        from . import feed_items  # noqa: F401 - connects store_feed_items to shows' signal

        watch("episodes.Episode", "episodes.Topic", "episodes.Transcript")
