from django.apps import AppConfig


class BrowseConfig(AppConfig):
    """The public site (pages, search, syndication, sitemaps, demo)."""

    name = "browse"
