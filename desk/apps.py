from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The editors' desk: the review screen, the activity log and the dashboard (admin)."""

    name = "desk"
    verbose_name = "Editors' desk"

    def ready(self):
        from . import receivers  # noqa: F401 - importing connects them (after the models load)
