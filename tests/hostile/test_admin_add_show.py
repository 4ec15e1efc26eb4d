"""Item 5 of issue 11: adding a show in the admin never fetches inside the request.

Before: the add view fetched the feed in the request (eager mode ran the whole poll there);
with a server that does not answer, the editor's request waited out the fetch deadline (3 s at
a 1 s timeout here) and came back with a network error. After: the request only creates the
show and returns at once; the poll runs after commit (a worker, or a background thread when
there is no broker) and its result appears on the show's page.
"""

import threading

import pytest
from django.urls import reverse

from episodes import poll_queue as queue
from shows.models import Show
from tests.factories.feeds import item, rss
from tests.factories.http import Route
from tests.hostile.conftest import wait_for


def wait_for_background_polls(seconds: float = 20) -> None:
    for thread in list(queue.running):
        thread.join(seconds)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_adding_a_show_queues_its_poll_and_the_page_shows_the_result(
    admin_client, server, settings
):
    settings.PODINDEX_FETCH_TIMEOUT = 1
    release = threading.Event()
    server.held_body = rss([item(1), item(2)], title="Demand Gen Weekly").encode()
    server.routes["/feed.xml"] = Route(handler=wait_for(release))
    url = server.url("/feed.xml")

    try:
        response = admin_client.post(reverse("admin:shows_show_add"), {"feed_url": url})
        show = Show.objects.get(feed_url=url)
        # The request has returned while the server has not answered yet.
        assert show.last_fetch_status == Show.FetchStatus.NEW
    finally:
        release.set()
    wait_for_background_polls()

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:shows_show_change", args=[show.pk])
    page = admin_client.get(response["Location"]).content.decode()
    assert "in the background" in page
    show.refresh_from_db()
    assert show.last_fetch_status == Show.FetchStatus.OK
    assert show.title == "Demand Gen Weekly"
    assert show.episodes.count() == 2
    page = admin_client.get(response["Location"]).content.decode()
    assert "Demand Gen Weekly" in page and "Latest fetches" in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_a_broker_the_poll_is_a_task_queued_after_commit(
    admin_client, server, settings, monkeypatch
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(queue.poll_show, "delay", lambda *a, **kw: queued.append((a, kw)))
    url = server.serve("/feed.xml", rss([item(1)]))

    admin_client.post(reverse("admin:shows_show_add"), {"feed_url": url})

    show = Show.objects.get(feed_url=url)
    assert queued == [((show.pk,), {"force": True})]
    assert server.requests == []
