import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from scoring.models import RubricDimension
from tests.factories import EditorialOverrideFactory, scored_episode

pytestmark = pytest.mark.django_db


def score_on_page(response) -> str:
    return BeautifulSoup(response.content, "html.parser").select_one(".score-number").get_text()


@pytest.fixture
def episode():
    return scored_episode(scores=(10, 8, 7, 8, 8))


def test_it_serves_a_public_page_again_without_touching_the_database(
    client, episode, django_assert_num_queries
):
    first = client.get(episode.get_absolute_url())
    with django_assert_num_queries(0):
        second = client.get(episode.get_absolute_url())
    assert second.content == first.content
    assert score_on_page(second) == "41"


def test_it_shows_a_correction_as_soon_as_it_is_saved(client, episode):
    assert score_on_page(client.get(episode.get_absolute_url())) == "41"
    EditorialOverrideFactory(
        episode=episode,
        dimension=RubricDimension.objects.get(key="originality", rubric__is_active=True),
        score=18,
        reason="First-principles pricing argument.",
    )
    assert score_on_page(client.get(episode.get_absolute_url())) == "51"


def test_it_keeps_htmx_fragments_and_pages_apart(client, episode):
    page = client.get("/shows/")
    fragment = client.get("/shows/", headers={"HX-Request": "true", "HX-Target": "ranking"})
    assert b"<html" in page.content
    assert b"<html" not in fragment.content
    assert client.get("/shows/").content == page.content


def test_it_never_caches_for_visitors_with_a_session(client, episode, admin_user):
    client.force_login(admin_user)
    client.get(episode.get_absolute_url())
    episode.scorecards.update(summary="A summary changed behind the ORM's back.")
    body = client.get(episode.get_absolute_url()).content.decode()
    assert "changed behind the ORM" in body


def test_it_answers_a_conditional_get_from_the_cache(client, episode):
    first = client.get(reverse("rss"))
    assert first.status_code == 200 and first["ETag"]
    again = client.get(reverse("rss"), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_it_does_not_cache_the_admin_or_errors(client, episode, admin_user):
    assert client.get("/shows/no-such-show/").status_code == 404
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


def test_it_can_be_turned_off(client, episode, settings):
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0
    client.get(episode.get_absolute_url())
    # The page around its fragments; the fragments are kept under the rows they are made from
    # (tests/browse/test_episode_fragments.py), which a write without a signal leaves alone.
    type(episode).objects.filter(pk=episode.pk).update(title="Changed without a signal")
    assert "Changed without a signal" in client.get(episode.get_absolute_url()).content.decode()
