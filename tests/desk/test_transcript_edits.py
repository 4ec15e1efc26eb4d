"""Editors correct who said what and the words: the page, the analysis, the quotes, the score
and the activity log follow; a bad value is a form error, never a 500."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from desk.models import Activity
from desk.transcript_edits import speaker_labels, transcript_version
from episodes.models import Transcript
from scoring.models import Scorecard
from scoring.quotes import TranscriptIndex
from tests.scoring.conftest import answer
from tests.scoring.fake_llm import point_scoring_at


@pytest.fixture
def staff_viewer(db):
    """Staff who may read episodes and transcripts, not change them."""
    user = User.objects.create_user("viewer", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_episode", "view_transcript"])
    )
    return user


def review(episode):
    return reverse("admin:episodes_episode_review", args=[episode.pk])


def current_transcript(episode) -> Transcript:
    return Transcript.objects.get(episode=episode)


def rename(client, episode, label, name, version=None, **headers):
    transcript = current_transcript(episode)
    prefix = f"speaker-{speaker_labels(transcript).index(label) + 1}"
    return client.post(
        review(episode),
        {
            "op": "rename_speaker",
            f"{prefix}-version": version or transcript_version(transcript),
            f"{prefix}-label": label,
            f"{prefix}-name": name,
        },
        headers=headers,
    )


def merge(client, episode, label, into):
    return client.post(
        review(episode),
        {
            "op": "merge_speakers",
            "merge-version": transcript_version(current_transcript(episode)),
            "merge-label": label,
            "merge-into": into,
        },
    )


def correct(client, episode, number, text, version=None, **headers):
    return client.post(
        review(episode),
        {
            "op": "correct_text",
            "segment-version": version or transcript_version(current_transcript(episode)),
            "segment-number": str(number),
            "segment-text": text,
        },
        headers=headers,
    )


def public(client, episode) -> BeautifulSoup:
    response = client.get(episode.get_absolute_url())
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def share_rows(page) -> list[str]:
    return [li.select_one(".speaker-name").get_text() for li in page.select(".share-bars li")]


def quote_texts(page) -> str:
    return " ".join(q.get_text(" ", strip=True) for q in page.select("figure.quote blockquote"))


def quote_captions(page) -> list[str]:
    return [f.get_text(" ", strip=True) for f in page.select("figure.quote figcaption")]


def first_quote(episode) -> tuple[str, int]:
    """A quote of the current scorecard, and the segment number (1-based) it is in."""
    scorecard = Scorecard.objects.get(episode=episode, is_current=True)
    transcript = current_transcript(episode)
    index = TranscriptIndex(transcript.segments)
    for row in scorecard.dimensions.all():
        for quote in row.quotes:
            match = index.find(quote["text"])
            if match is not None:
                return quote["text"], match.segment + 1
    raise AssertionError("the scorecard has no quote")


def test_it_renames_a_speaker_everywhere_and_logs_before_and_after(
    editor_client, client, interview, django_capture_on_commit_callbacks
):
    runs = interview.scoring_runs.count()
    guest_quotes = sum("Guest Gus" in c for c in quote_captions(public(client, interview)))

    with django_capture_on_commit_callbacks(execute=True):
        response = rename(editor_client, interview, "B", "  Dana   Reyes ")

    assert response.status_code == 302
    page = public(client, interview)
    assert "Dana Reyes" in share_rows(page)
    assert "Guest Gus" not in page.get_text()
    assert sum("Dana Reyes" in c for c in quote_captions(page)) == guest_quotes > 0
    row = Activity.objects.get(action="rename_speaker")
    assert (row.before, row.after, row.editor_name) == ("Guest Gus", "Dana Reyes", "Dana Reyes")
    assert row.episode_id == interview.pk
    # The names reach the scorer: a forced re-score, since the words did not change.
    assert interview.scoring_runs.count() == runs + 1


def test_it_accepts_host_and_guest_as_names(editor_client, interview):
    assert rename(editor_client, interview, "A", "Host").status_code == 302
    assert current_transcript(interview).speaker_names["A"] == "Host"


def test_two_labels_with_one_name_are_one_row_in_the_share_of_words(
    editor_client, client, interview
):
    assert len(share_rows(public(client, interview))) == 2

    rename(editor_client, interview, "B", "Host Hana")

    assert share_rows(public(client, interview)) == ["Host Hana"]
    speakers = current_transcript(interview).analysis["speakers"]
    assert [(s["labels"], s["share"]) for s in speakers] == [(["A", "B"], 100)]


def test_merging_two_labels_relabels_the_words_and_rescores(
    editor_client, client, interview, django_capture_on_commit_callbacks
):
    before = current_transcript(interview)
    b_segments = sum(s["speaker"] == "B" for s in before.segments)

    with django_capture_on_commit_callbacks(execute=True):
        response = merge(editor_client, interview, "B", "A")

    assert response.status_code == 302
    after = current_transcript(interview)
    assert {s["speaker"] for s in after.segments} == {"A"}
    assert after.speaker_names == {"A": "Host Hana"}
    assert after.content_hash != before.content_hash
    assert share_rows(public(client, interview)) == ["Host Hana"]
    assert all("Guest Gus" not in c for c in quote_captions(public(client, interview)))
    row = Activity.objects.get(action="merge_speakers")
    assert row.before == "Guest Gus (B); Host Hana (A)" and row.after == "Host Hana (A)"
    assert f"{b_segments} segment(s)" in row.detail
    current = Scorecard.objects.get(episode=interview, is_current=True)
    assert current.transcript_hash == after.content_hash


def test_correcting_a_word_rescores_and_drops_a_quote_no_longer_said(
    editor_client, client, interview, django_capture_on_commit_callbacks
):
    quote, number = first_quote(interview)
    assert quote in quote_texts(public(client, interview))
    old = current_transcript(interview).segments[number - 1]["text"]

    with django_capture_on_commit_callbacks(execute=True):
        response = correct(editor_client, interview, number, "We never discussed any of that.")

    assert response.status_code == 302
    transcript = current_transcript(interview)
    assert transcript.segments[number - 1]["text"] == "We never discussed any of that."
    assert quote not in quote_texts(public(client, interview))
    row = Activity.objects.get(action="correct_text")
    assert (row.before, row.after) == (old, "We never discussed any of that.")
    current = Scorecard.objects.get(episode=interview, is_current=True)
    assert current.transcript_hash == transcript.content_hash


def test_a_stale_quote_is_hidden_even_before_the_new_score(editor_client, client, interview):
    quote, number = first_quote(interview)
    transcript = current_transcript(interview)
    transcript.segments[number - 1]["text"] = "Nothing quotable here at all, sorry."
    transcript.save()  # a shell's edit: no re-score has run yet

    assert quote not in quote_texts(public(client, interview))
    screen = BeautifulSoup(editor_client.get(review(interview)).content, "html.parser")
    assert quote in screen.select_one(".stale-quotes").get_text()


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        (lambda c, e: rename(c, e, "B", "   "), 'Give a name, or "Host" or "Guest".'),
        (lambda c, e: rename(c, e, "B", "x" * 101), "at most 100 characters"),
        (lambda c, e: rename(c, e, "B", "Dana\x07"), "control characters"),
        (lambda c, e: rename(c, e, "B", "Guest Gus"), "nothing to change"),
        (lambda c, e: rename(c, e, "B", "Dana", version="0" * 16), "changed since you loaded"),
        (lambda c, e: merge(c, e, "B", "B"), "two different speakers"),
        (lambda c, e: merge(c, e, "B", "Z"), "Choose a speaker of this transcript."),
        (lambda c, e: correct(c, e, 2, "  "), "cannot be empty"),
        (lambda c, e: correct(c, e, 999, "Hello there."), "no segment 999"),
        (
            lambda c, e: correct(c, e, 2, current_transcript(e).segments[1]["text"] + "  "),
            "nothing to change",
        ),
    ],
)
def test_a_bad_value_is_a_form_error_and_changes_nothing(editor_client, interview, edit, error):
    before = current_transcript(interview)
    runs = interview.scoring_runs.count()

    response = edit(editor_client, interview)

    assert response.status_code == 200
    assert error in BeautifulSoup(response.content, "html.parser").get_text()
    after = current_transcript(interview)
    assert (after.segments, after.speaker_names) == (before.segments, before.speaker_names)
    assert not Activity.objects.exists()
    assert interview.scoring_runs.count() == runs


def test_an_unknown_label_is_refused(editor_client, interview):
    response = editor_client.post(
        review(interview),
        {
            "op": "rename_speaker",
            "speaker-0-version": transcript_version(current_transcript(interview)),
            "speaker-0-label": "Q",
            "speaker-0-name": "Dana",
        },
    )
    assert response.status_code == 200
    assert "No speaker is labelled &#x27;Q&#x27; in this transcript." in response.content.decode()
    assert not Activity.objects.exists()


@pytest.mark.parametrize("stored", [["Dana"], "Dana", 7, {"A": ["Dana"], "B": None}])
def test_speaker_names_that_are_not_names_never_break_a_page(
    editor_client, client, interview, stored
):
    Transcript.objects.filter(episode=interview).update(speaker_names=stored)

    assert client.get(interview.get_absolute_url()).status_code == 200
    screen = editor_client.get(review(interview))
    assert screen.status_code == 200
    assert "Speaker B" in screen.content.decode()
    # And the screen can mend them.
    assert rename(editor_client, interview, "B", "Dana").status_code == 302
    assert current_transcript(interview).speaker_names == {"B": "Dana"}


@pytest.mark.parametrize("stored", ['["Dana"]', '"Dana"', '{"A": 3}', '{"A": ""}'])
def test_the_transcript_admin_refuses_speaker_names_that_are_not_names(
    editor_client, interview, stored
):
    transcript = current_transcript(interview)
    url = reverse("admin:episodes_transcript_change", args=[transcript.pk])
    form = BeautifulSoup(editor_client.get(url).content, "html.parser")
    assert form.select_one("[name=speaker_names]") is not None

    response = editor_client.post(url, {"speaker_names": stored})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert current_transcript(interview).speaker_names == {"A": "Host Hana", "B": "Guest Gus"}


def test_the_transcript_admin_logs_a_name_change(editor_client, client, interview):
    transcript = current_transcript(interview)
    url = reverse("admin:episodes_transcript_change", args=[transcript.pk])

    response = editor_client.post(url, {"speaker_names": '{"A": "Host Hana", "B": "Dana"}'})

    assert response.status_code == 302
    assert "Dana" in share_rows(public(client, interview))
    row = Activity.objects.get(action="edit_transcript")
    assert "Guest Gus" in row.before and "Dana" in row.after


def test_htmx_edits_a_segment_in_place_and_shows_errors_there(editor_client, interview):
    hx = {"HX-Request": "true", "HX-Target": "seg-3"}
    fragment = editor_client.get(review(interview) + "?edit=3", headers=hx)
    html = BeautifulSoup(fragment.content, "html.parser")
    assert [li["id"] for li in html.select("li")] == ["seg-3"]
    assert (
        html.select_one("textarea").get_text().strip()
        == (current_transcript(interview).segments[2]["text"])
    )

    refused = correct(editor_client, interview, 3, "", **hx)
    assert refused.status_code == 200
    assert "cannot be empty" in refused.content.decode()
    assert "<html" not in refused.content.decode()

    saved = correct(editor_client, interview, 3, "A corrected line of words here.", **hx)
    assert saved.status_code == 200
    assert saved["HX-Refresh"] == "true"
    assert current_transcript(interview).segments[2]["text"] == "A corrected line of words here."


def test_without_javascript_the_correct_link_opens_the_form_in_the_page(editor_client, interview):
    screen = BeautifulSoup(editor_client.get(review(interview)).content, "html.parser")
    link = screen.select_one("#seg-3 a.correct-link")
    assert link["href"] == "?edit=3#seg-3"
    opened = BeautifulSoup(
        editor_client.get(review(interview) + link["href"].split("#")[0]).content, "html.parser"
    )
    assert opened.select_one("#seg-3 form textarea") is not None
    assert opened.select_one("#seg-4 form") is None


def test_names_reach_the_scoring_prompt(
    editor_client, interview, fake_llm, settings, django_capture_on_commit_callbacks
):
    point_scoring_at(settings, fake_llm.url)
    fake_llm.answer(answer())

    with django_capture_on_commit_callbacks(execute=True):
        rename(editor_client, interview, "B", "Dana Reyes")

    assert "Dana Reyes" in fake_llm.user_prompt()
    assert "Guest Gus" not in fake_llm.user_prompt()


def test_a_viewer_without_the_transcript_permission_cannot_edit(client, interview, staff_viewer):
    client.force_login(staff_viewer)
    response = rename(client, interview, "B", "Dana")
    assert response.status_code == 403
    assert current_transcript(interview).speaker_names["B"] == "Guest Gus"
