"""The review screen: evidence beside the transcript, each score's form in place, and every bad
input answered in the form, with what the editor typed kept."""

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from core.page_cache import cache_key
from desk.models import Activity
from episodes.models import Episode
from scoring.models import EditorialOverride
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


def review(episode):
    return reverse("admin:episodes_episode_review", args=[episode.pk])


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def post(client, episode, key, op="save", **fields):
    data = {"target": key, "op": op}
    data.update({f"{key}-{name}": value for name, value in fields.items()})
    return client.post(review(episode), data)


def test_it_shows_every_dimension_with_its_evidence_beside_the_transcript(editor_client, interview):
    page = soup(editor_client.get(review(interview)))
    scorecard = interview.scorecards.get(is_current=True)

    for row in scorecard.dimensions.select_related("dimension"):
        card = page.select_one(f"#score-{row.dimension.key}")
        assert card.select_one(".model-score").get_text() == f"{row.score} / 20"
        assert row.rationale in card.get_text()
        quotes = card.select("a.quote")
        assert len(quotes) == len(row.quotes)
        for link, quote in zip(quotes, row.quotes, strict=True):
            assert quote["text"] in link.get_text()
            mark = page.find(id=link["data-mark"])
            segment = page.select_one(link["href"])
            assert segment is not None and segment.name == "li"
            assert mark is None or mark.find_parent("li") == segment
        assert card.select_one("form.override-form input[name$='-score']")
    assert page.select_one("#score-total .model-score").get_text() == f"{scorecard.total} / 100"
    segments = page.select("#transcript-pane li")
    assert len(segments) == len(interview.transcript.segments)
    assert segments[1].select_one(".speaker").get_text() == "Guest Gus:"
    assert segments[1].select_one(".ts").get_text() == "00:25"
    assert page.select("#transcript-pane mark")
    assert "no language model read this episode" in page.select_one(".public-card").get_text()


def test_it_links_to_the_public_page_show_runs_and_logs(editor_client, interview):
    links = {a.get_text(): a["href"] for a in soup(editor_client.get(review(interview))).select(
        ".review-links a"
    )}  # fmt: skip
    assert links["Public page"] == interview.get_absolute_url()
    assert links["Show"] == reverse("admin:shows_show_change", args=[interview.show_id])
    assert links["Scoring runs"].endswith(f"?episode__id__exact={interview.pk}")
    assert links["Activity"].endswith(f"?episode={interview.pk}")
    for url in links.values():
        assert editor_client.get(url).status_code == 200


def test_it_is_reachable_from_the_episode_list_scorecards_and_the_episode_page(
    editor_client, interview
):
    url = review(interview)
    lists = [
        reverse("admin:episodes_episode_changelist"),
        reverse("admin:scoring_scorecard_changelist"),
        reverse("admin:episodes_episode_change", args=[interview.pk]),
    ]
    for page in lists:
        assert url in editor_client.get(page).content.decode(), page


