"""Rankings and search in a real browser: htmx swaps, pushed URLs, the no-JS fallback, safety."""

import pytest

from scoring.ranking import recompute_all
from tests.factories import CategoryFactory, TranscriptFactory
from tests.factories.browse import show_with_scores

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'


@pytest.fixture
def catalogue(settings):
    settings.PODINDEX_RANKING_PRIOR_WEIGHT = 0
    finance = CategoryFactory(name="Finance", slug="finance")
    sales = CategoryFactory(name="Sales", slug="sales")
    show_with_scores(90, 90, 90, title="Ledger Lessons", categories=[finance])
    show_with_scores(70, 70, 70, title="Closing Time", categories=[sales])
    hostile = show_with_scores(60, 60, 60, title="Evil " + HOSTILE, categories=[sales])
    episode = hostile.episodes.first()
    episode.title = "Churn " + HOSTILE
    episode.save()
    TranscriptFactory(
        episode=episode,
        segments=[{"speaker": "A", "start": 95.0, "end": 99.0, "text": "Churn " + HOSTILE}],
    )
    recompute_all()


def ranking_titles(page):
    return page.locator("#ranking .show-title").all_inner_texts()


def test_it_filters_the_ranking_with_htmx_and_pushes_the_url(live_server, page, catalogue):
    page.goto(live_server.url + "/shows/")
    assert ranking_titles(page)[:2] == ["Ledger Lessons", "Closing Time"]
    # A page load would wipe this marker; an htmx swap keeps it.
    page.evaluate("window.notReloaded = true")

    page.select_option("select[name=category]", "sales")

    page.wait_for_url("**/shows/?category=sales*")
    page.wait_for_function("document.querySelectorAll('#ranking .show-title').length === 2")
    assert ranking_titles(page) == ["Closing Time", "Evil " + HOSTILE]
    assert page.evaluate("window.notReloaded") is True

    page.select_option("select[name=sort]", "episodes")
    page.wait_for_url("**sort=episodes*")
    assert page.evaluate("window.notReloaded") is True

    page.go_back()
    page.wait_for_url("**/shows/?category=sales&language=&sort=score")
    assert ranking_titles(page) == ["Closing Time", "Evil " + HOSTILE]
    assert page.evaluate("window.pwned") is None
    assert page.console_errors == []


def test_it_filters_the_ranking_without_javascript(live_server, chromium, catalogue):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/shows/")
        page.select_option("select[name=category]", "finance")
        page.click("button.filters-apply")
        page.wait_for_url("**/shows/?category=finance*")
        assert page.locator("#ranking .show-title").all_inner_texts() == ["Ledger Lessons"]
        assert page.locator("h1").inner_text() == "The best B2B Finance podcasts"
    finally:
        context.close()


def test_it_searches_as_you_type(live_server, page, catalogue):
    page.goto(live_server.url + "/search/")
    page.evaluate("window.notReloaded = true")

    page.locator("#search-input").press_sequentially("churn", delay=40)

    page.wait_for_selector("#search-results .moments li")
    page.wait_for_url("**/search/?q=churn")
    moment = page.locator("#search-results .moments a").first
    assert moment.inner_text() == "Churn " + HOSTILE
    assert moment.get_attribute("href").endswith("#t=95")
    assert page.locator("#search-results mark").first.inner_text().lower() == "churn"
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("window.pwned") is None
    assert page.console_errors == []


@pytest.mark.parametrize("path", ["/", "/shows/", "/categories/sales/", "/search/?q=evil"])
def test_it_runs_no_script_from_feed_data(live_server, page, catalogue, path):
    page.goto(live_server.url + path)

    assert HOSTILE in page.locator("main").inner_text()
    assert page.evaluate("window.pwned") is None
    assert page.console_errors == []


def test_it_runs_no_script_from_feed_data_on_the_show_page(live_server, page, catalogue):
    from shows.models import Show

    show = Show.objects.get(title__startswith="Evil")
    page.goto(live_server.url + show.get_absolute_url())

    assert page.locator("h1").inner_text() == "Evil " + HOSTILE
    assert page.locator(".trend-chart svg").count() == 1
    assert page.evaluate("window.pwned") is None
    assert page.console_errors == []
