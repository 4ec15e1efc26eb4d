from django.apps import AppConfig


class PodindexConfig(AppConfig):
    """The project's own configuration: deploy checks, and the admin's throttled sign-in."""

    name = "podindex"
    verbose_name = "Site"

    def ready(self):
        from django.contrib import admin

        from core.logins import ThrottledAdminLoginForm

        from . import checks  # noqa: F401 - registers the deploy checks

        admin.site.login_form = ThrottledAdminLoginForm
