"""A row's shown fields are written once (browse/rows.py): loaded with only those fields the
row templates need no other, and the row cache's key changes with each of them, so a cached
row cannot go stale on a value it shows."""

import re

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.signals import post_init
from django.template import Context, Template
from django.template.loader import get_template, render_to_string
from django.test.utils import CaptureQueriesContext

from browse.person_page import appearance_rows, https_only
from browse.rows import (
    APPEARANCE_ROW,
    APPEARANCE_ROW_ANNOTATIONS,
    EPISODE_ROW,
    EPISODE_ROW_SHOW,
    PERSON_ROW,
    PERSON_ROW_ANNOTATIONS,
    RANKING_ROW,
    RANKING_ROW_ANNOTATIONS,
    RANKING_ROW_TREND,
)
from browse.templatetags.browse import (
    appearance_row_key,
    episode_row_key,
    person_row_key,
    ranking_row_key,
)
from episodes.models import Episode
from people import ranking as people_ranking
from people.models import PersonRanking
from scoring.ranking import recompute_all
from shows.models import Show
from tests.factories import AppearanceFactory, PersonFactory
from tests.factories.browse import show_with_scores

pytestmark = pytest.mark.django_db


@pytest.fixture
def show(settings):
    """A ranked show with artwork and three scored episodes."""
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 0
    show = show_with_scores(80, 70, 60, title="Alpha", artwork_url="https://cdn.example/a.png")
    recompute_all()
    return show


def ranking_row(show):
    """The show as the ranking pages load it."""
    return (
        Show.objects.annotate(position=F("rank"), **RANKING_ROW_TREND)
        .only(*RANKING_ROW)
        .get(pk=show.pk)
    )


@pytest.fixture
def person_row(show, settings):
    """A ranked person with an https image, as the people ranking loads and dresses them."""
    settings.PODINDEX_PEOPLE_MIN_APPEARANCES = 2
    person = PersonFactory(
        name="Ann", description="CFO at Acme", image_url="https://cdn.example/ann.png"
    )
    for episode in show.episodes.all():
        AppearanceFactory(person=person, episode=episode)
    people_ranking.recompute_all()
    row = (
        PersonRanking.objects.select_related("person")
        .annotate(position=F("rank"))
        .only(*PERSON_ROW)
        .get(person=person)
    )
    row.image_url = https_only(row.person.image_url)
    return row


@pytest.fixture
def appearance(person_row, show):
    """An episode of theirs as their page loads and annotates it."""
    (episode,) = appearance_rows(person_row.person, [show.episodes.order_by("pk").first().pk])
    return episode


def listed_episode(show):
    """An episode as the pages that name its show load it."""
    return (
        Episode.objects.filter(show=show)
        .select_related("show")
        .only(*EPISODE_ROW, *EPISODE_ROW_SHOW)
        .first()
    )


def rendered_without_queries(template_name, context) -> str:
    with CaptureQueriesContext(connection) as queries:
        html = render_to_string(template_name, context)
    # A field the template reads but the row does not declare is loaded on first use: a query.
    assert [q["sql"] for q in queries.captured_queries] == []
    return html


def test_it_renders_a_ranking_row_from_the_declared_fields_alone(show):
    row = ranking_row(show)

    html = rendered_without_queries("shows/_ranking_row.html", {"show": row, "min_episodes": 3})

    assert "Alpha" in html and "https://cdn.example/a.png" in html and show.author in html


@pytest.mark.parametrize("with_show", [True, False])
def test_it_renders_an_episode_row_from_the_declared_fields_alone(show, with_show):
    if with_show:
        episode = listed_episode(show)
    else:  # the show page: the page's own show is at hand
        episode = show.episodes.only("show_id", *EPISODE_ROW).first()
        episode.show = show

    html = rendered_without_queries(
        "shows/_episode_row.html", {"episode": episode, "with_show": with_show}
    )

    assert episode.title in html and f">{episode.score}<" in html
    assert ("Alpha ·" in html) is with_show


def test_it_renders_a_people_ranking_row_from_the_declared_fields_alone(person_row):
    html = rendered_without_queries("people/_person_row.html", {"row": person_row})

    assert "Ann" in html and "CFO at Acme" in html and "https://cdn.example/ann.png" in html
    assert "3 scored episodes" in html and f">{person_row.score:.0f}<" in html


