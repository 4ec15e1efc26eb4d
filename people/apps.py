from django.apps import AppConfig

from core.page_cache import watch


class PeopleConfig(AppConfig):
    """Hosts and guests: who is on an episode, from every source that names them."""

    name = "people"

    def ready(self):
        # A person renamed or hidden, an appearance added: the pages that show them change.
        watch("people.Person", "people.Appearance")
