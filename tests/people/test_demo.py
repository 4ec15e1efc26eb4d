"""`manage.py demo` gives `make run` its people: hosts and guests from the demo feeds."""

import io

import pytest
from django.core.management import call_command

from people.models import Appearance, Person

pytestmark = pytest.mark.django_db


def test_the_demo_has_hosts_and_guests_with_their_voices_and_descriptions():
    call_command("demo", stdout=io.StringIO())

    dana = Person.objects.get(name="Dana Whitcombe")
    assert list(dana.appearances.values_list("role", flat=True).distinct()) == ["host"]
    assert dana.appearances.count() == 4
    marcus = Appearance.objects.get(person__name="Marcus Feld")
    # Named in the feed, his voice found by our speech-to-text from his introduction.
    assert (marcus.role, marcus.source, marcus.speaker_label) == ("guest", "feed", "B")
    rosalind = Person.objects.get(name="Rosalind Okereke-Marsh")
    assert rosalind.description == "VP of People at Kestrelgate Health"
    # The author "Jax Delaney & Brooke Tamsin" names no one: the tags name both hosts.
    assert not Person.objects.filter(name__contains="&").exists()

    people = Person.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert Person.objects.count() == people
