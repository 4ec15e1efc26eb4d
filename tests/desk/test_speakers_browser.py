"""An editor fixes who said what and a misheard word in Chromium, on an episode we transcribed
ourselves: the public page, the score and the activity log follow. With and without JavaScript.

Screenshots go to test-output/ (desk-speakers*.png).
"""

import re

import pytest
from django.urls import reverse

from desk.models import Activity
from episodes.models import Episode, Transcript
from episodes.transcripts.parse import parse_plain_text
from scoring.pipeline import run_scoring
from tests.desk.conftest import INTERVIEW, make_editor
from tests.desk.test_browser import signed_in
from tests.factories import EpisodeFactory, ShowFactory, TranscriptFactory
from tests.scoring.conftest import INTERVIEW_QUOTES, answer
from tests.scoring.fake_llm import point_scoring_at

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
FIRST = (16, 14, 18, 14, 12)  # 74
AFTER_THE_FIX = (12, 10, 12, 10, 10)  # 54
# The sentence the editor corrects: the model quoted it, so the quote must go.
MISHEARD = "Most people think hiding the price protects margin."
HEARD = "Most people think hiding the price protects the margin they have."


@pytest.fixture
def ours(fake_llm, settings):
    """A demo-like episode we transcribed ourselves: unnamed labels A, B and C, where C is
    the guest split off by the speaker recognition; scored 74 by the (fake) model."""
    point_scoring_at(settings, fake_llm.url)
    show = ShowFactory(title="Revenue Rooms")
    episode = EpisodeFactory(show=show, title="Pricing in public")
    segments = parse_plain_text(INTERVIEW.read_text(encoding="utf-8"))
    for n, segment in enumerate(segments):
        segment["start"], segment["end"] = n * 25.0, n * 25.0 + 24
    segments[-1]["speaker"] = "C"  # the guest's last turn, put on a third voice
    TranscriptFactory(
        episode=episode,
        segments=segments,
        speaker_names={},
        source=Transcript.Source.ASR,
        engine="local",
        model="tiny.en",
        source_url=episode.audio_url,
    )
    fake_llm.answer(answer(scores=FIRST))
    assert run_scoring(episode.pk).outcome == "ok"
    # The re-scores after the rename and the merge, then after the corrected word.
    fake_llm.answer(answer(scores=FIRST))
    fake_llm.answer(answer(scores=FIRST))
    later = {k: [q for q in v if q != MISHEARD] for k, v in INTERVIEW_QUOTES.items()}
    fake_llm.answer(answer(scores=AFTER_THE_FIX, quotes=later))
    return Episode.objects.get(pk=episode.pk)


def public_text(browser, live_server, episode) -> tuple[str, str, list[str], str]:
    """The public page as a reader sees it: score, text, share-of-words names, quotes."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + episode.get_absolute_url())
    text = page.text_content("main")  # the transcript is in a closed <details>
    score = page.inner_text(".score-number")
    shares = page.locator(".share-bars .speaker-name").all_inner_texts()
    quotes = " ".join(page.locator("figure.quote blockquote").all_inner_texts())
    context.close()
    return score, text, shares, quotes


def test_an_editor_renames_merges_and_corrects_and_everything_follows(
    chromium, live_server, ours, fake_llm, test_output_dir
):
    score, _, shares, quotes = public_text(chromium, live_server, ours)
    assert score == "74" and len(shares) == 3 and MISHEARD in quotes

    page = signed_in(chromium, live_server, make_editor())
    page.goto(live_server.url + reverse("admin:episodes_episode_review", args=[ours.pk]))
    speakers = page.locator("#speakers")
    assert speakers.locator(".speaker-name").all_inner_texts() == [
        "Speaker A",
        "Speaker B",
        "Speaker C",
    ]

    # A name that is not one is a form error in place, not a 500 and not a reload.
    page.evaluate("window.stillHere = true")
    speakers.locator("#speaker-2 input[type=text]").fill("   ")
    speakers.locator("#speaker-2 button").click()
    page.locator("#speaker-2 .errorlist").wait_for()
    assert 'Give a name, or "Host" or "Guest".' in page.inner_text("#speaker-2")
    assert page.evaluate("window.stillHere") is True

    # Rename B, and A as the host.
    page.locator("#speaker-2 input[type=text]").fill("Dana Whitfield")
    with page.expect_navigation():  # saved: the score, analysis and quotes may all change
        page.locator("#speaker-2 button").click()
    assert page.locator("#speaker-2 .speaker-name").inner_text() == "Dana Whitfield"
    assert "Dana Whitfield" in fake_llm.user_prompt()

    # Merge C (the same guest) into B.
    page.select_option("#id_merge-label", "C")
    page.select_option("#id_merge-into", "B")
    with page.expect_navigation():
        page.click("text=Merge speakers")
    assert page.locator("#speakers tbody tr").count() == 2
    page.screenshot(path=str(test_output_dir / "desk-speakers.png"), full_page=True)

    # Fix a misheard word: the form opens in place (htmx), the page reloads once saved.
    segment = page.locator("#transcript-pane > li", has_text=MISHEARD)
    number = segment.get_attribute("id").removeprefix("seg-")
    page.evaluate("window.stillHere = true")
    segment.locator("a.correct-link").click()
    textarea = page.locator(f"#seg-{number} textarea")
    textarea.wait_for()
    assert page.evaluate("window.stillHere") is True
    textarea.fill(textarea.input_value().replace(MISHEARD, HEARD))
    with page.expect_navigation():
        page.click(f"#seg-{number} >> text=Save the words")
    assert HEARD in page.inner_text(f"#seg-{number}")
    page.screenshot(path=str(test_output_dir / "desk-speakers-fixed.png"), full_page=True)

    score, text, shares, quotes = public_text(chromium, live_server, ours)
    assert shares == ["Dana Whitfield", "Speaker A"]
    assert HEARD in text and MISHEARD not in quotes
    assert score == "54"

    page.goto(live_server.url + reverse("admin:desk_activity_changelist") + f"?episode={ours.pk}")
    log = page.inner_text("#result_list")
    assert "Renamed a speaker" in log and "Merged two speakers" in log
    assert "Corrected the words" in log and HEARD in log
    assert list(Activity.objects.order_by("pk").values_list("action", "before", "after"))[:2] == [
        ("rename_speaker", "Speaker B", "Dana Whitfield"),
        ("merge_speakers", "Speaker C (C); Dana Whitfield (B)", "Dana Whitfield (B)"),
    ]
    assert page.console_errors == [] and page.bad_responses == []


def test_without_javascript_an_editor_renames_a_speaker(chromium, live_server, ours):
    editor = make_editor()
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", editor.username)
    page.fill("#id_password", "a-long-passphrase-for-tests")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))
    page.goto(live_server.url + reverse("admin:episodes_episode_review", args=[ours.pk]))

    page.locator("#speaker-1 input[type=text]").fill("Host")
    page.locator("#speaker-1 button").click()
    page.wait_for_load_state()

    assert page.locator("#speaker-1 .speaker-name").inner_text() == "Host"
    page.locator("#seg-2 a.correct-link").click()
    page.locator("#seg-2 textarea").fill("Because our win rate fell.")
    page.click("#seg-2 >> text=Save the words")
    page.wait_for_load_state()
    assert "Because our win rate fell." in page.inner_text("#seg-2")
    assert Transcript.objects.get(episode=ours).speaker_names == {"A": "Host"}
    context.close()
