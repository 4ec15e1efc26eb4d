"""The sweep: episodes' appearances follow their sources, one person per identity."""

from datetime import timedelta

import pytest
from django.utils import timezone

from episodes.models import Episode
from people.models import Appearance, EpisodePeople, Person
from people.sweep import changed_episodes, refresh_episode, sweep
from tests.factories import (
    AppearanceFactory,
    EpisodeFactory,
    PersonFactory,
    ScorecardFactory,
    ShowFactory,
    TranscriptFactory,
)

pytestmark = pytest.mark.django_db

DANA = {"name": "Dana Reyes", "role": "guest", "href": "https://dana.example/"}


def episode_of(**kwargs):
    """An episode of a show whose itunes author is a company (no host from it)."""
    if "show" not in kwargs:
        kwargs.setdefault("show__author", "Acme Media")
    return EpisodeFactory(**kwargs)


def appearances(person):
    return sorted((a.episode.show.title, a.role) for a in person.appearances.all())


def test_a_guest_tagged_on_two_shows_is_one_person_with_both_appearances():
    episode_of(show__title="Finance Talk", people=[DANA])
    episode_of(show__title="Sales Talk", people=[DANA])
    assert sweep() == 2
    dana = Person.objects.get()
    assert (dana.name, dana.slug, dana.href) == ("Dana Reyes", "dana-reyes", DANA["href"])
    assert appearances(dana) == [("Finance Talk", "guest"), ("Sales Talk", "guest")]


def test_the_same_name_with_the_same_image_is_one_person():
    image = "https://cdn.example/dana.jpg"
    episode_of(people=[{"name": "Dana Reyes", "role": "guest", "img": image}])
    episode_of(people=[{"name": "dana reyes", "role": "guest", "img": image}])
    sweep()
    assert Person.objects.get().image_url == image


def test_a_bare_common_name_on_two_unrelated_shows_is_two_people():
    episode_of(people=[{"name": "John Smith", "role": "guest"}])
    episode_of(people=[{"name": "John Smith", "role": "guest"}])
    sweep()
    assert sorted(Person.objects.values_list("slug", flat=True)) == ["john-smith", "john-smith-2"]


def test_a_host_named_every_week_on_one_show_is_one_person():
    show = ShowFactory(author="Acme Media")
    for _ in range(3):
        episode_of(show=show, people=[{"name": "John Smith", "role": "host"}])
    sweep()
    assert Person.objects.get().appearances.count() == 3


def test_two_hrefs_keep_two_people_of_one_name_apart():
    show = ShowFactory()
    episode_of(show=show, people=[{"name": "Sam Lee", "href": "https://a.example/"}])
    episode_of(show=show, people=[{"name": "Sam Lee", "href": "https://b.example/"}])
    sweep()
    assert Person.objects.count() == 2


def test_an_episode_naming_nobody_creates_no_person():
    episode = episode_of(people=[])
    TranscriptFactory(episode=episode)
    assert sweep() == 1
    assert not Person.objects.exists()
    assert EpisodePeople.objects.get(episode=episode).refused == []


def test_one_sweep_reads_batch_after_batch_until_no_changed_episode_is_left():
    for _ in range(5):
        episode_of(people=[DANA])
    assert sweep(limit=2) == 5
    assert not changed_episodes().exists()


def test_a_sweep_out_of_time_stops_after_its_batch_and_the_next_one_goes_on():
    for _ in range(5):
        episode_of(people=[DANA])
    assert sweep(limit=2, seconds=0) == 2
    assert sweep(limit=2, seconds=0) == 2
    assert changed_episodes().count() == 1


def test_an_episode_that_still_looks_changed_is_read_once_a_sweep():
    future = episode_of(people=[DANA])
    episode_of(people=[DANA])
    # A timestamp ahead of the sweep's clock: the episode looks changed after every read.
    Episode.objects.filter(pk=future.pk).update(updated_at=timezone.now() + timedelta(days=1))
    assert sweep(limit=1) == 2
    assert EpisodePeople.objects.count() == 2


def test_it_sweeps_an_episode_again_only_when_its_inputs_change():
    episode = episode_of(people=[DANA])
    assert sweep() == 1
    assert list(changed_episodes()) == []
    assert sweep() == 0
    episode.people = [{"name": "Lee Wong", "role": "guest"}]
    episode.save()
    assert sweep() == 1
    assert [a.person.name for a in episode.appearances.all()] == ["Lee Wong"]


def test_a_transcript_and_a_scorecard_reach_the_episodes_people():
    episode = episode_of(people=[{"name": "Dana Reyes", "role": "host"}])
    sweep()
    TranscriptFactory(episode=episode, speaker_names={"A": "Dana Reyes", "B": "Lee Wong"})
    assert sweep() == 1
    ScorecardFactory(episode=episode, guests=[{"name": "Priya Shah", "evidence": "..."}])
    assert sweep() == 1
    got = sorted(
        (a.person.name, a.role, a.source, a.speaker_label) for a in episode.appearances.all()
    )
    assert got == [
        ("Dana Reyes", "host", "feed", "A"),
        ("Lee Wong", "guest", "publisher_transcript", "B"),
        ("Priya Shah", "guest", "model", ""),
    ]


def test_editors_appearances_and_hidden_pages_survive_the_sweep():
    episode = episode_of(people=[DANA])
    sweep()
    dana = Person.objects.get()
    dana.hidden, dana.hidden_reason = True, "Removal request"
    dana.save()
    added = AppearanceFactory(episode=episode, role="co-host", source="editor")
    episode.people = [DANA, {"name": "Lee Wong", "role": "guest"}]
    episode.save()
    sweep()
    dana.refresh_from_db()
    assert dana.hidden
    assert Appearance.objects.filter(pk=added.pk).exists()
    assert set(Person.objects.visible().values_list("name", flat=True)) == {
        added.person.name,
        "Lee Wong",
    }


def test_a_source_fills_what_a_person_lacks_but_never_overwrites():
    dana = PersonFactory(name="Dana Reyes", href=DANA["href"], description="Editor's words")
    episode = episode_of(
        people=[DANA | {"img": "https://cdn.example/d.jpg"}],
        title="Budgets with Dana Reyes, CFO at Acme",
    )
    refresh_episode(episode)
    dana.refresh_from_db()
    assert (dana.description, dana.image_url) == ("Editor's words", "https://cdn.example/d.jpg")


def test_a_person_no_source_names_any_more_goes_unless_an_editor_kept_them():
    episode = episode_of(people=[{"name": "Jon Doe", "role": "guest"}])
    sweep()
    episode.people = [{"name": "John Doe", "role": "guest"}]
    episode.save()
    sweep()
    assert list(Person.objects.values_list("name", flat=True)) == ["John Doe"]

    Person.objects.update(hidden=True, hidden_reason="Removal request")
    episode.people = []
    episode.save()
    sweep()
    assert Person.objects.get().hidden


def test_an_alias_with_accents_finds_the_renamed_person():
    show = ShowFactory(author="Acme Media")
    renamed = PersonFactory(name="Jose Nunez", aliases=["José Núñez"])
    AppearanceFactory(person=renamed, episode__show=show)
    episode = EpisodeFactory(show=show, people=[{"name": "José Núñez", "role": "guest"}])
    refresh_episode(episode)
    assert Person.objects.count() == 1
