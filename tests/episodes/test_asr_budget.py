"""The transcription budget, the shows' shares, the order of the queue and retries that end."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from episodes import asr_budget
from episodes.models import Episode, TranscriptionCharge
from episodes.transcripts import transcribe
from shows.models import Show
from tests.factories import EpisodeFactory, ShowFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def asr_on(settings, tmp_path):
    settings.PODINDEX_ASR_ENABLED = True
    settings.PODINDEX_ASR_ENGINE = "local"
    settings.PODINDEX_ASR_TMP_DIR = str(tmp_path)
    settings.PODINDEX_BUDGET_SHOW_SHARE = 1.0
    settings.PODINDEX_BUDGET_NEW_SHOWS_SHARE = 1.0


def waiting(show=None, n=1, hours=1.0, **kwargs):
    show = show or ShowFactory()
    return [
        EpisodeFactory(
            show=show,
            asr_wanted=True,
            transcript_status=transcribe.WAITING,
            duration_seconds=round(hours * 3600),
            **kwargs,
        )
        for _ in range(n)
    ]


def admitted_ids(limit=100) -> list[int]:
    return [episode.pk for episode, _ in asr_budget.admit(limit)]


def age_charges(days=1):
    """Move today's charges to an earlier day, as if the clock had passed midnight UTC."""
    TranscriptionCharge.objects.update(created_at=timezone.now() - timedelta(days=days))


def test_it_waits_for_the_next_day_when_the_budget_is_spent_and_loses_nothing(asr_on, settings):
    settings.PODINDEX_DAILY_ASR_AUDIO_HOURS = 2.0
    episodes = waiting(n=3, hours=0.75)

    first = admitted_ids()

    assert len(first) == 2
    late = Episode.objects.get(pk=({e.pk for e in episodes} - set(first)).pop())
    assert late.transcript_status == transcribe.BUDGET_WAIT
    assert late.transcript_error.startswith("Waiting for budget: today's transcription budget")
    assert asr_budget.spent_today().seconds == pytest.approx(1.5 * 3600)
    assert admitted_ids() == []

    age_charges()

    assert admitted_ids() == [late.pk]


def test_it_counts_provider_dollars_for_the_api_engine(asr_on, settings):
    settings.PODINDEX_ASR_ENGINE = "api"
    settings.PODINDEX_DAILY_ASR_BUDGET_USD = 0.50
    settings.PODINDEX_ASR_API_USD_PER_MINUTE = 0.006
    # 60 minutes cost $0.36: one fits in $0.50, two do not.
    waiting(n=2, hours=1.0)

    assert len(admitted_ids()) == 1
    assert float(asr_budget.spent_today().usd) == pytest.approx(0.36)


def test_it_settles_an_attempt_to_what_it_measured_and_refunds_a_failed_one(asr_on, feed_server):
    (_episode,) = waiting(hours=1.0, audio_url=feed_server.url("/gone.mp3"))
    ((admitted, charge_id),) = asr_budget.admit(1)

    transcribe.transcribe_episode(admitted.pk)
    asr_budget.settle(charge_id)

    charge = TranscriptionCharge.objects.get(pk=charge_id)
    assert charge.estimated_seconds == 3600 and charge.audio_seconds == 0
    assert asr_budget.spent_today().seconds == 0


def test_it_keeps_one_show_to_its_share_so_other_shows_still_get_theirs(asr_on, settings):
    settings.PODINDEX_DAILY_ASR_AUDIO_HOURS = 4.0
    settings.PODINDEX_BUDGET_SHOW_SHARE = 0.25
    # Dates set here: the factory's own go back a day per episode made in the whole run.
    hostile = waiting(n=20, hours=1.0, published_at=timezone.now() - timedelta(hours=1))
    other = waiting(n=1, hours=1.0, published_at=timezone.now() - timedelta(days=400))

    admitted = admitted_ids()

    assert len(admitted) == 2
    assert admitted[0] in {episode.pk for episode in hostile}
    assert admitted[1] == other[0].pk
    reasons = set(
        Episode.objects.filter(show=hostile[0].show, transcript_status=transcribe.BUDGET_WAIT)
        .values_list("transcript_error", flat=True)
        .distinct()
    )
    assert len(reasons) == 1 and "this show's share" in reasons.pop()


def test_it_keeps_new_shows_together_to_their_share(asr_on, settings):
    settings.PODINDEX_DAILY_ASR_AUDIO_HOURS = 4.0
    settings.PODINDEX_BUDGET_NEW_SHOWS_SHARE = 0.5
    new_shows = [waiting(n=2, hours=1.0)[0] for _ in range(3)]
    established = waiting(n=2, hours=1.0, published_at=timezone.now() - timedelta(days=400))
    Show.objects.filter(pk=established[0].show_id).update(
        created_at=timezone.now() - timedelta(days=30)
    )

    admitted = admitted_ids()

    assert len([pk for pk in admitted if pk in {e.pk for e in new_shows}]) <= 2
    assert {e.pk for e in established} <= set(admitted)


