"""The episode page in a real browser: layout, no console errors, timestamps that seek."""

import io
import wave

import pytest
from django.core.management import call_command

from episodes.models import Episode
from tests.factories.http import LocalServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def silent_wav(seconds: int = 1800, rate: int = 4000) -> bytes:
    """A silent mono WAV file that any browser can play and seek."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(b"\x80" * rate * seconds)
    return buffer.getvalue()


@pytest.fixture
def audio_url():
    """Serve a silent WAV on 127.0.0.1 with range support, like a podcast CDN."""
    server = LocalServer().start()
    yield server.serve("/episode.wav", silent_wav(), content_type="audio/wav", ranges=True)
    server.stop()


@pytest.fixture
def demo_episode(audio_url):
    call_command("demo", stdout=io.StringIO())
    episode = Episode.objects.select_related("show").order_by("-score").first()
    episode.audio_url = audio_url
    episode.audio_type = "audio/wav"
    episode.save()
    return episode


def test_it_renders_a_demo_episode_without_console_errors(
    live_server, page, demo_episode, test_output_dir
):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + demo_episode.get_absolute_url())
    assert page.locator("h1").inner_text() == demo_episode.title
    assert page.locator(".score-number").inner_text() == str(demo_episode.score)
    assert page.locator(".dimension-bars li").count() == 5
    # The transcript starts collapsed.
    assert not page.locator("details.transcript").evaluate("d => d.open")
    page.screenshot(path=str(test_output_dir / "episode-page.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(test_output_dir / "episode-page-phone.png"), full_page=True)
    assert page.console_errors == []


@pytest.mark.parametrize("link", ["quote", "transcript line"])
def test_it_plays_from_a_timestamp(live_server, page, demo_episode, link):
    page.goto(live_server.url + demo_episode.get_absolute_url())
    if link == "quote":
        line = page.locator("figure.quote a.seek").last
    else:
        page.locator("details.transcript summary").click()
        line = page.locator("ol.segments li a.seek").nth(3)
    target = float(line.get_attribute("data-seek"))
    href = line.get_attribute("href")
    assert target > 0
    line.click()
    page.wait_for_function(
        "t => Math.abs(document.getElementById('player').currentTime - t) < 5", arg=target
    )
    assert href.startswith("#t=")
    assert page.url.endswith(href)
    assert page.console_errors == []
