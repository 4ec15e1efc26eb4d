"""The frame every page shares (base.html) and the people and ranking pages link to the site's
pages and static files from SITE_LINKS, worked out once per process, not per link."""

from unittest import mock

import pytest
from django.template.defaulttags import URLNode
from django.template.loader import get_template
from django.templatetags.static import StaticNode, static
from django.test import RequestFactory
from django.urls import clear_script_prefix, reverse, set_script_prefix

from browse import context_processors
from people import ranking
from tests.factories import AppearanceFactory, PersonFactory, ShowFactory
from tests.factories.browse import show_with_scores
from tests.factories.scoring import scored_episode


@pytest.fixture
def url_and_static_tags():
    """Spies on the rendering of {% url %} and {% static %} tags."""
    with (
        mock.patch.object(URLNode, "render", autospec=True, side_effect=URLNode.render) as url,
        mock.patch.object(
            StaticNode, "render", autospec=True, side_effect=StaticNode.render
        ) as static_tag,
    ):
        yield url, static_tag


def test_the_links_are_those_reverse_and_static_give():
    links = context_processors.site_links(RequestFactory().get("/"))["SITE_LINKS"]
    assert {name: links[name] for name in context_processors.PAGES} == {
        name: reverse(view) for name, view in context_processors.PAGES.items()
    }
    assert {name: links[name] for name in context_processors.FILES} == {
        name: static(path) for name, path in context_processors.FILES.items()
    }


def test_they_follow_the_script_prefix():
    request = RequestFactory().get("/")
    set_script_prefix("/mounted/")
    try:
        links = context_processors.site_links(request)["SITE_LINKS"]
        assert links["people"] == reverse("people:list") == "/mounted/people/"
    finally:
        clear_script_prefix()
    assert context_processors.site_links(request)["SITE_LINKS"]["people"] == "/people/"


def test_the_frame_reverses_no_url_and_resolves_no_static_file(url_and_static_tags):
    request = RequestFactory().get("/")
    html = get_template("base.html").render({}, request)
    assert f'<link rel="stylesheet" href="{static("css/site.css")}">' in html
    assert f'<a href="{reverse("methodology")}">How we score</a>' in html
    url, static_tag = url_and_static_tags
    assert url.call_count == static_tag.call_count == 0


@pytest.mark.django_db
def test_the_people_and_ranking_pages_reverse_no_url(client, settings, url_and_static_tags):
    settings.PODINDEX_PEOPLE_MIN_APPEARANCES = 1
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0
    show = show_with_scores(80, 70, slug="a-show")
    person = PersonFactory(slug="ann")
    AppearanceFactory(person=person, episode=scored_episode(total=80, show=ShowFactory()))
    ranking.recompute_all()
    for url in ("/people/", "/people/ann/", "/shows/", show.get_absolute_url()):
        html = client.get(url).content.decode()
        assert f'href="{reverse("methodology")}#' in html
    url, static_tag = url_and_static_tags
    assert url.call_count == static_tag.call_count == 0


@pytest.mark.django_db
def test_the_search_page_reverses_no_url(client, settings, url_and_static_tags):
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0
    scored_episode(total=80, title="Churn talk")

    html = client.get("/search/", {"q": "churn"}).content.decode()

    assert f'action="{reverse("search")}"' in html and f'hx-get="{reverse("search")}"' in html
    assert f'<link rel="canonical" href="{settings.SITE_URL}{reverse("search")}">' in html
    url, static_tag = url_and_static_tags
    assert url.call_count == static_tag.call_count == 0
