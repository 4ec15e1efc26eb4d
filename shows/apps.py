from django.apps import AppConfig

from core.page_cache import watch


class ShowsConfig(AppConfig):
    name = "shows"

    def ready(self):
        watch("shows.Category", "shows.Show")
