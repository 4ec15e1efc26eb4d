"""The dashboard's transcription budget: the queue in audio hours, today's and the week's
spend against the budget, and how long the queue takes to empty at the measured speed."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from episodes.models import TranscriptionCharge
from episodes.transcripts import transcribe
from tests.desk.test_dashboard import section
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def spend(settings):
    settings.PODINDEX_ASR_ENGINE = "local"
    settings.PODINDEX_DAILY_ASR_AUDIO_HOURS = 10.0
    for _ in range(2):
        EpisodeFactory(asr_wanted=True, transcript_status=transcribe.WAITING, duration_seconds=5400)
    EpisodeFactory(asr_wanted=True, transcript_status=transcribe.BUDGET_WAIT, duration_seconds=0)
    now = timezone.now()
    # Today: 2 h of audio in 12 minutes (10x real time); three days ago: 5 h.
    today = TranscriptionCharge.objects.create(
        estimated_seconds=7200, audio_seconds=7200, wall_seconds=720, settled_at=now
    )
    earlier = TranscriptionCharge.objects.create(
        estimated_seconds=18000, audio_seconds=18000, wall_seconds=1800, settled_at=now
    )
    TranscriptionCharge.objects.filter(pk=earlier.pk).update(created_at=now - timedelta(days=3))
    return today


def test_it_shows_the_queue_and_the_spend_against_the_budget(editor_client, spend):
    text = section(editor_client, "transcription-budget")

    assert "2.0 h of 10.0 h of audio today" in text
    assert "Last 7 days: 7.0 h of audio" in text
    # 2 x 90 minutes, and 45 minutes for the episode whose feed gives no duration.
    assert "Queue: 3 episodes, 3.8 h of audio; 1 waiting for budget" in text
    assert "Empty in about 0.4 h of one worker at 10x real time" in text


def test_transcribe_episodes_dry_run_prints_the_same_figures(spend):
    out = io.StringIO()

    call_command("transcribe_episodes", "--dry-run", stdout=out)

    text = out.getvalue()
    assert "3 episodes, 3.8 h of audio (1 without a duration" in text
    assert "today: 2.00 of 10 audio hours spent; last 7 days: 7.0 h of audio" in text
    assert "time at 10.0x real time: 0.4 h of one worker" in text
