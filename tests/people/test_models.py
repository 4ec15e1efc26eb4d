import pytest
from django.db import IntegrityError

from people.models import Appearance, Person
from tests.factories import AppearanceFactory, EpisodeFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_it_lists_only_people_no_editor_hid():
    shown = PersonFactory(name="Jane Doe")
    PersonFactory(name="Hidden Person", hidden=True, hidden_reason="Removal request")
    assert list(Person.objects.visible()) == [shown]
    assert str(shown) == "Jane Doe"


def test_a_person_holds_one_appearance_per_episode_and_role():
    appearance = AppearanceFactory(role=Appearance.Role.GUEST)
    AppearanceFactory(person=appearance.person, episode=appearance.episode, role="co-host")
    with pytest.raises(IntegrityError):
        AppearanceFactory(person=appearance.person, episode=appearance.episode, role="guest")


def test_an_episodes_people_are_reached_from_the_episode():
    episode = EpisodeFactory()
    host = AppearanceFactory(episode=episode, role=Appearance.Role.HOST)
    assert list(episode.appearances.all()) == [host]
    assert list(host.person.appearances.all()) == [host]
