from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Hosts and guests: who is on an episode, from every source that names them."""

    name = "people"
