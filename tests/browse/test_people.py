"""The people pages: the ranking, a person's page and feed, hiding, bad input, queries."""

import json
import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.template.base import Template
from django.test.utils import CaptureQueriesContext

from people import ranking
from people.models import Appearance, Person, PersonRanking
from tests.factories import (
    AppearanceFactory,
    CategoryFactory,
    PersonFactory,
    ShowFactory,
    TopicFactory,
    TranscriptFactory,
)
from tests.factories.scoring import scored_episode

pytestmark = pytest.mark.django_db

SEGMENTS = [
    {"speaker": "A", "start": 0.0, "end": 5.0, "text": "Welcome back to the show, everyone."},
    {
        "speaker": "B",
        "start": 65.0,
        "end": 80.0,
        "text": "We cut churn in half by calling every customer who downgraded within a day.",
    },
    {"speaker": "A", "start": 80.0, "end": 85.0, "text": "That is a great point."},
]


def names(html):
    """People's names in page order, as ranking rows print them."""
    return re.findall(r'class="show-title person-name" href="[^"]+">([^<]+)</a>', html)


def on(person, *totals, show=None, role=Appearance.Role.GUEST, **episode_kwargs):
    """Put `person` on new episodes scored these totals; returns the episodes."""
    episodes = []
    for total in totals:
        episode = scored_episode(total=total, **({"show": show} if show else {}), **episode_kwargs)
        AppearanceFactory(person=person, episode=episode, role=role)
        episodes.append(episode)
    return episodes


@pytest.fixture
def finance():
    return CategoryFactory(slug="finance", name="Finance")


@pytest.fixture
def ranked(finance, settings):
    """Ann (guest, 90) > Bo (host, 70) > Cy (guest, 50) ranked; Di on one episode."""
    settings.PODINDEX_PEOPLE_PRIOR_WEIGHT = 0
    settings.PODINDEX_PEOPLE_MIN_APPEARANCES = 2
    in_finance = ShowFactory(categories=[finance])
    people = {
        "ann": PersonFactory(name="Ann", slug="ann", description="CFO at Acme"),
        "bo": PersonFactory(name="Bo", slug="bo"),
        "cy": PersonFactory(name="Cy", slug="cy"),
        "di": PersonFactory(name="Di", slug="di"),
    }
    on(people["ann"], 90, 90, show=in_finance)
    on(people["bo"], 70, 70, role=Appearance.Role.HOST)
    on(people["cy"], 50, 50, show=in_finance)
    on(people["di"], 99)
    ranking.recompute_all()
    return people


def test_it_ranks_people_best_first_with_their_scores_and_the_formula_link(client, ranked):
    html = client.get("/people/").content.decode()

    assert names(html) == ["Ann", "Bo", "Cy"]
    assert "3 people ranked." in html
    assert "CFO at Acme" in html
    assert '<span class="score-badge band-exceptional" title="Person score">90</span>' in html
    assert 'href="/methodology/#people"' in html


def test_it_filters_by_category_and_role_and_sorts(client, ranked):
    assert names(client.get("/people/?category=finance").content.decode()) == ["Ann", "Cy"]
    assert names(client.get("/people/?role=host").content.decode()) == ["Bo"]
    assert names(client.get("/people/?role=guest").content.decode()) == ["Ann", "Cy"]
    assert names(client.get("/people/?sort=nope&role=<b>").content.decode())[0] == "Ann"
    assert client.get("/people/?category=nope").status_code == 404


