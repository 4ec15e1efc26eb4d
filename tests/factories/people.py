import factory

from people.models import Appearance, Person
from tests.factories.episodes import EpisodeFactory


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Person {n}")
    slug = factory.Sequence(lambda n: f"person-{n}")


class AppearanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appearance

    person = factory.SubFactory(PersonFactory)
    episode = factory.SubFactory(EpisodeFactory)
    role = Appearance.Role.GUEST
    source = Appearance.Source.FEED
