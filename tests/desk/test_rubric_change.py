"""After the active rubric changes, the lists, Episode.score, the public page and the desk show
the same scorecard: the old rubric's until the episode is scored under the new one."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from scoring.models import Rubric, RubricDimension, Scorecard
from scoring.ranking import refresh_show
from scoring.services import pending_episode_ids
from tests.factories import score_episode

pytestmark = pytest.mark.django_db


def publish_next_rubric() -> Rubric:
    """A copy of the active rubric as the next version, made the active one."""
    old = Rubric.objects.active().get()
    new = Rubric.objects.create(version=old.version + 1, name=f"{old.name} revised")
    for dimension in old.dimensions.all():
        RubricDimension.objects.create(
            rubric=new,
            key=dimension.key,
            name=dimension.name,
            description=dimension.description,
            max_score=dimension.max_score,
            position=dimension.position,
        )
    Rubric.objects.filter(pk=old.pk).update(is_active=False)
    Rubric.objects.filter(pk=new.pk).update(is_active=True)
    return new


def shown_scores(client, editor_client, episode) -> dict:
    """The score each reader sees: the show page's row, the public page, the desk."""
    show_page = BeautifulSoup(client.get(episode.show.get_absolute_url()).content, "html.parser")
    row = show_page.find("a", href=episode.get_absolute_url()).find_parent("li")
    public = BeautifulSoup(client.get(episode.get_absolute_url()).content, "html.parser")
    desk = BeautifulSoup(
        editor_client.get(reverse("admin:episodes_episode_review", args=[episode.pk])).content,
        "html.parser",
    )
    episode.refresh_from_db()
    return {
        "Episode.score": episode.score,
        "list": int(row.select_one(".score-badge").get_text()),
        "page": int(public.select_one(".score-number").get_text()),
        "desk": int(desk.select_one("#score-total .model-score").get_text().split("/")[0]),
    }


def test_it_shows_the_old_rubrics_score_everywhere_until_the_new_one_scores(
    client, editor_client, interview
):
    before = interview.score
    assert before is not None

    new = publish_next_rubric()

    assert shown_scores(client, editor_client, interview) == dict.fromkeys(
        ["Episode.score", "list", "page", "desk"], before
    )
    # The show's figures are worked out from the same scorecards.
    before_averages = interview.show.dimension_averages
    assert before_averages
    refresh_show(interview.show_id)
    interview.show.refresh_from_db()
    assert interview.show.dimension_averages == before_averages
    # The episode is waiting to be scored under the new rubric all the same.
    assert interview.pk in pending_episode_ids()

    rescored = score_episode(interview, total=before + 7 if before <= 90 else before - 7)
    # Made from the words as they are, as the pipeline's scorecards are.
    Scorecard.objects.filter(episode=interview, rubric=new).update(
        transcript_hash=interview.transcript.content_hash
    )

    assert rescored.score != before
    assert shown_scores(client, editor_client, interview) == dict.fromkeys(
        ["Episode.score", "list", "page", "desk"], rescored.score
    )
    assert Scorecard.objects.current().get(episode=interview).rubric == new
    assert interview.pk not in pending_episode_ids()
