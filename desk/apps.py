from django.apps import AppConfig
from django.db.models.signals import post_migrate

from desk.editors import ensure_editors_group


class DeskConfig(AppConfig):
    """The editors' desk: the review screen, the activity log, the dashboard and the Editors
    group (admin)."""

    name = "desk"
    verbose_name = "Editors' desk"

    def ready(self):
        from . import receivers  # noqa: F401 - importing connects them (after the models load)

        # Sent per app with models: after scoring, the last of ours, every permission exists.
        post_migrate.connect(
            ensure_editors_group,
            sender=self.apps.get_app_config("scoring"),
            dispatch_uid="editors-group",
        )