def test_saving_a_score_redirects_to_it_and_changes_the_public_page(
    editor_client, client, interview
):
    response = post(
        editor_client, interview, "insight_density", score="4", reason="Mostly filler.", version="0"
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#score-insight_density")
    page = soup(client.get(interview.get_absolute_url()))
    assert "Mostly filler." in page.select_one(".notice-adjusted").get_text()
    assert "Our baseline scorer scored this episode" in page.select_one(".notice-adjusted").text
    screen = soup(editor_client.get(review(interview)))
    history = screen.select_one("#score-insight_density .override-history").get_text(" ")
    assert "Dana Reyes" in history and "→ 4" in history and "Mostly filler." in history


def test_a_stale_form_is_refused_with_who_changed_it_and_keeps_the_typed_values(
    editor_client, client, interview, other_editor
):
    client.force_login(other_editor)
    post(client, interview, "originality", score="12", reason="Ada's reading.", version="0")
    stamp = timezone.localtime(EditorialOverride.objects.get().created_at).strftime("%H:%M")

    response = post(
        editor_client, interview, "originality", score="7", reason="Dana's reading.", version="0"
    )

    assert response.status_code == 409
    form = soup(response).select_one("#score-originality form")
    assert form.select_one(".override-error").get_text(strip=True) == (
        f"Ada Lovelace changed this at {stamp}: reload to see it."
    )
    assert form.select_one("input[name='originality-score']")["value"] == "7"
    assert form.select_one("textarea").get_text().strip() == "Dana's reading."
    assert EditorialOverride.objects.count() == 1


@pytest.mark.parametrize(
    ("score", "reason", "message"),
    [
        ("25", "Too high", "At most 20."),
        ("-1", "Negative", "Give a whole number from 0 to 20."),
        ("ten", "Text", "Give a whole number from 0 to 20."),
        ("", "No score", "Give a whole number from 0 to 20."),
        ("5", "  ", "Say why: the reason is shown with the score."),
    ],
)
def test_bad_input_gets_a_message_in_the_form_and_nothing_is_saved(
    editor_client, interview, score, reason, message
):
    response = post(
        editor_client, interview, "guest_caliber", score=score, reason=reason, version=0
    )

    assert response.status_code == 200
    form = soup(response).select_one("#score-guest_caliber form")
    assert message in form.get_text()
    assert form.select_one("input[name='guest_caliber-score']").get("value", "") == score
    assert not EditorialOverride.objects.exists()
    assert not Activity.objects.exists()


def test_html_in_a_reason_is_shown_as_text(editor_client, client, interview):
    reason = "<script>alert(1)</script><b>bold</b>"
    post(editor_client, interview, "total", score="50", reason=reason, version="0")
    for html in (
        editor_client.get(review(interview)).content.decode(),
        client.get(interview.get_absolute_url()).content.decode(),
    ):
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_revert_goes_back_to_the_model_and_keeps_the_history(editor_client, interview):
    post(editor_client, interview, "total", score="50", reason="An ad.", version="0")
    version = EditorialOverride.objects.get().pk

    response = post(editor_client, interview, "total", op="revert", reason="", version=version)

    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.score == interview.scorecards.get(is_current=True).total
    rows = soup(editor_client.get(review(interview))).select("#score-total .override-history tr")
    assert len(rows) == 3  # header, set, revert


def test_a_total_override_says_total_set_by_our_editors_and_keeps_the_bars(
    editor_client, client, interview
):
    scorecard = interview.scorecards.get(is_current=True)
    post(editor_client, interview, "total", score="30", reason="Mostly an ad.", version="0")

    page = soup(client.get(interview.get_absolute_url()))

    assert page.select_one(".total-set").get_text() == "Total set by our editors"
    assert page.select_one(".score-number").get_text() == "30"
    bars = [
        li.select_one(".dimension-score").get_text() for li in page.select(".dimension-bars li")
    ]
    assert bars == [f"{d.score} / 20" for d in scorecard.dimensions.all()]
    note = page.select_one(".bars-note").get_text()
    assert f"they add up to {scorecard.total}" in note and "set the total to 30" in note


def test_an_unscored_episode_says_so_and_offers_no_form(editor_client):
    episode = EpisodeFactory(title="Not yet")
    page = soup(editor_client.get(review(episode)))
    assert "has not been scored yet" in page.select_one(".errornote").get_text()
    assert not page.select("form.override-form")
    response = post(editor_client, episode, "total", score="50", reason="x", version="0")
    assert response.status_code == 200
    assert "has not been scored yet" in response.content.decode()
    assert not EditorialOverride.objects.exists()


def test_a_deleted_episode_redirects_with_a_message(editor_client, interview, superuser):
    url = review(interview)
    Episode.objects.filter(pk=interview.pk).delete()
    response = editor_client.post(url, {"target": "total", "op": "save"}, follow=True)
    assert response.status_code == 200
    assert "doesn’t exist" in response.content.decode()


def test_a_busy_database_is_a_message_not_a_500(editor_client, interview, monkeypatch):
    def busy(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(EditorialOverride.objects.__class__, "record", busy)
    response = post(editor_client, interview, "total", score="50", reason="x", version="0")
    assert response.status_code == 200
    assert "The database was busy and nothing was saved: try again." in response.content.decode()


def test_hide_unhide_and_rescore_from_the_review_screen_are_logged(editor_client, interview):
    for op in ("hide", "unhide", "rescore"):
        response = editor_client.post(review(interview), {"op": op, "reason": "Off topic."})
        assert response.status_code == 302
    assert list(Activity.objects.order_by("pk").values_list("action", "editor_name")) == [
        ("hide", "Dana Reyes"),
        ("unhide", "Dana Reyes"),
        ("rescore", "Dana Reyes"),
    ]
    assert interview.scoring_runs.count() == 2


def test_the_public_page_links_staff_to_the_review_without_leaking_into_the_cache(
    client, editor, interview
):
    url = interview.get_absolute_url()
    anonymous = client.get(url)
    assert anonymous.status_code == 200
    assert "Cookie" not in anonymous.get("Vary", "")
    assert b"/review/" not in anonymous.content

    client.force_login(editor)
    staff = soup(client.get(url))
    assert staff.select_one(".staff-review a")["href"] == review(interview)

    client.logout()
    client.cookies.pop(settings.SESSION_COOKIE_NAME, None)
    again = client.get(url)
    assert again.content == anonymous.content  # the cached anonymous page, link-free
    assert cache.get(cache_key(again.wsgi_request)) is not None


def test_a_visitor_with_a_session_who_is_not_staff_sees_no_link(client, interview):

    client.force_login(User.objects.create_user("reader", password="x-long-passphrase"))
    assert b"/review/" not in client.get(interview.get_absolute_url()).content


def test_correcting_a_hidden_episode_says_readers_see_it_once_shown(editor_client, interview):
    Episode.objects.filter(pk=interview.pk).set_hidden(True)
    response = post(
        editor_client, interview, "total", score="50", reason="Still wrong.", version="0"
    )
    page = editor_client.get(response["Location"])
    assert "This episode is hidden: readers see it once it is shown." in page.content.decode()
    assert EditorialOverride.objects.get().score == 50