def test_it_answers_an_htmx_filter_with_only_the_people_fragment(client, ranked):
    response = client.get(
        "/people/?category=finance", headers={"HX-Request": "true", "HX-Target": "people"}
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="people"')
    assert "<form" not in html
    assert names(html) == ["Ann", "Cy"]


def test_a_hidden_person_answers_404_and_leaves_the_lists_sitemap_and_search(client, ranked):
    ann = ranked["ann"]
    pages = ("/people/ann/", "/people/ann/rss/")
    assert [client.get(url).status_code for url in pages] == [200, 200]
    assert "/people/ann/" in client.get("/sitemap-people.xml").content.decode()
    assert 'href="/people/ann/"' in client.get("/search/?q=ann").content.decode()
    ann.hidden = True
    ann.hidden_reason = "Removal request"
    ann.save()
    cache.clear()  # the sitemap is cached for an hour, as crawlers read it
    ranking.refresh_people([ann.pk])

    assert [client.get(url).status_code for url in pages] == [404, 404]
    assert names(client.get("/people/").content.decode()) == ["Bo", "Cy"]
    assert "/people/ann/" not in client.get("/sitemap-people.xml").content.decode()
    assert "/people/ann/" not in client.get("/search/?q=ann").content.decode()


def test_a_person_on_two_shows_has_one_page_listing_both_appearances(client, finance):
    person = PersonFactory(name="Jane Doe", slug="jane-doe", description="CFO at Acme")
    first = on(person, 80, show=ShowFactory(title="Finance Weekly", categories=[finance]))[0]
    second = on(person, 60, show=ShowFactory(title="Ops Talk"), role=Appearance.Role.HOST)[0]
    ranking.recompute_all()

    html = client.get("/people/jane-doe/").content.decode()

    assert "<h1>Jane Doe</h1>" in html and "CFO at Acme" in html
    for episode in (first, second):
        assert f'href="{episode.get_absolute_url()}"' in html
    assert "Finance Weekly" in html and "Ops Talk" in html
    assert "Guest" in html and "Host" in html
    assert 'href="/people/jane-doe/rss/"' in html


def test_it_shows_their_share_of_the_words_topics_and_best_verified_quotes(client):
    person = PersonFactory(name="Jane Doe", slug="jane-doe")
    quote = {"text": SEGMENTS[1]["text"], "speaker": "B", "start": 65.0, "verified": True}
    episode = scored_episode(total=80, quotes=[quote])
    episode.topics.add(TopicFactory(name="Churn", slug="churn"))
    TranscriptFactory(episode=episode, segments=SEGMENTS)
    AppearanceFactory(person=person, episode=episode, speaker_label="B")
    # Someone else's quote on another of their episodes is not theirs.
    other = scored_episode(total=90, quotes=[{**quote, "speaker": "A"}])
    TranscriptFactory(episode=other, segments=SEGMENTS)
    AppearanceFactory(person=person, episode=other, speaker_label="B")
    ranking.refresh_people([person.pk])

    html = client.get("/people/jane-doe/").content.decode()

    words = sum(len(s["text"].split()) for s in SEGMENTS)
    share = round(100 * len(SEGMENTS[1]["text"].split()) / words)
    assert f"{share}% of the words" in html
    assert 'href="/topics/churn/">Churn</a> <span class="muted">(1)</span>' in html
    assert html.count("We cut churn in half") == 5  # five dimensions quote it, from one voice
    assert f'href="{episode.get_absolute_url()}#t=65"' in html
    assert f'href="{other.get_absolute_url()}#t=65"' not in html


def test_it_gives_a_person_json_ld_and_shows_only_https_images(client):
    person = PersonFactory(
        name="Jane Doe",
        slug="jane-doe",
        description="CFO at Acme",
        image_url="http://10.0.0.1/jane.png",
        website="https://jane.example/",
    )
    on(person, 70)

    html = client.get("/people/jane-doe/").content.decode()

    data = json.loads(re.search(r'<script type="application/ld\+json">(.+?)</script>', html)[1])
    assert data["@type"] == "Person" and data["name"] == "Jane Doe"
    assert data["description"] == "CFO at Acme"
    assert data["sameAs"] == ["https://jane.example/"]
    assert "image" not in data
    assert "10.0.0.1" not in html


def test_a_persons_feed_lists_their_scored_episodes(client):
    person = PersonFactory(name="Jane Doe", slug="jane-doe")
    episode = on(person, 70, title="Pricing with Jane")[0]
    scored_episode(total=90, title="Someone else")

    response = client.get("/people/jane-doe/rss/")

    body = response.content.decode()
    assert response["Content-Type"].startswith("application/rss+xml")
    assert "Episodes with Jane Doe" in body
    assert "Pricing with Jane" in body and "Someone else" not in body
    assert episode.get_absolute_url() in body


def test_the_methodology_page_explains_how_people_are_ranked(client):
    html = client.get("/methodology/").content.decode()

    assert '<h2 id="people">How people are ranked</h2>' in html
    assert "person score = (C × m + Σ sᵢ) ÷ (C + n)" in html


def test_it_renders_the_list_and_a_person_page_in_constant_queries(
    client, finance, django_assert_max_num_queries
):
    person = PersonFactory(slug="busy")
    quote = {"text": SEGMENTS[1]["text"], "speaker": "B", "start": 65.0, "verified": True}

    def add(count):
        for i in range(count):
            episode = on(person, 60 + i, show=ShowFactory(categories=[finance]), quotes=[quote])[0]
            episode.topics.add(TopicFactory())
            TranscriptFactory(episode=episode, segments=SEGMENTS)
            Appearance.objects.filter(episode=episode).update(speaker_label="B")
            on(PersonFactory(), 50 + i, 55)
        ranking.recompute_all()

    add(2)
    with django_assert_max_num_queries(4):
        client.get("/people/?category=finance")
    with django_assert_max_num_queries(10):
        client.get("/people/busy/")
    add(25)
    with django_assert_max_num_queries(4):
        listed = client.get("/people/").content.decode()
    with django_assert_max_num_queries(10):
        page = client.get("/people/busy/").content.decode()
    assert len(names(listed)) == 28
    assert page.count('title="Substance score"') == 20


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's PREPARE")
def test_a_person_s_pages_of_every_length_read_their_rows_with_the_same_statements(
    client, settings
):
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0
    person = PersonFactory(slug="regular")
    for episode in on(person, *range(60, 87)):
        TranscriptFactory(episode=episode, segments=SEGMENTS)
        Appearance.objects.filter(episode=episode).update(speaker_label="B")
    ranking.recompute_all()
    client.get("/people/regular/")  # what is kept per content version

    statements = []
    for page in ("", "?page=2"):  # 20 rows, then 7
        with CaptureQueriesContext(connection) as queries:
            html = client.get(f"/people/regular/{page}").content.decode()
        assert html.count('title="Substance score"') == (20 if not page else 7)
        statements.append([q["sql"].split("(")[0] for q in queries.captured_queries])
    # The person, their page's appearances, the speakers of those episodes' transcripts.
    assert statements[0] == statements[1]
    assert len(statements[0]) == 3
    assert all(sql.startswith("EXECUTE podindex_") for sql in statements[0])


def test_the_episode_page_links_its_visible_people_and_their_voices_in_the_transcript(client):
    jane = PersonFactory(name="Jane Doe", slug="jane-doe")
    hidden = PersonFactory(name="Secret Guest", slug="secret", hidden=True)
    episode = scored_episode(total=70)
    TranscriptFactory(episode=episode, segments=SEGMENTS)
    AppearanceFactory(person=jane, episode=episode, speaker_label="B")
    AppearanceFactory(person=jane, episode=episode, role=Appearance.Role.CO_HOST)
    AppearanceFactory(person=hidden, episode=episode, speaker_label="A")

    html = client.get(episode.get_absolute_url()).content.decode()

    assert 'With <a href="/people/jane-doe/">Jane Doe</a> <span class="muted">(' in html
    assert "co-host, guest" in html or "guest, co-host" in html
    assert '<strong class="speaker"><a href="/people/jane-doe/">Jane Doe</a>:</strong>' in html
    assert "Secret Guest" not in html and "/people/secret/" not in html


@pytest.fixture
def profile_renders():
    """The names of the templates rendered, in order."""
    rendered = []
    original = Template.render

    def render(self, context):
        rendered.append(self.name)
        return original(self, context)

    with mock.patch.object(Template, "render", render):
        yield rendered


def test_a_person_s_header_is_rendered_once_and_then_read_while_unchanged(
    client, ranked, settings, profile_renders
):
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0
    first = client.get("/people/ann/").content
    assert profile_renders.count("people/_profile.html") == 1

    assert client.get("/people/ann/").content == first
    assert client.get("/people/ann/?page=1").content == first
    assert profile_renders.count("people/_profile.html") == 1


def test_a_person_s_header_shows_a_changed_figure_or_name_at_once(client, ranked, settings):
    """Kept by what it shows: a write without signals (no new content version) shows too."""
    settings.PODINDEX_PAGE_CACHE_SECONDS = 0
    client.get("/people/ann/")
    version = cache.get("podindex:content-version")

    PersonRanking.objects.filter(person=ranked["ann"]).update(score=42.4, guest_count=7)
    Person.objects.filter(pk=ranked["ann"].pk).update(name="Ann Renamed")

    html = client.get("/people/ann/").content.decode()
    assert cache.get("podindex:content-version") == version
    assert '<span class="score-number">42</span>' in html
    assert "a guest on 7" in html
    assert "<h1>Ann Renamed</h1>" in html
