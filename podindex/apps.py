from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class PodindexConfig(AppConfig):
    name = "podindex"
    verbose_name = "Site"

    def ready(self):
        from podindex import checks  # noqa: F401 - registers the deploy checks
        from podindex.editors import ensure_editors_group
        from podindex.page_cache import bump_content_version

        # After the last of our apps migrates, every permission the group needs exists.
        post_migrate.connect(
            ensure_editors_group,
            sender=self.apps.get_app_config("scoring"),
            dispatch_uid="editors-group",
        )

        # Any saved or deleted row a public page shows makes every cached page stale.
        for label in (
            "shows.Category",
            "shows.Show",
            "episodes.Episode",
            "episodes.Topic",
            "episodes.Transcript",
            "scoring.Scorecard",
            "scoring.EditorialOverride",
            "scoring.Rubric",
        ):
            model = self.apps.get_model(label)
            post_save.connect(bump_content_version, sender=model, dispatch_uid=f"page-{label}")
            post_delete.connect(bump_content_version, sender=model, dispatch_uid=f"page-{label}-")
