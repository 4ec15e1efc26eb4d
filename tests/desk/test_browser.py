"""The desk in Chromium: the review screen with its evidence, and two editors at one score.

Screenshots go to test-output/ (desk-review*.png, desk-conflict.png, desk-dashboard.png).
"""

import re

import pytest
from django.urls import reverse

from scoring.models import EditorialOverride
from tests.desk.conftest import PASSWORD, make_editor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def signed_in(browser, live_server, user):
    """A browser context of its own, signed in through the admin's login form."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    # Script errors and CSP violations; failed loads are checked by status (the admin has no
    # favicon, and a refused stale save answers 409 on purpose).
    page.console_errors, page.bad_responses = [], []
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and not m.text.startswith("Failed to load resource")
            and page.console_errors.append(m.text)
        ),
    )
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and not r.url.endswith("/favicon.ico")
            and page.bad_responses.append((r.status, r.url))
        ),
    )
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))
    return page


def test_the_review_screen_shows_every_score_with_its_evidence(
    chromium, live_server, interview, test_output_dir
):
    page = signed_in(chromium, live_server, make_editor())
    page.goto(live_server.url + reverse("admin:episodes_episode_review", args=[interview.pk]))
    page.screenshot(path=str(test_output_dir / "desk-review.png"))
    page.screenshot(path=str(test_output_dir / "desk-review-full.png"), full_page=True)

    scorecard = interview.scorecards.get(is_current=True)
    far_quote = None
    for row in scorecard.dimensions.select_related("dimension"):
        card = page.locator(f"#score-{row.dimension.key}")
        assert card.locator(".model-score").inner_text() == f"{row.score} / 20"
        assert card.get_by_text(row.rationale).is_visible()
        quotes = card.locator("a.quote")
        assert quotes.count() == len(row.quotes) > 0
        for n in range(quotes.count()):
            assert quotes.nth(n).is_visible()
            segment = int(quotes.nth(n).get_attribute("href").removeprefix("#seg-"))
            if far_quote is None or segment > far_quote[1]:
                far_quote = (quotes.nth(n), segment)
        assert card.locator("input[type=number]").is_visible()

    pane = page.locator("#transcript-pane")
    assert pane.evaluate("p => p.scrollTop") == 0
    link, segment = far_quote
    target = link.get_attribute("data-mark")
    link.click()
    page.wait_for_function(
        """([id, seg]) => {
            const pane = document.getElementById('transcript-pane').getBoundingClientRect();
            const el = document.getElementById(id) || document.getElementById(seg);
            const box = el.getBoundingClientRect();
            const inside = box.top >= pane.top && box.bottom <= pane.bottom;
            return inside && el.classList.contains('flash');
        }""",
        arg=[target, f"seg-{segment}"],
    )
    assert pane.evaluate("p => p.scrollTop") > 0
    page.screenshot(path=str(test_output_dir / "desk-review-quote.png"))
    assert (page.console_errors, page.bad_responses) == ([], [])


def test_two_editors_editing_one_score_cannot_lose_each_others_work(
    chromium, live_server, interview, test_output_dir
):
    ada = signed_in(chromium, live_server, make_editor("ada", "Ada", "Lovelace"))
    dana = signed_in(chromium, live_server, make_editor("dana", "Dana", "Reyes"))
    url = live_server.url + reverse("admin:episodes_episode_review", args=[interview.pk])
    ada.goto(url)
    dana.goto(url)

    ada.fill("#id_originality-score", "12")
    ada.fill("#id_originality-reason", "Ada: the framing is new to the category.")
    ada.click("#score-originality button[value=save]")
    assert "Originality set to 12." in ada.locator(".messagelist").inner_text()

    dana.fill("#id_originality-score", "7")
    dana.fill("#id_originality-reason", "Dana: heard it all before.")
    dana.click("#score-originality button[value=save]")

    error = dana.locator("#score-originality .override-error")
    stamp = EditorialOverride.objects.get().created_at.strftime("%H:%M")
    assert error.inner_text().strip() == f"Ada Lovelace changed this at {stamp}: reload to see it."
    assert dana.input_value("#id_originality-score") == "7"
    assert dana.input_value("#id_originality-reason") == "Dana: heard it all before."
    dana.locator("#score-originality").screenshot(path=str(test_output_dir / "desk-conflict.png"))
    assert EditorialOverride.objects.count() == 1

    # After a reload Dana sees Ada's value and reason, and her own change goes on top of it.
    dana.goto(url)
    history = dana.locator("#score-originality .override-history").inner_text()
    assert "Ada Lovelace" in history and "the framing is new" in history
    dana.fill("#id_originality-score", "9")
    dana.fill("#id_originality-reason", "Dana: between the two.")
    dana.click("#score-originality button[value=save]")
    assert "Originality set to 9." in dana.locator(".messagelist").inner_text()
    log = list(EditorialOverride.objects.order_by("pk").values_list("editor_name", "score"))
    assert log == [("Ada Lovelace", 12), ("Dana Reyes", 9)]
    assert ada.console_errors == dana.console_errors == [] == ada.bad_responses
    assert [status for status, _ in dana.bad_responses] == [409]


def test_the_dashboard_renders(chromium, live_server, interview, test_output_dir):
    page = signed_in(chromium, live_server, make_editor())
    page.goto(live_server.url + reverse("admin:desk_dashboard_changelist"))
    for section in ("spend", "queues", "scoring", "transcripts", "feeds", "flagged"):
        assert page.locator(f"#{section}").is_visible()
    assert "Tasks run inline (no broker)" in page.locator("#queues").inner_text()
    page.screenshot(path=str(test_output_dir / "desk-dashboard.png"), full_page=True)
    assert (page.console_errors, page.bad_responses) == ([], [])
