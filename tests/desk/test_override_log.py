"""The override log: append-only rows with before, after, editor and reason; one current value."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from desk.models import Activity
from episodes.models import Episode
from scoring.models import EditorialOverride, OverrideConflict, OverrideRefused
from scoring.pipeline import run_scoring
from scoring.services import effective_score
from tests.desk.conftest import make_editor
from tests.factories import EpisodeFactory, scored_episode

pytestmark = pytest.mark.django_db

record = EditorialOverride.objects.record


def model_scores(episode):
    return {
        d.dimension.key: d.score for d in episode.scorecards.get(is_current=True).dimensions.all()
    }


def test_a_correction_records_before_after_editor_and_reason(interview, editor, insight):
    model = model_scores(interview)["insight_density"]

    override = record(
        episode=interview, dimension=insight, editor=editor, score=3, reason="Mostly filler."
    )

    assert (override.action, override.before_score, override.score) == ("set", model, 3)
    assert override.model_score == model
    assert override.editor == editor and override.editor_name == "Dana Reyes"
    assert override.is_active and override.previous is None
    interview.refresh_from_db()
    card = interview.scorecards.get(is_current=True)
    assert interview.score == card.total - model + 3
    assert card.dimensions.get(dimension=insight).effective_score == 3


def test_a_change_is_a_new_row_and_the_first_editors_row_is_kept(
    interview, editor, other_editor, insight
):
    first = record(episode=interview, dimension=insight, editor=editor, score=3, reason="A's view")

    second = record(
        episode=interview,
        dimension=insight,
        editor=other_editor,
        score=9,
        reason="B's view",
        version=first.pk,
    )

    first.refresh_from_db()
    assert (second.action, second.before_score, second.score) == ("change", 3, 9)
    assert second.previous == first
    assert (first.score, first.reason, first.editor_name) == (3, "A's view", "Dana Reyes")
    assert not first.is_active and second.is_active
    assert EditorialOverride.objects.count() == 2
    assert effective_score(interview).dimensions[0].score == 9


def test_a_revert_brings_back_the_models_score_and_is_logged(interview, editor, insight):
    model = model_scores(interview)["insight_density"]
    set_row = record(episode=interview, dimension=insight, editor=editor, score=3, reason="Thin.")

    revert = record(
        episode=interview, dimension=insight, editor=editor, reason="", revert=True,
        version=set_row.pk,
    )  # fmt: skip

    assert (revert.action, revert.before_score, revert.score) == ("revert", 3, None)
    assert revert.reason == "Back to the model's score."
    assert not revert.is_active
    assert not EditorialOverride.objects.current().exists()
    interview.refresh_from_db()
    assert interview.score == interview.scorecards.get(is_current=True).total
    assert effective_score(interview).dimensions[0].score == model
    assert [a.action for a in Activity.objects.order_by("pk")] == [
        Activity.Action.OVERRIDE_SET,
        Activity.Action.OVERRIDE_REVERT,
    ]


def test_a_total_override_is_kept_across_rescoring(interview, editor):
    record(episode=interview, dimension=None, editor=editor, score=55, reason="Mostly an ad.")
    run_scoring(interview.pk, force=True)

    interview.refresh_from_db()
    assert interview.score == 55


def test_a_stale_version_is_refused_with_who_and_when(interview, editor, other_editor, insight):
    first = record(episode=interview, dimension=insight, editor=other_editor, score=3, reason="a")
    EditorialOverride.objects.filter(pk=first.pk).update(
        created_at=timezone.now().replace(hour=14, minute=2)
    )

    with pytest.raises(OverrideConflict) as conflict:
        record(episode=interview, dimension=insight, editor=editor, score=9, reason="b", version=0)

    assert str(conflict.value) == "Ada Lovelace changed this at 14:02: reload to see it."
    assert EditorialOverride.objects.count() == 1


def test_an_unscored_episode_is_refused_with_a_message(editor, insight):
    episode = EpisodeFactory()
    with pytest.raises(OverrideRefused, match="has not been scored yet"):
        record(episode=episode, dimension=insight, editor=editor, score=3, reason="x")
    assert not EditorialOverride.objects.exists()


@pytest.mark.parametrize(
    ("score", "reason", "message"),
    [
        (21, "Too high.", "from 0 to 20"),
        (None, "No score.", "from 0 to 20"),
        (5, "   ", "Say why"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(
    interview, editor, insight, score, reason, message
):
    with pytest.raises(OverrideRefused, match=message):
        record(episode=interview, dimension=insight, editor=editor, score=score, reason=reason)
    assert not EditorialOverride.objects.exists()
    assert not Activity.objects.exists()


def test_reverting_with_nothing_to_revert_is_refused(interview, editor, insight):
    with pytest.raises(OverrideRefused, match="no correction to revert"):
        record(episode=interview, dimension=insight, editor=editor, reason="", revert=True)


def test_the_authors_name_survives_their_account(interview, insight):
    gone = make_editor("gone", "Grace", "Hopper")
    record(episode=interview, dimension=insight, editor=gone, score=4, reason="Her call.")
    gone.delete()
    override = EditorialOverride.objects.get()
    assert override.editor is None and override.editor_label == "Grace Hopper"
    assert Activity.objects.get().editor_name == "Grace Hopper"


def test_the_database_keeps_one_current_value_per_score(interview, editor, insight):
    record(episode=interview, dimension=insight, editor=editor, score=4, reason="One.")
    with pytest.raises(IntegrityError):
        EditorialOverride.objects.create(
            episode=interview, dimension=insight, score=5, reason="Two.", editor=editor
        )


def test_the_constraint_messages_are_words_not_names(interview, editor, insight):
    current = record(episode=interview, dimension=insight, editor=editor, score=4, reason="One.")
    duplicate = EditorialOverride(
        episode=interview, dimension=insight, score=5, reason="Two.", is_active=True
    )
    with pytest.raises(ValidationError) as error:
        duplicate.validate_constraints()
    assert "one_active_override_per_dimension" not in str(error.value)
    assert "already has a current correction" in str(error.value)
    assert current.is_active


def test_a_hidden_episode_can_be_corrected_and_stays_hidden(interview, editor, insight):
    Episode.objects.filter(pk=interview.pk).set_hidden(True)
    record(episode=interview, dimension=insight, editor=editor, score=4, reason="Still wrong.")
    interview.refresh_from_db()
    assert interview.hidden


def test_the_log_is_newest_first_per_score(interview, editor, insight):
    a = record(episode=interview, dimension=insight, editor=editor, score=4, reason="a")
    b = record(
        episode=interview, dimension=insight, editor=editor, score=5, reason="b", version=a.pk
    )
    EditorialOverride.objects.filter(pk=b.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert EditorialOverride.objects.latest_for(interview.pk, insight.pk) == b
    assert scored_episode().overrides.count() == 0
