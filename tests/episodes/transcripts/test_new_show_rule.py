"""The new-show rule holds on every path to our transcription: a show's back catalogue is
transcribed only on request, whether its episodes link no transcript, link ones that all fail,
or lose the publisher's transcript later."""

import io
import re
from collections import Counter

import pytest
from django.core.management import call_command

from episodes import ingest
from episodes.models import Episode, TranscriptionCharge
from episodes.tasks import fetch_transcript, queue_transcription
from episodes.transcripts import transcribe
from tests.factories import EpisodeFactory
from tests.factories.feeds import item, rss

pytestmark = pytest.mark.django_db

# Statuses of an episode sent to our transcription (waiting, running or done with).
SENT = {
    transcribe.WAITING,
    transcribe.BUDGET_WAIT,
    transcribe.QUEUED,
    transcribe.DONE,
    transcribe.FAILED,
    transcribe.UNTRANSCRIBABLE,
}


@pytest.fixture
def asr_on(settings, tmp_path):
    settings.PODINDEX_ASR_ENABLED = True
    settings.PODINDEX_ASR_TMP_DIR = str(tmp_path)
    settings.PODINDEX_ASR_NEW_SHOW_EPISODES = 3


def opml(urls: list[str]) -> str:
    outlines = "".join(f'<outline type="rss" text="s" xmlUrl="{url}"/>' for url in urls)
    return f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'


def sent_per_show() -> Counter:
    return Counter(
        Episode.objects.filter(transcript_status__in=SENT).values_list("show__feed_url", flat=True)
    )


# Committed for real: each poll's after-commit work runs before the command transcribes.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_queues_at_most_three_per_new_show_when_every_transcript_link_fails(
    feed_server, asr_on, tmp_path
):
    urls = []
    for show in range(4):
        items = [
            item(
                n,
                audio=feed_server.url(f"/gone/{show}-{n}.mp3"),
                transcripts=[
                    {"url": feed_server.url(f"/missing/{show}-{n}.vtt"), "type": "text/vtt"},
                    {"url": feed_server.url(f"/missing/{show}-{n}.srt"), "type": "text/srt"},
                ],
            )
            for n in range(1, 21)
        ]
        # One show mixes in episodes that link nothing: the other path to our transcription.
        items += [item(n, audio=feed_server.url(f"/gone/{show}-{n}.mp3")) for n in (21, 22)]
        urls.append(feed_server.serve(f"/feed-{show}.xml", rss(items, title=f"Show {show}")))
    path = tmp_path / "shows.opml"
    path.write_text(opml(urls))
    out = io.StringIO()

    call_command("import_opml", str(path), stdout=out)

    # Every link was tried and failed, and still only the latest three of each show went on.
    assert Episode.objects.filter(transcript_status="failed").count() > 4 * 3
    assert sent_per_show() == dict.fromkeys(urls, 3)
    latest = {
        feed_url: set(
            Episode.objects.filter(show__feed_url=feed_url)
            .order_by("-published_at")
            .values_list("pk", flat=True)[:3]
        )
        for feed_url in urls
    }
    for feed_url, pks in latest.items():
        sent = Episode.objects.filter(show__feed_url=feed_url, transcript_status__in=SENT)
        assert set(sent.values_list("pk", flat=True)) == pks
    # The ingest came first, then the transcription of what it allowed: one attempt each.
    text = out.getvalue()
    assert text.index("shows added") < text.index("Transcribing the waiting episodes")
    assert TranscriptionCharge.objects.count() == 12


def test_it_leaves_an_unwanted_episode_alone_whatever_path_asks(asr_on):
    back_catalogue = EpisodeFactory(transcript_links=[])
    latest = EpisodeFactory(transcript_links=[], asr_wanted=True)

    # Every link failed (the fetch task's fallback), or a publisher transcript was removed
    # and the episode is offered again.
    fetch_transcript(back_catalogue.pk)
    queue_transcription([back_catalogue.pk, latest.pk])

    back_catalogue.refresh_from_db()
    latest.refresh_from_db()
    assert back_catalogue.transcript_status not in SENT
    assert latest.transcript_status == transcribe.WAITING


def test_it_transcribes_a_back_catalogue_on_request(asr_on, feed_server):
    show_episodes = [
        EpisodeFactory(transcript_links=[], audio_url=feed_server.url(f"/gone/{n}.mp3"))
        for n in range(5)
    ]
    slug = show_episodes[0].show.slug
    Episode.objects.update(show=show_episodes[0].show)

    call_command("transcribe_episodes", "--show", slug, stdout=io.StringIO())

    assert Episode.objects.filter(asr_wanted=True).count() == 5
    assert TranscriptionCharge.objects.count() == 5


def test_it_caps_each_later_poll_of_a_feed_that_renames_every_guid(
    feed_server, asr_on, django_capture_on_commit_callbacks
):
    def feed(prefix):
        return rss([item(n, guid=f"{prefix}-{n}", transcripts=[]) for n in range(1, 60)])

    feed_url = feed_server.serve("/renamed.xml", feed("a"))
    with django_capture_on_commit_callbacks(execute=True):
        show, _ = ingest.add_show(feed_url)
    feed_server.serve("/renamed.xml", feed("b"))
    with django_capture_on_commit_callbacks(execute=True):
        ingest.poll_by_id(show.pk, force=True)

    assert Episode.objects.filter(show=show).count() == 118
    assert Episode.objects.filter(show=show, asr_wanted=True).count() == 6
    waiting = Episode.objects.filter(show=show, transcript_status=transcribe.WAITING)
    assert sorted(re.sub(r"-\d+$", "", e.guid) for e in waiting) == ["a"] * 3 + ["b"] * 3