def test_it_renders_a_persons_episode_row_from_the_declared_fields_alone(appearance):
    html = rendered_without_queries("people/_appearance_row.html", {"episode": appearance})

    assert appearance.title in html and "Alpha</a>" in html and "Guest" in html
    assert f">{appearance.score}<" in html
    # The row is plain values (no instance to load a field on use): an undeclared field would
    # render as nothing, so the template may read only these.
    source = get_template("people/_appearance_row.html").template.source
    assert set(re.findall(r"episode\.(\w+)", source)) <= {
        "pk",
        "show",
        "get_absolute_url",
        *APPEARANCE_ROW,
        *APPEARANCE_ROW_ANNOTATIONS,
    }
    assert set(re.findall(r"episode\.show\.(\w+)", source)) <= {
        "get_absolute_url",
        *(name.removeprefix("show__") for name in EPISODE_ROW_SHOW),
    }


def test_it_reads_a_persons_episode_rows_as_values_without_model_instances(person_row, show):
    made = []

    def count(sender, **kwargs):
        made.append(sender)

    keys = list(show.episodes.order_by("pk").values_list("pk", flat=True))
    post_init.connect(count)
    try:
        rows = appearance_rows(person_row.person, keys)
    finally:
        post_init.disconnect(count)

    assert [row.pk for row in rows] == keys
    assert made == []


def test_it_would_notice_a_template_reading_an_undeclared_field(show):
    row = ranking_row(show)

    with CaptureQueriesContext(connection) as queries:
        Template("{{ show.description }}").render(Context({"show": row}))

    assert len(queries.captured_queries) == 1


@pytest.mark.parametrize("name", ("pk", *RANKING_ROW_ANNOTATIONS, *RANKING_ROW))
def test_a_ranking_row_key_changes_with_every_value_the_row_shows(show, name):
    row = ranking_row(show)
    before = ranking_row_key(row, "salt")

    setattr(row, name, "changed")

    assert ranking_row_key(row, "salt") != before


@pytest.mark.parametrize("name", ("pk", *EPISODE_ROW, *EPISODE_ROW_SHOW))
def test_an_episode_row_key_changes_with_every_value_the_row_shows(show, name):
    episode = listed_episode(show)
    before = episode_row_key(episode, True, "salt")

    owner, _, attribute = name.rpartition("__")
    setattr(getattr(episode, owner) if owner else episode, attribute, "changed")

    assert episode_row_key(episode, True, "salt") != before


@pytest.mark.parametrize("name", (*PERSON_ROW_ANNOTATIONS, *PERSON_ROW))
def test_a_people_ranking_row_key_changes_with_every_value_the_row_shows(person_row, name):
    before = person_row_key(person_row, "salt")

    owner, _, attribute = name.rpartition("__")
    setattr(getattr(person_row, owner) if owner else person_row, attribute, "changed")

    assert person_row_key(person_row, "salt") != before


@pytest.mark.parametrize(
    "name", ("pk", *APPEARANCE_ROW_ANNOTATIONS, *APPEARANCE_ROW, *EPISODE_ROW_SHOW)
)
def test_a_persons_episode_row_key_changes_with_every_value_the_row_shows(appearance, name):
    before = appearance_row_key(appearance, "salt")

    owner, _, attribute = name.rpartition("__")
    setattr(getattr(appearance, owner) if owner else appearance, attribute, "changed")

    assert appearance_row_key(appearance, "salt") != before


def test_it_keys_a_row_by_its_values_alone_not_by_which_objects_hold_them():
    trend = '[{"month": "2026-01", "score": 81.5, "episodes": 2}]'
    first = Show(pk=1, title="Alpha", slug="alpha", score=81.5)
    again = Show(pk=1, title="Alpha", slug="alpha", score=81.5)
    rescored = Show(pk=1, title="Alpha", slug="alpha", score=81.6)
    for show in (first, again, rescored):
        show.position = 1
        show.trend_json = trend

    assert ranking_row_key(first, "salt") == ranking_row_key(again, "salt")
    assert ranking_row_key(first, "salt") != ranking_row_key(rescored, "salt")
    assert ranking_row_key(first, "salt") != ranking_row_key(first, "other salt")
