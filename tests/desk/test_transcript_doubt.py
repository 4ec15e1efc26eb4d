"""The review screen tells editors when our speech model doubted a transcript, and why."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from episodes.models import Transcript

pytestmark = pytest.mark.django_db

DOUBT = "The model was unsure of its words (word confidence 0.52, signal to noise 8 dB)."


def doubt_block(client, episode):
    page = client.get(reverse("admin:episodes_episode_review", args=[episode.pk]))
    return BeautifulSoup(page.content, "html.parser").select_one("#transcript-doubt")


def test_it_shows_the_models_doubts_above_the_transcript(editor_client, interview):
    Transcript.objects.filter(episode=interview).update(
        low_confidence=True, confidence={"words": 60, "doubts": [DOUBT]}
    )
    block = doubt_block(editor_client, interview)
    assert block is not None
    assert [item.get_text() for item in block.select("li")] == [DOUBT]
    assert block.find_parent("section")["class"] == ["review-transcript"]


def test_it_says_nothing_of_doubt_when_the_model_was_sure(editor_client, interview):
    assert doubt_block(editor_client, interview) is None
