"""What editors tripped over in the admin: hides without a reason or a log row, dates and costs
they could rewrite, a correction that changes nothing, demo shows polled for real, no bulk
reject of held scores, and admins registered three times."""

from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from desk import admin as desk_admin
from desk.models import Activity
from episodes.models import Episode, Transcript
from scoring.models import EditorialOverride, Scorecard, ScoringRun
from shows.admin import PARKED_AFTER
from shows.models import FeedFetch, Show
from tests.factories import ShowFactory, TranscriptFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def form_data(html: str, form_id: str) -> dict:
    """What a browser would post for the admin's change form as it stands."""
    form = BeautifulSoup(html, "html.parser").select_one(f"form#{form_id}")
    data = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name, kind = field["name"], field.get("type", "")
        if kind in ("submit", "button", "file"):
            continue
        if kind == "checkbox":
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.name == "select":
            chosen = field.select("option[selected]")
            if field.has_attr("multiple"):
                data[name] = [o["value"] for o in chosen]
            elif chosen:
                data[name] = chosen[0]["value"]
        elif field.name == "textarea":
            data[name] = field.get_text().lstrip("\n")
        else:
            data[name] = field.get("value", "")
    return data


def change_url(episode) -> str:
    return reverse("admin:episodes_episode_change", args=[episode.pk])


def test_a_correction_that_changes_nothing_is_a_form_error(editor_client, client, interview):
    model_total = interview.scorecards.get(is_current=True).total
    url = reverse("admin:episodes_episode_review", args=[interview.pk])

    response = editor_client.post(
        url,
        {
            "op": "save",
            "target": "total",
            "total-version": "0",
            "total-score": str(model_total),
            "total-reason": "Looks right.",
        },
    )

    assert response.status_code == 200
    assert f"It is {model_total} already: nothing to change." in response.content.decode()
    assert not EditorialOverride.objects.exists()
    assert not Activity.objects.exists()
    client.logout()
    assert (
        "adjusted by our editors" not in client.get(interview.get_absolute_url()).content.decode()
    )


def test_hiding_from_the_change_form_takes_a_reason_and_is_logged(editor_client, client, interview):
    page = editor_client.get(change_url(interview)).content.decode()
    data = {**form_data(page, "episode_form"), "hidden": "on"}

    refused = editor_client.post(change_url(interview), data)

    assert refused.status_code == 200
    assert "Say why it is hidden" in refused.content.decode()
    assert not Episode.objects.get(pk=interview.pk).hidden

    saved = editor_client.post(change_url(interview), {**data, "hide_reason": "A trailer."})

    assert saved.status_code == 302
    assert Episode.objects.get(pk=interview.pk).hidden
    row = Activity.objects.get(action="hide")
    assert (row.detail, row.editor_name) == ("A trailer.", "Dana Reyes")
    assert not Activity.objects.filter(action="edit_episode").exists()
    client.logout()
    assert client.get(interview.get_absolute_url()).status_code == 404
    # Through set_hidden, as every other path: the show's figures no longer count it.
    interview.show.refresh_from_db()
    assert interview.show.scored_episode_count == 0


def test_field_edits_on_the_change_form_are_logged_with_before_and_after(editor_client, interview):
    page = editor_client.get(change_url(interview)).content.decode()
    data = {**form_data(page, "episode_form"), "title": "Pricing in public, revisited"}

    assert editor_client.post(change_url(interview), data).status_code == 302

    row = Activity.objects.get(action="edit_episode")
    assert row.before == "title: Pricing in public"
    assert row.after == "title: Pricing in public, revisited"
    assert row.detail == "Changed Title."


def test_editors_cannot_change_the_publish_date_provenance_or_costs(
    client, editor, superuser, interview
):
    transcript = Transcript.objects.get(episode=interview)
    pages = {
        "episode": (change_url(interview), ["published_at_0"]),
        "transcript": (
            reverse("admin:episodes_transcript_change", args=[transcript.pk]),
            ["source", "format", "language", "engine", "model", "audio_seconds", "cost_usd"],
        ),
    }
    for user, editable in ((editor, False), (superuser, True)):
        client.force_login(user)
        for url, fields in pages.values():
            html = client.get(url).content.decode()
            for field in fields:
                assert (f'name="{field}"' in html) == editable, (user.username, field)


def test_a_superuser_cannot_set_a_publish_date_far_in_the_future(client, superuser, interview):
    client.force_login(superuser)
    page = client.get(change_url(interview)).content.decode()
    data = form_data(page, "episode_form")

    refused = client.post(change_url(interview), {**data, "published_at_0": "2030-01-01"})
    assert refused.status_code == 200
    assert "That date is in the future" in refused.content.decode()

    soon = timezone.localtime() + timedelta(hours=2)
    accepted = client.post(
        change_url(interview),
        {**data, "published_at_0": soon.date().isoformat(), "published_at_1": "00:00:00"},
    )
    assert accepted.status_code == 302


