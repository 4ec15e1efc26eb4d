"""Rows read as shows, episodes and transcripts become the instances Django's from_db makes,
without Model.__init__."""

from unittest import mock

import pytest
from django.db import models
from django.db.models.signals import post_init

from core import loading
from episodes.models import Episode, Transcript
from shows.models import Show
from tests.factories import EpisodeFactory, TranscriptFactory

pytestmark = pytest.mark.django_db


def django_made(instance):
    """The instance Django's own from_db makes of the same row."""
    cls = type(instance)
    names = [
        name for name in (f.attname for f in cls._meta.concrete_fields) if name in vars(instance)
    ]
    values = [vars(instance)[name] for name in names]
    fetch_mode = vars(instance._state).get("fetch_mode")
    return models.Model.from_db.__func__(
        cls, instance._state.db, names, values, fetch_mode=fetch_mode
    )


def state(instance):
    """What an instance holds: its values read and its state (related objects aside)."""
    values = {k: v for k, v in vars(instance).items() if k != "_state"}
    held = {k: v for k, v in vars(instance._state).items() if k != "fields_cache"}
    return values, held


@pytest.mark.parametrize(
    "rows",
    [
        lambda: list(Episode.objects.all()),
        lambda: list(Episode.objects.only("title", "score")),
        lambda: list(Episode.objects.defer("notes_html")),
        lambda: [
            e.show for e in Episode.objects.select_related("show").only("slug", "show__title")
        ],
        lambda: list(Show.objects.all()),
        lambda: list(Transcript.objects.only("episode_id")),
    ],
)
def test_it_makes_the_instance_django_makes_of_a_row(rows):
    TranscriptFactory(episode=EpisodeFactory())

    for instance in rows():
        assert state(instance) == state(django_made(instance))
        assert instance._state.adding is False


def test_it_makes_a_loaded_episode_without_running_model_init():
    EpisodeFactory()

    spy = mock.patch.object(
        models.Model, "__init__", autospec=True, side_effect=models.Model.__init__
    )
    with spy as init:
        (episode,) = Episode.objects.select_related("show").only("title", "show__slug")

    assert init.call_count == 0
    assert episode.title and episode.show.slug
    # A column not read is deferred and read when asked for, as ever.
    assert "score" not in vars(episode) and episode.get_deferred_fields() >= {"score"}


def test_it_leaves_rows_to_django_when_init_has_a_receiver():
    EpisodeFactory()
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Episode)
    try:
        (episode,) = Episode.objects.all()
    finally:
        post_init.disconnect(receiver, sender=Episode)

    assert seen == [episode]


def test_it_leaves_to_django_columns_given_out_of_the_models_order():
    assert loading._plain_row(Episode, ("id", "title"))
    assert not loading._plain_row(Episode, ("title", "id"))
    assert not loading._plain_row(Episode, ("id", "no_such_column"))
    # "show" is the related object's descriptor, not a column.
    assert not loading._plain_row(Episode, ("id", "show"))
