from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from scoring.models import Scorecard, ScoringRun
from tests.scoring.conftest import answer, transcript_text

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("score_episodes", *args, stdout=out)
    return out.getvalue()


def test_it_scores_a_shows_episodes_with_the_configured_model(llm, interview_episode, make_episode):
    make_episode(transcript_text("operator_interview.txt"), show=interview_episode.show)
    llm.answer(answer())
    llm.answer(answer(scores=(10, 10, 10, 10, 10)))

    output = run("--show", interview_episode.show.slug)

    assert "[1/2]" in output and "[2/2]" in output
    assert "Done: 2 ok; cost $0.004400." in output
    cards = Scorecard.objects.filter(episode__show=interview_episode.show, is_current=True)
    assert cards.count() == 2
    for card in cards:
        assert card.prompt_tokens == 1000 and card.cost_usd > 0
        quotes = [q for d in card.dimensions.all() for q in d.quotes]
        assert quotes and all(q["verified"] and q["speaker"] for q in quotes)


def test_it_skips_unchanged_episodes_unless_forced(interview_episode):
    run("--episode", str(interview_episode.pk))

    unchanged = run("--episode", str(interview_episode.pk))
    forced = run("--episode", str(interview_episode.pk), "--force")

    assert "Unchanged, not re-scored" in unchanged
    assert "OK 94/100" in forced
    assert ScoringRun.objects.filter(episode=interview_episode).count() == 3


def test_it_reports_a_failed_episode_and_carries_on(llm, interview_episode, chat_episode):
    llm.fail(401)
    llm.answer(answer())

    output = run()

    assert "Failed" in output and "401" in output
    assert "Done: 1 failed, 1 ok" in output


def test_it_refuses_an_unknown_episode_or_show(db):
    with pytest.raises(CommandError, match="No episode with id 404"):
        run("--episode", "404")
    with pytest.raises(CommandError, match="No show 'nope'"):
        run("--show", "nope")


def test_it_says_which_scores_are_held_for_review(llm, interview_episode):
    llm.answer(answer(scores=(20, 20, 20, 20, 20)))

    output = run("--episode", str(interview_episode.pk))

    assert "OK 100/100 — held for an editor's review, not public" in output
    assert "Done: 1 ok (1 held for review);" in output
