"""The API's docs page works in a real browser under our CSP, from our own assets alone."""

import pytest
from playwright.sync_api import expect

from tests.factories.browse import show_with_scores

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_it_renders_every_endpoint_and_runs_one_from_the_docs_page(live_server, page):
    show_with_scores(70, 50, title="Ledger Lessons")
    outside = []
    page.on(
        "request",
        lambda request: not request.url.startswith(live_server.url) and outside.append(request.url),
    )
    page.goto(live_server.url + "/api/v1/docs")
    operations = page.locator(".opblock-summary-path")
    operations.first.wait_for()
    schema = page.request.get(live_server.url + "/api/v1/openapi.json").json()
    listed = sum(len(methods) for methods in schema["paths"].values())
    assert listed >= 14 and operations.count() == listed
    page.locator(".opblock-summary").first.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    # The documented responses are rendered already: wait for the server's (auto-retrying).
    expect(page.locator(".live-responses-table")).to_contain_text("Ledger Lessons", timeout=20_000)
    assert outside == []
    assert page.console_errors == []
