import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from shows import ingest
from shows.models import FeedFetch, Show
from tests.factories import CategoryFactory, ShowFactory
from tests.factories.feeds import item, rss

pytestmark = pytest.mark.django_db


def test_an_editor_adds_a_show_by_url_and_it_is_fetched(admin_client, feed_server):
    marketing = CategoryFactory(slug="marketing", name="Marketing")
    url = feed_server.serve("/feed.xml", rss([item(1), item(2)], title="Demand Gen Weekly"))

    response = admin_client.post(
        reverse("admin:shows_show_add"),
        {"feed_url": url, "categories": [marketing.pk]},
        follow=True,
    )

    show = Show.objects.get()
    assert show.title == "Demand Gen Weekly"
    assert show.episodes.count() == 2
    assert list(show.categories.all()) == [marketing]
    assert response.redirect_chain[-1][0] == reverse("admin:shows_show_changelist")
    messages = [str(m) for m in response.context["messages"]]
    assert any("OK, 2 episodes" in m for m in messages)


def test_the_add_form_asks_only_for_the_feed_and_categories(admin_client):
    CategoryFactory(name="Finance")
    page = BeautifulSoup(admin_client.get(reverse("admin:shows_show_add")).content, "html.parser")
    names = {field["name"] for field in page.select("form#show_form [name]")}
    assert {"feed_url", "categories"} <= names
    assert "title" not in names


def test_the_add_form_refuses_a_url_already_followed(admin_client):
    show = ShowFactory()
    response = admin_client.post(reverse("admin:shows_show_add"), {"feed_url": show.feed_url})
    assert "already exists" in response.content.decode()
    assert Show.objects.count() == 1


def test_an_editor_sees_feed_health_and_the_latest_fetches(admin_client, feed_server):
    url = feed_server.serve("/feed.xml", "<html><body>not a feed</body></html>")
    show, _ = ingest.add_show(url)

    page = admin_client.get(reverse("admin:shows_show_change", args=[show.pk])).content.decode()

    assert "Not a valid feed" in page
    assert "The URL returned an HTML page, not a feed." in page
    assert "Latest fetches" in page


def test_poll_now_polls_the_selected_shows(admin_client, feed_server):
    show = ShowFactory(feed_url=feed_server.serve("/feed.xml", rss([item(1)])))
    admin_client.post(
        reverse("admin:shows_show_changelist"),
        {"action": "poll_now", "_selected_action": [show.pk]},
    )
    show.refresh_from_db()
    assert show.last_fetch_status == Show.FetchStatus.OK
    assert show.episodes.count() == 1


def test_the_fetch_log_lists_outcomes(admin_client, feed_server):
    show = ShowFactory(feed_url=feed_server.url("/missing.xml"), title="Lost Show")
    ingest.poll(show)
    page = admin_client.get(reverse("admin:shows_feedfetch_changelist")).content.decode()
    assert "Lost Show" in page
    assert "HTTP 404" in page
    assert FeedFetch.objects.count() == 1
