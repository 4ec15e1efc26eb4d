import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from episodes.models import Episode
from scoring.engines.baseline import FORMULAS
from scoring.models import EditorialOverride, ScoringRun
from scoring.pipeline import run_scoring

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(admin_user, client):
    client.force_login(admin_user)
    return admin_user


def test_it_publishes_the_baseline_formulas_on_the_methodology_page(client):
    page = BeautifulSoup(client.get(reverse("methodology")).content, "html.parser")

    section = page.find(id="baseline-formulas")
    formulas = [p.get_text() for p in section.select(".formula")]
    assert section.find("h3").get_text() == "Insight Density"
    assert len(formulas) == len(FORMULAS)
    specificity = next(f for f in FORMULAS if f.dimension == "specificity_evidence")
    assert formulas[3] == "0 + 0.25 × specifics + 0.8 × measures"
    assert [t.feature for t in specificity.terms] == ["specifics", "measures"]
    assert "numbers, percentages, money and named entities" in section.get_text()


def test_the_override_log_lists_before_after_and_the_editor(editor, client, interview_episode):
    scorecard = run_scoring(interview_episode.pk).scorecard
    craft = scorecard.dimensions.get(dimension__key="conversational_craft")

    EditorialOverride.objects.record(
        episode=interview_episode,
        dimension=craft.dimension,
        editor=editor,
        score=5,
        reason="The host mostly read the guest's talking points back.",
    )

    interview_episode.refresh_from_db()
    assert interview_episode.score == scorecard.total - craft.score + 5
    page = BeautifulSoup(
        client.get(reverse("admin:scoring_editorialoverride_changelist")).content, "html.parser"
    )
    row = [td.get_text(strip=True) for td in page.select("#result_list tbody tr td")]
    assert str(craft.score) in row and "5" in row and editor.username in row
    assert "Set" in row


def test_the_override_log_cannot_be_added_to_edited_or_deleted_in_the_admin(
    editor, client, interview_episode
):
    run_scoring(interview_episode.pk)
    override = EditorialOverride.objects.record(
        episode=interview_episode, dimension=None, editor=editor, score=12, reason="Mostly an ad."
    )

    add = client.post(
        reverse("admin:scoring_editorialoverride_add"),
        {"episode": interview_episode.pk, "score": 3, "reason": "x", "is_active": "on"},
    )
    delete = client.post(
        reverse("admin:scoring_editorialoverride_delete", args=[override.pk]), {"post": "yes"}
    )
    client.post(
        reverse("admin:scoring_editorialoverride_change", args=[override.pk]),
        {"score": 1, "reason": "edited"},
    )

    assert (add.status_code, delete.status_code) == (403, 403)
    override.refresh_from_db()
    assert (override.score, override.reason, EditorialOverride.objects.count()) == (
        12,
        "Mostly an ad.",
        1,
    )


def test_a_revert_restores_the_model_score(editor, interview_episode):
    scorecard = run_scoring(interview_episode.pk).scorecard
    override = EditorialOverride.objects.record(
        episode=interview_episode, dimension=None, editor=editor, score=12, reason="Mostly an ad."
    )
    interview_episode.refresh_from_db()
    assert interview_episode.score == 12

    EditorialOverride.objects.record(
        episode=interview_episode,
        dimension=None,
        editor=editor,
        reason="",
        revert=True,
        version=override.pk,
    )

    interview_episode.refresh_from_db()
    assert interview_episode.score == scorecard.total
    assert EditorialOverride.objects.count() == 2


def test_it_rescores_and_hides_episodes_from_the_scorecard_list(
    editor, client, interview_episode, chat_episode
):
    first = run_scoring(interview_episode.pk).scorecard
    changelist = reverse("admin:scoring_scorecard_changelist")

    client.post(changelist, {"action": "rescore_episodes", "_selected_action": [first.pk]})
    client.post(
        changelist,
        {"action": "hide_episodes", "_selected_action": [first.pk], "reason": "Off topic."},
    )

    runs = ScoringRun.objects.filter(episode=interview_episode).order_by("started_at")
    assert [r.outcome for r in runs] == [ScoringRun.Outcome.OK, ScoringRun.Outcome.OK]
    assert Episode.objects.get(pk=interview_episode.pk).hidden
    assert not Episode.objects.get(pk=chat_episode.pk).hidden


def test_it_heads_the_run_list_with_a_daily_spend_summary(editor, client, interview_episode):
    run_scoring(interview_episode.pk)
    ScoringRun.objects.create(
        episode=interview_episode,
        engine="llm",
        rubric_version=1,
        outcome=ScoringRun.Outcome.FAILED,
        prompt_tokens=12_000,
        cost_usd="0.0125",
    )

    page = BeautifulSoup(
        client.get(reverse("admin:scoring_scoringrun_changelist")).content, "html.parser"
    )

    summary = page.find(id="spend-summary")
    assert "$0.0125 of $5.00 today" in summary.find("h2").get_text()
    cells = [td.get_text() for td in summary.find("tbody").find("tr").find_all("td")]
    assert cells[1:5] == ["2", "1", "1", "0"]
    assert cells[5] == "12,000"


def test_it_filters_runs_by_cost_and_tokens(editor, client, interview_episode):
    run_scoring(interview_episode.pk)
    ScoringRun.objects.create(
        episode=interview_episode,
        engine="llm",
        rubric_version=1,
        prompt_tokens=60_000,
        cost_usd="0.25",
        outcome=ScoringRun.Outcome.OK,
    )
    url = reverse("admin:scoring_scoringrun_changelist")

    dear = client.get(url, {"cost": "dear"}).context["cl"].result_count
    large = client.get(url, {"tokens": "large"}).context["cl"].result_count
    free = client.get(url, {"cost": "free"}).context["cl"].result_count

    assert (dear, large, free) == (1, 1, 1)
