"""Who may do what: anonymous, staff without the Editors group, an editor, a superuser, on every
desk view and every admin action; and no admin action without declared permissions."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from desk import admin as desk_admin
from desk.models import Activity
from episodes.models import Episode
from scoring.models import EditorialOverride, ScoringRun
from shows.models import Show
from tests.factories import EpisodeFactory, ShowFactory, TranscriptFactory, scored_episode

pytestmark = pytest.mark.django_db

KINDS = ["anonymous", "staff", "editor", "superuser"]
# What each kind gets for a page: the login page, 403, or the page.
PAGE = {"anonymous": "login", "staff": 403, "editor": 200, "superuser": 200}


@pytest.fixture
def world(db, monkeypatch):
    """One scored episode with a correction and a run, an unscored show, and no network."""
    episode = scored_episode(title="Scored one")
    run = ScoringRun.objects.create(episode=episode, engine="baseline", rubric_version=1)
    override = EditorialOverride.objects.record(
        episode=episode, dimension=None, editor=None, score=50, reason="Set up."
    )
    polled = []
    monkeypatch.setattr(desk_admin, "queue_polls", lambda ids, force=True: polled.extend(ids))
    return {
        "episode": episode,
        "scorecard": episode.scorecards.get(is_current=True),
        "run": run,
        "override": override,
        "show": episode.show,
        "empty_show": ShowFactory(title="Added by mistake"),
        "polled": polled,
    }


def as_(client, user):
    if user is not None:
        client.force_login(user)
    return client


def outcome(response):
    if response.status_code == 302 and "/admin/login/" in response["Location"]:
        return "login"
    return response.status_code


def pages(world):
    episode, show = world["episode"], world["show"]
    return {
        "review": reverse("admin:episodes_episode_review", args=[episode.pk]),
        "dashboard": reverse("admin:desk_dashboard_changelist"),
        "activity": reverse("admin:desk_activity_changelist"),
        "override log": reverse("admin:scoring_editorialoverride_changelist"),
        "override row": reverse(
            "admin:scoring_editorialoverride_change", args=[world["override"].pk]
        ),
        "episodes": reverse("admin:episodes_episode_changelist"),
        "episode": reverse("admin:episodes_episode_change", args=[episode.pk]),
        "scorecards": reverse("admin:scoring_scorecard_changelist"),
        "runs": reverse("admin:scoring_scoringrun_changelist"),
        "shows": reverse("admin:shows_show_changelist"),
        "show": reverse("admin:shows_show_change", args=[show.pk]),
    }


@pytest.mark.parametrize("kind", KINDS)
def test_every_desk_page(client, visitors, world, kind):
    client = as_(client, visitors[kind])
    got = {name: outcome(client.get(url)) for name, url in pages(world).items()}
    assert got == dict.fromkeys(got, PAGE[kind])


@pytest.mark.parametrize("kind", KINDS)
def test_correcting_a_score_on_the_review_screen(client, visitors, world, kind):
    episode = world["episode"]
    url = reverse("admin:episodes_episode_review", args=[episode.pk])
    data = {
        "target": "insight_density",
        "op": "save",
        "insight_density-score": "3",
        "insight_density-reason": "Thin.",
        "insight_density-version": "0",
    }
    response = as_(client, visitors[kind]).post(url, data)
    saved = EditorialOverride.objects.filter(dimension__key="insight_density").exists()
    assert (outcome(response), saved) == {
        "anonymous": ("login", False),
        "staff": (403, False),
        "editor": (302, True),
        "superuser": (302, True),
    }[kind]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("op", ["hide", "rescore"])
def test_episode_actions_on_the_review_screen(client, visitors, world, kind, op):
    episode = world["episode"]
    url = reverse("admin:episodes_episode_review", args=[episode.pk])
    response = as_(client, visitors[kind]).post(url, {"op": op, "reason": "A duplicate."})
    logged = Activity.objects.filter(action=op).exists()
    allowed = kind in ("editor", "superuser")
    assert outcome(response) == {"anonymous": "login", "staff": 403}.get(kind, 302)
    assert logged == allowed


# (changelist, action, what the selection is): every action of every desk list.
ACTIONS = [
    ("episodes_episode", "hide", "episode"),
    ("episodes_episode", "unhide", "episode"),
    ("episodes_episode", "rescore_episodes", "episode"),
    ("scoring_scorecard", "hide_episodes", "scorecard"),
    ("scoring_scorecard", "rescore_episodes", "scorecard"),
    ("scoring_scoringrun", "rescore_episodes", "run"),
    ("scoring_editorialoverride", "rescore_episodes", "override"),
    ("shows_show", "poll_now", "show"),
]
LOGGED = {
    "hide": "hide",
    "hide_episodes": "hide",
    "unhide": "unhide",
    "rescore_episodes": "rescore",
    "poll_now": "poll",
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("changelist", "action", "selection"), ACTIONS)
def test_every_admin_action(client, visitors, world, kind, changelist, action, selection):
    if action == "unhide":
        Episode.objects.filter(pk=world["episode"].pk).set_hidden(True)
    response = as_(client, visitors[kind]).post(
        reverse(f"admin:{changelist}_changelist"),
        {"action": action, "_selected_action": [world[selection].pk], "reason": "Off topic."},
    )
    done = Activity.objects.filter(action=LOGGED[action]).exists()
    if kind in ("editor", "superuser"):
        assert (response.status_code, done) == (302, True)
    else:
        assert (outcome(response), done) == (PAGE[kind], False)


def test_a_staff_user_who_may_only_view_scorecards_cannot_hide_through_them(client, world):
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_scorecard"))
    client.force_login(viewer)
    changelist = reverse("admin:scoring_scorecard_changelist")
    assert client.get(changelist).status_code == 200

    for action in ("hide_episodes", "rescore_episodes"):
        client.post(changelist, {"action": action, "_selected_action": [world["scorecard"].pk]})

    assert not Episode.objects.get(pk=world["episode"].pk).hidden
    assert not Activity.objects.filter(action__in=["hide", "rescore"]).exists()
    assert world["episode"].scoring_runs.count() == 1


def test_every_registered_admin_action_declares_its_permissions():
    undeclared = [
        f"{model._meta.label}: {action.name}"
        for model, model_admin in admin.site._registry.items()
        for action in model_admin._get_base_actions()
        if not getattr(action.func, "allowed_permissions", None)
    ]
    assert undeclared == []


@pytest.mark.parametrize("kind", ["editor", "superuser"])
def test_an_editor_may_delete_a_show_added_by_mistake(client, visitors, world, kind):
    empty = world["empty_show"]
    EpisodeFactory(show=empty, title="Unscored")
    client = as_(client, visitors[kind])
    url = reverse("admin:shows_show_delete", args=[empty.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Show.objects.filter(pk=empty.pk).exists()
    row = Activity.objects.get(action="delete_show")
    assert row.subject == "Added by mistake" and row.show is None


def test_an_editor_may_not_delete_a_show_with_scored_episodes(editor_client, world):
    show = world["show"]
    url = reverse("admin:shows_show_delete", args=[show.pk])
    assert editor_client.get(url).status_code == 403
    changelist = reverse("admin:shows_show_changelist")
    response = editor_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [show.pk], "post": "yes"}
    )
    assert response.status_code in (200, 403)
    assert Show.objects.filter(pk=show.pk).exists()


def test_a_superuser_may_delete_a_show_with_scored_episodes(client, superuser, world):
    client.force_login(superuser)
    show = world["show"]
    client.post(reverse("admin:shows_show_delete", args=[show.pk]), {"post": "yes"})
    assert not Show.objects.filter(pk=show.pk).exists()
    assert not EditorialOverride.objects.exists()


def test_the_override_log_is_append_only_for_everyone(client, superuser, editor, world):
    row = world["override"]
    for user in (editor, superuser):
        client.force_login(user)
        assert client.get(reverse("admin:scoring_editorialoverride_add")).status_code == 403
        delete = reverse("admin:scoring_editorialoverride_delete", args=[row.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        change = reverse("admin:scoring_editorialoverride_change", args=[row.pk])
        client.post(change, {"score": "1", "reason": "edited"})
    row.refresh_from_db()
    assert (row.score, row.reason) == (50, "Set up.")


@pytest.mark.parametrize(
    ("url_name", "fields"),
    [
        ("episodes_episode", ["show", "guid", "slug", "audio_url"]),
        ("shows_show", ["feed_url", "slug"]),
        ("episodes_transcript", ["segments", "source_url"]),
    ],
)
def test_editors_cannot_edit_identity_fields_or_raw_transcripts(
    client, visitors, world, url_name, fields
):

    objects = {
        "episodes_episode": world["episode"],
        "shows_show": world["show"],
        "episodes_transcript": TranscriptFactory(episode=world["episode"]),
    }
    url = reverse(f"admin:{url_name}_change", args=[objects[url_name].pk])
    for kind, editable in (("editor", False), ("superuser", True)):
        client.force_login(visitors[kind])
        html = client.get(url).content.decode()
        for field in fields:
            assert (f'name="{field}"' in html) == editable, (kind, field)
