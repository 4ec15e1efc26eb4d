import threading
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.urls import reverse

from episodes import ingest
from episodes import poll_queue as queue
from episodes.models import Episode
from shows.models import FeedFetch, Show
from tests.factories import CategoryFactory, EpisodeFactory, ShowFactory, scored_episode
from tests.factories.feeds import item, rss

pytestmark = pytest.mark.django_db


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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_poll_now_polls_the_selected_shows_in_the_background(admin_client, feed_server):
    release = threading.Event()
    body = rss([item(1)]).encode()

    def answers_when_released(request):
        release.wait(20)
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    shows = [
        ShowFactory(feed_url=feed_server.serve(f"/feed-{n}.xml", handler=answers_when_released))
        for n in range(2)
    ]
    try:
        response = admin_client.post(
            reverse("admin:shows_show_changelist"),
            {"action": "poll_now", "_selected_action": [show.pk for show in shows]},
            follow=True,
        )
        # The request came back while the feeds' server was still holding its answers.
        assert "Polling 2 show(s) in the background" in response.content.decode()
        assert not Episode.objects.exists()
    finally:
        release.set()
    for thread in list(queue.running):
        thread.join(20)

    for show in shows:
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


def test_parked_demo_shows_read_demo_show_not_polled(admin_client):
    ShowFactory(title="Parked", next_poll_at=datetime(9999, 1, 1, tzinfo=UTC))
    ShowFactory(title="Stopped", active=False)
    page = BeautifulSoup(
        admin_client.get(reverse("admin:shows_show_changelist")).content, "html.parser"
    )
    rows = {
        tr.select_one("th").get_text(strip=True): tr.get_text(" ", strip=True)
        for tr in page.select("#result_list tbody tr")
    }
    assert "Demo show (not polled)" in rows["Parked"] and "9999" not in rows["Parked"]
    assert "Not polled: inactive" in rows["Stopped"]


def test_an_editor_may_delete_a_show_without_scored_episodes_only(client, django_user_model):
    editor = django_user_model.objects.create_user("ed", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    mistake = ShowFactory(title="Typo feed")
    EpisodeFactory(show=mistake)
    scored = scored_episode().show

    response = client.post(reverse("admin:shows_show_delete", args=[mistake.pk]), {"post": "yes"})
    refused = client.post(reverse("admin:shows_show_delete", args=[scored.pk]), {"post": "yes"})

    assert response.status_code == 302 and not Show.objects.filter(pk=mistake.pk).exists()
    assert refused.status_code == 403 and Show.objects.filter(pk=scored.pk).exists()
    html = client.get(reverse("admin:shows_show_change", args=[scored.pk])).content.decode()
    assert 'name="feed_url"' not in html and 'name="slug"' not in html
