"""Scores held for review (scoring.outliers) on the editors' desk: the dashboard lists them first,
the review screen shows what was held and why, and an editor releases or rejects it, logged."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from desk.models import Activity
from episodes.models import Episode
from scoring.models import EditorialOverride, OverrideRefused, RubricDimension, Scorecard
from scoring.pipeline import run_scoring
from shows.models import Show

pytestmark = pytest.mark.django_db


def review(episode) -> str:
    return reverse("admin:episodes_episode_review", args=[episode.pk])


def test_the_dashboard_lists_a_held_score_first_with_why(editor_client, editor, interview, held):
    # A newer flagged scorecard (a large correction) still comes after the held one.
    Scorecard.objects.filter(episode=interview).update(created_at=timezone.now())
    EditorialOverride.objects.record(
        episode=interview, dimension=None, editor=editor, score=5, reason="Far off."
    )

    page = editor_client.get(reverse("admin:desk_dashboard_changelist")).content.decode()

    flagged = page[page.index('id="flagged"') :]
    assert "1</strong> score held for review" in page
    assert "Held, not public: Every dimension is at its maximum (100 / 100)." in flagged
    assert flagged.index(held.title) < flagged.index(f">{interview.title}<")
    assert f"{review(held)}#held" in flagged and "Release or reject" in flagged


def test_the_review_screen_shows_the_held_score_and_why(editor_client, held):
    page = editor_client.get(review(held)).content.decode()

    assert "Score held for your review" in page
    assert "100 / 100" in page and "Every dimension is at its maximum" in page
    assert "readers see that a score is held, and no figures" in page
    assert 'value="release_hold"' in page and 'value="reject_hold"' in page


def test_releasing_publishes_the_score_reranks_and_is_logged(editor_client, editor, held, client):
    assert "held for an editor" in client.get(held.get_absolute_url()).content.decode()

    response = editor_client.post(review(held), {"op": "release_hold"}, follow=True)

    episode = Episode.objects.get(pk=held.pk)
    show = Show.objects.get(pk=held.show_id)
    assert "Released: 100 / 100 is now the public score." in response.content.decode()
    assert episode.score == 100 and show.scored_episode_count == 1
    row = Activity.objects.get(action=Activity.Action.RELEASE_HOLD)
    assert (row.editor, row.episode_id, row.show_id) == (editor, held.pk, held.show_id)
    assert "Published 100 / 100" in row.detail and "maximum" in row.detail
    page = client.get(held.get_absolute_url()).content.decode()
    assert "held for an editor" not in page and 'score-number band-exceptional">100<' in page


def test_rejecting_keeps_the_public_score_and_is_logged(editor_client, interview, obedient):
    before = interview.score
    run_scoring(interview.pk, force=True)  # the model now says 100: held

    editor_client.post(review(interview), {"op": "reject_hold"})

    assert Episode.objects.get(pk=interview.pk).score == before
    assert Scorecard.objects.get(hold=Scorecard.Hold.REJECTED).total == 100
    assert Activity.objects.get(action=Activity.Action.REJECT_HOLD).episode_id == interview.pk
    assert "Score held for your review" not in editor_client.get(review(interview)).content.decode()


def test_a_second_decision_gets_a_message_not_an_error(editor_client, held):
    editor_client.post(review(held), {"op": "release_hold"})

    response = editor_client.post(review(held), {"op": "reject_hold"}, follow=True)

    assert "No score of this episode is held any more" in response.content.decode()
    assert Episode.objects.get(pk=held.pk).score == 100
    assert not Activity.objects.filter(action=Activity.Action.REJECT_HOLD).exists()


@pytest.mark.parametrize("kind", ["anonymous", "staff", "editor", "superuser"])
def test_who_may_release_a_held_score(client, visitors, held, kind):
    if visitors[kind] is not None:
        client.force_login(visitors[kind])

    response = client.post(review(held), {"op": "release_hold"})

    released = Episode.objects.get(pk=held.pk).score is not None
    logged = Activity.objects.filter(action=Activity.Action.RELEASE_HOLD).exists()
    status = response.status_code
    if status == 302 and "/admin/login/" in response["Location"]:
        status = "login"
    assert (status, released, logged) == {
        "anonymous": ("login", False, False),
        "staff": (403, False, False),
        "editor": (302, True, True),
        "superuser": (302, True, True),
    }[kind]


def test_a_correction_of_a_first_held_score_says_to_release_it_first(editor_client, held):
    insight = RubricDimension.objects.get(rubric__is_active=True, key="insight_density")
    with pytest.raises(OverrideRefused, match="release the held score, then correct it"):
        EditorialOverride.objects.record(
            episode=held, dimension=insight, editor=None, score=5, reason="Injected."
        )


def test_a_correction_made_while_a_score_is_held_still_applies_once_released(
    editor_client, editor, interview, obedient
):
    EditorialOverride.objects.record(
        episode=interview, dimension=None, editor=editor, score=55, reason="Editors' total."
    )
    run_scoring(interview.pk, force=True)
    assert Episode.objects.get(pk=interview.pk).score == 55

    editor_client.post(review(interview), {"op": "release_hold"})

    interview.refresh_from_db()
    assert interview.score == 55
    assert interview.scorecards.get(is_current=True).total == 100


def test_the_scorecard_list_releases_selected_held_scores(editor_client, editor, interview, held):
    changelist = reverse("admin:scoring_scorecard_changelist")
    assert "Held for an editor" in editor_client.get(changelist + "?hold=held").content.decode()
    selected = [held.scorecards.get().pk, interview.scorecards.get().pk]

    response = editor_client.post(
        changelist, {"action": "release_held_scores", "_selected_action": selected}, follow=True
    )

    assert "Released 1 held score(s); 1 selected were not held." in response.content.decode()
    assert Episode.objects.get(pk=held.pk).score == 100
    row = Activity.objects.get(action=Activity.Action.RELEASE_HOLD)
    assert (row.editor, row.episode_id) == (editor, held.pk)


def test_a_scorecard_viewer_cannot_release_through_the_list(client, held):
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_scorecard"))
    client.force_login(viewer)

    client.post(
        reverse("admin:scoring_scorecard_changelist"),
        {"action": "release_held_scores", "_selected_action": [held.scorecards.get().pk]},
    )

    assert Episode.objects.get(pk=held.pk).score is None
    assert not Activity.objects.exists()
