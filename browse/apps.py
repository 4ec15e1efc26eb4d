from django.apps import AppConfig
from django.db.models.signals import post_migrate

from browse.editors import ensure_editors_group


class BrowseConfig(AppConfig):
    """The public site (pages, search, syndication, sitemaps, demo) and the editors' group."""

    name = "browse"

    def ready(self):
        # Sent per app with models: after scoring, the last of ours, every permission exists.
        post_migrate.connect(
            ensure_editors_group,
            sender=self.apps.get_app_config("scoring"),
            dispatch_uid="editors-group",
        )
