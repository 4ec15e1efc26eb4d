"""New words are scored again whoever wrote them: the database says a transcript is due (its
hash differs from its scorecard's), the every-minute sweep finds it, a commit nudges it."""

import json

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from episodes.models import Transcript
from scoring import tasks
from scoring.models import Scorecard, ScoringRun
from scoring.services import changed_since_scoring_ids, pending_episode_ids

pytestmark = pytest.mark.django_db


def current_hash(episode) -> str:
    return Scorecard.objects.current().get(episode=episode).transcript_hash


def reworded(segments: list[dict]) -> list[dict]:
    """The same segments with the first one's words changed."""
    first = {**segments[0], "text": "An entirely different opening line about pricing."}
    return [first, *segments[1:]]


def change_form_data(client, url) -> dict:
    """What the admin's change form would post as it stands."""
    form = BeautifulSoup(client.get(url).content, "html.parser").select_one("form#transcript_form")
    data = {}
    for field in form.select("input[name], textarea[name], select[name]"):
        if field.name == "textarea":
            data[field["name"]] = field.get_text()
        elif field.name == "select":
            chosen = field.select_one("option[selected]")
            data[field["name"]] = chosen["value"] if chosen else ""
        elif field.get("type") not in ("submit", "checkbox") or field.has_attr("checked"):
            data[field["name"]] = field.get("value", "")
    return data


def test_it_rescores_segments_saved_through_the_admin(
    client, superuser, interview, django_capture_on_commit_callbacks
):
    transcript = Transcript.objects.get(episode=interview)
    before = transcript.content_hash
    assert current_hash(interview) == before
    client.force_login(superuser)
    url = reverse("admin:episodes_transcript_change", args=[transcript.pk])
    data = change_form_data(client, url)
    data["segments"] = json.dumps(reworded(transcript.segments))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)

    assert response.status_code == 302
    transcript.refresh_from_db()
    assert transcript.content_hash != before
    assert current_hash(interview) == transcript.content_hash
    assert interview.pk not in pending_episode_ids()


def test_the_sweep_rescores_segments_saved_through_the_orm(interview):
    transcript = Transcript.objects.get(episode=interview)
    transcript.segments = reworded(transcript.segments)
    transcript.save()  # no nudge: a shell, a script, a data migration

    assert changed_since_scoring_ids() == [interview.pk]
    assert tasks.score_changed_transcripts.apply().get() == 1

    transcript.refresh_from_db()
    assert current_hash(interview) == transcript.content_hash
    assert tasks.score_changed_transcripts.apply().get() == 0


def test_the_sweep_tries_words_that_cannot_be_scored_once(interview):
    transcript = Transcript.objects.get(episode=interview)
    transcript.segments = [{**transcript.segments[0], "text": "Too short to judge."}]
    transcript.save()

    assert tasks.score_changed_transcripts.apply().get() == 1
    assert ScoringRun.objects.filter(episode=interview).latest("pk").outcome == "failed"

    # Still waiting (the hourly sweep tries again), but not every minute.
    assert interview.pk in pending_episode_ids()
    assert tasks.score_changed_transcripts.apply().get() == 0
