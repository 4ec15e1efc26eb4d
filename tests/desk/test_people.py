"""Editors and people: add, rename, merge, split, hide; name a voice; all logged, all kept
after the sweep reads the sources again."""

import pytest
from django.urls import reverse

from desk.models import Activity
from desk.transcript_edits import transcript_version
from episodes.models import Transcript
from people.models import Appearance, Person
from people.sweep import refresh_episode, sweep
from tests.desk.test_transcript_edits import rename
from tests.factories import AppearanceFactory, EpisodeFactory, PersonFactory, ShowFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:people_person_changelist"


def act(client, action, people, **extra):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [p.pk for p in people], **extra},
    )


def tagged(name, role="guest", **kwargs):
    """An episode of its own show whose feed tags one person."""
    return EpisodeFactory(
        people=[{"name": name, "role": role}], show__author="Acme Media", **kwargs
    )


def person_form(person, **changes):
    data = {
        "name": person.name,
        "description": person.description,
        "image_url": person.image_url,
        "website": person.website,
        "href": person.href,
        "hidden_reason": person.hidden_reason,
        "appearances-TOTAL_FORMS": "0",
        "appearances-INITIAL_FORMS": "0",
        **changes,
    }
    if data.pop("hidden", person.hidden):
        data["hidden"] = "on"
    return data


def test_an_editor_merges_two_john_smiths_and_the_sweep_keeps_them_one(editor_client):
    first, second = tagged("John Smith"), tagged("John Smith")
    sweep()
    a, b = Person.objects.order_by("pk")

    response = act(editor_client, "merge_people", [a, b], into=b.slug)

    assert response.status_code == 302
    [kept] = Person.objects.all()
    assert kept.pk == b.pk and kept.appearances.count() == 2
    row = Activity.objects.get(action="merge_people")
    assert (row.person_id, row.editor_name) == (b.pk, "Dana Reyes")
    assert "John Smith (john-smith, 1 appearance)" in row.before
    assert row.after == "John Smith (john-smith-2, 2 appearances)"
    # Re-ingestion: both episodes' tags read again, and the merge stands.
    refresh_episode(first, force=True)
    refresh_episode(second, force=True)
    assert Person.objects.count() == 1 and kept.appearances.count() == 2


def test_a_merge_moves_names_and_links_and_keeps_one_appearance_per_role(editor_client):
    episode = EpisodeFactory()
    dana = AppearanceFactory(episode=episode, person__name="Dana Reyes").person
    other = AppearanceFactory(
        episode=episode, person__name="Dana R.", person__href="https://dana.example/"
    ).person

    act(editor_client, "merge_people", [dana, other], into=dana.slug)

    dana.refresh_from_db()
    assert (dana.aliases, dana.href) == (["Dana R."], "https://dana.example/")
    assert dana.appearances.count() == 1


def test_an_editor_splits_two_people_who_share_a_name(editor_client):
    show_a, show_b = ShowFactory(author="Acme Media"), ShowFactory(author="Acme Media")
    on_a = EpisodeFactory(show=show_a, people=[{"name": "Sam Lee", "role": "guest"}])
    on_b = EpisodeFactory(show=show_b, people=[{"name": "Sam Lee", "role": "guest"}])
    sweep()
    # Two shows, one bare name: two people already. Merge them wrongly, then split.
    act(editor_client, "merge_people", Person.objects.all())
    [sam] = Person.objects.all()
    split = Appearance.objects.get(episode=on_b)

    response = editor_client.post(
        reverse("admin:people_appearance_changelist"),
        {"action": "split_off", "_selected_action": [split.pk], "name": ""},
    )

    assert response.status_code == 302
    assert Person.objects.count() == 2
    new = Person.objects.exclude(pk=sam.pk).get()
    assert (new.name, list(new.appearances.all())) == ("Sam Lee", [split])
    row = Activity.objects.get(action="split_person")
    assert row.person_id == sam.pk and new.slug in row.after
    refresh_episode(on_a, force=True)
    refresh_episode(on_b, force=True)
    assert Appearance.objects.get(episode=on_b).person == new
    assert Appearance.objects.get(episode=on_a).person == sam