def test_poll_now_leaves_a_demo_show_alone_and_says_why(editor_client):
    parked = PARKED_AFTER + timedelta(days=365 * 999)
    demo = ShowFactory(title="Demo: Pipeline Party", next_poll_at=parked)
    status = demo.last_fetch_status

    response = editor_client.post(
        reverse("admin:shows_show_changelist"),
        {"action": "poll_now", "_selected_action": [demo.pk]},
        follow=True,
    )

    assert "Demo: Pipeline Party is a demo show, never polled." in response.content.decode()
    demo.refresh_from_db()
    assert (demo.next_poll_at, demo.last_fetch_status) == (parked, status)
    assert not FeedFetch.objects.filter(show=demo).exists()
    assert not Activity.objects.filter(action="poll").exists()


def test_held_scores_are_rejected_in_bulk_and_logged(editor_client, editor, interview, held):
    selected = [held.scorecards.get().pk, interview.scorecards.get().pk]

    response = editor_client.post(
        reverse("admin:scoring_scorecard_changelist"),
        {"action": "reject_held_scores", "_selected_action": selected},
        follow=True,
    )

    assert "Rejected 1 held score(s); 1 selected were not held." in response.content.decode()
    assert held.scorecards.get().hold == Scorecard.Hold.REJECTED
    assert Episode.objects.get(pk=held.pk).score is None
    row = Activity.objects.get(action=Activity.Action.REJECT_HOLD)
    assert (row.editor, row.episode_id) == (editor, held.pk)


def test_a_scorecard_viewer_cannot_reject_through_the_list(client, held):
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_scorecard"))
    client.force_login(viewer)

    client.post(
        reverse("admin:scoring_scorecard_changelist"),
        {"action": "reject_held_scores", "_selected_action": [held.scorecards.get().pk]},
    )

    assert held.scorecards.get().hold == Scorecard.Hold.HELD
    assert not Activity.objects.exists()


def test_each_model_has_one_admin_registered_by_the_desk():
    desk_owned = {
        Episode: desk_admin.DeskEpisodeAdmin,
        Transcript: desk_admin.DeskTranscriptAdmin,
        Scorecard: desk_admin.DeskScorecardAdmin,
        ScoringRun: desk_admin.DeskScoringRunAdmin,
        EditorialOverride: desk_admin.DeskEditorialOverrideAdmin,
        Show: desk_admin.DeskShowAdmin,
    }
    for model, admin_class in desk_owned.items():
        assert type(admin.site._registry[model]) is admin_class
    # Nobody registers a model only for another app to take it back.
    sources = [
        p
        for app in ("core", "shows", "episodes", "scoring", "people", "browse", "desk")
        for p in (ROOT / app).rglob("*.py")
    ]
    assert not [str(p) for p in sources if ".unregister(" in p.read_text(encoding="utf-8")]


def test_an_edited_transcript_inline_is_logged(client, superuser, interview):
    client.force_login(superuser)
    page = client.get(change_url(interview)).content.decode()
    data = form_data(page, "episode_form")
    language = next(k for k in data if k.endswith("-language"))

    assert client.post(change_url(interview), {**data, language: "en-GB"}).status_code == 302

    row = Activity.objects.get(action="edit_transcript")
    assert (row.before, row.after) == ("language: ", "language: en-GB")


def test_an_episode_without_a_transcript_still_saves(editor_client):
    episode = TranscriptFactory().episode
    Transcript.objects.filter(episode=episode).delete()
    page = editor_client.get(change_url(episode)).content.decode()
    data = form_data(page, "episode_form")
    assert editor_client.post(change_url(episode), data).status_code == 302
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("changelist", "action", "selection"),
    [("episodes_episode", "hide", "episode"), ("scoring_scorecard", "hide_episodes", "card")],
)
def test_a_hide_from_a_list_takes_a_reason(editor_client, interview, changelist, action, selection):
    selected = {"episode": interview.pk, "card": interview.scorecards.get().pk}[selection]
    url = reverse(f"admin:{changelist}_changelist")

    refused = editor_client.post(
        url, {"action": action, "_selected_action": [selected]}, follow=True
    )
    assert "Nothing hidden. Say why it is hidden" in refused.content.decode()
    assert not Episode.objects.get(pk=interview.pk).hidden

    editor_client.post(
        url, {"action": action, "_selected_action": [selected], "reason": "  A  trailer. "}
    )
    assert Episode.objects.get(pk=interview.pk).hidden
    assert Activity.objects.get(action="hide").detail == "A trailer."


def test_a_superuser_edits_an_episode_whose_audio_and_transcript_are_our_own_files(
    client, superuser, interview
):
    # The demo's self-transcribed episode: its audio and the transcript's source are
    # site-relative paths to bundled files, which no URL field accepts.
    Episode.objects.filter(pk=interview.pk).update(audio_url="/static/demo/audio/pilot.mp3")
    Transcript.objects.filter(episode=interview).update(source_url="/static/demo/audio/pilot.mp3")
    client.force_login(superuser)
    page = client.get(change_url(interview)).content.decode()
    data = form_data(page, "episode_form")
    language = next(k for k in data if k.endswith("-language"))

    saved = client.post(change_url(interview), {**data, "title": "Renamed", language: "en-GB"})

    assert saved.status_code == 302, saved.content.decode()[-2000:]
    interview.refresh_from_db()
    assert interview.title == "Renamed"
    assert interview.audio_url == "/static/demo/audio/pilot.mp3"
    assert Transcript.objects.get(episode=interview).language == "en-GB"