def test_it_takes_ranked_shows_first_then_the_newest_episodes(asr_on):
    now = timezone.now()
    unranked_new = waiting(published_at=now - timedelta(hours=1))[0]
    ranked_old = waiting(published_at=now - timedelta(days=30))[0]
    ranked_new = waiting(show=ranked_old.show, published_at=now - timedelta(days=2))[0]
    Show.objects.filter(pk=ranked_old.show_id).update(rank=4)

    assert admitted_ids() == [ranked_new.pk, ranked_old.pk, unranked_new.pk]


def test_it_backs_off_longer_after_each_failure_then_gives_up_with_the_last_reason(
    asr_on, feed_server
):
    feed_server.serve("/flaky.mp3", b"busy", status=503)
    (episode,) = waiting(audio_url=feed_server.url("/flaky.mp3"))
    waits = []
    for _ in range(5):
        started = timezone.now()
        transcribe.transcribe_episode(episode.pk)
        episode.refresh_from_db()
        if episode.asr_retry_at:
            waits.append(round((episode.asr_retry_at - started).total_seconds() / 3600))
        # Not offered again before its time: the queue skips it.
        assert episode.pk not in {e.pk for e in asr_budget.candidates()}

    assert waits == [1, 6, 24, 72]
    assert episode.transcript_status == transcribe.UNTRANSCRIBABLE
    assert episode.transcript_error.startswith("gave up after 5 attempts; the last: download:")
    assert "503" in episode.transcript_error
    assert len(feed_server.hits("/flaky.mp3")) == 5


def test_it_stops_fetching_audio_that_is_gone_twice_until_the_feed_names_other_audio(
    asr_on, feed_server
):
    (episode,) = waiting(audio_url=feed_server.url("/gone.mp3"))

    transcribe.transcribe_episode(episode.pk)
    episode.refresh_from_db()
    assert episode.transcript_status == transcribe.FAILED
    transcribe.transcribe_episode(episode.pk)
    episode.refresh_from_db()

    assert episode.transcript_status == transcribe.UNTRANSCRIBABLE
    assert "audio_gone" in episode.transcript_error
    Episode.objects.filter(pk=episode.pk).update(asr_retry_at=None)
    assert admitted_ids() == []

    # The feed names another file: tried again, with a fresh set of attempts.
    Episode.objects.filter(pk=episode.pk).update(audio_url=feed_server.url("/moved.mp3"))
    assert admitted_ids() == [episode.pk]
    assert Episode.objects.get(pk=episode.pk).asr_attempts == 0


def test_it_does_not_retry_a_blocked_address(asr_on, settings):
    settings.PODINDEX_ALLOW_PRIVATE_URLS = False
    (episode,) = waiting(audio_url="http://127.0.0.1:9/audio.mp3")

    transcribe.transcribe_episode(episode.pk)

    episode.refresh_from_db()
    assert episode.transcript_status == transcribe.UNTRANSCRIBABLE
    assert episode.asr_retry_at is None


def test_it_prints_what_a_selection_would_take_without_changing_anything(asr_on, settings):
    settings.PODINDEX_DAILY_ASR_AUDIO_HOURS = 10.0
    show = ShowFactory(slug="big-show")
    for _ in range(4):
        EpisodeFactory(show=show, duration_seconds=5400)
    out = io.StringIO()

    call_command("transcribe_episodes", "--show", "big-show", "--dry-run", stdout=out)

    text = out.getvalue()
    assert "4 episodes, 6.0 h of audio" in text
    assert "today: 0.00 of 10 audio hours spent" in text
    assert "days of budget: 0.6" in text
    assert not Episode.objects.filter(asr_wanted=True).exists()
    assert not TranscriptionCharge.objects.exists()


def test_an_editor_can_try_again_without_the_request_transcribing(
    asr_on, admin_client, feed_server
):
    episode = EpisodeFactory(
        audio_url=feed_server.url("/back.mp3"),
        asr_attempts=5,
        transcript_status=transcribe.UNTRANSCRIBABLE,
        transcript_error="gave up after 5 attempts; the last: download: HTTP 503",
    )

    response = admin_client.post(
        reverse("admin:episodes_episode_changelist"),
        {"action": "transcribe_again", "_selected_action": [episode.pk]},
        follow=True,
    )

    episode.refresh_from_db()
    assert "1 episode(s) wait for transcription" in response.content.decode()
    assert (episode.transcript_status, episode.asr_attempts) == (transcribe.WAITING, 0)
    assert episode.asr_wanted
    assert feed_server.hits("/back.mp3") == []
    assert admitted_ids() == [episode.pk]