def test_a_split_must_leave_the_person_an_appearance(editor_client):
    only = AppearanceFactory()
    editor_client.post(
        reverse("admin:people_appearance_changelist"),
        {"action": "split_off", "_selected_action": [only.pk]},
    )
    assert Person.objects.count() == 1
    assert not Activity.objects.filter(action="split_person").exists()


def test_a_rename_keeps_the_page_address_and_the_feeds_spelling_finds_them(editor_client):
    episode = tagged("Jon Doe")
    sweep()
    jon = Person.objects.get()

    response = editor_client.post(
        reverse("admin:people_person_change", args=[jon.pk]), person_form(jon, name="John Doe")
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    jon.refresh_from_db()
    assert (jon.name, jon.slug, jon.aliases) == ("John Doe", "jon-doe", ["Jon Doe"])
    row = Activity.objects.get(action="rename_person")
    assert (row.before, row.after) == ("Jon Doe", "John Doe")
    # The feed still says "Jon Doe" on a new episode of the same show and on this one.
    EpisodeFactory(show=episode.show, people=[{"name": "Jon Doe", "role": "guest"}])
    refresh_episode(episode, force=True)
    sweep()
    assert Person.objects.count() == 1 and jon.appearances.count() == 2


def test_a_hidden_page_needs_a_reason_and_stays_hidden_after_reingestion(editor_client):
    episode = tagged("Dana Reyes")
    sweep()
    dana = Person.objects.get()

    act(editor_client, "hide_people", [dana], reason="")
    dana.refresh_from_db()
    assert not dana.hidden

    act(editor_client, "hide_people", [dana], reason="Removal request by email, ticket 42")
    dana.refresh_from_db()
    assert (dana.hidden, dana.hidden_reason) == (True, "Removal request by email, ticket 42")
    row = Activity.objects.get(action="hide_person")
    assert (row.detail, row.before, row.after) == (dana.hidden_reason, "shown", "hidden")

    episode.people = [{"name": "Dana Reyes", "role": "host"}]
    episode.save()
    refresh_episode(episode, force=True)
    assert Person.objects.visible().count() == 0

    act(editor_client, "unhide_people", [dana])
    assert Person.objects.visible().count() == 1
    assert Activity.objects.filter(action="unhide_person").count() == 1


def test_the_change_form_refuses_a_hide_without_a_reason_and_an_http_image(editor_client):
    dana = PersonFactory()
    url = reverse("admin:people_person_change", args=[dana.pk])
    response = editor_client.post(
        url, person_form(dana, hidden=True, image_url="http://cdn.example/d.jpg")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"hidden_reason", "image_url"}


def test_an_editor_adds_a_person_and_an_appearance_the_sweep_leaves_alone(editor_client):
    episode = EpisodeFactory(show__author="Acme Media")
    response = editor_client.post(
        reverse("admin:people_person_add"),
        {
            **person_form(Person(), name="Priya Shah", slug="priya-shah"),
            "appearances-TOTAL_FORMS": "1",
            "appearances-0-episode": episode.pk,
            "appearances-0-role": "guest",
            "appearances-0-speaker_label": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    appearance = Appearance.objects.get()
    assert (appearance.person.name, appearance.source) == ("Priya Shah", "editor")
    assert Activity.objects.get(action="add_person").after == "Priya Shah"
    refresh_episode(episode, force=True)
    assert Appearance.objects.filter(pk=appearance.pk).exists()


def test_an_appearance_an_editor_deletes_stays_deleted_after_reingestion(editor_client):
    episode = tagged("Jane Doe")
    sweep()
    appearance = Appearance.objects.get()
    response = editor_client.post(
        reverse("admin:people_appearance_delete", args=[appearance.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Appearance.objects.exists()
    row = Activity.objects.get(action="edit_person")
    assert "Took Jane Doe (Guest) on" in row.detail and "Feed tag said so" in row.detail
    assert (row.episode_id, row.before, row.after) == (
        episode.pk,
        "Jane Doe (jane-doe, 1 appearance)",
        "Jane Doe (jane-doe, 0 appearances)",
    )
    # The feed still tags her; reading it again does not put her back, under any of her names.
    refresh_episode(episode, force=True)
    assert not Appearance.objects.exists()
    assert Person.objects.count() == 1


def test_an_appearance_removed_on_the_person_form_stays_removed(editor_client):
    jane = [{"name": "Jane Doe", "role": "guest", "href": "https://jane.example/"}]
    first, second = (EpisodeFactory(people=jane, show__author="Acme Media") for _ in "12")
    sweep()
    person = Person.objects.get()
    keep, drop = person.appearances.order_by("episode_id")
    data = {
        **person_form(person),
        "appearances-TOTAL_FORMS": "2",
        "appearances-INITIAL_FORMS": "2",
    }
    for i, appearance in enumerate([keep, drop]):
        data |= {
            f"appearances-{i}-id": appearance.pk,
            f"appearances-{i}-person": person.pk,
            f"appearances-{i}-episode": appearance.episode_id,
            f"appearances-{i}-role": appearance.role,
            f"appearances-{i}-speaker_label": "",
        }
    data["appearances-1-DELETE"] = "on"

    response = editor_client.post(reverse("admin:people_person_change", args=[person.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(person.appearances.values_list("pk", flat=True)) == [keep.pk]
    refresh_episode(first, force=True)
    refresh_episode(second, force=True)
    assert list(person.appearances.values_list("pk", flat=True)) == [keep.pk]
    assert Activity.objects.filter(action="edit_person", episode_id=drop.episode_id).exists()


def test_naming_a_voice_ties_the_review_screens_speaker_to_a_person(
    editor_client, interview, django_capture_on_commit_callbacks
):
    gus = AppearanceFactory(episode=interview, person__name="Gus Olsen", role="guest").person
    transcript = Transcript.objects.get(episode=interview)
    page = editor_client.get(reverse("admin:episodes_episode_review", args=[interview.pk]))
    assert "Is this voice" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("admin:episodes_episode_review", args=[interview.pk]),
            {
                "op": "name_speaker",
                "version": transcript_version(transcript),
                "label": "B",
                "person": gus.pk,
            },
        )

    assert response.status_code == 302
    assert Transcript.objects.get(episode=interview).speaker_names["B"] == "Gus Olsen"
    assert Appearance.objects.get(person=gus).speaker_label == "B"
    actions = set(Activity.objects.values_list("action", flat=True))
    assert {"rename_speaker", "name_speaker"} <= actions
    page = editor_client.get(reverse("admin:episodes_episode_review", args=[interview.pk]))
    assert reverse("admin:people_person_change", args=[gus.pk]) in page.content.decode()


def test_renaming_a_speaker_on_the_review_screen_makes_them_a_person(
    editor_client, interview, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rename(editor_client, interview, "B", "Dana Reyes")

    appearance = Appearance.objects.get(person__name="Dana Reyes")
    assert (appearance.episode, appearance.speaker_label) == (interview, "B")


@pytest.mark.parametrize("who", ["anonymous", "staff", "editor", "superuser"])
def test_who_may_edit_people(client, visitors, who):
    dana = PersonFactory(name="Dana Reyes")
    user = visitors[who]
    if user:
        client.force_login(user)
    changelist = client.get(reverse(CHANGELIST))
    act(client, "hide_people", [dana], reason="Removal request")
    dana.refresh_from_db()
    allowed = who in ("editor", "superuser")
    assert (changelist.status_code == 200) == allowed
    assert dana.hidden == allowed
    # Deleting a person outright is not an editor's: merges and hides are.
    delete = client.post(reverse("admin:people_person_delete", args=[dana.pk]), {"post": "yes"})
    assert Person.objects.filter(pk=dana.pk).exists() == (who != "superuser")
    assert delete.status_code in (302, 403)
